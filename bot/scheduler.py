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
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import or_, select, update

from bot.notices import RowView, Skip, nudge_prefs, notice_enabled, render
from bot.storage.models import (
    Booking,
    ContingentAccount,
    Employer,
    Identity,
    Member,
    Outbox,
    Role,
    Space,
)
from bot.storage.outbox import enqueue, notify_space
from bot.transport import RecipientGone, RetryLater

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BACKOFF_BASE = 10.0  # seconds; attempt n waits BACKOFF_BASE * 2**(n-1), capped, +-20 % jitter
BACKOFF_CAP = 3600.0
LEASE = timedelta(seconds=120)  # longer than any send may take (transports cap their waits at 30 s)
SEND_TIMEOUT = 90.0  # a send that hangs longer is abandoned (and retried) before the lease runs out
NUDGE_GRACE = timedelta(hours=1)  # a nudge not sent within this after its time is skipped (bot was down)
REPORT_HOUR = 7  # monthly report: 07:00 on the 1st (for the previous month)
REPORT_DAYS = 3  # ... or on the 2nd/3rd if the bot was down on the 1st
WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


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
                 lease: timedelta = LEASE, max_attempts: int = MAX_ATTEMPTS, send_timeout: float = SEND_TIMEOUT) -> None:
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
        reply = render(self.core, row, lang, now)
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
    """Everything due at a moment. Each method is idempotent; `run_due(now)` calls them all."""

    def __init__(self, core, dialogue=None) -> None:
        self.core = core
        self.dialogue = dialogue
        self._retention_day: date | None = None

    @property
    def tz(self):
        return self.core.clock.tz

    def local(self, day: date, hhmm: str | int) -> datetime:
        minute = hhmm if isinstance(hhmm, int) else _minutes(hhmm)
        return datetime.combine(day, time(minute // 60, minute % 60), tzinfo=self.tz)

    def run_due(self, now: datetime | None = None) -> dict[str, int]:
        now = (now or self.core.clock.now()).astimezone(self.tz)
        out: dict[str, int] = {}
        for name in ("release_no_shows", "align_reminders", "digests", "nudges", "contingent_alerts", "monthly_reports",
                     "employer_copies", "retention"):
            try:
                out[name] = getattr(self, name)(now)
            except Exception:  # one broken job must not stop the others
                log.exception("periodic job %s failed", name)
                out[name] = -1
        return out

    # --- retention ------------------------------------------------------------------------
    def retention(self, now: datetime) -> int:
        """Once a day: erase personal data of members inactive longer than DESKBOT_RETENTION_DAYS."""
        if self._retention_day == now.date():
            return 0
        from bot.features.privacy import purge_inactive

        self._retention_day = now.date()
        self.core.members.purge_tokens(now - timedelta(days=1))  # buttons expired for a day or more
        return len(purge_inactive(self.core, now))

    # --- no-shows -------------------------------------------------------------------------
    def release_no_shows(self, now: datetime) -> int:
        return len(self.core.booking.release_no_shows())

    # --- personal reminder time -------------------------------------------------------------
    def align_reminders(self, now: datetime) -> int:
        """Move pending evening reminders to each member's chosen time (booking.py enqueues them at
        the default time), and add the reminder for tomorrow's bookings made after the default time
        when the member's time is still ahead."""
        default = self.core.settings.reminder_evening_time
        now_u = _utc(now)
        changed = 0
        with self.core.db.session() as s:
            custom = {mid: p.get("reminder_time") for mid, p in s.execute(select(Member.id, Member.prefs)).all()
                      if p and p.get("reminder_time") and p.get("reminder_time") != default}
            if not custom:
                return 0
            rows = s.execute(select(Outbox, Booking.day).join(Booking, Booking.id == Outbox.booking_id).where(
                Outbox.status == "pending", Outbox.kind == "reminder_evening", Outbox.claimed_by.is_(None),
                Outbox.recipient_member_id.in_(list(custom)))).all()
            for row, day in rows:
                want = _utc(self.local(day - timedelta(days=1), custom[row.recipient_member_id]))
                if row.due_at != want:
                    row.due_at = want
                    changed += 1
            tomorrow = now.date() + timedelta(days=1)
            for b in s.scalars(select(Booking).where(Booking.day == tomorrow, Booking.status == "confirmed", Booking.seat == 0,
                                                     Booking.member_id.in_(list(custom)))):
                want = self.local(b.day - timedelta(days=1), custom[b.member_id])
                if _utc(want) > now_u:
                    changed += enqueue(s, "reminder_evening", f"rem-eve:{b.id}", due_at=want, now=now, member_id=b.member_id,
                                       booking_id=b.id, payload={"booking_id": b.id})
        return changed

    # --- operator digest ----------------------------------------------------------------------
    def digests(self, now: datetime) -> int:
        """At each space's opening time (once per open day): who comes today, to its operators and groups."""
        today = now.date()
        now_u = _utc(now)
        n = 0
        with self.core.db.session() as s:
            for sp in s.scalars(select(Space).where(Space.active)):
                from bot.booking import opening_of

                opening = opening_of(sp, today)
                if opening is None:
                    continue
                fire, close = self.local(today, opening[0]), self.local(today, opening[1])
                if not (_utc(fire) <= now_u < _utc(close)):
                    continue
                if self.core.booking.closed_reason(s, sp, today):
                    continue
                n += notify_space(s, sp.id, "digest", f"digest:{sp.id}:{today.isoformat()}", now=now, due_at=fire,
                                  payload={"space_id": sp.id, "day": today.isoformat()})
        return n

    # --- nudges -----------------------------------------------------------------------------
    def _usual_spaces(self, s, member_id: int, prefs: dict) -> list[str]:
        chosen = [x for x in (nudge_prefs(prefs).get("spaces") or []) if isinstance(x, str)]
        if chosen:
            return chosen[:3]
        counts: dict[str, int] = {}
        for slug in s.scalars(select(Space.slug).join(Booking, Booking.space_id == Space.id)
                              .where(Booking.member_id == member_id, Booking.seat == 0).order_by(Booking.id.desc()).limit(30)):
            counts[slug] = counts.get(slug, 0) + 1
        return sorted(counts, key=lambda k: -counts[k])[:3]

    def nudges(self, now: datetime) -> int:
        """At each opted-in member's time, the day before one of their weekdays: "tomorrow coworking
        instead of commuting?". Skipped (row kept as `cancelled` with the reason) on NRW holidays,
        when all their usual spaces are closed, or when they have booked that day already."""
        from bot.booking import holiday_name

        today = now.date()
        target = today + timedelta(days=1)
        wd = WEEKDAY_KEYS[target.weekday()]
        now_u = _utc(now)
        n = 0
        with self.core.db.session() as s:
            members = [(mid, p) for mid, p in s.execute(select(Member.id, Member.prefs).where(Member.deleted_at.is_(None))).all()
                       if p and nudge_prefs(p).get("on")]
            for mid, prefs in members:
                np = nudge_prefs(prefs)
                if wd not in (np.get("days") or []):
                    continue
                fire = self.local(today, np.get("time") or "18:30")
                if not (_utc(fire) <= now_u < _utc(fire) + NUDGE_GRACE):  # grace in real time, not wall time
                    continue
                key = f"nudge:{mid}:{target.isoformat()}"
                if s.scalar(select(Outbox.id).where(Outbox.dedupe_key == key)) is not None:
                    continue
                reason = None
                spaces = self._usual_spaces(s, mid, prefs)
                if holiday_name("NW", target):
                    reason = f"holiday: {holiday_name('NW', target)}"
                elif s.scalar(select(Booking.id).where(Booking.member_id == mid, Booking.day == target,
                                                       Booking.status.in_(("confirmed", "checked_in", "waitlisted")))):
                    reason = "already booked"
                else:
                    open_spaces = []
                    for slug in spaces:
                        sp = s.scalar(select(Space).where(Space.slug == slug, Space.active))
                        if sp is not None and not self.core.booking.closed_reason(s, sp, target):
                            open_spaces.append(slug)
                    spaces = open_spaces
                    if not spaces:
                        reason = "usual spaces closed (or none known)"
                added = enqueue(s, "nudge", key, due_at=fire, now=now, member_id=mid,
                                payload={"day": target.isoformat(), "spaces": spaces})
                if added and reason:
                    s.execute(update(Outbox).where(Outbox.dedupe_key == key).values(status="cancelled",
                                                                                    last_error=f"skipped: {reason}"))
                elif added:
                    n += 1
        return n

    # --- contingent alerts ------------------------------------------------------------------
    def contingent_alerts(self, now: datetime) -> int:
        """Tell the employer admins once per account and month when less than `alert_percent` is left."""
        from bot.booking import month_key

        month = month_key(now.date())
        n = 0
        with self.core.db.session() as s:
            # the threshold is checked by the database: only accounts below it are loaded
            left_expr = ContingentAccount.granted_halves - ContingentAccount.used_halves
            rows = s.execute(select(ContingentAccount, Employer).join(Employer, Employer.id == ContingentAccount.employer_id)
                             .where(ContingentAccount.month == month, ContingentAccount.alerted.is_(False),
                                    ContingentAccount.granted_halves > 0,
                                    left_expr * 100 < ContingentAccount.granted_halves * Employer.alert_percent)).all()
            for acct, emp in rows:
                left = acct.granted_halves - acct.used_halves
                res = s.execute(update(ContingentAccount).where(ContingentAccount.id == acct.id,
                                                                ContingentAccount.alerted.is_(False)).values(alerted=True))
                if res.rowcount != 1:
                    continue  # another instance did it
                admins = s.scalars(select(Role.member_id).where(Role.kind == "employer_admin", Role.employer_id == emp.id)).all()
                for admin in admins:
                    n += enqueue(s, "contingent_alert", f"alert:{acct.id}:m{admin}", due_at=now, now=now, member_id=admin,
                                 payload={"account_id": acct.id, "employer_id": emp.id, "scope": acct.scope, "month": month,
                                          "left": left, "granted": acct.granted_halves})
        return n

    # --- monthly report ---------------------------------------------------------------------
    def monthly_reports(self, now: datetime) -> int:
        from bot.reports import previous_month

        today = now.date()
        if today.day > REPORT_DAYS:
            return 0
        first = today.replace(day=1)
        fire = self.local(first, REPORT_HOUR * 60)
        if _utc(now) < _utc(fire):
            return 0
        month = previous_month(first)
        n = 0
        with self.core.db.session() as s:
            for emp in s.scalars(select(Employer).where(Employer.active)):
                admins = s.scalars(select(Role.member_id).where(Role.kind == "employer_admin", Role.employer_id == emp.id)).all()
                for admin in admins:
                    n += enqueue(s, "monthly_report", f"report:{emp.id}:{month}:m{admin}", due_at=fire, now=now,
                                 member_id=admin, payload={"employer_id": emp.id, "month": month})
        return n

    # --- copies to employer admins ----------------------------------------------------------
    def employer_copies(self, now: datetime) -> int:
        """A copy of each booking / cancellation / no-show of an employee to the employer admins who
        switched it on (only changes after they did)."""
        n = 0
        with self.core.db.session() as s:
            admins = s.execute(select(Role.member_id, Role.employer_id, Member.prefs).join(Member, Member.id == Role.member_id)
                               .where(Role.kind == "employer_admin", Member.deleted_at.is_(None))).all()
            wanted: dict[int, list[tuple[int, datetime]]] = defaultdict(list)
            for mid, emp_id, prefs in admins:
                notices = (prefs or {}).get("notices") or {}
                if notices.get("employer_copy"):
                    since = notices.get("employer_copy_since")
                    since_dt = datetime.fromisoformat(since) if since else now - timedelta(days=1)
                    wanted[emp_id].append((mid, since_dt))
            if not wanted:
                return 0
            horizon = _utc(now) - timedelta(days=1)
            for b in s.scalars(select(Booking).where(Booking.employer_id.in_(list(wanted)), Booking.seat == 0,
                                                     Booking.updated_at >= horizon)):
                event = {"confirmed": "booked", "checked_in": "booked", "cancelled": "cancelled", "no_show": "no_show"}.get(b.status)
                if event is None:
                    continue
                for admin, since in wanted[b.employer_id]:
                    if admin == b.member_id or _utc(b.updated_at) <= _utc(since):
                        continue
                    n += enqueue(s, "employer_copy", f"copy:{b.id}:{event}:m{admin}", due_at=now, now=now, member_id=admin,
                                 booking_id=None, payload={"booking_id": b.id, "event": event})
        return n

    # --- what happens between two moments (for catching up step by step) --------------------
    def fire_times(self, start: datetime, end: datetime) -> list[datetime]:
        """Moments in (start, end] at which some periodic work or a notice falls due, sorted."""
        from bot.booking import opening_of

        s_u, e_u = _utc(start), _utc(end)
        times: set[datetime] = set()

        def add(dt: datetime) -> None:
            u = _utc(dt)
            if s_u < u <= e_u:
                times.add(u)

        d0 = start.astimezone(self.tz).date()
        d1 = end.astimezone(self.tz).date()
        days = [d0 + timedelta(days=i) for i in range((d1 - d0).days + 1)]
        with self.core.db.session() as s:
            spaces = s.scalars(select(Space).where(Space.active)).all()
            nudgers = [nudge_prefs(p) for (p,) in s.execute(select(Member.prefs)).all() if p and nudge_prefs(p).get("on")]
            for day in days:
                for sp in spaces:
                    op = opening_of(sp, day)
                    if op:
                        add(self.local(day, op[0]))
                for np in nudgers:
                    add(self.local(day, np.get("time") or "18:30"))
                if day.day == 1:
                    add(self.local(day, REPORT_HOUR * 60))
            for due, retry in s.execute(select(Outbox.due_at, Outbox.next_retry_at).where(Outbox.status == "pending")).all():
                add(max(due, retry or due))
            for b, sp in s.execute(select(Booking, Space).join(Space, Space.id == Booking.space_id).where(
                    Booking.status == "confirmed", Booking.day >= d0, Booking.day <= d1)).all():
                deadline = self.local(b.day, b.start_min) + timedelta(minutes=sp.checkin_deadline_minutes)
                add(min(_utc(deadline), _utc(self.local(b.day, b.end_min))))
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
        from bot import notices

        notices.register()
        self.core = core
        self.dialogue = dialogue
        self.delivery = Delivery(core, transports, worker_id=worker_id, concurrency=concurrency, batch=batch, lease=lease)
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
        return await asyncio.shield(task)

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
        from bot import notices

        notices.register()
        self.delivery = Delivery(self.core, self.transports, worker_id=self.worker_id, concurrency=8)
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
