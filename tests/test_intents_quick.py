"""The quick reading of a bare "place + day" (bot/intents.py, `_quick_request`) gives exactly what the whole parse
gives: for every place of the demo world (as written, lower case, upper case, without umlauts), each shape, every day
of the coming year and some past ones, at several times of day, around the turn of the year and the DST change."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.intents import _parse_whole, _parser_for, _quick_request, parse
from tests.nlu_spaces import SPACES

BERLIN = ZoneInfo("Europe/Berlin")
NOWS = [datetime(2026, 11, 23, 8, 0, tzinfo=BERLIN), datetime(2026, 12, 28, 23, 50, tzinfo=BERLIN),
        datetime(2027, 3, 27, 0, 30, tzinfo=BERLIN), datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN)]


def _words(town: str) -> list[str]:
    plain = town.replace("ü", "ue").replace("ö", "oe").replace("ä", "ae")
    return sorted({town, town.lower(), town.upper(), plain, plain.lower(), town + "er"})


def _texts(today: date) -> list[str]:
    out = []
    for ref in SPACES:
        for w in _words(ref.town):
            for k in range(-3, 320, 11):
                d = today + timedelta(days=k)
                out += [f"{w} am {d.day}.{d.month}.", f"{w} {d.day}.{d.month}.", f"{d.day}.{d.month}. {w}",
                        f"am {d.day}.{d.month}. {w}"]
            out += [f"morgen {w}", f"{w} morgen", f"übermorgen {w}", f"Morgen {w}", f"{w} uebermorgen"]
    return out + ["Dülmen am 31.2.", "Dülmen am 3.13.", "morgen Münster", "Olfen am 3.12. bitte", "Olfen am 3.12.?"]


@pytest.mark.parametrize("now", NOWS, ids=lambda n: n.isoformat())
def test_the_quick_reading_is_the_whole_parse(now):
    parser = _parser_for(tuple(SPACES))
    quick = 0
    for text in _texts(now.date()):
        fast = _quick_request(parser, text, now.date())
        if fast is None:
            continue
        quick += 1
        assert fast == _parse_whole(parser, text, now), text  # the whole parse, without the quick reading
    assert quick > 1000  # it does take the common shapes


def test_it_is_what_parse_answers():
    now = NOWS[0]
    it = parse("Dülmen am 3.12.", now, SPACES)
    assert (it.intent, it.space, it.dates, it.confidence) == ("book", "duelmen", [date(2026, 12, 3)], 0.9)
    assert parse("Dülmen am 20.11.", now, SPACES).intent == "past_day"  # a past day: the whole parse decides
    assert parse("morgen senden", now, SPACES) == _parse_whole(_parser_for(tuple(SPACES)), "morgen senden", now)
