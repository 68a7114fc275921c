#!/usr/bin/env python3
"""A small mutation tester for the money rules (issue 14, item 11). A check run by hand, not part of CI.

It copies the working tree to a private directory (never touching the real `bot/`), makes one change at a
time to ONE module of that copy, and runs a small test selection against it (`pytest -x`, with a timeout).
A mutant is *killed* when the selection fails (or times out), *survived* when it passes.

Mutants:
* random: `--random N` points drawn with `--seed` from every mutation point of the module (operators below),
  leaving out docstrings, string literals and code that runs only on PostgreSQL (`if ... is_postgres`,
  `... if pg else ...`): the selection runs on SQLite, so those lines are not exercised;
* aimed: a fixed list per module (`AIMED` below), each a text substitution on the current source (found by
  its text, so it survives edits elsewhere; "n/a" if the text is gone).

Operators: `==`/`!=`, `<`/`<=`, `>`/`>=`, `in`/`not in`, `is`/`is not` swapped; `+`/`-`, `*`->`//`,
`//`->`*`, `%`->`//` (also in `+=` ...); `and`/`or`; `not x` -> `x`; an `if`/`while`/`x if c else y`
condition negated; an integer `n` -> `n + 1`; `True`/`False` swapped.

Which test file killed a mutant is read from pytest's summary; with the existing tests listed first
(`--tests tests/test_booking.py tests/test_booking_rules.py`), a mutant whose first failure is in a later
file survived the earlier files alone: the "before" figure comes out of the same run.

    .venv/bin/python scripts/mutate.py bot/booking.py --aimed booking --random 60 --seed 14 \
        --skip _book_day _constraint_name ConflictRetry \
        --tests tests/test_booking.py tests/test_booking_rules.py --pytest-args="-k not postgres" \
        --json /tmp/mut-booking.json

Equivalent mutants (no test can tell them apart) are judged by hand from the list of survivors; see
docs/mutation.md.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# ---------------------------------------------------------------------------------------------
# aimed mutants: (name, old text, new text); old text must occur in the module (first occurrence is changed
# unless "#N" is appended to the name: the N-th occurrence, 1-based)

AIMED: dict[str, list[tuple[str, str, str]]] = {
    "booking": [
        ("no-show refund setting negated", "if self.noshow_refund:", "if not self.noshow_refund:"),
        ("no-show refund flag in the notice", '"refunded": self.noshow_refund}', '"refunded": not self.noshow_refund}'),
        ("pool account of another employer (ORM)", "ContingentAccount.employer_id == employer_id, ContingentAccount.scope == scope",
         "ContingentAccount.employer_id != employer_id, ContingentAccount.scope == scope"),
        ("pool account of another employer (SQL)", "pa ON pa.employer_id = e.id", "pa ON pa.employer_id <> e.id"),
        ("half day booked as whole (team/waitlist path)", "b.charged_halves = halves_for(part, m0, m1) if emp_role else 0",
         "b.charged_halves = 2 if emp_role else 0"),
        ("half day refunded as whole", "used_halves - b.charged_halves, 0)", "used_halves - 2, 0)"),
        ("5-hour boundary: < instead of <=", "end_min - start_min <= HALF_DAY_MAX_MINUTES", "end_min - start_min < HALF_DAY_MAX_MINUTES"),
        ("5-hour boundary moved", "HALF_DAY_MAX_MINUTES = 5 * 60", "HALF_DAY_MAX_MINUTES = 6 * 60"),
        ("undo ignores the cutoff", "if any(not self.refundable(sp, b) for b, sp in rows):", "if False:"),
        ("undo always refunds", "if any(not self.refundable(sp, b) for b, sp in rows):",
         "if any(not self.refundable(sp, b) for b, sp in rows) and False:"),
        ("cutoff minute: <= instead of <", "self.clock.now() < start - timedelta(hours=space.cancel_cutoff_hours)",
         "self.clock.now() <= start - timedelta(hours=space.cancel_cutoff_hours)"),
        ("cutoff a minute late", "self.clock.now() < start - timedelta(hours=space.cancel_cutoff_hours)",
         "self.clock.now() < start - timedelta(hours=space.cancel_cutoff_hours) + timedelta(minutes=1)"),
        ("no promotion after a no-show release", "if self.local_dt(b.day, b.end_min) > now:\n            self._promote_waitlist",
         "if self.local_dt(b.day, b.end_min) < now:\n            self._promote_waitlist"),
        ("promoted member gets a new row instead of the seat", "if existing is not None and seat == 0:",
         "if existing is not None and seat != 0:"),
        ("afternoon boundary at 12:00", "NOON = 13 * 60", "NOON = 12 * 60"),
        ("afternoon starts at opening", "return part, max(NOON, o), c", "return part, o, c"),
        ("minutes of a time dropped", "return int(h) * 60 + int(m or 0)", "return int(h) * 60"),
        ("minutes printed wrong", 'return f"{m // 60:02d}:{m % 60:02d}"', 'return f"{m // 60:02d}:00"'),
        ("cancel refunds after the cutoff too", "if self.refundable(space, b):\n                        result.refunded_halves",
         "if True:\n                        result.refunded_halves"),
    ],
    "intents": [
        ("ordinal suffix ignored", r"|(?<![\d.])\b(\d{1,2})(?:st|nd|rd|th)\b", r"|(?<![\d.])\b(\d{1,2})(?:xx)\b"),
        ("day of month: a past day stays in this month", "            if day < today.day:\n                mo += 1",
         "            if day < today.day:\n                mo += 0"),
        ("day of month: <= instead of <", "            if day < today.day:\n                mo += 1",
         "            if day <= today.day:\n                mo += 1"),
        ("31st: no look into the next months", "            for _ in range(3):\n                if mo > 12:",
         "            for _ in range(1):\n                if mo > 12:"),
        ("31st: year wrap", "                if mo > 12:\n                    y, mo = y + 1, mo - 12",
         "                if mo > 12:\n                    y, mo = y, mo - 12"),
        ("'ab 3' is 03:00", "if not mm.group(3) and not mm.group(2) and t[0] < 7:",
         "if not mm.group(3) and not mm.group(2) and t[0] < 0:"),
        ("'ab 7' is 19:00", "if not mm.group(3) and not mm.group(2) and t[0] < 7:",
         "if not mm.group(3) and not mm.group(2) and t[0] <= 7:"),
        ("'bis 3' is 03:00", "            if not mm.group(3) and t[0] < 7:\n                t = (t[0] + 12, t[1])\n            end",
         "            if not mm.group(3) and t[0] < 0:\n                t = (t[0] + 12, t[1])\n            end"),
        ("slash date: month and day swapped", "return _dm(day, mo, mm.group(3), mm)", "return _dm(mo, day, mm.group(3), mm)"),
        ("slash date: year ignored", "return _dm(day, mo, mm.group(3), mm)", "return _dm(day, mo, None, mm)"),
        ("slash date: 31 refused", "        def _dslash(mm):\n            day, mo = int(mm.group(1)), int(mm.group(2))\n            if 1 <= mo <= 12 and 1 <= day <= 31:",
         "        def _dslash(mm):\n            day, mo = int(mm.group(1)), int(mm.group(2))\n            if 1 <= mo <= 12 and 1 <= day < 31:"),
        ("month end: no clamping", "    for day in (d.day, 30, 29, 28):", "    for day in (d.day,):"),
        ("month end: 30 before 31", "    for day in (d.day, 30, 29, 28):", "    for day in (d.day, 28, 29, 30):"),
        ("month arithmetic: December", "    y, m = divmod(d.month - 1 + n, 12)", "    y, m = divmod(d.month + n, 12)"),
        ("'in einem Monat' is one day", "            else:\n                d = _add_months(today, n)",
         "            else:\n                d = today + timedelta(days=n)"),
        ("two-digit year", "return 2000 + yi if yi < 100 else yi", "return 1900 + yi if yi < 100 else yi"),
    ],
}

# ---------------------------------------------------------------------------------------------
# mutation points


@dataclass
class Mutant:
    id: str
    kind: str  # "random" | "aimed"
    line: int
    what: str
    before: str
    after: str
    status: str = ""  # killed | survived | timeout | n/a | error
    killed_by: str = ""  # the test file of the first failure
    seconds: float = 0.0
    note: str = ""


_CMP_SWAP = {ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
             ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is}
_BIN_SWAP = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.FloorDiv, ast.FloorDiv: ast.Mult, ast.Mod: ast.FloorDiv,
             ast.Div: ast.Mult}


def _mentions_pg(node: ast.AST) -> bool:
    src = ast.unparse(node)
    return bool(re.search(r"is_postgres|\bpg\b|\.pg\b|postgresql|d\.pg", src))


def _excluded_ranges(tree: ast.Module, skip_defs: set[str] = frozenset()) -> list[tuple[int, int]]:
    """Line ranges not mutated: docstrings, the bodies of PostgreSQL-only branches, the functions and classes
    named in `skip_defs`."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name in skip_defs:
            out.append((node.lineno, node.end_lineno))
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                out.append((body[0].lineno, body[0].end_lineno))
        # `if pg: <body>` / `<body> if pg else ...`: the body is PostgreSQL's; `... if sqlite else <orelse>`: the
        # orelse is
        if isinstance(node, (ast.If, ast.IfExp)):
            pg_part = node.body if _mentions_pg(node.test) else node.orelse if _mentions_sqlite(node.test) else None
            for part in (pg_part if isinstance(pg_part, list) else [pg_part] if pg_part is not None else []):
                out.append((part.lineno, part.end_lineno))
    return out


def _mentions_sqlite(node: ast.AST) -> bool:
    return "sqlite" in ast.unparse(node)


def mutation_points(source: str, skip_defs: set[str] = frozenset()) -> list[tuple[ast.AST, str, ast.AST]]:
    """(original node, description, replacement node) for every point, in source order."""
    tree = ast.parse(source)
    excluded = _excluded_ranges(tree, skip_defs)
    in_fstring: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            in_fstring.update(id(n) for n in ast.walk(node))
    pragma = {i + 1 for i, ln in enumerate(source.splitlines()) if "pragma: no cover" in ln}

    def skip(node: ast.AST) -> bool:
        ln = getattr(node, "lineno", None)
        if ln is None or id(node) in in_fstring or ln in pragma:
            return True
        return any(a <= ln <= b for a, b in excluded)

    pts: list[tuple[ast.AST, str, ast.AST]] = []
    import copy

    for node in ast.walk(tree):
        if skip(node):
            continue
        if isinstance(node, ast.Compare):
            for i, op in enumerate(node.ops):
                if type(op) in _CMP_SWAP:
                    new = copy.deepcopy(node)
                    new.ops[i] = _CMP_SWAP[type(op)]()
                    pts.append((node, f"{type(op).__name__} -> {_CMP_SWAP[type(op)].__name__}", new))
        elif isinstance(node, ast.BinOp) and type(node.op) in _BIN_SWAP:
            if isinstance(node.left, ast.Constant) and isinstance(node.left.value, str):
                continue  # string concatenation / formatting
            new = copy.deepcopy(node)
            new.op = _BIN_SWAP[type(node.op)]()
            pts.append((node, f"{type(node.op).__name__} -> {type(new.op).__name__}", new))
        elif isinstance(node, ast.BoolOp):
            new = copy.deepcopy(node)
            new.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
            pts.append((node, f"{type(node.op).__name__} -> {type(new.op).__name__}", new))
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            pts.append((node, "not x -> x", copy.deepcopy(node.operand)))
        elif isinstance(node, ast.Constant) and type(node.value) is int:
            pts.append((node, f"{node.value} -> {node.value + 1}", ast.Constant(node.value + 1)))
        elif isinstance(node, ast.Constant) and type(node.value) is bool:
            pts.append((node, f"{node.value} -> {not node.value}", ast.Constant(not node.value)))
        if isinstance(node, (ast.If, ast.While, ast.IfExp)) and not skip(node.test) \
                and not (isinstance(node.test, ast.UnaryOp) and isinstance(node.test.op, ast.Not)) \
                and not (isinstance(node, ast.If) and _mentions_pg(node.test)):
            neg = ast.UnaryOp(ast.Not(), copy.deepcopy(node.test))
            pts.append((node.test, "condition negated", neg))
    pts.sort(key=lambda p: (p[0].lineno, p[0].col_offset, p[1]))
    return pts


def splice(source: str, node: ast.AST, replacement: str) -> str:
    """The source with `node`'s text replaced (offsets are UTF-8 byte offsets, as ast gives them)."""
    lines = source.encode().splitlines(keepends=True)
    start = sum(len(x) for x in lines[: node.lineno - 1]) + node.col_offset
    end = sum(len(x) for x in lines[: node.end_lineno - 1]) + node.end_col_offset
    data = source.encode()
    return (data[:start] + f"({replacement})".encode() + data[end:]).decode()


def segment(source: str, node: ast.AST) -> str:
    return " ".join((ast.get_source_segment(source, node) or "").split())


# ---------------------------------------------------------------------------------------------
# running


def make_copy(workdir: Path) -> None:
    if workdir.exists():
        shutil.rmtree(workdir)
    ignore = shutil.ignore_patterns(".venv", ".git", "__pycache__", ".pytest_cache", "*.pyc", "results", "dist",
                                    "build", "*.egg-info", "data")
    shutil.copytree(REPO, workdir, ignore=ignore)


def run_tests(workdir: Path, tests: list[str], extra: list[str], timeout: float) -> tuple[str, str, float]:
    env = dict(os.environ, PYTHONPATH=str(workdir), PYTHONDONTWRITEBYTECODE="1", PYTHONHASHSEED="0")
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", "-rf",
           "--timeout", str(int(timeout)), *extra, *tests]
    t0 = time.monotonic()
    try:
        proc = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True, timeout=timeout + 30)
    except subprocess.TimeoutExpired:
        return "timeout", "", time.monotonic() - t0
    dt = time.monotonic() - t0
    out = proc.stdout + proc.stderr
    if proc.returncode == 0:
        return "survived", "", dt
    m = re.search(r"^(?:FAILED|ERROR) (tests/[^:\s]+)", out, re.M)
    if "Timeout" in out and not m:
        return "timeout", "", dt
    return "killed", m.group(1) if m else "(collection/import)", dt


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("module", help="the module to mutate, e.g. bot/booking.py")
    ap.add_argument("--tests", nargs="+", required=True, help="test files, the existing ones first")
    ap.add_argument("--pytest-args", default="", help='extra pytest arguments, e.g. "-k not postgres"')
    ap.add_argument("--random", type=int, default=60)
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--aimed", choices=sorted(AIMED), help="also run the aimed mutants of this module")
    ap.add_argument("--skip", nargs="*", default=[], metavar="NAME",
                    help="functions or classes left out of the random draw (e.g. retry plumbing only races reach)")
    ap.add_argument("--workdir", type=Path, help="private copy (default /tmp/mut-<module>)")
    ap.add_argument("--timeout", type=float, help="per mutant, seconds (default 3 x the clean run, at least 60)")
    ap.add_argument("--json", type=Path, help="write every mutant and its outcome here")
    ap.add_argument("--list", action="store_true", help="only list the chosen mutants")
    ap.add_argument("--only", nargs="*", metavar="ID",
                    help="run only these mutants of the same draw (e.g. the survivors again, after adding tests)")
    args = ap.parse_args(argv)

    name = Path(args.module).stem
    workdir = args.workdir or Path(f"/tmp/mut-{name}")
    if workdir.resolve() == REPO or REPO in workdir.resolve().parents:
        ap.error("the work directory must be outside the repository")
    make_copy(workdir)
    target = workdir / args.module
    original = target.read_text()
    extra = args.pytest_args.split() if args.pytest_args else []
    # "-k not postgres" must stay one argument for -k
    if len(extra) >= 2 and extra[0] == "-k":
        extra = ["-k", " ".join(extra[1:])]

    pts = mutation_points(original, set(args.skip))
    rng = random.Random(args.seed)
    chosen = sorted(rng.sample(range(len(pts)), min(args.random, len(pts))))
    mutants: list[tuple[Mutant, str]] = []
    for k in chosen:
        node, what, new = pts[k]
        before, after = segment(original, node), ast.unparse(new)
        src = splice(original, node, after)
        mutants.append((Mutant(f"r{k}", "random", node.lineno, what, before, after), src))
    for i, (what, old, new) in enumerate(AIMED.get(args.aimed or "", [])):
        m = Mutant(f"a{i}", "aimed", 0, what, " ".join(old.split()), " ".join(new.split()))
        pos = original.find(old)
        if pos < 0:
            m.status, m.note = "n/a", "text not found in the current module"
            mutants.append((m, ""))
            continue
        m.line = original.count("\n", 0, pos) + 1
        mutants.append((m, original[:pos] + new + original[pos + len(old):]))

    if args.only:
        mutants = [(m, src) for m, src in mutants if m.id in set(args.only)]
    print(f"{args.module}: {len(pts)} mutation points, {len(chosen)} random (seed {args.seed}), "
          f"{sum(1 for m, _ in mutants if m.kind == 'aimed')} aimed; copy in {workdir}")
    if args.list:
        for m, _ in mutants:
            print(f"{m.id:>6} {m.kind:6} L{m.line:<5} {m.what:40} {m.before!r} -> {m.after!r}")
        return 0

    # the clean run: the copy must pass, and its own bot/ must be the one imported
    probe = subprocess.run([sys.executable, "-c", "import bot; print(bot.__file__)"], cwd=workdir, text=True,
                           capture_output=True, env=dict(os.environ, PYTHONPATH=str(workdir)))
    if not probe.stdout.strip().startswith(str(workdir)):
        print(f"the copy does not import its own bot/: {probe.stdout.strip()} {probe.stderr.strip()}")
        return 2
    status, by, secs = run_tests(workdir, args.tests, extra, 600)
    if status != "survived":
        print(f"the unmutated copy fails ({status}, {by}): fix that first")
        return 2
    timeout = args.timeout or max(60.0, 3 * secs)
    print(f"clean run {secs:.0f} s; timeout per mutant {timeout:.0f} s")

    try:
        for n, (m, src) in enumerate(mutants, 1):
            if m.status == "n/a":
                print(f"[{n}/{len(mutants)}] {m.id} n/a: {m.what}")
                continue
            try:
                compile(src, str(target), "exec")
            except SyntaxError as exc:
                m.status, m.note = "error", f"does not compile: {exc}"
                continue
            target.write_text(src)
            m.status, m.killed_by, m.seconds = run_tests(workdir, args.tests, extra, timeout)
            target.write_text(original)
            print(f"[{n}/{len(mutants)}] {m.id:>6} {m.status:8} {m.killed_by:32} L{m.line:<5} {m.what}: "
                  f"{m.before!r} -> {m.after!r}", flush=True)
    finally:
        target.write_text(original)

    done = [m for m, _ in mutants]
    first = args.tests[0]
    for kind in ("random", "aimed"):
        ms = [m for m in done if m.kind == kind and m.status in ("killed", "survived", "timeout")]
        killed = [m for m in ms if m.status != "survived"]
        before = [m for m in killed if m.killed_by == first or m.status == "timeout"]
        print(f"{kind}: {len(killed)}/{len(ms)} killed by the selection; {len(before)}/{len(ms)} by {first} alone")
    print("survivors:")
    for m in done:
        if m.status == "survived":
            print(f"  {m.id:>6} L{m.line:<5} {m.what}: {m.before!r} -> {m.after!r}")
    if args.json:
        args.json.write_text(json.dumps({"module": args.module, "tests": args.tests, "pytest_args": extra,
                                         "seed": args.seed, "skip": args.skip, "points": len(pts),
                                         "mutants": [asdict(m) for m in done]}, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
