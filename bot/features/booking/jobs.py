"""The booking feature's periodic work: releasing no-shows, moving evening reminders to each member's
chosen time, and the evening nudge to cowork tomorrow. Each job is idempotent (see bot/scheduler.py)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select, update

from bot.clock import as_utc, local_at
from bot.members import members_with
from bot.notices import nudge_prefs
from bot.router import Job
from bot.storage.models import Booking, Member, Outbox, Space
from bot.storage.outbox import enqueue

WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
NUDGE_GRACE = timedelta(hours=1)  # a nudge not sent within this after its time is skipped (bot was down)


def release_no_shows(core, now: datetime) -> int:
    """Bookings not checked in by the deadline become no-shows; their desks go to the waitlist."""
    return len(core.booking.release_no_shows())


def align_reminders(core, now: datetime) -> int:
    """Move pending evening reminders to each member's chosen time (booking.py enqueues them at
    the default time), and add the reminder for tomorrow's bookings made after the default time
    when the member's time is still ahead."""
    default = core.settings.reminder_evening_time
    now_u = as_utc(now)
    changed = 0
    with core.db.session() as s:
        all_prefs = members_with(s, "reminder")  # the only keys read here: reminder_time, reminder_morning_time
        changed += _align_morning(core, s, all_prefs)
        custom = {mid: p.get("reminder_time") for mid, p in all_prefs
                  if p.get("reminder_time") and p.get("reminder_time") != default}
        if not custom:
            return changed
        rows = s.execute(select(Outbox, Booking.day).join(Booking, Booking.id == Outbox.booking_id).where(
            Outbox.status == "pending", Outbox.kind == "reminder_evening", Outbox.claimed_by.is_(None),
            Outbox.recipient_member_id.in_(list(custom)))).all()
        for row, day in rows:
            want = as_utc(local_at(core.clock.tz, day - timedelta(days=1), custom[row.recipient_member_id]))
            if row.due_at != want:
                row.due_at = want
                changed += 1
        tomorrow = now.date() + timedelta(days=1)
        for b in s.scalars(select(Booking).where(Booking.day == tomorrow, Booking.status == "confirmed", Booking.seat == 0,
                                                 Booking.member_id.in_(list(custom)))):
            want = local_at(core.clock.tz, b.day - timedelta(days=1), custom[b.member_id])
            if as_utc(want) > now_u:
                changed += enqueue(s, "reminder_evening", f"rem-eve:{b.id}", due_at=want, now=now, member_id=b.member_id,
                                   booking_id=b.id, payload={"booking_id": b.id})
    return changed


def _align_morning(core, s, all_prefs) -> int:
    """Pending morning reminders at each member's chosen morning time (never after the booking starts)."""
    custom = {mid: p["reminder_morning_time"] for mid, p in all_prefs if p.get("reminder_morning_time")}
    if not custom:
        return 0
    changed = 0
    rows = s.execute(select(Outbox, Booking.day, Booking.start_min).join(Booking, Booking.id == Outbox.booking_id).where(
        Outbox.status == "pending", Outbox.kind == "reminder_morning", Outbox.claimed_by.is_(None),
        Outbox.recipient_member_id.in_(list(custom)))).all()
    for row, day, start_min in rows:
        h, _, m = custom[row.recipient_member_id].partition(":")
        want = as_utc(local_at(core.clock.tz, day, min(int(h) * 60 + int(m or 0), start_min)))
        if row.due_at != want:
            row.due_at = want
            changed += 1
    return changed


def _usual_spaces(core, s, member_id: int, prefs: dict) -> list[str]:
    chosen = [x for x in (nudge_prefs(prefs).get("spaces") or []) if isinstance(x, str)]
    if chosen:
        return chosen[:3]
    counts: dict[str, int] = {}
    for slug in s.scalars(select(Space.slug).join(Booking, Booking.space_id == Space.id)
                          .where(Booking.member_id == member_id, Booking.seat == 0).order_by(Booking.id.desc()).limit(30)):
        counts[slug] = counts.get(slug, 0) + 1
    return sorted(counts, key=lambda k: -counts[k])[:3]


def nudges(core, now: datetime) -> int:
    """At each opted-in member's time, the day before one of their weekdays: "tomorrow coworking
    instead of commuting?". Skipped (row kept as `cancelled` with the reason) on NRW holidays,
    when all their usual spaces are closed, or when they have booked that day already."""
    today = now.date()
    now_u = as_utc(now)
    n = 0
    with core.db.session() as s:
        members = [(mid, p) for mid, p in members_with(s, "nudge", Member.deleted_at.is_(None)) if nudge_prefs(p).get("on")]
        for mid, prefs in members:
            np = nudge_prefs(prefs)
            fire = local_at(core.clock.tz, today, np.get("time") or "18:30")
            # a morning nudge (05:00-12:00) proposes today, any other tomorrow
            target = today if 5 <= fire.hour < 12 else today + timedelta(days=1)
            if WEEKDAY_KEYS[target.weekday()] not in (np.get("days") or []):
                continue
            if not (as_utc(fire) <= now_u < as_utc(fire) + NUDGE_GRACE):  # grace in real time, not wall time
                continue
            key = f"nudge:{mid}:{target.isoformat()}"
            if s.scalar(select(Outbox.id).where(Outbox.dedupe_key == key)) is not None:
                continue
            reason = None
            spaces = _usual_spaces(core, s, mid, prefs)
            holiday = _holiday_of(s, spaces, target)
            if is_absent(prefs, target):
                reason = "absent (vacation)"
            elif holiday:
                reason = f"holiday: {holiday}"
            elif s.scalar(select(Booking.id).where(Booking.member_id == mid, Booking.day == target,
                                                   Booking.status.in_(("confirmed", "checked_in", "waitlisted")))):
                reason = "already booked"
            else:
                open_spaces = []
                for slug in spaces:
                    sp = s.scalar(select(Space).where(Space.slug == slug, Space.active))
                    if sp is not None and not core.booking.closed_reason(s, sp, target):
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


def is_absent(prefs: dict | None, day: date) -> bool:
    """Has the member said they are away on this day ("Urlaub vom 14. bis 18.12.")?"""
    for span in (prefs or {}).get("absences") or []:
        try:
            if date.fromisoformat(span[0]) <= day <= date.fromisoformat(span[1]):
                return True
        except (TypeError, ValueError, IndexError):
            continue
    return False


def _holiday_of(s, slugs: list[str], day: date) -> str | None:
    """The public holiday on `day` where the member coworks: in the holiday region of their usual spaces (of
    all active spaces when none is known yet)."""
    from bot.booking import holiday_name

    q = select(Space.holiday_region).where(Space.active).distinct()
    if slugs:
        q = q.where(Space.slug.in_(slugs))
    names = {holiday_name(region, day) for region in s.scalars(q)}
    return names.pop() if len(names) == 1 else None


def release_no_shows_fire_times(core, start: datetime, end: datetime):
    """The check-in deadlines of confirmed bookings (or their end, if earlier)."""
    d0, d1 = start.astimezone(core.clock.tz).date(), end.astimezone(core.clock.tz).date()
    with core.db.session() as s:
        for b, sp in s.execute(select(Booking, Space).join(Space, Space.id == Booking.space_id).where(
                Booking.status == "confirmed", Booking.day >= d0, Booking.day <= d1)).all():
            deadline = local_at(core.clock.tz, b.day, b.start_min) + timedelta(minutes=sp.checkin_deadline_minutes)
            yield min(as_utc(deadline), as_utc(local_at(core.clock.tz, b.day, b.end_min)))


def nudges_fire_times(core, start: datetime, end: datetime):
    """Each opted-in member's nudge time on every day."""
    d0, d1 = start.astimezone(core.clock.tz).date(), end.astimezone(core.clock.tz).date()
    with core.db.session() as s:
        nudgers = [nudge_prefs(p) for _, p in members_with(s, "nudge") if nudge_prefs(p).get("on")]
    for i in range((d1 - d0).days + 1):
        for np in nudgers:
            yield local_at(core.clock.tz, d0 + timedelta(days=i), np.get("time") or "18:30")


JOBS = [
    Job("release_no_shows", release_no_shows, release_no_shows_fire_times),
    Job("align_reminders", align_reminders),
    Job("nudges", nudges, nudges_fire_times),
]
