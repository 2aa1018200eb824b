"""Estimation over partitions (``partition.py``) on any executor (``executors.py``), the
tables written straight into ``.npy`` files: the n-gram model for corpora past memory.

The steps, each one task per partition: count the partition's rows; gather the small
summaries (sizes, counts of counts, order 1's continuation counts) and fix the
discounts and the unigram level here; each partition's own masses and context weights;
then order by order, the interpolation with the lower order — a partition asks the
partitions that hold its n-grams' suffixes for their lower-order probabilities — and the
order's keys, probabilities and backoffs appended to its files in partition order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from wordseq.ngram.executors import Executor
from wordseq.ngram.partition import (
    PartitionCounts,
    PartitionParts,
    concat_rows,
    count_partition,
    counts_of_counts,
    global_keys,
    interpolate,
    partition_parts,
    suffix_requests,
)
from wordseq.ngram.smoothing import SmoothingReport, _discounts, _predictable
from wordseq.ngram.tables import VALUE_DTYPE, find_keys
from wordseq.vocab import Vocabulary

KNESER_NEY = ("modified-kneser-ney", "kneser-ney")
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Estimation:
    """What the estimate needs besides the counts (``NgramConfig``'s fields)."""

    order: int
    smoothing: str
    k: float = 1.0
    discount_fallback: bool = False
    discount: float | None = None


# -- steps (plain functions: they run wherever the executor puts them) ----------------------------


def count_step(blocks: list[tuple[np.ndarray, np.ndarray | None]], vocab_size: int, order: int, lo: int, hi: int,
               bos: int) -> PartitionCounts:
    rows, weights = concat_rows(blocks, order)
    return count_partition(rows, weights, vocab_size, order, lo, hi, bos)


def summary_step(pc: PartitionCounts, smoothing: str) -> dict[str, Any]:
    coc = [counts_of_counts(pc.adjusted[n - 1]) if smoothing in KNESER_NEY else np.zeros(4, np.int64)
           for n in range(2, pc.order + 1)]
    return {"sizes": pc.sizes(), "coc": coc, "cont1": pc.cont1}


def parts_step(pc: PartitionCounts, smoothing: str, discounts: list[np.ndarray], k: float, predictable: float) -> PartitionParts:
    return partition_parts(pc, smoothing, discounts, k, predictable)


def keys_step(pc: PartitionCounts) -> list[np.ndarray]:
    return pc.keys


def bigram_step(parts: PartitionParts, pc: PartitionCounts, unigram_p: np.ndarray) -> np.ndarray:
    return interpolate(parts, pc, 2, unigram_p[pc.keys[1] % pc.vocab_size])


def requests_step(pc: PartitionCounts, n: int, bounds: np.ndarray) -> list[np.ndarray]:
    return suffix_requests(pc, n, bounds)


def answer_step(keys: list[np.ndarray], vocab_size: int, lower: np.ndarray, requests: list[np.ndarray]) -> list[np.ndarray]:
    """Lower-order values at the suffixes each partition asked this one for."""
    out = []
    for req in requests:
        idx = req[:, 0].astype(np.int64)
        for m in range(2, req.shape[1] + 1):
            idx = find_keys(keys[m - 1], idx * vocab_size + req[:, m - 1])
        if len(idx) and (idx < 0).any():
            raise AssertionError("a suffix of a counted n-gram is missing from its partition")
        out.append(lower[idx])
    return out


def interpolate_step(parts: PartitionParts, pc: PartitionCounts, n: int, bounds: np.ndarray,
                     answers: list[np.ndarray]) -> np.ndarray:
    words = pc.suffix_words[n - 1]
    part = np.searchsorted(bounds, words[:, 0], side="right") - 1
    lower = np.empty(len(words), dtype=np.float64)
    for q, values in enumerate(answers):
        lower[part == q] = values
    return interpolate(parts, pc, n, lower)


def output_step(pc: PartitionCounts, parts: PartitionParts, values: np.ndarray | None, n: int, offset: int,
                scores_only: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The partition's slice of order n's files: keys, log10 p and (n < N) backoffs."""
    p = parts.own[n - 2] if scores_only or values is None else values
    logp = _log10(p).astype(VALUE_DTYPE)
    backoff = _log10(parts.gamma[n - 1]).astype(VALUE_DTYPE) if n < pc.order else None
    return global_keys(pc, n, offset), logp, backoff


def word_backoff_step(parts: PartitionParts) -> np.ndarray:
    return _log10(parts.gamma[0]).astype(VALUE_DTYPE)


def _log10(x: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.log10(x)


# -- order 1, on the client ------------------------------------------------------------------------


def unigram_level(est: Estimation, raw: np.ndarray, cont1: np.ndarray, bos: int, report: SmoothingReport) -> tuple[np.ndarray, np.ndarray]:
    """(p of every word as the interpolation's bottom, log10 of what order 1 stores),
    computed as ``smoothing.py`` does."""
    V = len(raw)
    pred = _predictable(V)
    if est.smoothing in KNESER_NEY:
        a = np.where(np.arange(V) == bos, raw, cont1.astype(np.float64))
        a[bos] = 0.0
        ai = a.astype(np.int64)
        D = _order_discounts(est, ai, 1, report)
        d_e = np.where(ai > 0, D[np.minimum(ai, 3)], 0.0)
        total = a.sum()
        own0 = (a - d_e) / total
        p = np.where(pred, own0 + float(d_e.sum() / total) / pred.sum(), 0.0)
        return p, _log10(p).astype(VALUE_DTYPE)
    c = raw.astype(np.float64)
    if est.smoothing == "witten-bell":
        total, types = c.sum(), float((c > 0).sum())
        p = np.where(pred, c / (total + types) + (types / (total + types)) / pred.sum(), 0.0)
    elif est.smoothing == "add-k":
        p = np.where(pred, (c + est.k) / (c.sum() + est.k * float(pred.sum())), 0.0)
    else:
        p = c / c.sum()
    return p, _log10(p).astype(VALUE_DTYPE)


def _order_discounts(est: Estimation, ai: np.ndarray, n: int, report: SmoothingReport) -> np.ndarray:
    return _discounts_from(est, counts_of_counts(ai).tolist(), n, report)


def _discounts_from(est: Estimation, coc: list[int], n: int, report: SmoothingReport) -> np.ndarray:
    if est.smoothing == "kneser-ney" and est.discount is not None:
        report.discounts.append([est.discount] * 3)
        return np.array([0.0, est.discount, est.discount, est.discount])
    return _discounts(coc, n, est.smoothing == "modified-kneser-ney", est.discount_fallback, report)


# -- the whole estimate ----------------------------------------------------------------------------


class NpyWriter:
    """A 1-d ``.npy`` file of known length written in pieces (never all in memory)."""

    def __init__(self, path: Path, dtype: Any, length: int) -> None:
        self.fh = open(path, "wb")
        self.length, self.written, self.dtype = length, 0, np.dtype(dtype)
        np.lib.format.write_array_header_1_0(self.fh, {"descr": np.lib.format.dtype_to_descr(self.dtype),
                                                       "fortran_order": False, "shape": (length,)})

    def write(self, values: np.ndarray) -> None:
        np.ascontiguousarray(values, dtype=self.dtype).tofile(self.fh)
        self.written += len(values)

    def close(self) -> None:
        self.fh.close()
        if self.written != self.length:
            raise AssertionError(f"{self.fh.name}: wrote {self.written} values, expected {self.length}")


def estimate_partitions(ex: Executor, row_blocks: list[list[Any]], vocab: Vocabulary, bounds: np.ndarray,
                        est: Estimation, unigram_raw: np.ndarray, out: Path,
                        progress: Progress | None = None) -> tuple[SmoothingReport, list[int]]:
    """Count and estimate every partition and write ``prob{n}.npy`` / ``backoff{n}.npy`` /
    ``keys{n}.npy`` into ``out``; the smoothing report and the entries per order."""
    V, N, P = len(vocab), est.order, len(bounds)
    tick = progress or (lambda phase, done, total: None)
    edges = np.append(bounds, V).tolist()
    pcs = []
    for p in range(P):
        pcs.append(ex.submit(count_step, row_blocks[p], V, N, edges[p], edges[p + 1], vocab.bos_id))
        ex.release(row_blocks[p])
        tick("counted", p + 1, P)
    sizes = np.zeros((P, N - 1), dtype=np.int64)
    coc = np.zeros((N - 1, 4), dtype=np.int64)
    cont1 = np.zeros(V, dtype=np.int64)
    for p, handle in enumerate([ex.submit(summary_step, pc, est.smoothing) for pc in pcs]):
        s = ex.fetch(handle)
        sizes[p] = s["sizes"]
        coc += np.array(s["coc"]).reshape(N - 1, 4)
        cont1 += s["cont1"]
        ex.release(handle)
    report = SmoothingReport()
    p1, logp1 = unigram_level(est, unigram_raw, cont1, vocab.bos_id, report)
    discounts = [np.zeros(4)]
    for n in range(2, N + 1):
        discounts.append(_discounts_from(est, coc[n - 2].tolist(), n, report) if est.smoothing in KNESER_NEY else np.zeros(4))
    predictable = float(_predictable(V).sum())
    parts = [ex.submit(parts_step, pc, est.smoothing, discounts, est.k, predictable) for pc in pcs]
    _write_unigrams(ex, parts, logp1, out, N)
    _interpolate_and_write(ex, pcs, parts, p1, bounds, sizes, est, out, tick)
    ex.release(parts)
    ex.release(pcs)
    return report, [V - 1] + sizes.sum(axis=0).tolist()


def _write_unigrams(ex: Executor, parts: list[Any], logp1: np.ndarray, out: Path, order: int) -> None:
    np.save(out / "prob1.npy", logp1)
    if order > 1:
        writer = NpyWriter(out / "backoff1.npy", VALUE_DTYPE, len(logp1))
        for handle in parts:
            piece = ex.submit(word_backoff_step, handle)
            writer.write(ex.fetch(piece))
            ex.release(piece)
        writer.close()


def _interpolate_and_write(ex: Executor, pcs: list[Any], parts: list[Any], p1: np.ndarray, bounds: np.ndarray,
                           sizes: np.ndarray, est: Estimation, out: Path, tick: Progress) -> None:
    N, P = est.order, len(pcs)
    scores_only = est.smoothing in ("stupid-backoff", "add-k")
    lower: list[Any] = []
    keys = [ex.submit(keys_step, pc) for pc in pcs] if not scores_only and N > 2 else []
    for n in range(2, N + 1):
        if scores_only:
            values: list[Any] = [None] * P
        elif n == 2:
            values = [ex.submit(bigram_step, parts[p], pcs[p], p1) for p in range(P)]
        else:
            requests = [ex.submit_split(requests_step, P, pcs[p], n, bounds) for p in range(P)]
            answers = [ex.submit_split(answer_step, P, keys[q], len(p1), lower[q], [requests[p][q] for p in range(P)])
                       for q in range(P)]
            ex.release(requests)
            values = [ex.submit(interpolate_step, parts[p], pcs[p], n, bounds, [answers[q][p] for q in range(P)])
                      for p in range(P)]
            ex.release(answers)
        _write_order(ex, pcs, parts, values, n, sizes, scores_only, out)
        ex.release(lower)
        lower = values if n < N else []
        tick(f"estimated order {n}", n - 1, N - 1)
    ex.release(values)
    ex.release(keys)


def _write_order(ex: Executor, pcs: list[Any], parts: list[Any], values: list[Any], n: int, sizes: np.ndarray,
                 scores_only: bool, out: Path) -> None:
    N, total = len(sizes[0]) + 1, int(sizes[:, n - 2].sum())
    keys_w = NpyWriter(out / f"keys{n}.npy", np.int64, total)
    prob_w = NpyWriter(out / f"prob{n}.npy", VALUE_DTYPE, total)
    back_w = NpyWriter(out / f"backoff{n}.npy", VALUE_DTYPE, total) if n < N else None
    offset = 0
    for p in range(len(pcs)):
        piece = ex.submit(output_step, pcs[p], parts[p], values[p], n, offset, scores_only)
        k, logp, logb = ex.fetch(piece)
        ex.release(piece)
        keys_w.write(k)
        prob_w.write(logp)
        if back_w is not None and logb is not None:
            back_w.write(logb)
        offset += int(sizes[p, n - 3]) if n >= 3 else 0
    for w in (keys_w, prob_w, back_w):
        if w is not None:
            w.close()
