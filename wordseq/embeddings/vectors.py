"""The vectors store: a model directory's ``vectors.kv``, loaded memory-mapped.

Rows are in vocabulary order, most frequent word first (gensim sorts its vocabulary so;
imported files keep their own order, which for word2vec / fastText files is frequency),
so "the N most frequent words" is simply the first N rows.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from wordseq.errors import ModelError, UnknownWordError
from wordseq.text.preprocess import PreprocessConfig, Preprocessor, build_token_normalizer

KIND = "embeddings"
VECTORS_FILE = "vectors.kv"
# difflib over millions of words would take seconds: spelling hints come from the most
# frequent words only.
_HINT_POOL = 200_000


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
    def from_keyed_vectors(cls, kv: Any) -> "WordVectors":
        return cls(list(kv.index_to_key), kv.vectors)

    def to_keyed_vectors(self) -> Any:
        from gensim.models import KeyedVectors

        kv = KeyedVectors(self.dim, count=len(self.words), dtype=np.float32)
        kv.add_vectors(self.words, np.asarray(self.vectors, dtype=np.float32))
        return kv


def save_vectors(kv: Any, folder: Path) -> None:
    """Save gensim KeyedVectors with the matrix as its own .npy file, so it can be mmapped."""
    kv.save(str(folder / VECTORS_FILE), separately=["vectors"])


def load_vectors(folder: Path) -> WordVectors:
    from gensim.models import KeyedVectors

    path = folder / VECTORS_FILE
    if not path.is_file():
        raise ModelError(f"{folder} has no {VECTORS_FILE}; the model is incomplete, train or import it again")
    try:
        kv = KeyedVectors.load(str(path), mmap="r")
        return WordVectors.from_keyed_vectors(kv)
    except ModelError:
        raise
    except Exception as exc:  # unpickling and numpy raise many kinds on damaged files
        raise ModelError(
            f"{path} is damaged ({type(exc).__name__}: {exc}); train or import the model again"
        ) from None


@dataclass
class EmbeddingModel:
    """A loaded embeddings model: vectors plus the preprocessing its words went through."""

    path: Path
    meta: dict[str, Any]
    vectors: WordVectors
    preprocess: PreprocessConfig = field(default_factory=PreprocessConfig)
    _pre: Preprocessor | None = field(default=None, repr=False)
    _query_cache: dict[str, str | None] = field(default_factory=dict, repr=False)
    _normalize_token: Callable[[str], str | None] | None = field(default=None, repr=False)

    def normalize(self, word: str) -> str | None:
        """A query word as the model saw its words; None if it becomes no single token."""
        if word not in self._query_cache:
            if word.isalnum():
                # The tokenizer leaves a plain word whole: only the per-token steps apply,
                # and the NLTK tokenizer need not even be imported.
                self._query_cache[word] = self._token_normalizer()(word)
            else:
                tokens = self._preprocessor().normalize_query(word)
                self._query_cache[word] = tokens[0] if len(tokens) == 1 else None
        return self._query_cache[word]

    def _token_normalizer(self) -> Callable[[str], str | None]:
        if self._normalize_token is None:
            cfg = self.preprocess
            # pretokenized models get typed queries lowercased only (Preprocessor.normalize_query)
            self._normalize_token = build_token_normalizer(PreprocessConfig(lower=cfg.lower) if cfg.pretokenized else cfg)
        return self._normalize_token

    def _preprocessor(self) -> Preprocessor:
        if self._pre is None:
            self._pre = Preprocessor(self.preprocess)
        return self._pre

    def lookup(self, word: str) -> int:
        """Row of a query word, or an UnknownWordError that helps the user fix it."""
        norm = self.normalize(word)
        if norm is not None and norm in self.vectors.index:
            return self.vectors.index[norm]
        raise UnknownWordError(self._unknown_message(word, norm))

    def _unknown_message(self, word: str, norm: str | None) -> str:
        if norm is None:
            tokens = self._preprocessor().normalize_query(word)
            if not tokens:
                return f"'{word}' becomes nothing after the model's preprocessing ({self.preprocess.describe()}); give another word"
            return f"'{word}' becomes {len(tokens)} tokens after the model's preprocessing ({' '.join(tokens)}); give one word"
        became = f" (after preprocessing: '{norm}')" if norm != word else ""
        close = difflib.get_close_matches(norm, self.vectors.words[:_HINT_POOL], n=5, cutoff=0.6)
        hint = f"; nearest by spelling: {', '.join(close)}" if close else "; no vocabulary word is spelled close to it"
        return f"'{word}'{became} is not in the vocabulary of {len(self.vectors):,} words{hint}"


def load_embeddings(name_or_path: str | None) -> EmbeddingModel:
    from wordseq.store import find_model

    path, meta = find_model(name_or_path, KIND)
    pre = PreprocessConfig.from_dict(meta.get("preprocessing") or {})
    return EmbeddingModel(path=path, meta=meta, vectors=load_vectors(path), preprocess=pre)
