"""Training: text → counts → smoothed tables → an NgramModel (saved as a model directory
when given a name or path)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from wordseq.errors import InputError
from wordseq.ngram.config import NgramConfig
from wordseq.ngram.counting import NgramCounts, count_chunks
from wordseq.ngram.encode import Corpus, TokenChunk, corpus_chunks
from wordseq.ngram.model import NgramModel
from wordseq.ngram.smoothing import Limits, estimate
from wordseq.progress import SILENT, Reporter
from wordseq.text.preprocess import PreprocessConfig
from wordseq.text.reader import CorpusReader

__all__ = ["NgramConfig", "TrainingFigures", "train_ngram"]



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
    corpus: Corpus = None, output: str | Path | None = None, *, config: NgramConfig | None = None,
    preprocess: PreprocessConfig | None = None, encoding_errors: str = "strict", reporter: Reporter = SILENT,
    **options: Any,
) -> NgramModel:
    """Train an n-gram model and (with ``output``) save it.

    Parameters
    ----------
    corpus
        Training text: a file (str or Path; '-' or None is stdin), a list of Paths, a
        ``CorpusReader``, lines of text (an iterable of str), or token lists.
    output
        Model NAME (in ``$WORDSEQ_HOME/ngram/``) or PATH; None keeps the model in memory.
    config
        An ``NgramConfig``; ``options`` (``order=5``, ``smoothing=``, ``prune=(0, 1)``, any
        of its fields) override its values. Default: order 3, modified Kneser-Ney.
    preprocess
        How raw text becomes tokens (default: NLTK words, lowercased); token lists are
        used as they are.
    reporter
        Progress and log lines (the CLI's console; silent by default).

    Returns
    -------
    NgramModel
        Its ``training`` dict holds the figures (counts, discounts, time).

    Examples
    --------
    >>> model = train_ngram(["the cat sat", "the dog sat"], order=2, discount_fallback=True)
    >>> model.order, model.vocab.num_words
    (2, 4)
    """
    from dataclasses import replace

    from wordseq.store import writing

    config = replace(config or NgramConfig(), **options) if options else (config or NgramConfig())
    preprocess = preprocess or PreprocessConfig()
    with writing(output, "ngram") as writer:
        with reporter.task("counting", unit="lines") as task:
            model = _train(corpus, config, preprocess, encoding_errors, lambda chunk: task.advance(chunk.lines))
        if writer is not None:
            from wordseq.ngram.storage import ngram_meta, write_payload

            writer.commit(ngram_meta(model, [s.to_dict() for s in model.sources]),
                          lambda folder: write_payload(model, folder))
            model.path = writer.target
    return model


def _train(corpus: Corpus, config: NgramConfig, preprocess: PreprocessConfig, encoding_errors: str,
           on_chunk: Callable[[TokenChunk], None]) -> NgramModel:
    start = time.perf_counter()
    chunks, reader = corpus_chunks(corpus, preprocess, encoding_errors)
    counts = count_chunks(chunks, config.order, config.min_count, on_chunk=on_chunk)
    limits = Limits(config.prune_thresholds(), _keep_words(config, counts, preprocess))
    _check_some_words(config, counts, limits.keep_words, getattr(reader, "label", "the corpus"))
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
        replaced_bytes=getattr(reader, "replaced", 0),
        seconds=time.perf_counter() - start,
    )
    model.training = figures.to_dict()
    model.sources = list(getattr(reader, "sources", []))
    return model


def _check_some_words(config: NgramConfig, counts: NgramCounts, keep: np.ndarray | None, label: str) -> None:
    """A model whose vocabulary is only <unk>, <s> and </s> is refused, as ``vocab build``
    and ``lm train`` refuse it: it would score every word the same."""
    if counts.vocab.num_words == 0:
        raise InputError(f"{label}: no word occurs --min-count {config.min_count} times or more "
                         f"({counts.tokens:,} tokens); lower --min-count")
    if keep is not None and not keep[4:].any():
        raise InputError(f"--vocab {config.vocab_file}: no word of it is in {label}")


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
