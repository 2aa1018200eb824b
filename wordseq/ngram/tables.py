"""N-gram tables in backoff form: the one representation every smoothing compiles into.

Order 1 is dense (indexed by word id). An entry of order n >= 2 is the integer key
``context_index * V + word``, where ``context_index`` is the position of its first n-1
words in the order n-1 table; keys are sorted, so a lookup is a ``searchsorted`` and all
continuations of one context are one contiguous slice. Values are log10 in float32, as in
ARPA files and KenLM's own tables (the smoothing computes in float64 and rounds once).

Querying follows ARPA / KenLM: p(w | h) is the entry ``h w`` when it exists, otherwise
``backoff(h) + p(w | h minus its first word)`` (``backoff(h)`` is 0 when ``h`` is absent).
The compact form (``packed.py``, ``compact.py``) stores the same keys split (a first
level over the high bits, uint32 low halves) and may quantize the values; the arrays
index as the plain ones do, so every reader below serves both.

Add-k is no backoff model: its unseen words get one fixed probability per context, so
its tables say ``unseen="absolute"`` and ``backoff(h)`` then holds that probability itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from wordseq.ngram.packed import SplitKeys
from wordseq.vocab import Vocabulary

UNSEEN_MODES = ("backoff", "absolute")
VALUE_DTYPE = np.float32
# Below this many queries a plain searchsorted wins; above it, sorting the queries first
# makes the binary searches walk the table in order (about 10x fewer cache misses).
_SORT_QUERIES_FROM = 1 << 14


@dataclass
class NgramTables:
    """log10 probabilities and backoffs of every order, and the sorted keys of orders >= 2.

    Parameters
    ----------
    vocab
        Word ids; the unigram arrays are indexed by them.
    order
        Highest order N.
    prob, backoff
        One array per order: ``prob[0]`` / ``backoff[0]`` dense over the vocabulary,
        ``prob[n-1]`` / ``backoff[n-1]`` one value per entry of order n. The highest
        order's backoffs are all 0.
    keys
        ``keys[0]`` is empty; ``keys[n-1]`` holds the sorted int64 keys of order n.
    unseen
        ``"backoff"`` (ARPA semantics) or ``"absolute"`` (add-k).
    """

    vocab: Vocabulary
    order: int
    prob: list[Any]  # np.ndarray, or packed.QuantizedValues
    backoff: list[Any]
    keys: list[Any]  # np.ndarray, or packed.SplitKeys
    unseen: str = "backoff"

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def sizes(self) -> list[int]:
        """Entries per order, as an ARPA header counts them (<pad> is not an ARPA word)."""
        return [len(self.vocab) - 1] + [len(k) for k in self.keys[1:]]

    def as_float32(self) -> NgramTables:
        """The same tables with float32 values (what is stored and queried)."""
        prob = [np.asarray(p, dtype=VALUE_DTYPE) for p in self.prob]
        backoff = [np.asarray(b, dtype=VALUE_DTYPE) for b in self.backoff]
        return NgramTables(self.vocab, self.order, prob, backoff, self.keys, self.unseen)

    def lookup(self, n: int, context_index: np.ndarray, words: np.ndarray) -> np.ndarray:
        """Index of the order-n entries (context, word); -1 where absent or context is -1."""
        if n == 1:
            return np.where(words >= 0, words, -1)
        keys = self.keys[n - 1]
        out = np.full(len(words), -1, dtype=np.int64)
        if len(keys) == 0 or len(words) == 0:
            return out
        context_index = np.asarray(context_index, dtype=np.int64)  # keys need 64 bits
        words = np.asarray(words, dtype=np.int64)
        valid = (context_index >= 0) & (words >= 0)
        if valid.all():
            out[:] = find_keys(keys, context_index * self.vocab_size + words)
        else:
            rows = np.flatnonzero(valid)
            out[rows] = find_keys(keys, context_index[rows] * self.vocab_size + words[rows])
        return out

    def index_of(self, grams: np.ndarray) -> np.ndarray:
        """Index of each row of ``grams`` (B, m) in the order-m table; -1 where absent.

        A -1 inside a row (no token there) makes the row absent.
        """
        idx = grams[:, 0].astype(np.int64)
        for t in range(1, grams.shape[1]):
            idx = self.lookup(t + 1, idx, grams[:, t].astype(np.int64))
        return idx

    def continuations(self, n: int, context_index: int) -> slice:
        """Entries of order n whose first n-1 words are the given order n-1 entry."""
        keys = self.keys[n - 1]
        base = context_index * self.vocab_size
        if isinstance(keys, SplitKeys):
            return slice(keys.search(base), keys.search(base + self.vocab_size))
        lo = int(np.searchsorted(keys, base))
        hi = int(np.searchsorted(keys, base + self.vocab_size))
        return slice(lo, hi)

    def entry_words(self, n: int) -> np.ndarray:
        """(E, n) word ids of every entry of order n, in table order."""
        if n == 1:
            return np.arange(self.vocab_size, dtype=np.int64)[:, None]
        keys = np.asarray(self.keys[n - 1])
        ctx = keys // self.vocab_size
        return np.concatenate([self.entry_words(n - 1)[ctx], (keys % self.vocab_size)[:, None]], axis=1)


def sort_with_order(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sorted values, the stable order that sorts them) of non-negative int64 values.

    When a value and its position fit in 63 bits together, they are packed into one
    integer and sorted as values (numpy's vectorised sort, several times faster than
    ``argsort``); otherwise a stable ``argsort``.
    """
    if len(values) == 0:
        return values.astype(np.int64), np.zeros(0, dtype=np.int64)
    pos_bits = max(1, (len(values) - 1).bit_length())
    top = int(values.max())
    if int(values.min()) >= 0 and top.bit_length() + pos_bits <= 63:
        packed = (values.astype(np.int64) << pos_bits) | np.arange(len(values), dtype=np.int64)
        packed.sort()
        return packed >> pos_bits, packed & ((1 << pos_bits) - 1)
    order = np.argsort(values, kind="stable")
    return values[order], order


def unique_keys(key: np.ndarray, inverse: bool) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, np.ndarray]:
    """(unique keys, inverse or None, counts, one position of each key): np.unique's
    work, with any occurrence instead of the first (no stable sort needed)."""
    sk, perm = sort_with_order(key)
    flag = np.empty(len(sk), dtype=bool)
    flag[:1] = True
    np.not_equal(sk[1:], sk[:-1], out=flag[1:])
    starts = np.flatnonzero(flag)
    counts = np.diff(np.append(starts, len(sk)))
    inv = None
    if inverse:
        inv = np.empty(len(key), dtype=np.int64)
        inv[perm] = np.cumsum(flag) - 1
    return sk[starts], inv, counts, perm[starts]


def find_keys(table: Any, queries: np.ndarray, nearly_sorted: bool = False) -> np.ndarray:
    """Position of each query in the sorted ``table`` (int64 keys or ``SplitKeys``), -1
    where it is not there. ``nearly_sorted``: the queries come about in table order
    already (see ``NgramModel.token_log10``), so they are searched as they come."""
    if len(table) == 0 or len(queries) == 0:
        return np.full(len(queries), -1, dtype=np.int64)
    split = isinstance(table, SplitKeys)
    if (len(queries) < _SORT_QUERIES_FROM or nearly_sorted) and not split:
        pos = np.searchsorted(table, queries)
        np.minimum(pos, len(table) - 1, out=pos)
        return np.where(table[pos] == queries, pos, -1)
    sorted_q, order = sort_with_order(queries)
    out = np.empty(len(queries), dtype=np.int64)
    out[order] = find_sorted_keys(table, sorted_q)
    return out


def find_sorted_keys(table: Any, sorted_q: np.ndarray) -> np.ndarray:
    """``find_keys`` of sorted queries: text repeats its n-grams, so each distinct query
    is searched once."""
    if len(table) == 0 or len(sorted_q) == 0:
        return np.full(len(sorted_q), -1, dtype=np.int64)
    first = np.empty(len(sorted_q), dtype=bool)
    first[0] = True
    np.not_equal(sorted_q[1:], sorted_q[:-1], out=first[1:])
    distinct = sorted_q[first]
    if isinstance(table, SplitKeys):
        pos = table.find_sorted(distinct)
    else:
        pos = np.searchsorted(table, distinct)
        np.minimum(pos, len(table) - 1, out=pos)
        pos[table[pos] != distinct] = -1
    return pos[np.cumsum(first) - 1] if len(distinct) < len(sorted_q) else pos
