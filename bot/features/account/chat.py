"""Account basics: /start and invite codes, help, language, and the answer to what is not understood."""

from __future__ import annotations

import re

from bot.domain import Reply
from bot.features.booking.chat import do_checkin, region_facts
from bot.features.booking.replies import remaining_text
from bot.i18n import t
from bot.members import CodeRefused
from bot.router import Ctx, Router


def router() -> Router:
    """/start, codes, /hilfe, /sprache and the fallbacks."""
    return Router(
        "account",
        intents={"help": on_help, "unknown": on_unknown, "language": on_language, "start": on_start,
                 "thanks": on_thanks, "smalltalk": on_smalltalk},
        buttons={"lang": op_lang, "keep": op_keep, "switch_employer": op_switch_employer},
    )


# "Wie bezahle ich?", "how does payment work?", "can I pay by card?": how paying works, with the region's prices
_PAYMENT = re.compile(r"\b(?:bezahl\w*|zahl(?:e|st|t|en|ung\w*)|payments?|pay|paying|paid|karte|kreditkarte|ec-?karte|card"
                      r"|rechnung\w*|invoice\w*|cash|bargeld|paypal|überweis\w*|ueberweis\w*)\b", re.IGNORECASE)


def payment_reply(dlg, ctx: Ctx) -> list[Reply] | None:
    if not _PAYMENT.search(ctx.msg.text or ""):
        return None
    key = "payment_employee" if ctx.member.employer_ids("employee") else "payment_self"
    prices = region_facts(dlg, ctx, "price", ctx.now.date())[0].text
    return [Reply(t(ctx.lang, key) + "\n" + prices)]


def on_help(dlg, ctx: Ctx) -> list[Reply]:
    """What the bot can do, with a paragraph for each of the member's roles (how paying works, when asked)."""
    paying = payment_reply(dlg, ctx)
    if paying is not None:
        return paying
    lines = [t(ctx.lang, "help"), t(ctx.lang, "help_more")]
    for router in dlg.routes.routers:  # each feature adds the paragraph of the roles it serves
        for kind, key in router.help_keys.items():
            if ctx.member.has(kind):
                lines.append(t(ctx.lang, key))
    return [Reply("\n".join(lines))]  # no blank lines: a new member's welcome and this stay within 12 lines


def on_unknown(dlg, ctx: Ctx) -> list[Reply]:
    """Not understood: an example to copy (small talk without a day or place gets a friendly word instead)."""
    paying = payment_reply(dlg, ctx)
    if paying is not None:
        return paying
    if ctx.intent is not None and ctx.intent.topic == "smalltalk":
        return on_smalltalk(dlg, ctx)
    from bot.dialogue import NO, YES, answer_words

    if answer_words(ctx.msg.text or "") in YES | NO:
        return [Reply(t(ctx.lang, "no_question_open"))]  # "ja" when nothing is asked: say so, not "nicht verstanden"
    return [Reply(t(ctx.lang, "unknown"))]


def on_language(dlg, ctx: Ctx) -> list[Reply]:
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
        return [Reply("Sprache / language?", dlg.choices(ctx, [("Deutsch", {"op": "lang", "lang": "de"}),
                                                                  ("English", {"op": "lang", "lang": "en"})]))]
    return _set_lang(dlg, ctx, wanted)


def _set_lang(dlg, ctx: Ctx, lang: str) -> list[Reply]:
    dlg.members.set_lang(ctx.member.id, lang)
    dlg.members.set_pref(ctx.member.id, "lang_chosen", True)  # chosen: no longer followed from the messages
    ctx.lang = lang
    return [Reply(t(lang, "lang_set"))]


def on_start(dlg, ctx: Ctx) -> list[Reply]:
    """/start: welcome, or a deep link (invite code, check-in QR code)."""
    args = ctx.intent.args if ctx.intent else []
    payload = args[0] if args else ""
    if payload.lower().startswith("checkin-"):
        return do_checkin(dlg, ctx, payload.split("-", 1)[1].lower())
    if payload:
        return redeem_code(dlg, ctx, payload)
    if ctx.msg.is_group:
        return [Reply(t(ctx.lang, "group_hello"))]
    return [Reply(t(ctx.lang, "welcome", name=ctx.member.display_name) + "\n\n" + t(ctx.lang, "help"))]


def redeem_code(dlg, ctx: Ctx, code: str) -> list[Reply]:
    """Use an invite code. Switching to another employer with bookings the old one pays asks first what becomes
    of them: kept and paid by the member, or cancelled."""
    from bot.features.account.service import employer_switch

    switch = employer_switch(dlg.core, ctx.member.id, code, ctx.member.employer_ids("employee"), ctx.now.date())
    if switch is not None:
        old_id, old_name, ids = switch
        opts = [(t(ctx.lang, "btn_switch_self"), {"op": "switch_employer", "code": code, "mode": "self", "old": old_id}),
                (t(ctx.lang, "btn_switch_cancel"), {"op": "switch_employer", "code": code, "mode": "cancel", "old": old_id}),
                (t(ctx.lang, "btn_keep"), {"op": "keep"})]
        return [Reply(t.n(ctx.lang, "switch_employer_ask", len(ids), employer=old_name), dlg.choices(ctx, opts, per_row=1))]
    return _redeem(dlg, ctx, code)


def op_switch_employer(dlg, ctx: Ctx, a: dict) -> list[Reply]:
    """The answer to the switch question: the old employer's future days move (self-paid or cancelled), then the
    new code is redeemed — in the same unit of work, so either all of it happens or nothing."""
    from bot.features.account.service import employer_paid_ahead

    old = int(a["old"])
    today = ctx.now.date()
    if a.get("mode") == "cancel":
        with dlg.core.db.session() as s:
            ids = [bid for bid, _seat in employer_paid_ahead(s, ctx.member.id, old, today)]
        res = dlg.booking.cancel(ctx.member.id, booking_ids=ids) if ids else None
        note = t.n(ctx.lang, "switch_cancelled", len({(b.day, b.space.slug) for b in res.cancelled}) if res else 0)
    else:
        with dlg.core.db.session() as s:
            moved, _ = dlg.booking.move_to_self_paid(s, ctx.member.id, old, today, ctx.now)
        note = t.n(ctx.lang, "switch_self_paid", len([b for b in moved if b.seat == 0]))
    replies = _redeem(dlg, ctx, a["code"])
    replies[0].text = note + "\n" + replies[0].text
    return replies


def _redeem(dlg, ctx: Ctx, code: str) -> list[Reply]:
    res = dlg.members.redeem(ctx.member.id, code, transport=ctx.msg.transport, chat_id=ctx.msg.chat_id,
                              is_group=ctx.msg.is_group)
    if isinstance(res, CodeRefused):
        return [Reply(t(ctx.lang, f"code_{res.reason}", code=code))]
    if res.already:
        return [Reply(t(ctx.lang, "code_already"))]
    text = t(ctx.lang, f"code_ok_{res.kind}", employer=res.employer_name or "", space=res.space_name or "",
             region=res.region_name or "")
    replies = [Reply(text)]
    if res.kind == "employee":
        rem = dlg.booking.remaining(ctx.member.id)
        if rem is not None:
            replies[0].text += "\n" + remaining_text(ctx.lang, rem)
    return replies


def op_lang(dlg, ctx: Ctx, a: dict) -> list[Reply]:
    return _set_lang(dlg, ctx, a["lang"])


def op_keep(dlg, ctx: Ctx, a: dict) -> list[Reply]:
    return [Reply(t(ctx.lang, "kept"))]


def on_thanks(dlg, ctx: Ctx) -> list[Reply]:
    """"danke": you're welcome."""
    return [Reply(t(ctx.lang, "thanks"))]


def on_smalltalk(dlg, ctx: Ctx) -> list[Reply]:
    """Small talk that names a town or a day (weather, shops, football): a friendly word, never a booking."""
    return [Reply(t(ctx.lang, "smalltalk"))]
