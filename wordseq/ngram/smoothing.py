"""Smoothing: n-gram counts → backoff tables (log10 probabilities and backoff weights).

Every smoothing here is written as an interpolation, p(w|h) = own(hw) + gamma(h) * p(w|h'),
where ``own`` is what the entry ``h w`` keeps for itself and ``gamma(h)`` the weight left
to the shorter context h'. That is stored in backoff form: the entry ``h w`` holds p(w|h)
and ``backoff(h) = gamma(h)``, because a word never seen after ``h`` has no own term. The
backoff ARPA therefore gives exactly the interpolated probabilities.

The distribution at the bottom is uniform over the words a model can predict: the
vocabulary with ``<unk>`` and ``</s>``, without ``<s>`` and ``<pad>``. ``<unk>`` (never
counted unless the input has it, or --min-count maps words to it) gets what interpolation
leaves to it, as in KenLM's lmplz (whose uniform level likewise "includes <unk> but
excludes <s>").

Pruning follows lmplz ``--prune``: an n-gram whose raw count is at most its order's
threshold is dropped and its own mass moves to ``gamma`` of its context, so the model
stays normalised (for Kneser-Ney this is lmplz's formula: the pruned n-grams' adjusted
counts count in full towards the backoff). Discounts are estimated before pruning, as
lmplz does. A limited vocabulary (``--vocab`` / ``--max-vocab``) works like lmplz's
``--limit_vocab_file``: n-grams with a word outside it are pruned, the words themselves
leave the vocabulary (their mass joins the interpolation weight of the bottom level,
which is then uniform over the words kept), and at query time they are ``<unk>``.

A context never seen in training is shortened to its longest seen suffix, as in every
backoff model; for MLE and stupid backoff that is a choice (MLE is undefined there, and
Brants et al. would multiply by 0.4 once more per missing order).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from wordseq.errors import InputError
from wordseq.ngram.config import NORMALISED, SMOOTHINGS  # noqa: F401 (NORMALISED: re-exported)
from wordseq.ngram.counting import NgramCounts
from wordseq.ngram.tables import NgramTables
from wordseq.vocab import SPECIALS, Vocabulary

STUPID_BACKOFF_ALPHA = 0.4  # Brants et al. (2007)
# KenLM's lmplz --discount_fallback default: D1, D2, D3+.
FALLBACK_DISCOUNTS = (0.5, 1.0, 1.5)


@dataclass
class SmoothingReport:
    """What estimation found, for meta.json and the training log."""

    discounts: list[list[float]] = field(default_factory=list)  # D1, D2, D3+ per order
    fallback_orders: list[int] = field(default_factory=list)
    pruned: list[int] = field(default_factory=list)  # entries dropped per order


@dataclass
class Limits:
    """What to leave out of the model: per-order count thresholds and a word list.

    ``prune[n-1]``: n-grams of order n seen at most this often are dropped (lmplz
    ``--prune``); ``keep_words``: a mask over the vocabulary of the words the model keeps
    (None: all).
    """

    prune: tuple[int, ...] | None = None
    keep_words: np.ndarray | None = None

    @property
    def active(self) -> bool:
        return self.keep_words is not None or (self.prune is not None and any(self.prune))


def estimate(
    counts: NgramCounts, smoothing: str, k: float = 1.0, discount_fallback: bool = False,
    discount: float | None = None, limits: Limits | None = None,
) -> tuple[NgramTables, SmoothingReport]:
    """Smoothed tables; ``discount`` fixes kneser-ney's D at every order (as nltk.lm does)."""
    if smoothing not in SMOOTHINGS:
        raise InputError(f"unknown smoothing {smoothing!r}; choose one of {', '.join(SMOOTHINGS)}")
    if smoothing == "add-k" and not k > 0:
        raise InputError("--k must be greater than 0")
    limits = limits or Limits()
    if limits.active and smoothing == "add-k":
        raise InputError("--prune, --vocab and --max-vocab need a backoff model; add-k gives every unseen word "
                         "of a context one fixed probability, so it cannot drop n-grams")
    s = _Structure(counts)
    report = SmoothingReport()
    if smoothing == "add-k":
        prob, floor = _add_k(s, counts, k)
        logp = [_log10(p).astype(np.float32) for p in prob]
        return _to_tables(counts.vocab, counts.order, logp, floor, list(counts.keys), "absolute"), report
    if smoothing in ("modified-kneser-ney", "kneser-ney"):
        fixed = discount if smoothing == "kneser-ney" else None
        parts = _kneser_ney(s, counts, smoothing == "modified-kneser-ney", discount_fallback, report, fixed)
    elif smoothing == "witten-bell":
        parts = _witten_bell(s, counts)
    else:
        parts = _relative_frequencies(s, counts, smoothing)
    keep = _keep_masks(s, counts, limits) if limits.active else None
    if keep is not None:
        parts.move_pruned_mass(s, keep, smoothing)
    prob = parts.compose(s)
    gamma = parts.gamma
    if keep is None:
        return _to_tables(counts.vocab, counts.order, prob, gamma, list(counts.keys), "backoff"), report
    report.pruned = [int((~m).sum()) for m in keep]
    return _compact(counts, prob, gamma, keep), report


class _Structure:
    """Per order n >= 2: each entry's context index, the index of its suffix (its last
    n-1 words) and its first word, as int32 (memory follows the n-grams: 12 bytes each)."""

    def __init__(self, counts: NgramCounts) -> None:
        V = len(counts.vocab)
        self.V = V
        self.order = counts.order
        self.keys = counts.keys
        self.context: list[np.ndarray] = [np.zeros(0, np.int32)]
        self.suffix: list[np.ndarray] = [np.zeros(0, np.int32)]
        self.first: list[np.ndarray] = [np.arange(V, dtype=np.int32)]
        tables = NgramTables(counts.vocab, counts.order, [], [], counts.keys)
        for n in range(2, counts.order + 1):
            keys = counts.keys[n - 1]
            ctx = (keys // V).astype(np.int32)
            self.context.append(ctx)
            if n == 2:
                suffix = (keys % V).astype(np.int32)
            elif len(counts.suffix) >= n and len(counts.suffix[n - 1]) == len(keys):
                suffix = counts.suffix[n - 1].astype(np.int32, copy=False)  # known from counting
            else:
                suffix = tables.lookup(n - 1, self.suffix[n - 2][ctx], keys % V).astype(np.int32)
            self.suffix.append(suffix)
            self.first.append(self.first[n - 2][ctx])

    def word(self, n: int) -> np.ndarray:
        """The last word of each order-n entry."""
        return np.arange(self.V) if n == 1 else self.keys[n - 1] % self.V

    def context_sizes(self, n: int) -> int:
        return self.V if n == 2 else len(self.context[n - 2])


def _predictable(V: int) -> np.ndarray:
    mask = np.ones(V, dtype=bool)
    mask[[0, 2]] = False  # <pad>, <s>
    return mask


@dataclass
class _Parts:
    """own[n-1]: each order-n entry's own mass (order 1: dense); gamma[n-1]: for order
    n >= 2, the weight of each context (an order n-1 entry) on the shorter context, and
    ``gamma[0]`` the scalar weight of the uniform level under the unigrams."""

    own: list[np.ndarray]
    gamma: list[np.ndarray]
    unigram_gamma: float
    uniform: bool = True  # False: unigrams are plain relative frequencies
    dropped_words: np.ndarray | None = None  # left out of the vocabulary: no uniform share

    def compose(self, s: _Structure) -> list[np.ndarray]:
        """log10 p of every entry, order by order, as float32 (each order's float64
        probabilities live only until the next order is built)."""
        own0 = self.own[0]
        if self.uniform:
            mask = _predictable(s.V)
            if self.dropped_words is not None:
                mask &= ~self.dropped_words
            p = np.where(mask, own0 + self.unigram_gamma / mask.sum(), 0.0)
        else:
            p = own0
        logp = []
        for n in range(2, s.order + 1):
            ctx = s.context[n - 1]
            nxt = self.own[n - 1] + self.gamma[n - 1][ctx] * p[s.suffix[n - 1]]
            self.own[n - 1] = np.zeros(0)
            logp.append(_log10(p).astype(np.float32))
            p = nxt
        logp.append(_log10(p).astype(np.float32))
        return logp

    def move_pruned_mass(self, s: _Structure, keep: list[np.ndarray], smoothing: str) -> None:
        """Dropped entries' own mass goes to their context's gamma (so sums stay 1)."""
        if smoothing == "stupid-backoff":
            return  # scores, not probabilities: nothing to keep summing to 1
        for n in range(2, s.order + 1):
            gone = ~keep[n - 1]
            if gone.any():
                self.gamma[n - 1] = self.gamma[n - 1] + np.bincount(
                    s.context[n - 1][gone], weights=self.own[n - 1][gone], minlength=len(self.gamma[n - 1]))
        gone_words = ~keep[0] & _predictable(s.V)
        if gone_words.any():
            mass = float(self.own[0][gone_words].sum())
            if self.uniform:
                # as lmplz: the mass joins the uniform level, spread over the words kept
                self.unigram_gamma += mass
                self.dropped_words = gone_words
            else:
                self.own[0] = self.own[0].copy()
                self.own[0][1] += mass


def _discounts(coc: list[int], order_n: int, modified: bool, fallback: bool, report: SmoothingReport) -> np.ndarray:
    """D1, D2, D3+ from counts-of-counts n1..n4 (Chen & Goodman 1998, eq. 26; KenLM)."""
    n1, n2, n3, n4 = coc
    n = [0, n1, n2, n3, n4]
    f = np.float32  # lmplz computes the discounts in float: so do we, to the same bits
    with np.errstate(divide="ignore", invalid="ignore"):
        y = f(n1) / f(n1 + 2.0 * n2) if n1 + 2 * n2 > 0 else math.nan
        if modified:
            d = [float(f(j) - f(j + 1) * y * f(n[j + 1]) / f(n[j])) if n[j] else math.nan for j in (1, 2, 3)]
        else:
            d = [float(y)] * 3
    # lmplz's range: 0 <= D_j <= j (a D of 0 leaves those n-grams undiscounted)
    bad = [i for i, x in enumerate(d) if math.isnan(x) or not (0 <= x <= i + 1) or (not modified and x == 0)]
    if bad:
        if not fallback:
            i = bad[0]
            raise InputError(
                f"{order_n}-gram discount D{i + 1}{'+' if i == 2 else ''} is {d[i]:.4g}, out of range: "
                f"the corpus is too small or too unusual for {'modified ' if modified else ''}Kneser-Ney "
                f"(counts of counts n1..n4 = {n1}, {n2}, {n3}, {n4}). Train on more text, or rerun with "
                f"--discount-fallback to use discounts {' '.join(map(str, FALLBACK_DISCOUNTS))}"
                + ("" if modified else " (their mean for kneser-ney)")
            )
        report.fallback_orders.append(order_n)
        d = list(FALLBACK_DISCOUNTS) if modified else [float(np.mean(FALLBACK_DISCOUNTS))] * 3
    report.discounts.append([float(x) for x in d])
    return np.array([0.0, *d])


def _adjusted_count(s: _Structure, counts: NgramCounts, n: int) -> np.ndarray:
    """Kneser-Ney counts of order n: raw at the highest order and for n-grams starting
    with <s>; elsewhere the number of distinct words seen before the n-gram."""
    raw = counts.counts[n - 1]
    if n == counts.order:
        return raw.astype(np.float64)
    cont = np.bincount(s.suffix[n], minlength=len(raw)).astype(np.float64)
    adjusted = np.where(s.first[n - 1] == counts.vocab.bos_id, raw, cont)
    if n == 1:
        adjusted[counts.vocab.bos_id] = 0.0
    return adjusted


def _kneser_ney(
    s: _Structure, counts: NgramCounts, modified: bool, fallback: bool, report: SmoothingReport, fixed: float | None
) -> _Parts:
    own: list[np.ndarray] = []
    gamma: list[np.ndarray] = [np.zeros(0)]
    unigram_gamma = 0.0
    for n in range(1, counts.order + 1):
        a = _adjusted_count(s, counts, n)
        ai = a.astype(np.int64)
        coc = np.bincount(np.minimum(ai, 5), minlength=6)[1:5].tolist()
        if fixed is None:
            D = _discounts(coc, n, modified, fallback, report)
        else:
            D = np.array([0.0, fixed, fixed, fixed])
            report.discounts.append([fixed] * 3)
        d_e = np.where(ai > 0, D[np.minimum(ai, 3)], 0.0)
        if n == 1:
            total = a.sum()
            own.append((a - d_e) / total)
            unigram_gamma = float(d_e.sum() / total)
            continue
        ctx = s.context[n - 1]
        m = s.context_sizes(n)
        S = np.bincount(ctx, weights=a, minlength=m)
        Dsum = np.bincount(ctx, weights=d_e, minlength=m)
        with np.errstate(divide="ignore", invalid="ignore"):
            g = np.where(S > 0, Dsum / S, 1.0)
            own.append((a - d_e) / S[ctx])
        gamma.append(g)
    return _Parts(own, gamma, unigram_gamma)


def _witten_bell(s: _Structure, counts: NgramCounts) -> _Parts:
    own: list[np.ndarray] = []
    gamma: list[np.ndarray] = [np.zeros(0)]
    unigram_gamma = 0.0
    for n in range(1, counts.order + 1):
        c = counts.counts[n - 1].astype(np.float64)
        if n == 1:
            total, types = c.sum(), float((c > 0).sum())
            own.append(c / (total + types))
            unigram_gamma = types / (total + types)
            continue
        ctx = s.context[n - 1]
        m = s.context_sizes(n)
        S = np.bincount(ctx, weights=c, minlength=m)
        T = np.bincount(ctx, minlength=m).astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            g = np.where(S > 0, T / (S + T), 1.0)
        gamma.append(g)
        own.append(c / (S + T)[ctx])
    return _Parts(own, gamma, unigram_gamma)


def _add_k(s: _Structure, counts: NgramCounts, k: float) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Lidstone: (c(hw) + k) / (c(h) + k |V|); every unseen word of a seen context gets
    k / (c(h) + k |V|) (stored as the context's absolute 'backoff')."""
    Vp = float(_predictable(s.V).sum())
    prob: list[np.ndarray] = []
    floor: list[np.ndarray] = [np.zeros(0)]
    for n in range(1, counts.order + 1):
        c = counts.counts[n - 1].astype(np.float64)
        if n == 1:
            prob.append(np.where(_predictable(s.V), (c + k) / (c.sum() + k * Vp), 0.0))
            continue
        ctx = s.context[n - 1]
        S = np.bincount(ctx, weights=c, minlength=s.context_sizes(n))
        floor.append(k / (S + k * Vp))
        prob.append((c + k) / (S[ctx] + k * Vp))
    return prob, floor


def _relative_frequencies(s: _Structure, counts: NgramCounts, smoothing: str) -> _Parts:
    """MLE (unseen words of a seen context: 0) and stupid backoff (scores: 0.4 × lower)."""
    weight = 0.0 if smoothing == "mle" else STUPID_BACKOFF_ALPHA
    own: list[np.ndarray] = []
    gamma: list[np.ndarray] = [np.zeros(0)]
    for n in range(1, counts.order + 1):
        c = counts.counts[n - 1].astype(np.float64)
        if n == 1:
            own.append(c / c.sum())
            continue
        ctx = s.context[n - 1]
        S = np.bincount(ctx, weights=c, minlength=s.context_sizes(n))
        gamma.append(np.where(S > 0, weight, 1.0))
        own.append(c / S[ctx])
    if smoothing == "stupid-backoff":
        # scores, not an interpolation: the entry's score replaces the backed-off one
        return _ScoreParts(own, gamma, 0.0, uniform=False)
    return _Parts(own, gamma, 0.0, uniform=False)


class _ScoreParts(_Parts):
    def compose(self, s: _Structure) -> list[np.ndarray]:
        return [_log10(own).astype(np.float32) for own in self.own]


def _keep_masks(s: _Structure, counts: NgramCounts, limits: Limits) -> list[np.ndarray]:
    """Which entries stay, order by order (index 0: words of the vocabulary)."""
    V = s.V
    specials = np.zeros(V, dtype=bool)
    specials[: len(SPECIALS)] = True
    keep_words = np.ones(V, dtype=bool) if limits.keep_words is None else (limits.keep_words | specials)
    prune = limits.prune or (0,) * counts.order
    keep = [keep_words & ((counts.counts[0] > prune[0]) | specials)]
    outside = ~keep_words
    for n in range(2, counts.order + 1):
        outside = outside[s.context[n - 1]] | ~keep_words[s.word(n)]
        keep.append(~outside & (counts.counts[n - 1] > prune[n - 1]))
    return keep


def _log10(x: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.log10(x)


def _to_tables(vocab: Vocabulary, order: int, logp: list[np.ndarray], gamma: list[np.ndarray],
               keys: list[np.ndarray], unseen: str) -> NgramTables:
    """``logp``: log10 p per order; gamma[n-1] (n >= 2) holds, per order n-1 entry, the
    weight of its unseen continuations."""
    backoff = [_log10(g).astype(np.float32) for g in gamma[1:]] + [np.zeros(len(logp[-1]), dtype=np.float32)]
    return NgramTables(vocab, order, logp, backoff, keys, unseen).as_float32()


def _compact(counts: NgramCounts, prob: list[np.ndarray], gamma: list[np.ndarray], keep: list[np.ndarray]) -> NgramTables:
    """Tables of the kept entries only; dropped words leave the vocabulary (their
    counts go to <unk>) and keys are renumbered, which keeps them sorted."""
    vocab = counts.vocab
    words = np.flatnonzero(keep[0])
    new_id = np.cumsum(keep[0]) - 1
    unk_count = vocab.counts[vocab.unk_id] + int(np.asarray(vocab.counts)[~keep[0]].sum())
    new_counts = [vocab.counts[i] for i in words.tolist()]
    new_counts[vocab.unk_id] = unk_count
    new_vocab = Vocabulary([vocab.itos[i] for i in words.tolist()], new_counts)
    V, V2 = len(vocab), len(new_vocab)
    kept_prob = [prob[0][words]]
    kept_gamma: list[np.ndarray] = [np.zeros(0)]
    keys: list[np.ndarray] = [np.zeros(0, np.int64)]
    rank = new_id
    for n in range(2, counts.order + 1):
        m = keep[n - 1]
        ctx, w = np.divmod(counts.keys[n - 1][m], V)
        keys.append(rank[ctx] * V2 + new_id[w])
        kept_prob.append(prob[n - 1][m])
        kept_gamma.append(gamma[n - 1][keep[n - 2]])
        rank = np.cumsum(m) - 1
    return _to_tables(new_vocab, counts.order, kept_prob, kept_gamma, keys, "backoff")
