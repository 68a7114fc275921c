"""Throughput of `bot.intents.parse` on one core: the parser corpora repeated.

    .venv/bin/python bench/bench_parser.py [--rounds 20] [--cold]

Prints messages per second of wall time and per CPU second of this process (`time.process_time`): on a
shared machine the CPU figure is the one-core throughput, the wall figure includes waiting for a core.
`--cold` also clears the typo-correction cache before every round, so
every distinct word is fuzzy-matched again (the worst case for unseen vocabulary).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.intents import _parser_for, parse  # noqa: E402
from tests.nlu_spaces import SPACES, parse_now  # noqa: E402


def load() -> list[tuple[str, object]]:
    msgs = []
    for path in (ROOT / "tests/corpus/parse_corpus.jsonl", ROOT / "tests/corpus/user_messages.jsonl",
                 ROOT.parent / "shared/corpus/parse_examples.jsonl"):
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    ex = json.loads(line)
                    msgs.append((ex["text"], parse_now(ex.get("now"))))
    return msgs


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--cold", action="store_true", help="clear the typo cache before each round")
    a = ap.parse_args()
    msgs = load()
    t0 = time.perf_counter()
    parse("morgen Olfen", msgs[0][1], SPACES)  # build the parser once
    build = time.perf_counter() - t0
    parser = _parser_for(SPACES)
    n = 0
    elapsed = 0.0
    cpu = 0.0
    best = 0.0
    for _ in range(a.rounds):
        if a.cold:
            parser.clear_caches()
        t = time.perf_counter()
        c = time.process_time()
        for text, now in msgs:
            parse(text, now, SPACES)
        cpu += time.process_time() - c
        dt = time.perf_counter() - t
        best = max(best, len(msgs) / dt)
        elapsed += dt
        n += len(msgs)
    print(f"python {platform.python_version()} on {platform.machine()} {platform.processor() or ''}".strip())
    print(f"parser build (first call): {build * 1000:.1f} ms")
    print(f"{len(msgs)} distinct messages x {a.rounds} rounds{' (cold typo cache)' if a.cold else ''}")
    print(f"wall: {n / elapsed:,.0f} msgs/s mean  ({elapsed / n * 1e6:.1f} us/msg), best round {best:,.0f} msgs/s")
    print(f"cpu:  {n / cpu:,.0f} msgs per CPU second  ({cpu / n * 1e6:.1f} us/msg)")


if __name__ == "__main__":
    main()
