"""The 11 demo spaces and the fixed `now` of the shared parse corpus (helpers for the parser tests)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain import SpaceRef

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=BERLIN)  # a Monday

_TOWNS = [
    ("ascheberg", "Ascheberg"), ("billerbeck", "Billerbeck"), ("coesfeld", "Coesfeld"),
    ("duelmen", "Dülmen"), ("havixbeck", "Havixbeck"), ("luedinghausen", "Lüdinghausen"),
    ("nordkirchen", "Nordkirchen"), ("nottuln", "Nottuln"), ("olfen", "Olfen"),
    ("rosendahl", "Rosendahl"), ("senden", "Senden"),
]
SPACES: tuple[SpaceRef, ...] = tuple(SpaceRef(slug, f"Coworking {town}", town) for slug, town in _TOWNS)


def parse_now(value: str | None) -> datetime:
    """A corpus line's optional "now" (ISO, naive = Europe/Berlin); default NOW."""
    if not value:
        return NOW
    dt = datetime.fromisoformat(value)
    return dt if dt.tzinfo else dt.replace(tzinfo=BERLIN)


def mismatches(intent_json: dict, expect: dict) -> dict:
    """Keys of `expect` whose value differs from the parser's JSON."""
    return {k: (intent_json.get(k), v) for k, v in expect.items() if intent_json.get(k) != v}
