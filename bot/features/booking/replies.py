"""How the booking feature says things: confirmations, why a day could not be booked, contingent left."""

from __future__ import annotations

from bot import i18n
from bot.booking import (
    AlreadyBooked,
    Booked,
    BookingInfo,
    Closed,
    Full,
    InPast,
    NoContingent,
    OutsideHours,
    TooFarAhead,
    UnknownSpace,
    Waitlisted,
    fmt_min,
)
from bot.domain import Reply
from bot.i18n import fmt_day, fmt_days, fmt_eur, fmt_holiday, t
from bot.router import Ctx

WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def part_text(lang: str, b: BookingInfo) -> str:
    if b.part == "hours":
        return f", {b.start}–{b.end}"
    if b.part == "full":
        return ""
    return ", " + i18n.PART[lang][b.part]


def confirmation(dlg, ctx: Ctx, booked: list[Booked]) -> Reply:
    lang = ctx.lang
    first = booked[0].booking
    opening = first.opening or (first.start_min, first.end_min)
    if len(booked) == 1:
        bs = booked[0].bookings
        if len(bs) == 1:
            text = t(lang, "booked", space=first.space.name, day=fmt_day(first.day, lang), part=part_text(lang, first),
                     desk=first.desk_label, address=first.space.address, open=fmt_min(opening[0]), close=fmt_min(opening[1]))
        else:
            text = t(lang, "booked_team", space=first.space.name, day=fmt_day(first.day, lang), part=part_text(lang, first),
                     n=len(bs), desks=", ".join(b.desk_label or "" for b in bs), address=first.space.address,
                     open=fmt_min(opening[0]), close=fmt_min(opening[1]))
    else:
        lines = [t(lang, "booked_many_head", space=first.space.name, address=first.space.address)]
        for o in booked:
            b = o.booking
            desks = ", ".join(x.desk_label or "" for x in o.bookings)
            lines.append(t(lang, "booked_line", day=fmt_day(b.day, lang), part=part_text(lang, b), desk=desks))
        text = "\n".join(lines)
    if first.payer == "employer":
        # a series over two months shows what is left in each of them (the last figure of each month)
        per_month = {o.remaining.month: o.remaining for o in booked if o.remaining is not None}
        for rem in per_month.values():
            text += "\n" + remaining_text(lang, rem)
    elif first.payer == "self":
        text += "\n" + t(lang, "pays_self", price=fmt_eur(first.space.day_price_cents, lang))
    ids = [b.id for o in booked for b in o.bookings]
    seat0 = [b.id for o in booked for b in o.bookings if b.seat == 0]
    buttons = dlg.choices(ctx, [(t(lang, "undo"), {"op": "undo", "ids": ids}),
                                (t(lang, "ics_button"), {"op": "ics", "ids": seat0})], ask=False)
    return Reply(text, buttons)


def remaining_text(lang: str, rem) -> str:
    month = i18n.fmt_month(rem.month, lang)
    parts = []
    if rem.member_left is not None:
        parts.append(t.n(lang, "remaining_member", i18n.days_count(rem.member_granted), employer=rem.employer_name, month=month,
                       left=i18n.fmt_num(rem.member_left, lang), granted=i18n.fmt_num(rem.member_granted, lang)))
    if rem.pool_left is not None:
        parts.append(t.n(lang, "remaining_pool", i18n.days_count(rem.pool_granted), employer=rem.employer_name, month=month,
                       left=i18n.fmt_num(rem.pool_left, lang), granted=i18n.fmt_num(rem.pool_granted, lang)))
    return "\n".join(parts)


def explain(dlg, ctx: Ctx, o, request: dict) -> Reply:
    """Why a day could not be booked, and what to do instead."""
    lang = ctx.lang
    if isinstance(o, Full):
        day = fmt_day(o.day, lang)
        desks = int(request.get("desks") or 1)
        text = t.n(lang, "full_team", o.free, space=o.space.name, day=day, free=o.free, n=desks) if desks > 1 else \
            t(lang, "full", space=o.space.name, day=day)
        opts: list[tuple[str, dict]] = []
        every = dlg.booking.availability(o.day, part=request.get("part"), start=request.get("start"), end=request.get("end"))
        here = next((a.space for a in every if a.space.slug == o.space.slug), o.space)
        alts = [a for a in every if a.free >= desks and a.space.slug != o.space.slug and not a.closed]
        # nearest first: a full Rosendahl suggests Coesfeld and Billerbeck, not Ascheberg 40 km away
        alts.sort(key=lambda a: (here.km_to(a.space) if here.km_to(a.space) is not None else 1e9, -a.free))

        def label(a) -> str:
            km = here.km_to(a.space)
            return f"{a.space.town} ({a.free}" + (f", {km:.0f} km)" if km is not None else ")")

        if alts:
            text += "\n" + t(lang, "full_alternatives", day=day) + " " + ", ".join(label(a) for a in alts[:4])
            opts += [(t(lang, "book_button", space=a.space.town), dict(request, space=a.space.slug, dates=[o.day.isoformat()]))
                     for a in alts[:3]]
        if desks == 1:
            opts.append((t(lang, "waitlist_offer"), {"op": "waitlist", "space": o.space.slug, "date": o.day.isoformat(),
                                                      "part": request.get("part"), "start": request.get("start"),
                                                      "end": request.get("end")}))
        return Reply(text, dlg.choices(ctx, opts, per_row=2))
    if isinstance(o, Closed):
        day = fmt_day(o.day, lang)
        if o.reason == "holiday":
            text = t(lang, "closed_holiday", space=o.space.name, day=day, detail=fmt_holiday(o.detail, o.day, lang))
        elif o.reason == "closure":
            text = t(lang, "closed_closure", space=o.space.name, day=day, detail=f" ({o.detail})" if o.detail else "")
        else:
            text = t(lang, "closed_weekday", space=o.space.name, day=day, hours=hours_text(dlg, o.space.slug, lang))
        return Reply(text)
    if isinstance(o, OutsideHours):
        return Reply(t(lang, "outside_hours", space=o.space.name, day=fmt_day(o.day, lang),
                       open=fmt_min(o.opening[0]), close=fmt_min(o.opening[1])))
    if isinstance(o, InPast):
        return Reply(t(lang, "in_past", day=fmt_day(o.day, lang)))
    if isinstance(o, TooFarAhead):
        return Reply(t(lang, "too_far", day=fmt_day(o.day, lang), last=fmt_day(o.last_day, lang)))
    if isinstance(o, NoContingent):
        space = dlg.booking.get_space(request["space"])
        price = fmt_eur(space.day_price_cents if space else 0, lang)
        left = o.remaining.effective_left if o.remaining else 0
        opts = [(t(lang, "pay_self_button", price=price), dict(request, dates=[o.day.isoformat()], pay_self=True))]
        return Reply(t(lang, "no_contingent", day=fmt_day(o.day, lang), left=fmt_days(left, lang), price=price),
                     dlg.choices(ctx, opts))
    if isinstance(o, AlreadyBooked):
        if o.existing is not None:
            return Reply(t(lang, "already_booked", day=fmt_day(o.day, lang), space=o.existing.space.name,
                           part=part_text(lang, o.existing)))
        return Reply(t(lang, "already_booked_plain", day=fmt_day(o.day, lang)))
    if isinstance(o, UnknownSpace):
        return Reply(t(lang, "unknown_space"))
    if isinstance(o, Waitlisted):
        return Reply(t(lang, "waitlisted", space=o.booking.space.name, day=fmt_day(o.booking.day, lang), pos=o.position))
    return Reply(t(lang, "error"))


def hours_text(dlg, slug: str, lang: str) -> str:
    hours = dlg.booking.space_hours(slug)
    names = i18n.WD_EN if lang == "en" else i18n.WD_DE
    parts = [f"{names[i]} {h[0]}–{h[1]}" for i, k in enumerate(WEEKDAY_KEYS) if (h := hours.get(k))]
    return ", ".join(parts)


def cancelled_reply(dlg, ctx: Ctx, res) -> Reply:
    lang = ctx.lang
    seen = set()
    items = []
    for b in res.cancelled:
        key = (b.day, b.space.slug)
        if key in seen:
            continue
        seen.add(key)
        items.append(f"{fmt_day(b.day, lang)} {b.space.name}")
    text = t(lang, "cancelled", items=", ".join(items))
    if res.refunded_halves:
        text += "\n" + t(lang, "cancelled_refund", days=fmt_days(res.refunded_halves, lang))
    if res.not_refunded:
        late = ", ".join(sorted({fmt_day(b.day, lang) for b in res.not_refunded}))
        hours = dlg.booking.cancel_cutoff_hours(res.not_refunded[0].space.slug)
        text += "\n" + t(lang, "cancelled_late", items=late, hours=hours)
    ids = [b.id for b in res.cancelled if b.seat == 0 and b.status != "waitlisted"]
    buttons = dlg.choices(ctx, [(t(lang, "ics_cancel_button"), {"op": "ics_cancel", "ids": ids})], ask=False) if ids else []
    return Reply(text, buttons)
