"""Facebook fastText ``.bin`` models (``fasttext.train_unsupervised(...).save_model``):
checked here, then read with gensim's ``load_facebook_vectors`` into plain arrays.

gensim's reader trusts the file: at the end of the file it reads a word forever, and it
takes the sizes in the header at their word. So the whole layout is walked first, with
every count bounded by the bytes left (version 11 or 12 header, vocabulary, input matrix
of ``nwords + bucket`` rows, output matrix, nothing after it), and a supervised, quantized
(.ftz) or subword-less model is refused with one line. Only a file that passed reaches
gensim. Layout: fastText's ``FastText::saveModel`` (args, dictionary, input and output
``DenseMatrix``), all little-endian.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np

from wordseq.embeddings.storage import WordVectors
from wordseq.embeddings.subwords import MAX_BUCKETS, MAX_N, SubwordVectors
from wordseq.errors import InputError

FASTTEXT_FORMAT = "fasttext-bin"
EOS = "</s>"
MAGIC = struct.pack("<i", 793712314)
VERSIONS = (11, 12)
_ARGS = struct.Struct("<12id")  # dim ws epoch minCount neg wordNgrams loss model bucket minn maxn lrUpdateRate t
_MAX_WORD_BYTES = 1 << 16
_MAX_DIM = 10_000
_SUPERVISED = 3
_CHECK_ROWS = 1 << 16


@dataclass
class FastTextHeader:
    """What a checked ``.bin`` declares."""

    dim: int
    min_n: int
    max_n: int
    buckets: int
    words: int
    model: str  # cbow / skip-gram
    # dictionary entries whose bytes are not UTF-8 (gensim would keep them as backslash
    # escapes): entry index → its bytes
    undecodable: dict[int, bytes] = field(default_factory=dict)


def is_fasttext_bin(head: bytes) -> bool:
    """Whether a file's first bytes are fastText's model magic number."""
    return head[:4] == MAGIC


class _Reader:
    """Reads of a checked size from a file of known length: running out is an InputError."""

    def __init__(self, fh: BinaryIO, size: int, label: str) -> None:
        self.fh, self.size, self.label = fh, size, label

    def left(self) -> int:
        return self.size - self.fh.tell()

    def take(self, n: int, what: str) -> bytes:
        if n > self.left():
            raise InputError(f"{self.label}: the file ends inside {what}; the fastText .bin is truncated")
        return self.fh.read(n)

    def unpack(self, fmt: str, what: str) -> tuple[int, ...]:
        return struct.unpack(fmt, self.take(struct.calcsize(fmt), what))

    def word(self, index: int) -> bytes:
        """Bytes up to the next NUL (a word of the dictionary)."""
        start, limit, size = self.fh.tell(), min(_MAX_WORD_BYTES, self.left()), 64
        while True:  # words are short: read a little, and more only when no NUL came
            chunk = self.fh.read(min(size, limit))
            end = chunk.find(b"\0")
            if end >= 0 or len(chunk) >= limit:
                break
            self.fh.seek(start)
            size *= 8
        if end < 0:
            raise InputError(f"{self.label}: word {index + 1} of the dictionary never ends; the fastText .bin is damaged")
        self.fh.seek(start + end + 1)
        return chunk[:end]


def check_fasttext_bin(path: str | Path) -> FastTextHeader:
    """The header of a fastText ``.bin`` whose whole layout was checked; an InputError
    naming the first thing that is wrong otherwise."""
    label = str(path)
    with open(path, "rb") as fh:
        size = fh.seek(0, 2)
        fh.seek(0)
        data = _Reader(fh, size, label)
        magic, version = data.unpack("<4si", "the header")
        if magic != MAGIC or version not in VERSIONS:
            raise InputError(f"{label}: not a fastText .bin of version 11 or 12 (magic {magic!r}, version {version})")
        header = _check_args(data)
        _check_dictionary(data, header)
        _check_matrix(data, header.words + header.buckets, header.dim, "input")
        _check_matrix(data, None, header.dim, "output")
        if data.left():
            raise InputError(f"{label}: {data.left():,} bytes after the model; this is not a fastText .bin as fastText writes it")
    return header


def _check_args(data: _Reader) -> FastTextHeader:
    dim, ws, epoch, _min_count, neg, _ngrams, loss, model, bucket, minn, maxn, _lr_rate, t = data.unpack(
        _ARGS.format, "the settings")
    label = data.label
    if model == _SUPERVISED:
        raise InputError(f"{label}: a supervised (classifier) fastText model holds no word vectors to import")
    if not (1 <= dim <= _MAX_DIM and ws >= 1 and epoch >= 1 and neg >= 0 and loss in (1, 2, 3, 4) and model in (1, 2)
            and 0 <= bucket <= MAX_BUCKETS and math.isfinite(t) and t >= 0):
        raise InputError(f"{label}: impossible settings (dim {dim}, window {ws}, epochs {epoch}, loss {loss}, "
                         f"model {model}, bucket {bucket}); the fastText .bin is damaged")
    if maxn == 0 or bucket == 0:
        raise InputError(f"{label}: this fastText model has no subwords (maxn {maxn}, bucket {bucket}); "
                         "import its .vec file instead")
    if not 1 <= minn <= maxn <= MAX_N:
        raise InputError(f"{label}: impossible n-gram lengths {minn} to {maxn}; the fastText .bin is damaged")
    return FastTextHeader(dim, minn, maxn, bucket, 0, "cbow" if model == 1 else "skip-gram")


def _check_dictionary(data: _Reader, header: FastTextHeader) -> None:
    size, nwords, nlabels = data.unpack("<3i", "the dictionary")
    _ntokens, prune_size = data.unpack("<2q", "the dictionary")
    label = data.label
    if nlabels:
        raise InputError(f"{label}: a supervised (classifier) fastText model holds no word vectors to import")
    if not 1 <= nwords == size:
        raise InputError(f"{label}: a dictionary of {size:,} entries ({nwords:,} words) cannot be; the fastText .bin is damaged")
    if size * 10 > data.left():  # every entry takes at least 10 bytes (a NUL, a count, a type)
        raise InputError(f"{label}: a dictionary of {size:,} entries does not fit in the {data.left():,} bytes left; "
                         "the fastText .bin is truncated or damaged")
    if prune_size > 0:
        raise InputError(f"{label}: a quantized fastText model (.ftz) cannot be imported; use the unquantized .bin")
    seen: set[bytes] = set()
    for i in range(size):
        word = data.word(i)
        _count, kind = data.unpack("<qb", f"entry {i + 1} of the dictionary")
        if kind != 0 or not word or word in seen:
            raise InputError(f"{label}: entry {i + 1} of the dictionary ({word[:40]!r}) is empty, a label or "
                             "given twice; the fastText .bin is damaged")
        seen.add(word)
        try:
            word.decode("utf-8")
        except UnicodeDecodeError:
            header.undecodable[i] = word
    header.words = nwords


def _check_matrix(data: _Reader, rows: int | None, dim: int, which: str) -> None:
    (quantized,) = data.unpack("<b", f"the {which} matrix")
    if quantized:
        raise InputError(f"{data.label}: a quantized fastText model (.ftz) cannot be imported; use the unquantized .bin")
    m, n = data.unpack("<2q", f"the {which} matrix")
    if n != dim or m < 1 or (rows is not None and m != rows):
        raise InputError(f"{data.label}: the {which} matrix is {m:,} × {n:,} where the model needs "
                         f"{'?' if rows is None else f'{rows:,}'} × {dim:,}; the fastText .bin is damaged")
    if m * n * 4 > data.left():
        raise InputError(f"{data.label}: the file ends inside the {which} matrix; the fastText .bin is truncated")
    data.fh.seek(m * n * 4, 1)


def read_fasttext_bin(path: str | Path, encoding_errors: str = "strict"
                      ) -> tuple[WordVectors, SubwordVectors, FastTextHeader]:
    """A checked fastText ``.bin`` read by gensim: its word vectors (each word's own row
    averaged with its n-grams', as fastText gives them) and its n-gram rows. A word that
    is not UTF-8 stops the import, or with ``encoding_errors="replace"`` has U+FFFD for
    its bad bytes (a word that then repeats an earlier one is dropped)."""
    import logging

    from gensim.models.fasttext import load_facebook_vectors

    header = check_fasttext_bin(path)
    if header.undecodable and encoding_errors == "strict":
        index, raw = next(iter(header.undecodable.items()))
        raise InputError(f"{path}: word {index + 1:,} of the dictionary ({raw[:40]!r}) is not valid UTF-8; "
                         "use --encoding-errors replace")
    gensim_log = logging.getLogger("gensim")
    level = gensim_log.level
    gensim_log.setLevel(logging.ERROR)  # its INFO lines are no news to a user of wordseq
    try:
        kv = load_facebook_vectors(str(path))
    except (ValueError, AssertionError, struct.error, UnicodeError) as exc:
        raise InputError(f"{path}: gensim cannot read this fastText .bin: {exc}") from None
    finally:
        gensim_log.setLevel(level)
    for name, matrix in (("word", kv.vectors), ("n-gram", kv.vectors_ngrams)):
        for start in range(0, len(matrix), _CHECK_ROWS):  # a bool copy of a block, not of all
            bad = ~np.isfinite(matrix[start:start + _CHECK_ROWS]).all(axis=1)
            if bad.any():
                row = start + int(np.argmax(bad)) + 1
                raise InputError(f"{path}: {name} vector {row} holds a value that is not finite")
    vectors = np.asarray(kv.vectors, dtype=np.float32)
    if EOS in kv.key_to_index:
        # fastText gives its end-of-line token no n-grams (Dictionary::initNgrams), gensim
        # averages in those of the letters '</s>': keep fastText's own vector
        row = kv.key_to_index[EOS]
        vectors[row] = kv.vectors_vocab[row]
    words = _replaced(list(kv.index_to_key), vectors, header.undecodable)
    subwords = SubwordVectors(np.asarray(kv.vectors_ngrams, dtype=np.float32), kv.min_n, kv.max_n)
    return words, subwords, header


def _replaced(words: list[str], vectors: np.ndarray, undecodable: dict[int, bytes]) -> WordVectors:
    """The words with U+FFFD for the bad bytes of those that are not UTF-8; the first of
    words that become the same is kept."""
    for index, raw in undecodable.items():
        words[index] = raw.decode("utf-8", "replace")
    first: dict[str, int] = {}
    for row, word in enumerate(words):
        first.setdefault(word, row)
    if len(first) == len(words):
        return WordVectors(words, vectors)
    rows = sorted(first.values())
    return WordVectors([words[r] for r in rows], vectors[rows])
