"""Counting and estimation in partitions of the n-gram space: the pieces that let a model
be built with bounded memory, on one machine (``spill.py``) or on a cluster
(``cluster.py``).

Every table of order n >= 2 is sorted by its n-gram's word ids, first word first
(``tables.py``). A partition is a range ``[lo, hi)`` of bigram keys ``w1 * V + w2``: its
n-grams of every order are one contiguous slice of each table, and everything
Kneser-Ney needs about an n-gram but one thing lives in the same partition, because it
shares the first two words:

- raw counts, and the context sums (``S``, the discounts' sum) of its context — but for
  bigrams whose first word is split between partitions (a word too frequent for one):
  those few contexts' sums are made on the client from each part's entries, in order
  (``edge_entries``), and handed back (``ContextTotals``);
- the adjusted count (how many distinct words precede it), because each *row* below
  carries the word before its window;
- the counts of counts, which are sums over partitions.

The one thing that does not is interpolation with the lower order, which needs
``p(w2 .. wn)``: that lives in the partition of ``w2``. It is asked for by words and
answered by the partition that holds it (``suffix_requests`` and the pipeline's
``answer_step``), order by order — the second shuffle, keyed by each n-gram's suffix. The
answer also says where the suffix was found, so the next order's request is one lookup.

A row is ``(left, t_j, .., t_{j+N-1})`` for a position ``j`` that starts an n-gram of
order >= 2 (-1 past the sentence's end; ``left`` -1 at ``<s>``); rows may carry weights
(counts of such windows). A block of text becomes rows (``window_rows``), split by
partition (``split_rows``), and only they travel, never text.

Arithmetic is the same as ``smoothing.py``'s, entry for entry and in the same order
(bincount adds each context's entries in table order, and a split context's entries are
added in the same order on the client), so the tables come out bit for bit equal.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from wordseq.ngram.executors import spillable
from wordseq.ngram.tables import unique_keys

ROW_DTYPE = np.int32


# -- text → rows ----------------------------------------------------------------------------------


def window_rows(tokens: np.ndarray, positions: np.ndarray, lo: int, hi: int, order: int) -> np.ndarray:
    """Rows of the positions ``lo <= j < hi`` of a token buffer (``positions``: 0 at each
    ``<s>``). The buffer must hold ``order - 1`` tokens after ``hi`` unless the corpus
    ends there, and the token before ``lo`` unless ``lo`` starts a sentence."""
    if order < 2 or hi <= lo:
        return np.zeros((0, order + 1), dtype=ROW_DTYPE)
    # padded so that every shifted view below is a slice (no gathers): past the end is
    # no word, in a sentence of its own
    t = np.concatenate([[-1], tokens[: hi + order], np.full(order, -1)]).astype(ROW_DTYPE)
    p = np.concatenate([[0], positions[: hi + order], np.zeros(order, positions.dtype)])
    width = hi - lo
    rows = np.empty((width, order + 1), dtype=ROW_DTYPE)
    rows[:, 0] = np.where(p[lo + 1 : hi + 1] != 0, t[lo : hi], -1)
    rows[:, 1] = t[lo + 1 : hi + 1]
    same = np.ones(width, dtype=bool)
    for k in range(1, order):
        same &= p[lo + 1 + k : hi + 1 + k] != 0
        rows[:, k + 1] = np.where(same, t[lo + 1 + k : hi + 1 + k], -1)
    return rows[rows[:, 2] >= 0]


def split_rows(rows: np.ndarray, weights: np.ndarray | None, bounds: np.ndarray,
               vocab_size: int) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """Rows (and weights) per partition; ``bounds[p]`` is partition p's first bigram key."""
    order, ends = group_by_partition(rows[:, 1], rows[:, 2], bounds, vocab_size)
    out = []
    for a, b in zip([0, *ends[:-1]], ends):
        sel = order[a:b]
        out.append((rows[sel], None if weights is None else weights[sel]))
    return out


def concat_rows(parts: list[tuple[np.ndarray, np.ndarray | None]], order: int) -> tuple[np.ndarray, np.ndarray | None]:
    """One block of rows from several (weights: all or none)."""
    rows = [r for r, _ in parts if len(r)]
    if not rows:
        return np.zeros((0, order + 1), dtype=ROW_DTYPE), None
    if all(w is None for _, w in parts):
        return np.concatenate(rows), None
    weights = [np.ones(len(r), np.int64) if w is None else w for r, w in parts if len(r)]
    return np.concatenate(rows), np.concatenate(weights)


# -- rows → a partition's counts ------------------------------------------------------------------


@spillable
@dataclass
class PartitionCounts:
    """The n-grams of orders 2..N whose bigram key ``w1 * V + w2`` is in ``[lo, hi)``.

    ``keys[n-1]`` are sorted: for n = 2 the global key ``w1 * V + w2``; for n >= 3
    ``local * V + w`` with ``local`` the index of the first n-1 words in this partition's
    order n-1 table. ``adjusted[n-1]``: Kneser-Ney's count (raw at order N and for
    n-grams that start with ``<s>``).
    ``cont1``: over the whole vocabulary, how many of this partition's bigrams end in each
    word (order 1's adjusted counts are their sum over partitions). Bigram contexts (first
    words) run from ``first_word`` to ``last_word``; the ones the partition *owns* (whose
    unigram backoff it writes) from ``ceil(lo / V)`` to ``ceil(hi / V)``.
    """

    lo: int
    hi: int
    order: int
    vocab_size: int
    keys: list[np.ndarray] = field(default_factory=list)
    raw: list[np.ndarray] = field(default_factory=list)
    adjusted: list[np.ndarray] = field(default_factory=list)
    cont1: np.ndarray | None = None

    @property
    def first_word(self) -> int:
        return self.lo // self.vocab_size

    @property
    def last_word(self) -> int:
        return (self.hi - 1) // self.vocab_size

    def owned_words(self) -> slice:
        """The words (as offsets from ``first_word``) whose unigram backoff this partition writes."""
        V = self.vocab_size
        return slice(-(-self.lo // V) - self.first_word, -(-self.hi // V) - self.first_word)

    def split_words(self) -> list[int]:
        """First words shared with the partition before or after."""
        V = self.vocab_size
        return sorted({w for w, cut in ((self.first_word, self.lo % V), (self.last_word, self.hi % V)) if cut})

    def sizes(self) -> list[int]:
        return [len(k) for k in self.keys[1:]]

    def context(self, n: int) -> np.ndarray:
        """Each order-n entry's context as an index into this partition's contexts."""
        ctx = self.keys[n - 1] // self.vocab_size
        return ctx - self.first_word if n == 2 else ctx

    def context_count(self, n: int) -> int:
        return self.last_word - self.first_word + 1 if n == 2 else len(self.keys[n - 2])


def edge_entries(pc: PartitionCounts) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """(adjusted, raw) counts of the bigrams of each split first word, in table order."""
    out = {}
    first = pc.keys[1] // pc.vocab_size
    for w in pc.split_words():
        a, b = np.searchsorted(first, [w, w + 1])
        out[w] = (pc.adjusted[1][a:b], pc.raw[1][a:b])
    return out


@spillable
@dataclass
class ContextTotals:
    """A split first word's sums over all its bigrams (as one partition would make them)."""

    S: float
    Dsum: float
    T: float


def context_totals(adjusted: np.ndarray, raw: np.ndarray, smoothing: str, discounts: np.ndarray) -> ContextTotals:
    """The sums of ``partition_parts`` for one context from its entries, in table order."""
    one = np.zeros(len(adjusted), dtype=np.int64)
    if smoothing in ("modified-kneser-ney", "kneser-ney"):
        a = adjusted.astype(np.float64)
        d_e = np.where(adjusted > 0, discounts[np.minimum(adjusted, 3)], 0.0)
        return ContextTotals(float(np.bincount(one, weights=a, minlength=1)[0]),
                             float(np.bincount(one, weights=d_e, minlength=1)[0]), 0.0)
    c = raw.astype(np.float64)
    return ContextTotals(float(np.bincount(one, weights=c, minlength=1)[0]), 0.0, float(len(raw)))


def count_partition(rows: np.ndarray, weights: np.ndarray | None, vocab_size: int, order: int,
                    lo: int, hi: int, bos: int) -> PartitionCounts:
    # lo, hi: the partition's bigram keys
    """The counts of the partition's n-grams from its rows (any order, any shards)."""
    V = vocab_size
    out = PartitionCounts(lo, hi, order, V, [np.zeros(0, np.int64)], [np.zeros(0, np.int64)],
                          [np.zeros(0, np.int64)], np.zeros(V, np.int64))
    cols = np.asfortranarray(rows)  # one column at a time below: contiguous columns
    left = cols[:, 0].astype(np.int64) + 1
    idx = cols[:, 1].astype(np.int64)
    kept = np.arange(len(cols))  # rows still in play (those with an n-gram of this order)
    for n in range(2, order + 1):
        word = cols[kept, n] if len(kept) < len(cols) else cols[:, n]
        valid = word >= 0
        if not valid.all():
            kept, idx, word, left = kept[valid], idx[valid], word[valid], left[valid]
            weights = None if weights is None else weights[valid]
        keys, rank, counts, rep = unique_keys(idx * V + word, True)
        assert rank is not None
        raw = counts if weights is None else np.bincount(rank, weights=weights, minlength=len(keys)).astype(np.int64)
        if n < order:
            # distinct (n-gram, word before it) pairs: only the values are needed
            pairs = rank * (V + 1) + left
            pairs.sort()
            distinct = np.empty(len(pairs), dtype=bool)
            distinct[:1] = True
            np.not_equal(pairs[1:], pairs[:-1], out=distinct[1:])
            cont = np.bincount(pairs[distinct] // (V + 1), minlength=len(keys)).astype(np.int64)
            adjusted = np.where(cols[kept[rep], 1] == bos, raw, cont)
        else:
            adjusted = raw
        if n == 2:
            out.cont1 = np.bincount(keys % V, minlength=V).astype(np.int64)
        out.keys.append(keys)
        out.raw.append(raw)
        out.adjusted.append(adjusted)
        idx = rank
    return out


def counts_of_counts(values: np.ndarray) -> np.ndarray:
    """n1..n4 of integer counts (int64[4])."""
    return np.bincount(np.minimum(values, 5), minlength=6)[1:5].astype(np.int64)


# -- estimation -----------------------------------------------------------------------------------


@spillable
@dataclass
class PartitionParts:
    """Per order n >= 2: each entry's own mass and each context's weight on the lower
    order (``gamma[n-1]``, indexed by the partition's order n-1 entries; n = 2: by word
    ``lo + i``). Add-k keeps its probability in ``own`` and its floor in ``gamma``."""

    own: list[np.ndarray]
    gamma: list[np.ndarray]


def partition_parts(pc: PartitionCounts, smoothing: str, discounts: list[np.ndarray], k: float,
                    predictable: float, totals: dict[int, ContextTotals] | None = None) -> PartitionParts:
    """The partition's share of ``smoothing.py``'s estimate, order by order.

    ``discounts[n-1]``: ``[0, D1, D2, D3+]`` of order n (Kneser-Ney); ``predictable``: how
    many words the model can predict (add-k's ``|V|``); ``totals``: the sums of the split
    first words, over all partitions."""
    own: list[np.ndarray] = []
    gamma: list[np.ndarray] = []
    for n in range(2, pc.order + 1):
        ctx, m = pc.context(n), pc.context_count(n)
        fixed = {w - pc.first_word: t for w, t in (totals or {}).items()} if n == 2 else {}
        if smoothing in ("modified-kneser-ney", "kneser-ney"):
            a = pc.adjusted[n - 1].astype(np.float64)
            ai = pc.adjusted[n - 1]
            d_e = np.where(ai > 0, discounts[n - 1][np.minimum(ai, 3)], 0.0)
            S = _fix(np.bincount(ctx, weights=a, minlength=m), fixed, "S")
            Dsum = _fix(np.bincount(ctx, weights=d_e, minlength=m), fixed, "Dsum")
            with np.errstate(divide="ignore", invalid="ignore"):
                g = np.where(S > 0, Dsum / S, 1.0)
                o = (a - d_e) / S[ctx]
        else:
            c = pc.raw[n - 1].astype(np.float64)
            S = _fix(np.bincount(ctx, weights=c, minlength=m), fixed, "S")
            with np.errstate(divide="ignore", invalid="ignore"):
                if smoothing == "witten-bell":
                    T = _fix(np.bincount(ctx, minlength=m).astype(np.float64), fixed, "T")
                    g = np.where(S > 0, T / (S + T), 1.0)
                    o = c / (S + T)[ctx]
                elif smoothing == "add-k":
                    g = k / (S + k * predictable)
                    o = (c + k) / (S[ctx] + k * predictable)
                else:
                    g = np.where(S > 0, 0.0 if smoothing == "mle" else 0.4, 1.0)
                    o = c / S[ctx]
        own.append(o)
        gamma.append(g)
    return PartitionParts(own, gamma)


def _fix(sums: np.ndarray, fixed: dict[int, ContextTotals], name: str) -> np.ndarray:
    for i, totals in fixed.items():
        sums[i] = getattr(totals, name)
    return sums


# -- interpolation across partitions --------------------------------------------------------------


def suffix_requests(pc: PartitionCounts, n: int, bounds: np.ndarray, route: np.ndarray | None,
                    found: np.ndarray | None) -> tuple[list[np.ndarray], np.ndarray]:
    """The keys of the suffixes ``w2 .. wn`` of the partition's order-n entries (n >= 3),
    per partition that holds them (in entry order within each), and that partition for
    every entry. ``route`` and ``found``: where the suffix of each order n-1 entry was
    found (partition, index in its order n-2 table) — the suffix of an entry is its
    context's suffix followed by its last word, so it is one lookup, not n - 2."""
    V = pc.vocab_size
    ctx, last = np.divmod(pc.keys[n - 1], V)
    if n == 3:  # the suffix is a bigram: its key is global, its partition by the bounds
        key = pc.keys[1][ctx] % V * V + last
        part = (np.searchsorted(bounds, key, side="right") - 1).astype(np.int16)
    else:
        assert route is not None and found is not None
        part = route[ctx]
        key = found[ctx] * V + last
    order = np.argsort(part, kind="stable")  # a radix sort for 16-bit keys
    ends = np.cumsum(np.bincount(part, minlength=len(bounds))).tolist()
    return [key[order[a:b]] for a, b in zip([0, *ends[:-1]], ends)], part


def group_by_partition(w1: np.ndarray, w2: np.ndarray, bounds: np.ndarray, vocab_size: int) -> tuple[np.ndarray, list[int]]:
    """A stable order that groups items by the partition of their first two words, and
    where each partition's group ends in it."""
    part = (np.searchsorted(bounds, w1.astype(np.int64) * vocab_size + w2, side="right") - 1).astype(np.int16)
    order = np.argsort(part, kind="stable")  # a radix sort for 16-bit keys
    return order, np.cumsum(np.bincount(part, minlength=len(bounds))).tolist()


def interpolate(parts: PartitionParts, pc: PartitionCounts, n: int, lower_at_suffix: np.ndarray) -> np.ndarray:
    """p of the partition's order-n entries: own + gamma(context) * p(suffix)."""
    return parts.own[n - 2] + parts.gamma[n - 2][pc.context(n)] * lower_at_suffix


def global_keys(pc: PartitionCounts, n: int, context_offset: int) -> np.ndarray:
    """The partition's order-n keys in the whole model's numbering."""
    keys = pc.keys[n - 1]
    if n == 2 or context_offset == 0:
        return keys
    return keys + np.int64(context_offset) * pc.vocab_size
