"""Europe/Berlin around the DST changes: last Sunday of March (02:00 -> 03:00) and of October
(03:00 -> 02:00). Reminders, cancellation cutoffs and the clock itself must be right on both sides."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select

from bot.clock import FixedClock
from bot.storage.models import Outbox
from tests.conftest import TZ


def _member(core, name):
    return core.members.resolve("terminal", name, name, name).id


def _due(core, booking_id):
    with core.db.session() as s:
        return {r.kind: r.due_at for r in s.scalars(select(Outbox).where(Outbox.booking_id == booking_id))}


def test_autumn_change_reminder_and_cutoff(core, clock):
    # Fri 2026-10-23; DST ends Sun 2026-10-25 at 03:00 CEST -> 02:00 CET
    clock.set(datetime(2026, 10, 23, 12, 0, tzinfo=TZ))
    anna = _member(core, "anna")
    core.members.redeem(anna, "STADTWERKE-2026")
    [o] = core.booking.book(anna, "coesfeld", [date(2026, 10, 26)])
    due = _due(core, o.booking.id)
    # Sunday 18:00 is CET already: 17:00 UTC; Monday 07:30 CET: 06:30 UTC
    assert due["reminder_evening"] == datetime(2026, 10, 25, 17, 0, tzinfo=timezone.utc)
    assert due["reminder_morning"] == datetime(2026, 10, 26, 6, 30, tzinfo=timezone.utc)
    # cutoff 12 h before Mon 08:00 CET = Sun 20:00 CET = 19:00 UTC (summer-time arithmetic would say 18:00 UTC)
    clock.set(datetime(2026, 10, 25, 18, 59, tzinfo=timezone.utc))
    assert core.booking.cancel(anna, days=[date(2026, 10, 26)]).refunded_halves == 2
    [o] = core.booking.book(anna, "coesfeld", [date(2026, 10, 27)])
    clock.set(datetime(2026, 10, 26, 19, 1, tzinfo=timezone.utc))  # Mon 20:01 CET: 11 h 59 min before Tue 08:00
    res = core.booking.cancel(anna, days=[date(2026, 10, 27)])
    assert res.refunded_halves == 0 and len(res.not_refunded) == 1


def test_spring_change_reminder_and_cutoff(core, clock):
    # DST starts Sun 2026-03-29 at 02:00 CET -> 03:00 CEST
    clock.set(datetime(2026, 3, 27, 12, 0, tzinfo=TZ))
    anna = _member(core, "anna")
    [o] = core.booking.book(anna, "senden", [date(2026, 3, 30)])
    due = _due(core, o.booking.id)
    assert due["reminder_evening"] == datetime(2026, 3, 29, 16, 0, tzinfo=timezone.utc)
    assert due["reminder_morning"] == datetime(2026, 3, 30, 5, 30, tzinfo=timezone.utc)
    # 12 h before Mon 08:00 CEST = Sun 20:00 CEST = 18:00 UTC (winter-time arithmetic would say 19:00 UTC)
    core.members.redeem(anna, "STADTWERKE-2026")
    [o] = core.booking.book(anna, "olfen", [date(2026, 3, 31)])
    clock.set(datetime(2026, 3, 30, 18, 30, tzinfo=timezone.utc))  # Mon 20:30 CEST: past the cutoff for Tue 08:00
    res = core.booking.cancel(anna, days=[date(2026, 3, 31)])
    assert res.refunded_halves == 0 and len(res.not_refunded) == 1


def test_booking_on_the_changeover_sunday_keeps_wall_clock_hours(core, clock):
    """Dülmen opens Saturdays; a space open on Sunday would keep its wall-clock hours. We check the
    Saturday before each change and that minute arithmetic is wall-clock, not elapsed time."""
    clock.set(datetime(2026, 10, 24, 7, 0, tzinfo=TZ))
    anna = _member(core, "anna")
    [o] = core.booking.book(anna, "duelmen", [date(2026, 10, 24)], part="morning")
    assert (o.booking.start, o.booking.end) == ("09:00", "13:00")


def test_fixed_clock_advances_in_real_time_across_the_change():
    c = FixedClock(datetime(2026, 10, 25, 1, 30, tzinfo=TZ))
    c.advance(timedelta(hours=2))  # 01:30 CEST + 2 h = 02:30 CET
    assert c.now().strftime("%H:%M %Z") == "02:30 CET"
    c = FixedClock(datetime(2026, 3, 29, 1, 30, tzinfo=TZ))
    c.advance(timedelta(hours=1))  # 01:30 CET + 1 h = 03:30 CEST
    assert c.now().strftime("%H:%M %Z") == "03:30 CEST"
