"""The vectors store: a model directory's ``vectors.npy`` and ``words.txt``.

Rows are in vocabulary order, most frequent word first (gensim sorts its vocabulary so;
imported files keep their own order, which for word2vec / fastText files is frequency),
so "the N most frequent words" is simply the first N rows. The matrix is a plain float32
``.npy`` file, memory-mapped on load and read without pickle; the words are UTF-8 text,
one per line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from wordseq.errors import ModelError

VECTORS_FILE = "vectors.npy"
WORDS_FILE = "words.txt"


class WordVectors:
    """Words in frequency order and their vectors (possibly a read-only memory map)."""

    def __init__(self, words: list[str], vectors: np.ndarray) -> None:
        if vectors.ndim != 2 or vectors.shape[0] != len(words):
            raise ModelError(
                f"vectors have shape {vectors.shape} but there are {len(words)} words; the file is damaged"
            )
        self.words = words
        self.vectors = vectors
        self.index: dict[str, int] = {w: i for i, w in enumerate(words)}
        if len(self.index) != len(words):
            seen: set[str] = set()
            twice = next(w for w in words if w in seen or seen.add(w))  # type: ignore[func-returns-value]
            raise ModelError(f"the word {twice!r} appears twice in the vectors; the file is damaged")
        self._unit: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: object) -> bool:
        return word in self.index

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def unit(self, restrict: int | None = None) -> np.ndarray:
        """Rows scaled to unit length (all-zero rows stay zero), first ``restrict`` only."""
        if self._unit is None:
            v = np.asarray(self.vectors, dtype=np.float32)
            norms = np.linalg.norm(v, axis=1, keepdims=True)
            norms[norms == 0] = 1.0
            self._unit = v / norms
        return self._unit if restrict is None else self._unit[:restrict]

    @classmethod
    def from_keyed_vectors(cls, kv: Any) -> WordVectors:
        return cls(list(kv.index_to_key), kv.vectors)

    def to_gensim(self) -> Any:
        """The vectors as gensim ``KeyedVectors`` (one row per word, in this order)."""
        from gensim.models import KeyedVectors

        kv = KeyedVectors(self.dim, count=0, dtype=np.float32)
        kv.add_vectors(self.words, np.asarray(self.vectors, dtype=np.float32))
        return kv

    def save(self, folder: Path) -> None:
        """Write ``vectors.npy`` and ``words.txt`` into a model directory being saved."""
        bad = next((w for w in self.words if not w or "\n" in w or "\r" in w), None)
        if bad is not None:
            raise ModelError(f"the word {bad!r} is empty or holds a line break; it cannot be stored")
        np.save(folder / VECTORS_FILE, np.ascontiguousarray(self.vectors, dtype=np.float32), allow_pickle=False)
        with open(folder / WORDS_FILE, "w", encoding="utf-8", newline="\n") as fh:
            fh.write("\n".join(self.words) + "\n")


def _declared_shape(meta: dict[str, Any] | None) -> tuple[int | None, int | None]:
    """(rows, dim) as meta.json declares them; None where it does not say."""
    if not meta:
        return None, None
    config, training = meta.get("config") or {}, meta.get("training") or {}
    rows = training.get("words", training.get("vocab_size"))  # imported, trained

    def size(value: Any) -> int | None:
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    return size(rows), size(config.get("dim"))


def check_finite(matrix: Path, vectors: np.ndarray) -> None:
    """A NaN or infinite value makes every similarity with its word meaningless: refuse,
    once per file (the check is remembered in the store's stamp while it is unchanged)."""
    from wordseq.store.meta import checked_before, remember_check

    tag = f"finite:{vectors.shape}"
    if checked_before(matrix, tag):
        return
    rows = max(1, (64 << 20) // max(1, vectors.shape[1] * 4))  # 64 MB at a time
    for start in range(0, vectors.shape[0], rows):
        block = vectors[start:start + rows]
        if not np.isfinite(block).all():
            row = start + int(np.flatnonzero(~np.isfinite(block).all(axis=1))[0])
            raise ModelError(f"{matrix} is damaged: row {row} holds a value that is not finite")
    remember_check(matrix, tag)


def load_vectors(folder: Path, meta: dict[str, Any] | None = None) -> WordVectors:
    """The vectors of a model directory, memory-mapped, without pickle; their shape must
    be what meta.json declares (when given) and every value finite."""
    from wordseq.store.payload import open_npy

    matrix, words = folder / VECTORS_FILE, folder / WORDS_FILE
    for path in (matrix, words):
        if not path.is_file():
            raise ModelError(f"{folder} has no {path.name}; the model is incomplete, train or import it again")
    vectors = open_npy(matrix, np.float32, _declared_shape(meta), memmap=True)
    try:
        names = words.read_text(encoding="utf-8").split("\n")
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelError(f"{words} is damaged: {exc}") from None
    if names and names[-1] == "":
        names.pop()
    result = WordVectors(names, vectors)
    check_finite(matrix, vectors)
    return result
