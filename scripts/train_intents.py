"""Train the parser's second opinion, the intent classifier in bot/intent_model.py (pure numpy, deterministic).

    .venv/bin/python scripts/train_intents.py            # train on both corpora, write bot/intent_model.npz
    .venv/bin/python scripts/train_intents.py --cv       # grouped cross-validation: rules alone vs rules+model
    .venv/bin/python scripts/train_intents.py --cv --grid   # ... for a grid of gate thresholds

Training data: tests/corpus/user_messages.jsonl and tests/corpus/parse_corpus.jsonl (label = expect.intent).
Never the lead's measure-only sets (tests/corpus/blind_heldout.jsonl, blind2_heldout.jsonl, blind4_heldout.jsonl and
anything outside the repository).
Each message goes through the rule parser (`_Parser.parse(..., _probe=[])`) to get the classifier's input: the
working text with the entities blanked (placeholder ``#``) and the entity flags. Slash commands and invite codes
never reach the classifier and are skipped.

The model: multinomial logistic regression, L2-regularised, over the features of bot.intent_model.features
(character 2-5-grams of each word, word bigrams, the flags) seen in at least MIN_DF messages;
each message's feature vector is the feature counts / sqrt(number of features).
A second, binary model on the same features (booking request or not) gives the booking probability the gate
checks first (one number per feature, summed without numpy). Both are optimised with a fixed-iteration L-BFGS
from zero weights, so the same data give the same weights.

Cross-validation holds out whole `set`s (the probe sets, the independent dev set, the first 644 lines split by
their dev/held-out split, the older parse corpus): FOLDS folds, sets assigned greedily by size in name order.
Rules alone = the parser with the classifier switched off; rules+model = the real `parse` with the fold's
model (trained without the held-out sets) in the gate. Reported: all keys, intent only, confident bookings of
non-bookings, and true bookings the gate sent below CONFIDENT (asked instead of booked).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot import intents  # noqa: E402
from bot.intent_model import MODEL_PATH, IntentModel, features, model_text  # noqa: E402
from bot.intents import CONFIDENT, _parser_for  # noqa: E402
from tests.nlu_spaces import SPACES, parse_now  # noqa: E402

CORPORA = (ROOT / "tests/corpus/user_messages.jsonl", ROOT / "tests/corpus/parse_corpus.jsonl")
MIN_DF = 2
LAM = 3e-4
ITERS = 150
FOLDS = 8
EXTRA = ("colleague", "month", "name", "desk_label", "desk_features")


def load() -> list[dict]:
    out = []
    for path in CORPORA:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                ex = json.loads(line)
                if path.name == "parse_corpus.jsonl":
                    ex["group"] = "parse_corpus"
                else:
                    ex["group"] = ex.get("set") or f"first-644-{ex.get('split', 'dev')}"
                out.append(ex)
    return out


def probe(ex: dict) -> tuple[str, str] | None:
    got: list = []
    _parser_for(SPACES).parse(ex["text"], parse_now(ex.get("now")), got)
    return got[0] if got else None


def featurise(docs: list[tuple[str, str]], vocab: dict[str, int]):
    """CSR-like arrays: per document the vocabulary rows of its n-grams and flags (duplicates kept)."""
    indptr = [0]
    cols: list[int] = []
    for t, flags in docs:
        r = [vocab[g] for g in features(t, flags) if g in vocab]
        cols.extend(r)
        indptr.append(len(cols))
    indptr = np.asarray(indptr, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    lens = np.diff(indptr)
    vals = np.repeat(1.0 / np.sqrt(np.maximum(lens, 1)), lens)
    rows = np.repeat(np.arange(len(docs)), lens)
    return indptr, cols, vals, rows


def build_vocab(docs: list[tuple[str, str]]) -> dict[str, int]:
    df: dict[str, int] = defaultdict(int)
    for t, flags in docs:
        for g in set(features(t, flags)):
            df[g] += 1
    keep = sorted(g for g, n in df.items() if n >= MIN_DF)
    return {g: i for i, g in enumerate(keep)}


def fit(docs: list[tuple[str, str]], labels: list[str], lam: float | None = None, iters: int = ITERS) -> IntentModel:
    """The multinomial model plus its binary head (booking request or not), both on the same features."""
    lam = LAM if lam is None else lam
    multi = fit_one(docs, labels, lam, iters)
    two = fit_one(docs, ["book" if c == "book" else "other" for c in labels], lam, iters)
    i, j = two.classes.index("book"), two.classes.index("other")
    return IntentModel(multi.vocab, multi.W, multi.b, multi.classes, multi.words,
                       two.W[:, i] - two.W[:, j], float(two.b[i] - two.b[j]))


def fit_one(docs: list[tuple[str, str]], labels: list[str], lam: float, iters: int) -> IntentModel:
    classes = sorted(set(labels))
    vocab = build_vocab(docs)
    indptr, cols, vals, rows = featurise(docs, vocab)
    n, V, C = len(docs), len(vocab), len(classes)
    y = np.asarray([classes.index(c) for c in labels])
    Y = np.zeros((n, C))
    Y[np.arange(n), y] = 1.0
    order = np.argsort(cols, kind="stable")  # column-major view for X^T G
    c_cols, c_rows, c_vals = cols[order], rows[order], vals[order]
    colptr = np.searchsorted(c_cols, np.arange(V))
    starts = indptr[:-1]

    def fg(theta):
        W = theta[:V * C].reshape(V, C)
        b = theta[V * C:]
        Z = np.add.reduceat(W[cols] * vals[:, None], starts, axis=0) + b
        Z -= Z.max(1, keepdims=True)
        P = np.exp(Z)
        P /= P.sum(1, keepdims=True)
        loss = -np.log(P[np.arange(n), y] + 1e-12).mean() + 0.5 * lam * (W * W).sum()
        G = (P - Y) / n
        gW = np.add.reduceat(G[c_rows] * c_vals[:, None], colptr, axis=0) + lam * W
        return loss, np.concatenate([gW.ravel(), G.sum(0)])

    theta = lbfgs(fg, np.zeros(V * C + C), iters)
    words = sorted({tok for t, _ in docs for tok in t.split()})
    return IntentModel(vocab, theta[:V * C].reshape(V, C), theta[V * C:], classes, words)


def lbfgs(fg, x, iters: int, m: int = 10):
    """Plain L-BFGS with Armijo backtracking (deterministic)."""
    f, g = fg(x)
    S: list = []
    Yl: list = []
    for _ in range(iters):
        q = g.copy()
        alphas = []
        for s, yv in reversed(list(zip(S, Yl))):
            a = s.dot(q) / yv.dot(s)
            alphas.append(a)
            q -= a * yv
        if S:
            q *= S[-1].dot(Yl[-1]) / Yl[-1].dot(Yl[-1])
        for (s, yv), a in zip(zip(S, Yl), reversed(alphas)):
            bta = yv.dot(q) / yv.dot(s)
            q += s * (a - bta)
        d = -q
        gd = g.dot(d)
        if gd >= 0:
            d, gd, S, Yl = -g, -g.dot(g), [], []
        step = 1.0
        while True:
            xn = x + step * d
            fn, gn = fg(xn)
            if fn <= f + 1e-4 * step * gd or step < 1e-8:
                break
            step *= 0.5
        s, yv = xn - x, gn - g
        if s.dot(yv) > 1e-10:
            S.append(s)
            Yl.append(yv)
            if len(S) > m:
                S.pop(0)
                Yl.pop(0)
        x, f, g = xn, fn, gn
        if np.abs(g).max() < 1e-6:
            break
    return x


def folds_of(lines: list[dict]) -> dict[str, int]:
    sizes: dict[str, int] = defaultdict(int)
    for ex in lines:
        sizes[ex["group"]] += 1
    load_ = [0] * FOLDS
    out = {}
    for g in sorted(sizes, key=lambda g: (-sizes[g], g)):
        k = min(range(FOLDS), key=lambda i: (load_[i], i))
        out[g] = k
        load_[k] += sizes[g]
    return out


def score(ex: dict, model) -> tuple[bool, bool, bool, bool]:
    """(all keys right, intent right, confident booking of a non-booking, true booking sent below CONFIDENT)."""
    intents._GATE[:] = [(model_text, model)]
    it = _parser_for(SPACES).parse(ex["text"], parse_now(ex.get("now")))
    got = it.to_json()
    ok = all((getattr(it, k, None) if k in EXTRA else got.get(k)) == v for k, v in ex["expect"].items())
    want = ex["expect"]["intent"]
    risky = want != "book" and it.intent == "book" and it.confidence >= CONFIDENT
    asked = want == "book" and not (it.intent == "book" and it.confidence >= CONFIDENT)
    return ok, it.intent == want, risky, asked


def cross_validate(lines: list[dict], grid: bool) -> None:
    fold = folds_of(lines)
    docs = [probe(ex) for ex in lines]
    keep = [i for i, d in enumerate(docs) if d is not None]
    models = []
    t0 = time.time()
    for k in range(FOLDS):
        tr = [i for i in keep if fold[lines[i]["group"]] != k]
        models.append(fit([docs[i] for i in tr], [lines[i]["expect"]["intent"] for i in tr]))
    print(f"{FOLDS} folds trained in {time.time() - t0:.0f} s")
    # the classifier alone (argmax) on the held-out folds
    right = 0
    for i in keep:
        m = models[fold[lines[i]["group"]]]
        p = m.proba(*docs[i])
        right += m.classes[p.index(max(p))] == lines[i]["expect"]["intent"]
    print(f"classifier alone, intent: {right}/{len(keep)} = {right / len(keep):.1%}")
    settings = [(intents.VETO_BOOK, intents.SWAP_SAFE, intents.ADOPT_SAFE, intents.ADOPT_BOOK)]
    if grid:
        settings = [(v, s, a, ab) for v in (0.1, 0.2, 0.3, 0.4, 0.5) for s in (0.9, 1.01)
                    for a in (0.5, 0.8) for ab in (0.6, 1.01)]
    base = [score(ex, None) for ex in lines]
    report("rules alone", base, lines)
    saved = (intents.VETO_BOOK, intents.SWAP_SAFE, intents.ADOPT_SAFE, intents.ADOPT_BOOK)
    try:
        for st in settings:
            intents.VETO_BOOK, intents.SWAP_SAFE, intents.ADOPT_SAFE, intents.ADOPT_BOOK = st
            res = [score(ex, models[fold[ex["group"]]]) for ex in lines]
            report("rules+model veto<%.2f swap>=%.2f adopt>=%.2f adopt_book>=%.2f" % st, res, lines)
    finally:
        intents.VETO_BOOK, intents.SWAP_SAFE, intents.ADOPT_SAFE, intents.ADOPT_BOOK = saved
        intents._GATE.clear()


_OLD_PARSE = r"""
import json, sys
sys.path.insert(0, ".")
from bot.intents import parse
from tests.nlu_spaces import SPACES, parse_now
for line in sys.stdin:
    ex = json.loads(line)
    it = parse(ex["text"], parse_now(ex.get("now")), SPACES)
    out = it.to_json()
    out.update({k: getattr(it, k, None) for k in %r})
    out["confidence"] = getattr(it, "confidence", 1.0)
    print(json.dumps(out))
""" % (EXTRA,)


def first_contact(lines: list[dict], sets: list[str], grid: bool) -> None:
    """Each probe set against the rules as they were before it was written (the parent of the commit that added
    it), alone and with the gate, the classifier trained without the set's fold. The classifier's input comes
    from today's parser (its entity cutting); the intent decision is the old rules'."""
    import subprocess
    import tempfile

    fold = folds_of(lines)
    docs = [probe(ex) for ex in lines]
    need = sorted({fold[s] for s in sets})
    models = {}
    for k in need:
        tr = [i for i, d in enumerate(docs) if d is not None and fold[lines[i]["group"]] != k]
        models[k] = fit([docs[i] for i in tr], [lines[i]["expect"]["intent"] for i in tr])
    recs: list = []
    for name in sets:
        idx = [i for i, ex in enumerate(lines) if ex["group"] == name]
        commit = subprocess.run(["git", "log", "--format=%H", "--reverse", "-S", f'"set": "{name}"', "--",
                                 "tests/corpus/user_messages.jsonl"], cwd=ROOT, capture_output=True, text=True,
                                check=True).stdout.split()[0]
        with tempfile.TemporaryDirectory(prefix="wt-train-intents-") as tmp:
            wt = Path(tmp) / "wt"
            subprocess.run(["git", "worktree", "add", "--detach", str(wt), commit + "^"], cwd=ROOT, check=True,
                           capture_output=True)
            try:
                inp = "".join(json.dumps({"text": lines[i]["text"], "now": lines[i].get("now")}) + "\n" for i in idx)
                out = subprocess.run([sys.executable, "-c", _OLD_PARSE], cwd=wt, input=inp, capture_output=True,
                                     text=True, check=True).stdout.splitlines()
            finally:
                subprocess.run(["git", "worktree", "remove", "--force", str(wt)], cwd=ROOT, check=True)
        m = models[fold[name]]
        for i, o in zip(idx, out):
            recs.append((name, lines[i]["expect"], json.loads(o), m.proba(*docs[i]) if docs[i] else None, m.classes,
                         m.p_book(*docs[i]) if docs[i] else None))
    saved = (intents.VETO_BOOK, intents.SWAP_SAFE, intents.ADOPT_SAFE, intents.ADOPT_BOOK)
    settings = [saved] + ([(v, sw, ad, ab) for v in (0.05, 0.1, 0.2, 0.3, 0.4, 0.5) for sw in (0.8, 0.9, 1.01)
                           for ad in (0.5, 0.6, 0.8, 1.01) for ab in (0.6, 1.01)] if grid else [])
    try:
        for st in settings:
            intents.VETO_BOOK, intents.SWAP_SAFE, intents.ADOPT_SAFE, intents.ADOPT_BOOK = st
            per: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0, 0, 0, 0]))
            for name, exp_, got, p, classes, pb in recs:
                for mode in ("alone", "gate"):
                    g = dict(got)
                    if mode == "gate" and p is not None:
                        g["intent"], g["confidence"], _ = intents.gate(got["intent"], got["confidence"], p, classes,
                                                                       bool(got["dates"] or got["space"]), pb)
                    sure_book = g["intent"] == "book" and g["confidence"] >= CONFIDENT
                    for key in (name, "total"):
                        c = per[key][mode]
                        c[0] += all(g.get(k) == v for k, v in exp_.items())
                        c[1] += g["intent"] == exp_["intent"]
                        c[2] += exp_["intent"] != "book" and sure_book
                        c[3] += exp_["intent"] == "book" and not sure_book
                        c[4] += 1
            a_, g_ = per["total"]["alone"], per["total"]["gate"]
            print("veto<%.2f swap>=%.2f adopt>=%.2f adopt_book>=%.2f: " % st
                  + f"all keys {a_[0]} -> {g_[0]} of {a_[4]} ({a_[0] / a_[4]:.1%} -> {g_[0] / g_[4]:.1%}), "
                  f"intent {a_[1] / a_[4]:.1%} -> {g_[1] / g_[4]:.1%}, confident bookings of non-bookings "
                  f"{a_[2]} -> {g_[2]}, true bookings asked {a_[3]} -> {g_[3]}")
            if st == saved:
                for key in sorted(per, key=lambda k: (k == "total", k)):
                    a_, g_ = per[key]["alone"], per[key]["gate"]
                    print(f"  {key:10} {a_[4]:4} lines: all keys {a_[0]} -> {g_[0]}, intent {a_[1]} -> {g_[1]}, "
                          f"confident bookings of non-bookings {a_[2]} -> {g_[2]}, true bookings asked "
                          f"{a_[3]} -> {g_[3]}")
    finally:
        intents.VETO_BOOK, intents.SWAP_SAFE, intents.ADOPT_SAFE, intents.ADOPT_BOOK = saved


def report(name: str, res: list[tuple[bool, bool, bool, bool]], lines: list[dict]) -> None:
    n = len(res)
    ok, intent, risky, asked = (sum(r[j] for r in res) for j in range(4))
    um = [r for r, ex in zip(res, lines) if ex["group"] != "parse_corpus"]
    print(f"{name}: all keys {ok}/{n} = {ok / n:.2%}, intent {intent / n:.2%}, confident bookings of non-bookings "
          f"{risky}, true bookings asked {asked}; user corpus all keys {sum(r[0] for r in um) / len(um):.2%}")


def main() -> None:
    global LAM
    ap = argparse.ArgumentParser()
    ap.add_argument("--cv", action="store_true", help="grouped cross-validation instead of writing the model")
    ap.add_argument("--grid", action="store_true", help="with --cv: a grid of gate thresholds")
    ap.add_argument("--out", type=Path, default=MODEL_PATH)
    ap.add_argument("--first-contact", nargs="*", metavar="SET",
                    help="probe sets against the rules before each was written (default: blind-dev, probe-19..40)")
    ap.add_argument("--lam", type=float, default=LAM, help=f"L2 strength (default {LAM}; chosen by --first-contact)")
    a = ap.parse_args()
    LAM = a.lam
    lines = load()
    if a.first_contact is not None:
        first_contact(lines, a.first_contact or ["blind-dev"] + [f"probe-{n}" for n in range(19, 41)], a.grid)
        return
    if a.cv:
        cross_validate(lines, a.grid)
        return
    intents._GATE[:] = [(model_text, None)]
    docs = [probe(ex) for ex in lines]
    pairs = [(d, ex["expect"]["intent"]) for d, ex in zip(docs, lines) if d is not None]
    t0 = time.time()
    model = fit([d for d, _ in pairs], [c for _, c in pairs])
    model.save(a.out)
    print(f"{len(pairs)} messages, {len(model.vocab)} features, {len(model.classes)} classes, "
          f"{time.time() - t0:.0f} s -> {a.out} ({a.out.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
