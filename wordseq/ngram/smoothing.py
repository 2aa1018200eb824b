"""Smoothing: n-gram counts → backoff tables (log10 probabilities and backoff weights).

Interpolated models (Kneser-Ney, modified Kneser-Ney, Witten-Bell) are computed in their
interpolated form, p(w|h) = own(hw) + gamma(h) * p(w|h'), and stored in backoff form:
the entry ``h w`` holds that p(w|h), and ``backoff(h) = gamma(h)``, because for a word
never seen after ``h`` the own term is 0. The backoff ARPA therefore gives exactly the
interpolated probabilities.

The distribution at the bottom is uniform over the words a model can predict: the
vocabulary with ``<unk>`` and ``</s>``, without ``<s>`` and ``<pad>``. ``<unk>`` (never
counted unless the input has it, or --min-count maps words to it) gets what interpolation
leaves to it, as in KenLM's lmplz (whose uniform level likewise "includes <unk> but
excludes <s>").

A context never seen in training is shortened to its longest seen suffix, as in every
backoff model; for MLE and stupid backoff that is a choice (MLE is undefined there, and
Brants et al. would multiply by 0.4 once more per missing order).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from wordseq.errors import InputError
from wordseq.ngram.counting import NgramCounts
from wordseq.ngram.tables import NgramTables

SMOOTHINGS = ("modified-kneser-ney", "kneser-ney", "witten-bell", "add-k", "mle", "stupid-backoff")
NORMALISED = ("modified-kneser-ney", "kneser-ney", "witten-bell", "add-k", "mle")
STUPID_BACKOFF_ALPHA = 0.4  # Brants et al. (2007)
# KenLM's lmplz --discount_fallback default: D1, D2, D3+.
FALLBACK_DISCOUNTS = (0.5, 1.0, 1.5)


@dataclass
class SmoothingReport:
    """What estimation found, for meta.json: discounts per order (Kneser-Ney family)."""

    discounts: list[list[float]] = field(default_factory=list)
    fallback_orders: list[int] = field(default_factory=list)


def estimate(
    counts: NgramCounts, smoothing: str, k: float = 1.0, discount_fallback: bool = False, discount: float | None = None
) -> tuple[NgramTables, SmoothingReport]:
    """Smoothed tables; ``discount`` fixes kneser-ney's D at every order (as nltk.lm does)."""
    if smoothing not in SMOOTHINGS:
        raise InputError(f"unknown smoothing {smoothing!r}; choose one of {', '.join(SMOOTHINGS)}")
    if smoothing == "add-k" and not k > 0:
        raise InputError("--k must be greater than 0")
    structure = _Structure(counts)
    report = SmoothingReport()
    if smoothing in ("modified-kneser-ney", "kneser-ney"):
        fixed = discount if smoothing == "kneser-ney" else None
        prob, gamma = _kneser_ney(structure, counts, smoothing == "modified-kneser-ney", discount_fallback, report, fixed)
    elif smoothing == "witten-bell":
        prob, gamma = _witten_bell(structure, counts)
    elif smoothing == "add-k":
        prob, gamma = _add_k(structure, counts, k)
    else:
        prob, gamma = _relative_frequencies(structure, counts, smoothing)
    return _to_tables(counts, prob, gamma, "absolute" if smoothing == "add-k" else "backoff"), report


class _Structure:
    """Per order n >= 2: the context index, word, suffix index and first word of entries."""

    def __init__(self, counts: NgramCounts) -> None:
        V = len(counts.vocab)
        self.V = V
        self.order = counts.order
        self.context: list[np.ndarray] = [np.zeros(0, np.int64)]
        self.word: list[np.ndarray] = [np.arange(V, dtype=np.int64)]
        self.suffix: list[np.ndarray] = [np.zeros(0, np.int64)]
        self.first: list[np.ndarray] = [np.arange(V, dtype=np.int64)]
        tables = NgramTables(counts.vocab, counts.order, [], [], counts.keys)
        for n in range(2, counts.order + 1):
            keys = counts.keys[n - 1]
            ctx, w = keys // V, keys % V
            self.context.append(ctx)
            self.word.append(w)
            if n == 2:
                suffix = w
            else:
                suffix = tables.lookup(n - 1, self.suffix[n - 2][ctx], w)
            self.suffix.append(suffix)
            self.first.append(self.first[n - 2][ctx])

    def context_sizes(self, n: int) -> int:
        return self.V if n == 2 else len(self.context[n - 2])


def _predictable(V: int) -> np.ndarray:
    mask = np.ones(V, dtype=bool)
    mask[[0, 2]] = False  # <pad>, <s>
    return mask


def _interpolate_unigram(own: np.ndarray, gamma0: float, V: int) -> np.ndarray:
    mask = _predictable(V)
    return np.where(mask, own + gamma0 / mask.sum(), 0.0)


def _discounts(coc: list[int], order_n: int, modified: bool, fallback: bool, report: SmoothingReport) -> np.ndarray:
    """D1, D2, D3+ from counts-of-counts n1..n4 (Chen & Goodman 1998, eq. 26; KenLM)."""
    n1, n2, n3, n4 = coc
    with np.errstate(divide="ignore", invalid="ignore"):
        y = n1 / (n1 + 2.0 * n2) if n1 + 2 * n2 > 0 else math.nan
        if modified:
            d = [
                1 - 2 * y * n2 / n1 if n1 else math.nan,
                2 - 3 * y * n3 / n2 if n2 else math.nan,
                3 - 4 * y * n4 / n3 if n3 else math.nan,
            ]
        else:
            d = [y, y, y]
    bad = [i for i, x in enumerate(d) if not (0 < x <= i + 1) or math.isnan(x)]
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


def _adjusted_counts(s: _Structure, counts: NgramCounts) -> list[np.ndarray]:
    """Kneser-Ney counts: raw at the highest order and for n-grams starting with <s>;
    elsewhere the number of distinct words seen before the n-gram."""
    bos = counts.vocab.bos_id
    adjusted = []
    for n in range(1, counts.order + 1):
        raw = counts.counts[n - 1]
        if n == counts.order:
            adjusted.append(raw.astype(np.float64))
            continue
        cont = np.bincount(s.suffix[n], minlength=len(raw)).astype(np.float64)
        adjusted.append(np.where(s.first[n - 1] == bos, raw, cont))
    adjusted[0][bos] = 0.0
    return adjusted


def _kneser_ney(
    s: _Structure, counts: NgramCounts, modified: bool, fallback: bool, report: SmoothingReport, fixed: float | None
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    adjusted = _adjusted_counts(s, counts)
    prob: list[np.ndarray] = []
    gamma: list[np.ndarray] = []
    for n in range(1, counts.order + 1):
        a = adjusted[n - 1]
        ai = a.astype(np.int64)
        coc = [int((ai == c).sum()) for c in (1, 2, 3, 4)]
        if fixed is None:
            D = _discounts(coc, n, modified, fallback, report)
        else:
            D = np.array([0.0, fixed, fixed, fixed])
            report.discounts.append([fixed] * 3)
        d_e = np.where(ai > 0, D[np.minimum(ai, 3)], 0.0)
        if n == 1:
            total = a.sum()
            own = (a - d_e) / total
            g0 = d_e.sum() / total
            prob.append(_interpolate_unigram(own, g0, s.V))
            continue
        ctx = s.context[n - 1]
        m = s.context_sizes(n)
        S = np.bincount(ctx, weights=a, minlength=m)
        Dsum = np.bincount(ctx, weights=d_e, minlength=m)
        with np.errstate(divide="ignore", invalid="ignore"):
            g = np.where(S > 0, Dsum / S, 1.0)
        gamma.append(g)
        prob.append((a - d_e) / S[ctx] + g[ctx] * prob[n - 2][s.suffix[n - 1]])
    return prob, gamma


def _witten_bell(s: _Structure, counts: NgramCounts) -> tuple[list[np.ndarray], list[np.ndarray]]:
    prob: list[np.ndarray] = []
    gamma: list[np.ndarray] = []
    for n in range(1, counts.order + 1):
        c = counts.counts[n - 1].astype(np.float64)
        if n == 1:
            total, types = c.sum(), float((c > 0).sum())
            prob.append(_interpolate_unigram(c / (total + types), types / (total + types), s.V))
            continue
        ctx = s.context[n - 1]
        m = s.context_sizes(n)
        S = np.bincount(ctx, weights=c, minlength=m)
        T = np.bincount(ctx, minlength=m).astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            g = np.where(S > 0, T / (S + T), 1.0)
        gamma.append(g)
        prob.append(c / (S + T)[ctx] + g[ctx] * prob[n - 2][s.suffix[n - 1]])
    return prob, gamma


def _add_k(s: _Structure, counts: NgramCounts, k: float) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Lidstone: (c(hw) + k) / (c(h) + k |V|); every unseen word of a seen context gets
    k / (c(h) + k |V|) (stored as the context's absolute 'backoff')."""
    Vp = float(_predictable(s.V).sum())
    prob: list[np.ndarray] = []
    floor: list[np.ndarray] = []
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


def _relative_frequencies(s: _Structure, counts: NgramCounts, smoothing: str) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """MLE (unseen words of a seen context: 0) and stupid backoff (scores: 0.4 × lower)."""
    weight = 0.0 if smoothing == "mle" else STUPID_BACKOFF_ALPHA
    prob: list[np.ndarray] = []
    gamma: list[np.ndarray] = []
    for n in range(1, counts.order + 1):
        c = counts.counts[n - 1].astype(np.float64)
        if n == 1:
            prob.append(c / c.sum())
            continue
        ctx = s.context[n - 1]
        S = np.bincount(ctx, weights=c, minlength=s.context_sizes(n))
        gamma.append(np.where(S > 0, weight, 1.0))
        prob.append(c / S[ctx])
    return prob, gamma


def _log10(x: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.log10(x)


def _to_tables(counts: NgramCounts, prob: list[np.ndarray], gamma: list[np.ndarray], unseen: str) -> NgramTables:
    """gamma[n-2] holds, per order n-1 entry, the weight of its unseen continuations."""
    logp = [_log10(p) for p in prob]
    backoff = [_log10(g) for g in gamma] + [np.zeros(len(prob[-1]))]
    return NgramTables(counts.vocab, counts.order, logp, backoff, list(counts.keys), unseen)
