"""Issue 13's first target end to end: a message that is not a booking request books nothing. Every non-booking line
of the writers' dev sets (blind3 ... blind15a, see FILES) and every third of the project corpus goes through the real
Dialogue, from a fresh employee of a company with a contingent, and the store's active bookings are counted before and
after each one (the parser's "confident booking" is one step; the handlers, buttons and follow-ups are the others)."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select

from bot.domain import IncomingMessage
from bot.storage.models import Booking
from tests.nlu_spaces import parse_now

CORPUS = Path(__file__).parent / "corpus"
FILES = ("blind3_dev.jsonl", "blind5_dev.jsonl", "blind6_dev.jsonl", "blind7a_dev.jsonl", "blind7b_dev.jsonl",
         "blind9a_dev.jsonl", "blind10a_dev.jsonl", "blind13a_dev.jsonl",
         "blind14a_dev.jsonl", "blind15a_dev.jsonl", "blind16b_dev.jsonl", "blind18a_dev.jsonl", "blind20a_dev.jsonl",
         "blind21a_dev.jsonl", "blind21b_dev.jsonl", "blind24c_dev.jsonl", "blind24d_dev.jsonl",
         "blind25b_dev.jsonl", "blind25d_dev.jsonl", "blind26b_dev.jsonl", "blind26d_dev.jsonl", "blind27c_dev.jsonl",
         "blind27d_dev.jsonl")


def _lines() -> list[dict]:
    out = [json.loads(x) for f in FILES for x in (CORPUS / f).read_text(encoding="utf-8").splitlines() if x.strip()]
    own = [json.loads(x) for x in (CORPUS / "user_messages.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    return [ex for ex in out + own[::3] if ex["expect"]["intent"] != "book"]


def test_no_message_that_is_not_a_booking_request_books(chat, clock):
    """Each line at its own "now" (the corpus default Monday 23 November 08:00 otherwise), in time order: "Mittwoch
    den 9." written on 11 December is a past day."""
    dlg = chat.dialogue

    def active() -> int:
        with dlg.core.db.session() as s:
            return s.scalar(select(func.count(Booking.id)).where(Booking.status.in_(("confirmed", "checked_in"))))

    lines = sorted(_lines(), key=lambda ex: parse_now(ex.get("now")))
    assert len(lines) > 1500
    booked = []
    for i, ex in enumerate(lines):
        clock.set(parse_now(ex.get("now")))
        user = f"m{i}"
        chat.send(user, "hallo")
        chat.send(user, "STADTWERKE-2026")
        before = active()
        replies = dlg.handle(IncomingMessage("terminal", user, user, ex["text"], display_name=user))
        if active() != before:
            booked.append((ex["expect"]["intent"], ex["text"], replies[0].text[:60] if replies else ""))
    assert booked == []
