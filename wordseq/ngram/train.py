"""Training: stream token sequences → counts → smoothed tables → an NgramModel."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from wordseq.ngram.counting import check_order, count_ngrams
from wordseq.ngram.model import NgramModel
from wordseq.ngram.smoothing import SMOOTHINGS, estimate
from wordseq.text.preprocess import PreprocessConfig
from wordseq.errors import InputError


@dataclass
class NgramConfig:
    """Hyper-parameters of an n-gram model (stored in meta.json)."""

    order: int = 3
    smoothing: str = "modified-kneser-ney"
    k: float = 1.0  # add-k only
    min_count: int = 1
    discount_fallback: bool = False
    discount: float | None = None  # kneser-ney only: one fixed D for every order

    def __post_init__(self) -> None:
        check_order(self.order)
        if self.smoothing not in SMOOTHINGS:
            raise InputError(f"unknown smoothing {self.smoothing!r}; choose one of {', '.join(SMOOTHINGS)}")
        if self.smoothing == "add-k" and not self.k > 0:
            raise InputError("--k must be greater than 0")
        if self.discount is not None and not 0 < self.discount < 1:
            raise InputError("--discount must be between 0 and 1")
        if self.min_count < 1:
            raise InputError("--min-count must be at least 1")


@dataclass
class TrainingFigures:
    sentences: int = 0
    tokens: int = 0
    vocab_size: int = 0
    ngrams: list[int] = field(default_factory=list)
    discounts: list[list[float]] = field(default_factory=list)
    discount_fallback_orders: list[int] = field(default_factory=list)
    skipped_markers: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def train_ngram(
    sequences: Iterable[Sequence[str]], config: NgramConfig, preprocess: PreprocessConfig | None = None
) -> tuple[NgramModel, TrainingFigures]:
    start = time.perf_counter()
    counts = count_ngrams(sequences, config.order, config.min_count)
    tables, report = estimate(counts, config.smoothing, config.k, config.discount_fallback, config.discount)
    model = NgramModel(tables, preprocess, config.smoothing)
    figures = TrainingFigures(
        sentences=counts.sentences,
        tokens=counts.tokens,
        vocab_size=counts.vocab.num_words,
        ngrams=counts.sizes,
        discounts=report.discounts,
        discount_fallback_orders=report.fallback_orders,
        skipped_markers=counts.skipped_markers,
        seconds=time.perf_counter() - start,
    )
    return model, figures
