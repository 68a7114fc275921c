"""Operators in the chat: /ankuenfte (today's and tomorrow's arrivals, tick off check-ins and no-shows),
/belegung (occupancy), /schliessen (close a day: refunds and a notice to everyone booked), /qr (the
check-in code at the door). Only their own spaces (checked against the database).
"""

from __future__ import annotations

import io
import re
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from bot.authz import (
    Forbidden,
    booking_for_operator,
    grants,
    operated_spaces,
    require_space,
    space_bookings,
)
from bot.booking import fmt_min
from bot.domain import ACTIVE_STATUSES, Attachment, Reply, Status
from bot.features.staff import (
    _args,
    _name,
    _Pick,
    _pick_reply,
    audit,
    bot_username,
    refusal,
)
from bot.i18n import Table, fmt_day, fmt_holiday, translator
from bot.router import Ctx, Router
from bot.storage.models import (
    Booking,
    Desk,
    Member,
    Space,
    SpaceClosure,
)
from bot.storage.outbox import enqueue

if TYPE_CHECKING:  # pragma: no cover
    from bot.dialogue import Dialogue

TEXTS = Table("operator")  # texts: bot/locales/<lang>/LC_MESSAGES/deskbot.po


tr = translator("operator", "staff")


def router() -> Router:
    """Operators: /ankuenfte, /belegung, /schliessen, /qr."""
    from bot.features.operator import jobs, notices

    return Router(
        "operator",
        commands={"/ankuenfte": cmd_arrivals, "/ankünfte": cmd_arrivals, "/arrivals": cmd_arrivals,
                  "/belegung": cmd_occupancy, "/occupancy": cmd_occupancy,
                  "/schliessen": cmd_close, "/schließen": cmd_close, "/close": cmd_close, "/qr": cmd_qr},
        buttons={"arr_in": op_arr_in, "arr_noshow": op_arr_noshow, "close_day": op_close_day},
        preempts={"checkin": on_checkin, "who": on_who, "availability": on_availability,
                  "smalltalk": on_statement, "unknown": on_statement, "book": on_closing_words},
        notices=notices.DRAFTERS,
        jobs=jobs.JOBS,
        help_keys={"operator": "help_operator"},
    )


def _pick_spaces(s, g, args: list[str], cmd: str, *, single: bool = False) -> tuple[list[Space], list[str]]:
    """The spaces a command is about: named by slug as first argument, or the member's own."""
    if args and s.scalar(select(Space.id).where(Space.slug == args[0].lower())) is not None:
        return operated_spaces(s, g, args[0]), args[1:]
    spaces = operated_spaces(s, g)  # raises Forbidden for non-operators
    if g.operator_of:
        spaces = [sp for sp in spaces if sp.id in g.operator_of]
    elif len(spaces) > 1:  # a platform admin names the space
        raise _Pick([sp.slug for sp in spaces])
    if single and len(spaces) > 1:
        raise _Pick([sp.slug for sp in spaces])
    return spaces, args


def _arrival_lines(dlg: Dialogue, s, g, lang: str, spaces: list[Space], now: datetime):
    today, tomorrow = now.date(), now.date() + timedelta(days=1)
    rows = s.execute(
        space_bookings(g, [sp.id for sp in spaces], today, tomorrow)
        .where(Booking.status.in_(ACTIVE_STATUSES + (Status.NO_SHOW.value, Status.WAITLISTED.value)))
        .join(Member, Member.id == Booking.member_id).outerjoin(Desk, Desk.id == Booking.desk_id)
        .add_columns(Member, Desk.label).order_by(Booking.day, Booking.start_min, Booking.member_id, Booking.seat)
    ).all()
    lines: list[str] = []
    buttons: list[tuple[str, dict]] = []
    minute = now.hour * 60 + now.minute
    for sp in spaces:
        if lines:
            lines.append("")
        lines.append(tr(lang, "arrivals_head", space=sp.name))
        for day, key in ((today, "today"), (tomorrow, "tomorrow")):
            lines.append(tr(lang, key, day=fmt_day(day, lang)))
            groups: dict[tuple, list] = {}
            for b, m, label in rows:
                if b.space_id == sp.id and b.day == day:
                    groups.setdefault((b.member_id, b.group_ref or b.id, b.status == Status.WAITLISTED.value), []).append((b, m, label))
            if not groups:
                lines.append(tr(lang, "arrivals_none_day"))
            for items in groups.values():
                b, m, _ = items[0]
                name = _name(m, lang)
                time_s = f"{fmt_min(b.start_min)}–{fmt_min(b.end_min)}"
                if b.status == Status.WAITLISTED.value:
                    lines.append(tr(lang, "arr_wait", name=name, time=time_s))
                    continue
                desks = ", ".join(label or "?" for _, _, label in items)
                status = {Status.CHECKED_IN.value: "arr_in", Status.NO_SHOW.value: "arr_noshow"}.get(b.status, "arr_expected")
                lines.append(tr(lang, "arr_line", time=time_s, name=name, desk=desks, status=tr(lang, status)))
                if day == today and b.status == Status.CONFIRMED.value and b.seat == 0 and b.end_min > minute and len(buttons) < 16:
                    short = name[:18]
                    buttons.append((tr(lang, "btn_arrived", name=short), {"op": "arr_in", "booking_id": b.id}))
                    if minute >= b.start_min:
                        buttons.append((tr(lang, "btn_noshow", name=short), {"op": "arr_noshow", "booking_id": b.id}))
    if buttons:
        lines.append("")
        lines.append(tr(lang, "arrivals_buttons"))
    return lines, buttons


def arrivals_view(dlg: Dialogue, ctx: Ctx, args: list[str] | None = None, head: str | None = None,
                  space_ids: list[int] | None = None) -> list[Reply]:
    lang = ctx.lang
    cmd = "/arrivals" if lang == "en" else "/ankuenfte"
    try:
        with dlg.core.db.session() as s:
            g = grants(s, ctx.member.id)
            if space_ids is not None:
                for sid in space_ids:
                    require_space(g, sid)
                spaces = [s.get(Space, sid) for sid in space_ids]
            else:
                spaces, _ = _pick_spaces(s, g, list(args or []), cmd)
            lines, buttons = _arrival_lines(dlg, s, g, lang, spaces, ctx.now)
            ids = [sp.id for sp in spaces]
    except Forbidden as exc:
        return refusal(lang, exc)
    except _Pick as p:
        return _pick_reply(lang, cmd, p.slugs, "pick_space")
    if head:
        lines.insert(0, head)
    for _, action in buttons:
        action["spaces"] = ids
    return [Reply("\n".join(lines), dlg.choices(ctx, buttons, per_row=2))]


def _mark(dlg: Dialogue, ctx: Ctx, a: dict, noshow: bool) -> list[Reply]:
    lang = ctx.lang
    now = ctx.now
    minute = now.hour * 60 + now.minute
    try:
        with dlg.core.db.session() as s:
            g = grants(s, ctx.member.id)
            b = booking_for_operator(s, g, int(a["booking_id"]))
            m = s.get(Member, b.member_id)
            name = _name(m, lang)
            space = s.get(Space, b.space_id)
            if b.day != now.date():
                text = tr(lang, "mark_not_today")
            elif b.status == Status.CHECKED_IN.value and not noshow:
                text = tr(lang, "marked_already", name=name)
            elif b.status != Status.CONFIRMED.value:
                text = tr(lang, "mark_gone")
            elif not noshow:
                dlg.booking.mark_checked_in(s, b, space, now)
                audit(s, ctx.member.id, "manual_checkin", now, booking_id=b.id)
                text = tr(lang, "marked_in", name=name)
            elif minute < b.start_min:
                text = tr(lang, "mark_too_early", name=name, time=fmt_min(b.start_min))
            else:
                group = dlg.booking.mark_no_show(s, b, now, by_operator=True)
                audit(s, ctx.member.id, "manual_noshow", now, booking_ids=[x.id for x in group])
                text = tr(lang, "marked_noshow", name=name)
    except Forbidden as exc:
        return refusal(lang, exc)
    return arrivals_view(dlg, ctx, head=text + "\n", space_ids=a.get("spaces") or [b.space_id])


def op_arr_in(dlg: Dialogue, ctx: Ctx, a: dict) -> list[Reply]:
    return _mark(dlg, ctx, a, noshow=False)


def op_arr_noshow(dlg: Dialogue, ctx: Ctx, a: dict) -> list[Reply]:
    return _mark(dlg, ctx, a, noshow=True)


def cmd_arrivals(dlg: Dialogue, ctx: Ctx) -> list[Reply]:
    return arrivals_view(dlg, ctx, _args(ctx))


def cmd_occupancy(dlg: Dialogue, ctx: Ctx, week_of: date | None = None) -> list[Reply]:
    lang = ctx.lang
    cmd = "/occupancy" if lang == "en" else "/belegung"
    today = week_of or ctx.now.date()
    monday = today - timedelta(days=today.weekday())
    sunday = monday + timedelta(days=6)
    out: list[str] = []
    try:
        with dlg.core.db.session() as s:
            g = grants(s, ctx.member.id)
            spaces, _ = _pick_spaces(s, g, _args(ctx), cmd)
            busy = {}
            for sid, day, n in s.execute(
                space_bookings(g, [sp.id for sp in spaces], monday, sunday)
                .where(Booking.status.in_(ACTIVE_STATUSES))
                .with_only_columns(Booking.space_id, Booking.day, func.count(func.distinct(Booking.desk_id)))
                .group_by(Booking.space_id, Booking.day)
            ):
                busy[(sid, day)] = int(n)
            totals = dict(s.execute(select(Desk.space_id, func.count(Desk.id)).where(Desk.active).group_by(Desk.space_id)).all())
            for sp in spaces:
                total = int(totals.get(sp.id, 0))
                if out:
                    out.append("")
                out.append(tr(lang, "occ_head", space=sp.name, week=monday.isocalendar()[1]))
                used_sum = cap = 0
                for i in range(7):
                    day = monday + timedelta(days=i)
                    closed = dlg.booking.closed_reason(s, sp, day)
                    if closed:
                        if closed[0] != "weekday":
                            what = fmt_holiday(closed[1], day, lang) if closed[0] == "holiday" else closed[1]
                            detail = f" ({what})" if what else ""
                            out.append(tr(lang, "occ_closed", day=fmt_day(day, lang), detail=detail))
                        continue
                    used = busy.get((sp.id, day), 0)
                    used_sum += used
                    cap += total
                    bar = "▓" * used + "░" * max(0, total - used) if total <= 20 else ""
                    out.append(tr(lang, "occ_line", day=fmt_day(day, lang), used=used, total=total, bar=bar))
                if cap:
                    out.append(tr(lang, "occ_sum", pct=round(100 * used_sum / cap)))
    except Forbidden as exc:
        return refusal(lang, exc)
    except _Pick as p:
        return _pick_reply(lang, cmd, p.slugs, "pick_space")
    return [Reply("\n".join(out))]


_WEEKDAY_WORDS = {
    "montag": 0, "mo": 0, "monday": 0, "mon": 0, "dienstag": 1, "di": 1, "tuesday": 1, "tue": 1,
    "mittwoch": 2, "mi": 2, "wednesday": 2, "wed": 2, "donnerstag": 3, "do": 3, "thursday": 3, "thu": 3,
    "freitag": 4, "fr": 4, "friday": 4, "fri": 4, "samstag": 5, "sa": 5, "saturday": 5, "sat": 5,
    "sonntag": 6, "so": 6, "sunday": 6, "sun": 6,
}
_DM_RE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.?(\d{2}|\d{4})?$")


def parse_day(word: str, today: date) -> date | None:
    """A single day word: 2026-12-24, 24.12., 24.12.2026, heute/today, morgen/tomorrow, übermorgen, a weekday."""
    w = word.strip().lower().rstrip(",")
    if w in ("heute", "today"):
        return today
    if w in ("morgen", "tomorrow"):
        return today + timedelta(days=1)
    if w in ("übermorgen", "uebermorgen"):
        return today + timedelta(days=2)
    if w in _WEEKDAY_WORDS:
        return today + timedelta(days=(_WEEKDAY_WORDS[w] - today.weekday()) % 7)
    try:
        return date.fromisoformat(w)
    except ValueError:
        pass
    m = _DM_RE.match(w)
    if m:
        d, mo, y = int(m.group(1)), int(m.group(2)), m.group(3)
        year = (int(y) + 2000 if len(y) == 2 else int(y)) if y else today.year
        try:
            day = date(year, mo, d)
        except ValueError:
            return None
        if not y and day < today - timedelta(days=31):
            day = date(year + 1, mo, d)
        return day
    return None


def cmd_close(dlg: Dialogue, ctx: Ctx, day_given: date | None = None, reason_given: str = "") -> list[Reply]:
    """`/schliessen [space] <Tag> [Grund]` (or a typed "morgen ist bei uns geschlossen", with the day given): asks
    with a button before anything is closed."""
    lang = ctx.lang
    cmd = "/close" if lang == "en" else "/schliessen"
    today = ctx.now.date()
    try:
        with dlg.core.db.session() as s:
            g = grants(s, ctx.member.id)
            spaces, rest = _pick_spaces(s, g, _args(ctx), cmd, single=True)
            sp = spaces[0]
            if day_given is not None:
                day, reason = day_given, reason_given
            else:
                day = parse_day(rest[0], today) if rest else None
                if day is None:
                    return [Reply(tr(lang, "usage_close"))]
                reason = " ".join(rest[1:])[:200]
            if day < today:
                return [Reply(tr(lang, "close_past", day=fmt_day(day, lang)))]
            if s.scalar(select(SpaceClosure.id).where(SpaceClosure.space_id == sp.id, SpaceClosure.day == day)):
                return [Reply(tr(lang, "close_already", space=sp.name, day=fmt_day(day, lang)))]
            n = s.scalar(select(func.count(Booking.id)).where(
                Booking.space_id == sp.id, Booking.day == day,
                Booking.status.in_((Status.CONFIRMED.value, Status.WAITLISTED.value)))) or 0
            sp_id, sp_name = sp.id, sp.name
    except Forbidden as exc:
        return refusal(lang, exc)
    except _Pick as p:
        return _pick_reply(lang, cmd, p.slugs, "pick_space")
    d = fmt_day(day, lang)
    opts = [(tr(lang, "btn_close", day=d), {"op": "close_day", "space_id": sp_id, "day": day.isoformat(), "reason": reason}),
            (tr(lang, "btn_cancel"), {"op": "roles_keep"})]
    return [Reply(tr.n(lang, "close_confirm", n, space=sp_name, day=d, reason=f" ({reason})" if reason else ""),
                  dlg.choices(ctx, opts))]


def close_day(core, actor_id: int | None, space_id: int, day: date, reason: str, now: datetime,
              *, check: bool = True) -> tuple[str, int, int, int] | None:
    """Close a space for a day: a SpaceClosure row; confirmed and waitlisted bookings cancelled with full
    refund; one `space_closed` notice per person. Returns (space name, bookings, people, left checked in),
    or None when already closed."""
    with core.db.session() as s:
        if check:
            require_space(grants(s, actor_id), space_id)
        sp = s.get(Space, space_id)
        per_member = core.booking.close_day(s, space_id, day, reason, now)
        if per_member is None:
            return None
        langs = dict(s.execute(select(Member.id, Member.lang).where(Member.id.in_(list(per_member) or [0]))).all())
        for mid, ids in per_member.items():
            lang = langs.get(mid) if langs.get(mid) in TEXTS else "de"
            text = tr(lang, "notice_space_closed", space=sp.name, day=fmt_day(day, lang),
                      reason=f" ({reason})" if reason else "", date=f"{day.day}.{day.month}." if lang == "de" else day.isoformat())
            enqueue(s, "space_closed", f"closed:{space_id}:{day.isoformat()}:m{mid}", due_at=now, now=now, member_id=mid,
                    payload={"text": text, "space_id": space_id, "space": sp.name, "slug": sp.slug, "day": day.isoformat(),
                             "reason": reason, "booking_ids": ids, "refunded": True})
        checked_in = s.scalar(select(func.count(func.distinct(Booking.member_id))).where(
            Booking.space_id == space_id, Booking.day == day, Booking.status == Status.CHECKED_IN.value)) or 0
        audit(s, actor_id, "space_close", now, space_id=space_id, day=day.isoformat(), reason=reason,
              cancelled=sum(len(v) for v in per_member.values()))
        return sp.name, sum(len(v) for v in per_member.values()), len(per_member), int(checked_in)


def op_close_day(dlg: Dialogue, ctx: Ctx, a: dict) -> list[Reply]:
    lang = ctx.lang
    day = date.fromisoformat(a["day"])
    try:
        res = close_day(dlg.core, ctx.member.id, int(a["space_id"]), day, a.get("reason", ""), ctx.now)
    except Forbidden as exc:
        return refusal(lang, exc)
    d = fmt_day(day, lang)
    if res is None:
        with dlg.core.db.session() as s:
            name = s.get(Space, int(a["space_id"])).name
        return [Reply(tr(lang, "close_already", space=name, day=d))]
    name, n, m, checked = res
    text = tr(lang, "closed_done", space=name, day=d, bookings=tr.n(lang, "n_bookings", n), people=tr.n(lang, "n_people", m))
    if checked:
        text += "\n" + tr.n(lang, "closed_checked_in", checked)
    return [Reply(text)]


def checkin_link(settings, slug: str) -> str:
    return f"https://t.me/{bot_username(settings)}?start=checkin-{slug}"


def qr_png(link: str, scale: int = 8, caption: str | None = None) -> bytes:
    """The check-in QR code as PNG; with a caption (the space's name) printed under it, for the door."""
    import segno

    buf = io.BytesIO()
    segno.make(link, error="m").save(buf, kind="png", scale=scale, border=4)
    if not caption:
        return buf.getvalue()
    from matplotlib import font_manager
    from PIL import Image, ImageDraw, ImageFont

    qr = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    size = max(14, qr.width // 14)
    font = ImageFont.truetype(font_manager.findfont("DejaVu Sans"), size)
    draw = ImageDraw.Draw(qr)
    while draw.textlength(caption, font=font) > qr.width - 2 * scale and size > 8:
        size -= 1
        font = ImageFont.truetype(font_manager.findfont("DejaVu Sans"), size)
    band = int(size * 2.2)
    out = Image.new("RGB", (qr.width, qr.height + band), "white")
    out.paste(qr, (0, 0))
    text_w = ImageDraw.Draw(out).textlength(caption, font=font)
    ImageDraw.Draw(out).text(((qr.width - text_w) / 2, qr.height - scale * 2), caption, fill="black", font=font)
    png = io.BytesIO()
    out.save(png, format="PNG")
    return png.getvalue()


def cmd_qr(dlg: Dialogue, ctx: Ctx) -> list[Reply]:
    lang = ctx.lang
    try:
        with dlg.core.db.session() as s:
            g = grants(s, ctx.member.id)
            spaces, _ = _pick_spaces(s, g, _args(ctx), "/qr")
            items = [(sp.slug, sp.name) for sp in spaces[:5]]
    except Forbidden as exc:
        return refusal(lang, exc)
    except _Pick as p:
        return _pick_reply(lang, "/qr", p.slugs, "pick_space")
    if not getattr(dlg.core.settings, "telegram_bot_username", None):
        # a t.me link to a guessed name could open somebody else's bot
        return [Reply(tr(lang, "qr_no_username"))]
    replies = []
    for slug, name in items:
        link = checkin_link(dlg.core.settings, slug)
        replies.append(Reply(tr(lang, "qr_caption", space=name, link=link),
                             attachments=[Attachment(f"checkin-{slug}.png", "image/png", qr_png(link, caption=name))]))
    return replies


def _own_spaces_asked(dlg: Dialogue, ctx: Ctx) -> list[int] | None:
    """The operator's spaces a question is about: theirs when it names none of another space, else None (then
    it is a commuter's question, answered as for anyone). Members who also commute for an employer ask about
    their own day unless they name their space."""
    own = ctx.member.space_ids()
    it = ctx.intent
    if not own or it is None:
        return None
    if it.space is None:
        return None if ctx.member.employer_ids("employee") else sorted(own)
    with dlg.core.db.session() as s:
        sid = s.scalar(select(Space.id).where(Space.slug == it.space))
    return [sid] if sid in own else None


def on_who(dlg: Dialogue, ctx: Ctx) -> list[Reply] | None:
    """"Wer kommt morgen?" from an operator: the arrivals of their space (today and tomorrow), later days as the
    week's occupancy."""
    spaces = _own_spaces_asked(dlg, ctx)
    if spaces is None:
        return None
    dates = sorted(ctx.intent.dates)
    if dates and dates[-1] > ctx.now.date() + timedelta(days=1):
        return cmd_occupancy(dlg, ctx, week_of=dates[0])
    return arrivals_view(dlg, ctx, space_ids=spaces)


def on_availability(dlg: Dialogue, ctx: Ctx) -> list[Reply] | None:
    """"Wie voll ist es diese Woche?" from an operator about their own space: the week's occupancy (opening
    hours and prices stay the commuters' answer)."""
    if ctx.intent is None or ctx.intent.topic:
        return None
    spaces = _own_spaces_asked(dlg, ctx)
    if spaces is None:
        return None
    dates = sorted(ctx.intent.dates)
    ctx.intent.args = [ctx.intent.space] if ctx.intent.space else []
    return cmd_occupancy(dlg, ctx, week_of=dates[0] if dates else None)


def on_checkin(dlg: Dialogue, ctx: Ctx) -> list[Reply] | None:
    """An operator without a booking of their own today gets their arrivals to tick off."""
    if ctx.intent is None or ctx.intent.space is None:
        with dlg.core.db.session() as s:
            g = grants(s, ctx.member.id)
            own = s.scalar(select(Booking.id).where(Booking.member_id == ctx.member.id, Booking.day == ctx.now.date(),
                                                    Booking.status.in_(ACTIVE_STATUSES)).limit(1))
        if g.operator_of and own is None:
            return arrivals_view(dlg, ctx, head=tr(ctx.lang, "no_own_booking"),
                                 space_ids=sorted(g.operator_of))
    return None


# An operator's own words for closing a day ("Morgen ist bei uns geschlossen wegen Wasserschaden", "am 24.12. haben
# wir zu", "we're closed on Friday") and for the door code ("QR-Code bitte"). The parser reads them as small talk
# (a statement naming a day) or as not understood; for an operator they are these two commands.
_CLOSED = re.compile(
    r"\b(?:geschlossen|schlie(?:ß|ss?)(?:en|t)|zu\s*(?:machen|haben|bleiben)|zumachen|dicht\s*machen|betriebsferien"
    r"|(?:haben|hat|bleibt|bleiben|ist|sind|machen|macht)\s+(?:\S+\s+){0,4}?(?:zu|dicht)"
    r"(?=\s*(?:$|[.,!;:]|wegen|weil|aufgrund|because|due))|closed|closing|close\b(?!\s+to)|shut)",
    re.IGNORECASE)
_REASON = re.compile(r"\b(?:wegen|weil|aufgrund|due to|because of|because|for)\s+(.+)$", re.IGNORECASE)
_QR = re.compile(r"\bqr\b", re.IGNORECASE)


def on_statement(dlg: Dialogue, ctx: Ctx) -> list[Reply] | None:
    """Small talk or an unknown message from an operator: closing a day of their space (asked first, with a
    button) or the QR code; anything else falls through to the usual answer."""
    if not ctx.member.space_ids():
        return None
    text = ctx.msg.text or ""
    it = ctx.intent
    if _QR.search(text) and not (it is not None and it.dates):
        if it is not None:
            it.args = [it.space] if it.space else []
        return cmd_qr(dlg, ctx)
    if it is None or not it.dates or not _CLOSED.search(text):
        return None
    if it.space is not None and _own_spaces_asked(dlg, ctx) is None:
        return None  # about another space: not theirs to close (closing words are about their own, even if they commute)
    days = sorted(set(it.dates))
    if len(days) > 1:
        return [Reply(tr(ctx.lang, "close_one_day", first=f"{days[0]:%d.%m.}"))]  # as /schliessen reads it
    m = _REASON.search(text)
    reason = m.group(1).strip(" .!") if m else ""
    it.args = [it.space] if it.space else []
    return cmd_close(dlg, ctx, days[0], reason[:200])


def on_closing_words(dlg: Dialogue, ctx: Ctx) -> list[Reply] | None:
    """"Am 24.12. haben wir zu" reads as a booking without a place; from an operator, naming no other space, it is
    closing that day (asked first). A booking that names a place stays a booking."""
    it = ctx.intent
    if it is None or not _CLOSED.search(ctx.msg.text or "") or not ctx.member.space_ids():
        return None
    if it.space is not None and _own_spaces_asked(dlg, ctx) is None:
        return None
    return on_statement(dlg, ctx)

