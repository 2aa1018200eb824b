"""Counting within a memory budget on one machine: partitions spilled to disk.

After the first pass (``counting.first_pass``: token ids on disk, word counts in
memory), ``train.py`` asks ``fits_in_memory``. When the counts would not fit, the token
file is read again in blocks; each block becomes rows (``partition.window_rows``), split by
partition into files, and ``pipeline.estimate_partitions`` runs with a
``LocalExecutor`` that keeps each step's result on disk. Memory is that of the largest
step: one block of rows, or one partition's counts and tables. The partitions are sized
from the budget by the words' counts (a partition is a range of first words, so a single
word's n-grams are never split: at the very most, the most frequent word's share).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from wordseq.ngram.budget import check_space, human
from wordseq.ngram.executors import LocalExecutor
from wordseq.ngram.partition import split_rows, window_rows
from wordseq.ngram.pipeline import Estimation, Progress, estimate_partitions
from wordseq.ngram.smoothing import SmoothingReport
from wordseq.vocab import Vocabulary

# Peak bytes per n-gram start while a partition is counted and estimated (measured on
# Brown-like text at order 5: rows, sort buffers, the tables of every order).
BYTES_PER_ROW = 40 + 48 * 4
# Peak bytes per token position while a block of text becomes rows.
BYTES_PER_POSITION = 160
# The in-memory path's peak: a base, then about this much per token and order
# (README: 72 bytes per distinct n-gram, at most one new n-gram per token and order).
IN_MEMORY_BASE = 100 << 20
IN_MEMORY_PER_TOKEN_ORDER = 72


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


def plan_partitions(weights: np.ndarray, target: int) -> np.ndarray:
    """First word ids of contiguous ranges of at most ``target`` rows each (a word
    heavier than that alone in its range)."""
    cum = np.cumsum(weights)
    bounds = []
    start = 0
    while start < len(weights):
        bounds.append(start)
        base = int(cum[start - 1]) if start else 0
        start = max(start + 1, int(np.searchsorted(cum, base + max(1, target), side="right")))
    return np.array(bounds, dtype=np.int64)


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


def spill_estimate(folder: Path, length: int, remap: np.ndarray, vocab: Vocabulary, est: Estimation, budget: int,
                   out: Path, partition_rows: int | None = None,
                   progress: Progress | None = None) -> tuple[SmoothingReport, list[int], int]:
    """The model's tables written into ``out`` from ``first_pass``'s files in ``folder``;
    the report, the entries per order and the partitions used."""
    order = est.order
    weights = rows_per_word(vocab)
    bounds = plan_partitions(weights, partition_rows or max(1, budget // BYTES_PER_ROW))
    # rows on disk, then each partition's counts and the model's own files
    needed = int(weights.sum()) * ((order + 1) * 4 + 16 * order) + length * order * 16
    check_space(folder, needed, f"counting {length:,} tokens at order {order} within {human(budget)}")
    work = folder / "spill"
    work.mkdir(exist_ok=True)
    ex = LocalExecutor(work, cache_bytes=budget // 4)
    blocks: list[list[object]] = [[] for _ in bounds]
    step = max(1 << 12, budget // BYTES_PER_POSITION)
    done = 0
    for t, p, lo, hi in token_blocks(folder, length, remap, step, order):
        for part, (rows, weights_p) in enumerate(split_rows(window_rows(t, p, lo, hi, order), None, bounds)):
            if len(rows):
                blocks[part].append(ex.put((rows, weights_p)))
        done += hi - lo
        if progress is not None:
            progress("split", done, length)
    report, sizes = estimate_partitions(ex, blocks, vocab, bounds, est, unigram_counts(vocab), out, progress)
    return report, sizes, len(bounds)
