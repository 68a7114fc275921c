"""Corpus tests for the free-text parser: the shared example corpus and our own larger corpus.

Each JSONL line: {"text", "expect": {...}, optional "now" (ISO, Europe/Berlin)}; a line passes when
every key in `expect` equals the key in `Intent.to_json()`. Both corpora must pass at >= 97 %.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.intents import parse
from tests.nlu_spaces import SPACES, mismatches, parse_now

SHARED = Path(__file__).resolve().parents[2] / "shared/corpus/parse_examples.jsonl"
OWN = Path(__file__).resolve().parent / "corpus/parse_corpus.jsonl"


def _run(path: Path) -> tuple[int, list[str]]:
    lines = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    failures = []
    for ex in lines:
        got = parse(ex["text"], parse_now(ex.get("now")), SPACES).to_json()
        bad = mismatches(got, ex["expect"])
        if bad:
            failures.append(f"{ex['text']!r} (now={ex.get('now')}): {bad}")
    return len(lines), failures


@pytest.mark.parametrize("path", [SHARED, OWN], ids=["shared", "own"])
def test_corpus_accuracy(path: Path) -> None:
    if not path.exists():
        pytest.skip(f"corpus {path} not present")
    total, failures = _run(path)
    for f in failures:
        print("FAIL", f)
    accuracy = (total - len(failures)) / total
    print(f"{path.name}: {total - len(failures)}/{total} = {accuracy:.1%}")
    assert total > 0
    assert accuracy >= 0.97, "\n".join(failures)


def test_own_corpus_is_large_and_bilingual() -> None:
    lines = [json.loads(x) for x in OWN.read_text(encoding="utf-8").splitlines() if x.strip()]
    assert len(lines) >= 250
    assert {ex["expect"].get("lang") for ex in lines} >= {"de", "en"}
    assert len({ex.get("now") for ex in lines}) >= 5


# ---------------------------------------------------------------- the user-side corpus (issue 13)

USER = Path(__file__).resolve().parent / "corpus/user_messages.jsonl"


def test_user_corpus_accuracy_per_split() -> None:
    """Dev and held-out parts each >= 97 % (all expected keys of a line must match)."""
    from bench.eval_parser import evaluate, load

    lines = load(USER)
    assert len(lines) >= 600
    assert {ex["split"] for ex in lines} == {"dev", "heldout"}
    r = evaluate(lines)
    for sp in ("dev", "heldout"):
        ok = sum(c[0] for c in r["per"][sp].values())
        n = sum(c[1] for c in r["per"][sp].values())
        print(f"{sp}: {ok}/{n} = {ok / n:.1%}")
        if sp == "dev":
            for f in r["fails"][sp]:
                print("FAIL", f)
        assert ok / n >= 0.97, sp


def test_no_confident_booking_from_questions_or_small_talk() -> None:
    """No line whose expected intent is not "book" parses as "book" at or above CONFIDENT."""
    from bench.eval_parser import evaluate, load

    for path in (USER, OWN, SHARED):
        if path.exists():
            r = evaluate(load(path))
            assert r["risky"] == [], r["risky"]
