"""Training: text → counts → smoothed tables → an NgramModel (saved as a model directory
when given a name or path)."""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from wordseq.config_checks import Record
from wordseq.errors import InputError
from wordseq.ngram.budget import Resources
from wordseq.ngram.config import NgramConfig
from wordseq.ngram.counting import NgramCounts, count_token_file, first_pass, refuse_no_words, vocabulary_of
from wordseq.ngram.encode import Corpus, corpus_chunks
from wordseq.ngram.model import NgramModel
from wordseq.ngram.pipeline import Estimation, Progress
from wordseq.ngram.smoothing import Limits, SmoothingReport, estimate
from wordseq.ngram.spill import fits_in_memory, spill_estimate, unigram_counts
from wordseq.progress import SILENT, Reporter
from wordseq.sizes import human_size
from wordseq.text.preprocess import PreprocessConfig
from wordseq.text.reader import CorpusReader
from wordseq.vocab import Vocabulary

__all__ = ["NgramConfig", "Resources", "TrainingFigures", "train_ngram"]



@dataclass
class TrainingFigures(Record):
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
    corpus: Corpus = None, output: str | Path | None = None, *, model: NgramConfig | None = None,
    preprocess: PreprocessConfig | None = None, encoding_errors: str = "strict", reporter: Reporter = SILENT,
    resources: Resources | None = None, compact: bool = False, quantize: int | None = None, **options: Any,
) -> NgramModel:
    """Train an n-gram model and (with ``output``) save it.

    Parameters
    ----------
    corpus
        Training text: a file (str or Path; '-' or None is stdin), a list of Paths, a
        ``CorpusReader``, lines of text (an iterable of str), or token lists. With a
        cluster: files (or glob patterns), each one shard.
    output
        Model NAME (in ``$WORDSEQ_HOME/ngram/``) or PATH; None keeps the model in memory.
    model
        An ``NgramConfig``; ``options`` (``order=5``, ``smoothing=``, ``prune=(0, 1)``, any
        of its fields) override its values. Default: order 3, modified Kneser-Ney.
    preprocess
        How raw text becomes tokens (default: NLTK words, lowercased); token lists are
        used as they are.
    reporter
        Progress and log lines (the CLI's console; silent by default).
    resources
        Memory budget, temporary folder and cluster (``budget.Resources``); the model
        does not depend on them.
    compact, quantize
        Store the tables in the compact form (``compact.py``: split keys, about 11 bytes
        per n-gram where int64 keys take 16); ``quantize=8`` also stores the values above
        the unigrams in 8 bits (as KenLM's ``-q 8 -b 8``; about 6 bytes per n-gram).

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

    config = replace(model or NgramConfig(), **options) if options else (model or NgramConfig())
    if quantize is not None:
        from wordseq.ngram.config import check_quantize

        check_quantize(quantize)
    preprocess = preprocess or PreprocessConfig()
    resources = resources or Resources()
    with writing(output, "ngram") as writer, tempfile.TemporaryDirectory(prefix="wordseq-ngram-", dir=resources.temp_dir) as tmp:
        if resources.cluster is not None:
            trained = _train_on_cluster(corpus, config, preprocess, encoding_errors, resources, reporter, Path(tmp))
        else:
            trained = _train(corpus, config, preprocess, encoding_errors, resources, reporter, Path(tmp))
        if compact or quantize is not None:
            from wordseq.ngram.compact import compact_model

            compact_model(trained, quantize)
        if writer is not None:
            from wordseq.ngram.storage import ngram_meta, write_payload

            writer.commit(ngram_meta(trained, [s.to_dict() for s in trained.sources]),
                          lambda folder: write_payload(trained, folder))
            trained.path = writer.target
    for message in TrainingFigures(**trained.training).warnings():
        reporter.warn(message)  # the CLI's console, or Python's warnings (WordseqWarning)
    return trained


def _train(corpus: Corpus, config: NgramConfig, preprocess: PreprocessConfig, encoding_errors: str,
           resources: Resources, reporter: Reporter, tmp: Path) -> NgramModel:
    start = time.perf_counter()
    chunks, reader = corpus_chunks(corpus, preprocess, encoding_errors)
    folder = tmp / "counts"
    folder.mkdir()
    with reporter.task("counting", unit="lines") as task:
        first, length = first_pass(chunks, folder, lambda chunk: task.advance(chunk.lines))
    vocab, remap = vocabulary_of(first, config.min_count)
    refuse_no_words(vocab, config.min_count, int(unigram_counts(vocab).sum()) - first.sentences,
                    getattr(reader, "label", "the corpus"))
    if config.order == 1 or fits_in_memory(length, config.order, resources.budget):
        counts = count_token_file(folder, length, remap, vocab, config.order, first)
        model, figures = _estimate_in_memory(counts, config, preprocess)
    else:
        _refuse_limits(config, "counting spills to disk (a corpus past --memory)")
        reporter.log(f"counting in partitions on disk: {length:,} positions past the memory budget of "
                     f"{human_size(resources.budget)} (temporary files in {folder})")
        staging = tmp / "model"
        staging.mkdir()
        with reporter.task("partitions", unit="steps") as task:
            report, sizes, _ = spill_estimate(folder, length, remap, vocab, _estimation(config), resources.budget,
                                              staging, resources.partition_rows, _phase_progress(task), resources.workers)
        model, figures = _staged_model(staging, vocab, config, preprocess, report, sizes)
        figures.sentences = first.sentences
        figures.tokens = int(unigram_counts(vocab).sum()) - first.sentences
        figures.skipped_markers = first.skipped
    figures.replaced_bytes = getattr(reader, "replaced", 0)
    figures.seconds = time.perf_counter() - start
    model.training = figures.to_dict()
    model.sources = list(getattr(reader, "sources", []))
    return model


def _estimate_in_memory(counts: NgramCounts, config: NgramConfig, preprocess: PreprocessConfig) -> tuple[NgramModel, TrainingFigures]:
    limits = Limits(config.prune_thresholds(), _keep_words(config, counts, preprocess))
    _check_vocab_file(config, limits.keep_words)
    tables, report = estimate(counts, config.smoothing, config.k, config.discount_fallback, config.discount, limits)
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
    )
    return NgramModel(tables, preprocess, config.smoothing, config.to_dict()), figures


def _staged_model(staging: Path, vocab: Vocabulary, config: NgramConfig, preprocess: PreprocessConfig,
                  report: SmoothingReport, sizes: list[int]) -> tuple[NgramModel, TrainingFigures]:
    """The model over the tables the partitions wrote into ``staging`` (mapped, not read)."""
    from wordseq.ngram.table_files import read_tables, unseen_mode, write_vocab

    write_vocab(vocab, staging / "vocab.tsv")
    tables = read_tables(staging, config.order, unseen_mode(config.to_dict()), check=False)
    model = NgramModel(tables, preprocess, config.smoothing, config.to_dict())
    model.staged = staging
    figures = TrainingFigures(vocab_size=vocab.num_words, ngrams=list(sizes), kept=list(sizes),
                              discounts=report.discounts, discount_fallback_orders=report.fallback_orders)
    return model, figures


def _estimation(config: NgramConfig) -> Estimation:
    return Estimation(config.order, config.smoothing, config.k, config.discount_fallback, config.discount)


def _refuse_limits(config: NgramConfig, why: str) -> None:
    if config.prune_thresholds() is not None or config.vocab_file is not None or config.max_vocab is not None:
        raise InputError(f"--prune, --vocab and --max-vocab are not available when {why}: raise --memory, or "
                         "prune the exported ARPA file")


def _phase_progress(task: Any) -> Progress:
    """Each phase (blocks split, partitions counted, orders estimated) on one bar."""

    def tick(phase: str, done: int, total: int) -> None:
        task.update(completed=done, total=total, description=phase)

    return tick


def _train_on_cluster(corpus: Corpus, config: NgramConfig, preprocess: PreprocessConfig, encoding_errors: str,
                      resources: Resources, reporter: Reporter, tmp: Path) -> NgramModel:
    from wordseq.ngram.cluster import cluster_estimate

    _refuse_limits(config, "counting on a cluster")
    start = time.perf_counter()
    staging = tmp / "model"
    staging.mkdir()
    result = cluster_estimate(corpus, resources.cluster or "", _estimation(config), config.min_count, preprocess,
                              encoding_errors, staging, reporter, resources.partition_rows, resources.budget, tmp)
    model, figures = _staged_model(staging, result.vocab, config, preprocess, result.report, result.sizes)
    figures.sentences, figures.tokens, figures.skipped_markers = result.sentences, result.tokens, result.skipped
    figures.replaced_bytes = result.replaced
    figures.seconds = time.perf_counter() - start
    model.training = figures.to_dict()
    model.sources = result.sources
    return model


def _check_vocab_file(config: NgramConfig, keep: np.ndarray | None) -> None:
    """--vocab FILE must share a word with the corpus (else only the specials remain)."""
    if keep is not None and not keep[4:].any():
        raise InputError(f"--vocab {config.vocab_file}: no word of it is in the corpus")


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
