"""Leader election for the Matrix sync loop: exactly one instance per PostgreSQL database syncs.

`PgAdvisoryLeader(url)` keeps a *dedicated* psycopg connection and waits in
``pg_advisory_lock(key)`` on it. The holder pings its connection every `check_interval` seconds;
when the holder process dies, PostgreSQL drops the session and the lock frees, and the waiting
instance gets it at once (measured: well under a second after a kill -9). When the holder's own
connection breaks (network, pg_terminate_backend) it notices on the next ping, reports the loss
(`lost` event) and goes back to trying.

Usage with MatrixTransport: ``MatrixTransport(..., lock=leader.hold)``. ``leader.hold()`` is an async
context manager: entering blocks until this instance is leader and yields an `asyncio.Event` that
is set when leadership is lost; leaving releases the lock. With SQLite there is only one instance:
pass ``lock=None``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import AsyncIterator

log = logging.getLogger(__name__)

DEFAULT_KEY_NAME = "deskbot.matrix.sync"


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for pg_advisory_lock from a name."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def psycopg_conninfo(url: str) -> str:
    """Accept SQLAlchemy URLs (postgresql+psycopg://...) as well as plain libpq URLs."""
    scheme, sep, rest = url.partition("://")
    if sep and "+" in scheme:
        scheme = scheme.split("+", 1)[0]
    if scheme == "postgres":
        scheme = "postgresql"
    return f"{scheme}{sep}{rest}" if sep else url


class PgAdvisoryLeader:
    def __init__(
        self,
        url: str,
        *,
        key: int | str = DEFAULT_KEY_NAME,
        retry_interval: float = 2.0,
        check_interval: float = 2.0,
        connect_timeout: float = 5.0,
    ) -> None:
        self.conninfo = psycopg_conninfo(url)
        self.key = key if isinstance(key, int) else advisory_key(key)
        self.retry_interval = retry_interval
        self.check_interval = check_interval
        self.connect_timeout = connect_timeout
        self.conn = None  # psycopg.AsyncConnection while leader
        self.is_leader = False

    async def _connect(self):
        import psycopg

        return await psycopg.AsyncConnection.connect(
            self.conninfo, autocommit=True, connect_timeout=max(1, int(self.connect_timeout))
        )

    async def try_acquire(self) -> bool:
        """One attempt. Keeps the connection open when the lock was taken."""
        conn = None
        try:
            conn = await self._connect()
            cur = await conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,))
            row = await cur.fetchone()
            if row and row[0]:
                self.conn = conn
                self.is_leader = True
                return True
        except Exception as e:  # noqa: BLE001 - any failure just means "not leader now"
            log.warning("advisory lock attempt failed: %s", e)
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()
        return False

    async def acquire(self) -> None:
        """Block until this instance holds the lock: waits in ``pg_advisory_lock`` on its own connection,
        so PostgreSQL hands the lock over the moment the holder's session ends (a kill -9 closes its
        socket at once); a broken connection is retried every `retry_interval` seconds."""
        while True:
            if await self.try_acquire():
                break
            conn = None
            try:
                conn = await self._connect()
                await conn.execute("SELECT pg_advisory_lock(%s)", (self.key,))
                self.conn = conn
                self.is_leader = True
                break
            except asyncio.CancelledError:
                if conn is not None:
                    with contextlib.suppress(BaseException):
                        await conn.close()
                raise
            except Exception as e:  # noqa: BLE001 - retry
                log.warning("waiting for the advisory lock failed: %s", e)
                if conn is not None:
                    with contextlib.suppress(Exception):
                        await conn.close()
            await asyncio.sleep(self.retry_interval)
        log.info("became leader (advisory lock %s)", self.key)

    async def _watch(self, lost: asyncio.Event, stop: asyncio.Event) -> None:
        """Ping the lock's connection every `check_interval` s until `stop` is set. Stopping is
        cooperative: a ping in flight is never cancelled, because a cancelled query leaves the
        connection mid-protocol and the unlock after it could then wait for ever."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.check_interval)
            if stop.is_set():
                return
            try:
                assert self.conn is not None
                await asyncio.wait_for(self.conn.execute("SELECT 1"), timeout=self.check_interval + 5)
            except Exception as e:  # noqa: BLE001
                log.warning("lost leadership: %s", e)
                self.is_leader = False
                lost.set()
                return

    async def release(self) -> None:
        """Unlock and close, each step bounded: a dead or hung connection is dropped, and PostgreSQL
        frees a session's advisory locks when the session ends."""
        conn, self.conn = self.conn, None
        self.is_leader = False
        if conn is None:
            return
        if not conn.broken:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.execute("SELECT pg_advisory_unlock(%s)", (self.key,)), 5)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(conn.close(), 5)
        if not conn.closed:
            with contextlib.suppress(Exception):
                conn.pgconn.finish()

    @contextlib.asynccontextmanager
    async def hold(self) -> AsyncIterator[asyncio.Event]:
        await self.acquire()
        lost, stop = asyncio.Event(), asyncio.Event()
        watcher = asyncio.create_task(self._watch(lost, stop))
        try:
            yield lost
        finally:
            stop.set()
            try:
                await asyncio.wait_for(asyncio.shield(watcher), self.check_interval + 6)
            except TimeoutError:  # a ping hung past its own bound: drop it, the connection goes too
                watcher.cancel()
            except asyncio.CancelledError:
                watcher.cancel()
                await self.release()
                raise
            await self.release()

    def backend_pid(self) -> int | None:
        return self.conn.info.backend_pid if self.conn is not None else None
