"""The money rules of `BookingService`, pinned at their boundaries (issue 14, item 11).

Each test holds down one rule a mutation run found unguarded: what a no-show costs, which employer's pool
pays, half days refunded as halves, the 5-hour line between a half and a full day, undo and the exact
cutoff minute, the waitlist after a no-show, the promoted member's seat, 13:00 in availability, and
times with minutes. Only public methods and the stored rows are read. Runs on SQLite and PostgreSQL.
The demo world (config/demo_world.yaml): cutoff 12 h, check-in deadline 120 min, Dülmen opens 07:30,
Rosendahl has 2 desks, Stadtwerke grants 8 days per employee, AgrarTech a pool of 40 days, the
Kreisverwaltung 6 days per employee and a pool of 300.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from bot.booking import (
    AlreadyBooked,
    Booked,
    BookingService,
    CancelResult,
    CheckedIn,
    Full,
    InPast,
    NoContingent,
    OutsideHours,
    TooEarlyToCheckIn,
    Waitlisted,
)
from bot.booking import NothingToCheckIn as NothingToCheckIn_
from bot.storage.models import Booking, ContingentAccount, Employer, Outbox
from tests.conftest import TZ

MON, TUE, WED, THU, FRI = (date(2026, 11, d) for d in (23, 24, 25, 26, 27))


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=TZ)


def member(core, name: str, code: str | None = None) -> int:
    m = core.members.resolve("terminal", name, name, name.capitalize())
    if code:
        core.members.redeem(m.id, code)
    return m.id


def left(core, mid: int) -> int | None:
    return core.booking.remaining(mid).effective_left


def row(core, booking_id: int) -> Booking:
    with core.db.session() as s:
        return s.get(Booking, booking_id)


def pool(core, employer_slug: str, month: str = "2026-11") -> ContingentAccount | None:
    with core.db.session() as s:
        emp = s.scalar(select(Employer).where(Employer.slug == employer_slug))
        return s.scalar(select(ContingentAccount).where(ContingentAccount.employer_id == emp.id,
                                                        ContingentAccount.scope == "pool",
                                                        ContingentAccount.month == month))


def notices(core, kind: str, member_id: int) -> list[Outbox]:
    with core.db.session() as s:
        return list(s.scalars(select(Outbox).where(Outbox.kind == kind, Outbox.recipient_member_id == member_id)))


# ---------------------------------------------------------------- no-shows


def test_a_no_show_keeps_its_charge_by_default(core, clock):
    anna = member(core, "anna", "STADTWERKE-2026")
    [o] = core.booking.book(anna, "coesfeld", [TUE])
    assert left(core, anna) == 14
    clock.set(at(TUE, 10, 0))  # 08:00 + 120 min
    assert core.booking.release_no_shows() == [o.booking.id]
    assert row(core, o.booking.id).status == "no_show"
    assert left(core, anna) == 14  # the day is gone
    [n] = notices(core, "no_show", anna)
    assert n.payload == {"booking_id": o.booking.id, "refunded": False}  # released by the job, not an operator


def test_a_no_show_is_refunded_when_the_district_says_so(core, clock):
    svc = BookingService(core.db, clock, noshow_refund=True)
    anna = member(core, "anna", "STADTWERKE-2026")
    [o] = svc.book(anna, "coesfeld", [TUE])
    assert left(core, anna) == 14
    clock.set(at(TUE, 10, 0))
    assert svc.release_no_shows() == [o.booking.id]
    assert left(core, anna) == 16
    [n] = notices(core, "no_show", anna)
    assert n.payload["refunded"] is True


def test_the_no_show_deadline_is_to_the_minute(core, clock):
    anna = member(core, "anna")
    [o] = core.booking.book(anna, "duelmen", [TUE])  # Dülmen opens 07:30: deadline 09:30
    clock.set(at(TUE, 9, 29))
    assert core.booking.release_no_shows() == []
    clock.set(at(TUE, 9, 30))
    assert core.booking.release_no_shows() == [o.booking.id]


def test_the_waitlist_moves_up_after_a_no_show_release(core, clock):
    anna, bob = member(core, "anna"), member(core, "bob")
    carl, dora = member(core, "carl", "STADTWERKE-2026"), member(core, "dora")
    core.booking.book(anna, "rosendahl", [TUE])  # Rosendahl has 2 desks
    core.booking.book(bob, "rosendahl", [TUE])
    wc = core.booking.join_waitlist(carl, "rosendahl", TUE)
    wd = core.booking.join_waitlist(dora, "rosendahl", TUE)
    assert (wc.position, wd.position) == (1, 2)
    clock.set(at(TUE, 9, 0))
    core.booking.check_in(anna)
    clock.set(at(TUE, 10, 0))
    assert len(core.booking.release_no_shows()) == 1  # bob
    [b] = core.booking.my_bookings(carl)
    assert (b.id, b.status, b.seat, b.payer) == (wc.booking.id, "confirmed", 0, "employer")
    assert b.desk_label == "2"  # bob's desk
    assert left(core, carl) == 14  # charged when promoted
    assert notices(core, "waitlist_promoted", carl)
    assert [x.status for x in core.booking.my_bookings(dora)] == ["waitlisted"]  # first come, first served


# ---------------------------------------------------------------- which account pays


def test_the_pool_charged_is_the_members_employers(core):
    kreis = member(core, "kora", "KREIS-2026")
    core.booking.book(kreis, "senden", [TUE])  # the Kreisverwaltung's pool of the month exists now
    assert pool(core, "kreisverwaltung").used_halves == 2
    anna = member(core, "anna", "AGRAR-2026")
    [o] = core.booking.book(anna, "coesfeld", [TUE])
    assert o.remaining.pool_granted == 80 and o.remaining.pool_left == 78
    [o] = core.booking.book(anna, "coesfeld", [WED], desks=2)  # a team booking takes the other path
    assert isinstance(o, Booked) and o.remaining.pool_left == 74
    assert (pool(core, "agrartech").granted_halves, pool(core, "agrartech").used_halves) == (80, 6)
    assert (pool(core, "kreisverwaltung").granted_halves, pool(core, "kreisverwaltung").used_halves) == (600, 2)
    r = core.booking.remaining(anna)
    assert (r.pool_granted, r.pool_left, r.member_left) == (80, 74, None)
    with core.db.session() as s:
        agrar = s.scalar(select(Employer.id).where(Employer.slug == "agrartech"))
        rows = list(s.scalars(select(Booking).where(Booking.member_id == anna)))
    assert {(b.payer, b.employer_id, b.charged_halves) for b in rows} == {("employer", agrar, 2)}


def test_per_employee_and_pool_both_bind(core):
    anna = member(core, "anna", "KREIS-2026")  # 6 days each, pool 300
    out = core.booking.book(anna, "coesfeld", [TUE, WED, THU, FRI, date(2026, 11, 30)])
    assert all(isinstance(o, Booked) for o in out)
    r = core.booking.remaining(anna)
    assert (r.member_left, r.pool_left, r.effective_left) == (2, 590, 2)
    [o] = core.booking.book(anna, "senden", [date(2026, 11, 24)], start="08:00", end="09:00")
    assert isinstance(o, AlreadyBooked)
    [o] = core.booking.book(anna, "duelmen", [date(2026, 11, 28)], part="morning")  # Saturday morning
    assert isinstance(o, Booked) and o.remaining.member_left == 1
    with core.db.session() as s:
        s.execute(ContingentAccount.__table__.update().where(ContingentAccount.scope == "pool")
                  .values(used_halves=599))  # the pool nearly used up by others
    [o] = core.booking.book(member(core, "bea", "KREIS-2026"), "olfen", [WED])
    assert isinstance(o, NoContingent) and o.remaining.pool_left == 1 and o.remaining.member_left == 12
    [o] = core.booking.book(member(core, "cem", "KREIS-2026"), "olfen", [WED], part="afternoon")
    assert isinstance(o, Booked) and o.remaining.pool_left == 0


def test_the_last_half_day_fits_a_half_but_not_a_whole(core):
    anna = member(core, "anna", "STADTWERKE-2026")  # 16 halves
    core.booking.book(anna, "havixbeck", [TUE, WED], desks=3)  # 12
    core.booking.book(anna, "coesfeld", [THU])  # 2
    [o] = core.booking.book(anna, "coesfeld", [FRI], part="morning")
    assert o.remaining.member_left == 1
    [o] = core.booking.book(anna, "coesfeld", [date(2026, 11, 30)])
    assert isinstance(o, NoContingent) and o.remaining.member_left == 1
    [o] = core.booking.book(anna, "coesfeld", [date(2026, 11, 30)], part="morning")
    assert isinstance(o, Booked) and o.remaining.member_left == 0
    [o] = core.booking.book(anna, "coesfeld", [date(2026, 11, 30)], part="afternoon")
    assert isinstance(o, NoContingent) and o.remaining.member_left == 0
    [o] = core.booking.book(anna, "coesfeld", [date(2026, 11, 30)], part="afternoon", pay_self=True)
    assert isinstance(o, Booked) and o.booking.payer == "self"
    assert o.remaining.member_left == 0  # paid by the member; what the employer grants is shown all the same
    assert left(core, anna) == 0


# ---------------------------------------------------------------- halves


def test_the_half_day_line_is_five_hours_to_the_minute(core):
    anna = member(core, "anna", "STADTWERKE-2026")
    [o] = core.booking.book(anna, "coesfeld", [TUE], start="09:00", end="14:00")  # exactly 5 h: a half
    assert o.booking.part == "hours" and o.remaining.member_left == 15
    [o] = core.booking.book(anna, "coesfeld", [WED], start="09:00", end="14:01")  # 5 h 1 min: a whole day
    assert o.remaining.member_left == 13
    [o] = core.booking.book(anna, "duelmen", [THU], start="07:45", end="12:45")  # 5 h with minutes: a half
    assert o.remaining.member_left == 12
    [o] = core.booking.book(anna, "duelmen", [FRI], start="07:30", end="13:15")  # 5 h 45: a whole day
    assert o.remaining.member_left == 10
    assert [row(core, b.id).charged_halves for b in core.booking.my_bookings(anna)] == [1, 2, 1, 2]


def test_a_cancelled_half_day_comes_back_as_a_half(core):
    anna = member(core, "anna", "STADTWERKE-2026")
    core.booking.book(anna, "coesfeld", [TUE])
    core.booking.book(anna, "coesfeld", [WED], part="morning")
    core.booking.book(anna, "olfen", [THU], start="09:15", end="12:30")
    assert left(core, anna) == 12
    res = core.booking.cancel(anna, days=[WED])
    assert res.refunded_halves == 1 and left(core, anna) == 13
    res = core.booking.cancel(anna, days=[THU])
    assert res.refunded_halves == 1 and left(core, anna) == 14


def test_a_cancelled_team_half_day_comes_back_seat_by_seat(core):
    anna = member(core, "anna", "STADTWERKE-2026")
    core.booking.book(anna, "coesfeld", [TUE])
    [o] = core.booking.book(anna, "havixbeck", [WED], part="afternoon", desks=2)
    assert isinstance(o, Booked) and len(o.bookings) == 2 and o.remaining.member_left == 12
    assert [row(core, b.id).charged_halves for b in o.bookings] == [1, 1]
    res = core.booking.cancel(anna, days=[WED])
    assert len(res.cancelled) == 2 and res.refunded_halves == 2 and left(core, anna) == 14


def test_the_price_is_the_day_price_per_half(core):
    anna = member(core, "anna")  # no employer: pays the space, 18.00 a day in Coesfeld
    [full] = core.booking.book(anna, "coesfeld", [TUE])
    [half] = core.booking.book(anna, "coesfeld", [WED], start="10:00", end="12:00")
    [team] = core.booking.book(anna, "coesfeld", [THU], part="morning", desks=2)
    [team_full] = core.booking.book(anna, "coesfeld", [FRI], desks=2)
    assert full.remaining is None and full.booking.seat == 0 and full.booking.payer == "self"
    assert row(core, full.booking.id).price_cents == 1800
    assert row(core, half.booking.id).price_cents == 900
    assert [row(core, b.id).price_cents for b in team.bookings] == [900, 900]
    assert [row(core, b.id).price_cents for b in team_full.bookings] == [1800, 1800]
    assert {(row(core, b.id).payer, row(core, b.id).charged_halves) for b in team.bookings} == {("self", 0)}


# ---------------------------------------------------------------- cutoff and undo


def test_the_cutoff_is_exact_to_the_minute(core, clock):
    anna = member(core, "anna", "STADTWERKE-2026")
    core.booking.book(anna, "duelmen", [TUE, WED])  # 07:30: cutoffs Mon 19:30 and Tue 19:30
    clock.set(at(MON, 19, 29))
    res = core.booking.cancel(anna, days=[TUE])
    assert res.refunded_halves == 2 and res.not_refunded == []
    clock.set(at(TUE, 19, 30))
    found, late = core.booking.cancel_preview(anna, days=[WED])
    assert len(found) == 1 and len(late) == 1
    res = core.booking.cancel(anna, days=[WED])
    assert len(res.cancelled) == 1 and res.refunded_halves == 0 and len(res.not_refunded) == 1
    assert left(core, anna) == 14


def test_undo_refunds_until_the_cutoff_minute_and_then_expires(core, clock):
    anna = member(core, "anna", "STADTWERKE-2026")
    [t] = core.booking.book(anna, "duelmen", [TUE])
    [w] = core.booking.book(anna, "duelmen", [WED])
    assert left(core, anna) == 12
    clock.set(at(MON, 19, 29))
    res = core.booking.undo(anna, [t.booking.id])
    assert isinstance(res, CancelResult) and res.refunded_halves == 2 and len(res.cancelled) == 1
    assert left(core, anna) == 14
    clock.set(at(TUE, 19, 30))  # Wednesday's cutoff
    assert core.booking.undo(anna, [w.booking.id]) is None
    b = row(core, w.booking.id)
    assert (b.status, b.charged_halves) == ("confirmed", 2)
    assert left(core, anna) == 14
    # someone else's booking: nothing happens
    bob = member(core, "bob")
    clock.set(at(MON, 8, 0))
    [x] = core.booking.book(bob, "olfen", [THU])
    res = core.booking.undo(anna, [x.booking.id])
    assert res is not None and res.cancelled == []
    assert row(core, x.booking.id).status == "confirmed"


def test_a_booking_that_is_over_cannot_be_cancelled(core, clock):
    anna = member(core, "anna", "STADTWERKE-2026")
    [o] = core.booking.book(anna, "coesfeld", [TUE], part="morning")  # 08:00-13:00
    clock.set(at(TUE, 13, 0))
    assert core.booking.cancel(anna, days=[TUE]).cancelled == []
    assert row(core, o.booking.id).status == "confirmed"


# ---------------------------------------------------------------- waitlist


def test_a_promoted_member_takes_their_own_waitlist_row(core):
    anna, bob, carl = member(core, "anna"), member(core, "bob"), member(core, "carl", "KREIS-2026")
    core.booking.book(anna, "rosendahl", [TUE], part="morning")
    core.booking.book(bob, "rosendahl", [TUE], part="morning")
    w = core.booking.join_waitlist(carl, "rosendahl", TUE, part="morning")
    assert isinstance(w, Waitlisted) and w.booking.desk_label is None
    again = core.booking.join_waitlist(carl, "rosendahl", TUE, part="morning")
    assert again.booking.id == w.booking.id and again.position == 1
    core.booking.cancel(anna, days=[TUE])
    mine = core.booking.my_bookings(carl)
    assert [(b.id, b.status, b.seat, b.desk_label, b.part) for b in mine] == [(w.booking.id, "confirmed", 0, "1", "morning")]
    b = row(core, w.booking.id)
    assert (b.payer, b.charged_halves) == ("employer", 1)
    assert left(core, carl) == 11
    with core.db.session() as s:
        assert s.scalar(select(Booking.id).where(Booking.member_id == carl, Booking.id != w.booking.id)) is None


def test_a_waitlister_booked_elsewhere_is_passed_over(core):
    anna, bob, carl, dora = (member(core, n) for n in ("anna", "bob", "carl", "dora"))
    core.booking.book(anna, "rosendahl", [TUE])
    core.booking.book(bob, "rosendahl", [TUE])
    core.booking.join_waitlist(carl, "rosendahl", TUE)
    wd = core.booking.join_waitlist(dora, "rosendahl", TUE)
    core.booking.book(carl, "olfen", [TUE])  # carl found a desk elsewhere meanwhile
    core.booking.cancel(bob, days=[TUE])
    assert [(b.id, b.status) for b in core.booking.my_bookings(dora)] == [(wd.booking.id, "confirmed")]
    assert sorted(b.status for b in core.booking.my_bookings(carl)) == ["confirmed", "waitlisted"]


def test_a_waitlist_entry_whose_time_is_over_lapses(core, clock):
    anna, bob, carl = (member(core, n) for n in ("anna", "bob", "carl"))
    clock.set(at(TUE, 7, 0))
    core.booking.book(anna, "rosendahl", [TUE], part="morning")
    core.booking.book(bob, "rosendahl", [TUE])
    w = core.booking.join_waitlist(carl, "rosendahl", TUE, part="morning")
    clock.set(at(TUE, 13, 0))  # the morning is over
    core.booking.cancel(bob, days=[TUE])
    assert row(core, w.booking.id).status == "cancelled"


# ---------------------------------------------------------------- 13:00 and minutes


def test_morning_ends_and_afternoon_starts_at_13(core):
    anna, bob, carl = member(core, "anna"), member(core, "bob"), member(core, "carl")
    [m] = core.booking.book(anna, "rosendahl", [TUE], part="morning")
    [a] = core.booking.book(bob, "olfen", [TUE], part="afternoon")
    assert (m.booking.start, m.booking.end, a.booking.start, a.booking.end) == ("08:00", "13:00", "13:00", "18:00")
    core.booking.book(bob, "rosendahl", [TUE], start="12:00", end="13:00")
    [am] = core.booking.availability(TUE, "rosendahl", part="morning")
    [pm] = core.booking.availability(TUE, "rosendahl", part="afternoon")
    assert (am.free, pm.free, pm.total) == (0, 2, 2)  # a booking ending at 13:00 leaves the afternoon free
    core.booking.book(carl, "rosendahl", [TUE], start="13:00", end="13:30")
    [pm] = core.booking.availability(TUE, "rosendahl", part="afternoon")
    [am] = core.booking.availability(TUE, "rosendahl", part="morning")
    assert (am.free, pm.free) == (0, 1)
    by = {x.space.slug: x for x in core.booking.availability(TUE, part="afternoon")}
    assert by["rosendahl"].free == 1 and by["olfen"].free == 2
    [x] = core.booking.availability(TUE, "olfen", part="morning")  # bob's afternoon starts as it ends
    assert x.free == 3
    [x] = core.booking.availability(TUE, "rosendahl", start="12:30", end="13:00")
    assert x.free == 0
    [x] = core.booking.availability(TUE, "rosendahl", start="13:30", end="14:00")
    assert x.free == 2


def test_times_with_minutes(core, clock):
    anna = member(core, "anna", "STADTWERKE-2026")
    [o] = core.booking.book(anna, "duelmen", [TUE], start="07:45", end="11:15")
    b = o.booking
    assert (b.part, b.start, b.end, b.start_min, b.end_min, b.opening) == ("hours", "07:45", "11:15", 465, 675, (450, 1140))
    assert isinstance(core.booking.book(anna, "duelmen", [WED], start="07:15", end="09:00")[0], OutsideHours)
    assert isinstance(core.booking.book(anna, "duelmen", [WED], start="18:30", end="19:01")[0], OutsideHours)
    assert isinstance(core.booking.book(anna, "duelmen", [WED], start="18:30", end="19:00")[0], Booked)
    assert isinstance(core.booking.book(anna, "duelmen", [TUE], start="11:00", end="11:30")[0], AlreadyBooked)
    assert isinstance(core.booking.book(anna, "duelmen", [TUE], start="11:15", end="11:45")[0], Booked)
    with core.db.session() as s:
        due = {r.kind: r.due_at for r in s.scalars(select(Outbox).where(Outbox.booking_id == b.id))}
    assert due["reminder_morning"].astimezone(TZ) == at(TUE, 7, 30)
    clock.set(at(TUE, 6, 44))
    assert isinstance(core.booking.check_in(anna), TooEarlyToCheckIn)
    r = core.booking.check_in(anna)
    assert r.opens_at == "06:45"
    clock.set(at(TUE, 6, 45))
    assert isinstance(core.booking.check_in(anna), CheckedIn)


def test_a_walk_in_starts_on_the_quarter_hour_and_today_ends_at_closing(core, clock):
    anna, bob = member(core, "anna"), member(core, "bob")
    clock.set(at(TUE, 9, 37))
    o = core.booking.check_in(anna, "olfen")
    assert isinstance(o, CheckedIn) and o.walk_in and (o.booking.start, o.booking.end) == ("09:30", "18:00")
    clock.set(at(TUE, 17, 59))
    assert isinstance(core.booking.book(bob, "coesfeld", [TUE], start="17:00", end="18:00")[0], Booked)
    clock.set(at(TUE, 18, 0))
    assert isinstance(core.booking.book(member(core, "carl"), "coesfeld", [TUE])[0], InPast)


def test_a_full_space_says_how_many_desks_are_free(core):
    anna, bob = member(core, "anna"), member(core, "bob")
    core.booking.book(anna, "rosendahl", [TUE], start="09:30", end="10:30")
    [o] = core.booking.book(bob, "rosendahl", [TUE], desks=2)
    assert isinstance(o, Full) and o.free == 1
    [o] = core.booking.book(bob, "rosendahl", [TUE], start="10:30", end="12:00", desks=2)
    assert isinstance(o, Booked) and len(o.bookings) == 2


# ---------------------------------------------------------------- the lookups the dialogue builds its answers on


def test_outcomes_are_values(core):
    import dataclasses

    anna = member(core, "anna", "STADTWERKE-2026")
    [o] = core.booking.book(anna, "coesfeld", [TUE])
    for value in (o.booking, o.booking.space, o.remaining):
        field = dataclasses.fields(value)[0].name
        try:
            setattr(value, field, None)
        except dataclasses.FrozenInstanceError:
            continue
        raise AssertionError(f"{type(value).__name__} can be changed")
    assert len({o.remaining, core.booking.remaining(anna)}) == 1  # equal values, hashable


def test_each_month_has_its_own_contingent(core):
    anna = member(core, "anna", "STADTWERKE-2026")
    core.booking.book(anna, "coesfeld", [TUE])
    assert core.booking.remaining(anna, "2026-12").member_left == 16
    [o] = core.booking.book(anna, "havixbeck", [date(2026, 12, 1)], desks=2)  # the other path
    assert o.remaining.month == "2026-12" and o.remaining.member_left == 12
    assert core.booking.remaining(anna, "2026-11").member_left == 14
    assert core.booking.remaining(anna).member_left == 14  # this month
    assert core.booking.remaining(member(core, "bob")) is None  # no employer


def test_employer_figures(core):
    anna, bob = member(core, "anna", "AGRAR-2026"), member(core, "bob", "AGRAR-2026")
    core.booking.book(anna, "coesfeld", [TUE, WED])
    core.booking.book(bob, "olfen", [TUE], part="morning")
    with core.db.session() as s:
        agrar = s.scalar(select(Employer.id).where(Employer.slug == "agrartech"))
        kreis = s.scalar(select(Employer.id).where(Employer.slug == "kreisverwaltung"))
    fig = core.booking.employer_remaining(agrar)
    assert (fig["pool_granted"], fig["pool_used"], fig["month"]) == (80, 5, "2026-11")
    assert {(r["name"], r["granted"], r["used"]) for r in fig["employees"]} == {("Anna", None, None), ("Bob", None, None)}
    kora = member(core, "kora", "KREIS-2026")
    core.booking.book(kora, "senden", [TUE])
    fig = core.booking.employer_remaining(kreis)
    assert (fig["pool_granted"], fig["pool_used"]) == (600, 2)
    assert [(r["name"], r["granted"], r["used"]) for r in fig["employees"]] == [("Kora", 12, 2)]
    assert core.booking.employer_remaining(agrar, "2026-12")["pool_used"] == 0
    with core.db.session() as s:
        sw = s.scalar(select(Employer.id).where(Employer.slug == "stadtwerke"))
    assert core.booking.employer_remaining(sw)["pool_granted"] is None


def test_closed_days_on_every_path(core):
    from bot.booking import Closed

    anna = member(core, "anna", "KREIS-2026")
    xmas = date(2026, 12, 25)
    [o] = core.booking.book(anna, "havixbeck", [xmas], desks=2)
    assert isinstance(o, Closed) and (o.reason, o.detail) == ("holiday", "Erster Weihnachtstag")
    o = core.booking.join_waitlist(anna, "havixbeck", xmas)
    assert isinstance(o, Closed) and o.reason == "holiday"
    [o] = core.booking.book(anna, "havixbeck", [date(2026, 11, 29)], desks=2)
    assert isinstance(o, Closed) and (o.reason, o.detail) == ("weekday", "")
    assert left(core, anna) == 12


def test_space_hours_and_open_days(core, clock):
    assert core.booking.space_hours("duelmen")["sat"] == ["09:00", "13:00"]
    assert not core.booking.space_hours("coesfeld").get("sat")  # closed on Saturdays
    assert core.booking.space_hours("muenster") == {}
    assert core.booking.cancel_cutoff_hours("olfen") == 12
    assert core.booking.open_days("coesfeld", 3) == [MON, TUE, WED]
    assert core.booking.open_days("duelmen", 6) == [MON, TUE, WED, THU, FRI, date(2026, 11, 28)]
    clock.set(at(MON, 17, 59))
    assert core.booking.open_days("coesfeld", 1) == [MON]
    clock.set(at(MON, 18, 0))  # closed for today
    assert core.booking.open_days("coesfeld", 1) == [TUE]
    assert core.booking.open_days("duelmen", 1) == [MON]  # Dülmen is open until 19:00
    assert core.booking.open_days(None, 1) == [MON]


def test_a_reminder_is_only_queued_while_it_lies_ahead(core, clock):
    anna = member(core, "anna")
    clock.set(at(TUE, 7, 29))
    [early] = core.booking.book(anna, "duelmen", [TUE], start="09:00", end="10:00")
    clock.set(at(TUE, 7, 30))
    [late] = core.booking.book(anna, "duelmen", [TUE], start="11:00", end="12:00")
    clock.set(at(TUE, 18, 0))
    [tomorrow] = core.booking.book(anna, "duelmen", [WED])
    with core.db.session() as s:
        kinds = {(r.booking_id, r.kind) for r in s.scalars(select(Outbox).where(Outbox.kind.like("reminder_%")))}
    assert kinds == {(early.booking.id, "reminder_morning"), (tomorrow.booking.id, "reminder_morning")}


def test_what_is_over_is_not_offered_for_cancelling(core, clock):
    anna = member(core, "anna")
    core.booking.book(anna, "coesfeld", [TUE], part="morning")
    core.booking.book(anna, "coesfeld", [TUE], part="afternoon")
    clock.set(at(TUE, 13, 0))
    found, late = core.booking.cancel_preview(anna, days=[TUE])
    assert [(b.part, b.start) for b in found] == [("afternoon", "13:00")] and late == []


def test_colleagues_are_shown_only_where_asked_and_when_they_agree(core):
    anna, bob, carl, dora = (member(core, n, "KREIS-2026") for n in ("anna", "bob", "carl", "dora"))
    for mid in (bob, carl):
        core.members.set_pref(mid, "share_presence", True)
    core.booking.book(bob, "olfen", [TUE])
    core.booking.book(carl, "senden", [TUE])
    core.booking.book(dora, "olfen", [TUE])  # does not share
    with core.db.session() as s:
        kreis = s.scalar(select(Employer.id).where(Employer.slug == "kreisverwaltung"))
    assert core.booking.colleagues_on(anna, [kreis], TUE) == [("Bob", "Coworking Olfen"), ("Carl", "Coworking Senden")]
    assert core.booking.colleagues_on(anna, [kreis], TUE, space_slug="olfen") == [("Bob", "Coworking Olfen")]
    assert core.booking.colleagues_on(bob, [kreis], TUE, space_slug="olfen") == []
    assert core.booking.colleagues_on(anna, [kreis], WED) == []


# ---------------------------------------------------------------- what other features ask of the service


def test_a_closed_day_refunds_in_full_and_cancels_the_waitlist(core, clock):
    from bot.storage.models import Space

    anna, bob = member(core, "anna", "STADTWERKE-2026"), member(core, "bob", "STADTWERKE-2026")
    carl = member(core, "carl")
    [a] = core.booking.book(anna, "rosendahl", [WED])
    [b] = core.booking.book(bob, "rosendahl", [WED], part="morning")
    w = core.booking.join_waitlist(carl, "rosendahl", WED)
    clock.set(at(WED, 7, 0))  # past the cutoff: the space closes, not the member, so it is refunded all the same
    with core.db.session() as s:
        sp = s.scalar(select(Space).where(Space.slug == "rosendahl"))
        per_member = core.booking.close_day(s, sp.id, WED, "Wasserschaden", clock.now())
    assert per_member == {anna: [a.booking.id], bob: [b.booking.id], carl: [w.booking.id]}
    assert (left(core, anna), left(core, bob)) == (16, 16)
    assert {row(core, x).status for x in (a.booking.id, b.booking.id, w.booking.id)} == {"cancelled"}
    with core.db.session() as s:
        sp = s.scalar(select(Space).where(Space.slug == "rosendahl"))
        assert core.booking.close_day(s, sp.id, WED, "again", clock.now()) is None


def test_void_refunds_unless_told_not_to(core):
    anna = member(core, "anna", "STADTWERKE-2026")
    [t] = core.booking.book(anna, "coesfeld", [TUE])
    [w] = core.booking.book(anna, "coesfeld", [WED], part="afternoon")
    with core.db.session() as s:
        assert core.booking.void(s, [s.get(Booking, t.booking.id)], core.clock.now()) == 2
        assert core.booking.void(s, [s.get(Booking, w.booking.id)], core.clock.now(), refund=False) == 0
    assert left(core, anna) == 15
    assert {row(core, t.booking.id).status, row(core, w.booking.id).status} == {"cancelled"}


def test_leaving_an_employer_moves_its_future_days_to_self_paid(core):
    anna = member(core, "anna", "STADTWERKE-2026")
    [t] = core.booking.book(anna, "coesfeld", [TUE])
    [w] = core.booking.book(anna, "coesfeld", [WED], part="morning")
    with core.db.session() as s:
        sw = s.scalar(select(Employer.id).where(Employer.slug == "stadtwerke"))
        kreis = s.scalar(select(Employer.id).where(Employer.slug == "kreisverwaltung"))
        assert core.booking.move_to_self_paid(s, anna, kreis, TUE, core.clock.now()) == ([], 0)
        moved, halves = core.booking.move_to_self_paid(s, anna, sw, WED, core.clock.now())
        assert [b.id for b in moved] == [w.booking.id] and halves == 1
    assert (row(core, t.booking.id).payer, row(core, t.booking.id).charged_halves) == ("employer", 2)
    b = row(core, w.booking.id)
    assert (b.payer, b.employer_id, b.charged_halves, b.member_account_id) == ("self", None, 0, None)
    assert left(core, anna) == 14


def test_an_operator_no_show_is_marked_as_such(core, clock):
    anna = member(core, "anna")
    [o] = core.booking.book(anna, "coesfeld", [TUE])
    clock.set(at(TUE, 9, 0))
    with core.db.session() as s:
        lapsed = core.booking.mark_no_show(s, s.get(Booking, o.booking.id), clock.now(), by_operator=True)
        assert [b.id for b in lapsed] == [o.booking.id]
    [n] = notices(core, "no_show", anna)
    assert n.payload == {"booking_id": o.booking.id, "refunded": False, "by_operator": True}


def test_recent_spaces_are_the_members_own_newest_first(core):
    anna, bob = member(core, "anna"), member(core, "bob")
    core.booking.book(anna, "olfen", [TUE])
    core.booking.book(anna, "senden", [WED])
    core.booking.book(anna, "olfen", [THU])
    core.booking.book(bob, "coesfeld", [FRI])
    assert core.booking.recent_spaces(anna) == ["olfen", "senden"]
    assert core.booking.recent_spaces(anna, limit=1) == ["olfen"]
    assert core.booking.recent_spaces(bob) == ["coesfeld"]


def test_the_horizon_includes_its_last_day_on_every_path(core):
    from bot.booking import TooFarAhead

    anna, bob = member(core, "anna"), member(core, "bob")
    last, after = date(2027, 1, 22), date(2027, 1, 25)  # today + 60 days (a Friday); the Monday after
    assert isinstance(core.booking.book(anna, "coesfeld", [last])[0], Booked)
    assert isinstance(core.booking.book(anna, "havixbeck", [last], desks=2, part="afternoon")[0], AlreadyBooked)
    assert isinstance(core.booking.book(bob, "havixbeck", [last], desks=2)[0], Booked)
    assert isinstance(core.booking.join_waitlist(member(core, "carl"), "rosendahl", last), Waitlisted)
    [o] = core.booking.book(bob, "havixbeck", [after], desks=2)
    assert isinstance(o, TooFarAhead) and o.last_day == last
    assert isinstance(core.booking.join_waitlist(bob, "rosendahl", after), TooFarAhead)


def test_distances_between_spaces_for_the_nearest_alternative(core):
    from math import cos, hypot, radians

    coesfeld, duelmen = core.booking.get_space("coesfeld"), core.booking.get_space("duelmen")
    assert None not in (coesfeld.lat, coesfeld.lon, duelmen.lat, duelmen.lon)
    flat = hypot((duelmen.lat - coesfeld.lat) * 111.2,
                 (duelmen.lon - coesfeld.lon) * 111.2 * cos(radians((duelmen.lat + coesfeld.lat) / 2)))
    km = coesfeld.km_to(duelmen)
    assert 5 < km < 60 and abs(km - flat) < 0.01 * flat  # a local flat-earth estimate agrees within 1 %
    assert duelmen.km_to(coesfeld) == km and coesfeld.km_to(coesfeld) == 0
    from dataclasses import replace

    assert replace(duelmen, lat=None).km_to(coesfeld) is None and coesfeld.km_to(replace(duelmen, lon=None)) is None


def test_checking_in_at_the_booked_space_by_name(core, clock):
    anna = member(core, "anna")
    core.booking.book(anna, "olfen", [TUE])
    clock.set(at(TUE, 8, 30))
    o = core.booking.check_in(anna, "olfen")
    assert isinstance(o, CheckedIn) and not o.walk_in and o.booking.space.slug == "olfen"


def test_moving_todays_booking_to_the_space_one_is_at(core, clock):
    """Called by the dialogue inside the message's unit of work, as here."""
    anna, bob = member(core, "anna", "STADTWERKE-2026"), member(core, "bob")
    fillers = [member(core, f"f{i}") for i in range(4)]
    [o] = core.booking.book(anna, "olfen", [TUE])
    for f in fillers[:2]:
        core.booking.book(f, "olfen", [TUE])  # Olfen (3 desks) is full
    w = core.booking.join_waitlist(bob, "olfen", TUE)
    for f in fillers[2:]:
        core.booking.book(f, "rosendahl", [TUE])  # Rosendahl (2 desks) is full

    def move(who: int, space: str):
        with core.db.unit_of_work():
            return core.booking.move_and_check_in(who, o.booking.id, space)

    clock.set(at(TUE, 9, 20))
    assert isinstance(move(bob, "senden"), NothingToCheckIn_)  # not his booking
    assert isinstance(move(anna, "rosendahl"), Full)  # no desk there: nothing changes
    assert row(core, o.booking.id).status == "confirmed" and left(core, anna) == 14
    moved = move(anna, "senden")
    assert isinstance(moved, CheckedIn) and moved.walk_in
    assert (moved.booking.space.slug, moved.booking.start, moved.booking.end) == ("senden", "09:15", "18:00")
    assert row(core, o.booking.id).status == "cancelled"
    assert row(core, moved.booking.id).status == "checked_in"
    assert left(core, anna) == 14  # the old day refunded in full, the rest of today charged
    assert [(b.id, b.status) for b in core.booking.my_bookings(bob)] == [(w.booking.id, "confirmed")]
    assert isinstance(move(anna, "senden"), NothingToCheckIn_)  # moved already


def test_a_booking_for_a_colleague_is_paid_from_their_contingent(core):
    anna, carl = member(core, "anna", "KREIS-2026"), member(core, "carl", "KREIS-2026")
    out = core.booking.book_for(anna, carl, "olfen", [TUE, WED], part="morning")
    assert [type(o).__name__ for o in out] == ["Booked", "Booked"]
    assert (left(core, anna), left(core, carl)) == (12, 10)  # carl's allowance pays, as if he had booked
    ids = [b.id for o in out for b in o.bookings]
    [n] = notices(core, "booked_for_you", carl)
    assert n.payload == {"booking_ids": ids, "by": anna}
    assert core.booking.book_for(anna, carl, "olfen", [date(2026, 11, 29)]) != [] and \
        len(notices(core, "booked_for_you", carl)) == 1  # nothing booked (a Sunday): nothing to tell
    res = core.booking.decline(carl, ids[:1], booked_by=anna)
    assert res.refunded_halves == 1 and left(core, carl) == 11
    [d] = notices(core, "booking_declined", anna)
    assert d.payload == {"booking_ids": ids[:1], "member_id": carl}
    assert core.booking.decline(carl, ids[:1], booked_by=anna).cancelled == []  # declined already
    assert len(notices(core, "booking_declined", anna)) == 1


def test_a_team_fits_before_bookings_that_start_as_it_ends(core):
    bob, carl, dora = member(core, "bob"), member(core, "carl"), member(core, "dora")
    core.booking.book(bob, "rosendahl", [TUE], part="afternoon")
    core.booking.book(carl, "rosendahl", [TUE], part="afternoon")
    [o] = core.booking.book(dora, "rosendahl", [TUE], part="morning", desks=2)
    assert isinstance(o, Booked) and len(o.bookings) == 2
    [o] = core.booking.book(member(core, "emil"), "rosendahl", [TUE], start="12:45", end="13:15", desks=1)
    assert isinstance(o, Full)


def test_the_typed_undo_finds_the_members_own_last_booking(core, clock):
    anna, bob = member(core, "anna"), member(core, "bob")
    core.booking.book(anna, "olfen", [TUE])
    [o] = core.booking.book(anna, "senden", [WED])
    core.booking.book(bob, "coesfeld", [THU])
    last = core.booking.last_booking(anna)
    assert (last.id, last.space.slug) == (o.booking.id, "senden")
    clock.set(at(MON, 9, 1))
    assert core.booking.last_booking(anna) is None  # made more than an hour ago


def test_a_moved_team_booking_moves_with_all_its_seats(core, clock):
    anna = member(core, "anna", "STADTWERKE-2026")
    [o] = core.booking.book(anna, "olfen", [TUE], desks=2)
    assert left(core, anna) == 12
    clock.set(at(TUE, 9, 20))
    with core.db.unit_of_work():
        moved = core.booking.move_and_check_in(anna, o.booking.id, "senden")
    assert isinstance(moved, CheckedIn)
    assert {row(core, b.id).status for b in o.bookings} == {"cancelled"}
    assert left(core, anna) == 14  # both seats refunded, the rest of today at Senden charged


def test_team_and_promoted_bookings_get_their_reminders(core):
    anna, bob, carl = member(core, "anna"), member(core, "bob"), member(core, "carl")
    [team] = core.booking.book(anna, "havixbeck", [WED], desks=2)
    core.booking.book(bob, "rosendahl", [WED])
    core.booking.book(member(core, "dora"), "rosendahl", [WED])
    w = core.booking.join_waitlist(carl, "rosendahl", WED)
    core.booking.cancel(bob, days=[WED])
    with core.db.session() as s:
        rows = {(r.booking_id, r.kind) for r in s.scalars(select(Outbox).where(Outbox.kind.like("reminder_%"),
                                                                                Outbox.status == "pending"))}
    for bid in (team.booking.id, w.booking.id):
        assert {(bid, "reminder_evening"), (bid, "reminder_morning")} <= rows


def test_a_team_no_show_lapses_with_all_its_seats_and_only_those(core, clock):
    anna = member(core, "anna", "STADTWERKE-2026")
    [team] = core.booking.book(anna, "havixbeck", [TUE], desks=2, part="morning")
    [other] = core.booking.book(anna, "olfen", [TUE], part="afternoon")
    clock.set(at(TUE, 10, 0))
    released = core.booking.release_no_shows()
    assert sorted(released) == sorted(b.id for b in team.bookings)
    assert row(core, other.booking.id).status == "confirmed"
    assert left(core, anna) == 13  # nothing refunded: 2 halves for the team morning, 1 for the afternoon


# ---------------------------------------------------------------- found by the mutation run of 2026-12-01 21:47


def test_a_member_books_the_morning_before_their_own_afternoon(core):
    """Overlap with the member's own bookings is strict at both ends: an afternoon from 13:00 leaves room for
    a morning that ends at 13:00, whichever is booked first."""
    anna, bob = member(core, "anna"), member(core, "bob")
    [pm] = core.booking.book(anna, "olfen", [TUE], part="afternoon")
    [am] = core.booking.book(anna, "rosendahl", [TUE], part="morning")
    assert isinstance(pm, Booked) and isinstance(am, Booked)
    [am2] = core.booking.book(bob, "rosendahl", [TUE], part="morning")
    [pm2] = core.booking.book(bob, "olfen", [TUE], part="afternoon")
    assert isinstance(am2, Booked) and isinstance(pm2, Booked)
    [again] = core.booking.book(anna, "duelmen", [TUE], start="12:59", end="14:00")
    assert isinstance(again, AlreadyBooked)


def test_cancel_without_a_choice_cancels_nothing(core):
    anna = member(core, "anna")
    booked = [o.booking.id for o in core.booking.book(anna, "olfen", [TUE, WED])]
    res = core.booking.cancel(anna)
    assert not res.cancelled
    assert [row(core, b).status for b in booked] == ["confirmed", "confirmed"]
    assert len(core.booking.cancel(anna, all_future=True).cancelled) == 2


def test_a_desk_wish_gets_that_desk_of_that_space(core):
    anna = member(core, "anna")
    [o] = core.booking.book(anna, "rosendahl", [TUE], desk_label="2")
    assert isinstance(o, Booked)
    with core.db.session() as s:
        from bot.storage.models import Desk, Space

        desk = s.get(Desk, row(core, o.booking.id).desk_id)
        assert desk.label == "2" and s.get(Space, desk.space_id).slug == "rosendahl"


def test_an_operator_hears_at_once_of_a_booking_for_today_only(core):
    op = member(core, "op", "OP-OLFEN")
    anna, bob = member(core, "anna"), member(core, "bob")
    [today] = core.booking.book(anna, "olfen", [MON])  # the clock: Monday 08:00
    [tomorrow] = core.booking.book(bob, "olfen", [TUE])
    assert isinstance(today, Booked) and isinstance(tomorrow, Booked)
    assert [n.booking_id for n in notices(core, "arrival_new", op)] == [today.booking.id]


def test_bookings_by_id_are_the_members_own_with_their_desk(core):
    """What the calendar file is made from: each booking once, with its own desk."""
    anna, bob = member(core, "anna"), member(core, "bob")
    [b1] = core.booking.book(bob, "rosendahl", [TUE])
    [a1] = core.booking.book(anna, "rosendahl", [TUE])
    got = core.booking.bookings_by_id(anna, [a1.booking.id, b1.booking.id])
    assert len(got) == 1 and got[0].id == a1.booking.id
    with core.db.session() as s:
        from bot.storage.models import Desk

        assert got[0].desk_label == s.get(Desk, row(core, a1.booking.id).desk_id).label == "2"
