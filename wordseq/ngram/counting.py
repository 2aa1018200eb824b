"""Streaming n-gram counting with integer keys and numpy sort / unique.

Pass 1 reads token sequences once, gives each new word a provisional id and writes the
ids of ``<s> w1 .. wk </s>`` to a temporary file (4 bytes a token), together with each
position's place in its sentence. Nothing of the corpus stays in memory.

Then, order by order, the file is read in chunks: the key of the n-gram ending at
position j is ``index_{n-1}[j-1] * V + token[j]`` (the index of its first n-1 words in the
order n-1 table, see ``tables.py``). Each chunk's keys are reduced with ``np.unique`` and
merged into the running table, so memory follows the number of distinct n-grams. A second
sweep writes ``index_n`` of every position (another temporary file) for the next order.

Following KenLM, ``<s>`` is context only: n-grams end at any position but the ``<s>``,
and the lower-order n-grams that start at ``<s>`` are counted too (they cannot be
extended to the left, so Kneser-Ney keeps their raw counts).
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from wordseq.errors import InputError
from wordseq.vocab import BOS, EOS, PAD, UNK, Vocabulary

CHUNK = 1 << 21  # positions per chunk
MAX_ORDER = 9
_FLUSH_TOKENS = 1 << 20
_MERGE_EVERY = 8  # chunk tables held before merging them into the running table


@dataclass
class NgramCounts:
    vocab: Vocabulary
    order: int
    unigram: np.ndarray  # raw counts of each word as a predicted token (<s>: 0)
    keys: list[np.ndarray]  # keys[0] empty; keys[n-1] sorted for order n >= 2
    counts: list[np.ndarray]  # counts[0] is ``unigram``
    sentences: int = 0
    tokens: int = 0  # words, </s> not included
    skipped_markers: int = 0  # literal <s> / </s> / <pad> dropped from the input
    sizes: list[int] = field(default_factory=list)


def check_order(order: int) -> None:
    from wordseq.config_checks import count

    count("--order", order, 1, MAX_ORDER)


class _TokenFile:
    """Append-only int32 token ids and uint8 sentence positions in a temp directory."""

    def __init__(self, folder: Path) -> None:
        self.tok_path = folder / "tokens.i32"
        self.pos_path = folder / "positions.u8"
        self._tok = open(self.tok_path, "wb")
        self._pos = open(self.pos_path, "wb")
        self.length = 0

    def write(self, ids: list[int], lengths: list[int]) -> None:
        tok = np.asarray(ids, dtype=np.int32)
        lens = np.asarray(lengths, dtype=np.int64)
        starts = np.repeat(np.cumsum(lens) - lens, lens)
        pos = np.minimum(np.arange(len(tok)) - starts, 255).astype(np.uint8)
        tok.tofile(self._tok)
        pos.tofile(self._pos)
        self.length += len(tok)

    def close(self) -> None:
        self._tok.close()
        self._pos.close()


def _encode(sequences: Iterable[Sequence[str]], out: _TokenFile) -> tuple[list[str], np.ndarray, int, int]:
    """Write provisional ids; return (words by provisional id, their counts, sentences, skipped)."""
    ids_of: dict[str, int] = {PAD: 0, UNK: 1, BOS: 2, EOS: 3}
    words = [PAD, UNK, BOS, EOS]
    counts = np.zeros(1024, dtype=np.int64)
    skip = {PAD, BOS, EOS}
    buf: list[int] = []
    lengths: list[int] = []
    sentences = skipped = 0

    def flush() -> None:
        nonlocal counts
        arr = np.asarray(buf, dtype=np.int64)
        if len(words) > len(counts):
            counts = np.concatenate([counts, np.zeros(len(words) * 2 - len(counts), dtype=np.int64)])
        counts[: len(words)] += np.bincount(arr, minlength=len(words))
        out.write(buf, lengths)
        buf.clear()
        lengths.clear()

    get = ids_of.get
    for seq in sequences:
        if any(t in skip for t in seq):
            skipped += sum(t in skip for t in seq)
            seq = [t for t in seq if t not in skip]
        if not seq:
            continue
        row = [2]
        for t in seq:
            i = get(t)
            if i is None:
                i = len(words)
                ids_of[t] = i
                words.append(t)
            row.append(i)
        row.append(3)
        buf.extend(row)
        lengths.append(len(row))
        sentences += 1
        if len(buf) >= _FLUSH_TOKENS:
            flush()
    if buf:
        flush()
    return words, counts[: len(words)], sentences, skipped


def _merge(keys: list[np.ndarray], counts: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    if len(keys) == 1:
        return keys[0], counts[0]
    k = np.concatenate(keys)
    c = np.concatenate(counts)
    order = np.argsort(k, kind="stable")
    k, c = k[order], c[order]
    starts = np.flatnonzero(np.concatenate([[True], k[1:] != k[:-1]]))
    return k[starts], np.add.reduceat(c, starts)


def count_ngrams(
    sequences: Iterable[Sequence[str]], order: int, min_count: int = 1, workdir: Path | None = None
) -> NgramCounts:
    """Count all n-grams of orders 1..``order`` of the token sequences (streaming)."""
    check_order(order)
    if min_count < 1:
        raise InputError("--min-count must be at least 1")
    with tempfile.TemporaryDirectory(prefix="wordseq-ngram-", dir=workdir) as tmp:
        folder = Path(tmp)
        tf = _TokenFile(folder)
        try:
            words, prov_counts, sentences, skipped = _encode(sequences, tf)
        finally:
            tf.close()
        if sentences == 0:
            raise InputError("the corpus has no tokens")
        counter = Counter({w: int(c) for w, c in zip(words[4:], prov_counts[4:])})
        counter[UNK] = int(prov_counts[1])
        vocab = Vocabulary.from_counter(counter, min_count=min_count, num_sequences=sentences)
        remap = np.array([vocab.id(w) for w in words], dtype=np.int32)
        remap[:4] = [vocab.pad_id, vocab.unk_id, vocab.bos_id, vocab.eos_id]
        return _count_orders(folder, tf.length, remap, vocab, order, sentences, skipped)


def _count_orders(
    folder: Path, length: int, remap: np.ndarray, vocab: Vocabulary, order: int, sentences: int, skipped: int
) -> NgramCounts:
    V = len(vocab)
    tokens = np.memmap(folder / "tokens.i32", dtype=np.int32, mode="r+", shape=(length,))
    positions = np.memmap(folder / "positions.u8", dtype=np.uint8, mode="r", shape=(length,))
    for a in range(0, length, CHUNK):
        tokens[a : a + CHUNK] = remap[tokens[a : a + CHUNK]]
    tokens.flush()

    unigram = np.zeros(V, dtype=np.int64)
    for a in range(0, length, CHUNK):
        t = tokens[a : a + CHUNK]
        unigram += np.bincount(t[positions[a : a + CHUNK] >= 1], minlength=V)

    keys_by_order: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
    counts_by_order: list[np.ndarray] = [unigram]
    prev_index: np.ndarray | np.memmap = tokens  # index of the (n-1)-gram ending at each position
    for n in range(2, order + 1):
        held_k: list[np.ndarray] = []
        held_c: list[np.ndarray] = []
        for a in range(0, length, CHUNK):
            key, _ = _chunk_keys(prev_index, tokens, positions, a, n, V)
            k, c = np.unique(key, return_counts=True)
            held_k.append(k)
            held_c.append(c.astype(np.int64))
            if len(held_k) >= _MERGE_EVERY:
                mk, mc = _merge(held_k, held_c)
                held_k, held_c = [mk], [mc]
        table_k, table_c = _merge(held_k, held_c) if held_k else (np.zeros(0, np.int64), np.zeros(0, np.int64))
        keys_by_order.append(table_k)
        counts_by_order.append(table_c)
        if n < order:
            index = np.memmap(folder / f"index{n}.i64", dtype=np.int64, mode="w+", shape=(length,))
            for a in range(0, length, CHUNK):
                key, valid = _chunk_keys(prev_index, tokens, positions, a, n, V, keep_all=True)
                pos = np.searchsorted(table_k, key)
                index[a : a + len(key)] = np.where(valid, pos, -1)
            index.flush()
            prev_index = index
    total_words = int(unigram.sum()) - sentences
    return NgramCounts(
        vocab=vocab,
        order=order,
        unigram=unigram,
        keys=keys_by_order,
        counts=counts_by_order,
        sentences=sentences,
        tokens=total_words,
        skipped_markers=skipped,
        sizes=[int((unigram > 0).sum())] + [len(k) for k in keys_by_order[1:]],
    )


def _chunk_keys(
    prev_index: np.ndarray, tokens: np.ndarray, positions: np.ndarray, a: int, n: int, V: int, keep_all: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Keys of the n-grams ending at positions [a, a + CHUNK) and which positions have one."""
    t = np.asarray(tokens[a : a + CHUNK], dtype=np.int64)
    p = np.asarray(positions[a : a + CHUNK])
    if a == 0:
        prev = np.concatenate([[-1], np.asarray(prev_index[: len(t) - 1], dtype=np.int64)])
    else:
        prev = np.asarray(prev_index[a - 1 : a - 1 + len(t)], dtype=np.int64)
    valid = p >= n - 1
    key = prev * V + t
    if keep_all:
        return key, valid
    return key[valid], valid
