"""The conversation: one incoming message (or button press) in, the replies out.

Transport-independent: Telegram, Matrix and the terminal all call `Dialogue.handle`. The text is
understood by `bot.intents.parse`; the rules live in `bot.booking`; this module only decides what
to ask and how to say it. Buttons are tokens issued by `Members.issue` (bound to the member,
single use), so a pressed button cannot act for someone else or twice.

Features beyond the core (employer/operator views, settings, privacy...) register themselves with
`Dialogue.intent_handlers` / `Dialogue.op_handlers` (see `bot/features/`).
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from bot import i18n
from bot.app import Core
from bot.booking import (
    AlreadyBooked,
    AlreadyCheckedIn,
    Booked,
    BookingInfo,
    CheckedIn,
    Closed,
    Full,
    InPast,
    NoContingent,
    NothingToCheckIn,
    OutsideHours,
    TooEarlyToCheckIn,
    TooFarAhead,
    UnknownSpace,
    Waitlisted,
    fmt_min,
)
from bot.domain import Attachment, Choice, IncomingMessage, Intent, Reply
from bot.i18n import fmt_day, fmt_days, fmt_eur, t
from bot.members import CodeRefused, MemberView
from bot.storage.models import Booking, Space

log = logging.getLogger(__name__)

WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(slots=True)
class Ctx:
    msg: IncomingMessage
    member: MemberView
    lang: str
    now: datetime
    intent: Intent | None = None


Handler = Callable[["Dialogue", Ctx], list[Reply]]
OpHandler = Callable[["Dialogue", Ctx, dict], list[Reply]]


class Dialogue:
    """Turns messages into replies. Thread-safe: every call opens its own units of work."""

    intent_handlers: dict[str, Handler] = {}  # intent name -> handler (overrides the built-in ones)
    op_handlers: dict[str, OpHandler] = {}  # button op -> handler
    command_handlers: dict[str, Handler] = {}  # "/link" -> handler, for feature commands the parser does not know
    observers: list[Callable[[IncomingMessage, str, float], None]] = []  # (message, intent, seconds) e.g. metrics

    def __init__(self, core: Core) -> None:
        self.core = core
        self.booking = core.booking
        self.members = core.members
        from bot import features  # noqa: F401  (registers feature handlers)

    # ------------------------------------------------------------------ entry point
    def handle(self, msg: IncomingMessage) -> list[Reply]:
        """Answer one message. Never raises: a failure becomes a friendly apology, nothing half-done."""
        started = time.perf_counter()
        ctx_box: list[Ctx] = []
        try:
            return self._handle(msg, ctx_box)
        except Exception:
            log.exception("failed to handle message from %s:%s", msg.transport, msg.user_id)
            lang = ctx_box[0].lang if ctx_box else ("en" if (msg.lang_hint or "").startswith("en") else "de")
            return [Reply(t(lang, "error"))]
        finally:
            intent = "error"
            if ctx_box:
                intent = "button" if msg.callback else (ctx_box[0].intent.intent if ctx_box[0].intent else "other")
            for obs in self.observers:
                try:
                    obs(msg, intent, time.perf_counter() - started)
                except Exception:  # an observer must never break a conversation
                    log.exception("observer failed")

    def _handle(self, msg: IncomingMessage, ctx_box: list[Ctx]) -> list[Reply]:
        if msg.is_group and not msg.addressed and not msg.callback:
            return []
        member = self.members.resolve(msg.transport, msg.user_id, msg.chat_id, msg.display_name, msg.lang_hint,
                                      is_group=msg.is_group)
        ctx = Ctx(msg, member, member.lang, self.core.clock.now())
        ctx_box.append(ctx)
        limit = self.core.settings.max_message_length
        if len(msg.text) > limit:
            return [Reply(t(ctx.lang, "too_long", n=len(msg.text), max=limit))]
        throttle = getattr(self, "throttle", None)
        if throttle is not None and not throttle(ctx):
            return [Reply(t(ctx.lang, "slow_down"))]
        if msg.callback:
            return self._on_button(ctx, msg.callback)
        from bot.intents import parse

        command = msg.text.strip().split(maxsplit=1)[0].split("@", 1)[0].lower() if msg.text.strip().startswith("/") else ""
        if command in self.command_handlers:
            ctx.intent = Intent(intent=command.lstrip("/"), args=msg.text.strip().split()[1:], lang=ctx.lang)
            return self.command_handlers[command](self, ctx)
        words = msg.text.split()
        if len(words) == 1 and not words[0].startswith("/") and self.members.is_code(words[0]):
            # an invite code sent as a message (e.g. "OP-OLFEN", which would otherwise read as a town)
            ctx.intent = Intent(intent="start", args=[words[0]], lang=ctx.lang)
            return self.redeem_code(ctx, words[0])
        intent = parse(msg.text, ctx.now, self.core.space_refs())
        ctx.intent = intent
        if member.is_new and intent.intent not in ("start", "language") and intent.lang != member.lang and msg.lang_hint is None:
            self.members.set_lang(member.id, intent.lang)
            ctx.lang = intent.lang
        handler = self.intent_handlers.get(intent.intent) or BUILTIN_INTENTS.get(intent.intent) or Dialogue.on_unknown
        replies = handler(self, ctx)
        if member.is_new and intent.intent != "start":
            replies.insert(0, Reply(t(ctx.lang, "welcome", name=member.display_name)))
        return replies

    # ------------------------------------------------------------------ buttons
    def choices(self, ctx: Ctx, options: list[tuple[str, dict]], per_row: int = 2) -> list[list[Choice]]:
        """Issue one token per option; all options of one message spend together."""
        if not options:
            return []
        group = secrets.token_hex(4)
        tokens = self.members.issue_many(ctx.member.id, [dict(a, group=group) for _, a in options])
        buttons = [Choice(label, tok) for (label, _), tok in zip(options, tokens)]
        return [buttons[i:i + per_row] for i in range(0, len(buttons), per_row)]

    def _on_button(self, ctx: Ctx, data: str) -> list[Reply]:
        action = self.members.redeem_token(ctx.member.id, data)
        if isinstance(action, str):
            return [Reply(t(ctx.lang, f"token_{action}"))]
        op = action.get("op", "")
        handler = self.op_handlers.get(op) or BUILTIN_OPS.get(op)
        if handler is None:
            return [Reply(t(ctx.lang, "token_unknown"))]
        replies = handler(self, ctx, action)
        if replies:
            replies[0].edit = True
        return replies

    # ------------------------------------------------------------------ intents
    def on_help(self, ctx: Ctx) -> list[Reply]:
        lines = [t(ctx.lang, "help"), t(ctx.lang, "help_more")]
        for kind in ("employer_admin", "operator", "platform_admin"):
            if ctx.member.has(kind):
                lines.append(t(ctx.lang, f"help_{kind}"))
        return [Reply("\n\n".join(lines))]

    def on_unknown(self, ctx: Ctx) -> list[Reply]:
        return [Reply(t(ctx.lang, "unknown"))]

    def on_language(self, ctx: Ctx) -> list[Reply]:
        it = ctx.intent
        wanted = None
        for a in (it.args if it else []):
            a = a.lower()
            if a in ("de", "deutsch", "german"):
                wanted = "de"
            elif a in ("en", "english", "englisch"):
                wanted = "en"
        if wanted is None and it is not None and it.lang in ("de", "en") and not it.args:
            wanted = it.lang if it.lang != ctx.lang else None
        if wanted is None:
            return [Reply("Sprache / language?", self.choices(ctx, [("Deutsch", {"op": "lang", "lang": "de"}),
                                                                      ("English", {"op": "lang", "lang": "en"})]))]
        return self._set_lang(ctx, wanted)

    def _set_lang(self, ctx: Ctx, lang: str) -> list[Reply]:
        self.members.set_lang(ctx.member.id, lang)
        ctx.lang = lang
        return [Reply(t(lang, "lang_set"))]

    def on_start(self, ctx: Ctx) -> list[Reply]:
        args = ctx.intent.args if ctx.intent else []
        payload = args[0] if args else ""
        if payload.lower().startswith("checkin-"):
            return self.do_checkin(ctx, payload.split("-", 1)[1].lower())
        if payload:
            return self.redeem_code(ctx, payload)
        if ctx.msg.is_group:
            return [Reply(t(ctx.lang, "group_hello"))]
        return [Reply(t(ctx.lang, "welcome", name=ctx.member.display_name)), Reply(t(ctx.lang, "help"))]

    def redeem_code(self, ctx: Ctx, code: str) -> list[Reply]:
        res = self.members.redeem(ctx.member.id, code, transport=ctx.msg.transport, chat_id=ctx.msg.chat_id,
                                  is_group=ctx.msg.is_group)
        if isinstance(res, CodeRefused):
            return [Reply(t(ctx.lang, f"code_{res.reason}", code=code))]
        if res.already:
            return [Reply(t(ctx.lang, "code_already"))]
        text = t(ctx.lang, f"code_ok_{res.kind}", employer=res.employer_name or "", space=res.space_name or "")
        replies = [Reply(text)]
        if res.kind == "employee":
            rem = self.booking.remaining(ctx.member.id)
            if rem is not None:
                replies[0].text += "\n" + self.remaining_text(ctx.lang, rem)
        return replies

    # --- booking -----------------------------------------------------------------------
    def on_book(self, ctx: Ctx) -> list[Reply]:
        it = ctx.intent
        assert it is not None
        if it.date_text_unreadable and not it.dates:
            return [Reply(t(ctx.lang, "date_unreadable"))]
        if it.space is None and it.space_text:
            return self.ask_space_guess(ctx, it)
        request = {"op": "book", "space": it.space, "dates": [d.isoformat() for d in it.dates], "part": it.part,
                   "start": it.start, "end": it.end, "desks": it.desks}
        if not it.dates:
            if it.space is None:
                return self.quick_book(ctx, request)
            return self.ask_date(ctx, request)
        if it.space is None:
            return self.ask_space(ctx, request)
        return self.do_book(ctx, request)

    def ask_space_guess(self, ctx: Ctx, it: Intent) -> list[Reply]:
        request = {"op": "book", "dates": [d.isoformat() for d in it.dates], "part": it.part, "start": it.start,
                   "end": it.end, "desks": it.desks}
        if it.intent == "availability":
            request["op"] = "avail"
        names = {r.slug: r for r in self.core.space_refs()}
        if it.space_guess:
            opts = [(names[g].town if g in names else g, dict(request, space=g)) for g in it.space_guess if g in names]
            return [Reply(t(ctx.lang, "did_you_mean", text=it.space_text), self.choices(ctx, opts, per_row=3))]
        towns = ", ".join(r.town for r in names.values())
        return [Reply(t(ctx.lang, "no_such_space", text=it.space_text, towns=towns))]

    def recent_spaces(self, member_id: int, limit: int = 3) -> list[str]:
        with self.core.db.session() as s:
            rows = s.execute(select(Space.slug, Booking.id).join(Space, Space.id == Booking.space_id)
                             .where(Booking.member_id == member_id).order_by(Booking.id.desc()).limit(50)).all()
        seen: list[str] = []
        for slug, _ in rows:
            if slug not in seen:
                seen.append(slug)
        return seen[:limit]

    def ask_space(self, ctx: Ctx, request: dict) -> list[Reply]:
        refs = {r.slug: r for r in self.core.space_refs()}
        recent = [s for s in self.recent_spaces(ctx.member.id) if s in refs]
        order = recent + [s for s in refs if s not in recent]
        opts = [(("⭐ " if s in recent else "") + refs[s].town, dict(request, space=s)) for s in order]
        days = ", ".join(fmt_day(date.fromisoformat(d), ctx.lang) for d in request["dates"][:5])
        if len(request["dates"]) > 5:
            days += " …"
        return [Reply(t(ctx.lang, "ask_space", days=days), self.choices(ctx, opts, per_row=3))]

    def next_open_days(self, slug: str | None, n: int = 5) -> list[date]:
        day = self.core.clock.today()
        out: list[date] = []
        for i in range(0, 21):
            d = day + timedelta(days=i)
            if d.weekday() < 5 and not self._is_holiday(d):
                if i == 0 and self.core.clock.now().hour >= 16:
                    continue
                out.append(d)
            if len(out) == n:
                break
        return out

    def _is_holiday(self, d: date) -> bool:
        from bot.booking import holiday_name

        return holiday_name("NW", d) is not None

    def quick_book(self, ctx: Ctx, request: dict) -> list[Reply]:
        """Neither day nor place named: one-tap buttons for the usual spaces x the next working days."""
        refs = {r.slug: r for r in self.core.space_refs()}
        recent = [s for s in self.recent_spaces(ctx.member.id, limit=2) if s in refs]
        if not recent:
            return self.ask_date(ctx, request)
        days = self.next_open_days(None, n=3)
        opts = [(f"{fmt_day(d, ctx.lang)} {refs[slug].town}", dict(request, space=slug, dates=[d.isoformat()]))
                for slug in recent for d in days]
        return [Reply(t(ctx.lang, "ask_when_where"), self.choices(ctx, opts, per_row=len(days)))]

    def ask_date(self, ctx: Ctx, request: dict) -> list[Reply]:
        days = self.next_open_days(request.get("space"))
        opts = [(fmt_day(d, ctx.lang), dict(request, dates=[d.isoformat()])) for d in days]
        refs = {r.slug: r for r in self.core.space_refs()}
        if request.get("space"):
            text = t(ctx.lang, "ask_date", space=refs[request["space"]].name)
        elif ctx.intent is not None and ctx.intent.date_text_unreadable:
            text = t(ctx.lang, "date_unreadable")
        else:
            text = t(ctx.lang, "ask_when")
        return [Reply(text, self.choices(ctx, opts, per_row=3))]

    def do_book(self, ctx: Ctx, request: dict) -> list[Reply]:
        days = [date.fromisoformat(d) for d in request["dates"]]
        if request.get("space") is None:
            return self.ask_space(ctx, request)
        outcomes = self.booking.book(ctx.member.id, request["space"], days, part=request.get("part"),
                                     start=request.get("start"), end=request.get("end"), desks=int(request.get("desks") or 1),
                                     pay_self=bool(request.get("pay_self")))
        booked = [o for o in outcomes if isinstance(o, Booked)]
        failed = [o for o in outcomes if not isinstance(o, Booked)]
        replies: list[Reply] = []
        if booked:
            replies.append(self.confirmation(ctx, booked))
        for o in failed:
            replies.append(self.explain(ctx, o, request))
        if len(replies) > 3:  # many failures (e.g. holidays in a recurrence): say them in one message
            head, rest = replies[:1], replies[1:]
            merged = Reply(t(ctx.lang, "summary_failed") + "\n" + "\n".join("• " + r.text for r in rest),
                           [row for r in rest for row in r.choices][:4])
            replies = head + [merged]
        return replies

    def part_text(self, lang: str, b: BookingInfo) -> str:
        if b.part == "hours":
            return f", {b.start}–{b.end}"
        if b.part == "full":
            return ""
        return ", " + i18n.PART[lang][b.part]

    def confirmation(self, ctx: Ctx, booked: list[Booked]) -> Reply:
        lang = ctx.lang
        first = booked[0].booking
        opening = first.opening or (first.start_min, first.end_min)
        if len(booked) == 1:
            bs = booked[0].bookings
            if len(bs) == 1:
                text = t(lang, "booked", space=first.space.name, day=fmt_day(first.day, lang), part=self.part_text(lang, first),
                         desk=first.desk_label, address=first.space.address, open=fmt_min(opening[0]), close=fmt_min(opening[1]))
            else:
                text = t(lang, "booked_team", space=first.space.name, day=fmt_day(first.day, lang), part=self.part_text(lang, first),
                         n=len(bs), desks=", ".join(b.desk_label or "" for b in bs), address=first.space.address,
                         open=fmt_min(opening[0]), close=fmt_min(opening[1]))
        else:
            lines = [t(lang, "booked_many_head", space=first.space.name, address=first.space.address)]
            for o in booked:
                b = o.booking
                desks = ", ".join(x.desk_label or "" for x in o.bookings)
                lines.append(t(lang, "booked_line", day=fmt_day(b.day, lang), part=self.part_text(lang, b), desk=desks))
            text = "\n".join(lines)
        rem = booked[-1].remaining
        if first.payer == "employer" and rem is not None:
            text += "\n" + self.remaining_text(lang, rem)
        elif first.payer == "self":
            text += "\n" + t(lang, "pays_self", price=fmt_eur(first.space.day_price_cents, lang))
        ids = [b.id for o in booked for b in o.bookings]
        buttons = self.choices(ctx, [(t(lang, "undo"), {"op": "undo", "ids": ids})])
        from bot.ics import booking_ics

        ics = booking_ics([b for o in booked for b in o.bookings if b.seat == 0], self.core.clock.tz, lang)
        return Reply(text, buttons, [Attachment("deskbot-buchung.ics" if lang == "de" else "deskbot-booking.ics",
                                                "text/calendar", ics)])

    def remaining_text(self, lang: str, rem) -> str:
        month = i18n.fmt_month(rem.month, lang)
        parts = []
        if rem.member_left is not None:
            parts.append(t(lang, "remaining_member", employer=rem.employer_name, month=month,
                           left=i18n.fmt_num(rem.member_left, lang), granted=i18n.fmt_num(rem.member_granted, lang)))
        if rem.pool_left is not None:
            parts.append(t(lang, "remaining_pool", employer=rem.employer_name, month=month,
                           left=i18n.fmt_num(rem.pool_left, lang), granted=i18n.fmt_num(rem.pool_granted, lang)))
        return "\n".join(parts)

    def explain(self, ctx: Ctx, o, request: dict) -> Reply:
        """Why a day could not be booked, and what to do instead."""
        lang = ctx.lang
        if isinstance(o, Full):
            day = fmt_day(o.day, lang)
            desks = int(request.get("desks") or 1)
            text = t(lang, "full_team", space=o.space.name, day=day, free=o.free, n=desks) if desks > 1 else \
                t(lang, "full", space=o.space.name, day=day)
            opts: list[tuple[str, dict]] = []
            alts = [a for a in self.booking.availability(o.day, part=request.get("part"), start=request.get("start"),
                                                          end=request.get("end"))
                    if a.free >= desks and a.space.slug != o.space.slug and not a.closed]
            if alts:
                text += "\n" + t(lang, "full_alternatives", day=day) + " " + ", ".join(f"{a.space.town} ({a.free})" for a in alts[:4])
                opts += [(t(lang, "book_button", space=a.space.town), dict(request, space=a.space.slug, dates=[o.day.isoformat()]))
                         for a in alts[:3]]
            if desks == 1:
                opts.append((t(lang, "waitlist_offer"), {"op": "waitlist", "space": o.space.slug, "date": o.day.isoformat(),
                                                          "part": request.get("part"), "start": request.get("start"),
                                                          "end": request.get("end")}))
            return Reply(text, self.choices(ctx, opts, per_row=2))
        if isinstance(o, Closed):
            day = fmt_day(o.day, lang)
            if o.reason == "holiday":
                text = t(lang, "closed_holiday", space=o.space.name, day=day, detail=o.detail)
            elif o.reason == "closure":
                text = t(lang, "closed_closure", space=o.space.name, day=day, detail=f" ({o.detail})" if o.detail else "")
            else:
                text = t(lang, "closed_weekday", space=o.space.name, day=day, hours=self.hours_text(o.space.slug, lang))
            return Reply(text)
        if isinstance(o, OutsideHours):
            return Reply(t(lang, "outside_hours", space=o.space.name, day=fmt_day(o.day, lang),
                           open=fmt_min(o.opening[0]), close=fmt_min(o.opening[1])))
        if isinstance(o, InPast):
            return Reply(t(lang, "in_past", day=fmt_day(o.day, lang)))
        if isinstance(o, TooFarAhead):
            return Reply(t(lang, "too_far", day=fmt_day(o.day, lang), last=fmt_day(o.last_day, lang)))
        if isinstance(o, NoContingent):
            space = self.booking.get_space(request["space"])
            price = fmt_eur(space.day_price_cents if space else 0, lang)
            left = o.remaining.effective_left if o.remaining else 0
            opts = [(t(lang, "pay_self_button", price=price), dict(request, dates=[o.day.isoformat()], pay_self=True))]
            return Reply(t(lang, "no_contingent", day=fmt_day(o.day, lang), left=fmt_days(left, lang), price=price),
                         self.choices(ctx, opts))
        if isinstance(o, AlreadyBooked):
            if o.existing is not None:
                return Reply(t(lang, "already_booked", day=fmt_day(o.day, lang), space=o.existing.space.name,
                               part=self.part_text(lang, o.existing)))
            return Reply(t(lang, "already_booked_plain", day=fmt_day(o.day, lang)))
        if isinstance(o, UnknownSpace):
            return Reply(t(lang, "unknown_space"))
        if isinstance(o, Waitlisted):
            return Reply(t(lang, "waitlisted", space=o.booking.space.name, day=fmt_day(o.booking.day, lang), pos=o.position))
        return Reply(t(lang, "error"))

    def hours_text(self, slug: str, lang: str) -> str:
        with self.core.db.session() as s:
            sp = s.scalar(select(Space).where(Space.slug == slug))
            hours = dict(sp.opening_hours or {}) if sp else {}
        names = i18n.WD_EN if lang == "en" else i18n.WD_DE
        parts = [f"{names[i]} {h[0]}–{h[1]}" for i, k in enumerate(WEEKDAY_KEYS) if (h := hours.get(k))]
        return ", ".join(parts)

    def op_waitlist(self, ctx: Ctx, a: dict) -> list[Reply]:
        o = self.booking.join_waitlist(ctx.member.id, a["space"], date.fromisoformat(a["date"]), part=a.get("part"),
                                       start=a.get("start"), end=a.get("end"))
        if isinstance(o, Booked):
            return [self.confirmation(ctx, [o])]
        return [self.explain(ctx, o, {"space": a["space"], "part": a.get("part")})]

    def on_waitlist(self, ctx: Ctx) -> list[Reply]:
        it = ctx.intent
        if it is None or it.space is None or not it.dates:
            return self.on_book(ctx)
        return self.op_waitlist(ctx, {"space": it.space, "date": it.dates[0].isoformat(), "part": it.part,
                                      "start": it.start, "end": it.end})

    # --- cancel --------------------------------------------------------------------------
    def on_cancel(self, ctx: Ctx) -> list[Reply]:
        it = ctx.intent
        assert it is not None
        all_future = "all" in it.args or "alle" in it.args
        if all_future:
            mine = self.booking.my_bookings(ctx.member.id)
            if not mine:
                return [Reply(t(ctx.lang, "nothing_to_cancel"))]
            opts = [(t(ctx.lang, "yes_cancel_all"), {"op": "cancel", "ids": [b.id for b in mine]}),
                    (t(ctx.lang, "no"), {"op": "keep"})]
            return [Reply(t(ctx.lang, "cancel_all_confirm", n=len(mine)), self.choices(ctx, opts))]
        if not it.dates and not it.space:
            return self.cancel_menu(ctx)
        res = self.booking.cancel(ctx.member.id, days=it.dates or None, space_slug=it.space)
        if not res.cancelled:
            replies = [Reply(t(ctx.lang, "nothing_to_cancel"))]
            menu = self.cancel_menu(ctx)
            if menu and menu[0].choices:
                replies.append(menu[0])
            return replies
        return [self.cancelled_reply(ctx, res)]

    def cancel_menu(self, ctx: Ctx) -> list[Reply]:
        mine = [b for b in self.booking.my_bookings(ctx.member.id) if b.seat == 0]
        if not mine:
            return [Reply(t(ctx.lang, "list_empty"))]
        opts = [(t(ctx.lang, "cancel_button", day=fmt_day(b.day, ctx.lang), space=b.space.town),
                 {"op": "cancel", "ids": self._group_ids(b)}) for b in mine[:12]]
        return [Reply(t(ctx.lang, "choose_cancel"), self.choices(ctx, opts, per_row=1))]

    def _group_ids(self, b: BookingInfo) -> list[int]:
        if not b.group_ref:
            return [b.id]
        with self.core.db.session() as s:
            return list(s.scalars(select(Booking.id).where(Booking.group_ref == b.group_ref, Booking.day == b.day)))

    def cancelled_reply(self, ctx: Ctx, res) -> Reply:
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
            with self.core.db.session() as s:
                hours = s.scalar(select(Space.cancel_cutoff_hours).where(Space.slug == res.not_refunded[0].space.slug))
            text += "\n" + t(lang, "cancelled_late", items=late, hours=hours)
        return Reply(text)

    def op_cancel(self, ctx: Ctx, a: dict) -> list[Reply]:
        res = self.booking.cancel(ctx.member.id, booking_ids=[int(i) for i in a["ids"]])
        if not res.cancelled:
            return [Reply(t(ctx.lang, "nothing_to_cancel"))]
        return [self.cancelled_reply(ctx, res)]

    def op_undo(self, ctx: Ctx, a: dict) -> list[Reply]:
        res = self.booking.undo(ctx.member.id, [int(i) for i in a["ids"]])
        if not res.cancelled:
            return [Reply(t(ctx.lang, "nothing_to_cancel"))]
        return [Reply(t(ctx.lang, "undone"))]

    # --- list, availability, check-in, contingent ----------------------------------------------
    def on_list(self, ctx: Ctx) -> list[Reply]:
        mine = self.booking.my_bookings(ctx.member.id)
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
            lines.append(t(lang, key, day=fmt_day(b.day, lang), part=self.part_text(lang, b), space=b.space.name,
                           desk=", ".join(x.desk_label or "" for x in bs)))
        opts = [(t(lang, "cancel_button", day=fmt_day(bs[0].day, lang), space=bs[0].space.town), {"op": "cancel", "ids": [x.id for x in bs]})
                for bs in groups.values() if bs[0].status in ("confirmed", "waitlisted")][:12]
        return [Reply("\n".join(lines), self.choices(ctx, opts, per_row=1))]

    def on_availability(self, ctx: Ctx) -> list[Reply]:
        it = ctx.intent
        assert it is not None
        if it.space is None and it.space_text:
            return self.ask_space_guess(ctx, it)
        day = it.dates[0] if it.dates else self.core.clock.today()
        return self.availability_reply(ctx, day, it.space, it.part, it.start, it.end)

    def availability_reply(self, ctx, day, space, part, start, end) -> list[Reply]:
        lang = ctx.lang
        avail = self.booking.availability(day, space, part=part, start=start, end=end)
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
        recent = self.recent_spaces(ctx.member.id)
        free.sort(key=lambda a: (a.space.slug not in recent, -a.free))
        opts = [(t(lang, "book_button", space=a.space.town), dict(request, space=a.space.slug)) for a in free[:4]]
        return [Reply("\n".join(lines), self.choices(ctx, opts, per_row=2))]

    def op_avail(self, ctx: Ctx, a: dict) -> list[Reply]:
        day = date.fromisoformat(a["dates"][0]) if a.get("dates") else self.core.clock.today()
        return self.availability_reply(ctx, day, a.get("space"), a.get("part"), a.get("start"), a.get("end"))

    def on_checkin(self, ctx: Ctx) -> list[Reply]:
        return self.do_checkin(ctx, ctx.intent.space if ctx.intent else None)

    def do_checkin(self, ctx: Ctx, slug: str | None) -> list[Reply]:
        lang = ctx.lang
        o = self.booking.check_in(ctx.member.id, slug)
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
        return [self.explain(ctx, o, {"space": slug})]

    def on_contingent(self, ctx: Ctx) -> list[Reply]:
        rem = self.booking.remaining(ctx.member.id)
        if rem is None:
            return [Reply(t(ctx.lang, "no_employer"))]
        return [Reply(self.remaining_text(ctx.lang, rem))]

    def op_book(self, ctx: Ctx, a: dict) -> list[Reply]:
        return self.do_book(ctx, a)

    def op_keep(self, ctx: Ctx, a: dict) -> list[Reply]:
        return [Reply(t(ctx.lang, "kept"))]

    def op_lang(self, ctx: Ctx, a: dict) -> list[Reply]:
        return self._set_lang(ctx, a["lang"])


BUILTIN_INTENTS: dict[str, Handler] = {
    "help": Dialogue.on_help,
    "unknown": Dialogue.on_unknown,
    "language": Dialogue.on_language,
    "start": Dialogue.on_start,
    "book": Dialogue.on_book,
    "waitlist": Dialogue.on_waitlist,
    "cancel": Dialogue.on_cancel,
    "list": Dialogue.on_list,
    "availability": Dialogue.on_availability,
    "checkin": Dialogue.on_checkin,
    "contingent": Dialogue.on_contingent,
}

BUILTIN_OPS: dict[str, OpHandler] = {
    "book": Dialogue.op_book,
    "undo": Dialogue.op_undo,
    "cancel": Dialogue.op_cancel,
    "keep": Dialogue.op_keep,
    "lang": Dialogue.op_lang,
    "waitlist": Dialogue.op_waitlist,
    "avail": Dialogue.op_avail,
}
