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

import shutil
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
    context_totals,
    count_partition,
    counts_of_counts,
    edge_entries,
    global_keys,
    interpolate,
    partition_parts,
    suffix_requests,
)
from wordseq.ngram.smoothing import SmoothingReport, _discounts, _predictable
from wordseq.ngram.tables import VALUE_DTYPE, find_keys
from wordseq.store.payload import npy_header
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
               bos: int, smoothing: str) -> tuple[PartitionCounts, dict[str, Any], list[np.ndarray]]:
    """The partition's counts, their summary for the client, and its keys (what other
    partitions' suffixes are looked up in)."""
    rows, weights = concat_rows(blocks, order)
    pc = count_partition(rows, weights, vocab_size, order, lo, hi, bos)
    del rows, weights
    coc = [counts_of_counts(pc.adjusted[n - 1]) if smoothing in KNESER_NEY else np.zeros(4, np.int64)
           for n in range(2, pc.order + 1)]
    return pc, {"sizes": pc.sizes(), "coc": coc, "cont1": pc.cont1, "edges": edge_entries(pc)}, pc.keys


def answer_step(keys: list[np.ndarray], n: int, lower: np.ndarray,
                requests: list[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
    """(lower-order values, their index in this partition's order-n table) at the order-n
    keys each partition asked this one for."""
    out = []
    for req in requests:
        idx = find_keys(keys[n - 1], req)
        if len(idx) and (idx < 0).any():
            raise AssertionError("a suffix of a counted n-gram is missing from its partition")
        out.append((lower[idx], idx))
    return out


def order_step(pc: PartitionCounts, parts: PartitionParts, n: int, bounds: np.ndarray, lower: Any,
               route: np.ndarray | None, offset: int, scores_only: bool, slice_path: str) -> list[Any]:
    """Order n of one partition: its values (None for scores), the length of its slice of
    the order's files (written to ``slice_path``'s files: ``write_slice``), which partition
    holds each order n + 1 suffix, and its requests for them, one per partition.
    ``lower``: order 1's probabilities (n = 2), else the answers to its order-n requests;
    ``route``: the partitions they went to."""
    found = None
    if scores_only:
        values = None
    elif n == 2:
        values = interpolate(parts, pc, 2, lower[pc.keys[1] % pc.vocab_size])
    else:
        assert route is not None
        grouping = np.argsort(route, kind="stable")
        at_suffix, found = np.empty(len(grouping), np.float64), np.empty(len(grouping), np.int64)
        if lower:
            at_suffix[grouping] = np.concatenate([v for v, _ in lower])
            found[grouping] = np.concatenate([i for _, i in lower])
        values = interpolate(parts, pc, n, at_suffix)
    p = parts.own[n - 2] if values is None else values
    backoff = _log10(parts.gamma[n - 1]).astype(VALUE_DTYPE) if n < pc.order else None
    length = write_slice(slice_path, (global_keys(pc, n, offset), _log10(p).astype(VALUE_DTYPE), backoff))
    if n < pc.order and not scores_only:
        requests, next_route = suffix_requests(pc, n + 1, bounds, route, found)
    else:
        requests, next_route = [np.zeros(0, np.int64)] * len(bounds), np.zeros(0, np.int16)
    return [values, length, next_route, *requests]


SLICE_FILES = ("keys", "prob", "backoff")


def write_slice(path: str, piece: tuple[np.ndarray, np.ndarray, np.ndarray | None]) -> int:
    """A partition's slice of an order's tables as ``.npy`` files beside ``path`` (on a
    cluster, in a folder the client reads too): the slices never travel through the
    scheduler's connections, and the client copies them into the tables in partition order."""
    for name, array in zip(SLICE_FILES, piece):
        if array is not None:
            np.save(f"{path}.{name}.npy", array, allow_pickle=False)
    return len(piece[0])


def word_backoff_step(pc: PartitionCounts, parts: PartitionParts) -> np.ndarray:
    """log10 of the bigram contexts' weights, for the words this partition owns."""
    return _log10(parts.gamma[0][pc.owned_words()]).astype(VALUE_DTYPE)


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


COPY_BLOCK = 1 << 22  # bytes of a slice file copied at a time


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

    def append(self, path: Path) -> None:
        """The values of a 1-d ``.npy`` file of this dtype, copied a block at a time."""
        shape, fortran, dtype, offset = npy_header(path)
        if len(shape) != 1 or fortran or dtype != self.dtype:
            raise AssertionError(f"{path}: {dtype} {shape}, not a column of {self.dtype}")
        with open(path, "rb") as fh:
            fh.seek(offset)
            shutil.copyfileobj(fh, self.fh, COPY_BLOCK)
        self.written += shape[0]

    def close(self) -> None:
        self.fh.close()
        if self.written != self.length:
            raise AssertionError(f"{self.fh.name}: wrote {self.written} values, expected {self.length}")


def estimate_partitions(ex: Executor, row_blocks: list[list[Any]], vocab: Vocabulary, bounds: np.ndarray,
                        est: Estimation, unigram_raw: np.ndarray, out: Path, slices: Path,
                        progress: Progress | None = None) -> tuple[SmoothingReport, list[int]]:
    """Count and estimate every partition and write ``prob{n}.npy`` / ``backoff{n}.npy`` /
    ``keys{n}.npy`` into ``out``; the smoothing report and the entries per order. The steps
    write their slices of the tables into ``slices`` (a folder every worker can write and
    this process read), and each is deleted once copied."""
    V, N, P = len(vocab), est.order, len(bounds)
    tick = progress or (lambda phase, done, total: None)
    edges = np.append(bounds, V * V).tolist()
    sizes = np.zeros((P, N - 1), dtype=np.int64)
    coc = np.zeros((N - 1, 4), dtype=np.int64)
    cont1 = np.zeros(V, dtype=np.int64)
    split: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {}
    counted = []
    for p in range(P):  # all submitted before any is waited for (a cluster runs them at once)
        counted.append(ex.submit_split(count_step, 3, row_blocks[p], V, N, edges[p], edges[p + 1], vocab.bos_id,
                                       est.smoothing))
        ex.release(row_blocks[p])
    pcs, keys = [c[0] for c in counted], [c[2] for c in counted]
    for p, (_, summary, _) in enumerate(counted):
        s = ex.fetch(summary)
        ex.release(summary)
        sizes[p] = s["sizes"]
        coc += np.array(s["coc"]).reshape(N - 1, 4)
        cont1 += s["cont1"]
        for w, entries in s["edges"].items():
            split.setdefault(w, []).append(entries)
        tick("partitions counted", p + 1, P)
    report = SmoothingReport()
    p1, logp1 = unigram_level(est, unigram_raw, cont1, vocab.bos_id, report)
    discounts = [np.zeros(4)]
    for n in range(2, N + 1):
        discounts.append(_discounts_from(est, coc[n - 2].tolist(), n, report) if est.smoothing in KNESER_NEY else np.zeros(4))
    predictable = float(_predictable(V).sum())
    totals = {w: context_totals(np.concatenate([a for a, _ in e]), np.concatenate([r for _, r in e]), est.smoothing,
                                discounts[1]) for w, e in split.items()}
    parts = [ex.submit(partition_parts, pcs[p], est.smoothing, discounts, est.k, predictable,
                       {w: t for w, t in totals.items() if edges[p] // V <= w <= (edges[p + 1] - 1) // V})
             for p in range(P)]
    _write_unigrams(ex, pcs, parts, logp1, out, N)
    _orders(ex, pcs, parts, keys, p1, bounds, sizes, est, out, slices, tick)
    ex.release(parts)
    ex.release(pcs)
    ex.release(keys)
    return report, [V - 1] + sizes.sum(axis=0).tolist()


def _write_unigrams(ex: Executor, pcs: list[Any], parts: list[Any], logp1: np.ndarray, out: Path, order: int) -> None:
    np.save(out / "prob1.npy", logp1)
    if order > 1:
        writer = NpyWriter(out / "backoff1.npy", VALUE_DTYPE, len(logp1))
        for pc, handle in zip(pcs, parts):
            piece = ex.submit(word_backoff_step, pc, handle)
            writer.write(ex.fetch(piece))
            ex.release(piece)
        writer.close()


def _orders(ex: Executor, pcs: list[Any], parts: list[Any], keys: list[Any], p1: np.ndarray, bounds: np.ndarray,
            sizes: np.ndarray, est: Estimation, out: Path, slices: Path, tick: Progress) -> None:
    """Order by order: each partition's values and files, then the answers to the next
    order's requests (from the partitions holding the suffixes)."""
    N, P = est.order, len(pcs)
    scores_only = est.smoothing in ("stupid-backoff", "add-k")
    shared = ex.put(p1)
    lower: list[Any] = [shared] * P
    routes: list[Any] = [None] * P
    for n in range(2, N + 1):
        writers = _order_writers(out, n, N, int(sizes[:, n - 2].sum()))
        offsets = np.concatenate([[0], np.cumsum(sizes[:, n - 3])[:-1]]) if n >= 3 else np.zeros(P, np.int64)
        got = [ex.submit_split(order_step, 3 + P, pcs[p], parts[p], n, bounds, lower[p], routes[p], int(offsets[p]),
                               scores_only, str(slices / f"order{n}-part{p}")) for p in range(P)]
        ex.release(routes)
        values, routes, requests = [g[0] for g in got], [g[2] for g in got], [g[3:] for g in got]
        ex.release(lower if n > 2 else shared)
        lower = [None] * P
        if n < N and not scores_only:
            answers = [ex.submit_split(answer_step, P, keys[q], n, values[q], [requests[p][q] for p in range(P)])
                       for q in range(P)]
            lower = [[answers[q][p] for q in range(P)] for p in range(P)]
        ex.release(requests)
        ex.release(values)
        # the slices copied while the answers are made
        for p, g in enumerate(got):  # appended in partition order: the order of the tables
            ex.fetch(g[1])
            ex.release(g[1])
            _append_slice(writers, slices / f"order{n}-part{p}")
        for w in writers:
            if w is not None:
                w.close()
        tick(f"order {n} estimated", n - 1, N - 1)
    ex.release(lower)
    ex.release(routes)


def _append_slice(writers: list[NpyWriter | None], path: Path) -> None:
    """A partition's slice files appended to the order's files, then deleted."""
    for w, name in zip(writers, SLICE_FILES):
        if w is not None:
            piece = Path(f"{path}.{name}.npy")
            w.append(piece)
            piece.unlink()


def _order_writers(out: Path, n: int, order: int, total: int) -> list[NpyWriter | None]:
    return [NpyWriter(out / f"keys{n}.npy", np.int64, total), NpyWriter(out / f"prob{n}.npy", VALUE_DTYPE, total),
            NpyWriter(out / f"backoff{n}.npy", VALUE_DTYPE, total) if n < order else None]
