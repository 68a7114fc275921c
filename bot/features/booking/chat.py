"""Booking by chat: book, waitlist, cancel, undo, my bookings, what is free, check in, contingent left.

The rules are `bot.booking.BookingService`'s (the one writer of booking state); this module decides
what to ask and which buttons to offer, and `replies.py` says it.
"""

from __future__ import annotations

from datetime import date

from bot.booking import (
    AlreadyCheckedIn,
    Booked,
    BookingInfo,
    CheckedIn,
    NothingToCheckIn,
    TooEarlyToCheckIn,
)
from bot.domain import Intent, Reply
from bot.features.booking.replies import (
    cancelled_reply,
    confirmation,
    explain,
    part_text,
    remaining_text,
)
from bot.i18n import fmt_day, t
from bot.router import Ctx, Router


def router() -> Router:
    """The booking feature's intents and buttons (its notices and jobs: `notices.py`, `jobs.py`)."""
    from bot.features.booking import jobs, notices

    return Router(
        "booking",
        intents={"book": on_book, "waitlist": on_waitlist, "cancel": on_cancel, "list": on_list,
                 "availability": on_availability, "checkin": on_checkin, "contingent": on_contingent},
        buttons={"book": op_book, "undo": op_undo, "cancel": op_cancel, "waitlist": op_waitlist, "avail": op_avail,
                 **notices.BUTTONS},
        notices=notices.DRAFTERS,
        jobs=jobs.JOBS,
    )


def on_book(dlg, ctx: Ctx) -> list[Reply]:
    it = ctx.intent
    assert it is not None
    if it.date_text_unreadable and not it.dates:
        return [Reply(t(ctx.lang, "date_unreadable"))]
    if it.space is None and it.space_text:
        return ask_space_guess(dlg, ctx, it)
    request = {"op": "book", "space": it.space, "dates": [d.isoformat() for d in it.dates], "part": it.part,
               "start": it.start, "end": it.end, "desks": it.desks}
    if not it.dates:
        if it.space is None:
            return quick_book(dlg, ctx, request)
        return ask_date(dlg, ctx, request)
    if it.space is None:
        return ask_space(dlg, ctx, request)
    return do_book(dlg, ctx, request)


def ask_space_guess(dlg, ctx: Ctx, it: Intent) -> list[Reply]:
    request = {"op": "book", "dates": [d.isoformat() for d in it.dates], "part": it.part, "start": it.start,
               "end": it.end, "desks": it.desks}
    if it.intent == "availability":
        request["op"] = "avail"
    names = {r.slug: r for r in dlg.core.space_refs()}
    if it.space_guess:
        opts = [(names[g].town if g in names else g, dict(request, space=g)) for g in it.space_guess if g in names]
        return [Reply(t(ctx.lang, "did_you_mean", text=it.space_text), dlg.choices(ctx, opts, per_row=3))]
    towns = ", ".join(r.town for r in names.values())
    return [Reply(t(ctx.lang, "no_such_space", text=it.space_text, towns=towns))]


def ask_space(dlg, ctx: Ctx, request: dict) -> list[Reply]:
    refs = {r.slug: r for r in dlg.core.space_refs()}
    recent = [s for s in dlg.booking.recent_spaces(ctx.member.id) if s in refs]
    order = recent + [s for s in refs if s not in recent]
    opts = [(("⭐ " if s in recent else "") + refs[s].town, dict(request, space=s)) for s in order]
    days = ", ".join(fmt_day(date.fromisoformat(d), ctx.lang) for d in request["dates"][:5])
    if len(request["dates"]) > 5:
        days += " …"
    return [Reply(t(ctx.lang, "ask_space", days=days), dlg.choices(ctx, opts, per_row=3))]


def quick_book(dlg, ctx: Ctx, request: dict) -> list[Reply]:
    """Neither day nor place named: one-tap buttons for the usual spaces x the next working days."""
    refs = {r.slug: r for r in dlg.core.space_refs()}
    recent = [s for s in dlg.booking.recent_spaces(ctx.member.id, limit=2) if s in refs]
    if not recent:
        return ask_date(dlg, ctx, request)
    days = dlg.booking.open_days(None, n=3)
    opts = [(f"{fmt_day(d, ctx.lang)} {refs[slug].town}", dict(request, space=slug, dates=[d.isoformat()]))
            for slug in recent for d in days]
    return [Reply(t(ctx.lang, "ask_when_where"), dlg.choices(ctx, opts, per_row=len(days)))]


def ask_date(dlg, ctx: Ctx, request: dict) -> list[Reply]:
    days = dlg.booking.open_days(request.get("space"))
    opts = [(fmt_day(d, ctx.lang), dict(request, dates=[d.isoformat()])) for d in days]
    refs = {r.slug: r for r in dlg.core.space_refs()}
    if request.get("space"):
        text = t(ctx.lang, "ask_date", space=refs[request["space"]].name)
    elif ctx.intent is not None and ctx.intent.date_text_unreadable:
        text = t(ctx.lang, "date_unreadable")
    else:
        text = t(ctx.lang, "ask_when")
    return [Reply(text, dlg.choices(ctx, opts, per_row=3))]


def do_book(dlg, ctx: Ctx, request: dict) -> list[Reply]:
    days = [date.fromisoformat(d) for d in request["dates"]]
    if request.get("space") is None:
        return ask_space(dlg, ctx, request)
    outcomes = dlg.booking.book(ctx.member.id, request["space"], days, part=request.get("part"),
                                 start=request.get("start"), end=request.get("end"), desks=int(request.get("desks") or 1),
                                 pay_self=bool(request.get("pay_self")))
    booked = [o for o in outcomes if isinstance(o, Booked)]
    failed = [o for o in outcomes if not isinstance(o, Booked)]
    replies: list[Reply] = []
    if booked:
        replies.append(confirmation(dlg, ctx, booked))
    for o in failed:
        replies.append(explain(dlg, ctx, o, request))
    if len(replies) > 3:  # many failures (e.g. holidays in a recurrence): say them in one message
        head, rest = replies[:1], replies[1:]
        merged = Reply(t(ctx.lang, "summary_failed") + "\n" + "\n".join("• " + r.text for r in rest),
                       [row for r in rest for row in r.choices][:4])
        replies = head + [merged]
    return replies


def op_waitlist(dlg, ctx: Ctx, a: dict) -> list[Reply]:
    o = dlg.booking.join_waitlist(ctx.member.id, a["space"], date.fromisoformat(a["date"]), part=a.get("part"),
                                   start=a.get("start"), end=a.get("end"))
    if isinstance(o, Booked):
        return [confirmation(dlg, ctx, [o])]
    return [explain(dlg, ctx, o, {"space": a["space"], "part": a.get("part")})]


def on_waitlist(dlg, ctx: Ctx) -> list[Reply]:
    it = ctx.intent
    if it is None or it.space is None or not it.dates:
        return on_book(dlg, ctx)
    return op_waitlist(dlg, ctx, {"space": it.space, "date": it.dates[0].isoformat(), "part": it.part,
                                  "start": it.start, "end": it.end})


def on_cancel(dlg, ctx: Ctx) -> list[Reply]:
    it = ctx.intent
    assert it is not None
    all_future = "all" in it.args or "alle" in it.args
    if all_future:
        mine = dlg.booking.my_bookings(ctx.member.id)
        if not mine:
            return [Reply(t(ctx.lang, "nothing_to_cancel"))]
        opts = [(t(ctx.lang, "yes_cancel_all"), {"op": "cancel", "ids": [b.id for b in mine]}),
                (t(ctx.lang, "no"), {"op": "keep"})]
        return [Reply(t(ctx.lang, "cancel_all_confirm", n=len(mine)), dlg.choices(ctx, opts))]
    if not it.dates and not it.space:
        return cancel_menu(dlg, ctx)
    res = dlg.booking.cancel(ctx.member.id, days=it.dates or None, space_slug=it.space)
    if not res.cancelled:
        replies = [Reply(t(ctx.lang, "nothing_to_cancel"))]
        menu = cancel_menu(dlg, ctx)
        if menu and menu[0].choices:
            replies.append(menu[0])
        return replies
    return [cancelled_reply(dlg, ctx, res)]


def cancel_menu(dlg, ctx: Ctx) -> list[Reply]:
    mine = [b for b in dlg.booking.my_bookings(ctx.member.id) if b.seat == 0]
    if not mine:
        return [Reply(t(ctx.lang, "list_empty"))]
    opts = [(t(ctx.lang, "cancel_button", day=fmt_day(b.day, ctx.lang), space=b.space.town),
             {"op": "cancel", "ids": dlg.booking.group_ids(b)}) for b in mine[:12]]
    return [Reply(t(ctx.lang, "choose_cancel"), dlg.choices(ctx, opts, per_row=1))]


def op_cancel(dlg, ctx: Ctx, a: dict) -> list[Reply]:
    res = dlg.booking.cancel(ctx.member.id, booking_ids=[int(i) for i in a["ids"]])
    if not res.cancelled:
        return [Reply(t(ctx.lang, "nothing_to_cancel"))]
    return [cancelled_reply(dlg, ctx, res)]


def op_undo(dlg, ctx: Ctx, a: dict) -> list[Reply]:
    res = dlg.booking.undo(ctx.member.id, [int(i) for i in a["ids"]])
    if not res.cancelled:
        return [Reply(t(ctx.lang, "nothing_to_cancel"))]
    return [Reply(t(ctx.lang, "undone"))]


def on_list(dlg, ctx: Ctx) -> list[Reply]:
    mine = dlg.booking.my_bookings(ctx.member.id)
    if not mine:
        return [Reply(t(ctx.lang, "list_empty"))]
    lang = ctx.lang
    lines = [t(lang, "list_head")]
    groups: dict[tuple, list[BookingInfo]] = {}
    for b in mine:
        groups.setdefault((b.day, b.space.slug, b.group_ref or b.id), []).append(b)
    for bs in groups.values():
        b = bs[0]
        key = {"waitlisted": "list_line_wait", "checked_in": "list_line_checked"}.get(b.status, "list_line")
        lines.append(t(lang, key, day=fmt_day(b.day, lang), part=part_text(lang, b), space=b.space.name,
                       desk=", ".join(x.desk_label or "" for x in bs)))
    opts = [(t(lang, "cancel_button", day=fmt_day(bs[0].day, lang), space=bs[0].space.town), {"op": "cancel", "ids": [x.id for x in bs]})
            for bs in groups.values() if bs[0].status in ("confirmed", "waitlisted")][:12]
    return [Reply("\n".join(lines), dlg.choices(ctx, opts, per_row=1))]


def on_availability(dlg, ctx: Ctx) -> list[Reply]:
    it = ctx.intent
    assert it is not None
    if it.space is None and it.space_text:
        return ask_space_guess(dlg, ctx, it)
    day = it.dates[0] if it.dates else dlg.core.clock.today()
    return availability_reply(dlg, ctx, day, it.space, it.part, it.start, it.end)


def availability_reply(dlg, ctx, day, space, part, start, end) -> list[Reply]:
    lang = ctx.lang
    avail = dlg.booking.availability(day, space, part=part, start=start, end=end)
    dstr = fmt_day(day, lang)
    lines = [t(lang, "avail_head", day=dstr)]
    for a in avail:
        if a.closed:
            lines.append(t(lang, "avail_closed", space=a.space.name))
        else:
            lines.append(t(lang, "avail_line", space=a.space.name, free=a.free, total=a.total))
    free = [a for a in avail if not a.closed and a.free > 0]
    if not free and len(avail) > 1:
        lines = [t(lang, "avail_none", day=dstr)]
    request = {"op": "book", "dates": [day.isoformat()], "part": part, "start": start, "end": end, "desks": 1}
    recent = dlg.booking.recent_spaces(ctx.member.id)
    free.sort(key=lambda a: (a.space.slug not in recent, -a.free))
    opts = [(t(lang, "book_button", space=a.space.town), dict(request, space=a.space.slug)) for a in free[:4]]
    return [Reply("\n".join(lines), dlg.choices(ctx, opts, per_row=2))]


def op_avail(dlg, ctx: Ctx, a: dict) -> list[Reply]:
    day = date.fromisoformat(a["dates"][0]) if a.get("dates") else dlg.core.clock.today()
    return availability_reply(dlg, ctx, day, a.get("space"), a.get("part"), a.get("start"), a.get("end"))


def on_checkin(dlg, ctx: Ctx) -> list[Reply]:
    return do_checkin(dlg, ctx, ctx.intent.space if ctx.intent else None)


def do_checkin(dlg, ctx: Ctx, slug: str | None) -> list[Reply]:
    lang = ctx.lang
    o = dlg.booking.check_in(ctx.member.id, slug)
    if isinstance(o, CheckedIn):
        b = o.booking
        key = "checked_in_walkin" if o.walk_in else "checked_in"
        return [Reply(t(lang, key, space=b.space.name, desk=b.desk_label, end=b.end))]
    if isinstance(o, AlreadyCheckedIn):
        return [Reply(t(lang, "already_checked_in", space=o.booking.space.name))]
    if isinstance(o, TooEarlyToCheckIn):
        return [Reply(t(lang, "too_early", space=o.booking.space.name, at=o.opens_at))]
    if isinstance(o, NothingToCheckIn):
        if o.space is not None:
            return [Reply(t(lang, "walkin_closed", space=o.space.name))]
        return [Reply(t(lang, "nothing_to_check_in"))]
    return [explain(dlg, ctx, o, {"space": slug})]


def on_contingent(dlg, ctx: Ctx) -> list[Reply]:
    rem = dlg.booking.remaining(ctx.member.id)
    if rem is None:
        return [Reply(t(ctx.lang, "no_employer"))]
    return [Reply(remaining_text(ctx.lang, rem))]


def op_book(dlg, ctx: Ctx, a: dict) -> list[Reply]:
    return do_book(dlg, ctx, a)
