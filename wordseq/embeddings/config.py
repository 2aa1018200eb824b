"""Word2Vec / fastText hyper-parameters: one dataclass, filled from the options, stored in meta.json."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from wordseq.config_checks import DEFAULT_SEED, Config, count, within
from wordseq.errors import OptionError


def default_workers() -> int:
    """Training threads when none are given: one per core, at most 8."""
    return max(1, min(os.cpu_count() or 1, 8))


MAX_SAMPLE = 1e12


@dataclass(frozen=True)
class Word2VecConfig(Config):
    """Word2Vec hyper-parameters (stored in meta.json as ``config``), named as the options.

    Parameters
    ----------
    dim, window, negative, min_count, epochs, sample, alpha, min_alpha
        As gensim's ``vector_size``, ``window``, ``negative``, ``min_count``, ``epochs``,
        ``sample``, ``alpha`` and ``min_alpha``.
    cbow, hs
        CBOW instead of skip-gram; hierarchical softmax (with or instead of negative sampling).
    workers, seed
        Training threads; the seed (one thread and one seed give the same vectors).
    subwords, min_n, max_n, buckets
        fastText vectors (gensim's ``FastText``): words are also made of their character
        n-grams of ``min_n`` to ``max_n`` characters, hashed into ``buckets`` rows, so that
        a word never seen gets a vector too.
    """

    dim: int = 100
    window: int = 5
    negative: int = 5
    min_count: int = 5
    epochs: int = 5
    sample: float = 1e-3
    cbow: bool = False
    hs: bool = False
    alpha: float = 0.025
    min_alpha: float = 0.0001
    workers: int = 1
    seed: int = DEFAULT_SEED
    subwords: bool = False
    min_n: int = 3
    max_n: int = 6
    buckets: int = 2_000_000

    def __post_init__(self) -> None:
        count("--dim", self.dim, 1, 10_000)
        count("--window", self.window, 1, 1000)
        count("--negative", self.negative, 0, 1000)
        count("--min-count", self.min_count, 1)
        count("--epochs", self.epochs, 1, 10_000)
        count("--workers", self.workers, 1, 1024)
        count("--seed", self.seed, 0, 2**32 - 1)
        # gensim reads a sample below 1 as a fraction of the tokens and 1 or more as a word
        # count; a count past 1e12 (more tokens than any corpus) overflows its int64 threshold
        within("--sample", self.sample, 0.0, MAX_SAMPLE)
        # gensim crashes (segfaults on NaN) or learns nothing outside these ranges
        within("--alpha", self.alpha, 0.0, 1.0, low_open=True)
        within("--min-alpha", self.min_alpha, 0.0, self.alpha)
        if not (self.hs or self.negative > 0):
            raise OptionError("--negative", "with --negative 0 there is no training objective: add --hs")
        self._check_subwords()

    def _check_subwords(self) -> None:
        from wordseq.embeddings.subwords import MAX_BUCKETS, MAX_N

        defaults = (Word2VecConfig.min_n, Word2VecConfig.max_n, Word2VecConfig.buckets)
        if not self.subwords and (self.min_n, self.max_n, self.buckets) != defaults:
            raise OptionError("--subwords", "--min-n, --max-n and --buckets shape subword vectors: add --subwords")
        count("--min-n", self.min_n, 1, MAX_N)
        count("--max-n", self.max_n, 1, MAX_N)
        count("--buckets", self.buckets, 1, MAX_BUCKETS)
        if self.max_n < self.min_n:
            raise OptionError("--max-n", f"must be at least --min-n ({self.min_n}), got {self.max_n}")

    @property
    def engine(self) -> str:
        return "fasttext" if self.subwords else "word2vec"

    @property
    def architecture(self) -> str:
        return "cbow" if self.cbow else "skip-gram"

    @property
    def objective(self) -> str:
        parts = []
        if self.negative:
            parts.append(f"negative sampling ({self.negative})")
        if self.hs:
            parts.append("hierarchical softmax")
        return " + ".join(parts)

    def gensim_kwargs(self) -> dict[str, Any]:
        """The same settings under gensim's ``Word2Vec`` (or ``FastText``) argument names."""
        subwords = {"min_n": self.min_n, "max_n": self.max_n, "bucket": self.buckets} if self.subwords else {}
        return {
            **subwords,
            "vector_size": self.dim,
            "window": self.window,
            "negative": self.negative,
            "min_count": self.min_count,
            "epochs": self.epochs,
            "sample": self.sample,
            "sg": 0 if self.cbow else 1,
            "hs": 1 if self.hs else 0,
            "alpha": self.alpha,
            "min_alpha": self.min_alpha,
            "workers": self.workers,
            "seed": self.seed,
        }
