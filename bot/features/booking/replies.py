"""How the booking feature says things: confirmations, why a day could not be booked, contingent left."""

from __future__ import annotations

from bot import i18n
from bot.booking import (
    AlreadyBooked,
    Booked,
    BookingInfo,
    Closed,
    DeskTaken,
    Full,
    InPast,
    NoContingent,
    NoMatchingDesk,
    NoSuchFeature,
    OutsideHours,
    TooFarAhead,
    UnknownDesk,
    UnknownSpace,
    Waitlisted,
    fmt_min,
    halves_for,
)
from bot.domain import Reply
from bot.features.district.regions import same_region
from bot.i18n import fmt_day, fmt_days, fmt_eur, fmt_holiday, t
from bot.router import Ctx

WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def part_text(lang: str, b: BookingInfo) -> str:
    if b.part == "hours":
        return f", {b.start}–{b.end}"
    if b.part == "full":
        return ""
    return ", " + i18n.PART[lang][b.part]


# ---------------------------------------------------------------------------------------------
# desk features (the world file's names; a name without a text is shown as it is)


def feature_name(lang: str, feature: str, *, short: bool = True) -> str:
    """A feature as a label ("Monitor", "ruhig") or, `short=False`, as it reads after "mit" ("ruhiger Lage")."""
    if short:
        names = {"monitor": t(lang, "feature_short_monitor"), "quiet": t(lang, "feature_short_quiet"),
                 "standing": t(lang, "feature_short_standing")}
    else:
        names = {"monitor": t(lang, "feature_with_monitor"), "quiet": t(lang, "feature_with_quiet"),
                 "standing": t(lang, "feature_with_standing")}
    return names.get(feature, feature)


def features_text(lang: str, features, *, short: bool = False) -> str:
    """Features as a label list ("Monitor, Stehpult") or for a sentence ("Monitor und Stehpult")."""
    names = [feature_name(lang, f, short=short) for f in features]
    if short or len(names) < 2:
        return ", ".join(names)
    return t(lang, "features_and", first=", ".join(names[:-1]), last=names[-1])


def desk_text(lang: str, label: str | None, features=()) -> str:
    """A desk as it follows "Platz": "3 (ruhig)", "4"."""
    return f"{label} ({features_text(lang, features, short=True)})" if features else (label or "")


def with_desk_features(dlg, lang: str, booked: list[Booked]) -> list[Booked]:
    """Copies of the bookings whose desk labels are followed by the desk's features ("3 (ruhig)"), one query."""
    from dataclasses import replace

    from bot.features.booking.desks import desk_features

    pairs = {(b.space.slug, b.desk_label) for o in booked for b in o.bookings if b.desk_label}
    feats = desk_features(dlg.booking, pairs)
    return [Booked([replace(b, desk_label=desk_text(lang, b.desk_label, feats.get((b.space.slug, b.desk_label), ())))
                    for b in o.bookings], o.remaining) for o in booked]


def confirmation(dlg, ctx: Ctx, booked: list[Booked], *, wish: bool = False) -> Reply:
    """`wish`: the booking asked for a desk (or features): each desk is named with its features."""
    lang = ctx.lang
    if wish:
        booked = with_desk_features(dlg, lang, booked)
    first = booked[0].booking
    by_space: dict[int, list[Booked]] = {}  # "Mittwoch Senden und Donnerstag Olfen": one block per place
    for o in booked:
        by_space.setdefault(o.booking.space.id, []).append(o)
    text = "\n\n".join(_booked_text(lang, group) for group in by_space.values())
    if first.payer == "employer":
        # a series over two months shows what is left in each of them (the last figure of each month)
        per_month = {o.remaining.month: o.remaining for o in booked if o.remaining is not None}
        for rem in per_month.values():
            text += "\n" + remaining_text(lang, rem)
    elif first.payer == "self":
        text += "\n" + self_pay_text(lang, [b for o in booked for b in o.bookings])
    ids = [b.id for o in booked for b in o.bookings]
    seat0 = [b.id for o in booked for b in o.bookings if b.seat == 0]
    buttons = dlg.choices(ctx, [(t(lang, "undo"), {"op": "undo", "ids": ids}),
                                (t(lang, "ics_button"), {"op": "ics", "ids": seat0})], ask=False)
    return Reply(text, buttons)


def _booked_text(lang: str, booked: list[Booked]) -> str:
    """What was booked in one space."""
    first = booked[0].booking
    opening = first.opening or (first.start_min, first.end_min)
    if len(booked) == 1:
        bs = booked[0].bookings
        if len(bs) == 1:
            return t(lang, "booked", space=first.space.name, day=fmt_day(first.day, lang), part=part_text(lang, first),
                     desk=first.desk_label, address=first.space.address, open=fmt_min(opening[0]), close=fmt_min(opening[1]))
        return t(lang, "booked_team", space=first.space.name, day=fmt_day(first.day, lang), part=part_text(lang, first),
                 n=len(bs), desks=", ".join(b.desk_label or "" for b in bs), address=first.space.address,
                 open=fmt_min(opening[0]), close=fmt_min(opening[1]))
    lines = [t(lang, "booked_many_head", space=first.space.name, address=first.space.address)]
    for o in booked:
        b = o.booking
        desks = ", ".join(x.desk_label or "" for x in o.bookings)
        lines.append(t(lang, "booked_line", day=fmt_day(b.day, lang), part=part_text(lang, b), desk=desks))
    return "\n".join(lines)


def self_pay_text(lang: str, bookings: list) -> str:
    """What a self-paying member pays on site for these bookings: the day price for one full day, else the total
    (desks x days, a half day at half the price) next to the rate, so "für 3 Leute" or "halbtags" shows its real sum."""
    first = bookings[0]
    price = first.space.day_price_cents
    halves = [halves_for(b.part, b.start_min, b.end_min) for b in bookings]
    if halves == [2]:
        return t(lang, "pays_self", price=fmt_eur(price, lang))
    total = sum(b.space.day_price_cents * h // 2 for b, h in zip(bookings, halves))
    if halves == [1]:
        return t(lang, "pays_self_half", total=fmt_eur(total, lang), price=fmt_eur(price, lang))
    return t(lang, "pays_self_total", total=fmt_eur(total, lang), price=fmt_eur(price, lang))


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


def offer_rebook(dlg, ctx: Ctx, o: AlreadyBooked, request: dict, text: str) -> Reply:
    """"morgen Olfen" with a booking in Coesfeld that day: offer to move it (nothing changes until pressed), and
    say when the old day would not be refunded any more."""
    lang = ctx.lang
    new = request.get("space")
    old = o.existing
    if not new or old is None or (new == old.space.slug and not request.get("desk")):
        return Reply(text)
    refs = {r.slug: r for r in dlg.core.space_refs()}
    town = refs[new].town if new in refs else new
    ids = dlg.booking.group_ids(old)
    _found, late = dlg.booking.cancel_preview(ctx.member.id, booking_ids=ids)
    text += "\n" + t(lang, "rebook_offer", town=town)
    if late:
        text += " " + t(lang, "rebook_offer_late", space=old.space.name)
    opts = [(t(lang, "btn_rebook", town=town), {"op": "rebook", "cancel_ids": ids,
                                                  "request": dict(request, dates=[o.day.isoformat()])}),
            (t(lang, "btn_keep"), {"op": "keep"})]
    return Reply(text, dlg.choices(ctx, opts, per_row=1))


def explain_short(dlg, ctx: Ctx, short: list, request: dict) -> Reply:
    """Several days the contingent does not cover (a range or a series): one note naming them and one button
    that books all of them self-paid, instead of a note and an unlabelled "pay myself" button per day."""
    if len(short) == 1:
        return explain(dlg, ctx, short[0], request)
    lang = ctx.lang
    space = dlg.booking.get_space(request["space"])
    cents = space.day_price_cents if space else 0
    left = short[0].remaining.effective_left if short[0].remaining else 0
    days = [o.day for o in short]
    opts = [(t.n(lang, "pay_self_days_button", len(days), total=fmt_eur(cents * len(days), lang)),
             dict(request, op="book", dates=[d.isoformat() for d in days], pay_self=True))]
    return Reply(t.n(lang, "no_contingent_days", len(days), days=", ".join(fmt_day(d, lang) for d in days),
                     left=fmt_days(left, lang), price=fmt_eur(cents, lang)), dlg.choices(ctx, opts))


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
        near = same_region(dlg.core, o.space.slug)  # alternatives in the space's own region (issue 17)
        alts = [a for a in every if a.free >= desks and a.space.slug != o.space.slug and not a.closed
                and (near is None or a.space.slug in near)]
        # nearest first: a full Rosendahl suggests Coesfeld and Billerbeck, not Ascheberg 40 km away
        alts.sort(key=lambda a: (here.km_to(a.space) if here.km_to(a.space) is not None else 1e9, -a.free))

        def label(a) -> str:
            km = here.km_to(a.space)
            return f"{a.space.town} ({a.free}" + (f", {km:.0f} km)" if km is not None else ")")

        if alts:
            text += "\n" + t(lang, "full_alternatives", day=day) + " " + ", ".join(label(a) for a in alts[:4])
            # op "book" also when the request came without one (a move, a waitlist or arrival button): a button
            # without an op has no router (RouterConflict, the apology)
            opts += [(t(lang, "book_button", space=a.space.town),
                      dict(request, op="book", space=a.space.slug, dates=[o.day.isoformat()])) for a in alts[:3]]
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
        opts = [(t(lang, "pay_self_button", price=price), dict(request, op="book", dates=[o.day.isoformat()], pay_self=True))]
        return Reply(t(lang, "no_contingent", day=fmt_day(o.day, lang), left=fmt_days(left, lang), price=price),
                     dlg.choices(ctx, opts))
    if isinstance(o, AlreadyBooked):
        if o.existing is not None:
            text = t(lang, "already_booked", day=fmt_day(o.day, lang), space=o.existing.space.name,
                     part=part_text(lang, o.existing))
            return offer_rebook(dlg, ctx, o, request, text)
        return Reply(t(lang, "already_booked_plain", day=fmt_day(o.day, lang)))
    if isinstance(o, UnknownSpace):
        return Reply(t(lang, "unknown_space"))
    if isinstance(o, Waitlisted):
        return Reply(t(lang, "waitlisted", space=o.booking.space.name, day=fmt_day(o.booking.day, lang), pos=o.position))
    if isinstance(o, (UnknownDesk, DeskTaken, NoMatchingDesk, NoSuchFeature)):
        return explain_desk(dlg, ctx, o, request)
    return Reply(t(lang, "error"))


# ---------------------------------------------------------------------------------------------
# a desk wish that cannot be met: nothing was booked; say why and offer what can be booked instead


def plain_request(request: dict) -> dict:
    """The request without its desk wish."""
    return {k: v for k, v in request.items() if k not in ("desk", "features")}


def _km_label(here, sd, n: int) -> str:
    km = here.km_to(sd.space)
    return f"{sd.space.town} ({n}" + (f", {km:.0f} km)" if km is not None else ")")


def explain_desk(dlg, ctx: Ctx, o, request: dict) -> Reply:
    """Why the desk wished for cannot be booked that day, with buttons for what can: another desk of the space
    (like the one wished for first), a desk without the features here, or the nearest spaces that have one free."""
    from bot.features.booking.desks import day_desks, nearest

    lang = ctx.lang
    day = fmt_day(o.day, lang)
    desks = int(request.get("desks") or 1)
    when = {"part": request.get("part"), "start": request.get("start"), "end": request.get("end")}
    base = dict(plain_request(request), space=o.space.slug, dates=[o.day.isoformat()])
    every = day_desks(dlg.booking, o.day, None if isinstance(o, (NoMatchingDesk, NoSuchFeature)) else o.space.slug, **when)
    here = next((sd for sd in every if sd.space.slug == o.space.slug), None)
    opts: list[tuple[str, dict]] = []

    def desk_buttons(states, limit: int = 3) -> None:
        for d in states[:limit]:
            opts.append((t(lang, "btn_book_desk", desk=desk_text(lang, d.label, d.features)), dict(base, desk=d.label)))

    if isinstance(o, UnknownDesk):
        listed = ", ".join(desk_text(lang, d.label, d.features) for d in here.desks) if here else ", ".join(o.labels)
        text = t(lang, "desk_unknown", label=o.label, space=o.space.name, desks=listed)
        desk_buttons(here.free() if here else [])
        return Reply(text, dlg.choices(ctx, opts, per_row=2))
    if isinstance(o, DeskTaken):
        text = t(lang, "desk_taken", desk=o.label, space=o.space.name, day=day)
        free = here.free() if here else []
        if not free:  # the whole space is full: the usual answer (nearest spaces, the waitlist for any desk)
            full = explain(dlg, ctx, Full(o.space, o.day), plain_request(request))
            return Reply(text + "\n" + full.text, full.choices)
        want = set(o.features)
        free.sort(key=lambda d: (set(d.features) != want, -len(want & set(d.features))))  # stable: desk order next
        text += "\n" + t(lang, "desk_taken_others", desks=", ".join(desk_text(lang, d.label, d.features) for d in free[:6]))
        desk_buttons(free)
        return Reply(text, dlg.choices(ctx, opts, per_row=2))
    features = list(o.features)
    fx = features_text(lang, features)
    if isinstance(o, NoSuchFeature) and o.label is not None:  # "Platz 3 mit Monitor", and desk 3 has none
        own = here.desk(o.label) if here else None
        text = t(lang, "desk_lacks_feature", desk=desk_text(lang, o.label, own.features if own else ()),
                 space=o.space.name, features=fx)
        if own is not None and own.free:
            opts.append((t(lang, "btn_desk_anyway", desk=o.label), dict(base, desk=o.label)))
        if here is not None and len(here.free(features)) >= desks:
            opts.append((t(lang, "btn_with_here", features=fx, town=o.space.town), dict(base, features=features)))
        return Reply(text, dlg.choices(ctx, opts, per_row=1))
    near = same_region(dlg.core, o.space.slug)  # the space's own region only (issue 17)
    others = [sd for sd in nearest(o.space, every) if near is None or sd.space.slug in near]
    matching = [sd for sd in others if len(sd.free(features)) >= desks]
    if isinstance(o, NoSuchFeature):
        having = [sd for sd in others if len(sd.having(features)) >= desks]
        text = t(lang, "no_such_feature", space=o.space.name, features=fx)
        text += "\n" + (t(lang, "feature_spaces", spaces=", ".join(sd.space.name for sd in having[:5])) if having
                        else t(lang, "feature_nowhere", features=fx))
    elif desks > 1:
        text = t.n(lang, "no_matching_desk_team", o.free, space=o.space.name, day=day, features=fx, free=o.free, n=desks)
    else:
        text = t(lang, "no_matching_desk", space=o.space.name, day=day, features=fx)
    if matching:
        text += "\n" + t(lang, "matching_elsewhere", features=fx, day=day) + " " + \
            ", ".join(_km_label(o.space, sd, len(sd.free(features))) for sd in matching[:4])
        opts += [(t(lang, "book_button", space=sd.space.town), dict(base, space=sd.space.slug, features=features))
                 for sd in matching[:3]]
    if here is not None and len(here.free()) >= desks:
        opts.append((t(lang, "btn_other_desk_here", town=o.space.town), dict(base)))
    return Reply(text, dlg.choices(ctx, opts, per_row=2))


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
