"""Counting within a memory budget on one machine: partitions spilled to disk.

After the first pass (``counting.first_pass``: token ids on disk, word counts in
memory), ``train.py`` asks ``fits_in_memory``. When the counts would not fit, the token
file is read again in blocks; each block becomes rows (``partition.window_rows``), split by
partition into files, and ``pipeline.estimate_partitions`` runs with a
``LocalExecutor`` that keeps each step's result on disk and runs a few steps at once on
threads. Memory is that of the steps running at once (the budget is split between the
threads): blocks of rows, or partitions' counts and tables. The partitions are sized
from the budget by the words' counts; a word with more n-grams than a partition holds
(``the``, ``<s>``) is split by its second word, after one more pass over the token file
that counts its bigrams.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from wordseq.ngram.budget import check_space
from wordseq.ngram.executors import LocalExecutor, LocalHandle
from wordseq.ngram.partition import split_rows, window_rows
from wordseq.ngram.pipeline import Estimation, Progress, estimate_partitions
from wordseq.ngram.smoothing import SmoothingReport
from wordseq.sizes import human_size
from wordseq.vocab import Vocabulary

# Peak bytes per n-gram start while a partition is counted and estimated (measured on
# Brown-like text at order 5: rows, sort buffers, the tables of every order).
BYTES_PER_ROW = 40 + 48 * 4
# Peak bytes per token position while a block of text becomes rows.
BYTES_PER_POSITION = 160
# The in-memory path's peak: a base, then about this much per token and order
# (README: 72 bytes per distinct n-gram, at most one new n-gram per token and order).
IN_MEMORY_BASE = 100 << 20
PROCESS_BASE = 150 << 20  # python, numpy, the vocabulary: there before counting starts
CACHE_SHARE = 0.15  # of the budget, for the mapped pages of results a step reads (executors.LocalExecutor)
# Every partition sends requests to every other, order by order: past a few hundred
# partitions that bookkeeping outweighs the counting (partitions then grow instead).
MAX_PARTITIONS = 256  # (and a partition number fits 16 bits)
IN_MEMORY_PER_TOKEN_ORDER = 72


def partition_target(budget: int, threads: int = 1) -> int:
    """Rows per partition: ``threads`` partitions' steps at once, the mapped pages of their
    inputs and the process itself (its vocabulary, numpy) within ``budget``."""
    room = max(int(budget * (1 - CACHE_SHARE)) - PROCESS_BASE, budget // 4)
    return max(1, room // (BYTES_PER_ROW * threads))


def fits_in_memory(positions: int, order: int, budget: int) -> bool:
    """Whether counting in memory (``counting.count_token_file``) keeps to ``budget``."""
    return IN_MEMORY_BASE + positions * max(1, order - 1) * IN_MEMORY_PER_TOKEN_ORDER <= budget


def rows_per_word(vocab: Vocabulary) -> np.ndarray:
    """How many n-grams of order >= 2 start at each word: every occurrence but ``</s>``."""
    counts = np.asarray(vocab.counts, dtype=np.int64).copy()
    counts[[vocab.pad_id, vocab.eos_id]] = 0
    return counts


def unigram_counts(vocab: Vocabulary) -> np.ndarray:
    """Raw counts of each word as a predicted token (``<s>`` never is)."""
    raw = np.asarray(vocab.counts, dtype=np.int64).copy()
    raw[vocab.bos_id] = 0
    return raw


def plan_partitions(weights: np.ndarray, target: int,
                    heavy_bigrams: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """First bigram keys of partitions of at most about ``target`` rows: ranges of first
    words, and a word with more rows than that split by its second word, with the
    counts of its bigrams (``heavy_bigrams(mask)``: sorted keys and counts) as a guide."""
    V, target = len(weights), max(1, target, int(weights.sum()) // MAX_PARTITIONS)
    cum = np.cumsum(weights)
    starts = []
    start = 0
    while start < V:
        starts.append(start)
        base = int(cum[start - 1]) if start else 0
        start = max(start + 1, int(np.searchsorted(cum, base + target, side="right")))
    bounds = np.array(starts, dtype=np.int64) * V
    heavy = weights > target
    if not heavy.any():
        return bounds
    keys, counts = heavy_bigrams(heavy)
    first = keys // V
    cuts = []
    for w in np.flatnonzero(heavy).tolist():
        a, b = np.searchsorted(first, [w, w + 1])
        part = np.cumsum(counts[a:b]) // target  # the piece each of the word's bigrams falls in
        change = np.flatnonzero(part[1:] != part[:-1]) + 1
        cuts.append(keys[a:b][change])
    return np.unique(np.concatenate([bounds, *cuts]))


def bigram_counts(blocks: Iterator[tuple[np.ndarray, np.ndarray]], heavy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted keys and counts of the bigrams whose first word is marked in ``heavy``, over
    blocks of (ids, positions) that hold whole sentences (or overlap by one token)."""
    V = len(heavy)
    held_k, held_c = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for t, p in blocks:
        j = np.flatnonzero(heavy[t[:-1]] & (p[1:] != 0))
        k, c = np.unique(t[j].astype(np.int64) * V + t[j + 1], return_counts=True)
        held_k.append(k)
        held_c.append(c)
        if len(held_k) > 8:
            held_k, held_c = merge_counts(held_k, held_c)
    keys, counts = merge_counts(held_k, held_c)
    return keys[0], counts[0]


def merge_counts(keys: list[np.ndarray], counts: list[np.ndarray]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """One table of distinct keys and summed counts from several."""
    k, inverse = np.unique(np.concatenate(keys), return_inverse=True)
    return [k], [np.bincount(inverse.ravel(), weights=np.concatenate(counts), minlength=len(k)).astype(np.int64)]


def token_blocks(folder: Path, length: int, remap: np.ndarray, block: int, order: int) -> Iterator[tuple[np.ndarray, np.ndarray, int, int]]:
    """(tokens, positions, lo, hi) buffers of ``first_pass``'s files, ``block`` positions
    at a time with the context ``window_rows`` needs on both sides, ids final."""
    with open(folder / "tokens.i32", "rb") as tok, open(folder / "positions.u8", "rb") as pos:
        for a in range(0, length, block):
            start = max(0, a - 1)
            stop = min(length, a + block + order - 1)
            tok.seek(start * 4)
            pos.seek(start)
            t = remap[np.fromfile(tok, dtype=np.int32, count=stop - start)]
            p = np.fromfile(pos, dtype=np.uint8, count=stop - start)
            yield t, p, a - start, min(a + block, length) - start


def split_step(t: np.ndarray, p: np.ndarray, lo: int, hi: int, order: int, bounds: np.ndarray,
               vocab_size: int) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """One block of text as rows, per partition."""
    return split_rows(window_rows(t, p, lo, hi, order), None, bounds, vocab_size)


def spill_estimate(folder: Path, length: int, remap: np.ndarray, vocab: Vocabulary, est: Estimation, budget: int,
                   out: Path, partition_rows: int | None = None, progress: Progress | None = None,
                   threads: int = 1) -> tuple[SmoothingReport, list[int], int]:
    """The model's tables written into ``out`` from ``first_pass``'s files in ``folder``,
    ``threads`` steps at a time; the report, the entries per order and the partitions used."""
    order = est.order
    weights = rows_per_word(vocab)
    step = max(1 << 12, budget // (BYTES_PER_POSITION * threads))

    def heavy_bigrams(heavy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # overlapping blocks: a bigram across a block's end is counted in the block before
        return bigram_counts(((t[lo : hi + 1], p[lo : hi + 1]) for t, p, lo, hi in
                              token_blocks(folder, length, remap, step, 2)), heavy)

    bounds = plan_partitions(weights, partition_rows or partition_target(budget, threads), heavy_bigrams)
    # rows on disk, then each partition's counts and the model's own files
    needed = int(weights.sum()) * ((order + 1) * 4 + 16 * order) + length * order * 16
    check_space(folder, needed, f"counting {length:,} tokens at order {order} within {human_size(budget)}")
    work = folder / "spill"
    work.mkdir(exist_ok=True)
    (work / "slices").mkdir(exist_ok=True)
    ex = LocalExecutor(work, threads)
    try:
        blocks = _split(ex, folder, length, remap, step, order, bounds, len(vocab), threads, progress)
        report, sizes = estimate_partitions(ex, blocks, vocab, bounds, est, unigram_counts(vocab), out, work / "slices",
                                            progress)
    finally:
        ex.close()
    return report, sizes, len(bounds)


def _split(ex: LocalExecutor, folder: Path, length: int, remap: np.ndarray, step: int, order: int, bounds: np.ndarray,
           vocab_size: int, threads: int, progress: Progress | None) -> list[list[LocalHandle]]:
    """Each partition's blocks of rows, on disk; ``threads`` blocks of text in memory at most."""
    blocks: list[list[LocalHandle]] = [[] for _ in bounds]
    pending: deque[tuple[LocalHandle, int]] = deque()
    done = 0
    for t, p, lo, hi in token_blocks(folder, length, remap, step, order):
        handles = ex.submit_split(split_step, len(bounds), t, p, lo, hi, order, bounds, vocab_size)
        for part, h in enumerate(handles):
            blocks[part].append(h)
        pending.append((handles[0], hi - lo))
        if len(pending) > threads:
            done = _wait_for(ex, pending.popleft(), done, length, progress)
    while pending:
        done = _wait_for(ex, pending.popleft(), done, length, progress)
    return blocks


def _wait_for(ex: LocalExecutor, block: tuple[LocalHandle, int], done: int, length: int, progress: Progress | None) -> int:
    ex.wait(block[0])
    if progress is not None:
        progress("split", done + block[1], length)
    return done + block[1]
