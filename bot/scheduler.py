"""Scheduler and outbox delivery (see docs/delivery.md for the guarantees).

Three layers, each usable on its own:

* `Delivery` claims due outbox rows with a lease (``claimed_by`` / ``claimed_until``; on PostgreSQL
  ``SELECT ... FOR UPDATE SKIP LOCKED``) in a short transaction, renders them (`bot.notices`), sends
  them outside any transaction -- concurrently across chats, in order within one chat -- and marks
  each row right after its send: ``sent``, retried with exponential backoff, ``dead`` or ``cancelled``.
* `Periodic.run_due(now)` does the periodic work that is due at ``now``: no-show release, operator
  digests, nudges, contingent alerts, monthly reports, employer copies, personal reminder times.
  Every piece is idempotent (unique outbox dedupe keys, conditional updates), so calling it every
  minute, twice, from two instances, or late after a crash never sends anything twice.
* `Scheduler` (production, APScheduler `AsyncIOScheduler`) and `TerminalDriver` (`deskbot chat`,
  tests) both call those plain functions; tests move a `FixedClock` and never wait.

Times: all fire times are local wall-clock times (Europe/Berlin) turned into aware datetimes with
zoneinfo and compared in UTC, so DST nights neither skip nor repeat a job (a 02:30 time on the
spring-forward night fires at 03:30 CEST; on the fall-back night it fires at the first 02:30).
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
import threading
import uuid
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import or_, select, update

from bot.notices import RowView, Skip, notice_enabled, render
from bot.storage.models import Identity, Member, Outbox
from bot.transport import RecipientGone, RetryLater

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BACKOFF_BASE = 10.0  # seconds; attempt n waits BACKOFF_BASE * 2**(n-1), capped, +-20 % jitter
BACKOFF_CAP = 3600.0
LEASE = timedelta(seconds=120)  # longer than any send may take (transports cap their waits at 30 s)
SEND_TIMEOUT = 90.0  # a send that hangs longer is abandoned (and retried) before the lease runs out


def _utc(dt: datetime) -> datetime:
    return dt.astimezone(timezone.utc)


def default_worker_id() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def backoff_seconds(attempts: int) -> float:
    """Wait before the next try after `attempts` failures."""
    base = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, attempts - 1))
    return base * random.uniform(0.8, 1.2)


# ---------------------------------------------------------------------------------------------
# delivery


@dataclass(slots=True)
class Target:
    transport: str
    chat_id: str
    identity_id: int | None


@dataclass(slots=True)
class DeliveryStats:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    dead: int = 0
    cancelled: int = 0

    def add(self, other: DeliveryStats) -> None:
        for k in ("claimed", "sent", "retried", "dead", "cancelled"):
            setattr(self, k, getattr(self, k) + getattr(other, k))


class Delivery:
    """Sends due outbox rows through the transports. Safe to run in several processes at once."""

    def __init__(self, core, transports: dict, *, worker_id: str | None = None, concurrency: int = 16, batch: int = 100,
                 lease: timedelta = LEASE, max_attempts: int = MAX_ATTEMPTS, send_timeout: float = SEND_TIMEOUT,
                 drafters: dict | None = None) -> None:
        if drafters is None:
            from bot.features import default_routers
            from bot.router import Routes

            drafters = Routes.merge(default_routers()).notices
        self.drafters = drafters
        self.core = core
        self.transports = dict(transports)
        self.worker_id = worker_id or default_worker_id()
        self.concurrency = max(1, concurrency)
        self.batch = max(1, batch)
        self.lease = lease
        self.max_attempts = max_attempts
        self.send_timeout = send_timeout
        self.stopping = False

    # --- claim ----------------------------------------------------------------------------
    def claim(self, now: datetime) -> list[RowView]:
        """Lease up to `batch` due rows to this worker, in one short transaction."""
        now_u = _utc(now)
        db = self.core.db
        with db.session() as s:
            q = (
                select(Outbox)
                .where(
                    Outbox.status == "pending",
                    Outbox.due_at <= now_u,
                    or_(Outbox.next_retry_at.is_(None), Outbox.next_retry_at <= now_u),
                    or_(Outbox.claimed_until.is_(None), Outbox.claimed_until < now_u),
                )
                .order_by(Outbox.due_at, Outbox.id)
                .limit(self.batch)
            )
            if db.is_postgres:
                q = q.with_for_update(skip_locked=True)
            rows = s.scalars(q).all()
            if not rows:
                return []
            until = now_u + self.lease
            ids = [r.id for r in rows]
            s.execute(update(Outbox).where(Outbox.id.in_(ids)).values(claimed_by=self.worker_id, claimed_until=until))
            return [RowView(r.id, r.kind, r.dedupe_key, r.recipient_member_id, r.transport, r.chat_id, dict(r.payload or {}),
                            r.booking_id, r.due_at, r.attempts) for r in rows]

    # --- recipient, prefs, text -----------------------------------------------------------
    def prepare(self, row: RowView, now: datetime) -> tuple[Target, Any] | tuple[str, str]:
        """(Target, Reply) to send, or (final status, reason) / ("fail", reason) without sending."""
        lang = self.core.settings.default_language
        member_id = row.member_id
        with self.core.db.session() as s:
            if member_id is not None:
                m = s.get(Member, member_id)
                if m is None or m.deleted_at is not None:
                    return "cancelled", "member erased"
                if not notice_enabled(m.prefs, row.kind):
                    return "cancelled", "switched off by the member"
                lang = m.lang or lang
                q = select(Identity).where(Identity.member_id == member_id, Identity.blocked_at.is_(None))
                if row.transport:
                    q = q.where(Identity.transport == row.transport)
                idents = s.scalars(q.order_by(Identity.last_used_at.desc().nulls_last(), Identity.id.desc())).all()
                if not idents:
                    return "dead", "no reachable chat (blocked the bot or no account)"
                usable = [i for i in idents if i.transport in self.transports]
                if not usable:
                    return "fail", f"no running transport for {sorted({i.transport for i in idents})}"
                ident = usable[0]
                target = Target(ident.transport, ident.chat_id, ident.id)
            else:
                if not row.transport or not row.chat_id:
                    return "dead", "row has neither a member nor a chat"
                if row.transport not in self.transports:
                    return "fail", f"transport {row.transport} not running"
                target = Target(row.transport, row.chat_id, None)
        reply = render(self.core, row, lang, now, self.drafters)
        if isinstance(reply, Skip):
            return "cancelled", reply.reason
        return target, reply

    # --- marking --------------------------------------------------------------------------
    def _mark(self, row_id: int, **values) -> None:
        values.setdefault("claimed_by", None)
        values.setdefault("claimed_until", None)
        with self.core.db.session() as s:
            s.execute(update(Outbox).where(Outbox.id == row_id, Outbox.status == "pending").values(**values))

    def _mark_failed(self, row: RowView, error: str, stats: DeliveryStats) -> None:
        attempts = row.attempts + 1
        now = self.core.clock.now()
        if attempts >= self.max_attempts:
            self._mark(row.id, status="dead", attempts=attempts, last_error=error[:2000])
            stats.dead += 1
            log.warning("outbox %s (%s) dead after %d attempts: %s", row.id, row.kind, attempts, error)
        else:
            self._mark(row.id, attempts=attempts, last_error=error[:2000],
                       next_retry_at=now + timedelta(seconds=backoff_seconds(attempts)))
            stats.retried += 1

    def _mark_gone(self, row: RowView, target: Target, error: str, stats: DeliveryStats) -> None:
        now = self.core.clock.now()
        with self.core.db.session() as s:
            if target.identity_id is not None:
                s.execute(update(Identity).where(Identity.id == target.identity_id).values(blocked_at=now))
            else:
                s.execute(update(Identity).where(Identity.transport == target.transport, Identity.chat_id == target.chat_id)
                          .values(blocked_at=now))
            s.execute(update(Outbox).where(Outbox.id == row.id, Outbox.status == "pending").values(
                status="dead", attempts=row.attempts + 1, last_error=f"recipient gone: {error}"[:2000],
                claimed_by=None, claimed_until=None))
        stats.dead += 1

    # --- send -----------------------------------------------------------------------------
    async def _send_one(self, row: RowView, target: Target, reply, stats: DeliveryStats) -> str:
        """Send one row and mark it; returns "sent", "retry" or "gone"."""
        tr = self.transports[target.transport]
        try:
            await asyncio.wait_for(tr.send(target.chat_id, reply, dedupe_key=row.dedupe_key), self.send_timeout)
        except RecipientGone as exc:
            await asyncio.to_thread(self._mark_gone, row, target, str(exc) or type(exc).__name__, stats)
            return "gone"
        except RetryLater as exc:  # rate limit / not the active instance: not a failure, no attempt counted
            wait = max(1.0, float(exc.retry_after or 1.0))
            now = self.core.clock.now()
            await asyncio.to_thread(self._mark, row.id, last_error=f"retry later: {exc}"[:2000],
                                    next_retry_at=now + timedelta(seconds=wait))
            stats.retried += 1
            return "retry"
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # SendError, timeouts, bugs: retry with backoff
            err = f"{type(exc).__name__}: {exc}"
            await asyncio.to_thread(self._mark_failed, row, err, stats)
            return "retry"
        await asyncio.to_thread(self._mark, row.id, status="sent", sent_at=self.core.clock.now(), last_error=None)
        stats.sent += 1
        return "sent"

    async def deliver_due(self, now: datetime | None = None) -> DeliveryStats:
        """Claim one batch of due rows and deliver it. Returns what happened."""
        now = now or self.core.clock.now()
        stats = DeliveryStats()
        rows = await asyncio.to_thread(self.claim, now)
        stats.claimed = len(rows)
        if not rows:
            return stats
        by_target: dict[tuple[str, str], list[tuple[RowView, Target, Any]]] = defaultdict(list)
        for row in rows:
            try:
                prep = await asyncio.to_thread(self.prepare, row, now)
            except Exception as exc:
                log.exception("cannot render outbox row %s (%s)", row.id, row.kind)
                await asyncio.to_thread(self._mark_failed, row, f"render: {type(exc).__name__}: {exc}", stats)
                continue
            if isinstance(prep[0], Target):
                target, reply = prep
                by_target[(target.transport, target.chat_id)].append((row, target, reply))
            else:
                status, reason = prep
                if status == "fail":
                    await asyncio.to_thread(self._mark_failed, row, reason, stats)
                else:
                    await asyncio.to_thread(self._mark, row.id, status=status, last_error=reason)
                    if status == "dead":
                        stats.dead += 1
                    else:
                        stats.cancelled += 1
        sem = asyncio.Semaphore(self.concurrency)

        async def chat_worker(items: list[tuple[RowView, Target, Any]]) -> None:
            async with sem:
                gone = False
                for row, target, reply in items:  # one chat: in order, one at a time
                    if gone:  # the chat is gone: the rest of its batch is not tried
                        await asyncio.to_thread(self._mark, row.id, status="dead", attempts=row.attempts + 1,
                                                last_error="no reachable chat (blocked the bot or no account)")
                        stats.dead += 1
                        continue
                    gone = await self._send_one(row, target, reply, stats) == "gone"

        await asyncio.gather(*(chat_worker(items) for items in by_target.values()))
        return stats

    async def deliver_all(self, now: datetime | None = None, *, max_batches: int = 1000) -> DeliveryStats:
        """Deliver batches until nothing due is left (or we are stopping)."""
        total = DeliveryStats()
        for _ in range(max_batches):
            st = await self.deliver_due(now)
            total.add(st)
            if st.claimed < self.batch or self.stopping:
                break
        return total


# ---------------------------------------------------------------------------------------------
# dead letters (for the admin CLI)


@dataclass(frozen=True, slots=True)
class DeadRow:
    id: int
    kind: str
    dedupe_key: str
    recipient: str  # "member:<id>" or "<transport>:<chat_id>"
    attempts: int
    last_error: str | None
    due_at: datetime
    created_at: datetime

    def as_dict(self) -> dict:
        d = asdict(self)
        d["due_at"] = self.due_at.isoformat()
        d["created_at"] = self.created_at.isoformat()
        return d


def list_dead(core, *, limit: int = 200, kind: str | None = None) -> list[DeadRow]:
    """Outbox rows that gave up (newest first)."""
    with core.db.session() as s:
        q = select(Outbox).where(Outbox.status == "dead").order_by(Outbox.id.desc()).limit(limit)
        if kind:
            q = q.where(Outbox.kind == kind)
        return [DeadRow(r.id, r.kind, r.dedupe_key,
                        f"member:{r.recipient_member_id}" if r.recipient_member_id is not None else f"{r.transport}:{r.chat_id}",
                        r.attempts, r.last_error, r.due_at, r.created_at) for r in s.scalars(q)]


def replay(core, ids: list[int]) -> int:
    """Send dead rows again (from now, attempts reset). Returns how many were requeued. A row whose
    recipient is still blocked goes dead again at once: the member has to write to the bot first."""
    if not ids:
        return 0
    now = core.clock.now()
    with core.db.session() as s:
        res = s.execute(update(Outbox).where(Outbox.id.in_([int(i) for i in ids]), Outbox.status == "dead").values(
            status="pending", attempts=0, next_retry_at=None, claimed_by=None, claimed_until=None, due_at=now,
            last_error=None))
        return res.rowcount or 0


# ---------------------------------------------------------------------------------------------
# periodic work


class Periodic:
    """Everything due at a moment: the jobs the feature routers declare. Each is idempotent; `run_due(now)`
    calls them all."""

    def __init__(self, core, dialogue=None) -> None:
        from bot.features import default_routers
        from bot.router import Routes

        self.core = core
        self.dialogue = dialogue
        self.routes = dialogue.routes if dialogue is not None else Routes.merge(default_routers())

    @property
    def tz(self):
        return self.core.clock.tz

    def run_due(self, now: datetime | None = None) -> dict[str, int]:
        now = (now or self.core.clock.now()).astimezone(self.tz)
        out: dict[str, int] = {}
        for job in self.routes.jobs:
            try:
                out[job.name] = job.run(self.core, now)
            except Exception:  # one broken job must not stop the others
                log.exception("periodic job %s failed", job.name)
                out[job.name] = -1
        return out

    # --- what happens between two moments (for catching up step by step) --------------------
    def fire_times(self, start: datetime, end: datetime) -> list[datetime]:
        """Moments in (start, end] at which some periodic work or a notice falls due, sorted."""
        s_u, e_u = _utc(start), _utc(end)
        times: set[datetime] = set()

        def add(dt: datetime) -> None:
            u = _utc(dt)
            if s_u < u <= e_u:
                times.add(u)

        for job in self.routes.jobs:
            if job.fire_times is not None:
                for dt in job.fire_times(self.core, start, end):
                    add(dt)
        with self.core.db.session() as s:
            for due, retry in s.execute(select(Outbox.due_at, Outbox.next_retry_at).where(Outbox.status == "pending")).all():
                add(max(due, retry or due))
        return sorted(times)


def _minutes(hhmm: str) -> int:
    h, _, m = str(hhmm).partition(":")
    return int(h) * 60 + int(m or 0)


# ---------------------------------------------------------------------------------------------
# production: APScheduler


class Scheduler:
    """Drives `Periodic` (every minute) and `Delivery` (every few seconds) on the running event loop."""

    def __init__(self, core, dialogue, transports: dict, *, worker_id: str | None = None, deliver_every: float = 2.0,
                 tick_every: float = 60.0, concurrency: int = 16, batch: int = 100, lease: timedelta = LEASE) -> None:
        self.core = core
        self.dialogue = dialogue
        self.delivery = Delivery(core, transports, worker_id=worker_id, concurrency=concurrency, batch=batch, lease=lease,
                                 drafters=dialogue.routes.notices if dialogue is not None else None)
        self.periodic = Periodic(core, dialogue)
        self.deliver_every = deliver_every
        self.tick_every = tick_every
        self._aps = None
        self._deliver_lock = asyncio.Lock()
        self._tasks: set[asyncio.Task] = set()
        self.last_tick: float | None = None  # monotonic time of the last finished delivery round

    def alive(self) -> bool:
        """For /healthz: APScheduler runs and a delivery round finished recently."""
        import time as _t

        if self._aps is None or not self._aps.running:
            return False
        if self.last_tick is None:
            return True  # just started
        return _t.monotonic() - self.last_tick < max(30.0, 10 * self.deliver_every)

    async def start(self) -> None:
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        tz = self.core.clock.tz
        self.delivery.stopping = False
        self._aps = AsyncIOScheduler(timezone=tz, job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30})
        now = datetime.now(tz)
        self._aps.add_job(self._deliver_job, "interval", seconds=self.deliver_every, id="deliver", next_run_time=now)
        self._aps.add_job(self._tick_job, "interval", seconds=self.tick_every, id="tick", next_run_time=now)
        self._aps.start()
        log.info("scheduler started (worker %s)", self.delivery.worker_id)

    async def _run_tracked(self, coro) -> Any:
        # shielded: APScheduler cancels running jobs on shutdown; a send in flight must finish and be marked
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            if not self.delivery.stopping:
                raise
            # the shutdown cancelled the job that waits, not the work: `stop()` awaits that; a job that re-raised
            # here would be logged by APScheduler as failed, with a traceback. The work may also have finished in
            # the same loop turn as the cancellation: then its own outcome counts (its error reaches the job)
            if task.done() and not task.cancelled():
                return task.result()
            return None

    async def _deliver(self) -> DeliveryStats:
        import time as _t

        async with self._deliver_lock:
            stats = await self.delivery.deliver_all(self.core.clock.now())
        self.last_tick = _t.monotonic()
        return stats

    async def _deliver_job(self) -> None:
        if self.delivery.stopping:
            return
        try:
            await self._run_tracked(self._deliver())
        except Exception:
            log.exception("delivery failed")

    async def _tick(self) -> None:
        await asyncio.to_thread(self.periodic.run_due, self.core.clock.now())
        if not self.delivery.stopping:
            await self._deliver()

    async def _tick_job(self) -> None:
        if self.delivery.stopping:
            return
        try:
            await self._run_tracked(self._tick())
        except Exception:
            log.exception("periodic work failed")

    async def stop(self) -> None:
        """Stop taking new work; let the batch in flight finish and be marked."""
        self.delivery.stopping = True
        if self._aps is not None and self._aps.running:
            self._aps.shutdown(wait=False)
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        log.info("scheduler stopped")


# ---------------------------------------------------------------------------------------------
# terminal / tests: the same work, synchronously, with a movable clock


def _run_sync(coro):
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["v"] = asyncio.run(coro)
        except BaseException as exc:  # pragma: no cover - re-raised below
            box["e"] = exc

    th = threading.Thread(target=target)
    th.start()
    th.join()
    if "e" in box:
        raise box["e"]
    return box.get("v")


@dataclass
class TerminalDriver:
    """For `deskbot chat` and tests: `pump()` delivers what is due now, `catch_up(now)` replays the
    periodic work between the previous clock time and `now` step by step, then delivers."""

    core: Any
    dialogue: Any
    transports: dict
    worker_id: str = "terminal"
    max_steps: int = 5000
    delivery: Delivery = field(init=False)
    periodic: Periodic = field(init=False)
    _last: datetime = field(init=False)

    def __post_init__(self) -> None:
        self.delivery = Delivery(self.core, self.transports, worker_id=self.worker_id, concurrency=8,
                                 drafters=self.dialogue.routes.notices if self.dialogue is not None else None)
        self.periodic = Periodic(self.core, self.dialogue)
        self._last = self.core.clock.now()

    def _step(self, at: datetime) -> DeliveryStats:
        self.periodic.run_due(at)
        return _run_sync(self.delivery.deliver_all(at))

    def pump(self) -> DeliveryStats:
        """Deliver everything due at the clock's current time (after a message)."""
        now = self.core.clock.now()
        if _utc(now) > _utc(self._last):
            return self.catch_up(now)
        return self._step(now)

    def catch_up(self, now: datetime) -> DeliveryStats:
        """Run, in order, all work that falls due between the previous clock time and `now`."""
        clock = self.core.clock
        now = now if now.tzinfo else now.replace(tzinfo=clock.tz)
        total = DeliveryStats()
        start = self._last
        can_set = hasattr(clock, "set")
        if can_set and _utc(now) > _utc(start):
            cursor = start
            for _ in range(self.max_steps):
                steps = self.periodic.fire_times(cursor, now)
                if not steps:
                    break
                at = steps[0].astimezone(clock.tz)
                clock.set(at)
                total.add(self._step(at))
                cursor = at
            clock.set(now)
        total.add(self._step(now))
        self._last = now
        return total

    def run_due(self, now: datetime | None = None) -> dict[str, int]:
        return self.periodic.run_due(now or self.core.clock.now())
