"""A member's own impact, from their bookings: days coworked instead of commuting, km and CO₂ avoided, the
streak of weeks in a row and the badges earned. Friendly by design: a badge is only ever gained, and a week
without coworking is simply not mentioned.

Method (as the district's statistics, `bot.stats`): a coworking day is an own booking (seat 0) that was
checked in, or confirmed on a day that is over; a half day counts half. Avoided km = 2 x (home→office minus
home→coworking, both given with /pendeln), per day; CO₂ = km x DESKBOT_CO2_KG_PER_KM.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select

from bot.booking import halves_for
from bot.domain import Status
from bot.storage.models import Booking, Member

BADGES = (  # (key, test on (days, km)) in the order they are earned
    ("first_day", lambda days, km: days >= 1),
    ("five_days", lambda days, km: days >= 5),
    ("twenty_days", lambda days, km: days >= 20),
    ("km_100", lambda days, km: km >= 100),
    ("km_500", lambda days, km: km >= 500),
)


@dataclass(slots=True)
class Impact:
    days_month: float = 0.0
    days_total: float = 0.0
    km_month: float = 0.0
    km_total: float = 0.0
    co2_month: float = 0.0
    co2_total: float = 0.0
    commute_km: float | None = None
    streak_weeks: int = 0
    badges: list[str] = field(default_factory=list)


def _day_weights(core, member_id: int, today: date, since: date | None = None) -> dict[date, float]:
    with core.db.session() as s:
        q = select(Booking.day, Booking.status, Booking.part, Booking.start_min, Booking.end_min).where(
            Booking.member_id == member_id, Booking.seat == 0,
            Booking.status.in_((Status.CHECKED_IN.value, Status.CONFIRMED.value)), Booking.day <= today)
        if since is not None:
            q = q.where(Booking.day >= since)
        weights: dict[date, float] = {}
        for day, status, part, m0, m1 in s.execute(q).all():
            if status == Status.CONFIRMED.value and day >= today:
                continue  # not over yet and not checked in
            weights[day] = min(1.0, weights.get(day, 0.0) + halves_for(part, m0, m1) / 2)
        return weights


def _net_km(core, member_id: int) -> float | None:
    """One-way km not driven per coworking day: home→office minus home→coworking (as the district counts it)."""
    with core.db.session() as s:
        row = s.execute(select(Member.commute_km, Member.prefs).where(Member.id == member_id)).first()
    if row is None or row.commute_km is None:
        return None
    return max(0.0, row.commute_km - float((row.prefs or {}).get("cowork_km") or 0))


def personal_impact(core, member_id: int, today: date) -> Impact:
    weights = _day_weights(core, member_id, today)
    km = _net_km(core, member_id)
    factor = core.settings.co2_kg_per_km
    first = today.replace(day=1)
    imp = Impact(commute_km=km)
    imp.days_total = sum(weights.values())
    imp.days_month = sum(w for d, w in weights.items() if d >= first)
    if km:
        imp.km_total = 2 * km * imp.days_total
        imp.km_month = 2 * km * imp.days_month
        imp.co2_total, imp.co2_month = imp.km_total * factor, imp.km_month * factor
    weeks = {d.isocalendar()[:2] for d in weights}
    monday = today - timedelta(days=today.weekday())
    if monday.isocalendar()[:2] not in weeks:
        monday -= timedelta(days=7)  # this week may still come: the streak counts up to last week
    while monday.isocalendar()[:2] in weeks:
        imp.streak_weeks += 1
        monday -= timedelta(days=7)
    imp.badges = [key for key, test in BADGES if test(imp.days_total, imp.km_total)]
    return imp


def week_summary(core, member_id: int, monday: date) -> tuple[float, float]:
    """(days, km) coworked in the week starting on `monday`."""
    weights = _day_weights(core, member_id, monday + timedelta(days=6), since=monday)
    km = _net_km(core, member_id) or 0
    days = sum(weights.values())
    return days, 2 * km * days
