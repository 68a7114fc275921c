"""Notices: turning an outbox row into a `Reply` in the recipient's language.

The outbox row says *what happened* (kind + ids in the payload); the text is made at delivery time
from the current state, so a reminder for a booking cancelled meanwhile is not sent (`Skip`) and a
digest lists who is booked *now*. Buttons are specified as (label, action) pairs and turned into
single-use tokens bound to the recipient (`Members.issue_many`) only after every database session
of the rendering is closed (SQLite's writer lock would otherwise deadlock with the token insert).

Member preferences (``Member.prefs``)::

    {"notices": {"reminder_evening": true, "reminder_morning": true, "waitlist": true, "no_show": true,
                 "arrivals": true, "digest": true, "contingent_alert": true, "monthly_report": true,
                 "employer_copy": false, "employer_copy_since": "<iso>"},
     "reminder_time": "18:00",                    # evening reminder, local time (default: settings)
     "nudge": {"on": false, "time": "18:30", "days": ["mon", "tue", "wed", "thu", "fri"],
               "spaces": ["coesfeld"]}}           # days = weekdays of the day proposed (tomorrow)

This module also registers the button ops of notices: ``checkin_btn`` (morning reminder) and
``nudge_no`` (the "no" of a nudge).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select

from bot.domain import Attachment, Choice, Reply
from bot.i18n import PART, fmt_day, fmt_days, fmt_eur, t, translator

log = logging.getLogger(__name__)

WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# preference switch of each outbox kind (None: always sent)
KIND_PREF: dict[str, str | None] = {
    "reminder_evening": "reminder_evening",
    "reminder_morning": "reminder_morning",
    "waitlist_promoted": "waitlist",
    "no_show": "no_show",
    "arrival_new": "arrivals",
    "arrival_checkin": "arrivals",
    "arrival_cancelled": "arrivals",
    "digest": "digest",
    "contingent_alert": "contingent_alert",
    "monthly_report": "monthly_report",
    "employer_copy": "employer_copy",
    "nudge": "nudge",
}

NOTICE_DEFAULTS: dict[str, bool] = {
    "reminder_evening": True,
    "reminder_morning": True,
    "waitlist": True,
    "no_show": True,
    "arrivals": True,
    "digest": True,
    "contingent_alert": True,
    "monthly_report": True,
    "employer_copy": False,
}

NUDGE_DEFAULTS: dict[str, Any] = {"on": False, "time": "18:30", "days": ["mon", "tue", "wed", "thu", "fri"], "spaces": []}


def notice_switches(prefs: dict | None) -> dict[str, bool]:
    """Every on/off switch with the member's choice or the default."""
    chosen = dict((prefs or {}).get("notices") or {})
    out = {k: bool(chosen.get(k, v)) for k, v in NOTICE_DEFAULTS.items()}
    out["nudge"] = bool(nudge_prefs(prefs)["on"])
    return out


def nudge_prefs(prefs: dict | None) -> dict[str, Any]:
    n = dict(NUDGE_DEFAULTS)
    n.update((prefs or {}).get("nudge") or {})
    return n


def notice_enabled(prefs: dict | None, kind: str) -> bool:
    key = KIND_PREF.get(kind)
    if key is None:
        return True
    return notice_switches(prefs).get(key, True)


def reminder_time(prefs: dict | None, default: str) -> str:
    return (prefs or {}).get("reminder_time") or default


# ---------------------------------------------------------------------------------------------
# texts (kept here so bot/i18n.py stays the dialogue's)

TEXTS: dict[str, dict[str, str]] = {
    "de": {
        "rem_evening": "🔔 Erinnerung: {when} ({day}) hast du einen Platz in {space}{part}, Platz {desk}.\n📍 {address} · geöffnet {open}–{close} Uhr",
        "rem_morning": "☀️ Guten Morgen! Heute: {space}{part}, Platz {desk} ({open}–{close} Uhr).\nBitte checke bei deiner Ankunft ein (bis {deadline} Uhr, sonst verfällt die Buchung).",
        "checkin_button": "✅ Einchecken",
        "cancel_button": "❌ Stornieren",
        "tomorrow": "Morgen",
        "today": "Heute",
        "on_day": "Am",
        "arr_new": "🆕 Neue Buchung für heute in {space}: {name} ({employer}), {part}, Platz {desk}.",
        "arr_checkin": "👋 {name} ({employer}) ist in {space} eingecheckt – Platz {desk}.",
        "arr_cancelled": "❌ {name} ({employer}) hat für heute in {space} storniert ({part}).",
        "self_paying": "zahlt selbst",
        "digest_head": "☀️ Heute in {space} ({day}): {n} Buchung(en)",
        "digest_none": "☀️ Heute in {space} ({day}): keine Buchungen.",
        "digest_line": "• {name} ({employer}) – {part}, Platz {desk}",
        "checked_in_mark": " ✅",
        "no_show": "⌛ Du hast dich für {space} am {day} nicht rechtzeitig eingecheckt – die Buchung ist verfallen und der Platz wurde freigegeben.",
        "no_show_refund": "Der Tag wurde deinem Kontingent wieder gutgeschrieben.",
        "no_show_charged": "Der Tag bleibt vom Kontingent abgezogen.",
        "nudge": "🚲 Morgen ({day}) im Coworking statt pendeln?",
        "nudge_co2": "Du sparst dir {km} km Fahrt und etwa {co2} kg CO₂.",
        "nudge_space": "{town} ({free} frei)",
        "nudge_no": "Nein, danke",
        "nudge_no_reply": "Alles klar – dann bis zum nächsten Mal! 👋",
        "alert_pool": "⚠️ Das Firmenkontingent von {employer} für {month} ist fast aufgebraucht: noch {left} von {granted}.",
        "alert_member": "⚠️ Das Kontingent von {name} ({employer}) für {month} ist fast aufgebraucht: noch {left} von {granted}.",
        "report": "📊 Monatsbericht {employer}, {month}: {days} Coworking-Tage, Kosten {cost}.",
        "report_line": "• {name}: {days}, {cost}",
        "report_no_chart": "(Diagramm nicht verfügbar)",
        "copy_booked": "📋 Kopie: {name} hat {space} am {day}{part} gebucht.",
        "copy_cancelled": "📋 Kopie: {name} hat {space} am {day}{part} storniert.",
        "copy_no_show": "📋 Kopie: {name} ist in {space} am {day} nicht erschienen (verfallen).",
        "deleted": "(gelöscht)",
    },
    "en": {
        "rem_evening": "🔔 Reminder: {when} ({day}) you have a desk at {space}{part}, desk {desk}.\n📍 {address} · open {open}–{close}",
        "rem_morning": "☀️ Good morning! Today: {space}{part}, desk {desk} ({open}–{close}).\nPlease check in when you arrive (by {deadline}, or the booking lapses).",
        "checkin_button": "✅ Check in",
        "cancel_button": "❌ Cancel",
        "tomorrow": "Tomorrow",
        "today": "Today",
        "on_day": "On",
        "arr_new": "🆕 New booking for today at {space}: {name} ({employer}), {part}, desk {desk}.",
        "arr_checkin": "👋 {name} ({employer}) checked in at {space} – desk {desk}.",
        "arr_cancelled": "❌ {name} ({employer}) cancelled today at {space} ({part}).",
        "self_paying": "pays themselves",
        "digest_head": "☀️ Today at {space} ({day}): {n} booking(s)",
        "digest_none": "☀️ Today at {space} ({day}): no bookings.",
        "digest_line": "• {name} ({employer}) – {part}, desk {desk}",
        "checked_in_mark": " ✅",
        "no_show": "⌛ You didn't check in at {space} on {day} in time – the booking lapsed and the desk was released.",
        "no_show_refund": "The day went back to your contingent.",
        "no_show_charged": "The day stays charged to the contingent.",
        "nudge": "🚲 Coworking instead of commuting tomorrow ({day})?",
        "nudge_co2": "You'd save {km} km of driving and about {co2} kg of CO₂.",
        "nudge_space": "{town} ({free} free)",
        "nudge_no": "No, thanks",
        "nudge_no_reply": "Okay – see you next time! 👋",
        "alert_pool": "⚠️ The company contingent of {employer} for {month} is almost used up: {left} of {granted} left.",
        "alert_member": "⚠️ The contingent of {name} ({employer}) for {month} is almost used up: {left} of {granted} left.",
        "report": "📊 Monthly report {employer}, {month}: {days} coworking days, cost {cost}.",
        "report_line": "• {name}: {days}, {cost}",
        "report_no_chart": "(chart not available)",
        "copy_booked": "📋 Copy: {name} booked {space} on {day}{part}.",
        "copy_cancelled": "📋 Copy: {name} cancelled {space} on {day}{part}.",
        "copy_no_show": "📋 Copy: {name} did not show up at {space} on {day} (lapsed).",
        "deleted": "(deleted)",
    },
}


nt = translator(TEXTS)


# ---------------------------------------------------------------------------------------------
# rendering


@dataclass(frozen=True, slots=True)
class RowView:
    """A claimed outbox row, detached from its session."""

    id: int
    kind: str
    dedupe_key: str
    member_id: int | None
    transport: str | None
    chat_id: str | None
    payload: dict
    booking_id: int | None
    due_at: datetime
    attempts: int = 0


@dataclass(slots=True)
class Draft:
    """A notice before its buttons are issued as tokens."""

    text: str
    buttons: list[list[tuple[str, dict]]] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Skip:
    """Nothing to send any more (booking gone, day over): the row is cancelled with this reason."""

    reason: str


def _utc(dt: datetime) -> datetime:
    return dt.astimezone(timezone.utc)


def _part_text(lang: str, b) -> str:
    from bot.booking import fmt_min

    if b.part == "hours":
        return f", {fmt_min(b.start_min)}–{fmt_min(b.end_min)}"
    if b.part == "full":
        return ""
    return ", " + PART[lang][b.part]


def _part_plain(lang: str, b) -> str:
    from bot.booking import fmt_min

    if b.part == "hours":
        return f"{fmt_min(b.start_min)}–{fmt_min(b.end_min)}"
    return PART[lang][b.part]


def _group_ids(s, b) -> list[int]:
    from bot.storage.models import Booking

    if not b.group_ref:
        return [b.id]
    return list(s.scalars(select(Booking.id).where(Booking.group_ref == b.group_ref, Booking.day == b.day,
                                                   Booking.status.in_(("confirmed", "waitlisted")))))


def _employer_label(s, b, lang: str) -> str:
    from bot.storage.models import Employer, Role

    emp_id = b.employer_id
    if emp_id is None and b.payer != "self":
        emp_id = s.scalar(select(Role.employer_id).where(Role.member_id == b.member_id, Role.kind == "employee"))
    if emp_id is None:
        return nt(lang, "self_paying")
    emp = s.get(Employer, emp_id)
    return emp.name if emp else nt(lang, "self_paying")


def _member_name(m, lang: str) -> str:
    if m is None or m.deleted_at is not None:
        return nt(lang, "deleted")
    return m.display_name or f"#{m.id}"


def draft(core, row: RowView, lang: str, now: datetime) -> Draft | Skip:
    """What to send for this row now (or why not). Opens its own units of work, one at a time."""
    fn = _DRAFTERS.get(row.kind)
    if fn is None:
        if "text" in row.payload:  # generic notice enqueued by other features
            return Draft(str(row.payload["text"]))
        return Skip(f"unknown notice kind {row.kind!r}")
    return fn(core, row, lang, now)


def _booking_bundle(core, booking_id: int | None):
    from bot.booking import opening_of
    from bot.storage.models import Booking, Desk, Member, Space

    if booking_id is None:
        return None
    with core.db.session() as s:
        b = s.get(Booking, booking_id)
        if b is None:
            return None
        sp = s.get(Space, b.space_id)
        desk = s.get(Desk, b.desk_id) if b.desk_id else None
        m = s.get(Member, b.member_id)
        emp = _employer_label(s, b, "de")
        emp_en = _employer_label(s, b, "en")
        ids = _group_ids(s, b)
        s.expunge_all()
    return {"b": b, "space": sp, "desk": desk.label if desk else "–", "member": m, "opening": opening_of(sp, b.day),
            "employer": {"de": emp, "en": emp_en}, "ids": ids}


def _d_reminder_evening(core, row: RowView, lang: str, now: datetime) -> Draft | Skip:
    from bot.booking import fmt_min

    x = _booking_bundle(core, row.booking_id or row.payload.get("booking_id"))
    if x is None or x["b"].status != "confirmed":
        return Skip("booking no longer active")
    b, sp = x["b"], x["space"]
    if _utc(now) >= _utc(core.booking.local_dt(b.day, b.start_min)):
        return Skip("expired: booking has started")
    today = now.astimezone(core.clock.tz).date()
    when = nt(lang, "tomorrow") if b.day == today + timedelta(days=1) else (
        nt(lang, "today") if b.day == today else nt(lang, "on_day"))
    opening = x["opening"] or (b.start_min, b.end_min)
    text = nt(lang, "rem_evening", when=when, day=fmt_day(b.day, lang), space=sp.name, part=_part_text(lang, b), desk=x["desk"],
              address=sp.address, open=fmt_min(opening[0]), close=fmt_min(opening[1]))
    return Draft(text, [[(nt(lang, "cancel_button"), {"op": "cancel", "ids": x["ids"]})]])


def _d_reminder_morning(core, row: RowView, lang: str, now: datetime) -> Draft | Skip:
    from bot.booking import fmt_min

    x = _booking_bundle(core, row.booking_id or row.payload.get("booking_id"))
    if x is None or x["b"].status != "confirmed":
        return Skip("booking no longer active")
    b, sp = x["b"], x["space"]
    if _utc(now) >= _utc(core.booking.local_dt(b.day, b.end_min)):
        return Skip("expired: booking is over")
    deadline = min(b.start_min + sp.checkin_deadline_minutes, b.end_min)
    opening = x["opening"] or (b.start_min, b.end_min)
    text = nt(lang, "rem_morning", space=sp.name, part=_part_text(lang, b), desk=x["desk"], open=fmt_min(opening[0]),
              close=fmt_min(opening[1]), deadline=fmt_min(deadline))
    buttons = [[(nt(lang, "checkin_button"), {"op": "checkin_btn", "booking_id": b.id, "space": sp.slug}),
                (nt(lang, "cancel_button"), {"op": "cancel", "ids": x["ids"]})]]
    return Draft(text, buttons)


def _d_arrival(core, row: RowView, lang: str, now: datetime) -> Draft | Skip:
    x = _booking_bundle(core, row.payload.get("booking_id") or row.booking_id)
    if x is None:
        return Skip("booking gone")
    b, sp = x["b"], x["space"]
    if b.day != now.astimezone(core.clock.tz).date():
        return Skip("expired: not today any more")
    key = {"arrival_new": "arr_new", "arrival_checkin": "arr_checkin", "arrival_cancelled": "arr_cancelled"}[row.kind]
    text = nt(lang, key, space=sp.name, name=_member_name(x["member"], lang), employer=x["employer"].get(lang, x["employer"]["de"]),
              part=_part_plain(lang, b), desk=x["desk"])
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
        if opening is None or _utc(now) >= _utc(core.booking.local_dt(day, opening[1])):
            return Skip("expired: space closed for the day")
        rows = s.execute(
            select(Booking, Member, Desk.label).join(Member, Member.id == Booking.member_id)
            .outerjoin(Desk, Desk.id == Booking.desk_id)
            .where(Booking.space_id == sp.id, Booking.day == day, Booking.status.in_(("confirmed", "checked_in")))
            .order_by(Booking.start_min, Member.display_name, Booking.seat)
        ).all()
        lines = []
        for b, m, label in rows:
            line = nt(lang, "digest_line", name=_member_name(m, lang), employer=_employer_label(s, b, lang),
                      part=_part_plain(lang, b), desk=label or "–")
            if b.status == "checked_in":
                line += nt(lang, "checked_in_mark")
            lines.append(line)
        name = sp.name
    if not lines:
        return Draft(nt(lang, "digest_none", space=name, day=fmt_day(day, lang)))
    return Draft("\n".join([nt(lang, "digest_head", space=name, day=fmt_day(day, lang), n=len(lines))] + lines))


def _d_promoted(core, row: RowView, lang: str, now: datetime) -> Draft | Skip:
    x = _booking_bundle(core, row.booking_id or row.payload.get("booking_id"))
    if x is None or x["b"].status not in ("confirmed", "checked_in"):
        return Skip("booking no longer active")
    b, sp = x["b"], x["space"]
    if _utc(now) >= _utc(core.booking.local_dt(b.day, b.end_min)):
        return Skip("expired: booking is over")
    text = t(lang, "promoted", space=sp.name, day=fmt_day(b.day, lang), part=_part_text(lang, b), desk=x["desk"])
    return Draft(text, [[(nt(lang, "cancel_button"), {"op": "cancel", "ids": x["ids"]})]])


def _d_no_show(core, row: RowView, lang: str, now: datetime) -> Draft | Skip:
    x = _booking_bundle(core, row.booking_id or row.payload.get("booking_id"))
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
    if _utc(now) >= _utc(core.booking.local_dt(day, 0)):
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
    text = nt(lang, "nudge", day=fmt_day(day, lang))
    if km:
        co2 = 2 * km * core.settings.co2_kg_per_km
        text += "\n" + nt(lang, "nudge_co2", km=f"{2 * km:.0f}", co2=f"{co2:.1f}".replace(".", "," if lang == "de" else "."))
    rows = [buttons[i:i + 3] for i in range(0, len(buttons), 3)]
    rows.append([(nt(lang, "nudge_no"), {"op": "nudge_no", "day": day.isoformat()})])
    return Draft(text, rows)


def _d_alert(core, row: RowView, lang: str, now: datetime) -> Draft | Skip:
    from bot.storage.models import ContingentAccount, Employer, Member

    with core.db.session() as s:
        acct = s.get(ContingentAccount, int(row.payload["account_id"]))
        if acct is None:
            return Skip("account gone")
        emp = s.get(Employer, acct.employer_id)
        left, granted = acct.granted_halves - acct.used_halves, acct.granted_halves
        name = None
        if acct.scope.startswith("member:"):
            name = _member_name(s.get(Member, int(acct.scope.split(":", 1)[1])), lang)
        emp_name, month = emp.name if emp else "?", acct.month
    kw = dict(employer=emp_name, month=month, left=fmt_days(left, lang), granted=fmt_days(granted, lang))
    if name is None:
        return Draft(nt(lang, "alert_pool", **kw))
    return Draft(nt(lang, "alert_member", name=name, **kw))


def _d_report(core, row: RowView, lang: str, now: datetime) -> Draft | Skip:
    from bot.reports import build_report

    rep = build_report(core, int(row.payload["employer_id"]), row.payload["month"], lang=lang)
    text = nt(lang, "report", employer=rep.employer_name, month=rep.month, days=_fmt_num(rep.total_days, lang),
              cost=fmt_eur(rep.total_cents, lang))
    lines = [nt(lang, "report_line", name=e.name, days=_fmt_num(e.days, lang), cost=fmt_eur(e.cents, lang))
             for e in rep.employees[:20]]
    if lines:
        text += "\n" + "\n".join(lines)
    atts = [Attachment(rep.csv_filename, "text/csv", rep.csv_bytes)]
    if rep.png_bytes:
        atts.append(Attachment(rep.png_filename, "image/png", rep.png_bytes))
    else:
        text += "\n" + nt(lang, "report_no_chart")
    return Draft(text, attachments=atts)


def _fmt_num(x: float, lang: str) -> str:
    s = f"{x:g}"
    return s.replace(".", ",") if lang == "de" else s


def _d_copy(core, row: RowView, lang: str, now: datetime) -> Draft | Skip:
    x = _booking_bundle(core, row.payload.get("booking_id") or row.booking_id)
    if x is None:
        return Skip("booking gone")
    b, sp = x["b"], x["space"]
    key = {"booked": "copy_booked", "cancelled": "copy_cancelled", "no_show": "copy_no_show"}.get(row.payload.get("event", ""))
    if key is None:
        return Skip("unknown change")
    return Draft(nt(lang, key, name=_member_name(x["member"], lang), space=sp.name, day=fmt_day(b.day, lang),
                    part=_part_text(lang, b)))


_DRAFTERS = {
    "reminder_evening": _d_reminder_evening,
    "reminder_morning": _d_reminder_morning,
    "arrival_new": _d_arrival,
    "arrival_checkin": _d_arrival,
    "arrival_cancelled": _d_arrival,
    "digest": _d_digest,
    "waitlist_promoted": _d_promoted,
    "no_show": _d_no_show,
    "nudge": _d_nudge,
    "contingent_alert": _d_alert,
    "monthly_report": _d_report,
    "employer_copy": _d_copy,
}


def finish(core, d: Draft, member_id: int | None) -> Reply:
    """Issue the buttons as tokens for the recipient. Group/room notices carry no buttons (a token
    is bound to one member)."""
    choices: list[list[Choice]] = []
    if d.buttons and member_id is not None:
        import secrets

        group = secrets.token_hex(4)
        flat = [(label, dict(action, group=group)) for row in d.buttons for label, action in row]
        tokens = core.members.issue_many(member_id, [a for _, a in flat])
        it = iter(Choice(label, tok) for (label, _), tok in zip(flat, tokens))
        choices = [[next(it) for _ in row] for row in d.buttons]
    return Reply(d.text, choices, list(d.attachments))


def render(core, row: RowView, lang: str, now: datetime) -> Reply | Skip:
    d = draft(core, row, lang, now)
    if isinstance(d, Skip):
        return d
    return finish(core, d, row.member_id)


# ---------------------------------------------------------------------------------------------
# button ops of notices


def op_checkin_btn(dlg, ctx, a: dict) -> list[Reply]:
    from bot.booking import AlreadyCheckedIn, CheckedIn, NothingToCheckIn, TooEarlyToCheckIn

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
    return [dlg.explain(ctx, o, {"space": a.get("space")})]


def op_nudge_no(dlg, ctx, a: dict) -> list[Reply]:
    return [Reply(nt(ctx.lang, "nudge_no_reply"))]


def register() -> None:
    from bot.dialogue import Dialogue

    Dialogue.op_handlers.setdefault("checkin_btn", op_checkin_btn)
    Dialogue.op_handlers.setdefault("nudge_no", op_nudge_no)
