"""Fair pacing of the Telegram transport's sends (a python-telegram-bot `BaseRateLimiter`).

Telegram allows about 30 messages per second per bot token, 1 per second in a private chat (a short
burst of about 3 is tolerated) and 20 per minute in a group. Every Bot API call of the transport goes
through `FloodLimiter.process_request`:

* Message-creating calls (sendMessage, sendDocument, sendPhoto, ...) take a ticket in their chat's
  queue, one FIFO per (chat, class). Class 0 are interactive replies, class 1 bulk (`send()`, i.e. the
  scheduler's outbox: notices, reminders). The dispatcher grants tickets one at a time within the
  bot-wide budget and picks, among the chats whose own budget allows a send now, the ticket with the
  lowest (class, round): a chat's k-th part since its backlog was last empty is in round k (the
  transport numbers the parts of its replies, ``SendPolicy.round``), so every chat's first part goes
  out before anyone's second part (round robin), and bulk only gets what the interactive replies leave.
  A bulk send never takes a chat's last cell of its burst (a private chat: a notice goes only when the
  chat's burst of 2 is full), so a reply right after a notice is not made to wait for the chat.
  Within a chat and class the order is kept.
* Edits (editMessageText, ...) take a ticket too (class 0) but only count against the bot-wide budget.
* Everything else (getUpdates, answerCallbackQuery, setMyCommands, ...) is not paced.

Late answers: at most ``max_in_flight`` (12) granted sends are unanswered at a time, and a send answered
more than ``late_after`` (0.25 s) after its grant is counted as taken when answered (with the ones still in
flight): Telegram counts a message when it arrives, so what a stalled link delivers at once must not be
followed by a fresh burst (docs/delivery.md, "Late answers").

On a 429 the chat (for chat-less calls: nothing, the caller decides) is paused for ``retry_after`` and
the ticket goes back to the head of its queue, keeping its round, so no other chat is held up. No
delay is added beyond these limits: with an empty queue a send is granted at once.

Several instances (PostgreSQL): the limits are per bot token, not per process, so with a `PgSendBudget`
(bot/throttle.py) every grant is also drawn from one budget in the database: the dispatcher hands a
batch of the sends it would grant now (in its (class, round) order) to ``send_budget_take``, which grants
those that conform to the bot-wide and the chat's budget there; a refusal says how long until the chat
(another instance sent to it) or the bot (the others used the budget) allows the next one, and the lane
waits exactly that. A bulk send needs ``bulk_reserve`` cells of the bot-wide burst left, so interactive
replies of any instance go before the bulk of all of them. A 429 pauses the chat for every instance.

``SendPolicy.deadline`` bounds the wait: a ticket that cannot be granted before it ends raises
`RetryAfter` without sending (the outbox reschedules; an interactive reply stays in the outbox).
``abort_waiting()`` (at stop, after the stop grace) ends every waiting ticket the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
import heapq
import itertools
import logging
import math
import warnings
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.throttle import BudgetRequest, PgSendBudget

log = logging.getLogger("bot.handlers.telegram")

SEND_ENDPOINTS = frozenset({"sendMessage", "sendDocument", "sendPhoto", "sendMediaGroup", "copyMessage", "forwardMessage"})
EDIT_ENDPOINTS = frozenset({"editMessageText", "editMessageReplyMarkup", "editMessageCaption", "deleteMessage"})


@dataclass(frozen=True)
class FloodLimits:
    global_per_s: float = 30.0
    global_burst: int = 25  # of Telegram's ~30: a few cells of slack against network jitter
    bulk_per_s: float = 30.0  # bulk (`send()`) may use the whole budget the interactive replies leave
    private_per_s: float = 1.0
    private_burst: int = 2  # Telegram tolerates ~3: one cell of slack against network jitter
    group_per_min: float = 20.0
    group_burst: int = 20
    safety: float = 1.03  # space requests slightly wider than the nominal rate
    bulk_reserve: int = 10  # shared budget only: cells of the bot-wide burst that bulk leaves to the replies
    # sends granted but not yet answered, at most: a link that stalls (or a Telegram front end that queues) hands
    # on at most this many at once, so with two instances together still under Telegram's burst of ~30; at a
    # ~100 ms round trip 12 allow ~120 sends/s, four times the budget (no wait is added)
    max_in_flight: int = 12
    late_after: float = 0.25  # a send answered later than this after its grant is counted as sent when answered


@dataclass(frozen=True)
class SendPolicy:
    """Passed as PTB's ``rate_limit_args``."""

    bulk: bool = False
    deadline: float | None = None  # loop time; a wait beyond it -> RetryAfter raised without sending
    max_429_retries: int = 8
    round: int | None = None  # the part's place in its chat's current backlog (1 = the first); None: count it here


INTERACTIVE = SendPolicy()


def retry_after_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ra = exc.retry_after
    return ra.total_seconds() if isinstance(ra, dtm.timedelta) else float(ra)


def _retry_after(seconds: float) -> RetryAfter:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return RetryAfter(max(1, math.ceil(seconds)))


class _Gcra:
    """Generic cell rate algorithm (a token bucket): ``ready(now)`` is when the next cell may go."""

    __slots__ = ("inflight", "interval", "tat", "tau")

    def __init__(self, per_s: float, burst: int, safety: float) -> None:
        self.interval = safety / per_s
        self.tau = (max(1, burst) - 1) * self.interval
        self.tat = 0.0
        self.inflight = 0  # granted, not yet answered

    def landed_late(self, done: float) -> float:
        """A send granted a while ago was answered only at ``done``: Telegram counted it somewhere up to then,
        so count it (and the ones still in flight) as taken at ``done``. Returns how far ``tat`` moved."""
        t = done + self.interval * (self.inflight + 1)
        moved = t - self.tat
        if moved > 0:
            self.tat = t
        return max(0.0, moved)

    def ready(self, now: float) -> float:
        return max(now, self.tat - self.tau)

    def bulk_tau(self) -> float:
        """Bulk leaves one cell of the burst to interactive replies: a notice never takes a chat's last cell."""
        return self.tau - min(self.interval, self.tau)

    def ready_tau(self, bulk: bool) -> float:
        return self.bulk_tau() if bulk else self.tau

    def ready_for(self, now: float, bulk: bool) -> float:
        return max(now, self.tat - self.ready_tau(bulk))

    def take(self, now: float) -> None:
        self.tat = max(self.tat, now) + self.interval

    def pause_until(self, t: float) -> None:
        self.tat = max(self.tat, t + self.tau)


class _Ticket:
    __slots__ = ("bulk", "future", "granted_at", "lane", "round", "seq")

    def __init__(self, lane: _Lane, rnd: int, seq: int, future: asyncio.Future, bulk: bool) -> None:
        self.lane = lane
        self.round = rnd
        self.seq = seq
        self.future = future
        self.bulk = bulk
        self.granted_at: float | None = None  # loop time the budget was counted for it


class _Lane:
    """One FIFO of tickets: a (chat, class), or the edits of a class (no per-chat budget)."""

    __slots__ = ("chat", "claiming", "cls", "key", "last_round", "queue", "scheduled")

    def __init__(self, key: Any, cls: int, chat: _Gcra | None) -> None:
        self.key = key
        self.cls = cls
        self.chat = chat
        self.queue: deque[_Ticket] = deque()
        self.last_round = 0
        self.scheduled = False  # its head is in the ready or the waiting heap
        self.claiming = False  # its head is being asked for in the shared budget


class FloodLimiter(BaseRateLimiter[SendPolicy]):
    """Paces sends below Telegram's limits, fairly across chats (see module doc)."""

    def __init__(self, limits: FloodLimits | None = None, budget: PgSendBudget | None = None) -> None:
        self.limits = limits or FloodLimits()
        self.budget = budget  # None: this process is the only sender (SQLite: one instance)
        self.shared_batch = 16  # sends asked for in one round trip to the shared budget
        self.shared_refused = 0  # sends the shared budget made wait (another instance had used it)
        self._shared_at = [0.0, 0.0]  # per class: the shared bot-wide budget allows the next send then
        self.hits_429 = 0
        self.granted = 0
        self.landed_late = 0  # sends answered later than limits.late_after after their grant
        self._restamps: dict[Any, float] = {}  # shared budget: what late answers moved, not yet written
        self._restamp_task: asyncio.Task | None = None
        self.stop_grace = 5.0
        self._global: _Gcra
        self._bulk: _Gcra
        self._chats: dict[Any, _Gcra] = {}
        self._lanes: dict[tuple[Any, int, bool], _Lane] = {}
        self._seq = itertools.count()
        self._ready: list[tuple[int, int, int, _Lane]] = []  # (cls, round, seq, lane)
        self._waiting: list[tuple[float, int, _Lane]] = []  # (chat ready time, seq, lane)
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task | None = None
        self._aborting = False
        self._stop_at: float | None = None
        self._reset()

    def _reset(self) -> None:
        lim = self.limits
        self._global = _Gcra(lim.global_per_s, min(lim.global_burst, max(1, int(lim.global_per_s))), lim.safety)
        self._bulk = _Gcra(lim.bulk_per_s, max(1, int(lim.bulk_per_s)), lim.safety)
        self._chats.clear()

    async def initialize(self) -> None:
        self._aborting = False
        self._stop_at = None

    async def shutdown(self) -> None:
        self.abort_waiting()
        if self._restamp_task is not None and not self._restamp_task.done():
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(self._restamp_task, 2.0)
        self._restamp_task = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task
            self._task = None
        if self.budget is not None:
            await self.budget.close()

    def share(self, url: str, bot: str) -> PgSendBudget:
        """Draw every send from the budget of bot ``bot`` in this PostgreSQL database (migration 0009)."""
        g = self._global
        self.budget = PgSendBudget(url, bot=bot, global_interval=g.interval, global_tau=g.tau,
                                   bulk_reserve=min(self.limits.bulk_reserve * g.interval, g.tau))
        return self.budget

    # ------------------------------------------------------------------ budgets

    @staticmethod
    def _is_private(chat_id: Any) -> bool:
        try:
            return int(chat_id) > 0
        except (TypeError, ValueError):
            return False  # "@channel" usernames

    def _chat(self, chat_id: Any) -> _Gcra:
        g = self._chats.get(chat_id)
        if g is None:
            if len(self._chats) > 8192:  # forget idle chats
                now = asyncio.get_running_loop().time()
                busy = {lane.key for lane in self._lanes.values()}
                for k in [k for k, v in self._chats.items() if v.tat < now and k not in busy]:
                    del self._chats[k]
            lim = self.limits
            if self._is_private(chat_id):
                g = _Gcra(lim.private_per_s, lim.private_burst, lim.safety)
            else:
                g = _Gcra(lim.group_per_min / 60.0, lim.group_burst, lim.safety)
            self._chats[chat_id] = g
        return g

    def chat_ready_in(self, chat_id: Any) -> float:
        """Seconds until this chat may get its next message (0: now)."""
        now = asyncio.get_running_loop().time()
        return max(0.0, self._chat(chat_id).ready(now) - now)

    def backlog(self) -> int:
        return sum(len(lane.queue) for lane in self._lanes.values())

    # ------------------------------------------------------------------ the dispatcher

    def _schedule(self, lane: _Lane, now: float) -> None:
        """Put the lane's head into the ready heap (its chat may send now) or the waiting heap."""
        if lane.scheduled or lane.claiming or not lane.queue:
            return
        lane.scheduled = True
        head = lane.queue[0]
        t = lane.chat.ready_for(now, lane.cls == 1) if lane.chat is not None else now
        if t <= now:
            heapq.heappush(self._ready, (lane.cls, head.round, head.seq, lane))
        else:
            heapq.heappush(self._waiting, (t, head.seq, lane))

    def _kick(self) -> None:
        if self._wake is None:
            self._wake = asyncio.Event()
        self._wake.set()
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="telegram-sender")

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        assert self._wake is not None
        while True:
            now = loop.time()
            while self._waiting and self._waiting[0][0] <= now:  # chats whose budget came back
                _, _, lane = heapq.heappop(self._waiting)
                lane.scheduled = False
                self._schedule(lane, now)
            if self._ready and self._global.inflight >= self.limits.max_in_flight:
                wait = None  # an answer (`_landed`) wakes the dispatcher
            elif self._ready:
                wait = self._global.ready(now) - now
                if wait <= 0 and self.budget is not None:
                    await self._claim_shared(now)
                    continue
                if wait <= 0:
                    cls, _rnd, seq, lane = heapq.heappop(self._ready)
                    lane.scheduled = False
                    if lane.chat is not None and lane.chat.ready_for(now, cls == 1) > now:  # paused by a 429 meanwhile
                        self._schedule(lane, now)
                        continue
                    if cls == 1 and self._bulk.ready(now) > now:
                        lane.scheduled = True
                        heapq.heappush(self._waiting, (self._bulk.ready(now), seq, lane))
                        continue
                    if not lane.queue:
                        continue
                    ticket = lane.queue.popleft()
                    self._grant(ticket, now)
                    self._schedule(lane, now)
                    continue
            else:
                wait = (self._waiting[0][0] - now) if self._waiting else None
            if wait is None and not any(lane.queue for lane in self._lanes.values()):
                self._gc_lanes()
            self._wake.clear()
            if wait is None:
                await self._wake.wait()
            else:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), wait)

    async def _claim_shared(self, now: float) -> None:
        """Ask the shared budget for the sends this process would grant now (a batch, in (class, round)
        order), grant what it allows, and let each refused lane wait exactly as long as it says."""
        g = self._global
        room, t = 0, max(g.tat, now)
        most = min(self.shared_batch, self.limits.max_in_flight - g.inflight)
        while room < most and t - g.tau <= now:  # what the local budget allows at once
            room += 1
            t += g.interval
        batch: list[_Lane] = []
        while self._ready and len(batch) < room:
            cls, _rnd, seq, lane = heapq.heappop(self._ready)
            lane.scheduled = False
            while lane.queue and lane.queue[0].future.done():  # given up while queued
                lane.queue.popleft()
            if not lane.queue:
                continue
            if lane.chat is not None and lane.chat.ready_for(now, cls == 1) > now:  # paused by a 429 meanwhile
                self._schedule(lane, now)
                continue
            blocked = max(self._shared_at[cls], self._bulk.ready(now) if cls == 1 else 0.0)
            if blocked > now:
                lane.scheduled = True
                heapq.heappush(self._waiting, (blocked, seq, lane))
                continue
            lane.claiming = True
            batch.append(lane)
        if not batch:
            return
        reqs = [BudgetRequest(lane.key if lane.chat is not None else None,
                              lane.chat.interval if lane.chat is not None else 0.0,
                              lane.chat.ready_tau(lane.cls == 1) if lane.chat is not None else 0.0, lane.cls == 1)
                for lane in batch]
        assert self.budget is not None
        try:
            waits = await self.budget.take(reqs)
        except Exception as exc:  # noqa: BLE001 - the database is away: nobody sends, ask again shortly
            if getattr(exc, "sqlstate", None) in ("42883", "42P01"):  # no send_budget_take / table: not migrated
                log.error("telegram: the database has no shared send budget (migration 0009 missing: %s); this "
                          "instance now paces only itself", exc)  # fmt: skip
                self.budget = None
                waits = [0.0] * len(batch)
            else:
                log.warning("telegram: shared send budget unavailable (%s); asking again in 0.5 s", exc)
                waits = [-0.5] * len(batch)
        t = asyncio.get_running_loop().time()  # waits count from the database's answer: a little conservative
        for lane, w in zip(batch, waits, strict=True):
            lane.claiming = False
            if w == 0:
                while lane.queue and lane.queue[0].future.done():
                    lane.queue.popleft()
                if lane.queue:
                    self._grant(lane.queue.popleft(), t, asked=now)
            elif w > 0 and lane.chat is not None:  # another instance sent to this chat
                self.shared_refused += 1
                lane.chat.tat = max(lane.chat.tat, t + w + lane.chat.ready_tau(lane.cls == 1))
            else:  # the other instances used the bot-wide budget (or, for bulk, its reserve)
                self.shared_refused += 1
                until = t + abs(w)
                for c in range(lane.cls, 2):  # a reply refused: bulk is refused too
                    self._shared_at[c] = max(self._shared_at[c], until)
            self._schedule(lane, t)

    def _grant(self, ticket: _Ticket, now: float, asked: float | None = None) -> None:
        """``asked``: when the shared budget was asked (it counted the send at its clock then)."""
        if ticket.future.done():  # given up (deadline, abort) while queued
            return
        self._global.take(now)
        self._global.inflight += 1
        lane = ticket.lane
        if lane.chat is not None:
            lane.chat.take(now)
            lane.chat.inflight += 1
        if ticket.bulk:
            self._bulk.take(now)
        self.granted += 1
        ticket.granted_at = now if asked is None else asked
        ticket.future.set_result(None)

    def _landed(self, ticket: _Ticket) -> None:
        """The send of a granted ticket was answered (or failed). Telegram counts a message when it arrives,
        which can be any time up to now: if that is well after the grant (a stalled link or event loop, a
        slow front end), the budgets count it as taken now, together with the ones still in flight, so that
        what piled up and arrives at once is not followed by a fresh burst. Shared: for every instance."""
        at = self._release(ticket)
        if at is None:
            return
        now = asyncio.get_running_loop().time()
        g, chat = self._global, ticket.lane.chat
        if now - at > self.limits.late_after:
            self.landed_late += 1
            moved = g.landed_late(now) > 0
            if moved and self.budget is not None:
                self._restamps[None] = max(self._restamps.get(None, 0.0), g.tat - now)
            if chat is not None and chat.landed_late(now) > 0 and self.budget is not None:
                key = ticket.lane.key
                self._restamps[key] = max(self._restamps.get(key, 0.0), chat.tat - now)
            if self._restamps and (self._restamp_task is None or self._restamp_task.done()):
                self._restamp_task = asyncio.get_running_loop().create_task(self._write_restamps())

    def _release(self, ticket: _Ticket) -> float | None:
        """A granted ticket's send is over (answered, failed or never made): its in-flight place is free again
        and the dispatcher is woken. Returns when it was granted (None: not granted, or released already)."""
        at, ticket.granted_at = ticket.granted_at, None
        if at is not None:
            self._global.inflight -= 1
            if ticket.lane.chat is not None:
                ticket.lane.chat.inflight -= 1
            if self._wake is not None:
                self._wake.set()
        return at

    async def _write_restamps(self) -> None:
        while self._restamps and self.budget is not None:
            items, self._restamps = self._restamps, {}
            await self.budget.restamp(items)

    def _gc_lanes(self) -> None:
        for k in [k for k, lane in self._lanes.items() if not lane.queue and not lane.scheduled]:
            del self._lanes[k]

    def _lane(self, chat_id: Any, cls: int, paced: bool) -> _Lane:
        key = (chat_id, cls, paced)
        lane = self._lanes.get(key)
        if lane is None:
            lane = self._lanes[key] = _Lane(chat_id, cls, self._chat(chat_id) if paced else None)
        return lane

    async def _acquire(self, chat_id: Any, endpoint: str, policy: SendPolicy, again: _Ticket | None) -> _Ticket:
        loop = asyncio.get_running_loop()
        now = loop.time()
        if self._aborting:
            raise _retry_after(self.stop_grace)
        paced = endpoint in SEND_ENDPOINTS and chat_id is not None
        cls = 1 if policy.bulk else 0
        lane = self._lane(chat_id, cls, paced) if paced else self._lane(None, cls, False)
        if paced and policy.deadline is not None:
            start = lane.chat.ready(now)  # type: ignore[union-attr]
            if start > policy.deadline:
                raise _retry_after(start - now)
        if paced and self._stop_at is not None:
            start = lane.chat.ready(now) + len(lane.queue) * lane.chat.interval  # type: ignore[union-attr]
            if start > self._stop_at:
                raise _retry_after(start - now)
        if again is not None:  # a 429'd ticket goes back to the head, keeping its round
            ticket = _Ticket(lane, again.round, again.seq, loop.create_future(), again.bulk)
            lane.queue.appendleft(ticket)
            if lane.scheduled:  # the heap entry of the old head is stale now
                lane.scheduled = False
                self._ready = [e for e in self._ready if e[3] is not lane]
                self._waiting = [e for e in self._waiting if e[2] is not lane]
                heapq.heapify(self._ready)
                heapq.heapify(self._waiting)
        else:
            # round = the part's place in its chat's backlog: a chat with nothing queued starts at round 1,
            # so every chat's first part goes before anyone's second part
            rnd = policy.round if policy.round is not None else (lane.last_round + 1 if lane.queue else 1)
            lane.last_round = rnd
            ticket = _Ticket(lane, rnd, next(self._seq), loop.create_future(), policy.bulk)
            lane.queue.append(ticket)
        self._schedule(lane, now)
        self._kick()
        fut = ticket.future
        try:
            if policy.deadline is None:
                await fut
            else:
                await asyncio.wait_for(asyncio.shield(fut), max(0.0, policy.deadline - now))
        except TimeoutError:
            if fut.done() and not fut.cancelled() and fut.exception() is None:
                return ticket  # granted just as the deadline passed
            self._drop(ticket)
            left = (lane.chat.ready(loop.time()) - loop.time()) if lane.chat is not None else 1.0
            raise _retry_after(max(1.0, left)) from None
        except asyncio.CancelledError:
            self._drop(ticket)
            raise
        return ticket

    def _drop(self, ticket: _Ticket) -> None:
        self._release(ticket)  # granted, but its caller is gone: nothing was sent
        if not ticket.future.done():
            ticket.future.cancel()
        with contextlib.suppress(ValueError):
            ticket.lane.queue.remove(ticket)

    def begin_stop(self, deadline: float | None = None) -> None:
        """From now on a message that could only go out after ``deadline`` (default: ``stop_grace`` from now)
        is not waited for: its wait ends at once with RetryAfter (an interactive reply stays in the outbox)."""
        now = asyncio.get_running_loop().time()
        self._stop_at = deadline if deadline is not None else now + self.stop_grace
        for lane in self._lanes.values():
            if lane.chat is None:
                continue
            start = lane.chat.ready(now)
            keep: deque[_Ticket] = deque()
            for i, ticket in enumerate(lane.queue):
                if start + i * lane.chat.interval > self._stop_at and not ticket.future.done():
                    ticket.future.set_exception(_retry_after(start + i * lane.chat.interval - now))
                else:
                    keep.append(ticket)
            lane.queue = keep

    def abort_waiting(self) -> None:
        """End every waiting ticket with RetryAfter (stop: what is not sent by now stays in the outbox)."""
        self._aborting = True
        for lane in self._lanes.values():
            for ticket in lane.queue:
                if not ticket.future.done():
                    ticket.future.set_exception(_retry_after(1))
            lane.queue.clear()

    async def process_request(
        self,
        callback: Callable[..., Awaitable[Any]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: SendPolicy | None,
    ) -> Any:
        if endpoint not in SEND_ENDPOINTS and endpoint not in EDIT_ENDPOINTS:
            return await callback(*args, **kwargs)  # not paced; a 429 goes back to the caller
        policy = rate_limit_args or INTERACTIVE
        chat_id = data.get("chat_id")
        with contextlib.suppress(TypeError, ValueError):
            chat_id = int(chat_id)  # type: ignore[arg-type]
        loop = asyncio.get_running_loop()
        attempt = 0
        ticket: _Ticket | None = None
        while True:
            ticket = await self._acquire(chat_id, endpoint, policy, ticket if attempt else None)
            try:
                try:
                    return await callback(*args, **kwargs)
                finally:
                    self._landed(ticket)
            except RetryAfter as exc:
                self.hits_429 += 1
                wait = retry_after_seconds(exc)
                until = loop.time() + wait
                if chat_id is not None:
                    self._chat(chat_id).pause_until(until)
                    if self.budget is not None:  # for every instance
                        await self.budget.pause(chat_id, wait, self._chat(chat_id).tau)
                else:
                    self._global.pause_until(until)
                attempt += 1
                log.info("telegram 429 on %s chat=%s: retry after %.1fs (attempt %d)", endpoint, chat_id, wait, attempt)
                if attempt > policy.max_429_retries or (policy.deadline is not None and until > policy.deadline):
                    raise
                if self._aborting or (self._stop_at is not None and until > self._stop_at):
                    raise


__all__ = ["EDIT_ENDPOINTS", "INTERACTIVE", "SEND_ENDPOINTS", "FloodLimiter", "FloodLimits", "SendPolicy",
           "retry_after_seconds"]
