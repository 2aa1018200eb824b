"""fastText subword vectors: character n-grams hashed into buckets, so any word gets a vector.

A word is wrapped in ``<`` and ``>`` and cut into its character n-grams of ``min_n`` to
``max_n`` characters (characters of UTF-8, as fastText counts them; the single ``<`` and
``>`` are no n-grams). Each n-gram's UTF-8 bytes are hashed with fastText's 32-bit FNV-1a,
in which every byte is first widened as a *signed* char (fastText's ``int8_t`` cast, kept
by gensim's ``ft_hash_bytes``), and the hash modulo ``buckets`` picks a row of the n-gram
matrix. A word outside the vocabulary gets the mean of its n-gram rows, exactly as
gensim's ``FastTextKeyedVectors.get_vector`` and fastText's ``getWordVector``; words in
the vocabulary keep their stored vectors (their own row averaged with their n-grams').

The store holds ``ngrams.npy`` (float32, buckets × dim, memory-mapped on load) and
``subwords.json`` (min_n, max_n, buckets and the name of the hashing scheme). Loading needs
numpy only, never gensim.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from wordseq.errors import ModelError

NGRAMS_FILE = "ngrams.npy"
SUBWORDS_FILE = "subwords.json"
# what subwords.json says about how n-grams become rows; a file that says otherwise is refused
HASHING = "fasttext-fnv1a32-signed-bytes"
BOUNDARIES = ("<", ">")
MAX_N = 100  # longer n-grams than any word has; fastText takes any int
MAX_BUCKETS = 2**31 - 1  # fastText keeps the count in an int32

_FNV_OFFSET = 2166136261
_FNV_PRIME = 16777619
_CONTINUATION_MASK, _CONTINUATION = 0xC0, 0x80  # UTF-8 bytes 10xxxxxx continue a character


def fasttext_hash(data: bytes) -> int:
    """fastText's ``Dictionary::hash``: FNV-1a over the bytes read as signed chars."""
    h = _FNV_OFFSET
    for byte in data:
        h ^= (byte | 0xFFFFFF00) if byte >= 0x80 else byte  # int8 -> uint32 sign extension
        h = (h * _FNV_PRIME) & 0xFFFFFFFF
    return h


def char_ngrams(word: str, min_n: int, max_n: int) -> list[bytes]:
    """The UTF-8 n-grams of ``<word>``, in fastText's order (``computeSubwords``)."""
    data = f"{BOUNDARIES[0]}{word}{BOUNDARIES[1]}".encode()
    size = len(data)
    out = []
    for i in range(size):
        if data[i] & _CONTINUATION_MASK == _CONTINUATION:
            continue
        j, n = i, 1
        while j < size and n <= max_n:
            j += 1
            while j < size and data[j] & _CONTINUATION_MASK == _CONTINUATION:
                j += 1
            if n >= min_n and not (n == 1 and (i == 0 or j == size)):
                out.append(data[i:j])
            n += 1
    return out


def ngram_buckets(word: str, min_n: int, max_n: int, buckets: int) -> list[int]:
    """The n-gram matrix rows of ``word`` (gensim's ``ft_ngram_hashes``)."""
    return [fasttext_hash(g) % buckets for g in char_ngrams(word, min_n, max_n)]


@dataclass
class SubwordVectors:
    """The n-gram bucket matrix of a fastText model and how words map into it."""

    ngrams: np.ndarray  # (buckets, dim) float32, possibly a read-only memory map
    min_n: int
    max_n: int

    def __post_init__(self) -> None:
        check_settings(self.min_n, self.max_n, self.buckets, "the subword vectors")

    @property
    def buckets(self) -> int:
        return int(self.ngrams.shape[0])

    @property
    def dim(self) -> int:
        return int(self.ngrams.shape[1])

    def rows(self, word: str) -> list[int]:
        return ngram_buckets(word, self.min_n, self.max_n, self.buckets)

    def vector(self, word: str) -> np.ndarray | None:
        """The mean of the word's n-gram rows (float32); None when it has no n-gram of
        ``min_n`` to ``max_n`` characters (gensim then gives the zero vector)."""
        rows = self.rows(word)
        if not rows:
            return None
        total = np.zeros(self.dim, dtype=np.float32)
        for row in rows:  # in order and in float32, as gensim adds them
            total += self.ngrams[row]
        return total / np.float32(len(rows))

    def settings(self) -> dict[str, Any]:
        return {"min_n": self.min_n, "max_n": self.max_n, "buckets": self.buckets, "hashing": HASHING,
                "boundaries": list(BOUNDARIES), "unseen_word": "mean of its n-gram rows"}

    def save(self, folder: Path) -> None:
        """Write ``ngrams.npy`` and ``subwords.json`` into a model directory being saved."""
        np.save(folder / NGRAMS_FILE, np.ascontiguousarray(self.ngrams, dtype=np.float32), allow_pickle=False)
        (folder / SUBWORDS_FILE).write_text(json.dumps(self.settings(), indent=1) + "\n", encoding="utf-8")


def check_settings(min_n: Any, max_n: Any, buckets: Any, where: str) -> None:
    """n-gram lengths 1 <= min_n <= max_n <= MAX_N and 1 to MAX_BUCKETS buckets, or a ModelError."""
    def whole(value: Any) -> bool:
        return isinstance(value, int) and not isinstance(value, bool)

    if not (whole(min_n) and whole(max_n) and whole(buckets)):
        raise ModelError(f"{where}: min_n, max_n and buckets must be whole numbers; the model is damaged")
    if not (1 <= min_n <= max_n <= MAX_N and 1 <= buckets <= MAX_BUCKETS):
        raise ModelError(f"{where}: n-grams of {min_n} to {max_n} characters in {buckets} buckets "
                         "cannot be; the model is damaged")


def load_subwords(folder: Path, dim: int) -> SubwordVectors:
    """The subword vectors of a model directory, memory-mapped, checked against
    ``subwords.json`` (shape, hashing scheme) and for values that are not finite."""
    from wordseq.embeddings.storage import check_finite
    from wordseq.store.payload import open_npy

    path = folder / SUBWORDS_FILE
    try:
        settings = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ModelError(f"{path} is damaged: {exc}") from None
    if not isinstance(settings, dict) or settings.get("hashing") != HASHING:
        raise ModelError(f"{path}: unknown n-gram hashing scheme (expected {HASHING!r}); the model is damaged")
    check_settings(settings.get("min_n"), settings.get("max_n"), settings.get("buckets"), str(path))
    ngrams = open_npy(folder / NGRAMS_FILE, np.float32, (settings["buckets"], dim))
    check_finite(folder / NGRAMS_FILE, ngrams)
    return SubwordVectors(ngrams, settings["min_n"], settings["max_n"])
