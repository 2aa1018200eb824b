"""Word2Vec training on gensim's compiled trainer, with wordseq's text pipeline around it.

The corpus is tokenized once into a temporary file of space-separated tokens and gensim
trains from it with ``corpus_file=`` (its multi-threaded reader: no Python generator or
GIL in the loop, the fastest path when there are several workers).
"""

from __future__ import annotations

import random
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

from wordseq.embeddings.config import Word2VecConfig
from wordseq.embeddings.probe_loss import ProbeLoss
from wordseq.errors import InputError
from wordseq.text.preprocess import PreprocessConfig

# gensim truncates longer sentences without a word (MAX_WORDS_IN_BATCH): split them.
MAX_SEQUENCE_TOKENS = 10_000
_PROBE_SEQUENCES = 500


@dataclass
class CorpusStats:
    lines: int = 0
    sequences: int = 0
    tokens: int = 0
    split_sequences: int = 0  # sequences cut into pieces of MAX_SEQUENCE_TOKENS

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass
class EpochReport:
    epoch: int
    seconds: float
    words_per_second: float
    probe_loss: float | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class TrainResult:
    keyed_vectors: Any
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


def train_word2vec(lines: Iterable[str], preprocess: PreprocessConfig, config: Word2VecConfig,
                   on_epoch: Callable[[EpochReport], None] | None = None,
                   on_lines: Callable[[int], None] | None = None,
                   tmp_dir: str | None = None, label: str = "the corpus") -> TrainResult:
    """Tokenize ``lines`` and train skip-gram / CBOW vectors on them."""
    from gensim.models import Word2Vec
    from gensim.models.callbacks import CallbackAny2Vec

    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="wordseq-w2v-", dir=tmp_dir) as tmp:
        corpus_file = Path(tmp) / "tokens.txt"
        probe_sequences: list[list[str]] = []
        with open(corpus_file, "w", encoding="utf-8", newline="\n") as out:
            stats = write_token_file(lines, preprocess, out, config.workers, probe_sequences, config.seed, on_lines)
        if stats.lines == 0:
            raise InputError(f"{label}: input is empty")
        if stats.tokens == 0:
            raise InputError(f"{label}: {stats.lines:,} lines but no tokens after preprocessing ({preprocess.describe()})")

        model = Word2Vec(**config.gensim_kwargs())
        model.build_vocab(corpus_file=str(corpus_file))
        if len(model.wv) == 0:
            raise InputError(
                f"{label}: no word occurs --min-count {config.min_count} times or more "
                f"({stats.tokens:,} tokens); give a bigger corpus or a lower --min-count"
            )
        probe = ProbeLoss(model, probe_sequences, seed=config.seed)
        prepared = time.perf_counter()

        epochs: list[EpochReport] = []

        class EpochWatch(CallbackAny2Vec):  # type: ignore[misc]
            def on_epoch_begin(self, model: Any) -> None:
                self.began = time.perf_counter()

            def on_epoch_end(self, model: Any) -> None:
                seconds = time.perf_counter() - self.began
                report = EpochReport(
                    epoch=len(epochs) + 1,
                    seconds=round(seconds, 4),
                    words_per_second=round(model.corpus_total_words / seconds, 1) if seconds > 0 else 0.0,
                    probe_loss=probe(model),
                )
                epochs.append(report)
                if on_epoch is not None:
                    on_epoch(report)

        effective, raw = model.train(
            corpus_file=str(corpus_file),
            total_words=model.corpus_total_words,
            epochs=config.epochs,
            callbacks=[EpochWatch()],
        )
        trained = time.perf_counter()
    # The probe is evaluated inside the callbacks, so it is in train_seconds: it costs
    # milliseconds per epoch, and leaving it out would flatter the words/s figure.
    return TrainResult(
        keyed_vectors=model.wv,
        corpus=stats,
        vocab_size=len(model.wv),
        prepare_seconds=prepared - start,
        train_seconds=trained - prepared,
        raw_words=int(raw),
        effective_words=int(effective),
        epochs=epochs,
    )
