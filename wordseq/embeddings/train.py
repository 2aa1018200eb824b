"""Word2Vec and fastText training on gensim's compiled trainers, with wordseq's text
pipeline around them.

The corpus is tokenized once into a temporary file of space-separated tokens and gensim
trains from it with ``corpus_file=`` (its multi-threaded reader: no Python generator or
GIL in the loop, the fastest path when there are several workers). With subwords
(gensim's ``FastText``) the vectors are taken out of gensim's model as plain arrays as soon
as training ends and the model is dropped, so memory never holds both.
"""

from __future__ import annotations

import logging
import random
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from wordseq.config_checks import Record
from wordseq.embeddings.config import Word2VecConfig
from wordseq.embeddings.model import KIND, EmbeddingModel, save_payload
from wordseq.embeddings.probe_loss import ProbeLoss
from wordseq.embeddings.storage import WordVectors
from wordseq.embeddings.subwords import SubwordVectors
from wordseq.errors import InputError, OptionError
from wordseq.progress import SILENT, Reporter
from wordseq.sizes import human_size
from wordseq.text.preprocess import PreprocessConfig
from wordseq.text.reader import CorpusReader, TextLines, open_corpus

# gensim truncates longer sentences without a word (MAX_WORDS_IN_BATCH): split them.
MAX_SEQUENCE_TOKENS = 10_000
_PROBE_SEQUENCES = 500


@dataclass
class CorpusStats(Record):
    """What reading the corpus found (meta.json ``training.corpus``)."""

    lines: int = 0
    sequences: int = 0
    tokens: int = 0
    split_sequences: int = 0  # sequences cut into pieces of MAX_SEQUENCE_TOKENS


@dataclass
class EpochReport(Record):
    """Speed and probe loss of one training epoch."""

    epoch: int
    seconds: float
    words_per_second: float
    probe_loss: float | None


@dataclass
class TrainResult:
    """The trained vectors and the figures of the run."""

    keyed_vectors: Any  # gensim's KeyedVectors (Word2Vec); None for subword vectors
    vectors: WordVectors
    subwords: SubwordVectors | None
    corpus: CorpusStats
    vocab_size: int
    prepare_seconds: float  # tokenizing into the temporary file and building the vocabulary
    train_seconds: float
    raw_words: int  # corpus words seen over all epochs
    effective_words: int  # after frequent-word subsampling and min-count
    epochs: list[EpochReport] = field(default_factory=list)

    @property
    def words_per_second(self) -> float:
        return self.raw_words / self.train_seconds if self.train_seconds > 0 else 0.0

    def figures(self) -> dict[str, Any]:
        return {
            "vocab_size": self.vocab_size,
            "prepare_seconds": round(self.prepare_seconds, 3),
            "train_seconds": round(self.train_seconds, 3),
            "raw_words": self.raw_words,
            "effective_words": self.effective_words,
            "words_per_second": round(self.words_per_second, 1),
            "loss": "probe_loss: mean loss of the trained objective on a fixed sample of (word, context) pairs",
            "history": [e.to_dict() for e in self.epochs],
        }


def write_token_file(lines: Iterable[str], preprocess: PreprocessConfig, out: TextIO, workers: int = 1,
                     probe: list[list[str]] | None = None, seed: int = 1,
                     on_lines: Callable[[int], None] | None = None) -> CorpusStats:
    """Tokenize ``lines`` into ``out``, one sequence per line; fill ``probe`` with a
    uniform sample (reservoir) of sequences for the probe loss."""
    from wordseq.text.parallel import tokenize_lines

    stats = CorpusStats()
    rng = random.Random(seed)
    for text, n_tokens, n_lines in tokenize_lines(lines, preprocess, workers):
        stats.lines += n_lines
        stats.tokens += n_tokens
        pieces: list[str] = []
        for line in text.splitlines():
            if not line:
                continue
            if line.count(" ") >= MAX_SEQUENCE_TOKENS:
                tokens = line.split(" ")
                chunks = [" ".join(tokens[i:i + MAX_SEQUENCE_TOKENS]) for i in range(0, len(tokens), MAX_SEQUENCE_TOKENS)]
                stats.split_sequences += 1
            else:
                chunks = [line]
            for chunk in chunks:
                stats.sequences += 1
                pieces.append(chunk)
                if probe is not None:
                    if len(probe) < _PROBE_SEQUENCES:
                        probe.append(chunk.split(" ")[:1000])
                    else:
                        j = rng.randrange(stats.sequences)
                        if j < _PROBE_SEQUENCES:
                            probe[j] = chunk.split(" ")[:1000]
        if pieces:
            out.write("\n".join(pieces))
            out.write("\n")
        if on_lines is not None:
            on_lines(n_lines)
    return stats


class _EpochProgress(logging.Handler):
    """gensim reports progress inside an epoch only as log records ("EPOCH 1 - PROGRESS:
    at 42.00% words"), about once a second: this turns them into calls of ``on_progress``
    (epoch from 0, fraction of the epoch done)."""

    def __init__(self, on_progress: Callable[[int, float], None]) -> None:
        super().__init__(logging.INFO)
        self.on_progress = on_progress

    def emit(self, record: logging.LogRecord) -> None:
        if isinstance(record.msg, str) and record.msg.startswith("EPOCH %i - PROGRESS") and record.args:
            args = record.args if isinstance(record.args, tuple) else ()
            if len(args) >= 2:
                self.on_progress(int(args[0]), float(args[1]) / 100.0)  # type: ignore[call-overload, arg-type]


@contextmanager
def _progress_records(on_progress: Callable[[int, float], None] | None) -> Iterator[None]:
    if on_progress is None:
        yield
        return
    # FastText's epochs run in Word2Vec's code and log through its logger too
    logger = logging.getLogger("gensim.models.word2vec")
    handler = _EpochProgress(on_progress)
    saved = logger.level, logger.propagate
    # INFO records are made only while training, and go to this handler alone
    logger.setLevel(logging.INFO)
    logger.propagate = False
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]


def train_word2vec(lines: Iterable[str], preprocess: PreprocessConfig, config: Word2VecConfig,
                   on_epoch: Callable[[EpochReport], None] | None = None,
                   on_lines: Callable[[int], None] | None = None,
                   tmp_dir: str | None = None, label: str = "the corpus",
                   on_progress: Callable[[int, float], None] | None = None) -> TrainResult:
    """Tokenize ``lines`` and train skip-gram / CBOW vectors on them (fastText's subword
    vectors with ``config.subwords``)."""
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="wordseq-w2v-", dir=tmp_dir) as tmp:
        corpus_file = str(Path(tmp) / "tokens.txt")
        probe_sequences: list[list[str]] = []
        with open(corpus_file, "w", encoding="utf-8", newline="\n") as out:
            stats = write_token_file(lines, preprocess, out, config.workers, probe_sequences, config.seed, on_lines)
        if stats.lines == 0:
            raise InputError(f"{label}: input is empty")
        if stats.tokens == 0:
            raise InputError(f"{label}: {stats.lines:,} lines but no tokens after preprocessing ({preprocess.describe()})")
        model = _gensim_model(config)
        probe = _build_vocab(model, corpus_file, probe_sequences, config.seed)
        if len(model.wv) == 0:
            raise InputError(
                f"{label}: no word occurs --min-count {config.min_count} times or more "
                f"({stats.tokens:,} tokens); give a bigger corpus or a lower --min-count"
            )
        _prepare_weights(model, config)
        epochs: list[EpochReport] = []
        watch = _epoch_watch(probe, epochs, on_epoch)
        prepared = time.perf_counter()
        with _progress_records(on_progress):
            effective, raw = model.train(corpus_file=corpus_file, total_words=model.corpus_total_words,
                                         epochs=config.epochs, callbacks=[watch])
        trained = time.perf_counter()
    vectors, subwords = _take_vectors(model.wv, config)
    keyed_vectors = None if subwords is not None else model.wv
    del model  # subwords: gensim's training arrays (output layer, word rows) go now
    return TrainResult(keyed_vectors=keyed_vectors, vectors=vectors, subwords=subwords, corpus=stats,
                       vocab_size=len(vectors), prepare_seconds=prepared - start, train_seconds=trained - prepared,
                       raw_words=int(raw), effective_words=int(effective), epochs=epochs)


def _build_vocab(model: Any, corpus_file: str, sequences: list[list[str]], seed: int) -> ProbeLoss:
    """gensim's ``build_vocab`` but its last step (``prepare_weights``, the large arrays),
    with the probe sample drawn in between: it needs only the vocabulary, and its scratch
    lists come and go before the arrays exist, not on top of them."""
    total_words, corpus_count = model.scan_vocab(corpus_file=corpus_file)
    model.corpus_count, model.corpus_total_words = corpus_count, total_words
    model.prepare_vocab()
    return ProbeLoss(model, sequences, seed=seed)


def _prepare_weights(model: Any, config: Word2VecConfig) -> None:
    """gensim's arrays; a machine without the memory for them is told what they need."""
    try:
        model.prepare_weights()
    except MemoryError:
        rows = len(model.wv) + (config.buckets if config.subwords else 0)
        need = human_size(rows * config.dim * 4 * 2)  # the rows and the output layer's, float32
        if config.subwords:
            raise OptionError("--buckets", f"{config.buckets:,} n-gram rows of --dim {config.dim} and the words' "
                              f"need about {need} of memory, more than there is: give fewer --buckets") from None
        raise OptionError("--dim", f"{len(model.wv):,} words of {config.dim} values need about {need} of memory, "
                          "more than there is: give a smaller --dim or a higher --min-count") from None


def _gensim_model(config: Word2VecConfig) -> Any:
    if config.subwords:
        from gensim.models import FastText

        return FastText(**config.gensim_kwargs())
    from gensim.models import Word2Vec

    return Word2Vec(**config.gensim_kwargs())


def _take_vectors(kv: Any, config: Word2VecConfig) -> tuple[WordVectors, SubwordVectors | None]:
    """The word vectors (and n-gram rows) of gensim's trained vectors, sharing their memory."""
    vectors = WordVectors.from_keyed_vectors(kv)
    if not config.subwords:
        return vectors, None
    return vectors, SubwordVectors(kv.vectors_ngrams, config.min_n, config.max_n)


def _epoch_watch(probe: ProbeLoss, epochs: list[EpochReport], on_epoch: Callable[[EpochReport], None] | None) -> Any:
    """A gensim callback that appends each epoch's report to ``epochs``. The probe is
    evaluated inside it, so it is in train_seconds: it costs milliseconds per epoch, and
    leaving it out would flatter the words/s figure."""
    from gensim.models.callbacks import CallbackAny2Vec

    class EpochWatch(CallbackAny2Vec):  # type: ignore[misc]
        def on_train_begin(self, model: Any) -> None:
            if getattr(model.wv, "vectors_ngrams", None) is not None:
                # fastText trains the word and n-gram rows; its composed word vectors are
                # stale until gensim makes them anew when training ends (adjust_vectors),
                # and nothing reads them before (the probe composes its own): let them go
                # now, one vocabulary × dim array less than gensim holds all along
                model.wv.vectors = np.zeros((0, model.wv.vector_size), dtype=np.float32)  # not a view: that keeps them

        def on_epoch_begin(self, model: Any) -> None:
            self.began = time.perf_counter()

        def on_epoch_end(self, model: Any) -> None:
            seconds = time.perf_counter() - self.began
            speed = round(model.corpus_total_words / seconds, 1) if seconds > 0 else 0.0
            epochs.append(EpochReport(len(epochs) + 1, round(seconds, 4), speed, probe(model)))
            if on_epoch is not None:
                on_epoch(epochs[-1])

    return EpochWatch()


def train_embeddings(
    corpus: Any = None,
    output: str | Path | None = None,
    *,
    model: Word2VecConfig | None = None,
    preprocess: PreprocessConfig | None = None,
    encoding_errors: str = "strict",
    reporter: Reporter = SILENT,
    **options: Any,
) -> EmbeddingModel:
    """Train Word2Vec vectors (fastText's subword vectors with ``subwords=True``) on a
    corpus and (with ``output``) save them as a model.

    Parameters
    ----------
    corpus
        A file path, a list of ``Path``, '-' / None for stdin, or an iterable of lines of text.
    output
        A model NAME (saved in ``$WORDSEQ_HOME/embeddings/``) or PATH; None keeps the model
        in memory only.
    model
        The hyper-parameters (a ``Word2VecConfig``); None: its defaults.
    preprocess
        The [preprocessing] settings (default: NLTK words, lowercased).
    **options
        Single ``Word2VecConfig`` fields, named as the command's options (``dim``,
        ``window``, ``negative``, ``min_count``, ``epochs``, ``sample``, ``cbow``, ``hs``,
        ``alpha``, ``workers``, ``seed``, ``subwords``, ``min_n``, ``max_n``, ``buckets``);
        they override ``model``.

    Returns
    -------
    EmbeddingModel
        with ``most_similar``, ``analogy``, ``vector``, ``evaluate_analogies`` ...

    Examples
    --------
    >>> model = train_embeddings("corpus.txt", "news", model=Word2VecConfig(dim=50, epochs=5))  # doctest: +SKIP
    >>> model.most_similar("government", topn=3)  # doctest: +SKIP
    """
    from wordseq.store import new_meta, writing

    options = {**(model.to_dict() if model else {}), **options}
    if options.get("negative") is None:
        options["negative"] = 0 if options.get("hs") else 5
    config = Word2VecConfig(**options)
    preprocess = preprocess or PreprocessConfig()
    reader = open_corpus(corpus, encoding_errors)
    # the writer holds the name from the start: a second run to it fails at once, and a
    # place that cannot be written is found before the training, not after
    with writing(output, KIND) as w:
        result = _train_reported(reader, preprocess, config, reporter, str(w.scratch) if w is not None else None)
        if reader.replaced:
            reporter.warn(f"replaced {reader.replaced} invalid UTF-8 byte(s) with U+FFFD")
        if result.corpus.split_sequences:
            reporter.warn(f"{result.corpus.split_sequences} sequence(s) longer than 10,000 tokens were split (gensim's limit)")
        meta = new_meta(
            KIND,
            summary=_summary(config, result, preprocess),
            preprocessing=preprocess.to_dict(),
            config=config.to_dict(),
            corpus=[s.to_dict() for s in reader.sources],
            training={**result.figures(), **result.corpus.to_dict()},
        )
        vectors, subwords = result.vectors, result.subwords
        target = w.commit(meta, lambda folder: save_payload(folder, vectors, subwords)) if w is not None else None
    reporter.log(f"{result.vocab_size:,} words × {config.dim} from {result.corpus.tokens:,} tokens; "
                 f"{result.words_per_second:,.0f} words/s, {result.train_seconds:.1f} s training "
                 f"(+{result.prepare_seconds:.1f} s tokenizing and vocabulary)"
                 + (f"; saved to {target}" if target is not None else ""))
    return EmbeddingModel(path=target, meta=meta, vectors=vectors, preprocess=preprocess, subwords=subwords)


def _summary(config: Word2VecConfig, result: TrainResult, preprocess: PreprocessConfig) -> str:
    subwords = f", {config.min_n}-{config.max_n}-grams in {config.buckets:,} buckets" if config.subwords else ""
    return (f"{config.engine} {config.architecture}, {config.dim}d{subwords}, {result.vocab_size:,} words, "
            f"{result.corpus.tokens:,} tokens, {preprocess.describe()}")


def _train_reported(reader: CorpusReader | TextLines, preprocess: PreprocessConfig, config: Word2VecConfig, reporter: Reporter,
                    tmp_dir: str | None) -> TrainResult:
    """``train_word2vec`` with its progress shown: lines read, then epochs."""
    with reporter.task("tokenize", unit="lines") as read_bar, reporter.task("train", total=config.epochs) as bar:
        def on_epoch(e: EpochReport) -> None:
            loss = f", probe loss {e.probe_loss:.4f}" if e.probe_loss is not None else ""
            bar.update(completed=e.epoch, info=f"{e.words_per_second:,.0f} words/s{loss}")
            reporter.log(f"epoch {e.epoch}/{config.epochs}: {e.seconds:.2f} s, {e.words_per_second:,.0f} words/s{loss}")

        def on_progress(epoch: int, fraction: float) -> None:
            bar.update(completed=epoch + fraction)

        return train_word2vec(reader, preprocess, config, on_epoch=on_epoch, on_lines=read_bar.advance,
                              tmp_dir=tmp_dir, label=reader.label, on_progress=on_progress)
