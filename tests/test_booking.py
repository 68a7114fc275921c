"""Store contract: the booking rules, run against SQLite and PostgreSQL (fixture `core`)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from bot.booking import (
    AlreadyBooked,
    AlreadyCheckedIn,
    Booked,
    CheckedIn,
    Closed,
    Full,
    InPast,
    NoContingent,
    NothingToCheckIn,
    OutsideHours,
    TooEarlyToCheckIn,
    TooFarAhead,
    UnknownSpace,
    Waitlisted,
)
from bot.storage.models import Booking, ContingentAccount, InviteCode, Outbox, SpaceClosure, Space
from tests.conftest import TZ

TUE, WED, THU, FRI, SAT = (date(2026, 11, d) for d in (24, 25, 26, 27, 28))


def member(core, name: str, code: str | None = None) -> int:
    m = core.members.resolve("terminal", name, name, name.capitalize())
    if code:
        core.members.redeem(m.id, code)
    return m.id


def left(core, mid: int) -> int | None:
    return core.booking.remaining(mid).effective_left


def test_book_full_day_charges_two_halves_and_names_desk(core):
    anna = member(core, "anna", "STADTWERKE-2026")
    [o] = core.booking.book(anna, "duelmen", [TUE])
    assert isinstance(o, Booked)
    b = o.booking
    assert (b.space.slug, b.day, b.part, b.start, b.end, b.desk_label) == ("duelmen", TUE, "full", "07:30", "19:00", "1")
    assert b.payer == "employer"
    assert o.remaining.member_left == 14 and o.remaining.member_granted == 16


def test_half_days_and_hours_count_half(core):
    anna = member(core, "anna", "STADTWERKE-2026")
    assert isinstance(core.booking.book(anna, "olfen", [TUE], part="morning")[0], Booked)
    assert left(core, anna) == 15
    [o] = core.booking.book(anna, "olfen", [WED], start="09:00", end="13:00")
    assert isinstance(o, Booked) and o.booking.part == "hours" and (o.booking.start, o.booking.end) == ("09:00", "13:00")
    assert left(core, anna) == 14
    [o] = core.booking.book(anna, "olfen", [THU], start="08:00", end="15:00")  # 7 h: a full day
    assert left(core, anna) == 12


def test_morning_and_afternoon_share_a_desk_but_not_a_member(core):
    anna, bob, carl = (member(core, n) for n in ("anna", "bob", "carl"))
    # Rosendahl has 2 desks
    assert isinstance(core.booking.book(anna, "rosendahl", [TUE], part="morning")[0], Booked)
    assert isinstance(core.booking.book(bob, "rosendahl", [TUE], part="full")[0], Booked)
    assert isinstance(core.booking.book(carl, "rosendahl", [TUE], part="afternoon")[0], Booked)
    assert isinstance(core.booking.book(member(core, "dora"), "rosendahl", [TUE], part="full")[0], Full)
    assert isinstance(core.booking.book(member(core, "emil"), "rosendahl", [TUE], part="morning")[0], Full)
    # anna's morning and afternoon do not overlap, so she may add the afternoon elsewhere
    assert isinstance(core.booking.book(anna, "olfen", [TUE], part="afternoon")[0], Booked)
    assert isinstance(core.booking.book(anna, "senden", [TUE], start="10:00", end="12:00")[0], AlreadyBooked)


def test_rules_refuse_with_reasons(core):
    anna = member(core, "anna")
    assert isinstance(core.booking.book(anna, "duelmen", [date(2026, 11, 20)])[0], InPast)
    far = date(2026, 11, 23) + timedelta(days=61)
    [o] = core.booking.book(anna, "coesfeld", [far])
    assert isinstance(o, TooFarAhead) and o.last_day == date(2027, 1, 22)
    [o] = core.booking.book(anna, "coesfeld", [date(2026, 11, 29)])  # Sunday
    assert isinstance(o, Closed) and o.reason == "weekday"
    [o] = core.booking.book(anna, "coesfeld", [date(2026, 12, 25)])
    assert isinstance(o, Closed) and o.reason == "holiday" and "Weihnacht" in o.detail
    [o] = core.booking.book(anna, "coesfeld", [TUE], start="06:00", end="09:00")
    assert isinstance(o, OutsideHours) and o.opening == (480, 1080)
    assert isinstance(core.booking.book(anna, "muenster", [TUE])[0], UnknownSpace)
    # Dülmen opens on Saturday mornings only: the afternoon is outside its hours
    assert isinstance(core.booking.book(anna, "duelmen", [SAT], part="afternoon")[0], OutsideHours)
    assert isinstance(core.booking.book(anna, "duelmen", [SAT], part="morning")[0], Booked)


def test_operator_closure_day(core):
    anna = member(core, "anna")
    with core.db.session() as s:
        sp = s.scalar(select(Space).where(Space.slug == "nottuln"))
        s.add(SpaceClosure(space_id=sp.id, day=FRI, reason="Betriebsausflug"))
    [o] = core.booking.book(anna, "nottuln", [FRI])
    assert isinstance(o, Closed) and o.reason == "closure" and o.detail == "Betriebsausflug"


def test_today_after_closing_is_past(core, clock):
    anna = member(core, "anna")
    clock.set(datetime(2026, 11, 23, 18, 30, tzinfo=TZ))
    assert isinstance(core.booking.book(anna, "coesfeld", [date(2026, 11, 23)])[0], InPast)
    clock.set(datetime(2026, 11, 23, 12, 0, tzinfo=TZ))
    assert isinstance(core.booking.book(anna, "coesfeld", [date(2026, 11, 23)], part="afternoon")[0], Booked)


def test_several_dates_each_get_an_outcome(core):
    anna = member(core, "anna", "KREIS-2026")
    out = core.booking.book(anna, "senden", [THU, TUE, date(2026, 11, 29)])
    assert [type(o).__name__ for o in out] == ["Booked", "Booked", "Closed"]
    assert [o.booking.day for o in out[:2]] == [TUE, THU]


def test_team_booking_takes_n_desks_and_charges_each(core):
    anna = member(core, "anna", "KREIS-2026")
    [o] = core.booking.book(anna, "havixbeck", [TUE], desks=3)
    assert isinstance(o, Booked) and len(o.bookings) == 3
    assert sorted(b.desk_label for b in o.bookings) == ["1", "2", "3"]
    assert o.remaining.member_left == 12 - 6
    bob = member(core, "bob")
    [o] = core.booking.book(bob, "olfen", [TUE], desks=5)
    assert isinstance(o, Full) and o.free == 3


def test_contingent_per_employee_runs_out_and_self_pay_works(core):
    anna = member(core, "anna", "KREIS-2026")  # 6 days per employee
    days = [date(2026, 11, 24), date(2026, 11, 25), date(2026, 11, 26), date(2026, 11, 27), date(2026, 11, 30),
            date(2026, 11, 2)]
    out = core.booking.book(anna, "coesfeld", days[:5])
    assert all(isinstance(o, Booked) for o in out)
    assert isinstance(core.booking.book(anna, "coesfeld", [date(2026, 11, 28)])[0], Closed)
    # the sixth day this month still fits, a seventh does not
    with core.db.session() as s:
        acct = s.scalar(select(ContingentAccount).where(ContingentAccount.scope == f"member:{anna}"))
        assert (acct.granted_halves, acct.used_halves) == (12, 10)
    assert isinstance(core.booking.book(anna, "olfen", [date(2026, 11, 24)], part="afternoon")[0], AlreadyBooked)
    [o] = core.booking.book(anna, "duelmen", [date(2026, 11, 28)], part="morning")  # Saturday morning: 0.5
    assert isinstance(o, Booked)
    [o] = core.booking.book(anna, "duelmen", [date(2026, 11, 28)], part="morning")
    assert isinstance(o, AlreadyBooked)
    bob = member(core, "bob", "KREIS-2026")
    # anna has 0.5 left: a full day is refused, but she can pay herself
    anna_left = left(core, anna)
    assert anna_left == 1
    # December has its own contingent
    assert isinstance(core.booking.book(anna, "coesfeld", [date(2026, 12, 1)])[0], Booked)
    assert bob


def test_no_contingent_outcome_and_pay_self(core, clock):
    anna = member(core, "anna", "AGRAR-2026")  # company pool of 40 days
    with core.db.session() as s:
        s.execute(text("UPDATE employers SET pool_halves = 2 WHERE slug = 'agrartech'"))
    assert isinstance(core.booking.book(anna, "coesfeld", [TUE])[0], Booked)
    [o] = core.booking.book(anna, "coesfeld", [WED])
    assert isinstance(o, NoContingent) and o.remaining.pool_left == 0
    [o] = core.booking.book(anna, "coesfeld", [WED], pay_self=True)
    assert isinstance(o, Booked) and o.booking.payer == "self"


def test_a_full_day_charges_nothing_and_is_said_before_the_contingent(core):
    """Rosendahl has two desks. A third booker is told "full" and keeps every half day (on SQLite the insert finds
    the day full and the charge is given back in the same transaction); one without contingent left hears "full"
    first too, since paying herself would not help."""
    a, b = member(core, "anna", "STADTWERKE-2026"), member(core, "bert", "STADTWERKE-2026")
    assert all(isinstance(core.booking.book(m, "rosendahl", [TUE])[0], Booked) for m in (a, b))
    carla = member(core, "carla", "STADTWERKE-2026")
    before = left(core, carla)
    [o] = core.booking.book(carla, "rosendahl", [TUE])
    assert isinstance(o, Full) and left(core, carla) == before == 16
    [o] = core.booking.book(carla, "rosendahl", [TUE], part="afternoon")
    assert isinstance(o, Full) and left(core, carla) == 16
    with core.db.session() as s:
        used = s.scalars(select(ContingentAccount.used_halves).where(ContingentAccount.scope == f"member:{carla}")).all()
        assert used in ([], [0])
    dora = member(core, "dora", "AGRAR-2026")
    with core.db.session() as s:
        s.execute(text("UPDATE employers SET pool_halves = 0 WHERE slug = 'agrartech'"))
    [o] = core.booking.book(dora, "rosendahl", [TUE])
    assert isinstance(o, Full)
    [o] = core.booking.book(dora, "rosendahl", [WED])
    assert isinstance(o, NoContingent)


def test_database_refuses_overdraft_even_without_python_checks(core):
    anna = member(core, "anna", "KREIS-2026")
    core.booking.book(anna, "coesfeld", [TUE])
    with pytest.raises(IntegrityError):
        with core.db.session() as s:
            s.execute(text("UPDATE contingent_accounts SET used_halves = granted_halves + 1"))
    with pytest.raises(IntegrityError):
        with core.db.session() as s:
            s.execute(text("UPDATE contingent_accounts SET used_halves = -1"))


def test_database_refuses_double_desk_and_double_member(core):
    anna, bob = member(core, "anna"), member(core, "bob")
    [o] = core.booking.book(anna, "olfen", [TUE])
    with core.db.session() as s:
        b = s.get(Booking, o.booking.id)
        cols = dict(space_id=b.space_id, desk_id=b.desk_id, day=b.day, part="hours", start_min=600, end_min=660,
                    t0=b.t0 + 120, t1=b.t0 + 180, seat=0, group_ref="", status="confirmed", payer="self",
                    charged_halves=0, price_cents=0, created_at=b.created_at, updated_at=b.updated_at)
    with pytest.raises(IntegrityError, match="bookings_desk_no_overlap"):
        with core.db.session() as s:
            s.add(Booking(member_id=bob, **cols))
    other_desk = dict(cols)
    with core.db.session() as s:
        other_desk["desk_id"] = s.scalar(text("SELECT id FROM desks WHERE id <> :d AND space_id = :s LIMIT 1"),
                                         {"d": cols["desk_id"], "s": cols["space_id"]})
    with pytest.raises(IntegrityError, match="bookings_member_no_overlap"):
        with core.db.session() as s:
            s.add(Booking(member_id=anna, **other_desk))
    # a cancelled booking no longer blocks the desk
    core.booking.cancel(anna, booking_ids=[o.booking.id])
    with core.db.session() as s:
        s.add(Booking(member_id=bob, **cols))


def test_cancel_refunds_before_cutoff_only(core, clock):
    anna = member(core, "anna", "STADTWERKE-2026")
    core.booking.book(anna, "coesfeld", [TUE, WED])
    assert left(core, anna) == 12
    res = core.booking.cancel(anna, days=[TUE])  # Mon 08:00, start Tue 08:00, cutoff 12 h: refunded
    assert res.refunded_halves == 2 and not res.not_refunded
    clock.set(datetime(2026, 11, 24, 21, 0, tzinfo=TZ))  # Tue 21:00: 11 h before Wed 08:00
    res = core.booking.cancel(anna, days=[WED])
    assert len(res.cancelled) == 1 and res.refunded_halves == 0 and len(res.not_refunded) == 1
    assert left(core, anna) == 14


def test_cancel_by_space_and_all_future(core):
    anna = member(core, "anna")
    core.booking.book(anna, "senden", [TUE, WED])
    core.booking.book(anna, "olfen", [THU])
    res = core.booking.cancel(anna, space_slug="senden")
    assert sorted(b.day for b in res.cancelled) == [TUE, WED]
    assert [b.space.slug for b in core.booking.my_bookings(anna)] == ["olfen"]
    res = core.booking.cancel(anna, all_future=True)
    assert len(res.cancelled) == 1 and core.booking.my_bookings(anna) == []
    assert core.booking.cancel(anna).cancelled == []  # nothing named: nothing cancelled


def test_cancel_withdraws_reminders(core):
    anna = member(core, "anna")
    [o] = core.booking.book(anna, "senden", [WED])
    with core.db.session() as s:
        kinds = {r.kind: r.status for r in s.scalars(select(Outbox).where(Outbox.booking_id == o.booking.id))}
    assert kinds == {"reminder_evening": "pending", "reminder_morning": "pending"}
    core.booking.cancel(anna, days=[WED])
    with core.db.session() as s:
        assert {r.status for r in s.scalars(select(Outbox).where(Outbox.booking_id == o.booking.id))} == {"cancelled"}


def test_reminders_are_in_local_time(core):
    anna = member(core, "anna")
    [o] = core.booking.book(anna, "senden", [WED])
    with core.db.session() as s:
        rows = {r.kind: r.due_at for r in s.scalars(select(Outbox).where(Outbox.booking_id == o.booking.id))}
    assert rows["reminder_evening"].astimezone(TZ) == datetime(2026, 11, 24, 18, 0, tzinfo=TZ)
    assert rows["reminder_morning"].astimezone(TZ) == datetime(2026, 11, 25, 7, 30, tzinfo=TZ)


def test_waitlist_is_promoted_when_a_desk_frees_up(core):
    anna, bob, carl = member(core, "anna", "STADTWERKE-2026"), member(core, "bob"), member(core, "carl", "STADTWERKE-2026")
    core.booking.book(anna, "rosendahl", [TUE])
    core.booking.book(bob, "rosendahl", [TUE])
    assert isinstance(core.booking.book(carl, "rosendahl", [TUE])[0], Full)
    w = core.booking.join_waitlist(carl, "rosendahl", TUE)
    assert isinstance(w, Waitlisted) and w.position == 1
    assert left(core, carl) == 16  # nothing charged while waiting
    core.booking.cancel(bob, days=[TUE])
    mine = core.booking.my_bookings(carl)
    assert [(b.status, b.desk_label) for b in mine] == [("confirmed", "2")]
    assert left(core, carl) == 14
    with core.db.session() as s:
        assert s.scalar(select(Outbox.kind).where(Outbox.recipient_member_id == carl, Outbox.kind == "waitlist_promoted"))


def test_check_in_window_walk_in_and_no_show(core, clock):
    anna, bob = member(core, "anna", "STADTWERKE-2026"), member(core, "bob")
    core.booking.book(anna, "coesfeld", [TUE])
    core.booking.book(bob, "coesfeld", [TUE], part="afternoon")
    clock.set(datetime(2026, 11, 24, 6, 0, tzinfo=TZ))
    assert isinstance(core.booking.check_in(anna), TooEarlyToCheckIn)
    clock.set(datetime(2026, 11, 24, 8, 15, tzinfo=TZ))
    assert isinstance(core.booking.check_in(anna), CheckedIn)
    assert isinstance(core.booking.check_in(anna), AlreadyCheckedIn)
    # walk-in by QR at a space without booking
    carl = member(core, "carl")
    o = core.booking.check_in(carl, "olfen")
    assert isinstance(o, CheckedIn) and o.walk_in and o.booking.start == "08:15"
    assert isinstance(core.booking.check_in(member(core, "dora")), NothingToCheckIn)
    # bob does not come: deadline 13:00 + 120 min
    clock.set(datetime(2026, 11, 24, 14, 59, tzinfo=TZ))
    assert core.booking.release_no_shows() == []
    clock.set(datetime(2026, 11, 24, 15, 0, tzinfo=TZ))
    released = core.booking.release_no_shows()
    assert len(released) == 1
    with core.db.session() as s:
        assert s.get(Booking, released[0]).member_id == bob
        assert s.get(Booking, released[0]).status == "no_show"


def test_availability_counts_per_space_and_part(core):
    anna, bob = member(core, "anna"), member(core, "bob")
    core.booking.book(anna, "rosendahl", [TUE], part="morning")
    core.booking.book(bob, "rosendahl", [TUE], part="morning")
    by = {a.space.slug: a for a in core.booking.availability(TUE)}
    assert (by["rosendahl"].free, by["rosendahl"].total) == (0, 2)
    assert by["coesfeld"].free == 8 and len(by) == 14  # every region's spaces (the chat shows the member's only)
    [a] = core.booking.availability(TUE, "rosendahl", part="afternoon")
    assert a.free == 2
    [a] = core.booking.availability(date(2026, 12, 25), "rosendahl")
    assert a.closed and a.free == 0


def test_invite_code_max_uses_and_expiry(core, clock):
    with core.db.session() as s:
        s.add(InviteCode(code="ONCE", kind="employee", employer_id=1, region_id=1, max_uses=1, uses=0, created_at=clock.now()))
        s.add(InviteCode(code="OLD", kind="employee", employer_id=1, region_id=1, uses=0, created_at=clock.now(),
                         expires_at=clock.now() - timedelta(minutes=1)))
    a, b = member(core, "anna"), member(core, "bob")
    assert core.members.redeem(a, "ONCE").kind == "employee"
    assert core.members.redeem(b, "ONCE").reason == "used_up"
    assert core.members.redeem(b, "OLD").reason == "expired"
    assert core.members.redeem(b, "NOPE").reason == "unknown"
    with pytest.raises(IntegrityError):
        with core.db.session() as s:
            s.execute(text("UPDATE invite_codes SET uses = 2 WHERE code = 'ONCE'"))


def test_button_tokens_are_bound_and_single_use(core):
    a, b = member(core, "anna"), member(core, "bob")
    tok = core.members.issue(a, {"op": "keep"})
    assert core.members.redeem_token(b, tok) == "foreign"
    assert core.members.redeem_token(a, tok) == {"op": "keep"}
    assert core.members.redeem_token(a, tok) == "used"
    assert core.members.redeem_token(a, "a:forged") == "unknown"


def test_late_waitlist_promotion_gets_its_own_checkin_grace(core, clock):
    anna, bob, carl = member(core, "anna"), member(core, "bob"), member(core, "carl")
    clock.set(datetime(2026, 11, 24, 7, 0, tzinfo=TZ))
    core.booking.book(anna, "rosendahl", [TUE])
    core.booking.book(bob, "rosendahl", [TUE])
    core.booking.join_waitlist(carl, "rosendahl", TUE)
    clock.set(datetime(2026, 11, 24, 9, 0, tzinfo=TZ))
    core.booking.check_in(anna)
    clock.set(datetime(2026, 11, 24, 9, 45, tzinfo=TZ))
    core.booking.cancel(bob, days=[TUE])  # bob cancels late; carl moves up at 09:45
    assert [b.status for b in core.booking.my_bookings(carl)] == ["confirmed"]
    clock.set(datetime(2026, 11, 24, 10, 30, tzinfo=TZ))  # past 08:00 + 2 h, but within 2 h of the promotion
    assert core.booking.release_no_shows() == []
    clock.set(datetime(2026, 11, 24, 11, 46, tzinfo=TZ))
    assert len(core.booking.release_no_shows()) == 1
