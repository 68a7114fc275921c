"""The employer feature's periodic work: low-contingent alerts, monthly reports, copies of the staff's bookings."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import select, update

from bot.clock import as_utc, local_at
from bot.router import Job
from bot.storage.models import Booking, ContingentAccount, Employer, Member, Role
from bot.storage.outbox import enqueue

REPORT_HOUR = 7  # monthly report: 07:00 on the 1st (for the previous month)
REPORT_DAYS = 3  # ... or on the 2nd/3rd if the bot was down on the 1st


def contingent_alerts(core, now: datetime) -> int:
    """Tell the employer admins once per account and month when less than `alert_percent` is left — for future
    months as soon as they are booked ahead, not only when they begin."""
    from bot.booking import month_key

    month = month_key(now.date())
    n = 0
    with core.db.session() as s:
        # the threshold is checked by the database: only accounts below it are loaded
        left_expr = ContingentAccount.granted_halves - ContingentAccount.used_halves
        rows = s.execute(select(ContingentAccount, Employer).join(Employer, Employer.id == ContingentAccount.employer_id)
                         # this month and every month already booked ahead
                         .where(ContingentAccount.month >= month, ContingentAccount.alerted.is_(False),
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
                             payload={"account_id": acct.id, "employer_id": emp.id, "scope": acct.scope, "month": acct.month,
                                      "left": left, "granted": acct.granted_halves})
    return n


def monthly_reports(core, now: datetime) -> int:
    from bot.reports import previous_month

    today = now.date()
    if today.day > REPORT_DAYS:
        return 0
    first = today.replace(day=1)
    fire = local_at(core.clock.tz, first, REPORT_HOUR * 60)
    if as_utc(now) < as_utc(fire):
        return 0
    month = previous_month(first)
    n = 0
    with core.db.session() as s:
        for emp in s.scalars(select(Employer).where(Employer.active)):
            admins = s.scalars(select(Role.member_id).where(Role.kind == "employer_admin", Role.employer_id == emp.id)).all()
            for admin in admins:
                n += enqueue(s, "monthly_report", f"report:{emp.id}:{month}:m{admin}", due_at=fire, now=now,
                             member_id=admin, payload={"employer_id": emp.id, "month": month})
    return n


def employer_copies(core, now: datetime) -> int:
    """A copy of each booking / cancellation / no-show of an employee to the employer admins who
    switched it on (only changes after they did)."""
    n = 0
    with core.db.session() as s:
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
        horizon = as_utc(now) - timedelta(days=1)
        for b in s.scalars(select(Booking).where(Booking.employer_id.in_(list(wanted)), Booking.seat == 0,
                                                 Booking.updated_at >= horizon)):
            event = {"confirmed": "booked", "checked_in": "booked", "cancelled": "cancelled", "no_show": "no_show"}.get(b.status)
            if event is None:
                continue
            for admin, since in wanted[b.employer_id]:
                if admin == b.member_id or as_utc(b.updated_at) <= as_utc(since):
                    continue
                n += enqueue(s, "employer_copy", f"copy:{b.id}:{event}:m{admin}", due_at=now, now=now, member_id=admin,
                             booking_id=None, payload={"booking_id": b.id, "event": event})
    return n


def monthly_reports_fire_times(core, start: datetime, end: datetime):
    """07:00 on the first of each month."""
    d0, d1 = start.astimezone(core.clock.tz).date(), end.astimezone(core.clock.tz).date()
    for i in range((d1 - d0).days + 1):
        day = d0 + timedelta(days=i)
        if day.day == 1:
            yield local_at(core.clock.tz, day, REPORT_HOUR * 60)


JOBS = [
    Job("contingent_alerts", contingent_alerts),
    Job("monthly_reports", monthly_reports, monthly_reports_fire_times),
    Job("employer_copies", employer_copies),
]
