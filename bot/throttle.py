"""Throttles: the per-member flood window (incoming) and the messenger's shared send budget (outgoing).

`FloodWindow`: a sliding one-minute window of message times, in memory of one process (per `Dialogue`);
buttons are not counted. Above the limit a message is dropped, and the member is told to slow down at
most once per window, not once per message.

`PgSendBudget`: the bot token's send budget (Telegram: ~30 messages/s per bot, 1/s per chat) kept in
PostgreSQL, so several instances behind a load balancer together stay within it (docs/delivery.md,
"Several instances").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from threading import Lock

log = logging.getLogger(__name__)


class FloodWindow:
    """Sliding window of message times per member."""

    def __init__(self, limit: int, window: float = 60.0) -> None:
        self.limit = limit
        self.window = window
        self._lock = Lock()
        self._seen: dict[int, deque[float]] = {}
        self._warned: dict[int, float] = {}

    def allow(self, member_id: int, at: float) -> bool:
        """Count this message; False once the member sent `limit` messages within the window."""
        with self._lock:
            q = self._seen.setdefault(member_id, deque())
            while q and q[0] <= at - self.window:
                q.popleft()
            if len(q) >= self.limit:
                return False
            q.append(at)
            if len(self._seen) > 50_000:  # forget idle members now and then
                for mid in [k for k, v in self._seen.items() if not v or v[-1] <= at - self.window]:
                    del self._seen[mid]
                    self._warned.pop(mid, None)
            return True

    def should_warn(self, member_id: int, at: float) -> bool:
        """True for the first throttled message of a window (one "slow down" reply, then silence)."""
        with self._lock:
            last = self._warned.get(member_id)
            if last is not None and at - last < self.window:
                return False
            self._warned[member_id] = at
            return True


# ---------------------------------------------------------------------------------------------
# the messenger's send budget, shared by every instance on one PostgreSQL database

# The function ``send_budget_take`` (migration 0009) decides a batch of sends in one call: it locks the
# bot's row (every instance's decisions are serialised on it, for well under a millisecond), and for each
# request in order checks the bot-wide cell rate (GCRA: ``tat`` is the theoretical arrival time, in
# microseconds of the database's clock) and the chat's own; a send that conforms to both is granted (0)
# and both ``tat`` move on by one interval. A refused send gets the wait until it would conform:
# positive = the chat's budget, negative = the bot-wide one. A bulk send needs ``reserve`` microseconds
# of the bot-wide burst left, so interactive replies always find some burst free and bulk gets only what
# the replies leave.
# A 429 pause or late answers (`PgSendBudget.move_ahead`): each row's ``tat`` to at least now + its microseconds.
_AHEAD_SQL = (
    "INSERT INTO send_budget (bucket, tat) SELECT k, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint + d"
    " FROM unnest(%s::text[], %s::bigint[]) WITH ORDINALITY AS t(k, d, n) ORDER BY n"
    " ON CONFLICT (bucket) DO UPDATE SET tat = greatest(send_budget.tat, excluded.tat)"
)


class BudgetRequest:
    """One send asking for the budget: its chat (None: only the bot-wide budget counts, e.g. an edit), the
    chat's cell interval and burst tolerance (seconds), and whether it is bulk."""

    __slots__ = ("bulk", "chat", "chat_interval", "chat_tau")

    def __init__(self, chat: object | None, chat_interval: float, chat_tau: float, bulk: bool) -> None:
        self.chat = chat
        self.chat_interval = chat_interval
        self.chat_tau = chat_tau
        self.bulk = bulk


class PgSendBudget:
    """The bot token's send budget in PostgreSQL (table ``send_budget``, function ``send_budget_take``,
    migration 0009), so that all instances together stay within Telegram's 30/s per bot and 1/s per chat.

    ``await take(requests)`` returns one number per request: 0.0 = granted (send now; the budget is spent),
    > 0 = the chat's budget allows it only in that many seconds, < 0 = the bot-wide budget allows it only in
    ``-x`` seconds. Nothing is reserved ahead: a grant is for "now", so an instance that dies holds nothing
    and the other instances go on at the full rate at once (the dead one's last grants are at most one
    batch). One dedicated autocommit connection per instance (like the Matrix leader lock); a broken one
    is reopened on the next call, which then raises (the caller waits and asks again).
    """

    def __init__(self, url: str, *, bot: str, global_interval: float, global_tau: float, bulk_reserve: float,
                 connect_timeout: float = 5.0) -> None:
        from bot.handlers.matrix_leader import psycopg_conninfo

        self.conninfo = psycopg_conninfo(url)
        self.bot = bot
        self.gint = round(global_interval * 1e6)
        self.gtau = round(global_tau * 1e6)
        self.reserve = round(bulk_reserve * 1e6)
        self.connect_timeout = connect_timeout
        self.calls = 0
        self.errors = 0
        self._conn = None
        self._lock = None  # asyncio.Lock, made in the loop that uses it

    def key(self, chat: object) -> str:
        return f"{self.bot}:{chat}"

    async def _connection(self):
        import psycopg

        if self._conn is None or self._conn.closed or self._conn.broken:
            if self._conn is not None:
                with contextlib.suppress(Exception):
                    await self._conn.close()
            self._conn = await psycopg.AsyncConnection.connect(
                self.conninfo, autocommit=True, connect_timeout=max(1, int(self.connect_timeout)))
        return self._conn

    async def take(self, requests: list[BudgetRequest]) -> list[float]:
        if not requests:
            return []
        if self._lock is None:
            self._lock = asyncio.Lock()
        keys = [None if r.chat is None else self.key(r.chat) for r in requests]
        params = (self.bot, self.gint, self.gtau, self.reserve, keys,
                  [round(r.chat_interval * 1e6) for r in requests], [round(r.chat_tau * 1e6) for r in requests],
                  [r.bulk for r in requests])
        async with self._lock:
            try:
                conn = await self._connection()
                cur = await conn.execute(
                    "SELECT send_budget_take(%s, %s, %s, %s, %s::text[], %s::bigint[], %s::bigint[], %s::boolean[])",
                    params, prepare=True)
                row = await cur.fetchone()
            except Exception:
                self.errors += 1
                if self._conn is not None:
                    with contextlib.suppress(Exception):
                        await self._conn.close()
                    self._conn = None
                raise
        self.calls += 1
        return [w / 1e6 for w in row[0]]

    async def pause(self, chat: object, seconds: float, chat_tau: float) -> None:
        """Telegram answered 429 for this chat: no instance sends to it for ``seconds``."""
        await self.move_ahead({chat: seconds + chat_tau}, f"pause of chat {chat}")

    async def restamp(self, ahead: dict[object | None, float]) -> None:
        """Sends were answered late (see `FloodLimiter._landed`): the bot's (key None) and these chats' budgets
        move to at least ``ahead`` seconds from now, for every instance."""
        await self.move_ahead(ahead, "late sends")

    async def move_ahead(self, ahead: dict[object | None, float], what: str) -> None:
        """Move the theoretical arrival times of the bot (key None) and of these chats to at least ``ahead``
        seconds from now (never back). The bot's row is always written first (a neutral ``greatest(tat, now)``
        when it is not named), so this locks rows in the same order as ``send_budget_take`` and cannot deadlock
        with it. A database that cannot be reached is logged: the instance's own budgets have moved anyway."""
        keys = [self.bot] + [self.key(c) for c in ahead if c is not None]
        us = [round(ahead.get(None, 0.0) * 1e6)] + [round(d * 1e6) for c, d in ahead.items() if c is not None]
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            try:
                conn = await self._connection()
                await conn.execute(_AHEAD_SQL, (keys, us))
            except Exception as exc:  # noqa: BLE001 - the local budgets have moved; the next take still checks
                log.warning("send budget: %s not shared: %s", what, exc)

    async def close(self) -> None:
        self._lock = None  # a later start may run in another event loop
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()
