"""Analogies and nearest neighbours by cosine, batched over many queries at once.

3CosAdd (Mikolov et al. 2013) ranks words x by cos(x, b) - cos(x, a) + cos(x, c);
3CosMul (Levy & Goldberg 2014) by cos'(x, b) * cos'(x, c) / (cos'(x, a) + eps) with
cos' = (cos + 1) / 2 so every factor is positive. Both exclude the query words from the
answers, as word2vec's compute-accuracy and gensim do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

METHODS = ("add", "mul")
# Levy & Goldberg's epsilon, also gensim's most_similar_cosmul: keeps the division finite.
COSMUL_EPSILON = 1e-3


@dataclass(frozen=True)
class AnalogyQuery:
    """``plus[0] - minus + plus[1]`` should be near ``expected`` (when known)."""

    plus: tuple[str, str]
    minus: str
    expected: str | None = None


def analogy_query(words: Sequence[str], *, question: bool = False) -> AnalogyQuery:
    """The one place where argument order is decided.

    Command line ``A B C`` means A - B + C ("king man woman" -> queen). A line ``a b c d``
    of the Google question file means b - a + c ~ d ("Athens Greece Baghdad Iraq":
    Greece - Athens + Baghdad ~ Iraq).
    """
    if question:
        if len(words) != 4:
            raise ValueError(f"an analogy question has 4 words, got {len(words)}")
        a, b, c, d = words
        return AnalogyQuery(plus=(b, c), minus=a, expected=d)
    if len(words) != 3:
        raise ValueError(f"an analogy query has 3 words, got {len(words)}")
    a, b, c = words
    return AnalogyQuery(plus=(a, c), minus=b)


def analogy_scores(unit: np.ndarray, plus: np.ndarray, minus: np.ndarray, method: str = "add") -> np.ndarray:
    """Scores of every row of ``unit`` (unit-length vectors) for Q analogies at once.

    ``plus`` is (Q, 2) and ``minus`` (Q,) row indices into ``unit``. Returns a (Q, N) array
    where the query words' own columns are -inf. For "add" a score is the cosine with the
    normalised offset vector (gensim's ``most_similar`` reports the same number).
    """
    plus = np.asarray(plus, dtype=np.int64).reshape(-1, 2)
    minus = np.asarray(minus, dtype=np.int64).reshape(-1)
    if method == "add":
        target = unit[plus[:, 0]] + unit[plus[:, 1]] - unit[minus]
        norms = np.linalg.norm(target, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        scores = (target / norms) @ unit.T
    elif method == "mul":
        b = (unit[plus[:, 0]] @ unit.T + 1.0) / 2.0
        c = (unit[plus[:, 1]] @ unit.T + 1.0) / 2.0
        a = (unit[minus] @ unit.T + 1.0) / 2.0
        scores = b * c / (a + COSMUL_EPSILON)
    else:
        raise ValueError(f"unknown analogy method {method!r}; choose add or mul")
    rows = np.arange(scores.shape[0])
    for col in (plus[:, 0], plus[:, 1], minus):
        scores[rows, col] = -np.inf
    return scores


def combination_scores(unit: np.ndarray, plus: Sequence[int], minus: Sequence[int], method: str = "add") -> np.ndarray:
    """Scores of every row of ``unit`` for one query of any number of words, as gensim's
    ``most_similar(positive=, negative=)`` ("add": cosine with the normalised sum of the
    positive unit vectors less the negative ones) and ``most_similar_cosmul`` ("mul":
    the product of cos' with the positives over the product with the negatives + eps).
    With two positives and one negative these are 3CosAdd and 3CosMul. The query words'
    own columns are -inf."""
    plus_rows, minus_rows = np.asarray(plus, dtype=np.int64), np.asarray(minus, dtype=np.int64)
    return vector_combination_scores(unit, unit[plus_rows], unit[minus_rows],
                                     np.concatenate([plus_rows, minus_rows]), method)


def vector_combination_scores(unit: np.ndarray, plus: np.ndarray, minus: np.ndarray, exclude: Sequence[int] | np.ndarray,
                              method: str = "add") -> np.ndarray:
    """``combination_scores`` for query words given as unit vectors (k, dim), which need
    not be rows of ``unit`` (fastText words outside the vocabulary); the ``exclude`` rows
    (the query words that are rows) get -inf."""
    plus, minus = np.asarray(plus).reshape(-1, unit.shape[1]), np.asarray(minus).reshape(-1, unit.shape[1])
    if method == "add":
        target = plus.sum(axis=0) - minus.sum(axis=0)
        norm = np.linalg.norm(target)
        scores = unit @ (target / norm if norm > 0 else target)
    elif method == "mul":
        scores = np.prod((plus @ unit.T + 1.0) / 2.0, axis=0)
        scores = scores / (np.prod((minus @ unit.T + 1.0) / 2.0, axis=0) + COSMUL_EPSILON)
    else:
        raise ValueError(f"unknown analogy method {method!r}; choose add or mul")
    scores = np.asarray(scores, dtype=np.float64)
    scores[np.asarray(exclude, dtype=np.int64)] = -np.inf
    return scores[None, :]


def nearest_scores(unit: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Cosine of every word with each of ``rows``; the word itself gets -inf."""
    rows = np.asarray(rows, dtype=np.int64).reshape(-1)
    scores = unit[rows] @ unit.T
    scores[np.arange(len(rows)), rows] = -np.inf
    return scores


def top_k(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices and scores of the k best columns of each row, best first (-inf never listed
    unless nothing else is left)."""
    k = max(0, min(k, scores.shape[1]))
    if k == 0:
        empty = np.zeros((scores.shape[0], 0))
        return empty.astype(np.int64), empty
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    part_scores = np.take_along_axis(scores, part, axis=1)
    order = np.argsort(-part_scores, axis=1, kind="stable")
    idx = np.take_along_axis(part, order, axis=1)
    return idx, np.take_along_axis(scores, idx, axis=1)
