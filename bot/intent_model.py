"""A small learned intent classifier: the parser's second opinion (issue 13, item 4).

What it is
----------
A multinomial logistic regression over **character 2-5-grams** of the parser's working text, i.e. the folded,
typo-corrected message with every entity the rules cut out (dates, times, parts of day, the space, desks, a
name) replaced by the placeholder ``#``, plus a few flag features (``\\x00D`` a date was read, ``\\x00P`` all
dates are past, ``\\x00S`` a space, ``\\x00T`` a time, ``\\x00H`` a part of day, ``\\x00N`` several desks,
``\\x00Q`` the rules saw a question, ``\\x00E`` English). So it learns phrasing, not towns or dates.

It is trained by ``scripts/train_intents.py`` (pure numpy, deterministic) on ``tests/corpus/user_messages.jsonl``
and ``tests/corpus/parse_corpus.jsonl`` and shipped as ``bot/intent_model.npz`` (package data; nothing is
downloaded). The file holds the n-gram vocabulary, the weights (float16) and the class names. It is loaded
lazily, once per process, on the first message that needs it; numpy is a dependency of deskbot (pyproject.toml).

How ``bot.intents.parse`` uses it (conservatively; thresholds chosen by grouped cross-validation, see
bench/PARSER.md): only on messages the rules would book confidently (a low booking probability sends the
message below ``CONFIDENT``, so the dialogue asks, with the classifier's choice as ``alternative``) and on
messages the rules leave ``unknown`` (a confident classifier intent is offered as a question, or answered
directly for the intents that change nothing).
"""

from __future__ import annotations

import re
import threading
from math import exp
from pathlib import Path

MODEL_PATH = Path(__file__).with_name("intent_model.npz")
NGRAMS = (2, 3, 4, 5)
_GAP = re.compile(r" {2,}")  # the parser blanks entities with spaces: a run of spaces is a cut-out entity


def model_text(w: str) -> str:
    """The classifier's view of the parser's working copy `w` (entities blanked): runs of blanks -> ' # '."""
    return " ".join(_GAP.sub(" # ", w).split())


def word_grams(tok: str) -> list[str]:
    """Character n-grams of one word padded with spaces (" # " for an entity)."""
    p = " " + tok + " "
    return [p[i:i + n] for n in NGRAMS for i in range(len(p) - n + 1)]


def features(t: str, flags: str) -> list[str]:
    """All features of model text `t` (duplicates kept): the words' character n-grams, the word bigrams
    (``\x01a b``, with ``^``/``$`` at the ends) and the flags (``\x00D`` ...). The training side; the runtime
    side (`IntentModel.proba`) computes the same sum with a table of per-word vectors."""
    toks = t.split()
    out: list[str] = []
    for tok in toks:
        out.extend(word_grams(tok))
    seq = ["^", *toks, "$"]
    out.extend("\x01" + a + " " + b for a, b in zip(seq, seq[1:]))
    out.extend("\x00" + f for f in flags)
    return out


class IntentModel:
    """Weights `W` (features x classes), bias `b`, the feature -> row index `vocab`, the class names and the
    known words (each word's n-gram rows are summed once at load time, so a message costs one lookup per word,
    not one per n-gram). Optionally a binary head `wb`, `bb` (booking request or not, same features): one
    number per feature, summed in plain Python, so checking a confident booking needs no numpy call."""

    def __init__(self, vocab: dict[str, int], W, b, classes: list[str], words: list[str], wb=None, bb: float = 0.0):
        import numpy as np

        self.np = np
        self.vocab = vocab
        self.W = np.asarray(W, dtype=np.float32)
        self.b = np.asarray(b, dtype=np.float32)
        self.classes = list(classes)
        self.index = {c: i for i, c in enumerate(self.classes)}
        self.words = list(words)
        V = len(vocab)
        ptr = [0]
        cols: list[int] = []
        counts: list[int] = []
        for wd in self.words:
            r = [vocab[g] for g in word_grams(wd) if g in vocab]
            counts.append(len(r))
            cols.extend(r or [V])  # V: a zero row, so no segment is empty
            ptr.append(len(cols))
        W2 = self.W if wb is None else np.hstack([self.W, np.asarray(wb, dtype=np.float32).reshape(-1, 1)])
        Wz = np.vstack([W2, np.zeros((1, W2.shape[1]), dtype=np.float32)])
        WW = np.add.reduceat(Wz[cols], ptr[:-1], axis=0) if cols else np.zeros((0, W2.shape[1]), np.float32)
        M = np.vstack([W2, WW])  # rows 0..V-1: features, V..: known words (one gather per message)
        C = len(self.classes)
        self.M = np.ascontiguousarray(M[:, :C])
        self.wb = None if wb is None else np.asarray(wb, dtype=np.float32)
        self.bb = float(bb)
        self.sb = None if wb is None else M[:, C].tolist()  # the binary head per row, as Python floats
        self.wcount = counts
        self.word_index = {wd: V + i for i, wd in enumerate(self.words)}
        self.blist = self.b.tolist()

    def rows(self, t: str, flags: str) -> tuple[list[int], int]:
        """The rows of `M` for model text `t` (see `model_text`) and the flag letters, and the feature count."""
        get = self.vocab.get
        wget = self.word_index.get
        wcount = self.wcount
        V = len(self.vocab)
        toks = t.split()
        rows: list[int] = []
        n = 0
        for tok in toks:
            r = wget(tok)
            if r is None:  # a word the training never saw: its n-grams one by one
                found = [j for j in map(get, word_grams(tok)) if j is not None]
                rows.extend(found)
                n += len(found)
            else:
                rows.append(r)
                n += wcount[r - V]
        prev = "^"
        for tok in toks:
            j = get("\x01" + prev + " " + tok)
            if j is not None:
                rows.append(j)
                n += 1
            prev = tok
        for key in ("\x01" + prev + " $", *("\x00" + f for f in flags)):
            j = get(key)
            if j is not None:
                rows.append(j)
                n += 1
        return rows, n

    def proba_rows(self, rows: list[int], n: int) -> list[float]:
        if n:
            k = 1.0 / n ** 0.5
            z = [a * k + c for a, c in zip(self.M[rows].sum(0).tolist(), self.blist)]
        else:
            z = self.blist
        top = max(z)
        e = [exp(v - top) for v in z]
        tot = sum(e)
        return [v / tot for v in e]

    def proba(self, t: str, flags: str) -> list[float]:
        """Class probabilities (in `classes` order) for model text `t` and the flag letters."""
        return self.proba_rows(*self.rows(t, flags))

    def p_book_rows(self, rows: list[int], n: int) -> float:
        """The binary head's probability that the message is a booking request (the multinomial's without it)."""
        if self.sb is None:
            return self.proba_rows(rows, n)[self.index["book"]]
        sb = self.sb
        z = self.bb + (sum([sb[r] for r in rows]) / n ** 0.5 if n else 0.0)
        return 1.0 / (1.0 + exp(-z)) if z > -30 else 0.0

    def p_book(self, t: str, flags: str) -> float:
        return self.p_book_rows(*self.rows(t, flags))

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> IntentModel:
        import numpy as np

        with np.load(path, allow_pickle=False) as z:
            vocab_list = bytes(z["vocab"]).decode("utf-8").split("\n")
            classes = bytes(z["classes"]).decode("utf-8").split("\n")
            words = bytes(z["words"]).decode("utf-8").split("\n")
            W = z["W"].astype(np.float32)
            b = z["b"].astype(np.float32)
            wb = z["wb"].astype(np.float32) if "wb" in z.files else None
            bb = float(z["bb"][0]) if "bb" in z.files else 0.0
        return cls({g: i for i, g in enumerate(vocab_list)}, W, b, classes, words, wb, bb)

    def save(self, path: Path) -> None:
        np = self.np

        def blob(items: list[str]):
            return np.frombuffer("\n".join(items).encode("utf-8"), dtype=np.uint8)

        extra = {} if self.wb is None else {"wb": self.wb.astype(np.float16), "bb": np.asarray([self.bb], np.float32)}
        np.savez_compressed(path, vocab=blob(sorted(self.vocab, key=self.vocab.get)), classes=blob(self.classes),
                            words=blob(self.words), W=self.W.astype(np.float16), b=self.b.astype(np.float16),
                            **extra)


_LOCK = threading.Lock()
_MODEL: list = []  # [IntentModel | None] once loaded


def get_model() -> IntentModel | None:
    """The shipped model, loaded once (None when the file or numpy is missing: the rules then decide alone)."""
    if _MODEL:
        return _MODEL[0]
    with _LOCK:
        if not _MODEL:
            try:
                _MODEL.append(IntentModel.load())
            except (OSError, ImportError, KeyError, ValueError):
                _MODEL.append(None)
    return _MODEL[0]
