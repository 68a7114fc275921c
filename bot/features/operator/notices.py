"""The operator feature's notices: arrival pushes (new booking, check-in, cancellation for today) and
the morning digest of who comes today."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from bot.i18n import fmt_day
from bot.notices import (
    Draft,
    RowView,
    Skip,
    booking_bundle,
    employer_label,
    member_name,
    nt,
    part_plain,
    text_notice,
    utc,
)


def _d_arrival(core, row: RowView, lang: str, now: datetime) -> Draft | Skip:
    x = booking_bundle(core, row.payload.get("booking_id") or row.booking_id)
    if x is None:
        return Skip("booking gone")
    b, sp = x["b"], x["space"]
    if b.day != now.astimezone(core.clock.tz).date():
        return Skip("expired: not today any more")
    key = {"arrival_new": "arr_new", "arrival_checkin": "arr_checkin", "arrival_cancelled": "arr_cancelled"}[row.kind]
    text = nt(lang, key, space=sp.name, name=member_name(x["member"], lang), employer=x["employer"].get(lang, x["employer"]["de"]),
              part=part_plain(lang, b), desk=x["desk"])
    return Draft(text)


def _d_digest(core, row: RowView, lang: str, now: datetime) -> Draft | Skip:
    from bot.booking import opening_of
    from bot.storage.models import Booking, Desk, Member, Space

    day = date.fromisoformat(row.payload["day"])
    with core.db.session() as s:
        sp = s.get(Space, int(row.payload["space_id"]))
        if sp is None:
            return Skip("space gone")
        opening = opening_of(sp, day)
        if opening is None or utc(now) >= utc(core.booking.local_dt(day, opening[1])):
            return Skip("expired: space closed for the day")
        rows = s.execute(
            select(Booking, Member, Desk.label).join(Member, Member.id == Booking.member_id)
            .outerjoin(Desk, Desk.id == Booking.desk_id)
            .where(Booking.space_id == sp.id, Booking.day == day, Booking.status.in_(("confirmed", "checked_in")))
            .order_by(Booking.start_min, Member.display_name, Booking.seat)
        ).all()
        lines = []
        for b, m, label in rows:
            line = nt(lang, "digest_line", name=member_name(m, lang), employer=employer_label(s, b, lang),
                      part=part_plain(lang, b), desk=label or "–")
            if b.status == "checked_in":
                line += nt(lang, "checked_in_mark")
            lines.append(line)
        name = sp.name
    if not lines:
        return Draft(nt(lang, "digest_none", space=name, day=fmt_day(day, lang)))
    return Draft("\n".join([nt.n(lang, "digest_head", len(lines), space=name, day=fmt_day(day, lang))] + lines))


DRAFTERS = {
    "space_closed": text_notice,  # written with its text when enqueued
    "arrival_new": _d_arrival, "arrival_checkin": _d_arrival, "arrival_cancelled": _d_arrival, "digest": _d_digest}
