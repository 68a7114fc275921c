"""Issue 13's reply length: a reply is at most 12 lines, except lists the user asked for (a series of booked days,
someone's bookings, arrivals). Checked on a fixed sample of the user-side corpus, sent by fresh members of each
role (a commuter of a company, its admin, an operator, a self-payer), so the answers of every router are seen."""

from __future__ import annotations

import json
import random
from pathlib import Path

from bot.domain import IncomingMessage

CORPUS = Path(__file__).parent / "corpus" / "user_messages.jsonl"
CODES = {"emp": "STADTWERKE-2026", "adm": "STADTWERKE-ADMIN", "op": "OP-COESFELD", "self": None}


def _is_list(lines: list[str]) -> bool:
    """A list the user asked for: most of its lines are items."""
    return sum(x.lstrip().startswith(("•", "-", "📅", "⬜", "✅")) for x in lines) >= len(lines) / 2


def test_replies_are_at_most_twelve_lines_unless_a_list(chat):
    lines = [json.loads(x) for x in CORPUS.read_text(encoding="utf-8").splitlines() if x.strip()]
    sample = random.Random(13).sample(lines, 240)
    long = []
    for i, ex in enumerate(sample):
        role = list(CODES)[i % len(CODES)]
        user = f"{role}{i}"
        if CODES[role]:  # the self-payer's message is their first one: the welcome comes with its answer
            chat.send(user, "hallo")
            chat.send(user, CODES[role])
        replies = chat.dialogue.handle(IncomingMessage("terminal", user, user, ex["text"], display_name=user))
        for r in replies:
            text_lines = r.text.splitlines()
            if len(text_lines) > 12 and not _is_list(text_lines):
                long.append((ex["text"], len(text_lines), text_lines[0][:60]))
    assert long == []
