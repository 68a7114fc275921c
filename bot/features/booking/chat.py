"""Booking by chat: book, waitlist, cancel, undo, my bookings, what is free, check in, contingent left.

The rules are `bot.booking.BookingService`'s (the one writer of booking state); this module decides
what to ask and which buttons to offer, and `replies.py` says it.
"""

from __future__ import annotations

import re
from datetime import date

from bot.booking import (
    AlreadyCheckedIn,
    Booked,
    BookingInfo,
    CheckedIn,
    Closed,
    DeskTaken,
    Full,
    NoContingent,
    NoMatchingDesk,
    NoSuchFeature,
    NothingToCheckIn,
    TooEarlyToCheckIn,
    UnknownDesk,
)
from bot.domain import Attachment, Intent, Reply, Status
from bot.features.booking.replies import (
    WEEKDAY_KEYS,
    cancelled_reply,
    confirmation,
    desk_text,
    explain,
    explain_desk,
    explain_short,
    features_text,
    hours_text,
    part_text,
    remaining_text,
)
from bot.features.district.regions import foreign_space_reply, member_refs
from bot.i18n import PART, fmt_day, fmt_eur, t
from bot.router import Ctx, Router


def router() -> Router:
    """The booking feature's intents and buttons (its notices and jobs: `notices.py`, `jobs.py`)."""
    from bot.features.booking import calendar, jobs, notices

    return Router(
        "booking",
        commands={"/kalender": calendar.cmd_calendar, "/calendar": calendar.cmd_calendar,
                  "/heimat": cmd_home, "/zuhause": cmd_home, "/home": cmd_home, "/favorit": cmd_home},
        http={calendar.FEED_PATH: calendar.feed_handler},
        intents={"book": on_book, "waitlist": on_waitlist, "cancel": on_cancel, "list": on_list,
                 "availability": on_availability, "checkin": on_checkin, "contingent": on_contingent,
                 "past_day": on_past_day, "undo": on_undo, "absence": on_absence, "who": on_who},
        buttons={"ics_cancel": op_ics_cancel, "book": op_book, "undo": op_undo, "move_checkin": op_move_checkin, "book_for": op_book_for,
                 "decline": op_decline, "cancel": op_cancel, "cancel_ask": op_cancel_ask, "ics": op_ics,
                 "waitlist": op_waitlist, "avail": op_avail, "rebook": op_rebook, "walkin": op_walkin,
                 **notices.BUTTONS},
        notices=notices.DRAFTERS,
        jobs=jobs.JOBS,
    )


def _request_of(it: Intent, op: str = "book") -> dict:
    request = {"op": op, "space": it.space, "dates": [d.isoformat() for d in it.dates], "part": it.part,
               "start": it.start, "end": it.end, "desks": it.desks}
    if it.legs and op == "book":  # "Mittwoch Senden und Donnerstag Olfen": each place with its own days
        request["legs"] = [[slug, [d.isoformat() for d in days]] for slug, days in it.legs]
    return _with_wish(request, it)


def _with_wish(request: dict, it: Intent) -> dict:
    """The request with the desk wished for ("Platz 3": desk, "mit Monitor": features), if any."""
    if it.desk_label:
        request["desk"] = it.desk_label
    if it.desk_features:
        request["features"] = list(it.desk_features)
    return request


def _wish_of(request: dict) -> tuple[str | None, list[str]]:
    return request.get("desk") or None, list(request.get("features") or [])


def on_book(dlg, ctx: Ctx) -> list[Reply]:
    """A booking request. Books only when the message clearly asks for it; otherwise asks with buttons."""
    from bot.intents import CONFIDENT

    it = ctx.intent
    assert it is not None
    if it.colleague and (foreign_space_reply(dlg.core, ctx, it.space) is None):
        return ask_book_for(dlg, ctx, it)  # asks in any case, so "could you book ... for my colleague Peter?" too
    if it.question:  # a question never changes anything: it is answered, and one button then acts
        return on_availability(dlg, ctx)
    if (other := foreign_space_reply(dlg.core, ctx, it.space)) is not None:  # a space of another region (issue 17)
        return other
    if it.date_text_unreadable and not it.dates:
        return [Reply(t(ctx.lang, "date_unreadable"))]
    if it.space is None and it.space_text:
        return ask_space_guess(dlg, ctx, it)
    request = _request_of(it)
    if it.space_fuzzy and it.space:  # read from a typo ("Dülman"): confirm the place first
        ref = next((r for r in dlg.core.space_refs() if r.slug == it.space), None)
        town = ref.town if ref else it.space
        opts = [(town, dict(request))] + [(r.town, dict(request, space=r.slug)) for r in dlg.core.space_refs()
                                           if r.slug in (it.space_guess or []) and r.slug != it.space][:2]
        return [Reply(t(ctx.lang, "did_you_mean_one", town=town), dlg.choices(ctx, opts, per_row=3))]
    if not it.dates:
        if it.space is None:
            return quick_book(dlg, ctx, request)
        return ask_date(dlg, ctx, request)
    if it.move_from and (moving := ask_move_from(dlg, ctx, it)) is not None:
        return moving
    if it.space is None:
        return ask_move(dlg, ctx, it) or ask_space(dlg, ctx, request)
    if len(it.places) > 1 and not it.legs:  # "Senden und Olfen morgen": one of them (a day has one desk), which?
        towns = {r.slug: r.town for r in dlg.core.space_refs()}
        desks = int(request.get("desks") or 1)
        opts = [(_book_label(ctx.lang, towns.get(slug, slug), desks), dict(request, space=slug)) for slug in it.places[:4]]
        return [Reply(t(ctx.lang, "ask_which_place"), dlg.choices(ctx, opts))]
    if it.part_guessed:  # "halbtags": which half?
        opts = [(t(ctx.lang, "btn_morning"), dict(request, part="morning")),
                (t(ctx.lang, "btn_afternoon"), dict(request, part="afternoon"))]
        return [Reply(t(ctx.lang, "ask_half"), dlg.choices(ctx, opts))]
    if it.confidence < CONFIDENT:  # unsure it is a request: ask instead of spending the contingent on a guess
        return ask_book_or_look(dlg, ctx, request)
    return do_book(dlg, ctx, request)


# "actually make that Thursday", "nee, lieber Donnerstag", "ich meinte Donnerstag" right after a booking: that booking
# on the other day (asked first), not a new booking that asks for the place
_CHANGE_LEAD = re.compile(r"^\W*(?:(?:actually|sorry|oh|oops|ach|äh|aeh|oder|nee?|nö|no|nein|doch)\W+)*"
                          r"(?:make\s+(?:that|it)|change\s+(?:that|it)\s+to|move\s+(?:it|that)\s+to|i\s+meant|"
                          r"(?:kannst\s+du\s+|bitte\s+)?(?:verschieb\w*|schieb\w*|verleg\w*)\s+(?:das|es|sie|die\s+buchung)\s+"
                          r"(?:bitte\s+)?auf|(?:could\s+you\s+|please\s+)?(?:move|shift|push)\s+(?:it|that|this)\s+to|"
                          r"(?:kannst|könntest|koenntest)\s+du\s+(?:das|es|sie)\s+(?:bitte\s+)?auf\s+(?:\S+\s+){1,3}?"
                          r"(?:verschieben|schieben|verlegen)|"
                          r"ich\s+mein\w*|(?:doch\s+)?lieber|besser|instead|stattdessen|nicht\s+\w+\W+sondern)\b",
                          re.IGNORECASE)


def ask_move(dlg, ctx: Ctx, it: Intent) -> list[Reply] | None:
    """A day without a place, written as a change, within 30 minutes of a one-day booking: move that booking?"""
    if len(it.dates) != 1 or it.desks > 1 or not _CHANGE_LEAD.match(ctx.msg.text or ""):
        return None
    last = dlg.booking.last_booking(ctx.member.id, within_minutes=30)
    if last is None or last.day == it.dates[0]:
        return None
    ids = dlg.booking.group_ids(last)  # a team's booking moves with all its desks
    if len({b.day for b in dlg.booking.bookings_by_id(ctx.member.id, ids)}) != 1:
        return None  # a series: which of its days is meant is not clear
    return _offer_move(dlg, ctx, it, last, ids, last.space.slug)


def _offer_move(dlg, ctx: Ctx, it: Intent, old, ids: list[int], slug: str) -> list[Reply]:
    """"Fr, 27.11. Coworking Olfen auf Do, 26.11. verschieben?": the booking `old` (with all of `ids`, a team's seats)
    to the message's one day in `slug`, keeping its half day or hours unless the message names others; the press
    cancels and books in one step (`op_rebook`)."""
    new_day = it.dates[0]
    request = {"op": "book", "space": slug, "dates": [new_day.isoformat()],
               "part": it.part or (old.part if old.part in ("morning", "afternoon") else None),
               "start": it.start or (old.start if old.part == "hours" else None),
               "end": it.end or (old.end if old.part == "hours" else None), "desks": max(1, len(ids))}
    opts = [(t(ctx.lang, "btn_move_day", day=fmt_day(new_day, ctx.lang)), {"op": "rebook", "request": request,
                                                                           "cancel_ids": ids}),
            (t(ctx.lang, "btn_keep"), {"op": "keep"})]
    return [Reply(t(ctx.lang, "move_day_ask", what=_day_space(ctx.lang, old), day=fmt_day(new_day, ctx.lang)),
                  dlg.choices(ctx, opts))]


def ask_move_from(dlg, ctx: Ctx, it: Intent) -> list[Reply] | None:
    """"verschieb mein Olfen von Dienstag auf Donnerstag", "move my Senden booking from Thursday to Friday": the
    booking on the old day to the new one, after asking (the press cancels and books in one step, `op_rebook`).
    Nothing booked on the old day: asks whether to book the new one. None when the old days hold more than one
    booking, or nothing and no place is named (the request then goes on as usual)."""
    if len(it.dates) != 1:
        return None
    found, _late = dlg.booking.cancel_preview(ctx.member.id, days=it.move_from, space_slug=it.space)
    if not found:
        if not it.space:
            return None  # the place is asked for as usual
        # nothing to move: the new day is asked about, not booked on a guess ("von Montag" was a slip, or booked elsewhere)
        refs = {r.slug: r for r in dlg.core.space_refs()}
        request = _request_of(it)
        old_days = ", ".join(fmt_day(d, ctx.lang) for d in it.move_from[:3])
        opts = [(t(ctx.lang, "btn_book_it"), dict(request)), (t(ctx.lang, "no"), {"op": "keep"})]
        return [Reply(t(ctx.lang, "move_nothing_booked", day=old_days, space=refs[it.space].name,
                        new=fmt_day(it.dates[0], ctx.lang)), dlg.choices(ctx, opts))]
    old = found[0]
    ids = dlg.booking.group_ids(old)
    if any(b.id not in ids for b in found):
        return None  # several bookings on the old days: which one is meant is not clear, the request is asked as usual
    return _offer_move(dlg, ctx, it, old, ids, it.space or old.space.slug)


def ask_book_for(dlg, ctx: Ctx, it: Intent) -> list[Reply]:
    """"für Carl morgen Dülmen": a colleague of the same employer, charged to their contingent, after asking."""
    from bot.features.booking.colleagues import find_colleagues

    lang = ctx.lang
    found = find_colleagues(dlg.core, ctx.member.id, ctx.member.employer_ids("employee"), it.colleague or "")
    if not found:
        return [Reply(t(lang, "colleague_not_found", name=it.colleague))]
    if not it.dates or not it.space:
        return [Reply(t(lang, "colleague_needs_day_place", name=found[0][1]))]
    request = dict(_request_of(it), op="book_for")
    days = ", ".join(fmt_day(d, lang) for d in it.dates[:3]) + (" …" if len(it.dates) > 3 else "")
    space = next((r.name for r in dlg.core.space_refs() if r.slug == it.space), it.space)
    opts = [(t(lang, "btn_book_for", name=name), dict(request, for_id=mid)) for mid, name in found[:4]]
    opts.append((t(lang, "btn_keep"), {"op": "keep"}))
    return [Reply(t(lang, "ask_book_for", name=found[0][1] if len(found) == 1 else it.colleague, space=space, days=days),
                  dlg.choices(ctx, opts, per_row=1))]


def op_book_for(dlg, ctx: Ctx, a: dict) -> list[Reply]:
    """Book for the colleague picked: their contingent pays, they are told and can decline."""
    lang = ctx.lang
    target = int(a["for_id"])
    mine = set(ctx.member.employer_ids("employee"))
    target_view = dlg.members.view(target)
    if not mine or not mine & set(target_view.employer_ids("employee")):
        return [Reply(t(lang, "colleague_not_found", name=target_view.display_name))]
    days = [date.fromisoformat(d) for d in a["dates"]]
    label, features = _wish_of(a)
    outcomes = dlg.booking.book_for(ctx.member.id, target, a["space"], days, part=a.get("part"), start=a.get("start"),
                                    end=a.get("end"), desk_label=label, features=features)
    booked = [o for o in outcomes if isinstance(o, Booked)]
    lines = []
    if booked:
        lines.append(t(lang, "booked_for", name=target_view.display_name, space=booked[0].booking.space.name,
                       days=", ".join(fmt_day(o.booking.day, lang) for o in booked)))
    for o in outcomes:
        if not isinstance(o, Booked):
            lines.append(explain(dlg, ctx, o, a).text)
    return [Reply("\n".join(lines))]


def op_decline(dlg, ctx: Ctx, a: dict) -> list[Reply]:
    """The colleague declines a booking made for them: cancelled with the refund rule, the booker is told."""
    res = dlg.booking.decline(ctx.member.id, [int(i) for i in a["ids"]], booked_by=int(a["by"]))
    if not res.cancelled:
        return [Reply(t(ctx.lang, "nothing_to_cancel"))]
    return [cancelled_reply(dlg, ctx, res)]


def ask_book_or_look(dlg, ctx: Ctx, request: dict) -> list[Reply]:
    refs = {r.slug: r for r in dlg.core.space_refs()}
    days = [date.fromisoformat(d) for d in request["dates"]]
    day_text = ", ".join(fmt_day(d, ctx.lang) for d in days[:3]) + (" …" if len(days) > 3 else "")
    opts = [(t(ctx.lang, "btn_book_it"), dict(request)),
            (t(ctx.lang, "btn_just_look"), dict(request, op="avail"))]
    return [Reply(t(ctx.lang, "ask_book_or_info", space=refs[request["space"]].name, day=day_text),
                  dlg.choices(ctx, opts))]


def on_past_day(dlg, ctx: Ctx) -> list[Reply]:
    """A message about a day gone by: never booked, never cancelled."""
    it = ctx.intent
    past = [d for d in (it.dates if it else []) if d < ctx.now.date()]
    if past:
        return [Reply(t(ctx.lang, "past_day", day=fmt_day(past[0], ctx.lang)))]
    return [Reply(t(ctx.lang, "past_day_plain"))]


def _day_space(lang: str, b) -> str:
    """"Di, 24.11. Coworking Dülmen (vormittags)": one booking in a question about it."""
    return f"{fmt_day(b.day, lang)} {b.space.name}{part_text(lang, b)}"


def on_undo(dlg, ctx: Ctx) -> list[Reply]:
    """Typed "rückgängig" / "undo": the member's last booking request — all of it, as its own undo button would
    (a series, a team) — after asking; the last single booking when that button is gone."""
    from datetime import timedelta

    # the newest undo button: the one whose bookings are the newest (ids grow; two can share a timestamp)
    actions = dlg.members.usable_actions(ctx.member.id, "undo", within=timedelta(minutes=60))
    action = max(actions, key=lambda a: max(a.get("ids") or [0]), default=None)
    held = [b for b in dlg.booking.bookings_by_id(ctx.member.id, list(action.get("ids") or []))
            if b.status == Status.CONFIRMED.value] if action else []
    if held:
        ids = [b.id for b in held]
        days = sorted({(b.day, b.space.name) for b in held if b.seat == 0})
        first = held[0]
        if len(days) == 1:
            what = _day_space(ctx.lang, first)
        else:  # "Coworking Olfen: Mi, 02.12., Mi, 09.12. …" per space
            spaces = sorted({name for _, name in days})
            what = "; ".join(f"{name}: " + ", ".join(fmt_day(d, ctx.lang) for d, n in days[:8] if n == name)
                             for name in spaces) + (" …" if len(days) > 8 else "")
    else:
        last = dlg.booking.last_booking(ctx.member.id, within_minutes=60)
        if last is None:
            return [Reply(t(ctx.lang, "nothing_to_undo"))]
        what = _day_space(ctx.lang, last)
        ids = dlg.booking.group_ids(last)
    opts = [(t(ctx.lang, "btn_yes_undo"), {"op": "undo", "ids": ids}), (t(ctx.lang, "btn_keep"), {"op": "keep"})]
    return [Reply(t(ctx.lang, "undo_confirm", what=what), dlg.choices(ctx, opts))]


def on_absence(dlg, ctx: Ctx) -> list[Reply]:
    """"Urlaub vom 14. bis 18.12.": recorded as an absence (no nudges then); never a booking."""
    it = ctx.intent
    days = sorted(d for d in (it.dates if it else []) if d >= ctx.now.date())
    if not days:
        return [Reply(t(ctx.lang, "absence_none"))]
    first, last = days[0], days[-1]
    today = ctx.now.date().isoformat()
    kept = [a for a in (ctx.member.prefs or {}).get("absences") or [] if isinstance(a, list) and len(a) == 2 and a[1] >= today]
    dlg.members.set_pref(ctx.member.id, "absences", kept + [[first.isoformat(), last.isoformat()]])
    span = fmt_day(first, ctx.lang) if first == last else f"{fmt_day(first, ctx.lang)} – {fmt_day(last, ctx.lang)}"
    text = t(ctx.lang, "absence_saved", span=span)
    booked = [b for b in dlg.booking.my_bookings(ctx.member.id) if first <= b.day <= last and b.seat == 0]
    if not booked:
        return [Reply(text)]
    # bookings on those days: asked with buttons (a typed "ja" works too), never cancelled on a guess
    found, late = dlg.booking.cancel_preview(ctx.member.id, days=sorted({b.day for b in booked}))
    lang = ctx.lang
    text += "\n" + t(lang, "absence_booked", days=", ".join(fmt_day(b.day, lang) for b in booked[:5])
                     + (", …" if len(booked) > 5 else ""))
    return _ask_cancel(dlg, ctx, text, found, late)


def on_who(dlg, ctx: Ctx) -> list[Reply]:
    """"Wer ist morgen in Dülmen?": colleagues of the same employer who agreed to share their days."""
    it = ctx.intent
    day = it.dates[0] if it and it.dates else ctx.now.date()
    employers = ctx.member.employer_ids("employee")
    if not employers:
        return [Reply(t(ctx.lang, "who_no_employer"))]
    rows = dlg.booking.colleagues_on(ctx.member.id, employers, day, space_slug=it.space if it else None)
    dstr = fmt_day(day, ctx.lang)
    if not rows:
        lines = [t(ctx.lang, "who_none", day=dstr)]
    else:
        lines = [t(ctx.lang, "who_head", day=dstr)] + [t(ctx.lang, "who_line", name=n, space=sp) for n, sp in rows[:10]]
    if not (ctx.member.prefs or {}).get("share_presence"):
        lines.append(t(ctx.lang, "who_share_hint"))
    return [Reply("\n".join(lines))]


def ask_space_guess(dlg, ctx: Ctx, it: Intent) -> list[Reply]:
    request = {"op": "book", "dates": [d.isoformat() for d in it.dates], "part": it.part, "start": it.start,
               "end": it.end, "desks": it.desks}
    if it.intent == "availability":
        request["op"] = "avail"
    _with_wish(request, it)
    names = {r.slug: r for r in dlg.core.space_refs()}
    if it.space_guess:
        opts = [(names[g].town if g in names else g, dict(request, space=g)) for g in it.space_guess if g in names]
        return [Reply(t(ctx.lang, "did_you_mean", text=it.space_text), dlg.choices(ctx, opts, per_row=3))]
    towns = ", ".join(r.town for r in member_refs(dlg.core, ctx.member))
    return [Reply(t(ctx.lang, "no_such_space", text=it.space_text, towns=towns))]


def usual_spaces(dlg, ctx: Ctx, limit: int = 3) -> list[str]:
    """The home space first (if set with /heimat), then the spaces booked most recently."""
    refs = {r.slug for r in member_refs(dlg.core, ctx.member)}  # the member's region only
    home = (ctx.member.prefs or {}).get("home_space")
    recent = [s for s in dlg.booking.recent_spaces(ctx.member.id, limit=limit) if s in refs and s != home]
    return ([home] if home in refs else []) + recent[: limit - (1 if home in refs else 0)]


def ask_space(dlg, ctx: Ctx, request: dict) -> list[Reply]:
    refs = {r.slug: r for r in member_refs(dlg.core, ctx.member)}
    recent = usual_spaces(dlg, ctx)
    home = (ctx.member.prefs or {}).get("home_space")
    order = recent + [s for s in refs if s not in recent]
    opts = [(("🏠 " if s == home else "⭐ " if s in recent else "") + refs[s].town, dict(request, space=s)) for s in order]
    days = ", ".join(fmt_day(date.fromisoformat(d), ctx.lang) for d in request["dates"][:5])
    if len(request["dates"]) > 5:
        days += " …"
    ctx.pending_request, ctx.pending_slot = dict(request), "space"  # a typed town answers this
    return [Reply(t(ctx.lang, "ask_space", days=days), dlg.choices(ctx, opts, per_row=3))]


def quick_book(dlg, ctx: Ctx, request: dict) -> list[Reply]:
    """Neither day nor place named: one-tap buttons for the usual spaces x the next working days."""
    refs = {r.slug: r for r in dlg.core.space_refs()}
    recent = usual_spaces(dlg, ctx, limit=2)
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
    ctx.pending_request, ctx.pending_slot = dict(request), "dates"  # a typed day answers this
    return [Reply(text, dlg.choices(ctx, opts, per_row=3))]


def book_request(dlg, ctx: Ctx, request: dict, days: list[date]) -> list:
    """The booking service's outcomes for a request (its space, part or hours, desks, self-paid, desk wish) on `days`."""
    label, features = _wish_of(request)
    return dlg.booking.book(ctx.member.id, request["space"], days, part=request.get("part"), start=request.get("start"),
                            end=request.get("end"), desks=int(request.get("desks") or 1),
                            pay_self=bool(request.get("pay_self")), desk_label=label, features=features)


def do_book(dlg, ctx: Ctx, request: dict) -> list[Reply]:
    days = [date.fromisoformat(d) for d in request["dates"]]
    if request.get("space") is None:
        return ask_space(dlg, ctx, request)
    if (other := foreign_space_reply(dlg.core, ctx, request["space"])) is not None:
        return other
    label, features = _wish_of(request)
    desks = int(request.get("desks") or 1)
    if label and desks > 1:  # "zu dritt Platz 3": one desk is not three; ask which was meant
        return ask_team_or_desk(dlg, ctx, request, label, desks)
    leg_of: dict[date, dict] = {}  # a day's own request (its place), for what is explained about it
    if request.get("legs"):  # each place with its own days, all in this message's one unit of work
        outcomes = []
        for slug, ds in request["legs"]:
            if (other := foreign_space_reply(dlg.core, ctx, slug)) is not None:
                return other
            leg = {k: v for k, v in request.items() if k != "legs"} | {"space": slug, "dates": ds}
            leg_days = [date.fromisoformat(d) for d in ds]
            leg_of |= dict.fromkeys(leg_days, leg)
            outcomes += book_request(dlg, ctx, leg, leg_days)
    else:
        outcomes = book_request(dlg, ctx, request, days)
    booked = [o for o in outcomes if isinstance(o, Booked)]
    failed = [o for o in outcomes if not isinstance(o, Booked)]
    # one message per answer: the confirmation, then why the other days did not work (closed weekdays in one line)
    closed_days = [o for o in failed if isinstance(o, Closed) and o.reason == "weekday"]
    short = [o for o in failed if isinstance(o, NoContingent)]  # not covered by the contingent: one note for all
    others = [o for o in failed if o not in closed_days and not (len(short) > 1 and isinstance(o, NoContingent))]
    parts: list[Reply] = []
    if booked:
        parts.append(confirmation(dlg, ctx, booked, wish=bool(label or features)))
    if closed_days and (booked or others or len(closed_days) > 1):
        parts.append(Reply(t(ctx.lang, "closed_days_note", days=", ".join(fmt_day(o.day, ctx.lang) for o in closed_days))))
        closed_days = []
    for o in closed_days + others[:MAX_EXPLAINED]:
        parts.append(explain(dlg, ctx, o, leg_of.get(o.day, request)))
    if len(short) > 1:
        parts.append(explain_short(dlg, ctx, short, leg_of.get(short[0].day, request)))
    if len(others) > MAX_EXPLAINED:
        parts.append(Reply(t(ctx.lang, "summary_failed") + " " + ", ".join(fmt_day(o.day, ctx.lang) for o in others[MAX_EXPLAINED:])))
    if len(parts) == 1:
        return parts
    return [Reply("\n\n".join(p.text for p in parts), [row for p in parts for row in p.choices][:6],
                  [a for p in parts for a in p.attachments])]


MAX_EXPLAINED = 3  # days explained one by one; the rest are named in one line


def ask_team_or_desk(dlg, ctx: Ctx, request: dict, label: str, desks: int) -> list[Reply]:
    """A team booking that names one desk: book the team on any desks (keeping the features), or just that desk."""
    lang = ctx.lang
    refs = {r.slug: r for r in dlg.core.space_refs()}
    town = refs[request["space"]].town if request["space"] in refs else request["space"]
    team = {k: v for k, v in request.items() if k != "desk"}
    opts = [(t(lang, "btn_team_any", n=desks, town=town), team),
            (t(lang, "btn_only_desk", desk=label), dict(request, desks=1))]
    return [Reply(t(lang, "desk_team_label", desk=label, n=desks), dlg.choices(ctx, opts, per_row=1))]


def op_rebook(dlg, ctx: Ctx, a: dict) -> list[Reply]:
    """"Nach Olfen umbuchen": the day's old booking is cancelled and the new one booked as one step. When the new
    one cannot be booked (full meanwhile, no contingent ...), a savepoint takes the cancellation back: the old
    booking stays, and the reply says so and why."""
    lang = ctx.lang
    request = dict(a["request"])
    label, features = _wish_of(request)
    with dlg.core.db.session() as s:
        step = s.begin_nested()
        res = dlg.booking.cancel(ctx.member.id, booking_ids=list(a.get("cancel_ids") or []))
        if not res.cancelled:
            step.rollback()
            return [Reply(t(lang, "rebook_gone"))]
        outcomes = book_request(dlg, ctx, request, [date.fromisoformat(request["dates"][0])])
        booked = [o for o in outcomes if isinstance(o, Booked)]
        if not booked:
            step.rollback()
            old = res.cancelled[0]
            why = explain(dlg, ctx, outcomes[0], request) if outcomes else Reply(t(lang, "error"))
            why.text += "\n" + t(lang, "rebook_kept", space=old.space.name, day=fmt_day(old.day, lang))
            return [why]
        step.commit()
    old = res.cancelled[0]
    reply = confirmation(dlg, ctx, booked, wish=bool(label or features))
    note = t(lang, "rebooked", space=old.space.name) if old.day == booked[0].booking.day else \
        t(lang, "moved_day", what=_day_space(lang, old))
    if res.not_refunded:
        note += " " + t(lang, "rebooked_not_refunded")
    reply.text = note + "\n" + reply.text
    return [reply]


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
    """Cancel by text. One refundable day goes at once; several days, or a day past its refund cutoff, ask first."""
    it = ctx.intent
    assert it is not None
    all_future = "all" in it.args or "alle" in it.args
    if all_future:
        mine = dlg.booking.my_bookings(ctx.member.id)
        if not mine:
            return [Reply(t(ctx.lang, "nothing_to_cancel"))]
        opts = [(t.n(ctx.lang, "yes_cancel_all", len(mine)), {"op": "cancel", "ids": [b.id for b in mine]}),
                (t(ctx.lang, "no"), {"op": "keep"})]
        return [Reply(t.n(ctx.lang, "cancel_all_confirm", len(mine)), dlg.choices(ctx, opts))]
    if not it.dates and not it.space:
        return cancel_menu(dlg, ctx)
    found, late = dlg.booking.cancel_preview(ctx.member.id, days=it.dates or None, space_slug=it.space)
    if not found:
        other = _same_weekday(dlg, ctx, it)
        if other:  # "Dienstag stornieren" with nothing on the coming Tuesday, but the one after booked: that one?
            head = t(ctx.lang, "cancel_none_on_day", day=fmt_day(it.dates[0], ctx.lang))
            if len(other) == 1:
                replies = op_cancel_ask(dlg, ctx, {"ids": dlg.booking.group_ids(other[0])})
            else:
                opts = _cancel_options(dlg, ctx, other)
                replies = [Reply(t(ctx.lang, "choose_cancel"), dlg.choices(ctx, opts, per_row=1))]
            replies[0].text = head + " " + replies[0].text
            return replies
        replies = [Reply(t(ctx.lang, "nothing_to_cancel"))]
        menu = cancel_menu(dlg, ctx)
        if menu and menu[0].choices:
            replies[0].text += "\n" + menu[0].text
            replies[0].choices = menu[0].choices
        return replies
    if len({(b.day, b.space.slug) for b in found}) > 1 or late:
        return confirm_cancel(dlg, ctx, found, late)
    res = dlg.booking.cancel(ctx.member.id, booking_ids=[b.id for b in found])
    return [cancelled_reply(dlg, ctx, res)]


def _same_weekday(dlg, ctx: Ctx, it: Intent) -> list[BookingInfo]:
    """Own bookings of the following three weeks on the weekday of the one day named (and at the place named)."""
    from datetime import timedelta

    if len(it.dates) != 1:
        return []
    day = it.dates[0]
    return [b for b in dlg.booking.my_bookings(ctx.member.id)
            if b.seat == 0 and b.day.weekday() == day.weekday() and day < b.day <= day + timedelta(days=21)
            and (not it.space or b.space.slug == it.space)][:3]


def confirm_cancel(dlg, ctx: Ctx, found: list[BookingInfo], late: list[BookingInfo]) -> list[Reply]:
    """Ask before cancelling several days, or a day that is no longer refunded."""
    lang = ctx.lang
    items = []
    for b in found:
        item = f"{fmt_day(b.day, lang)} {b.space.name}{part_text(lang, b)}"
        if b.seat == 0 and item not in items:
            items.append(item)
    if len(items) == 1:
        text = t(lang, "cancel_confirm_one", item=items[0])
    else:
        shown = items[:10] + (["…"] if len(items) > 10 else [])
        text = t(lang, "cancel_confirm_many", n=len(items), items="\n".join("• " + x for x in shown))
    return _ask_cancel(dlg, ctx, text, found, late)


def _ask_cancel(dlg, ctx: Ctx, text: str, found: list[BookingInfo], late: list[BookingInfo]) -> list[Reply]:
    """The question's tail: the no-refund note for days past the cutoff, then [Ja, stornieren] [Behalten]."""
    lang = ctx.lang
    if late:
        text += "\n" + t(lang, "cancel_confirm_late", items=", ".join(sorted({fmt_day(b.day, lang) for b in late})),
                         hours=dlg.booking.cancel_cutoff_hours(late[0].space.slug))
    opts = [(t(lang, "btn_yes_cancel"), {"op": "cancel", "ids": [b.id for b in found]}),
            (t(lang, "btn_keep"), {"op": "keep"})]
    return [Reply(text, dlg.choices(ctx, opts))]


def cancel_menu(dlg, ctx: Ctx) -> list[Reply]:
    mine = [b for b in dlg.booking.my_bookings(ctx.member.id) if b.seat == 0]
    if not mine:
        return [Reply(t(ctx.lang, "list_empty"))]
    return [Reply(t(ctx.lang, "choose_cancel"), dlg.choices(ctx, _cancel_options(dlg, ctx, mine[:12]), per_row=1))]


def _cancel_options(dlg, ctx: Ctx, bookings: list[BookingInfo]) -> list[tuple[str, dict]]:
    """One button per booking ("❌ Di, 01.12. Olfen"); pressing it asks before cancelling."""
    return [(t(ctx.lang, "cancel_button", day=fmt_day(b.day, ctx.lang), space=b.space.town),
             {"op": "cancel_ask", "ids": dlg.booking.group_ids(b)}) for b in bookings]


def op_cancel_ask(dlg, ctx: Ctx, a: dict) -> list[Reply]:
    """A booking picked from a list: confirm first (and say if it is past the refund cutoff)."""
    found, late = dlg.booking.cancel_preview(ctx.member.id, booking_ids=[int(i) for i in a["ids"]])
    if not found:
        return [Reply(t(ctx.lang, "nothing_to_cancel"))]
    return confirm_cancel(dlg, ctx, found, late)


def op_cancel(dlg, ctx: Ctx, a: dict) -> list[Reply]:
    res = dlg.booking.cancel(ctx.member.id, booking_ids=[int(i) for i in a["ids"]])
    if not res.cancelled:
        return [Reply(t(ctx.lang, "nothing_to_cancel"))]
    return [cancelled_reply(dlg, ctx, res)]


def op_undo(dlg, ctx: Ctx, a: dict) -> list[Reply]:
    res = dlg.booking.undo(ctx.member.id, [int(i) for i in a["ids"]])
    if res is None:  # past the refund cutoff: undo has expired like the refund
        return [Reply(t(ctx.lang, "undo_expired"))]
    if not res.cancelled:
        return [Reply(t(ctx.lang, "nothing_to_cancel"))]
    return [Reply(t(ctx.lang, "undone"))]


def op_ics_cancel(dlg, ctx: Ctx, a: dict) -> list[Reply]:
    """📅 Aus dem Kalender entfernen: the cancelling calendar file (METHOD:CANCEL) of cancelled bookings."""
    infos = dlg.booking.bookings_by_id(ctx.member.id, [int(i) for i in a["ids"]])
    return _ics_reply(dlg, ctx, infos, cancel=True)


def op_ics(dlg, ctx: Ctx, a: dict) -> list[Reply]:
    """📅 In den Kalender: the calendar file of a booking, on demand."""
    wanted = {int(i) for i in a["ids"]}
    infos = [b for b in dlg.booking.my_bookings(ctx.member.id) if b.id in wanted and b.seat == 0]
    return _ics_reply(dlg, ctx, infos, cancel=False)


def _ics_reply(dlg, ctx: Ctx, infos: list[BookingInfo], *, cancel: bool) -> list[Reply]:
    from bot.ics import booking_ics

    if not infos:
        return [Reply(t(ctx.lang, "nothing_to_cancel"))]
    ics = booking_ics(infos, dlg.core.clock.tz, ctx.lang, method="CANCEL" if cancel else "PUBLISH")
    name = {(True, "de"): "deskbot-storno.ics", (True, "en"): "deskbot-cancel.ics",
            (False, "de"): "deskbot-buchung.ics", (False, "en"): "deskbot-booking.ics"}[(cancel, "de" if ctx.lang == "de" else "en")]
    return [Reply(t(ctx.lang, "ics_cancel_here" if cancel else "ics_here"),
                  attachments=[Attachment(name, "text/calendar", ics)])]


def _list_scope(dlg, lang: str, it: Intent) -> str:
    """What a "meine Buchungen ..." question is about, as it reads after "Deine Buchungen": "am Fr, 27.11. in
    Coworking Senden", "im Dezember 2026"."""
    from bot.i18n import fmt_month, fmt_span

    parts = []
    days = sorted(set(it.dates))
    if days:
        parts.append(fmt_span(days, lang))
    elif it.month:
        parts.append(t(lang, "list_in_month", month=fmt_month(it.month, lang)))
    if it.space:
        parts.append(t(lang, "list_at_space", space=_space_name(dlg, it.space)))
    return " ".join(parts)


def on_list(dlg, ctx: Ctx) -> list[Reply]:
    """"meine Buchungen"; a day, a month or a place in the question ("Bin ich Freitag in Senden eingetragen?",
    "Was habe ich im Dezember gebucht?") narrows the list, and says so when nothing is booked then."""
    everything = dlg.booking.my_bookings(ctx.member.id)
    lang = ctx.lang
    it = ctx.intent
    mine, scope = everything, ""
    if it is not None and (it.dates or it.month or it.space):
        days = set(it.dates)
        month = None if days else it.month
        mine = [b for b in everything if (not days or b.day in days) and (not it.space or b.space.slug == it.space)
                and (month is None or f"{b.day.year:04d}-{b.day.month:02d}" == month)]
        scope = _list_scope(dlg, lang, it)
        if not mine:
            text = t(lang, "list_none_for", what=scope)
            if everything:
                text += "\n" + t.n(lang, "list_none_rest", len(everything))
            return [Reply(text)]
    if not mine:
        return [Reply(t(lang, "list_empty"))]
    from bot.features.booking.desks import desk_features

    feats = desk_features(dlg.booking, {(b.space.slug, b.desk_label) for b in mine if b.desk_label})
    lines = [t(lang, "list_head_for", what=scope) if scope else t(lang, "list_head")]
    groups: dict[tuple, list[BookingInfo]] = {}
    for b in mine:
        groups.setdefault((b.day, b.space.slug, b.group_ref or b.id), []).append(b)
    for bs in groups.values():
        b = bs[0]
        key = {"waitlisted": "list_line_wait", "checked_in": "list_line_checked"}.get(b.status, "list_line")
        lines.append(t(lang, key, day=fmt_day(b.day, lang), part=part_text(lang, b), space=b.space.name,
                       desk=", ".join(desk_text(lang, x.desk_label, feats.get((x.space.slug, x.desk_label), ()))
                                      for x in bs)))
    opts = [(t(lang, "cancel_button", day=fmt_day(bs[0].day, lang), space=bs[0].space.town), {"op": "cancel_ask", "ids": [x.id for x in bs]})
            for bs in groups.values() if bs[0].status in ("confirmed", "waitlisted")][:12]
    return [Reply("\n".join(lines), dlg.choices(ctx, opts, per_row=1))]


def _space_name(dlg, slug: str | None) -> str:
    info = dlg.booking.get_space(slug) if slug else None
    return info.name if info is not None else (slug or "")


def on_availability(dlg, ctx: Ctx) -> list[Reply]:
    it = ctx.intent
    assert it is not None
    if it.space is None and it.space_text:
        return ask_space_guess(dlg, ctx, it)
    if (other := foreign_space_reply(dlg.core, ctx, it.space)) is not None:
        return other
    day = it.dates[0] if it.dates else dlg.core.clock.today()
    if it.topic == "price" and it.space and it.dates and (info := dlg.booking.get_space(it.space)) is not None:
        # "Kann ich Fr in Olfen arbeiten, und wie teuer ist das?": that day's free desks, and the price
        part = None if it.part_guessed else it.part  # "ein halber Tag": the half-day price, the whole day's desks
        replies = availability_reply(dlg, ctx, day, it.space, part, it.start, it.end, it.desks)
        replies[0].text += "\n" + _price_text(ctx.lang, info, it.part)
        return replies
    if it.topic in ("hours", "price") and it.space:
        return space_facts(dlg, ctx, it.space, it.topic, day, named_day=bool(it.dates), part=it.part)
    if it.topic in ("hours", "price") and not (it.desk_label or it.desk_features):
        return region_facts(dlg, ctx, it.topic, day)
    if it.desk_label or it.desk_features:
        return desk_availability_reply(dlg, ctx, day, it.space, it.desk_label, list(it.desk_features), it.part,
                                       it.start, it.end)
    if it.topic == "near" and it.space:
        return near_reply(dlg, ctx, day, it.space, it.part, it.start, it.end, it.desks)
    days = sorted(d for d in set(it.dates) if d >= ctx.now.date())
    if it.legs and not it.topic:  # each place on its own days
        return legs_availability_reply(dlg, ctx, it.legs, it.part, it.start, it.end, it.desks)
    if len(it.places) > 1 and not it.topic and not (it.desk_label or it.desk_features):
        return places_availability_reply(dlg, ctx, it.places, days or [day], it.part, it.start, it.end, it.desks)
    if it.space and len(days) > 1:  # "Is Dülmen free on Tuesday and Wednesday mornings?": each day, one button for all
        return days_availability_reply(dlg, ctx, days, it.space, it.part, it.start, it.end, it.desks)
    return availability_reply(dlg, ctx, day, it.space, it.part, it.start, it.end, it.desks)


def space_facts(dlg, ctx: Ctx, slug: str, topic: str, day: date, *, named_day: bool = False,
                part: str | None = None) -> list[Reply]:
    """Opening hours or price of a space, with a button to book it. A named day ("ist Senden am Samstag offen?") is
    answered for that day first; a half day ("was kostet ein halber Tag in Olfen?") gets the half-day price."""
    lang = ctx.lang
    info = dlg.booking.get_space(slug)
    if info is None:
        return [Reply(t(lang, "unknown_space"))]
    if topic == "hours":
        text = t(lang, "space_hours", space=info.name, hours=hours_text(dlg, slug, lang))
        if named_day:
            a = next(iter(dlg.booking.availability(day, slug)), None)
            hours = None if a is None or a.closed else dlg.booking.space_hours(slug).get(WEEKDAY_KEYS[day.weekday()])
            head = t(lang, "space_open_on", space=info.name, day=fmt_day(day, lang), open=hours[0], close=hours[1]) \
                if hours else t(lang, "space_closed_on", space=info.name, day=fmt_day(day, lang))
            text = head + "\n" + text
    else:
        text = _price_text(lang, info, part)
    request = {"op": "book", "space": slug, "dates": [day.isoformat()], "part": part if topic == "price" else None,
               "start": None, "end": None, "desks": 1}
    return [Reply(text, dlg.choices(ctx, [(t(ctx.lang, "book_button", space=info.town), request)]))]


def _price_text(lang: str, info, part: str | None) -> str:
    if part in ("morning", "afternoon"):
        return t(lang, "space_price_half", space=info.name, half=fmt_eur(info.day_price_cents // 2, lang),
                 price=fmt_eur(info.day_price_cents, lang))
    return t(lang, "space_price", space=info.name, price=fmt_eur(info.day_price_cents, lang))


def region_facts(dlg, ctx: Ctx, topic: str, day: date) -> list[Reply]:
    """"Was kostet das?", "wann habt ihr offen?" without a place: the member's region's spaces, those with the
    same price (or the same hours that day) on one line."""
    lang = ctx.lang
    mine = {r.slug for r in member_refs(dlg.core, ctx.member)}
    groups: dict[str, list[str]] = {}
    if topic == "price":
        for sp in sorted((sp for sp in dlg.booking.spaces() if sp.slug in mine), key=lambda x: (x.day_price_cents, x.town)):
            groups.setdefault(fmt_eur(sp.day_price_cents, lang), []).append(sp.town)
        head = t(lang, "prices_head")
    else:
        weekly = dlg.booking.all_space_hours()
        for a in sorted((a for a in dlg.booking.availability(day) if a.space.slug in mine), key=lambda a: a.space.town):
            hours = None if a.closed else weekly.get(a.space.slug, {}).get(WEEKDAY_KEYS[day.weekday()])
            groups.setdefault(f"{hours[0]}–{hours[1]}" if hours else t(lang, "hours_closed"), []).append(a.space.town)
        head = t(lang, "hours_head", day=fmt_day(day, lang))
    return [Reply("\n".join([head] + [t(lang, "facts_line", value=k, towns=", ".join(v)) for k, v in groups.items()]))]


def _book_label(lang: str, town: str, desks: int) -> str:
    """An availability answer's button: "Olfen buchen", for a team "Olfen buchen (3 Plätze)"."""
    if desks > 1:
        return t.n(lang, "book_button_desks", desks, space=town, n=desks)
    return t(lang, "book_button", space=town)


def near_reply(dlg, ctx: Ctx, day: date, slug: str, part, start, end, desks: int = 1) -> list[Reply]:
    """"morgen irgendwo in der Nähe von Nottuln": the spaces of that region by distance from it, with their free desks;
    buttons book the nearest ones with room (asked, not booked)."""
    from bot.features.district.regions import same_region

    lang = ctx.lang
    every = dlg.booking.availability(day, part=part, start=start, end=end)
    here = next((a.space for a in every if a.space.slug == slug), None)
    if here is None:
        return [Reply(t(lang, "unknown_space"))]
    region = same_region(dlg.core, slug)
    near = [a for a in every if region is None or a.space.slug in region]
    near.sort(key=lambda a: here.km_to(a.space) if here.km_to(a.space) is not None else 1e9)
    lines = [t(lang, "avail_near_head", day=fmt_day(day, lang), town=here.town)]
    for a in near[:6]:
        km = here.km_to(a.space) or 0.0
        lines.append(t(lang, "avail_near_closed" if a.closed else "avail_near_line", space=a.space.name, km=f"{km:.0f}",
                       free=a.free, total=a.total))
    request = {"op": "book", "dates": [day.isoformat()], "part": part, "start": start, "end": end, "desks": max(desks, 1)}
    opts = [(_book_label(lang, a.space.town, desks), dict(request, space=a.space.slug))
            for a in near[:6] if not a.closed and a.free >= max(desks, 1)][:4]
    return [Reply("\n".join(lines), dlg.choices(ctx, opts, per_row=2))]


def _days_lines(dlg, lang: str, days: list[date], space: str, part, start, end, desks: int):
    """The free desks of one space on each day (its head line first), the days with room and the town; None for a
    space that does not exist."""
    lines: list[str] = []
    bookable: list[date] = []
    name = town = None
    for day in days[:10]:
        a = next(iter(dlg.booking.availability(day, space, part=part, start=start, end=end)), None)
        if a is None:
            return None
        name, town = a.space.name, a.space.town
        if a.closed:
            lines.append(t(lang, "avail_day_closed", day=fmt_day(day, lang)))
            continue
        lines.append(t(lang, "avail_day_line", day=fmt_day(day, lang), free=a.free, total=a.total))
        if a.free >= desks:
            bookable.append(day)
    return [t(lang, "avail_space_head", space=name)] + lines, bookable, town


def legs_availability_reply(dlg, ctx: Ctx, legs: list, part, start, end, desks: int = 1) -> list[Reply]:
    """ "Ist Mittwoch in Senden und Donnerstag in Olfen was frei?": each place on its own days; one button books
    the days with room, each in its place (asked, not booked)."""
    lang = ctx.lang
    blocks: list[str] = []
    book_legs: list[list] = []
    for slug, days in legs:
        got = _days_lines(dlg, lang, [d for d in days if d >= ctx.now.date()], slug, part, start, end, desks)
        if got is None:
            return [Reply(t(lang, "unknown_space"))]
        lines, bookable, town = got
        blocks.append("\n".join(lines))
        if bookable:
            book_legs.append([slug, [d.isoformat() for d in bookable], town])
    text = "\n\n".join(blocks)
    if not book_legs:
        return [Reply(text)]
    if len(book_legs) == 1:
        slug, ds, town = book_legs[0]
        request = {"op": "book", "space": slug, "dates": ds, "part": part, "start": start, "end": end, "desks": desks}
        return [Reply(text, dlg.choices(ctx, [(_book_label(lang, town, desks), request)]))]
    request = {"op": "book", "space": book_legs[0][0], "dates": sorted(d for leg in book_legs for d in leg[1]),
               "part": part, "start": start, "end": end, "desks": desks, "legs": [leg[:2] for leg in book_legs]}
    label = t(lang, "book_legs_button", places=" + ".join(leg[2] for leg in book_legs))
    return [Reply(text, dlg.choices(ctx, [(label, request)]))]


def places_availability_reply(dlg, ctx: Ctx, places: list[str], days: list[date], part, start, end,
                              desks: int = 1) -> list[Reply]:
    """ "Ist Freitag in Senden und Olfen was frei?": each place on the days asked, one button per place with room
    (either place, not both: asked, not booked)."""
    lang = ctx.lang
    blocks: list[str] = []
    opts: list[tuple[str, dict]] = []
    for slug in places[:4]:
        got = _days_lines(dlg, lang, days, slug, part, start, end, desks)
        if got is None:
            continue
        lines, bookable, town = got
        blocks.append("\n".join(lines))
        if bookable:
            opts.append(_book_days_option(lang, slug, town, bookable, part, start, end, desks))
    if not blocks:
        return [Reply(t(lang, "unknown_space"))]
    text = "\n\n".join(blocks)
    return [Reply(text, dlg.choices(ctx, opts, per_row=2))] if opts else [Reply(text)]


def days_availability_reply(dlg, ctx: Ctx, days: list[date], space: str, part, start, end, desks: int = 1) -> list[Reply]:
    """Free desks of one space on each of several days; one button books the days with room (asked, not booked)."""
    lang = ctx.lang
    got = _days_lines(dlg, lang, days, space, part, start, end, desks)
    if got is None:
        return [Reply(t(lang, "unknown_space"))]
    lines, bookable, town = got
    text = "\n".join(lines)
    if not bookable:
        return [Reply(text)]
    return [Reply(text, dlg.choices(ctx, [_book_days_option(lang, space, town, bookable, part, start, end, desks)]))]


def _book_days_option(lang: str, slug: str, town: str, bookable: list[date], part, start, end,
                      desks: int) -> tuple[str, dict]:
    """The button that books one place's days with room ("Olfen buchen", "Olfen buchen (2 Tage)")."""
    label = _book_label(lang, town, desks) if len(bookable) == 1 else \
        t.n(lang, "book_days_button", len(bookable), space=town, n=len(bookable))
    return label, {"op": "book", "space": slug, "dates": [d.isoformat() for d in bookable], "part": part,
                   "start": start, "end": end, "desks": desks}


def availability_reply(dlg, ctx, day, space, part, start, end, desks: int = 1) -> list[Reply]:
    lang = ctx.lang
    avail = dlg.booking.availability(day, space, part=part, start=start, end=end)
    if space is None:  # the member's region only
        mine = {r.slug for r in member_refs(dlg.core, ctx.member)}
        avail = [a for a in avail if a.space.slug in mine]
    dstr = fmt_day(day, lang)
    if start and end:
        when = f"{start}–{end}"
    elif start or end:
        when = t(lang, "time_from", time=start) if start else t(lang, "time_until", time=end)
    else:
        when = PART[lang][part] if part in ("morning", "afternoon") else ""
    lines = [t(lang, "avail_head", day=f"{dstr} ({when})" if when else dstr)]
    weekly = dlg.booking.all_space_hours() if any(a.closed == "hours" for a in avail) else {}
    for a in avail:
        hours = weekly.get(a.space.slug, {}).get(WEEKDAY_KEYS[day.weekday()]) if a.closed == "hours" else None
        if hours:  # open that day, not at the time asked: say when
            lines.append(t(lang, "avail_not_then", space=a.space.name, open=hours[0], close=hours[1]))
        elif a.closed:
            lines.append(t(lang, "avail_closed", space=a.space.name))
        else:
            lines.append(t(lang, "avail_line", space=a.space.name, free=a.free, total=a.total))
    if (start or end) and avail and all(a.closed for a in avail) and any(a.closed == "hours" for a in avail):
        # "um 7" before any space opens is no "nirgends frei": say so, with that day's hours
        facts = space_facts(dlg, ctx, space, "hours", day, named_day=True) if space else \
            region_facts(dlg, ctx, "hours", day)
        head = t(lang, "avail_outside_hours_space", when=when, day=dstr, space=avail[0].space.name) if space else \
            t(lang, "avail_outside_hours", when=when, day=dstr)
        facts[0].text = head + "\n" + facts[0].text
        return facts
    free = [a for a in avail if not a.closed and a.free >= max(desks, 1)]
    if space and len(avail) == 1 and not avail[0].closed and not free:
        # "Can you sort me out with a desk in Senden tomorrow?" with Senden full: what the booking would say (the
        # nearest spaces with room, the waitlist), as buttons; nothing is booked by asking
        request = {"op": "book", "space": space, "dates": [day.isoformat()], "part": part, "start": start, "end": end,
                   "desks": max(desks, 1)}
        return [explain(dlg, ctx, Full(avail[0].space, day, avail[0].free), request)]
    if not free and len(avail) > 1:
        lines = [t(lang, "avail_none", day=dstr)]
    request = {"op": "book", "dates": [day.isoformat()], "part": part, "start": start, "end": end, "desks": max(desks, 1)}
    recent = usual_spaces(dlg, ctx)
    free.sort(key=lambda a: (a.space.slug not in recent, -a.free))
    opts = [(_book_label(lang, a.space.town, desks), dict(request, space=a.space.slug)) for a in free[:4]]
    return [Reply("\n".join(lines), dlg.choices(ctx, opts, per_row=2))]


def op_avail(dlg, ctx: Ctx, a: dict) -> list[Reply]:
    day = date.fromisoformat(a["dates"][0]) if a.get("dates") else dlg.core.clock.today()
    label, features = _wish_of(a)
    if label or features:
        return desk_availability_reply(dlg, ctx, day, a.get("space"), label, features, a.get("part"), a.get("start"),
                                       a.get("end"))
    return availability_reply(dlg, ctx, day, a.get("space"), a.get("part"), a.get("start"), a.get("end"),
                              int(a.get("desks") or 1))


def desk_availability_reply(dlg, ctx: Ctx, day: date, space: str | None, label: str | None, features: list[str],
                            part, start, end) -> list[Reply]:
    """"Ist Platz 3 morgen in Coesfeld frei?", "wo gibt es Freitag einen Platz mit Monitor?": answered for that desk,
    or with the spaces that have a matching desk free. Books nothing; a button books."""
    from bot.features.booking.desks import day_desks

    lang = ctx.lang
    dstr = fmt_day(day, lang)
    every = day_desks(dlg.booking, day, space, part=part, start=start, end=end)
    if space is None:  # the member's region only
        mine = {r.slug for r in member_refs(dlg.core, ctx.member)}
        every = [sd for sd in every if sd.space.slug in mine]
    request = {"op": "book", "dates": [day.isoformat()], "part": part, "start": start, "end": end, "desks": 1}
    if space is not None:
        sd = next((x for x in every if x.space.slug == space), None)
        if sd is None:
            return [Reply(t(lang, "unknown_space"))]
        if sd.closed:  # closed that day (or outside its hours): the ordinary answer says so
            return availability_reply(dlg, ctx, day, space, part, start, end)
        here = dict(request, space=space)
        if label:
            d = sd.desk(label)
            if d is None:
                return [explain_desk(dlg, ctx, UnknownDesk(sd.space, day, label, [x.label for x in sd.desks]), here)]
            if features and not d.has(features):
                return [explain_desk(dlg, ctx, NoSuchFeature(sd.space, day, features, label), dict(here, features=features))]
            if not d.free:
                return [explain_desk(dlg, ctx, DeskTaken(sd.space, day, d.label, list(d.features)), here)]
            text = t(lang, "avail_desk_free", desk=desk_text(lang, d.label, d.features), space=sd.space.name, day=dstr)
            opts = [(t(lang, "btn_book_desk", desk=d.label), dict(here, desk=d.label))]
            return [Reply(text, dlg.choices(ctx, opts))]
        wish = dict(here, features=features)
        if not sd.having(features):
            return [explain_desk(dlg, ctx, NoSuchFeature(sd.space, day, features), wish)]
        free = sd.free(features)
        if not free:
            return [explain_desk(dlg, ctx, NoMatchingDesk(sd.space, day, features, 0), wish)]
        text = t(lang, "avail_features_head", day=dstr, features=features_text(lang, features)) + "\n" + \
            t.n(lang, "avail_features_line", len(free), space=sd.space.name,
                desks=", ".join(desk_text(lang, d.label, d.features) for d in free))
        opts = [(t(lang, "book_button", space=sd.space.town), wish)]
        return [Reply(text, dlg.choices(ctx, opts))]
    # no space named: every space with a matching desk free
    recent = usual_spaces(dlg, ctx)
    if label:
        where = [(sd, d) for sd in every for d in [sd.desk(label)] if d is not None and d.free and not sd.closed
                 and d.has(features)]
        where.sort(key=lambda x: x[0].space.slug not in recent)
        if not where:
            return [Reply(t(lang, "avail_desk_nowhere", desk=label, day=dstr))]
        names = [sd.space.name for sd, _ in where]
        text = t(lang, "avail_desk_where", desk=label, day=dstr,
                 spaces=", ".join(names[:6]) + (" …" if len(names) > 6 else ""))
        opts = [(t(lang, "book_button", space=sd.space.town), dict(request, space=sd.space.slug, desk=d.label))
                for sd, d in where[:4]]
        return [Reply(text, dlg.choices(ctx, opts, per_row=2))]
    fx = features_text(lang, features)
    free = [(sd, sd.free(features)) for sd in every]
    free = [(sd, ds) for sd, ds in free if ds]
    if not free:
        having = [sd.space.name for sd in every if sd.having(features)]
        text = t(lang, "avail_features_none", day=dstr, features=fx) + "\n" + (
            t(lang, "feature_spaces", spaces=", ".join(having[:5])) if having else t(lang, "feature_nowhere", features=fx))
        return [Reply(text)]
    lines = [t(lang, "avail_features_head", day=dstr, features=fx)]
    lines += [t.n(lang, "avail_features_line", len(ds), space=sd.space.name,
                  desks=", ".join(desk_text(lang, d.label, d.features) for d in ds)) for sd, ds in free]
    free.sort(key=lambda x: (x[0].space.slug not in recent, -len(x[1])))
    opts = [(t(lang, "book_button", space=sd.space.town), dict(request, space=sd.space.slug, features=features))
            for sd, _ in free[:4]]
    return [Reply("\n".join(lines), dlg.choices(ctx, opts, per_row=2))]


def on_checkin(dlg, ctx: Ctx) -> list[Reply]:
    """A typed check-in. "Ich bin jetzt in Olfen" without any booking today would book a walk-in desk and spend the
    contingent on a statement: that is asked first (the QR code at the door, a deliberate scan, books at once)."""
    slug = ctx.intent.space if ctx.intent else None
    if slug:
        today = [b for b in dlg.booking.my_bookings(ctx.member.id, from_day=ctx.now.date()) if b.day == ctx.now.date()]
        here = dlg.booking.get_space(slug)
        open_today = here is not None and not any(a.closed for a in dlg.booking.availability(ctx.now.date(), slug))
        if not today and open_today and foreign_space_reply(dlg.core, ctx, slug) is None:
            opts = [(t(ctx.lang, "btn_walkin"), {"op": "walkin", "space": slug}), (t(ctx.lang, "no"), {"op": "keep"})]
            return [Reply(t(ctx.lang, "walkin_ask", space=here.name), dlg.choices(ctx, opts))]
    return do_checkin(dlg, ctx, slug)


def op_walkin(dlg, ctx: Ctx, a: dict) -> list[Reply]:
    return do_checkin(dlg, ctx, str(a["space"]))


def do_checkin(dlg, ctx: Ctx, slug: str | None) -> list[Reply]:
    lang = ctx.lang
    if slug:  # at another space than booked today: offer to move the booking here
        today = [b for b in dlg.booking.my_bookings(ctx.member.id, from_day=ctx.now.date())
                 if b.day == ctx.now.date() and b.seat == 0 and b.status == "confirmed"]
        if all(b.space.slug != slug for b in today) and (other := foreign_space_reply(dlg.core, ctx, slug)) is not None:
            return other  # no walk-in desk in another region (issue 17)
        if today and all(b.space.slug != slug for b in today):
            here = dlg.booking.get_space(slug)
            if here is not None:
                b = today[0]
                opts = [(t(lang, "btn_move_here", space=here.town), {"op": "move_checkin", "from": b.id, "space": slug}),
                        (t(lang, "btn_keep"), {"op": "keep"})]
                return [Reply(t(lang, "checkin_elsewhere", booked=b.space.name, here=here.name), dlg.choices(ctx, opts))]
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
    """The member's contingent left this month, or in the month asked about ("im Dezember")."""
    it = ctx.intent
    rem = dlg.booking.remaining(ctx.member.id, it.month if it is not None and it.month else None)
    if rem is None:
        return [Reply(t(ctx.lang, "no_employer"))]
    return [Reply(remaining_text(ctx.lang, rem))]


def op_book(dlg, ctx: Ctx, a: dict) -> list[Reply]:
    return do_book(dlg, ctx, a)


def op_move_checkin(dlg, ctx: Ctx, a: dict) -> list[Reply]:
    """Move today's booking to the space the member is at, and check in there — all or nothing."""
    o = dlg.booking.move_and_check_in(ctx.member.id, int(a["from"]), a["space"])
    if isinstance(o, CheckedIn):
        b = o.booking
        return [Reply(t(ctx.lang, "moved_checked_in", space=b.space.name, desk=b.desk_label, end=b.end))]
    return [explain(dlg, ctx, o, {"space": a["space"]})]


def cmd_home(dlg, ctx: Ctx) -> list[Reply]:
    """/heimat Coesfeld: the member's home space, offered first (and in nudges); /heimat alone shows it."""
    lang = ctx.lang
    args = " ".join(ctx.intent.args if ctx.intent else []).strip()
    refs = {r.slug: r for r in dlg.core.space_refs()}
    if not args:
        home = (ctx.member.prefs or {}).get("home_space")
        if home in refs:
            return [Reply(t(lang, "home_show", town=refs[home].town))]
        return [Reply(t(lang, "home_none"))]
    if args.lower() in ("aus", "off", "löschen", "loeschen", "delete", "-"):
        dlg.members.set_pref(ctx.member.id, "home_space", None)
        return [Reply(t(lang, "home_cleared"))]
    it = dlg.parse(args, ctx.now)
    if it.space is None:
        return [Reply(t(lang, "no_such_space", text=args, towns=", ".join(r.town for r in member_refs(dlg.core, ctx.member))))]
    return set_home(dlg, ctx, it.space)


def set_home(dlg, ctx: Ctx, slug: str) -> list[Reply]:
    """The member's home space (also typed: "mein Standardort ist Coesfeld", "set my default place to Olfen")."""
    if (other := foreign_space_reply(dlg.core, ctx, slug)) is not None:
        return other
    refs = {r.slug: r for r in dlg.core.space_refs()}
    dlg.members.set_pref(ctx.member.id, "home_space", slug)
    nudge = dict((ctx.member.prefs or {}).get("nudge") or {})
    if not nudge.get("spaces"):
        nudge["spaces"] = [slug]
        dlg.members.set_pref(ctx.member.id, "nudge", nudge)
    return [Reply(t(ctx.lang, "home_set", town=refs[slug].town))]
