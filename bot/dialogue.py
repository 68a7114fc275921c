"""The conversation: one incoming message (or button press) in, the replies out.

Transport-independent: Telegram, Matrix and the terminal all call `Dialogue.handle`. This module does
only what every message needs (see docs/architecture.md):

1. open the message's one unit of work (`Database.unit_of_work`): resolving the member, the change,
   its outbox rows and its button tokens commit together or not at all;
2. skip a redelivered update (`IncomingMessage.update_key`, recorded in `handled_updates` in the same
   transaction) and refuse edits of earlier messages;
3. resolve the member, apply the flood throttle and the length limit;
4. understand the text (`bot.intents.parse`) and dispatch it, or a pressed button, to the feature
   router that declared it (`bot.router`);
5. store the direct answers as outbox rows of kind "reply" (when the transport gave an update key), so a
   crash after the commit loses no reply: the transport marks them sent (`mark_sent`), the scheduler
   delivers whatever is left.

The features' routers are given by the composition root (`bot.features.default_routers()` by default);
nothing registers itself by being imported.
"""

from __future__ import annotations

import logging
import random
import re
import secrets
import time
import unicodedata
from collections.abc import Callable
from datetime import timedelta
from typing import ClassVar

from sqlalchemy import update
from sqlalchemy.exc import OperationalError

from bot.app import Core
from bot.domain import Choice, IncomingMessage, Intent, Reply
from bot.i18n import t
from bot.router import Ctx, Router, RouterConflict, Routes
from bot.storage.models import Outbox
from bot.throttle import FloodWindow

log = logging.getLogger(__name__)

__all__ = ["Ctx", "Dialogue", "clean_message"]

PENDING_TTL = timedelta(minutes=30)  # a question not answered within this is forgotten
CHANGE_OPS = frozenset({"book", "cancel", "undo", "waitlist", "cancel_ask", "rebook"})  # buttons that change bookings
def answer_words(text: str) -> str:
    """A typed answer as it is compared with the yes/no words and the options: lower case, single spaces."""
    return " ".join(text.lower().strip(" .!").split())


YES = frozenset({"ja", "jo", "jep", "jawohl", "genau", "klar", "ok", "okay", "yes", "yep", "yeah", "sure", "gerne", "bitte"})
NO = frozenset({"nein", "nee", "no", "nope", "lieber nicht", "abbrechen", "cancel"})
# "den zweiten", "the second one", "Nr. 2", "option 3", "die letzte": an offered option by its place
ORDINALS = {"erste": 1, "ersten": 1, "erstes": 1, "first": 1, "1st": 1, "zweite": 2, "zweiten": 2, "zweites": 2,
            "second": 2, "2nd": 2, "dritte": 3, "dritten": 3, "drittes": 3, "third": 3, "3rd": 3, "vierte": 4,
            "vierten": 4, "fourth": 4, "4th": 4, "fuenfte": 5, "fuenften": 5, "fifth": 5, "5th": 5}
LAST = frozenset({"letzte", "letzten", "letztes", "last"})
NUMBER_WORDS = frozenset({"nr", "nummer", "number", "no", "option", "punkt", "knopf", "button", "den", "die", "das",
                          "the", "one", "bitte", "please", "ich", "nehme", "nehm", "nimm", "take", "i", "ll", "ill"})
# accepting the one thing offered: "dann nehm ich den", "nimm das", "buch das", "passt", "I'll take it", "book it"
ACCEPT = frozenset({"nehm", "nehme", "nehmen", "nimm", "buch", "buche", "buchen", "mach", "machen", "passt",
                    "take", "book", "einverstanden"})
NEGATION = frozenset({"nicht", "kein", "keine", "keinen", "nie", "not", "dont", "don", "no", "never", "nein", "nee"})
# the other words an acceptance may have ("ok dann nehm ich den", "ja gerne, mach das bitte", "sure, I'll take it");
# a word outside these, ACCEPT and YES names something else ("QR-Code bitte"): not an acceptance of the offer
ACCEPT_FILLER = frozenset({"dann", "ich", "den", "die", "das", "dem", "der", "es", "ihn", "mal", "doch", "so", "auch",
                           "einfach", "gern", "gerne", "danke", "super", "prima", "perfekt", "gut", "top", "alles",
                           "klar", "ok", "okay", "na", "also", "schon", "mir", "uns", "wir", "nehmen", "machen",
                           "i", "ll", "ill", "it", "that", "this", "one", "the", "then", "please", "thanks",
                           "great", "perfect", "fine", "good", "alright", "cool", "go", "ahead", "do", "lets", "let",
                           "s", "me", "for", "we", "will", "would", "like", "to", "sounds", "oh", "ah"})
REPLY_LEASE = timedelta(seconds=120)  # a direct answer not marked sent by then is delivered by the scheduler
MAX_NAME = 200  # members.display_name


_SURROGATES = re.compile("[\ud800-\udfff]")  # in a str every one is lone (a pair is one code point)


def _clean_text(text: str) -> str:
    """NUL bytes and lone surrogates cannot be stored (PostgreSQL refuses NUL; UTF-8 has no surrogates)."""
    if not text:
        return text
    if "\x00" in text:
        text = text.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # (encode's "replace" would leave a "?" in their place: "S?ur", "?Dülmen")
        text = _SURROGATES.sub("", text)
    return text


def clean_message(msg: IncomingMessage) -> IncomingMessage:
    """The input boundary: texts and names the store can hold (names capped at the column length)."""
    text = _clean_text(msg.text)
    name = _clean_text(msg.display_name)
    name = unicodedata.normalize("NFC", name).strip()[:MAX_NAME]
    if text is msg.text and name == msg.display_name:
        return msg
    from dataclasses import replace

    return replace(msg, text=text, display_name=name)


def _retryable(exc: OperationalError) -> bool:
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return code in ("40P01", "40001")  # deadlock victim, serialization failure: nothing was written


class Dialogue:
    """Turns messages into replies. Thread-safe: every call is its own unit of work."""

    observers: ClassVar[list[Callable[[IncomingMessage, str, float], None]]] = []  # (message, intent, seconds)

    def __init__(self, core: Core, routers: list[Router] | None = None) -> None:
        from bot import intents
        from bot.features import default_routers

        self.core = core
        self.booking = core.booking
        self.members = core.members
        self.routes = Routes.merge(default_routers() if routers is None else routers)
        self.routes.check(intents=getattr(intents, "INTENTS", ()))
        from bot.notices import KIND_PREF

        self.routes.check(notices=KIND_PREF)  # every notice a member can switch has a drafter
        self.flood = FloodWindow(core.settings.flood_messages_per_minute)
        self._parsed: dict = {}
        self._spaces: tuple | None = None  # (core.space_refs(), the same as _HashedSpaces) for the parser

    # ------------------------------------------------------------------ entry point
    def handle(self, msg: IncomingMessage) -> list[Reply]:
        """Answer one message. Never raises: a failure becomes a friendly apology, and nothing of it was saved."""
        started = time.perf_counter()
        msg = clean_message(msg)
        ctx_box: list[Ctx] = []
        try:
            for attempt in range(5):
                ctx_box.clear()
                try:
                    with self.core.db.unit_of_work() as s:
                        if msg.update_key and not self._first_delivery(s, msg):
                            log.info("update %s was handled already; not again", msg.update_key)
                            return self._unsent_replies(s, msg)
                        replies = self._handle(msg, ctx_box)
                        if msg.update_key and replies:
                            self._store_replies(s, msg, ctx_box, replies)
                    return replies
                except OperationalError as exc:
                    if not _retryable(exc) or attempt == 4:
                        raise
                    time.sleep(0.01 * (attempt + 1) + random.random() * 0.02)
            raise AssertionError("unreachable")
        except Exception as exc:
            self.core.db.note_if_timeout(exc)
            log.error("failed to handle a message (%s, user %s, intent %s): %s", msg.transport, msg.user_id,
                      self._intent_name(msg, ctx_box), type(exc).__name__, exc_info=log.isEnabledFor(logging.DEBUG))
            lang = ctx_box[0].lang if ctx_box else ("en" if (msg.lang_hint or "").startswith("en") else "de")
            return [Reply(t(lang, "error"))]
        finally:
            intent = self._intent_name(msg, ctx_box)
            for obs in self.observers:
                try:
                    obs(msg, intent, time.perf_counter() - started)
                except Exception:  # an observer must never break a conversation
                    log.exception("observer failed")

    @staticmethod
    def _intent_name(msg: IncomingMessage, ctx_box: list[Ctx]) -> str:
        if not ctx_box:
            return "error"
        if msg.callback:
            return "button"
        return ctx_box[0].intent.intent if ctx_box[0].intent else "other"

    def _first_delivery(self, s, msg: IncomingMessage) -> bool:
        """Record the update as handled (in this unit of work); False if it was handled before."""
        from bot.storage.outbox import record_update

        return record_update(s, msg.update_key, msg.transport, self.core.clock.now(),
                             chat_key=f"{msg.transport}:{msg.chat_id}")

    def _store_replies(self, s, msg: IncomingMessage, ctx_box: list[Ctx], replies: list[Reply]) -> None:
        """The direct answers as outbox rows, leased to this process: sent at once by the transport, or by the
        scheduler after the lease if this process dies first."""
        now = self.core.clock.now()
        member_id = ctx_box[0].member.id if ctx_box else None
        lang = ctx_box[0].lang if ctx_box else None
        from bot.storage.outbox import outbox_row, store_replies

        rows = [outbox_row("reply", f"reply:{msg.transport}:{msg.update_key}:{i}"[:200], due_at=now, now=now,
                           payload=reply_payload(r, member_id, lang), transport=msg.transport, chat_id=msg.chat_id,
                           claimed_by="inline", claimed_until=now + REPLY_LEASE)
                for i, r in enumerate(replies)]
        # one statement with the outbox rows the message's change deferred (reminders, arrival notices)
        for r, row_id in zip(replies, store_replies(s, rows)):
            r.outbox_id = row_id

    def _unsent_replies(self, s, msg: IncomingMessage) -> list[Reply]:
        """A redelivered update: nothing is handled again, but its answers not yet sent (the process that made them
        died) are handed to the transport at once instead of waiting for their lease to run out."""
        from sqlalchemy import select

        now = self.core.clock.now()
        keys = [f"reply:{msg.transport}:{msg.update_key}:{i}"[:200] for i in range(12)]
        rows = s.scalars(select(Outbox).where(Outbox.dedupe_key.in_(keys), Outbox.status == "pending")
                         .order_by(Outbox.id)).all()
        out = []
        for row in rows:
            if row.claimed_by not in (None, "inline") and row.claimed_until is not None and row.claimed_until > now:
                continue  # the scheduler is sending it right now
            row.claimed_by, row.claimed_until = "inline", now + REPLY_LEASE
            reply = reply_from_payload(row.payload or {})
            reply.outbox_id = row.id
            out.append(reply)
        return out

    def language_of(self, msg: IncomingMessage) -> str | None:
        """The language of the member behind a message, if known (for transport-level notices like "slow down")."""
        from sqlalchemy import select

        from bot.storage.models import Identity, Member

        with self.core.db.session() as s:
            return s.scalar(select(Member.lang).join(Identity, Identity.member_id == Member.id).where(
                Identity.transport == msg.transport, Identity.external_id == msg.user_id))

    def mark_sent(self, outbox_ids: list[int]) -> None:
        """The transport delivered these direct answers."""
        ids = [i for i in outbox_ids if i is not None]
        if not ids:
            return
        with self.core.db.session() as s:
            s.execute(update(Outbox).where(Outbox.id.in_(ids), Outbox.status == "pending")
                      .values(status="sent", sent_at=self.core.clock.now(), claimed_by=None, claimed_until=None))

    def release_replies(self, outbox_ids: list[int]) -> None:
        """The transport gave these direct answers up (stop time, a long flood wait): their lease ends now, so the
        next delivery run, of this instance after a restart or of another one, sends them at once."""
        ids = [i for i in outbox_ids if i is not None]
        if not ids:
            return
        with self.core.db.session() as s:
            s.execute(update(Outbox).where(Outbox.id.in_(ids), Outbox.status == "pending", Outbox.claimed_by == "inline")
                      .values(claimed_by=None, claimed_until=None))

    def _handle(self, msg: IncomingMessage, ctx_box: list[Ctx]) -> list[Reply]:
        if msg.is_group and not msg.addressed and not msg.callback:
            return []
        member = self.members.resolve(msg.transport, msg.user_id, msg.chat_id, msg.display_name, msg.lang_hint,
                                      is_group=msg.is_group)
        ctx = Ctx(msg, member, member.lang, self.core.clock.now())
        ctx_box.append(ctx)
        if msg.edited:
            return [Reply(t(ctx.lang, "edit_refused"))]
        limit = self.core.settings.max_message_length
        if len(msg.text) > limit:
            return [Reply(t(ctx.lang, "too_long", n=len(msg.text), max=limit))]
        if not msg.callback:
            over = self._flooding(msg, member.id, ctx)
            if over is not None:
                return [Reply(t(ctx.lang, "slow_down"))] if over == "warn" else []
        if msg.callback:
            return self._finish(ctx, self._on_button(ctx, msg.callback))
        text = msg.text.strip()
        pending = self._pending(ctx)
        if pending is not None and not text.startswith("/"):
            answered = self._typed_answer(ctx, pending, text)
            if answered is not None:
                return self._finish(ctx, answered)
        command = text.split(maxsplit=1)[0].split("@", 1)[0].lower() if text.startswith("/") else ""
        if command in self.routes.commands:
            ctx.intent = Intent(intent=command.lstrip("/"), args=text.split()[1:], lang=ctx.lang)
            return self._finish(ctx, self.routes.commands[command](self, ctx))
        words = text.split()
        if len(words) == 1 and not words[0].startswith("/") and self.members.is_code(words[0]):
            # an invite code sent as a message (e.g. "OP-OLFEN", which would otherwise read as a town)
            ctx.intent = Intent(intent="start", args=[words[0]], lang=ctx.lang)
            return self._finish(ctx, self.routes.answer(self, ctx, "start"))
        intent = self.parse(msg.text, ctx.now)
        if pending is not None and pending.get("about"):
            _follow_up(intent, pending["about"], text)
        ctx.intent = intent
        if member.is_new and intent.intent not in ("start", "language") and intent.lang != member.lang and msg.lang_hint is None:
            self.members.set_lang(member.id, intent.lang)
            ctx.lang = intent.lang
        elif not member.is_new and intent.intent != "language":  # the writing beats the client's language hint
            self._follow_language(ctx, intent, text)
        replies = self.routes.answer(self, ctx, intent.intent)
        if (intent.intent in FOLLOWED or intent.intent == "book" and intent.question) and replies and ctx.intent is intent:
            ctx.about = {"intent": intent.intent, "space": intent.space, "dates": [d.isoformat() for d in intent.dates],
                         "part": intent.part, "start": intent.start, "end": intent.end}
        if member.is_new and intent.intent != "start":
            welcome = t(ctx.lang, "welcome", name=member.display_name)
            if replies:  # one message: the welcome and the first answer together
                replies[0].text = welcome + "\n\n" + replies[0].text
            else:
                replies = [Reply(welcome)]
        return self._finish(ctx, replies)

    def _follow_language(self, ctx: Ctx, intent: Intent, text: str) -> None:
        """A member who never chose a language and writes two messages in a row clearly in the other one ("need a
        desk in Coesfeld wed and thu", "whats on my plate next week") is answered in that one from the second on.
        Writes only when the language differs (or stops differing), never for a member's usual messages."""
        prefs = ctx.member.prefs or {}
        if prefs.get("lang_chosen") or intent.lang not in ("de", "en") or len(_LETTER_WORDS.findall(text)) < 3:
            return  # chosen, or too short to tell
        if intent.lang != ctx.lang and prefs.get("lang_streak") == intent.lang:
            self.members.set_lang(ctx.member.id, intent.lang)
            self.members.set_pref(ctx.member.id, "lang_streak", None)
            ctx.lang = intent.lang
        elif intent.lang != ctx.lang:
            self.members.set_pref(ctx.member.id, "lang_streak", intent.lang)
        elif prefs.get("lang_streak"):
            self.members.set_pref(ctx.member.id, "lang_streak", None)

    # ------------------------------------------------------------------ the pending question
    def _finish(self, ctx: Ctx, replies: list[Reply]) -> list[Reply]:
        """Remember the question this answer asks (or forget the one answered or passed over)."""
        had = "pending" in (ctx.member.prefs or {})
        if ctx.asked and ctx.offered or ctx.about:
            self._save_pending(ctx, {
                "at": ctx.now.isoformat(), "options": [list(o) for o in ctx.offered] if ctx.asked else [],
                "request": ctx.pending_request, "slot": ctx.pending_slot, "about": ctx.about})
        elif had:
            self._save_pending(ctx, None)
        return replies

    def _save_pending(self, ctx: Ctx, value: dict | None) -> None:
        from bot.storage.models import Member

        with self.core.db.session() as s:
            m = s.get(Member, ctx.member.id)
            prefs = dict(m.prefs or {})
            if value is None:
                prefs.pop("pending", None)
            else:
                prefs["pending"] = value
            m.prefs = prefs

    def _pending(self, ctx: Ctx) -> dict | None:
        from datetime import datetime

        p = (ctx.member.prefs or {}).get("pending")
        if not isinstance(p, dict):
            return None
        try:
            if datetime.fromisoformat(p["at"]) + PENDING_TTL < ctx.now:
                return None
        except (KeyError, TypeError, ValueError):
            return None
        return p

    def _typed_answer(self, ctx: Ctx, pending: dict, text: str) -> list[Reply] | None:
        """A typed answer to the bot's last question: an option's number or words, yes/no, or the missing slot."""
        # (label, token, op); a question saved before ops were kept has no op
        options = [(str(o[0]), str(o[1]), str(o[2]) if len(o) > 2 else "") for o in pending.get("options") or []]
        n_words = len(text.split())
        if "?" in text or n_words > 6:
            return None  # a question or a whole new message is not an answer to the pending question
        low = answer_words(text)
        pick: str | None = None
        place = _option_place(low, len(options))
        if place is not None:
            pick = options[place - 1][1]
        elif n_words > 4:
            pick = self._accepted(ctx, low, options)
            if pick == "":
                return self._which_one(ctx, pending, options)
        elif options and (low in YES or low.rstrip(",") in YES):
            main = _main_offers(options)
            if len(main) > 1:
                return self._which_one(ctx, pending, options)  # "ja" to a list of like offers: which one is asked
            pick = main[0] if main else options[0][1]
        elif options and low in NO:
            keep = [tok for label, tok, _op in options if _is_refusal(label)]
            if keep:
                pick = keep[0]
        else:
            hits = [tok for label, tok, _op in options if low and _matches(low, label)]
            if len(hits) == 1:
                pick = hits[0]
            elif not hits:
                pick = self._accepted(ctx, low, options)
                if pick == "":
                    return self._which_one(ctx, pending, options)
        if pick is not None:
            replies = self._on_button(ctx, pick)
            for r in replies:
                r.edit = False  # a typed answer gets a new message
            return replies
        request = pending.get("request")
        slot = pending.get("slot")
        if not request or not slot:
            return None
        it = self.parse(text, ctx.now)
        if it.question or it.intent not in ("book", "availability", "unknown"):
            return None
        if slot == "space" and it.space and not it.dates:
            merged = dict(request, space=it.space)
        elif slot == "dates" and it.dates and not it.space:
            merged = dict(request, dates=[d.isoformat() for d in it.dates])
        else:
            return None
        ctx.intent = it
        handler = self.routes.buttons.get(merged.get("op", ""))
        return handler(self, ctx, merged) if handler else None

    def _accepted(self, ctx: Ctx, low: str, options: list[tuple[str, str, str]]) -> str | None:
        """The token of the one thing offered (besides "no") when the message accepts it ("dann nehm ich den",
        "ok buch das", "ja gerne", "I'll take it"): an accepting or yes word, no negation, and nothing of a request of its own (no
        day, place, desk or desk count). "" when several things are offered: which one is asked, never guessed."""
        positive = _main_offers(options)
        words = set(_folded(low.replace("'", " ").replace("’", " ")).split())
        if not positive or not words & (ACCEPT | YES) or words & NEGATION or words - ACCEPT - YES - ACCEPT_FILLER:
            return None
        it = self.parse(low, ctx.now)
        if it.dates or it.space or it.desks > 1 or it.desk_label:
            return None
        return positive[0] if len(positive) == 1 else ""

    def _which_one(self, ctx: Ctx, pending: dict, options: list[tuple[str, str, str]]) -> list[Reply]:
        """"ja, mach das" to several options: ask which, with the same buttons (the question stays open)."""
        ctx.asked = True
        ctx.offered = options
        ctx.pending_request = pending.get("request")
        ctx.pending_slot = pending.get("slot")
        buttons = [[Choice(label, tok)] for label, tok, _op in options]
        return [Reply(t.n(ctx.lang, "which_option", len(options)), buttons)]

    # ------------------------------------------------------------------ buttons
    def choices(self, ctx: Ctx, options: list[tuple[str, dict]], per_row: int = 2, *, ask: bool = True) -> list[list[Choice]]:
        """Issue one token per option; all options of one message spend together. `ask`: the buttons answer a
        question the bot asks, so a typed answer (number, words, yes/no) works as well as a press."""
        if not options:
            return []
        for _, action in options:
            if action.get("op") not in self.routes.buttons:
                raise RouterConflict(f"button kind {action.get('op')!r} is offered but no router answers it")
        group = secrets.token_hex(4)
        issued = ctx.now.isoformat()
        tokens = self.members.issue_many(ctx.member.id, [dict(a, group=group, issued=issued) for _, a in options])
        buttons = [Choice(label, tok) for (label, _), tok in zip(options, tokens)]
        if ask:
            ctx.asked = True
            ctx.offered = [(b.label, b.data, str(a.get("op"))) for b, (_, a) in zip(buttons, options)]
        return [buttons[i:i + per_row] for i in range(0, len(buttons), per_row)]

    def _on_button(self, ctx: Ctx, data: str) -> list[Reply]:
        action = self.members.redeem_token(ctx.member.id, data)
        if isinstance(action, str):  # a spent, expired or forged button: say so, and take its keyboard away
            return [Reply(t(ctx.lang, f"token_{action}"), alert=action == "foreign", edit=action != "foreign")]
        handler = self.routes.buttons.get(action.get("op", ""))
        if handler is None:
            return [Reply(t(ctx.lang, "token_unknown"))]
        if action.get("op") in CHANGE_OPS and self._changed_since(ctx.member.id, action.get("issued")):
            return [Reply(t(ctx.lang, "token_stale"))]
        replies = handler(self, ctx, action)
        if replies:
            replies[0].edit = True
        return replies

    def _flooding(self, msg: IncomingMessage, member_id: int, ctx: Ctx) -> str | None:
        """None if the message may be handled; "warn" for the first one over the limit in a minute, "drop" after.
        With several instances (PostgreSQL and messenger update keys) the count is the chat's handled updates of
        the last minute in the database, shared by all instances; otherwise this process's window."""
        limit = self.core.settings.flood_messages_per_minute
        if msg.update_key and self.core.db.is_postgres:
            from bot.storage.outbox import recent_updates

            with self.core.db.session() as s:
                n = recent_updates(s, f"{msg.transport}:{msg.chat_id}", ctx.now - timedelta(seconds=60))
            if n <= limit:
                return None
            return "warn" if n == limit + 1 else "drop"
        at = ctx.now.timestamp()
        if self.flood.allow(member_id, at):
            return None
        return "warn" if self.flood.should_warn(member_id, at) else "drop"

    def parse(self, text: str, now) -> Intent:
        """`bot.intents.parse`, remembered for the same text on the same day (the usual phrases repeat: "morgen
        Dülmen"); each caller gets its own copy, since handlers may fill in slots. The parser reads only the date
        of `now` (tests/test_intents_by_date.py holds it to that), so the day is the whole key."""
        from bot.intents import parse

        spaces = self.core.space_refs()
        hashed = self._spaces
        if hashed is None or hashed[0] is not spaces:
            hashed = self._spaces = (spaces, _HashedSpaces(spaces))
        key = (text, now.date(), id(spaces))
        hit = self._parsed.get(key)
        if hit is None:
            hit = parse(text, now, hashed[1])
            if len(self._parsed) >= 4096:
                self._parsed.clear()
            self._parsed[key] = hit
        return _copy_intent(hit)

    def _changed_since(self, member_id: int, issued: str | None) -> bool:
        """Did the member's bookings change after this button was issued? (A later action makes it stale.)"""
        if not issued:
            return False
        from datetime import datetime

        from sqlalchemy import select

        from bot.storage.models import Booking

        with self.core.db.session() as s:
            return s.scalar(select(Booking.id).where(Booking.member_id == member_id,
                                                     Booking.updated_at > datetime.fromisoformat(issued)).limit(1)) is not None



def _option_place(low: str, count: int) -> int | None:
    """The 1-based place of an option named by number or ordinal ("2", "Nr. 2", "den zweiten", "the last one")."""
    words = _folded(low.replace("'", " ")).split()
    if not words or count == 0:
        return None
    places = set()
    for w in words:
        if w.isdigit():
            places.add(int(w))
        elif w.rstrip(".") in ORDINALS:
            places.add(ORDINALS[w.rstrip(".")])
        elif w in LAST:
            places.add(count)
        elif w not in NUMBER_WORDS:
            return None  # other words: not just a pick by place
    if len(places) == 1 and 1 <= (n := places.pop()) <= count:
        return n
    return None


def _is_refusal(label: str) -> bool:
    """A "no" button ("Nein", "No", "Nein, behalten", "No, keep", "Abbrechen"). "cancel" is no refusal word:
    "Yes, cancel all" is the yes of a cancel question."""
    folded = _folded(label)
    return folded in ("nein", "no") or folded.startswith(("nein ", "no ")) \
        or any(w in folded for w in ("keep", "behalten", "abbrechen", "no thanks", "lieber nicht"))


def _main_offers(options: list[tuple[str, str, str]]) -> list[str]:
    """Tokens of the offers a yes or an acceptance may mean: the options that are not a "no", of the first one's kind
    (a list of "Olfen buchen", "Senden buchen" is several; "Buchen" vs "Nur nachsehen" has one main offer)."""
    positive = [o for o in options if not _is_refusal(o[0])]
    return [o[1] for o in positive if o[2] == positive[0][2]] if positive else []


class _HashedSpaces(tuple):
    """The configured spaces as the parser gets them, hashed once: the parser keeps one parser per spaces tuple
    (an lru_cache keyed by it), and hashing a tuple of SpaceRefs anew for every message cost ~5 % of a
    booking message."""

    def __new__(cls, items):
        self = super().__new__(cls, items)
        self._hash = tuple.__hash__(self)
        return self

    def __hash__(self) -> int:
        return self._hash


def _make_copy_intent():
    """`_copy_intent(src)`: a copy of a parsed Intent with its own lists (what `copy.copy` plus copied lists did),
    written out field by field like the dataclass's own generated methods (~5x faster than copy.copy)."""
    body = "".join(f"    v = src.{n}\n    it.{n} = v[:] if v.__class__ is list else v\n" for n in Intent.__slots__)
    ns = {"Intent": Intent}
    exec(f"def _copy_intent(src, _new=object.__new__):\n    it = _new(Intent)\n{body}    return it\n", ns)  # noqa: S102
    return ns["_copy_intent"]


_copy_intent = _make_copy_intent()


_LETTER_WORDS = re.compile(r"[^\W\d_]{2,}")

# questions whose slots a follow-up may take over, and the words that start a follow-up
FOLLOWED = ("availability", "who")
_FOLLOW_UP = re.compile(
    r"^(?:und|and|or|oder|aber|but|what about|how about|was ist mit|wie ist es mit|wie sieht(?:'?s| es) mit|"
    r"wie sieht(?:'?s| es) aus|(?:nee|nein|no|ne|hm+),? lieber|lieber|eher|rather|dann|then|auch|also|same for)\b",
    re.IGNORECASE)


def _fragment(it: Intent, text: str) -> bool:
    """A bare slot with no verb ("nur vormittags", "Freitag?", "Olfen", "zu zweit") right after a question: it reads
    with that question, as a person would read it."""
    return (it.intent in ("availability", "book") and it.confidence < 0.95 and len(text.split()) <= 4
            and not _QUESTION_OF_ITS_OWN.search(text))


# words that make a short message a question or request of its own ("was ist morgen frei?", "any desks Friday?")
_QUESTION_OF_ITS_OWN = re.compile(
    r"\b(?:was|wer|wo|wie|wann|welche\w*|ist|sind|gibt|hat|habt|frei(?:e[nrs]?)?|platz|plätze|noch|verfügbar\w*|buch\w*|"
    r"what|who|where|when|which|how|is|are|any|anything|free|room|space|available|book\w*|desks?)\b", re.IGNORECASE)


def _follow_up(it: Intent, about: dict, text: str) -> None:
    """A follow-up to the last question ("und am 9.?" after "Was ist mit Lüdinghausen am 8.12.?", "nee, lieber Olfen",
    "and on Friday?"): the same question, with what the new message leaves out taken from it. A booking verb
    ("und dann buch mir Olfen") keeps the request a booking; nothing is booked on a follow-up without one."""
    from datetime import date

    if it.intent not in ("availability", "who", "book", "unknown"):
        return
    if not _FOLLOW_UP.match(text.strip()) and not _fragment(it, text):
        return
    if it.intent == "book" and it.confidence >= 0.95:  # a booking verb: a request of its own, for the day asked about
        if not it.dates and about.get("dates"):
            it.dates = [date.fromisoformat(d) for d in about["dates"]]
            it.confidence = min(it.confidence, 0.7)  # a day taken from the last question is confirmed, not assumed
        return
    if not (it.dates or it.space or it.part or it.start or it.desks > 1):
        return  # "und sonst?": nothing to read with the last question
    if (it.space or it.space_text or not about.get("space")) and (it.dates or not about.get("dates")):
        return  # complete on its own ("dann morgen Olfen"): as it reads
    it.intent = about.get("intent") or "availability"
    if it.intent != "who":
        it.topic = None
    if not it.space and not it.space_text and about.get("space"):
        it.space = about["space"]
    if not it.dates and about.get("dates"):
        it.dates = [date.fromisoformat(d) for d in about["dates"]]
    if not (it.part or it.start or it.end):
        it.part, it.start, it.end = about.get("part"), about.get("start"), about.get("end")
    it.question = True


def _folded(label: str) -> str:
    return "".join(ch for ch in label.lower() if ch.isalnum() or ch.isspace()).strip()


def _matches(typed: str, label: str) -> bool:
    """Does a typed answer name this option? ("warteliste" ~ "🕐 Auf die Warteliste", "olfen" ~ "⭐ Olfen")."""
    folded = _folded(label)
    typed = _folded(typed)
    if not typed or not folded:
        return False
    if typed == folded or (len(typed) >= 4 and typed in folded):
        return True
    words = [w for w in folded.split() if len(w) >= 3]
    return bool(words) and all(w in typed.split() for w in words)


def reply_payload(r: Reply, member_id: int | None, lang: str | None) -> dict:
    """A reply as JSON for its outbox row (buttons keep their issued tokens)."""
    import base64

    return {
        "text": r.text, "html": r.html, "member_id": member_id, "lang": lang, "alert": r.alert,
        "choices": [[[c.label, c.data] for c in row] for row in r.choices],
        "attachments": [{"filename": a.filename, "mime": a.mime, "data": base64.b64encode(a.data).decode("ascii")}
                        for a in r.attachments],
    }


def reply_from_payload(p: dict) -> Reply:
    import base64

    from bot.domain import Attachment

    return Reply(
        str(p.get("text") or ""),
        [[Choice(label, data) for label, data in row] for row in p.get("choices") or []],
        [Attachment(a["filename"], a["mime"], base64.b64decode(a["data"])) for a in p.get("attachments") or []],
        html=p.get("html"),
        alert=bool(p.get("alert")),
    )
