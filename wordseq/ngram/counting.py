"""Streaming n-gram counting with integer keys and numpy sort / unique.

Pass 1 encodes the text block by block (``encode.py``): each new word gets a provisional
id, and the ids of ``<s> w1 .. wk </s>`` go to a temporary file (4 bytes a token),
together with each position's place in its sentence. Nothing of the corpus stays in
memory.

Then, order by order, the file is read in chunks: the key of the n-gram ending at
position j is ``index_{n-1}[j-1] * V + token[j]`` (the index of its first n-1 words in the
order n-1 table, see ``tables.py``). Each chunk's keys are reduced with ``np.unique`` and
merged into the running table, so memory follows the number of distinct n-grams. The
inverse that ``np.unique`` returns gives each position its chunk-local n-gram; once the
table is complete, one sorted search per chunk turns those into ``index_n`` (another
temporary file) for the next order.

Following KenLM, ``<s>`` is context only: n-grams end at any position but the ``<s>``,
and the lower-order n-grams that start at ``<s>`` are counted too (they cannot be
extended to the left, so Kneser-Ney keeps their raw counts).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from wordseq.errors import InputError
from wordseq.ngram.config import MAX_ORDER
from wordseq.ngram.encode import GrowingIds, IdBlock, TokenChunk, id_blocks, sequence_chunks
from wordseq.ngram.tables import find_keys, unique_keys
from wordseq.vocab import SPECIALS, Vocabulary

CHUNK = 1 << 20  # positions per chunk: what one step holds, whatever the corpus's length


@dataclass
class NgramCounts:
    """Raw counts of every n-gram of orders 1..N (keys as in ``tables.py``)."""

    vocab: Vocabulary
    order: int
    unigram: np.ndarray  # raw counts of each word as a predicted token (<s>: 0)
    keys: list[np.ndarray]  # keys[0] empty; keys[n-1] sorted for order n >= 2
    counts: list[np.ndarray]  # counts[0] is ``unigram``
    sentences: int = 0
    tokens: int = 0  # words, </s> not included
    skipped_markers: int = 0  # literal <s> / </s> / <pad> dropped from the input
    sizes: list[int] = field(default_factory=list)  # entries per order (order 1: the vocabulary but <pad>)
    # suffix[n-1][e]: index in the order n-1 table of entry e's last n-1 words (n >= 2),
    # known from counting for free; empty lists when not given
    suffix: list[np.ndarray] = field(default_factory=list)


def check_order(order: int) -> None:
    """An n-gram order from 1 to ``MAX_ORDER``, or an OptionError."""
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

    def write(self, block: IdBlock) -> None:
        block.ids.astype(np.int32).tofile(self._tok)
        np.minimum(block.positions, 255).astype(np.uint8).tofile(self._pos)
        self.length += len(block.ids)

    def close(self) -> None:
        self._tok.close()
        self._pos.close()


@dataclass
class FirstPass:
    """The words and counts of a first pass over the corpus."""

    words: list[str]
    counts: np.ndarray  # by provisional id
    sentences: int = 0
    skipped: int = 0


def _write_tokens(blocks: Iterable[IdBlock], out: _TokenFile, words: list[str]) -> FirstPass:
    counts = np.zeros(1024, dtype=np.int64)
    result = FirstPass(words, counts)
    for block in blocks:
        if len(words) > len(counts):
            counts = np.concatenate([counts, np.zeros(2 * len(words) - len(counts), dtype=np.int64)])
        counts[: len(words)] += np.bincount(block.ids, minlength=len(words))
        out.write(block)
        result.sentences += len(block.lengths)
        result.skipped += block.skipped_markers
    result.counts = counts[: len(words)]
    return result


def _merge(table: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
           chunk: tuple[np.ndarray, np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A chunk's sorted (keys, counts, suffixes) merged into the running table's: counts
    of keys already there added in place, new keys inserted where they sort. Neither is
    sorted again, so memory is the table and the chunk, not several copies of both
    (text that repeats itself adds nothing at all)."""
    if table is None:
        return chunk
    tk, tc, ts = table
    k, c, sfx = chunk
    pos = np.searchsorted(tk, k)
    found = pos < len(tk)
    found[found] = tk[pos[found]] == k[found]
    tc[pos[found]] += c[found]
    new = ~found
    if not new.any():
        return tk, tc, ts
    at = pos[new]
    return np.insert(tk, at, k[new]), np.insert(tc, at, c[new]), np.insert(ts, at, sfx[new])


def count_ngrams(
    sequences: Iterable[Sequence[str]], order: int, min_count: int = 1, workdir: Path | None = None
) -> NgramCounts:
    """Count all n-grams of orders 1..``order`` of token sequences (streaming).

    Parameters
    ----------
    sequences
        Token lists, one per sentence (``<s>`` / ``</s>`` are added).
    order
        Highest order, 1 to 9.
    min_count
        Words seen fewer times become ``<unk>``.

    Examples
    --------
    >>> counts = count_ngrams([["a", "b"], ["b"]], 2)
    >>> counts.sizes
    [5, 4]
    """
    return count_chunks(sequence_chunks(sequences), order, min_count, workdir)


def count_chunks(
    chunks: Iterable[TokenChunk], order: int, min_count: int = 1, workdir: Path | None = None,
    on_chunk: Callable[[TokenChunk], None] | None = None,
) -> NgramCounts:
    """Count the n-grams of token chunks (see ``encode.py``); ``on_chunk`` sees each chunk."""
    check_order(order)
    if min_count < 1:
        raise InputError("--min-count must be at least 1")
    with tempfile.TemporaryDirectory(prefix="wordseq-ngram-", dir=workdir) as tmp:
        folder = Path(tmp)
        first, length = first_pass(chunks, folder, on_chunk)
        vocab, remap = vocabulary_of(first, min_count)
        return count_token_file(folder, length, remap, vocab, order, first)


def first_pass(chunks: Iterable[TokenChunk], folder: Path,
               on_chunk: Callable[[TokenChunk], None] | None = None) -> tuple[FirstPass, int]:
    """Text → ``tokens.i32`` / ``positions.u8`` in ``folder`` (provisional ids) and the
    word counts; the number of positions written."""
    tf = _TokenFile(folder)
    ids = GrowingIds()
    try:
        first = _write_tokens(id_blocks(chunks, ids, keep_empty=False, on_chunk=on_chunk), tf, ids.words)
    finally:
        tf.close()
    if first.sentences == 0:
        raise InputError("the corpus has no tokens")
    return first, tf.length


def count_token_file(folder: Path, length: int, remap: np.ndarray, vocab: Vocabulary, order: int,
                     first: FirstPass) -> NgramCounts:
    """All orders' counts, in memory, from ``first_pass``'s files."""
    return _count_orders(folder, length, remap, vocab, order, first.sentences, first.skipped)


def refuse_no_words(vocab: Vocabulary, min_count: int, tokens: int, label: str) -> None:
    """A model whose vocabulary is only <unk>, <s> and </s> is refused, as ``vocab build``
    and ``lm train`` refuse it: it would score every word the same."""
    if vocab.num_words == 0:
        raise InputError(f"{label}: no word occurs --min-count {min_count} times or more "
                         f"({tokens:,} tokens); lower --min-count")


def vocabulary_of(first: FirstPass, min_count: int) -> tuple[Vocabulary, np.ndarray]:
    """The vocabulary (``Vocabulary.from_counter``'s order: count descending, then the
    word) and the map from provisional ids to its ids."""
    words = first.words[4:]
    counts = first.counts[4:]
    candidates = np.flatnonzero(counts >= min_count)
    by_word = np.array(sorted(candidates.tolist(), key=words.__getitem__), dtype=np.int64)
    ranked = by_word[np.argsort(-counts[by_word], kind="stable")]
    unk = int(first.counts[1]) + int(counts.sum() - counts[ranked].sum())
    vocab = Vocabulary(list(SPECIALS) + [words[i] for i in ranked.tolist()],
                       [0, unk, first.sentences, first.sentences] + counts[ranked].tolist())
    remap = np.full(len(first.words), vocab.unk_id, dtype=np.int32)
    remap[:4] = [vocab.pad_id, vocab.unk_id, vocab.bos_id, vocab.eos_id]
    remap[4 + ranked] = np.arange(4, 4 + len(ranked), dtype=np.int32)
    return vocab, remap


class _Column:
    """A 1-d array in a file, read and written by slices. Not memory-mapped: the pages of a
    mapping stay in the process's resident memory as it is read, so memory would grow
    with the corpus's length."""

    def __init__(self, path: Path, dtype: type, length: int, create: bool = False) -> None:
        self.path, self.dtype, self.length = path, np.dtype(dtype), length
        if create:
            with open(path, "wb") as fh:
                fh.truncate(length * self.dtype.itemsize)

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, item: slice) -> np.ndarray:
        start, stop, _ = item.indices(self.length)
        with open(self.path, "rb") as fh:
            fh.seek(start * self.dtype.itemsize)
            return np.fromfile(fh, dtype=self.dtype, count=max(0, stop - start))

    def __setitem__(self, item: slice, values: np.ndarray) -> None:
        start, _, _ = item.indices(self.length)
        with open(self.path, "r+b") as fh:
            fh.seek(start * self.dtype.itemsize)
            np.ascontiguousarray(values, dtype=self.dtype).tofile(fh)


def _count_orders(
    folder: Path, length: int, remap: np.ndarray, vocab: Vocabulary, order: int, sentences: int, skipped: int
) -> NgramCounts:
    V = len(vocab)
    tokens: Any = _Column(folder / "tokens.i32", np.int32, length)
    positions: Any = _Column(folder / "positions.u8", np.uint8, length)
    unigram = np.zeros(V, dtype=np.int64)
    for a in range(0, length, CHUNK):
        t = remap[tokens[a : a + CHUNK]]
        tokens[a : a + CHUNK] = t
        unigram += np.bincount(t[positions[a : a + CHUNK] >= 1], minlength=V)

    keys_by_order: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
    counts_by_order: list[np.ndarray] = [unigram]
    suffix_by_order: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
    prev_index: Any = tokens  # index of the (n-1)-gram ending at each position
    for n in range(2, order + 1):
        keep_index = n < order
        index = _Column(folder / f"index{n}.i64", np.int64, length, create=True) if keep_index else None
        table_k, table_c, table_s, local_tables = _count_order(folder, n, prev_index, tokens, positions, V, index)
        keys_by_order.append(table_k)
        counts_by_order.append(table_c)
        suffix_by_order.append(table_s)
        if index is not None:
            _localize(index, local_tables, table_k, positions, n)
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
        sizes=[V - 1] + [len(k) for k in keys_by_order[1:]],  # as ARPA: <unk> <s> </s> and the words
        suffix=suffix_by_order,
    )


def _count_order(
    folder: Path, n: int, prev_index: Any, tokens: Any, positions: Any, V: int, index: Any,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[Path]]:
    """The order-n table (keys, counts, suffix indexes); with ``index``, each position's
    chunk-local entry is written there and each chunk's unique keys are saved (their
    paths returned)."""
    table: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    local_tables: list[Path] = []
    for a in range(0, len(tokens), CHUNK):
        table = _merge(table, _count_chunk(folder, n, a, prev_index, tokens, positions, V, index, local_tables))
    if table is None:
        empty = np.zeros(0, np.int64)
        return empty, empty, empty, local_tables
    table_k, table_c, table_s = table
    return table_k, table_c, table_s, local_tables


def _count_chunk(folder: Path, n: int, a: int, prev_index: Any, tokens: Any, positions: Any, V: int, index: Any,
                 local_tables: list[Path]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The sorted (keys, counts, suffixes) of the chunk at ``a``; a function of its own so
    that its temporaries are gone before the next chunk's are made (a loop's variables
    would hold the last chunk's while the next one is counted)."""
    key, suffix, valid = _chunk_keys(prev_index, tokens, positions, a, n, V)
    k, inv, c, where = unique_keys(key, inverse=index is not None)
    if index is not None and inv is not None:
        local = np.full(len(valid), -1, dtype=np.int64)
        local[valid] = inv
        index[a : a + len(valid)] = local
        path = folder / f"local{n}-{a // CHUNK}.npy"
        np.save(path, k)
        local_tables.append(path)
    return k, c.astype(np.int64), suffix[where].astype(np.int32)


def _localize(index: Any, local_tables: list[Path], table: np.ndarray, positions: Any, n: int) -> None:
    """Chunk-local entry numbers → positions in the merged order-n table."""
    if len(local_tables) == 1:
        return  # the only chunk's unique keys are the table itself
    for c, path in enumerate(local_tables):
        a = c * CHUNK
        local = np.asarray(index[a : a + CHUNK])
        to_table = find_keys(table, np.load(path))
        index[a : a + len(local)] = np.where(local >= 0, to_table[np.maximum(local, 0)], -1)


def _chunk_keys(
    prev_index: Any, tokens: Any, positions: Any, a: int, n: int, V: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keys of the n-grams ending at positions [a, a + CHUNK), the index of their last
    n-1 words in the order n-1 table, and which positions have an n-gram."""
    t = np.asarray(tokens[a : a + CHUNK], dtype=np.int64)
    p = np.asarray(positions[a : a + CHUNK])
    here = np.asarray(prev_index[a : a + len(t)], dtype=np.int64)
    if a == 0:
        prev = np.concatenate([[-1], here[:-1]])
    else:
        prev = np.asarray(prev_index[a - 1 : a - 1 + len(t)], dtype=np.int64)
    valid = p >= n - 1
    key = prev[valid] * V + t[valid]
    return key, here[valid], valid

