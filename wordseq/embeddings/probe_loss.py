"""An honest per-epoch loss: the training objective measured on a fixed probe sample.

gensim's own running loss is unreliable (it accumulates across epochs, saturates in
float32, is always 0 on the ``corpus_file`` path, and its hierarchical-softmax term has
the sign of the code flipped). Instead, before training we draw a fixed sample of
(word, context) pairs from the corpus and fixed negative words, and after each epoch
compute the exact mean loss of the objective being trained on them: negative sampling
-log s(u.v) - sum log s(-u.n), and/or hierarchical softmax -sum log s((1 - 2 code) u.p).
Because the sample never changes, the numbers compare from epoch to epoch. For fastText
a word's input vector is its own row averaged with its n-gram rows, as training uses it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

_PAIRS_AT_ONCE = 512


def _log_sigmoid(x: np.ndarray) -> np.ndarray:
    return -np.logaddexp(0.0, -x)


def _input_rows(model: Any, ids: np.ndarray) -> np.ndarray:
    """The input vectors of word ``ids`` as training sees them: Word2Vec's rows, or
    fastText's word row averaged with its n-gram rows (gensim composes ``wv.vectors``
    only once training ends, so between epochs it is stale)."""
    wv = model.wv
    if not getattr(wv, "bucket", 0) or getattr(wv, "vectors_ngrams", None) is None:
        return np.asarray(wv.vectors[ids])
    unique, inverse = np.unique(ids, return_inverse=True)
    composed = np.empty((len(unique), wv.vector_size), dtype=np.float32)
    for k, word in enumerate(unique.tolist()):
        buckets = wv.buckets_word[word]
        composed[k] = (wv.vectors_vocab[word] + wv.vectors_ngrams[buckets].sum(axis=0)) / (len(buckets) + 1)
    return composed[inverse.reshape(-1)].reshape(*ids.shape, -1)


class ProbeLoss:
    """The training objective's loss on a fixed sample of (center, context) pairs, computed between epochs (gensim's running loss cannot be trusted)."""

    def __init__(self, model: Any, sequences: Sequence[Sequence[str]], max_pairs: int = 5000, seed: int = 1) -> None:
        rng = np.random.default_rng(seed)
        index = model.wv.key_to_index
        window = model.window
        self.cbow = not model.sg
        # every position of a sequence with two or more known words has a context (window
        # >= 1): the sample is drawn over those positions first, and only the drawn ones
        # get their context lists (the draws are those of sampling all pairs)
        id_seqs = [ids for ids in ([index[t] for t in seq if t in index] for seq in sequences) if len(ids) > 1]
        lengths = np.fromiter((len(ids) for ids in id_seqs), dtype=np.int64, count=len(id_seqs))
        starts = np.cumsum(lengths) - lengths
        total = int(lengths.sum())
        chosen = rng.choice(total, size=max_pairs, replace=False) if total > max_pairs else np.arange(total)
        which = np.searchsorted(starts, chosen, side="right") - 1
        centers, contexts = [], []
        for s, pos in zip(which.tolist(), (chosen - starts[which]).tolist()):
            ids = id_seqs[s]
            centers.append(ids[pos])
            contexts.append(ids[max(0, pos - window):pos] + ids[pos + 1:pos + 1 + window])
        self.size = len(centers)
        self.centers = np.asarray(centers, dtype=np.int64)
        # skip-gram: one (context word -> center) pair per sampled context word;
        # CBOW: the mean of the whole window predicts the center, as gensim's cbow_mean=1.
        if self.cbow:
            width = 2 * window
            self.context_ids = np.zeros((self.size, width), dtype=np.int64)
            self.context_mask = np.zeros((self.size, width), dtype=np.float32)
            for i, ctx in enumerate(contexts):
                self.context_ids[i, :len(ctx)] = ctx
                self.context_mask[i, :len(ctx)] = 1.0
        else:
            self.context_ids = np.asarray([ctx[rng.integers(len(ctx))] for ctx in contexts], dtype=np.int64)
        self.negatives = None
        if model.negative and self.size:
            cum = model.cum_table
            draws = rng.integers(0, int(cum[-1]), size=(self.size, model.negative))
            self.negatives = np.searchsorted(cum, draws, side="right").astype(np.int64)
        self.codes = self.points = None
        if model.hs and self.size:
            self.codes = [np.asarray(model.wv.get_vecattr(int(w), "code"), dtype=np.float32) for w in self.centers]
            self.points = [np.asarray(model.wv.get_vecattr(int(w), "point"), dtype=np.int64) for w in self.centers]

    def __call__(self, model: Any) -> float | None:
        if not self.size:
            return None
        loss = np.zeros(self.size, dtype=np.float64)
        # in slices: the scratch arrays (negatives × dim per pair) stay about a megabyte,
        # so that measuring the loss never raises the run's peak memory above gensim's
        for start in range(0, self.size, _PAIRS_AT_ONCE):
            part = slice(start, start + _PAIRS_AT_ONCE)
            loss[part] = self._losses(model, part)
        return float(loss.mean())

    def _losses(self, model: Any, part: slice) -> np.ndarray:
        inputs = _input_rows(model, self.context_ids[part])
        if self.cbow:
            mask = self.context_mask[part]
            hidden = np.einsum("pw,pwd->pd", mask, inputs) / mask.sum(axis=1, keepdims=True)
        else:
            hidden = inputs
        loss = np.zeros(len(hidden), dtype=np.float64)
        if self.negatives is not None:
            out = model.syn1neg
            pos = np.einsum("pd,pd->p", hidden, out[self.centers[part]])
            neg = np.einsum("pd,pkd->pk", hidden, out[self.negatives[part]])
            loss -= _log_sigmoid(pos) + _log_sigmoid(-neg).sum(axis=1)
        if self.codes is not None and self.points is not None:
            syn1 = model.syn1
            for i, (code, point) in enumerate(zip(self.codes[part], self.points[part])):
                f = syn1[point] @ hidden[i]
                loss[i] -= _log_sigmoid((1.0 - 2.0 * code) * f).sum()
        return loss
