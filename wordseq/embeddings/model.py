"""The user-facing embeddings model: queries (similar words, analogies, vectors),
evaluations, and its loader and importer.

A model is its ``WordVectors`` (see ``vectors``) plus the preprocessing its words went
through, applied again to every query word. A fastText model also has ``subwords`` (its
n-gram rows), from which a word outside the vocabulary gets a vector; a word-level model
answers such a word with an UnknownWordError. Queries never import gensim.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from wordseq.embeddings.analogy import (
    METHODS,
    analogy_query,
    analogy_scores,
    combination_scores,
    nearest_scores,
    top_k,
    vector_combination_scores,
)
from wordseq.embeddings.evaluation import (
    ANALOGY_SETS,
    SIMILARITY_SETS,
    AnalogyReport,
    SimilarityReport,
    dataset_path,
    evaluate_analogies,
    evaluate_similarity,
)
from wordseq.embeddings.formats import ImportReport, import_vectors
from wordseq.embeddings.storage import WordVectors, load_vectors
from wordseq.embeddings.subwords import SUBWORDS_FILE, SubwordVectors, load_subwords
from wordseq.errors import InputError, OptionError, UnknownWordError
from wordseq.spelling import spelled_close
from wordseq.text.preprocess import PreprocessConfig, Preprocessor, build_token_normalizer

KIND = "embeddings"
# difflib over millions of words would take seconds: spelling hints come from the most
# frequent words only.
_HINT_POOL = 200_000


@dataclass
class EmbeddingModel:
    """A loaded embeddings model: vectors plus the preprocessing its words went through."""

    path: Path | None  # None: trained in memory, not saved
    meta: dict[str, Any]
    vectors: WordVectors
    preprocess: PreprocessConfig = field(default_factory=PreprocessConfig)
    subwords: SubwordVectors | None = None  # fastText: vectors for words outside the vocabulary
    _pre: Preprocessor | None = field(default=None, repr=False)
    _query_cache: dict[str, str | None] = field(default_factory=dict, repr=False)
    _normalize_token: Callable[[str], str | None] | None = field(default=None, repr=False)

    def normalize(self, word: str) -> str | None:
        """A query word as the model saw its words; None if it becomes no single token."""
        if not isinstance(word, str):
            raise InputError(f"a word is a str, got {type(word).__name__}")
        if word not in self._query_cache:
            whole = self._token_normalizer()(word) if self.preprocess.level == "word" else None
            if (word.isalnum() and self.preprocess.level == "word") or whole in self.vectors.index:
                # The tokenizer leaves a plain word whole: only the per-token steps apply,
                # and the NLTK tokenizer need not even be imported; a vocabulary word is
                # taken as it stands (imported vectors keep "don't", "said." whole, where
                # the tokenizer would split them). Characters and subword units come from
                # the whole preprocessing.
                self._query_cache[word] = whole
            else:
                tokens = self._preprocessor().normalize_query(word)
                self._query_cache[word] = tokens[0] if len(tokens) == 1 else None
        return self._query_cache[word]

    def _token_normalizer(self) -> Callable[[str], str | None]:
        if self._normalize_token is None:
            cfg = self.preprocess
            # pretokenized models get typed queries lowercased only (Preprocessor.normalize_query),
            # in the model's language (Turkish I → ı)
            self._normalize_token = build_token_normalizer(
                PreprocessConfig(lower=cfg.lower, lang=cfg.lang) if cfg.pretokenized else cfg)
        return self._normalize_token

    def _preprocessor(self) -> Preprocessor:
        if self._pre is None:
            self._pre = Preprocessor(self.preprocess)
        return self._pre

    # -- queries ------------------------------------------------------------------------

    def vector(self, word: str) -> np.ndarray:
        """The vector of ``word`` (after the model's preprocessing), as a float32 copy; for a
        fastText model a word outside the vocabulary gets the mean of its n-gram vectors."""
        row = self._row_or_none(word)
        if row is None:
            return self._subword_vector(word)
        return np.array(self.vectors.vectors[row], dtype=np.float32)

    def query_word(self, word: str) -> str:
        """``word`` as the model looks it up (after its preprocessing); an UnknownWordError
        when the model has no vector for it."""
        row = self._row_or_none(word)
        if row is None:
            self._subword_vector(word)
            return str(self.normalize(word))
        return self.vectors.words[row]

    def _row_or_none(self, word: str) -> int | None:
        """The word's row; None for a word outside the vocabulary of a fastText model."""
        if self.subwords is None:
            return self.lookup(word)
        norm = self.normalize(word)
        return self.vectors.index.get(norm) if norm is not None else self.lookup(word)

    def _subword_vector(self, word: str) -> np.ndarray:
        norm = self.normalize(word)
        assert self.subwords is not None and norm is not None
        vector = self.subwords.vector(norm)
        if vector is None:
            raise UnknownWordError(f"'{word}' is not in the vocabulary and has no character n-gram of "
                                   f"{self.subwords.min_n} to {self.subwords.max_n} characters to build a vector from")
        return vector

    def _unit_query(self, words: Sequence[str]) -> tuple[np.ndarray, list[int]]:
        """Unit vectors of query words (rows of ``unit()``, or built from n-grams) and the
        rows of those in the vocabulary (never given as answers)."""
        rows = [self._row_or_none(w) for w in words]
        unit = self.vectors.unit()
        out = np.empty((len(words), self.vectors.dim), dtype=np.float32)
        for i, (word, row) in enumerate(zip(words, rows)):
            if row is not None:
                out[i] = unit[row]
            else:
                v = self._subword_vector(word)
                norm = np.linalg.norm(v)
                out[i] = v / norm if norm > 0 else v
        return out, [r for r in rows if r is not None]

    def most_similar(self, word: str, topn: int = 10) -> list[tuple[str, float]]:
        """The ``topn`` words nearest to ``word`` by cosine similarity (itself excluded).

        Examples
        --------
        >>> model.most_similar("film", topn=3)  # doctest: +SKIP
        [('movie', 0.83), ('picture', 0.71), ('films', 0.69)]
        """
        _check_topn(topn)
        row = self._row_or_none(word)
        if row is None:  # a fastText word outside the vocabulary: nothing to exclude
            query, _ = self._unit_query([word])
            return self._best((query @ self.vectors.unit().T).astype(np.float64), topn)
        return self._best(nearest_scores(self.vectors.unit(), np.array([row])), topn)

    def analogy(self, a: str, b: str, c: str, topn: int = 1, method: str = "add") -> list[tuple[str, float]]:
        """Words D with A − B + C ≈ D ("king", "man", "woman" → queen), query words excluded.

        ``method`` is ``add`` (3CosAdd) or ``mul`` (3CosMul, Levy & Goldberg 2014).
        """
        _check_topn(topn, method)
        q = analogy_query((a, b, c))
        if self.subwords is not None:
            return self.most_similar_to(q.plus, [q.minus], topn=topn, method=method)
        plus = [self.lookup(q.plus[0]), self.lookup(q.plus[1])]
        scores = analogy_scores(self.vectors.unit(), np.array([plus]), np.array([self.lookup(q.minus)]), method)
        return self._best(scores, topn)

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
        _check_topn(topn, method)
        if isinstance(positive, str) or isinstance(negative, str) or not positive:
            raise OptionError("--positive", "give a list of one or more words (and --negative a list)")
        if self.subwords is not None:
            plus, plus_rows = self._unit_query(positive)
            minus, minus_rows = self._unit_query(negative)
            scores = vector_combination_scores(self.vectors.unit(), plus, minus, plus_rows + minus_rows, method)
            return self._best(scores, topn)
        scores = combination_scores(self.vectors.unit(), [self.lookup(w) for w in positive],
                                    [self.lookup(w) for w in negative], method)
        return self._best(scores, topn)

    def _best(self, scores: np.ndarray, topn: int) -> list[tuple[str, float]]:
        """The ``topn`` best words of one row of scores (query words score -inf)."""
        idx, best = top_k(scores, topn)
        return [(self.vectors.words[i], float(x)) for i, x in zip(idx[0], best[0]) if np.isfinite(x)]

    def evaluate_analogies(self, path: str | Path | None = None, restrict: int | None = 30_000,
                           method: str = "add") -> AnalogyReport:
        """Accuracy on the Google analogy set (default) or a file of ``a b c d`` lines;
        see ``wordseq.embeddings.evaluation.evaluate_analogies``."""
        return evaluate_analogies(self, dataset_path(None if path is None else str(path), ANALOGY_SETS),
                                  restrict=restrict, method=method)

    def evaluate_similarity(self, path: str | Path | None = None) -> SimilarityReport:
        """Spearman correlation on WordSim-353 (default), SimLex-999 or a file."""
        return evaluate_similarity(self, dataset_path(None if path is None else str(path), SIMILARITY_SETS))

    def to_gensim(self) -> Any:
        """The vectors as gensim ``KeyedVectors`` (same words, same order, same values)."""
        return self.vectors.to_gensim()

    def vectors_of(self, words: Sequence[str]) -> WordVectors:
        """The vectors of ``words`` (each once, in the order given, named as given), as
        fastText's ``print-word-vectors``: a fastText model builds those of unseen words
        from their n-grams; a word without a vector is an UnknownWordError."""
        chosen = list(dict.fromkeys(words))
        if not chosen:
            raise InputError("no words given")
        matrix = np.empty((len(chosen), self.vectors.dim), dtype=np.float32)
        for i, word in enumerate(chosen):
            matrix[i] = self.vector(word)
        return WordVectors(chosen, matrix)

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


def _check_topn(topn: int, method: str = "add") -> None:
    if isinstance(topn, bool) or not isinstance(topn, int) or topn < 1:
        raise OptionError("--topn", f"must be a whole number of at least 1, got {topn!r}")
    if method not in METHODS:
        raise OptionError("--method", f"choose {' or '.join(METHODS)}, got {method!r}")


def save_payload(folder: Path, vectors: WordVectors, subwords: SubwordVectors | None) -> None:
    """Write a model's arrays (and a fastText model's n-gram rows) into ``folder``."""
    vectors.save(folder)
    if subwords is not None:
        subwords.save(folder)


def load_embedding_model(path: Path, meta: dict[str, Any]) -> EmbeddingModel:
    """The store's loader for kind "embeddings" (meta already checked)."""
    pre = PreprocessConfig.from_dict(meta.get("preprocessing") or {})
    vectors = load_vectors(path, meta)
    subwords = load_subwords(path, vectors.dim) if SUBWORDS_FILE in meta.get("payload", {}) else None
    return EmbeddingModel(path=path, meta=meta, vectors=vectors, preprocess=pre, subwords=subwords)


def load_embeddings(name_or_path: str | None) -> EmbeddingModel:
    """An embeddings model by NAME, kind/NAME or PATH."""
    from wordseq.store import load

    model: EmbeddingModel = load(name_or_path, KIND)
    return model


def import_embeddings(path: str | Path, output: str | Path | None = None, *, fmt: str = "auto",
                      limit: int | None = None, encoding_errors: str = "strict") -> tuple[EmbeddingModel, ImportReport]:
    """Read a word2vec-format file (see ``formats.import_vectors``) or a fastText ``.bin``
    model (its subwords too: see ``fasttext_bin``) and, with ``output``, save it as a
    model. Returns the model and the import report (duplicates, counts).

    Examples
    --------
    >>> model, report = import_embeddings("glove.6B.100d.txt.gz", "glove")  # doctest: +SKIP
    >>> model, report = import_embeddings("cc.en.300.bin", "cc-en", fmt="fasttext-bin")  # doctest: +SKIP
    """
    from wordseq.store import new_meta, writing
    from wordseq.text.reader import SourceStats

    with writing(output, KIND) as writer:
        vectors, subwords, report, config = _read_vectors(path, fmt, limit, encoding_errors)
        lower = all(w == w.lower() for w in vectors.words)
        preprocess = PreprocessConfig(lower=lower, pretokenized=True)
        size = Path(path).stat().st_size if str(path) != "-" else 0
        meta = new_meta(
            KIND,
            summary=f"imported from {Path(str(path)).name}, {vectors.dim}d, {len(vectors):,} words"
                    + (f", {subwords.min_n}-{subwords.max_n}-grams in {subwords.buckets:,} buckets" if subwords else ""),
            preprocessing=preprocess.to_dict(),
            config={"dim": vectors.dim, "format": report.format, "limit": limit, **config},
            corpus=[SourceStats(name=str(path), bytes=size).to_dict()],
            training={"words": len(vectors), "rows_read": report.rows, "duplicates": len(report.duplicates),
                      "header_count": report.header_count},
        )
        if writer is not None:
            writer.commit(meta, lambda folder: save_payload(folder, vectors, subwords))
    model = EmbeddingModel(path=writer.target if writer else None, meta=meta, vectors=vectors, preprocess=preprocess,
                           subwords=subwords)
    return model, report


def _read_vectors(path: str | Path, fmt: str, limit: int | None, encoding_errors: str
                  ) -> tuple[WordVectors, SubwordVectors | None, ImportReport, dict[str, Any]]:
    """(vectors, subwords, report, what meta.json's config adds) of a file to import."""
    from wordseq.embeddings.fasttext_bin import FASTTEXT_FORMAT, is_fasttext_bin, read_fasttext_bin
    from wordseq.text.reader import check_readable

    if fmt == "auto" and str(path) != "-":
        check_readable(str(path))
        with open(path, "rb") as fh:
            fmt = FASTTEXT_FORMAT if is_fasttext_bin(fh.read(4)) else fmt
    if fmt != FASTTEXT_FORMAT:
        vectors, report = import_vectors(path, fmt, limit, encoding_errors)
        return vectors, None, report, {}
    if str(path) == "-":
        raise InputError("a fastText .bin is read from a file, not stdin")
    check_readable(str(path))
    if limit is not None:
        raise OptionError("--limit", "a fastText .bin is imported whole (its n-grams hold every word)")
    vectors, subwords, header = read_fasttext_bin(path, encoding_errors)
    report = ImportReport(FASTTEXT_FORMAT, header.words, rows=len(vectors))
    return vectors, subwords, report, {"subwords": True, "min_n": subwords.min_n, "max_n": subwords.max_n,
                                       "buckets": subwords.buckets, "architecture": header.model}
