"""Engine, unit of work and migrations for SQLite (embedded default) and PostgreSQL (production).

SQLite runs in WAL mode with a busy timeout, and every transaction starts with `BEGIN IMMEDIATE`
so that writers queue up instead of failing on lock upgrades; with several processes this makes
each unit of work serialisable. PostgreSQL uses READ COMMITTED plus row locks, conditional
updates and exclusion constraints (see models.py).
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from bot.storage.sql import begin_raw, end_raw

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


class DatabaseTooNew(Exception):
    """The database was migrated by a newer deskbot than this one."""


CONNECT_TIMEOUT = 5  # seconds: a database that does not answer must not hold start-up (or a user) for long
STATEMENT_TIMEOUT_MS = 30_000  # PostgreSQL statement_timeout; SQLite busy_timeout (waiting for the write lock)


def make_engine(url: str, *, echo: bool = False, pool_size: int = 5, connect_timeout: float = CONNECT_TIMEOUT,
                statement_timeout_ms: int = STATEMENT_TIMEOUT_MS) -> Engine:
    """An engine with bounded waits; SQL parameters (message texts, names) never reach logs or errors.

    PostgreSQL: `connect_timeout` (covers the whole handshake, so a port that accepts but never answers
    fails after a few seconds) and `statement_timeout`, both overridable in the URL
    (`?connect_timeout=10&options=-c%20statement_timeout%3D60000`). SQLite: the file and its directory
    are created 0600 / 0700; `busy_timeout` bounds the wait for the write lock.
    """
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        if u.database and u.database != ":memory:" and not u.database.startswith("file:"):
            from bot.paths import private_dir, private_file

            db_file = Path(u.database).expanduser()
            private_dir(db_file.parent)
            private_file(db_file)  # before SQLite creates it with the umask's 0644
        busy_seconds = statement_timeout_ms / 1000
        engine = create_engine(
            url,
            echo=echo,
            hide_parameters=True,
            connect_args={"timeout": busy_seconds, "check_same_thread": False, "isolation_level": None},
        )

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_conn, _record) -> None:  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA secure_delete=ON")  # deleted rows are overwritten, not left in free pages (erasure)
            cur.execute(f"PRAGMA busy_timeout={int(statement_timeout_ms)}")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn) -> None:
            # on the DBAPI cursor like the hot-path statements (bot/storage/sql.py: the engine's cursor events
            # see it; ~40 µs less than `exec_driver_sql` per transaction). A unit of work on a kept session opens
            # its transaction itself (`Database.unit_of_work`); the session's own begin then joins it.
            begin_raw(conn)

        return engine
    if u.get_backend_name() == "postgresql" and u.get_driver_name() in ("", "psycopg2"):
        u = u.set(drivername="postgresql+psycopg")
    connect_args: dict = {}
    if "connect_timeout" not in u.query:
        connect_args["connect_timeout"] = max(1, int(connect_timeout))
    if "statement_timeout" not in str(u.query.get("options", "")):
        connect_args["options"] = f"-c statement_timeout={int(statement_timeout_ms)}"
    return create_engine(u, echo=echo, pool_size=pool_size, max_overflow=10, pool_pre_ping=True, pool_timeout=10,
                         hide_parameters=True, connect_args=connect_args)


HUNG_AFTER = 5.0  # s: a PostgreSQL connection in use this long makes the guard ask whether the server answers at all
PROBE_TIMEOUT = 3  # s: the guard's fresh connection; no answer within this = the server hangs


class HungServerGuard:
    """The client-side bound PostgreSQL cannot give: a server that hangs (its port open, nothing answering: a
    stopped process, a stuck proxy) never fires its own statement_timeout, and a pooled connection waits on it
    for ever (measured: a user's /hilfe still waiting after 70 s; new connections give up after connect_timeout).

    A daemon thread looks every second at the connections checked out for longer than `HUNG_AFTER`. If there are
    any, it opens one fresh connection with `PROBE_TIMEOUT`: if the server does not answer that either
    ("timeout expired"; a refusal is an answer), the sockets of those connections are shut down, so the calls
    blocked on them fail at once (OperationalError: the user gets the apology, the pool drops them) and
    `on_hung` is called (/healthz reports it). A long statement on a server that answers is left alone. Cost per
    checkout: a clock read and a dict entry."""

    def __init__(self, engine: Engine, on_hung=None) -> None:
        import weakref

        self.engine = engine
        self.on_hung = on_hung
        self._ref = weakref.ref
        self._out: dict[int, tuple[float, object]] = {}  # id(dbapi connection) -> (checked out at, weakref)
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.aborted = 0
        event.listen(engine, "checkout", self._checkout)
        event.listen(engine, "checkin", self._checkin)
        event.listen(engine, "invalidate", self._gone)
        # the pool's pre-ping runs before the checkout event, on the pooled connection: watched as well
        ping = engine.dialect.do_ping

        def do_ping(dbapi_conn):
            self._checkout(dbapi_conn, None, None)
            return ping(dbapi_conn)

        engine.dialect.do_ping = do_ping  # type: ignore[method-assign]

    def _checkout(self, dbapi_conn, _record, _proxy) -> None:
        import time

        self._out[id(dbapi_conn)] = (time.monotonic(), self._ref(dbapi_conn))
        if self._thread is None:
            self._thread = threading.Thread(target=self._watch, name="db-hung-guard", daemon=True)
            self._thread.start()

    def _checkin(self, dbapi_conn, _record) -> None:
        if dbapi_conn is not None:
            self._out.pop(id(dbapi_conn), None)

    def _gone(self, dbapi_conn, _record, _exc) -> None:
        if dbapi_conn is not None:
            self._out.pop(id(dbapi_conn), None)

    def close(self) -> None:
        self._stop.set()

    def _watch(self) -> None:
        import time

        probed = 0.0
        while not self._stop.wait(1.0):
            now = time.monotonic()
            stuck = [(key, ref) for key, (since, ref) in list(self._out.items()) if now - since > HUNG_AFTER]
            if stuck and now - probed >= HUNG_AFTER / 2:  # a long statement on a healthy server: a probe every 2.5 s
                probed = now
                if self._server_hangs():
                    self._abort(stuck)

    def _server_hangs(self) -> bool:
        dialect = self.engine.dialect
        cargs, cparams = dialect.create_connect_args(self.engine.url)
        cparams = dict(cparams, connect_timeout=PROBE_TIMEOUT)
        try:
            dialect.connect(*cargs, **cparams).close()
        except Exception as exc:  # noqa: BLE001
            return "timeout expired" in str(exc)
        return False

    def _abort(self, stuck: list) -> None:
        import logging
        import os
        import socket

        n = 0
        for key, ref in stuck:
            conn = ref()
            self._out.pop(key, None)
            if conn is None or getattr(conn, "closed", True):
                continue
            try:
                fd = os.dup(conn.pgconn.socket)
            except Exception:  # noqa: BLE001 (closed meanwhile)
                continue
            try:
                socket.socket(fileno=fd).shutdown(socket.SHUT_RDWR)  # the blocked call sees the end at once
                n += 1
            except OSError:
                os.close(fd)
        if n:
            self.aborted += n
            logging.getLogger(__name__).error(
                "database: the server does not answer (no new connection within %ss); %d connections waiting on "
                "it for over %.0fs were closed", PROBE_TIMEOUT, n, HUNG_AFTER)
            if self.on_hung is not None:
                self.on_hung()


def after_commit(s: Session, fn) -> None:
    """Run `fn()` once the transaction of `s` (the message's unit of work, or this session) has committed and its
    connection is back in the pool; dropped if it rolls back."""
    s.info.setdefault("after_commit", []).append(fn)


def _run_after_commit(s: Session) -> None:
    for fn in s.info.pop("after_commit", []):
        fn()


class _Joined:
    """`Database.session()` inside a unit of work: that unit's session; nothing to commit or roll back here."""

    __slots__ = ("s",)

    def __init__(self, s: Session) -> None:
        self.s = s

    def __enter__(self) -> Session:
        return self.s

    def __exit__(self, *exc) -> None:
        return None


class Database:
    """Owns the engine and hands out units of work.

    `unit_of_work()` opens the one transaction of a whole message: every `session()` block entered
    inside it (member resolution, the booking, its outbox rows, the button tokens) joins that
    transaction instead of committing on its own, so the message commits completely or not at all.
    Outside a unit of work (scheduler jobs, the admin CLI) each `session()` block is its own unit.
    """

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine = make_engine(url, echo=echo)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._current: contextvars.ContextVar[Session | None] = contextvars.ContextVar(f"uow-{id(self)}", default=None)
        self.last_timeout: float | None = None  # monotonic time a statement last ran into the statement timeout
        self.guard = HungServerGuard(self.engine, on_hung=self._note_hung) if self.engine.dialect.name == "postgresql" \
            else None
        # SQLite file stores: a few idle sessions kept with their connection for the next unit of work (see
        # `_warm_session`); `_warm_made` counts those in existence, `_warm_gen` changes with `dispose()`
        self._warm: list[Session] = []
        self._warm_lock = threading.Lock()
        self._warm_made = 0
        self._warm_gen = 0

    def _note_hung(self) -> None:
        import time as _t

        self.last_timeout = _t.monotonic()

    def note_if_timeout(self, exc: BaseException) -> bool:
        """Remember a statement that was cancelled by the statement timeout (PostgreSQL 57014) or gave up waiting
        for SQLite's lock, so /healthz can report it."""
        import time as _t

        orig = getattr(exc, "orig", None)
        code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
        if code == "57014" or "database is locked" in str(orig or ""):
            self.last_timeout = _t.monotonic()
            return True
        return False

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def is_postgres(self) -> bool:
        return self.dialect == "postgresql"

    def session(self) -> AbstractContextManager[Session]:
        """One unit of work: commits when the block ends normally, rolls back otherwise.
        Inside `unit_of_work()` it is the enclosing transaction's session (no commit of its own; an
        exception propagates and rolls the whole unit back). Used as `with db.session() as s:`."""
        current = self._current.get()
        if current is not None:
            return _Joined(current)  # a booking message enters this four times: no generator per block
        return self._own_session()

    @contextmanager
    def _own_session(self) -> Iterator[Session]:
        """A session with its own transaction: committed at the end, rolled back on an exception; the after-commit
        callbacks run once its connection is back in the pool."""
        s = self._sessions()
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            s.info.pop("after_commit", None)
            raise
        finally:
            s.close()
        _run_after_commit(s)

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """The transaction of one message: commits once at the end, rolls back unless the block ends normally."""
        if self._current.get() is not None:
            raise RuntimeError("a unit of work is already open in this context")
        s = self._warm_session()
        if s is None:
            with self._own_session() as s:
                token = self._current.set(s)
                try:
                    yield s
                finally:
                    self._current.reset(token)
            return
        token = self._current.set(s)
        conn = s.bind
        ok = False
        try:
            begin_raw(conn)
            s.info["_raw"] = conn
            yield s
            self._commit_raw(s, conn)
            ok = True
        except BaseException:
            try:
                if s.in_transaction():
                    s.rollback()
                if conn.in_transaction():
                    conn.rollback()
                end_raw(conn, commit=False)
            finally:
                s.info.pop("after_commit", None)
            raise
        finally:
            self._current.reset(token)
            callbacks = s.info.pop("after_commit", [])
            self._put_warm(s, keep=ok)
        for fn in callbacks:
            fn()

    @staticmethod
    def _commit_raw(s: Session, conn) -> None:
        """The end of a unit of work on a kept session: its transaction was opened on the connection itself, so a
        message that used only driver SQL (the booking path) commits without a session transaction. If the ORM
        was used, the session began its own transaction inside the open one (the begin listener sees it open) and
        its commit flushes, runs the before-commit hooks and commits the connection; otherwise the hooks run here
        (the outbox rows deferred by the message) and the connection commits. A `Connection.execute` on the
        unit's connection begins that connection's own transaction (which a later session joins): it is
        committed here. Every path fires the engine's `commit` event once."""
        if not s.in_transaction():
            s.dispatch.before_commit(s)
        if s.in_transaction():  # the ORM was used (in the message or in a hook)
            s.commit()
        if conn.in_transaction():
            conn.commit()
        else:
            end_raw(conn, commit=True)

    # SQLite: a unit of work on a kept session. Per message, taking a pooled connection and building a session
    # and a connection for it (pool checkout and check-in, the event dispatchers of each new object) cost
    # about as much CPU as SQLite needs for the whole booking. On a SQLite file the writers queue for one
    # lock anyway, so a couple of sessions, each bound to its own connection, are kept and reused: the
    # transaction still begins (BEGIN IMMEDIATE) and commits or rolls back per unit of work, and `close()`
    # leaves the session empty. A session whose unit of work failed is not reused (its connection goes back to
    # the pool, which resets it); with all kept sessions busy, a unit of work takes the pool path as before.
    # PostgreSQL keeps the pool path: its checkout pings the server (pool_pre_ping), so a dropped connection
    # is replaced before the message rather than failing it.
    WARM_SESSIONS = 2

    def _warm_session(self) -> Session | None:
        try:
            return self._warm.pop()
        except IndexError:
            pass
        engine = self.engine
        if engine.dialect.name != "sqlite" or not isinstance(engine.pool, QueuePool):
            return None  # PostgreSQL (see above); SQLite in memory (one connection per thread or a static one)
        with self._warm_lock:
            if self._warm_made >= self.WARM_SESSIONS:
                return None
            self._warm_made += 1
        try:
            conn = engine.connect()
        except BaseException:
            with self._warm_lock:
                self._warm_made -= 1
            raise
        s = self._sessions(bind=conn)
        s.info["_warm"] = (engine, self._warm_gen)
        return s

    def _put_warm(self, s: Session, *, keep: bool) -> None:
        """Back to the idle list after its unit of work (the transaction has ended), or closed with its connection."""
        mark = s.info.get("_warm")
        conn = s.bind
        try:
            if keep and not s.in_transaction():
                # committed: what `close()` would still do is forget the objects loaded (most messages load none)
                if s.identity_map:
                    s.expunge_all()
            else:
                s.close()
        except BaseException:
            keep = False
            raise
        finally:
            s.info.clear()
            if keep and mark == (self.engine, self._warm_gen) and not conn.closed and not conn.invalidated \
                    and not conn.in_transaction() and not conn.connection.dbapi_connection.in_transaction:
                s.info["_warm"] = mark
                self._warm.append(s)
            else:
                with self._warm_lock:
                    self._warm_made -= 1
                conn.close()

    @property
    def in_unit_of_work(self) -> bool:
        return self._current.get() is not None

    def dispose(self) -> None:
        if self.guard is not None:
            self.guard.close()
        self._close_warm()
        self.engine.dispose()

    def _close_warm(self) -> None:
        with self._warm_lock:
            self._warm_gen += 1  # the kept sessions busy right now are closed when they come back
        while True:
            try:
                s = self._warm.pop()
            except IndexError:
                break
            conn = s.bind
            s.info.clear()
            s.close()
            conn.close()
            with self._warm_lock:
                self._warm_made -= 1

    # migrations ---------------------------------------------------------------------------
    def _alembic_config(self):
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
        cfg.attributes["engine"] = self.engine
        return cfg

    def current_revision(self) -> str | None:
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def head_revision(self) -> str:
        from alembic.script import ScriptDirectory

        return ScriptDirectory.from_config(self._alembic_config()).get_current_head()

    def migrate(self) -> None:
        """Bring the schema to the newest revision; refuse a database newer than this code."""
        from alembic import command
        from alembic.script import ScriptDirectory

        script = ScriptDirectory.from_config(self._alembic_config())
        current = self.current_revision()
        if current is not None:
            try:
                script.get_revision(current)
            except Exception:
                raise DatabaseTooNew(
                    f"the database is at schema revision {current}, which this deskbot does not know: "
                    "it was upgraded by a newer version. Run the newer deskbot or restore a backup."
                ) from None
        command.upgrade(self._alembic_config(), "head")

    def ping(self) -> bool:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
