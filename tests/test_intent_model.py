"""The learned second opinion (bot/intent_model.py, gate in bot/intents.py, training in scripts/train_intents.py).

The gate tests use messages written for this file (none is a corpus line) and, where the rule is the point, a
stub model with fixed probabilities, so they test the gate and not the current weights.
"""

from __future__ import annotations

import importlib.util
import tomllib
from pathlib import Path

import numpy as np
import pytest

from bot import intents
from bot.intent_model import MODEL_PATH, IntentModel, get_model, model_text
from bot.intents import CONFIDENT, parse
from tests.nlu_spaces import NOW, SPACES

REPO = Path(__file__).resolve().parents[1]


def _trainer():
    spec = importlib.util.spec_from_file_location("train_intents", REPO / "scripts" / "train_intents.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


class _Stub:
    """A model that answers every message with the same distribution."""

    def __init__(self, **probs: float):
        self.classes = sorted(set(probs) | {"book", "unknown"})
        self.index = {c: i for i, c in enumerate(self.classes)}
        rest = max(0.0, 1.0 - sum(probs.values()))
        self.p = [probs.get(c, rest if c == "unknown" and "unknown" not in probs else 0.0) for c in self.classes]

    def rows(self, t: str, flags: str) -> tuple[list[int], int]:
        return [], 0

    def proba_rows(self, rows: list[int], n: int) -> list[float]:
        return list(self.p)

    def p_book_rows(self, rows: list[int], n: int) -> float:
        return self.p[self.index["book"]]


@pytest.fixture
def stub(monkeypatch):
    def use(model):
        monkeypatch.setattr(intents, "_GATE", [(model_text, model)])
    yield use


# ---- the shipped file ----------------------------------------------------------------------------------------

def test_the_shipped_model_loads_and_is_small():
    m = get_model()
    assert m is not None, f"{MODEL_PATH} did not load"
    assert MODEL_PATH.stat().st_size < 1024 * 1024
    assert {"book", "availability", "who", "smalltalk", "cancel", "unknown", "help"} <= set(m.classes)
    p = m.proba(model_text("ich brauche   einen platz in    bitte"), "DS")
    assert len(p) == len(m.classes) and abs(sum(p) - 1.0) < 1e-6
    assert m.classes[p.index(max(p))] == "book"


def test_the_wheel_carries_the_model():
    data = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["bot"]
    assert "intent_model.npz" in data
    assert "bot/intent_model.npz" in (REPO / "MANIFEST.in").read_text()


def test_retraining_is_deterministic():
    tr = _trainer()
    lines = [ex for ex in tr.load() if ex["group"] in ("probe-3", "probe-7", "probe-12")]
    docs = [tr.probe(ex) for ex in lines]
    pairs = [(d, ex["expect"]["intent"]) for d, ex in zip(docs, lines) if d is not None]
    a = tr.fit([d for d, _ in pairs], [c for _, c in pairs], iters=15)
    b = tr.fit([d for d, _ in pairs], [c for _, c in pairs], iters=15)
    assert a.classes == b.classes and a.vocab == b.vocab and a.words == b.words
    assert np.array_equal(a.W, b.W) and np.array_equal(a.b, b.b)
    t = model_text("kannst du mir sagen ob in    noch was frei ist")
    assert a.proba(t, "SQ") == b.proba(t, "SQ")


def test_save_and_load_round_trip(tmp_path):
    m = get_model()
    path = tmp_path / "m.npz"
    m.save(path)
    m2 = IntentModel.load(path)
    t = model_text("wer sitzt denn    in    rum")
    assert m2.classes == m.classes and m2.proba(t, "DS") == pytest.approx(m.proba(t, "DS"))


# ---- the gate (stub model: the rule, not the weights) -----------------------------------------------------------

def test_without_a_model_the_rules_decide(stub):
    stub(None)
    it = parse("übermorgen Nottuln bitte", NOW, SPACES)
    assert (it.intent, it.confidence) == ("book", 0.9)


def test_a_low_booking_probability_makes_a_confident_booking_ask(stub):
    stub(_Stub(book=0.05, cancel=0.9))
    it = parse("übermorgen Nottuln bitte", NOW, SPACES)
    assert it.intent == "book" and it.confidence < CONFIDENT and it.alternative == "cancel"
    assert it.space == "nottuln" and it.dates  # the slots stay


def test_a_sure_answer_that_changes_nothing_replaces_the_booking(stub):
    stub(_Stub(book=0.02, availability=0.95))
    it = parse("brauch Freitag nen Tisch in Havixbeck", NOW, SPACES)
    assert (it.intent, it.alternative) == ("availability", "book")
    assert it.space == "havixbeck"


def test_a_changing_intent_never_replaces_the_booking(stub):
    stub(_Stub(book=0.01, cancel=0.97))
    it = parse("brauch Freitag nen Tisch in Havixbeck", NOW, SPACES)
    assert it.intent == "book" and it.confidence < CONFIDENT


def test_a_likely_booking_is_left_alone(stub):
    stub(_Stub(book=0.4, smalltalk=0.6))
    it = parse("übermorgen Nottuln bitte", NOW, SPACES)
    assert (it.intent, it.confidence, it.alternative) == ("book", 0.9, None)


def test_unknown_takes_a_sure_intent_that_changes_nothing(stub):
    stub(_Stub(help=0.9))
    it = parse("Schnabeltier Kaffeemaschine", NOW, SPACES)
    assert it.intent == "help" and it.confidence >= CONFIDENT


def test_unknown_never_takes_a_changing_intent(stub):
    stub(_Stub(cancel=0.95))
    it = parse("Schnabeltier Kaffeemaschine", NOW, SPACES)
    assert it.intent == "unknown" and it.alternative == "cancel"


def test_unknown_small_talk_without_day_or_place_stays_unknown(stub):
    stub(_Stub(smalltalk=0.95))
    it = parse("Schnabeltier Kaffeemaschine", NOW, SPACES)
    assert it.intent == "unknown"


def test_rules_that_are_sure_of_another_intent_are_not_asked(stub):
    stub(_Stub(book=0.99))
    it = parse("wie komme ich hier wieder raus", NOW, SPACES)
    assert it.intent == "help"


# ---- the shipped model on new messages ------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["übermorgen Nottuln bitte", "brauch Freitag nen Tisch in Havixbeck",
                                  "reservier mir Donnerstag was in Billerbeck"])
def test_new_bookings_stay_confident(text):
    it = parse(text, NOW, SPACES)
    assert it.intent == "book" and it.confidence >= CONFIDENT


@pytest.mark.parametrize("text", ["Freitag Dülmen wäre super gewesen, aber egal"])
def test_new_non_bookings_are_no_confident_bookings(text):
    it = parse(text, NOW, SPACES)
    assert not (it.intent == "book" and it.confidence >= CONFIDENT)


def test_the_binary_head_agrees_with_the_gate():
    m = get_model()
    assert m.sb is not None, "the shipped model has its booking/not-booking head"
    book = m.p_book(model_text("brauch    nen tisch in   "), "DS")
    story = m.p_book(model_text("     waere schoen gewesen , aber das auto ist in der werkstatt"), "DS")
    assert book >= intents.VETO_BOOK > story
    p = m.proba(model_text("     waere schoen gewesen , aber das auto ist in der werkstatt"), "DS")
    intent, conf, _ = intents.gate("book", 0.85, p, m.classes, True, story)
    assert not (intent == "book" and conf >= CONFIDENT)  # the gate would stop the rules booking it
    it = parse("Freitag Dülmen wäre super gewesen, aber egal", NOW, SPACES)
    assert it.intent == "smalltalk" and it.alternative == "book"  # ... and the rules now read it as a story themselves
