"""Accuracy of `bot.intents.parse` on the user-side corpus, per intent and per split.

    .venv/bin/python bench/eval_parser.py [--show dev|heldout|all|none] [--file PATH] [--by kind]

A line passes when every expected key matches: the JSON keys (intent, dates, part, start, end, space,
desks) against `Intent.to_json()`, the extra slots (colleague, month, name, desk_label, desk_features)
against the `Intent` attributes. Failures are printed only for the split named by --show (default: dev),
so the held-out part can be measured without being read while tuning.

--file scores any file of the same line format (default: tests/corpus/user_messages.jsonl); lines without
a "split" count as dev. --by kind (or set) adds a table per value of that key of the lines.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.intents import CONFIDENT, parse  # noqa: E402
from tests.nlu_spaces import SPACES, parse_now  # noqa: E402

CORPUS = ROOT / "tests/corpus/user_messages.jsonl"
EXTRA = ("colleague", "month", "name", "desk_label", "desk_features")


def load(path: Path = CORPUS) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def check(ex: dict) -> tuple[dict, object]:
    """Mismatching keys of one corpus line (empty = pass) and the parsed intent."""
    it = parse(ex["text"], parse_now(ex.get("now")), SPACES)
    got = it.to_json()
    bad = {}
    for k, v in ex["expect"].items():
        g = getattr(it, k, None) if k in EXTRA else got.get(k)
        if g != v:
            bad[k] = (g, v)
    return bad, it


def risky_booking(ex: dict, it) -> bool:
    """A message that is not a booking request parsed as a confident booking."""
    return ex["expect"]["intent"] != "book" and it.intent == "book" and it.confidence >= CONFIDENT


def evaluate(lines: list[dict], by: str | None = None) -> dict:
    per: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    groups: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    fails: dict[str, list[str]] = defaultdict(list)
    risky: list[str] = []
    for ex in lines:
        bad, it = check(ex)
        sp = ex.get("split", "dev")
        cell = per[sp][ex["expect"]["intent"]]
        cell[1] += 1
        if not bad:
            cell[0] += 1
        else:
            fails[sp].append(f"{ex['text']!r}: {bad} conf={it.confidence:.2f}")
        if by:
            grp = groups[str(ex.get(by, "-"))]
            grp[1] += 1
            grp[0] += not bad
        if risky_booking(ex, it):
            risky.append(f"[{sp}] {ex['text']!r} -> book {it.confidence:.2f}")
    return {"per": per, "fails": fails, "risky": risky, "groups": groups}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--show", default="dev", choices=["dev", "heldout", "all", "none"])
    ap.add_argument("--file", type=Path, default=CORPUS, help="a JSONL file of {text, expect[, split, now]} lines")
    ap.add_argument("--by", default=None, help="also count per value of this key of the lines (kind, set)")
    a = ap.parse_args()
    r = evaluate(load(a.file), a.by)
    intents = sorted({i for sp in r["per"].values() for i in sp})
    print(f"{'intent':22} {'dev':>12} {'held-out':>12}")
    tot = {"dev": [0, 0], "heldout": [0, 0]}
    for i in intents:
        row = []
        for sp in ("dev", "heldout"):
            ok, n = r["per"][sp].get(i, [0, 0])
            tot[sp][0] += ok
            tot[sp][1] += n
            row.append(f"{ok}/{n}" if n else "-")
        print(f"{i:22} {row[0]:>12} {row[1]:>12}")
    for sp in ("dev", "heldout"):
        ok, n = tot[sp]
        if n:
            print(f"{sp}: {ok}/{n} = {ok / n:.1%}")
    if a.by:
        print(f"per {a.by}:")
        for k, (ok, n) in sorted(r["groups"].items()):
            print(f"  {k:30} {ok}/{n} = {ok / n:.1%}")
    print(f"confident bookings from non-booking messages: {len(r['risky'])}")
    for x in r["risky"]:
        if a.show == "all" or x.startswith(f"[{a.show}]"):
            print("  RISKY", x)
    for sp in ("dev", "heldout"):
        if a.show in (sp, "all"):
            for f in r["fails"][sp]:
                print(f"FAIL[{sp}]", f)


if __name__ == "__main__":
    main()
