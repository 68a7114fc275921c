"""The booking feature's notices: evening and morning reminders (with the check-in button), a desk given
from the waitlist, a lapsed booking (no-show), and the nudge to cowork tomorrow; and their buttons."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from bot.domain import Reply
from bot.i18n import fmt_day, fmt_fixed, t
from bot.notices import (
    Draft,
    RowView,
    Skip,
    booking_bundle,
    member_name,
    nt,
    part_text,
    utc,
)


def _d_reminder_evening(core, row: RowView, lang: str, now: datetime) -> Draft | Skip:
    from bot.booking import fmt_min

    x = booking_bundle(core, row.booking_id or row.payload.get("booking_id"))
    if x is None or x["b"].status != "confirmed":
        return Skip("booking no longer active")
    b, sp = x["b"], x["space"]
    if utc(now) >= utc(core.booking.local_dt(b.day, b.start_min)):
        return Skip("expired: booking has started")
    today = now.astimezone(core.clock.tz).date()
    when = nt(lang, "tomorrow") if b.day == today + timedelta(days=1) else (
        nt(lang, "today") if b.day == today else nt(lang, "on_day"))
    opening = x["opening"] or (b.start_min, b.end_min)
    text = nt(lang, "rem_evening", when=when, day=fmt_day(b.day, lang), space=sp.name, part=part_text(lang, b), desk=x["desk"],
              address=sp.address, open=fmt_min(opening[0]), close=fmt_min(opening[1]))
    return Draft(text, [[(nt(lang, "cancel_button"), {"op": "cancel", "ids": x["ids"]})]])


def _d_reminder_morning(core, row: RowView, lang: str, now: datetime) -> Draft | Skip:
    from bot.booking import fmt_min

    x = booking_bundle(core, row.booking_id or row.payload.get("booking_id"))
    if x is None or x["b"].status != "confirmed":
        return Skip("booking no longer active")
    b, sp = x["b"], x["space"]
    if utc(now) >= utc(core.booking.local_dt(b.day, b.end_min)):
        return Skip("expired: booking is over")
    deadline = min(b.start_min + sp.checkin_deadline_minutes, b.end_min)
    opening = x["opening"] or (b.start_min, b.end_min)
    text = nt(lang, "rem_morning", space=sp.name, part=part_text(lang, b), desk=x["desk"], open=fmt_min(opening[0]),
              close=fmt_min(opening[1]), deadline=fmt_min(deadline))
    buttons = [[(nt(lang, "checkin_button"), {"op": "checkin_btn", "booking_id": b.id, "space": sp.slug}),
                (nt(lang, "cancel_button"), {"op": "cancel", "ids": x["ids"]})]]
    return Draft(text, buttons)


def _d_promoted(core, row: RowView, lang: str, now: datetime) -> Draft | Skip:
    x = booking_bundle(core, row.booking_id or row.payload.get("booking_id"))
    if x is None or x["b"].status not in ("confirmed", "checked_in"):
        return Skip("booking no longer active")
    b, sp = x["b"], x["space"]
    if utc(now) >= utc(core.booking.local_dt(b.day, b.end_min)):
        return Skip("expired: booking is over")
    text = t(lang, "promoted", space=sp.name, day=fmt_day(b.day, lang), part=part_text(lang, b), desk=x["desk"])
    return Draft(text, [[(nt(lang, "cancel_button"), {"op": "cancel", "ids": x["ids"]})]])


def _d_no_show(core, row: RowView, lang: str, now: datetime) -> Draft | Skip:
    x = booking_bundle(core, row.booking_id or row.payload.get("booking_id"))
    if x is None:
        return Skip("booking gone")
    b, sp = x["b"], x["space"]
    text = nt(lang, "no_show", space=sp.name, day=fmt_day(b.day, lang))
    if row.payload.get("refunded") and b.payer == "employer":
        text += "\n" + nt(lang, "no_show_refund")
    elif b.payer == "employer":
        text += "\n" + nt(lang, "no_show_charged")
    return Draft(text)


def _d_nudge(core, row: RowView, lang: str, now: datetime) -> Draft | Skip:
    from bot.storage.models import Booking, Member, Space

    day = date.fromisoformat(row.payload["day"])
    today = now.astimezone(core.clock.tz).date()
    if day < today or (day > today and utc(now) >= utc(core.booking.local_dt(day, 0))):
        return Skip("expired: the day has come")
    with core.db.session() as s:
        booked = s.scalar(select(Booking.id).where(Booking.member_id == row.member_id, Booking.day == day,
                                                   Booking.status.in_(("confirmed", "checked_in", "waitlisted"))))
        m = s.get(Member, row.member_id)
        km = m.commute_km if m else None
        towns = dict(s.execute(select(Space.slug, Space.town)).all())
    if booked is not None:
        return Skip("already booked that day")
    avail = {a.space.slug: a for a in core.booking.availability(day)}
    buttons: list[tuple[str, dict]] = []
    for slug in row.payload.get("spaces") or []:
        a = avail.get(slug)
        if a is None or a.closed or a.free <= 0:
            continue
        buttons.append((nt(lang, "nudge_space", town=towns.get(slug, slug), free=a.free),
                        {"op": "book", "space": slug, "dates": [day.isoformat()], "part": None, "start": None, "end": None,
                         "desks": 1}))
    if not buttons:
        return Skip("no free desk in the usual spaces")
    text = nt(lang, "nudge_today" if day == today else "nudge", day=fmt_day(day, lang))
    if km:
        co2 = 2 * km * core.settings.co2_kg_per_km
        text += "\n" + nt(lang, "nudge_co2", km=fmt_fixed(2 * km, lang, 0), co2=fmt_fixed(co2, lang, 1))
    rows = [buttons[i:i + 3] for i in range(0, len(buttons), 3)]
    rows.append([(nt(lang, "nudge_no"), {"op": "nudge_no", "day": day.isoformat()})])
    return Draft(text, rows)


def op_checkin_btn(dlg, ctx, a: dict) -> list[Reply]:
    from bot.booking import (
        AlreadyCheckedIn,
        CheckedIn,
        NothingToCheckIn,
        TooEarlyToCheckIn,
    )
    from bot.features.booking.replies import explain

    lang = ctx.lang
    o = dlg.booking.check_in(ctx.member.id, a.get("space"))
    if isinstance(o, CheckedIn):
        b = o.booking
        return [Reply(t(lang, "checked_in", space=b.space.name, desk=b.desk_label, end=b.end))]
    if isinstance(o, AlreadyCheckedIn):
        return [Reply(t(lang, "already_checked_in", space=o.booking.space.name))]
    if isinstance(o, TooEarlyToCheckIn):  # the token is spent: offer the button again
        again = dlg.choices(ctx, [(nt(lang, "checkin_button"), {"op": "checkin_btn", "booking_id": a.get("booking_id"),
                                                                 "space": a.get("space")})])
        return [Reply(t(lang, "too_early", space=o.booking.space.name, at=o.opens_at), again)]
    if isinstance(o, NothingToCheckIn):
        return [Reply(t(lang, "nothing_to_check_in"))]
    return [explain(dlg, ctx, o, {"space": a.get("space")})]


def op_nudge_no(dlg, ctx, a: dict) -> list[Reply]:
    return [Reply(nt(ctx.lang, "nudge_no_reply"))]


def _d_booked_for_you(core, row: RowView, lang: str, now: datetime) -> Draft | Skip:
    """A colleague booked for you: what, by whom, and a button to decline."""
    from bot.storage.models import Member

    x = booking_bundle(core, row.booking_id or (row.payload.get("booking_ids") or [None])[0])
    if x is None or x["b"].status not in ("confirmed", "waitlisted"):
        return Skip("booking no longer active")
    with core.db.session() as s:
        by = s.get(Member, int(row.payload["by"]))
        by_name = member_name(by, lang)
    b, sp = x["b"], x["space"]
    text = t(lang, "booked_for_you", name=by_name, space=sp.name, day=fmt_day(b.day, lang), part=part_text(lang, b),
             desk=x["desk"])
    return Draft(text, [[(t(lang, "btn_decline"), {"op": "decline", "ids": row.payload["booking_ids"], "by": by.id if by else 0})]])


def _d_declined(core, row: RowView, lang: str, now: datetime) -> Draft | Skip:
    from bot.storage.models import Member

    with core.db.session() as s:
        who = member_name(s.get(Member, int(row.payload["member_id"])), lang)
    return Draft(t(lang, "booking_declined", name=who))


DRAFTERS = {
    "booked_for_you": _d_booked_for_you,
    "booking_declined": _d_declined,
    "reminder_evening": _d_reminder_evening,
    "reminder_morning": _d_reminder_morning,
    "waitlist_promoted": _d_promoted,
    "no_show": _d_no_show,
    "nudge": _d_nudge,
}
BUTTONS = {"checkin_btn": op_checkin_btn, "nudge_no": op_nudge_no}
