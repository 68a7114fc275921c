"""The parser reads only the date of `now`: the Dialogue remembers a parse for the same text all day
(bot/dialogue.py, Dialogue.parse), so a rule that looked at the time of day would be served stale."""

import json
from datetime import datetime, timedelta
from pathlib import Path

from bot.intents import parse
from tests.nlu_spaces import BERLIN, SPACES

CORPUS = Path(__file__).parent / "corpus"


def _texts() -> list[str]:
    out = []
    for name in ("user_messages.jsonl", "parse_corpus.jsonl"):
        for line in (CORPUS / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append(json.loads(line)["text"])
    return out


def test_a_parse_depends_on_the_day_only():
    texts = _texts()
    assert len(texts) > 3000
    for day in (datetime(2026, 11, 23, tzinfo=BERLIN), datetime(2026, 3, 29, tzinfo=BERLIN)):  # a Monday; a DST day
        early, late = day.replace(hour=0, minute=1), day.replace(hour=23, minute=59)
        differ = [t for t in texts if parse(t, early, SPACES) != parse(t, late, SPACES)]
        assert differ == [], differ[:5]


def test_the_dialogue_parses_a_text_once_a_day(sqlite_core, monkeypatch):
    import bot.intents
    from bot.dialogue import Dialogue

    calls = []
    real = bot.intents.parse
    monkeypatch.setattr(bot.intents, "parse", lambda text, now, spaces: calls.append(now) or real(text, now, spaces))
    d = Dialogue(sqlite_core)
    morning = datetime(2026, 11, 23, 8, 0, tzinfo=BERLIN)
    first = d.parse("morgen Dülmen", morning)
    again = d.parse("morgen Dülmen", morning + timedelta(hours=9, minutes=13))
    assert len(calls) == 1
    assert again == first and again is not first  # each caller gets its own copy
    again.dates.append(morning.date())
    assert d.parse("morgen Dülmen", morning).dates == first.dates  # a handler's change stays its own
    tomorrow = d.parse("morgen Dülmen", morning + timedelta(days=1))
    assert len(calls) == 2 and tomorrow.dates == [morning.date() + timedelta(days=2)]
