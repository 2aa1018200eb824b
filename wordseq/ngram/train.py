"""Training: text → counts → smoothed tables → an NgramModel (and a saved model directory)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from wordseq.errors import InputError
from wordseq.ngram.counting import NgramCounts, check_order, count_chunks
from wordseq.ngram.encode import Corpus, TokenChunk, corpus_chunks
from wordseq.ngram.model import NgramModel
from wordseq.ngram.smoothing import SMOOTHINGS, Limits, estimate
from wordseq.text.preprocess import PreprocessConfig
from wordseq.text.reader import CorpusReader



@dataclass(frozen=True)
class NgramConfig:
    """Hyper-parameters of an n-gram model (stored in meta.json as ``config``).

    Parameters
    ----------
    order
        N, 1 to 9.
    smoothing
        One of ``SMOOTHINGS``.
    k
        Add-k's pseudo-count (> 0).
    min_count
        Words seen fewer times become ``<unk>`` before counting.
    discount_fallback
        Kneser-Ney: discounts 0.5 1 1.5 where the corpus gives invalid ones (lmplz).
    discount
        kneser-ney: one fixed discount in (0, 1) at every order.
    prune
        lmplz ``--prune``: per-order count thresholds, non-decreasing, the last one
        repeated for the higher orders (``(0, 1, 1)`` drops singleton 2- and 3-grams).
    vocab_file
        Keep only the words of this file (whitespace-separated), as lmplz
        ``--limit_vocab_file``; the rest become ``<unk>``.
    max_vocab
        Keep only the N most frequent words; the rest become ``<unk>``.
    """

    order: int = 3
    smoothing: str = "modified-kneser-ney"
    k: float = 1.0
    min_count: int = 1
    discount_fallback: bool = False
    discount: float | None = None
    prune: tuple[int, ...] = ()
    vocab_file: str | None = None
    max_vocab: int | None = None

    def __post_init__(self) -> None:
        check_order(self.order)
        if self.smoothing not in SMOOTHINGS:
            raise InputError(f"unknown smoothing {self.smoothing!r}; choose one of {', '.join(SMOOTHINGS)}")
        if not math.isfinite(self.k) or self.k <= 0:
            raise InputError(f"--k must be a finite number greater than 0, got {self.k}")
        if self.discount is not None and not (math.isfinite(self.discount) and 0 < self.discount < 1):
            raise InputError(f"--discount must be between 0 and 1, got {self.discount}")
        if self.min_count < 1:
            raise InputError("--min-count must be at least 1")
        object.__setattr__(self, "prune", tuple(int(x) for x in self.prune))
        _check_prune(self.prune, self.order)
        if self.max_vocab is not None and self.max_vocab < 1:
            raise InputError(f"--max-vocab must be at least 1, got {self.max_vocab}")
        if self.max_vocab is not None and self.vocab_file is not None:
            raise InputError("--vocab and --max-vocab both limit the vocabulary; give one of them")
        if self.smoothing == "add-k" and (any(self.prune) or self.vocab_file or self.max_vocab):
            raise InputError("--prune, --vocab and --max-vocab need a backoff model; add-k gives every unseen word "
                             "of a context one fixed probability, so it cannot drop n-grams")

    def prune_thresholds(self) -> tuple[int, ...] | None:
        """One threshold per order (the last one given repeats), or None for no pruning."""
        if not any(self.prune):
            return None
        return self.prune + (self.prune[-1],) * (self.order - len(self.prune))

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["prune"] = list(self.prune)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "NgramConfig":
        known = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        known["prune"] = tuple(known.get("prune") or ())
        return cls(**known)


def _check_prune(prune: tuple[int, ...], order: int) -> None:
    if not prune:
        return
    if len(prune) > order:
        raise InputError(f"--prune gives {len(prune)} thresholds but the model has order {order}")
    if any(x < 0 for x in prune):
        raise InputError(f"--prune thresholds are counts, 0 or more; got {' '.join(map(str, prune))}")
    if any(b < a for a, b in zip(prune, prune[1:])):
        raise InputError(
            f"--prune thresholds must not decrease (got {' '.join(map(str, prune))}): a higher-order n-gram "
            "would stay while the shorter one it needs as context is dropped (as lmplz requires)"
        )


@dataclass
class TrainingFigures:
    """What training saw and found (meta.json ``training``)."""

    sentences: int = 0
    tokens: int = 0
    vocab_size: int = 0
    ngrams: list[int] = field(default_factory=list)  # distinct n-grams counted, per order
    kept: list[int] = field(default_factory=list)  # entries in the model, per order
    discounts: list[list[float]] = field(default_factory=list)
    discount_fallback_orders: list[int] = field(default_factory=list)
    pruned: list[int] = field(default_factory=list)
    skipped_markers: int = 0
    replaced_bytes: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def log_lines(self) -> list[str]:
        """Counts and discounts per order, in lmplz's layout (``n count D1= D2= D3+=``)."""
        lines = []
        for n, count in enumerate(self.ngrams, 1):
            kept = self.kept[n - 1] if n <= len(self.kept) else count
            line = f"{n} {count}" if kept == count else f"{n} {kept}/{count}"
            if n <= len(self.discounts):
                d1, d2, d3 = self.discounts[n - 1]
                line += f" D1={d1:.6g} D2={d2:.6g} D3+={d3:.6g}"
            lines.append(line)
        return lines

    def warnings(self) -> list[str]:
        out = []
        if self.replaced_bytes:
            out.append(f"replaced {self.replaced_bytes} invalid UTF-8 byte(s) with U+FFFD")
        if self.discount_fallback_orders:
            out.append(f"fallback discounts used for order(s) {', '.join(map(str, self.discount_fallback_orders))}")
        if self.skipped_markers:
            out.append(f"skipped {self.skipped_markers} literal <s> / </s> / <pad> token(s): sentence markers are added per line")
        return out


def train_ngram(
    corpus: Corpus, config: NgramConfig | None = None, preprocess: PreprocessConfig | None = None, *,
    encoding_errors: str = "strict", on_chunk: Callable[[TokenChunk], None] | None = None,
) -> NgramModel:
    """Train an n-gram model.

    Parameters
    ----------
    corpus
        A file path (str or Path), a list of Paths or a ``CorpusReader`` (files are read
        as they are, '-' for stdin, compressed too); or raw text lines (an iterable of
        str, one sequence per line); or token lists (an iterable of lists of str).
    config
        Hyper-parameters (default: order 3, modified Kneser-Ney).
    preprocess
        How raw text becomes tokens (default: NLTK words, lowercased); token lists are
        used as they are.
    on_chunk
        Called with each block of input as it is counted (progress).

    Returns
    -------
    NgramModel
        Its ``training`` dict holds the figures (counts, discounts, time).

    Examples
    --------
    >>> model = train_ngram(["the cat sat", "the dog sat"], NgramConfig(order=2, discount_fallback=True))
    >>> model.order, model.vocab.num_words
    (2, 4)
    """
    config = config or NgramConfig()
    preprocess = preprocess or PreprocessConfig()
    start = time.perf_counter()
    chunks, reader = corpus_chunks(corpus, preprocess, encoding_errors)
    counts = count_chunks(chunks, config.order, config.min_count, on_chunk=on_chunk)
    limits = Limits(config.prune_thresholds(), _keep_words(config, counts, preprocess))
    tables, report = estimate(counts, config.smoothing, config.k, config.discount_fallback, config.discount, limits)
    model = NgramModel(tables, preprocess, config.smoothing, config.to_dict())
    figures = TrainingFigures(
        sentences=counts.sentences,
        tokens=counts.tokens,
        vocab_size=tables.vocab.num_words,
        ngrams=counts.sizes,
        kept=tables.sizes(),
        discounts=report.discounts,
        discount_fallback_orders=report.fallback_orders,
        pruned=report.pruned,
        skipped_markers=counts.skipped_markers,
        replaced_bytes=reader.replaced if reader is not None else 0,
        seconds=time.perf_counter() - start,
    )
    model.training = figures.to_dict()
    model.sources = list(reader.sources) if reader is not None else []
    return model


def _keep_words(config: NgramConfig, counts: NgramCounts, preprocess: PreprocessConfig) -> np.ndarray | None:
    """Mask over the counted vocabulary of the words --vocab / --max-vocab keep."""
    vocab = counts.vocab
    if config.max_vocab is not None:
        keep = np.zeros(len(vocab), dtype=bool)
        keep[: 4 + config.max_vocab] = True  # ids follow counts, most frequent first
        return keep
    if config.vocab_file is None:
        return None
    keep = np.zeros(len(vocab), dtype=bool)
    for line in CorpusReader([config.vocab_file]):
        for word in line.split():
            i = vocab.stoi.get(word.lower() if preprocess.lower else word)
            if i is not None:
                keep[i] = True
    return keep


def train_to_store(
    paths: Sequence[str], output: str | None, config: NgramConfig, preprocess: PreprocessConfig, *,
    encoding_errors: str = "strict", on_chunk: Callable[[TokenChunk], None] | None = None,
) -> tuple[Path, NgramModel]:
    """Train on files ('-' for stdin) and save the model (``wordseq ngram train``)."""
    from wordseq.ngram.storage import save_ngram
    from wordseq.store import model_dir

    target = model_dir(output, "ngram")
    reader = CorpusReader(list(paths), encoding_errors)
    model = train_ngram(reader, config, preprocess, encoding_errors=encoding_errors, on_chunk=on_chunk)
    save_ngram(model, target, [s.to_dict() for s in model.sources])
    return target, model
