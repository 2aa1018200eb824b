"""The vectors store: a model directory's ``vectors.npy`` and ``words.txt``.

Rows are in vocabulary order, most frequent word first (gensim sorts its vocabulary so;
imported files keep their own order, which for word2vec / fastText files is frequency),
so "the N most frequent words" is simply the first N rows. The matrix is a plain float32
``.npy`` file, memory-mapped on load and read without pickle; the words are UTF-8 text,
one per line. Queries never import gensim.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from wordseq.errors import InputError, ModelError, OptionError, UnknownWordError
from wordseq.spelling import spelled_close
from wordseq.text.preprocess import PreprocessConfig, Preprocessor, build_token_normalizer

KIND = "embeddings"
VECTORS_FILE = "vectors.npy"
WORDS_FILE = "words.txt"
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


def _check_finite(matrix: Path, vectors: np.ndarray) -> None:
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
    _check_finite(matrix, vectors)
    return result


@dataclass
class EmbeddingModel:
    """A loaded embeddings model: vectors plus the preprocessing its words went through."""

    path: Path | None  # None: trained in memory, not saved
    meta: dict[str, Any]
    vectors: WordVectors
    preprocess: PreprocessConfig = field(default_factory=PreprocessConfig)
    _pre: Preprocessor | None = field(default=None, repr=False)
    _query_cache: dict[str, str | None] = field(default_factory=dict, repr=False)
    _normalize_token: Callable[[str], str | None] | None = field(default=None, repr=False)

    def normalize(self, word: str) -> str | None:
        """A query word as the model saw its words; None if it becomes no single token."""
        if not isinstance(word, str):
            raise InputError(f"a word is a str, got {type(word).__name__}")
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

    # -- queries ------------------------------------------------------------------------

    def vector(self, word: str) -> np.ndarray:
        """The vector of ``word`` (after the model's preprocessing), as a float32 copy."""
        return np.array(self.vectors.vectors[self.lookup(word)], dtype=np.float32)

    def most_similar(self, word: str, topn: int = 10) -> list[tuple[str, float]]:
        """The ``topn`` words nearest to ``word`` by cosine similarity (itself excluded).

        Examples
        --------
        >>> model.most_similar("film", topn=3)  # doctest: +SKIP
        [('movie', 0.83), ('picture', 0.71), ('films', 0.69)]
        """
        from wordseq.embeddings.analogy import nearest_scores, top_k

        _check_topn(topn)
        row = self.lookup(word)
        idx, best = top_k(nearest_scores(self.vectors.unit(), np.array([row])), topn)
        return self._scored(idx[0], best[0])

    def analogy(self, a: str, b: str, c: str, topn: int = 1, method: str = "add") -> list[tuple[str, float]]:
        """Words D with A − B + C ≈ D ("king", "man", "woman" → queen), query words excluded.

        ``method`` is ``add`` (3CosAdd) or ``mul`` (3CosMul, Levy & Goldberg 2014).
        """
        from wordseq.embeddings.analogy import METHODS, analogy_query, analogy_scores, top_k

        _check_topn(topn)
        if method not in METHODS:
            raise OptionError("--method", f"choose {' or '.join(METHODS)}, got {method!r}")
        q = analogy_query((a, b, c))
        plus = [self.lookup(q.plus[0]), self.lookup(q.plus[1])]
        scores = analogy_scores(self.vectors.unit(), np.array([plus]), np.array([self.lookup(q.minus)]), method)
        idx, best = top_k(scores, topn)
        return self._scored(idx[0], best[0])

    def most_similar_to(self, positive: Sequence[str], negative: Sequence[str] = (), topn: int = 1,
                        method: str = "add") -> list[tuple[str, float]]:
        """Words nearest to the sum of ``positive`` less ``negative``, as gensim's
        ``most_similar(positive=, negative=)`` (``method="mul"``: ``most_similar_cosmul``);
        query words excluded. ``analogy(a, b, c)`` is ``positive=[a, c], negative=[b]``.

        Examples
        --------
        >>> model.most_similar_to(positive=["king", "woman"], negative=["man"])  # doctest: +SKIP
        [('queen', 0.71)]
        """
        from wordseq.embeddings.analogy import METHODS, combination_scores, top_k

        _check_topn(topn)
        if method not in METHODS:
            raise OptionError("--method", f"choose {' or '.join(METHODS)}, got {method!r}")
        if isinstance(positive, str) or isinstance(negative, str) or not positive:
            raise OptionError("--positive", "give a list of one or more words (and --negative a list)")
        scores = combination_scores(self.vectors.unit(), [self.lookup(w) for w in positive],
                                    [self.lookup(w) for w in negative], method)
        idx, best = top_k(scores, topn)
        return self._scored(idx[0], best[0])

    def _scored(self, idx: np.ndarray, scores: np.ndarray) -> list[tuple[str, float]]:
        return [(self.vectors.words[i], float(s)) for i, s in zip(idx, scores) if np.isfinite(s)]

    def evaluate_analogies(self, path: str | Path | None = None, restrict: int | None = 30_000,
                           method: str = "add") -> Any:
        """Accuracy on the Google analogy set (default) or a file of ``a b c d`` lines;
        see ``wordseq.embeddings.evaluation.evaluate_analogies``."""
        from wordseq.embeddings.evaluation import ANALOGY_SETS, dataset_path, evaluate_analogies

        return evaluate_analogies(self, dataset_path(None if path is None else str(path), ANALOGY_SETS),
                                  restrict=restrict, method=method)

    def evaluate_similarity(self, path: str | Path | None = None) -> Any:
        """Spearman correlation on WordSim-353 (default), SimLex-999 or a file."""
        from wordseq.embeddings.evaluation import SIMILARITY_SETS, dataset_path, evaluate_similarity

        return evaluate_similarity(self, dataset_path(None if path is None else str(path), SIMILARITY_SETS))

    def to_gensim(self) -> Any:
        """The vectors as gensim ``KeyedVectors`` (same words, same order, same values)."""
        return self.vectors.to_gensim()

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
        close = spelled_close(norm, self.vectors.words[:_HINT_POOL])
        hint = f"; nearest by spelling: {', '.join(close)}" if close else "; no vocabulary word is spelled close to it"
        return f"'{word}'{became} is not in the vocabulary of {len(self.vectors):,} words{hint}"


def _check_topn(topn: int) -> None:
    if isinstance(topn, bool) or not isinstance(topn, int) or topn < 1:
        raise OptionError("--topn", f"must be a whole number of at least 1, got {topn!r}")


def load_embedding_model(path: Path, meta: dict[str, Any]) -> EmbeddingModel:
    """The store's loader for kind "embeddings" (meta already checked)."""
    pre = PreprocessConfig.from_dict(meta.get("preprocessing") or {})
    return EmbeddingModel(path=path, meta=meta, vectors=load_vectors(path, meta), preprocess=pre)


def load_embeddings(name_or_path: str | None) -> EmbeddingModel:
    """An embeddings model by NAME, kind/NAME or PATH."""
    from wordseq.store import load

    model: EmbeddingModel = load(name_or_path, KIND)
    return model


def import_embeddings(path: str | Path, output: str | Path | None = None, *, fmt: str = "auto",
                      limit: int | None = None, encoding_errors: str = "strict") -> tuple[EmbeddingModel, Any]:
    """Read a word2vec-format file (see ``formats.import_vectors``) and, with ``output``,
    save it as a model. Returns the model and the import report (duplicates, counts).

    Examples
    --------
    >>> model, report = import_embeddings("glove.6B.100d.txt.gz", "glove")  # doctest: +SKIP
    """
    from wordseq.embeddings.formats import import_vectors
    from wordseq.store import new_meta, writing
    from wordseq.text.reader import SourceStats

    with writing(output, KIND) as writer:
        vectors, report = import_vectors(path, fmt, limit, encoding_errors)
        lower = all(w == w.lower() for w in vectors.words)
        preprocess = PreprocessConfig(lower=lower, pretokenized=True)
        size = Path(path).stat().st_size if str(path) != "-" else 0
        meta = new_meta(
            KIND,
            summary=f"imported from {Path(str(path)).name}, {vectors.dim}d, {len(vectors):,} words",
            preprocessing=preprocess.to_dict(),
            config={"dim": vectors.dim, "format": report.format, "limit": limit},
            corpus=[SourceStats(name=str(path), bytes=size).to_dict()],
            training={"words": len(vectors), "rows_read": report.rows, "duplicates": len(report.duplicates),
                      "header_count": report.header_count},
        )
        if writer is not None:
            writer.commit(meta, vectors.save)
    return EmbeddingModel(path=writer.target if writer else None, meta=meta, vectors=vectors, preprocess=preprocess), report
