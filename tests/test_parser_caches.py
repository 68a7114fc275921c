"""The parser's per-word caches (typo corrections, word pieces) never change a reading: a message parsed with
warm caches reads exactly as with cleared ones."""

from __future__ import annotations

import json
from pathlib import Path

from bot.intents import _parser_for, parse
from tests.nlu_spaces import SPACES, parse_now

CORPUS = Path(__file__).parent / "corpus" / "user_messages.jsonl"


def test_warm_caches_read_like_cold_ones():
    lines = [json.loads(x) for x in CORPUS.read_text(encoding="utf-8").splitlines() if x.strip()][::7]
    parser = _parser_for(SPACES)
    for ex in lines:  # warm: every word of the sample seen once
        parse(ex["text"], parse_now(ex.get("now")), SPACES)
    warm = [repr(parse(ex["text"], parse_now(ex.get("now")), SPACES)) for ex in lines]
    cold = []
    for ex in lines:
        parser.clear_caches()
        cold.append(repr(parse(ex["text"], parse_now(ex.get("now")), SPACES)))
    assert warm == cold


def test_a_corrected_word_is_reported_at_its_place_with_a_warm_cache():
    parser = _parser_for(SPACES)
    parser.clear_caches()
    first = parser._normalise("morgen Dülman bitte")
    second = parser._normalise("ja morgen Dülman bitte")  # same word from the cache, at another position
    assert first[2] and second[2]
    (s1, e1, w1), (s2, e2, w2) = first[2][0], second[2][0]
    assert w1 == w2 and first[0][s1:e1] == w1 and second[0][s2:e2] == w2 and s2 == s1 + 3


def test_the_language_asked_for_does_not_depend_on_the_hash_seed():
    """`_lang_code` read a set, so "English please, my German is not good" was English or German by the seed."""
    import os
    import subprocess
    import sys

    code = ("from bot.intents import parse; from tests.nlu_spaces import SPACES, NOW; "
            "print([parse(t, NOW, SPACES).args for t in ('English please, my German is not good', "
            "'kein Englisch, auf Deutsch bitte', 'mein Deutsch ist schlecht, English please')])")
    root = Path(__file__).resolve().parents[1]
    outs = {subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": str(seed)}).stdout for seed in (1, 2, 3, 4)}
    assert outs == {"[['en'], ['de'], ['en']]\n"}
