"""Training an encoder-decoder: a plain loop over length-bucketed batches.

Each epoch visits the training pairs in an order fixed by (seed, epoch): shuffled, cut
into chunks of 100 batches, sorted by source length inside a chunk (little padding),
batches shuffled. So a run stopped mid-epoch resumes at the same batch. After each epoch
the dev pairs are scored (teacher-forced loss; greedy WER and token error rate); the
weights with the best dev WER (then loss) are kept, the learning rate is halved after an
epoch without improvement (or, with ``lr_schedule="cosine"``, falls along a half cosine
over all the epochs' batches), and training stops after ``patience`` epochs without
improvement. A first
Ctrl-C asks the loop to stop after the current batch, so what it leaves is resumable.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from wordseq.config_checks import Record, unchanged_on_resume
from wordseq.device import resolve_device
from wordseq.errors import InputError, OptionError
from wordseq.progress import SILENT, Reporter
from wordseq.seq2seq.architectures import Network, build_network
from wordseq.seq2seq.config import SearchSettings, Seq2SeqConfig, Seq2SeqTrainConfig, split_options
from wordseq.seq2seq.decoder_lm import pad_batch
from wordseq.seq2seq.metrics import score
from wordseq.seq2seq.model import Seq2SeqModel, decode_ids
from wordseq.seq2seq.pairs import PairSet, PairsInput, TokenPair, hash_percent, tokenize_pairs
from wordseq.store import ModelWriter, new_meta, writing
from wordseq.text.preprocess import Preprocessor
from wordseq.training import (
    BatchWindow,
    EpochTrainer,
    Saving,
    TrainingDiverged,
    TrainingRun,
    cpu_copy,
    previous_run,
    reserve_space,
    restoring,
    torch_threads,
    warn_if_other_data,
)
from wordseq.vocab import Vocabulary

KIND = "seq2seq"
LR_DECAY = 0.5
CHUNK_BATCHES = 100


def batch_line(epoch: int, done: int, total: int, lr: float, loss: float) -> str:
    """A progress line every --log-interval batches (no more than 80 columns)."""
    return f"| epoch {epoch:3d} | {done:5d}/{total:5d} batches | lr {lr:<8.3g} | loss {loss:.3f}"


def epoch_line(rec: EpochRecord) -> str:
    """The line of one epoch, in 80 columns: the learning rate is on the per-batch lines;
    the speed, the time and every figure are in meta.json's history."""
    return (f"| epoch {rec.epoch:3d} | train loss {rec.train_loss:.4f} | dev loss {rec.valid_loss:.4f}, "
            f"WER {rec.valid_wer:.1%}, TER {rec.valid_ter:.1%}" + (" (best)" if rec.best else ""))


@dataclass
class EpochRecord(Record):
    """The figures of one seq2seq epoch (meta.json ``training.history``)."""

    epoch: int
    # names as ``wordseq models plot`` reads them; "valid" is the dev pairs
    train_loss: float  # mean cross-entropy per target token (</s> included)
    valid_loss: float
    valid_wer: float  # greedy search
    valid_ter: float
    lr: float
    tokens_per_s: float
    seconds: float
    best: bool


@dataclass
class EncodedPairs:
    """Pairs as ids; ``references`` groups the targets of each distinct source (for WER)."""

    sources: list[list[int]]
    targets: list[list[int]]
    unique_sources: list[list[int]]
    references: list[list[list[str]]]

    @classmethod
    def build(cls, data: PairSet, source_vocab: Vocabulary, target_vocab: Vocabulary) -> EncodedPairs:
        grouped: dict[tuple[str, ...], list[list[str]]] = {}
        for p in data.pairs:
            refs = grouped.setdefault(tuple(p.source), [])
            if p.target not in refs:
                refs.append(p.target)
        return cls(
            [source_vocab.encode(p.source) for p in data.pairs],
            [target_vocab.encode(p.target) for p in data.pairs],
            [source_vocab.encode(s) for s in grouped],
            list(grouped.values()),
        )


def epoch_batches(source_lengths: np.ndarray, batch_size: int, seed: int, epoch: int) -> list[np.ndarray]:
    """The batches (index arrays) of one epoch, the same for the same (seed, epoch)."""
    rng = np.random.default_rng([seed, epoch])
    order = rng.permutation(len(source_lengths))
    batches: list[np.ndarray] = []
    chunk = batch_size * CHUNK_BATCHES
    for i in range(0, len(order), chunk):
        part = order[i : i + chunk]
        part = part[np.argsort(source_lengths[part], kind="stable")]
        batches.extend(part[j : j + batch_size] for j in range(0, len(part), batch_size))
    return [batches[i] for i in rng.permutation(len(batches))]


class Seq2SeqTrainer(EpochTrainer):
    """The loop's state: model, optimizer, position, history, best weights."""

    def __init__(
        self, net: Network, train: EncodedPairs, dev: EncodedPairs, config: Seq2SeqTrainConfig,
        device: torch.device, target_vocab: Vocabulary, target_preprocess: Any,
    ) -> None:
        self.net = net
        self.train_data = train
        self.dev = dev
        self.config = config
        self.device = device
        self.target_vocab = target_vocab
        self.target_preprocess = target_preprocess
        self.source_lengths = np.array([len(s) for s in train.sources])
        params = net.parameters()
        lr = config.learning_rate
        self.optimizer = torch.optim.Adam(params, lr=lr) if config.optimizer == "adam" else torch.optim.SGD(params, lr=lr)
        self.generator = torch.Generator().manual_seed(config.seed)  # teacher-forcing draws
        self.epoch = 1
        self.position = 0  # next batch of this epoch
        self.history: list[dict[str, Any]] = []
        self.best: tuple[float, float] = (math.inf, math.inf)  # (dev WER, dev loss)
        self.best_state: dict[str, torch.Tensor] | None = None
        self.bad_epochs = 0
        self.stopped_early = False
        self.stop_requested = False
        self._partial = [0.0, 0]  # loss sum, target tokens of the epoch in progress
        self.seconds = 0.0  # of training in the epoch in progress
        self._batches = epoch_batches(self.source_lengths, config.batch_size, config.seed, self.epoch)

    @property
    def batches_per_epoch(self) -> int:
        return len(self._batches)

    def _tensors(self, rows: np.ndarray, data: EncodedPairs) -> tuple[torch.Tensor, ...]:
        v = self.target_vocab
        src, lengths = pad_batch([data.sources[i] for i in rows], self.device)
        tgt_in, _ = pad_batch([[v.bos_id, *data.targets[i]] for i in rows], self.device)
        tgt_out, _ = pad_batch([[*data.targets[i], v.eos_id] for i in rows], self.device)
        return src, lengths, tgt_in, tgt_out

    def train_step(self) -> float:
        """One batch at the current position; returns its mean loss per target token."""
        self.net.train()
        src, lengths, tgt_in, tgt_out = self._tensors(self._batches[self.position], self.train_data)
        tokens = int((tgt_out != Vocabulary.pad_id).sum())
        self.optimizer.zero_grad(set_to_none=True)
        if self.config.lr_schedule == "cosine":
            self._set_lr(self._cosine_lr())
        loss = self.net(src, lengths, tgt_in, tgt_out, self.config.teacher_forcing, self.generator)
        if not torch.isfinite(loss):
            raise TrainingDiverged(f"the training loss became {loss.item()} in epoch {self.epoch}, batch "
                                   f"{self.position + 1}; train again with a lower --lr (or --clip)")
        (loss / tokens).backward()
        if self.config.clip:
            torch.nn.utils.clip_grad_norm_(self.net.parameters(), self.config.clip)
        self.optimizer.step()
        self.position += 1
        self._partial[0] += loss.item()
        self._partial[1] += tokens
        return loss.item() / tokens

    def _cosine_lr(self) -> float:
        total = self.config.epochs * len(self._batches)
        done = (self.epoch - 1) * len(self._batches) + self.position
        return self.config.learning_rate * 0.5 * (1 + math.cos(math.pi * min(done / total, 1.0)))

    def _set_lr(self, lr: float) -> None:
        for group in self.optimizer.param_groups:
            group["lr"] = lr

    @torch.no_grad()
    def dev_loss(self) -> float:
        self.net.eval()
        total, tokens = 0.0, 0
        order = np.argsort([len(s) for s in self.dev.sources], kind="stable")
        for i in range(0, len(order), 256):
            src, lengths, tgt_in, tgt_out = self._tensors(order[i : i + 256], self.dev)
            total += self.net(src, lengths, tgt_in, tgt_out).item()
            tokens += int((tgt_out != Vocabulary.pad_id).sum())
        return total / tokens if tokens else math.inf

    def dev_scores(self) -> tuple[float, float]:
        """Greedy WER and token error rate on the dev sources."""
        found = decode_ids(self.net, self.target_vocab, self.target_preprocess, self.device,
                           self.dev.unique_sources, SearchSettings(batch_size=256))
        eos = self.target_vocab.eos_id
        hyps = [self.target_vocab.decode([t for t in h[0].token_ids if t != eos]) for h in found]
        result = score(hyps, self.dev.references)
        return result.word_error_rate, result.token_error_rate

    def check(self, end_of_epoch: bool = True) -> EpochRecord:
        """Score the dev pairs at the end of the epoch, keep the best weights, adjust the schedule."""
        dev_loss = self.dev_loss()
        dev_wer, dev_ter = self.dev_scores()
        lr = self.lr
        best = (dev_wer, dev_loss) < self.best
        if best:
            self.best = (dev_wer, dev_loss)
            self.best_state = cpu_copy(self.net.state_dict())
            self.bad_epochs = 0
        else:
            self.bad_epochs += 1
            if self.config.lr_schedule == "plateau":
                self._set_lr(self.lr * LR_DECAY)
            if self.config.patience and self.bad_epochs >= self.config.patience:
                self.stopped_early = True
        (loss_sum, tokens), seconds = self._partial, self.seconds
        record = EpochRecord(self.epoch, loss_sum / max(tokens, 1), dev_loss, dev_wer, dev_ter, lr,
                             tokens / seconds if seconds > 0 else 0.0, seconds, best)
        self.history.append(record.to_dict())
        self.epoch += 1
        self.position = 0
        self._partial, self.seconds = [0.0, 0], 0.0
        self._batches = epoch_batches(self.source_lengths, self.config.batch_size, self.config.seed, self.epoch)
        return record

    def best_model_state(self) -> dict[str, torch.Tensor]:
        """The weights with the best dev score so far (the current ones before any)."""
        if self.best_state is not None:
            return self.best_state
        return self.current_state()

    def current_state(self) -> dict[str, torch.Tensor]:
        return cpu_copy(self.net.state_dict())

    # -- resuming ---------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        return {
            "optimizer": self.optimizer.state_dict(),
            "epoch": self.epoch,
            "position": self.position,
            "history": copy.deepcopy(self.history),
            "best": list(self.best),
            "best_model": self.best_state,
            "bad_epochs": self.bad_epochs,
            "partial_epoch": [*self._partial, self.seconds],
            "rng": torch.get_rng_state(),
            "generator": self.generator.get_state(),
        }

    def load_state_dict(self, state: dict[str, Any], *, keep_lr: bool = True) -> None:
        self.optimizer.load_state_dict(state["optimizer"])
        if not keep_lr:
            self._set_lr(self.config.learning_rate)
        self.epoch = int(state["epoch"])
        self._batches = epoch_batches(self.source_lengths, self.config.batch_size, self.config.seed, self.epoch)
        # a different --batch-size or data: the epoch in progress starts over
        self.position = int(state["position"]) if int(state["position"]) <= len(self._batches) else 0
        self.history = list(state["history"])
        self.best = (float(state["best"][0]), float(state["best"][1]))
        self.best_state = state["best_model"]
        self.bad_epochs = int(state["bad_epochs"])
        self.stopped_early = False  # --resume after early stopping means: go on
        loss_sum, tokens, seconds = state["partial_epoch"]
        self._partial, self.seconds = [float(loss_sum), int(tokens)], float(seconds)
        torch.set_rng_state(state["rng"])
        self.generator.set_state(state["generator"])


def _held_out(data: PairSet, percent: float) -> tuple[PairSet, PairSet]:
    """Split pairs by a hash of their source: all pairs of a source on one side."""
    train: list[TokenPair] = []
    dev: list[TokenPair] = []
    for p in data.pairs:
        (dev if hash_percent(" ".join(p.source)) < percent else train).append(p)
    if not dev or not train:
        raise InputError(
            f"{data.name}: holding out {percent:g}% of {len(data)} pairs for dev leaves "
            f"{'no dev pairs' if not dev else 'nothing to train on'}; give --dev FILE (or change --dev-percent)"
        )
    return PairSet(train, data.sources, data.name), PairSet(dev, [], f"held-out {percent:g}% of {data.name}")


def _read_pairs(train: PairsInput, dev: PairsInput | None, config: Seq2SeqConfig, dev_percent: float,
                encoding_errors: str) -> tuple[PairSet, PairSet]:
    source_pre, target_pre = Preprocessor(config.source_preprocess()), Preprocessor(config.target_preprocess())
    train_set = tokenize_pairs(train, source_pre, target_pre, encoding_errors)
    sets = _held_out(train_set, dev_percent) if dev is None else \
        (train_set, tokenize_pairs(dev, source_pre, target_pre, encoding_errors))
    for pair_set in sets:
        _check_lengths(pair_set, config)
    return sets


def _check_lengths(pairs: PairSet, config: Seq2SeqConfig) -> None:
    """An InputError naming the first pair longer than the network can read or write."""
    sides = (("source", "reads", config.max_source_tokens), ("target", "writes", config.max_target_tokens))
    for pair in pairs.pairs:
        for side, verb, most in sides:
            n = len(pair.source if side == "source" else pair.target)
            if most is not None and n > most:
                raise InputError(f"{pair.where}: the {side} has {n:,} tokens; the {config.arch} {verb} at most "
                                 f"{most:,}: leave the pair out or split it")


def _vocabularies(saved: Path | None, train_set: PairSet, min_count: int) -> tuple[Vocabulary, Vocabulary]:
    """The saved model's vocabularies when resuming, else built from the training pairs."""
    from wordseq.seq2seq.storage import SOURCE_VOCAB_FILE, TARGET_VOCAB_FILE

    if saved is not None:
        return Vocabulary.load(saved / SOURCE_VOCAB_FILE), Vocabulary.load(saved / TARGET_VOCAB_FILE)
    # every target token is kept: a decoder cannot write what it has no id for
    return (Vocabulary.build((p.source for p in train_set.pairs), min_count=min_count),
            Vocabulary.build(p.target for p in train_set.pairs))


def train_seq2seq(
    train: PairsInput,
    dev: PairsInput | None = None,
    *,
    output: str | Path | None = None,
    resume: bool = False,
    model: Seq2SeqConfig | None = None,
    training: Seq2SeqTrainConfig | None = None,
    device: str = "auto",
    threads: int = 0,
    encoding_errors: str = "strict",
    reporter: Reporter = SILENT,
    **options: Any,
) -> Seq2SeqModel:
    """Train an encoder-decoder with attention on (source, target) pairs.

    Parameters
    ----------
    train
        ``source<TAB>target`` files (``'-'`` is stdin), or an iterable of (source, target)
        string pairs.
    dev
        Pairs for early stopping and the choice of the best epoch; by default
        ``dev_percent`` of the training sources.
    output
        Model NAME (in ``$WORDSEQ_HOME/seq2seq/``) or PATH; None keeps the model in memory.
        Each epoch's checkpoint is kept beside the model; the model is put in place when
        the run ends.
    resume
        Continue the run saved at ``output`` (its unfinished checkpoint, else the model):
        network, tokenization and vocabularies from it, training options from here.
    model, training
        The network and tokenization (``Seq2SeqConfig``), and how it is trained
        (``Seq2SeqTrainConfig``); None: their defaults. With ``resume`` leave ``model``
        out: the network is the saved one.
    device
        ``auto``, ``cpu`` or ``cuda``.
    threads
        torch's CPU threads for the run (0: torch's default, one per core).
    reporter
        Where progress goes (the library prints nothing; the CLI passes its console).
    **options
        Single fields of either config, named as the command's options (``hidden=128``,
        ``epochs=5``); they override ``model`` and ``training``.

    Returns
    -------
    Seq2SeqModel
        With the weights of the best dev WER; ``model.training`` holds the history.

    Raises
    ------
    Interrupted
        Ctrl-C stopped the run; its state was kept for ``resume`` (see ``saved``).

    Examples
    --------
    >>> pairs = [("abc", "c b a"), ("hello", "o l l e h")] * 50              # doctest: +SKIP
    >>> model = train_seq2seq(pairs, pairs, model=Seq2SeqConfig(hidden=64),   # doctest: +SKIP
    ...                       training=Seq2SeqTrainConfig(epochs=5))
    >>> model.transduce(["abc"])[0].text                                      # doctest: +SKIP
    'c b a'
    """
    model_options, train_options = split_options(options, model, training)
    train_cfg = Seq2SeqTrainConfig(**train_options)
    config = Seq2SeqConfig(**model_options)  # checked now, before any reading
    if config.arch == "transformer" and train_cfg.teacher_forcing < 1.0:
        # every target position is computed at once from the gold prefix
        raise OptionError("--teacher-forcing", "the transformer trains with the gold previous tokens only (1)")
    dev_ = resolve_device(device)
    if resume and output is None:
        raise InputError("--resume needs the model's name or path (-o)")
    with torch_threads(threads), writing(output, KIND) as writer:
        session = _Session(writer, train_cfg, reporter, dev_)
        session.prepare(train, dev, config, encoding_errors, resume, given=model_options)
        return session.run()


class _Session:
    """One training run: data, vocabularies, network, trainer, and where it is saved."""

    def __init__(self, writer: ModelWriter | None, train_cfg: Seq2SeqTrainConfig, reporter: Reporter,
                 device: torch.device) -> None:
        self.writer = writer
        self.train_cfg = train_cfg
        self.reporter = reporter
        self.device = device
        self.started = time.perf_counter()

    def prepare(self, train: PairsInput, dev: PairsInput | None, config: Seq2SeqConfig, encoding_errors: str,
                resume: bool, given: dict[str, Any] | None = None) -> None:
        from wordseq.seq2seq.storage import RESUME_STEM, read_torch_file
        from wordseq.store.tensors import payload_file

        previous, source = None, None
        if resume:
            assert self.writer is not None
            source, file, old_meta = previous_run(self.writer.target, RESUME_STEM)
            previous = read_torch_file(file, "wordseq-seq2seq-resume", self.device)
            config = Seq2SeqConfig.from_dict(previous["config"])
            unchanged_on_resume(given or {}, config)
            self.reporter.log(f"resuming from {source}: network, tokenization and vocabularies come from it")
        self.config = config
        torch.manual_seed(self.train_cfg.seed)
        with self.reporter.task("reading", unit="pairs"):
            self.train_set, self.dev_set = _read_pairs(train, dev, config, self.train_cfg.dev_percent, encoding_errors)
        self.source_vocab, self.target_vocab = _vocabularies(source, self.train_set, self.train_cfg.min_count)
        self.net = build_network(config, len(self.source_vocab), len(self.target_vocab)).to(self.device)
        self.trainer = Seq2SeqTrainer(
            self.net, EncodedPairs.build(self.train_set, self.source_vocab, self.target_vocab),
            EncodedPairs.build(self.dev_set, self.source_vocab, self.target_vocab), self.train_cfg, self.device,
            self.target_vocab, config.target_preprocess())
        if previous is not None:
            with restoring(payload_file(source, RESUME_STEM)):  # type: ignore[arg-type]
                self.net.load_state_dict(previous["model"])
                self.trainer.load_state_dict(previous["trainer"], keep_lr=self.train_cfg.lr is None)
            warn_if_other_data(old_meta, self.train_set.sources, self.reporter,
                               "the training pairs differ from those the checkpoint was trained on")
        reserve_space(self.writer, self.net, 5)  # model (best), resume (current, best, Adam's moments)
        # one line each, so that each fits 80 columns
        self.reporter.log(f"{config.describe()} on {self.device.type}")
        self.reporter.log(f"{len(self.train_set):,} training pairs; vocabularies {self.source_vocab.num_words:,} "
                          f"source / {self.target_vocab.num_words:,} target tokens + 4 specials")
        self.reporter.log(f"dev: {len(self.dev_set):,} pairs, {self.dev_set.name}")

    def run(self) -> Seq2SeqModel:
        saving = Saving(self.writer, self._meta, self._write_payload, "wordseq seq2seq train PAIRS")
        run = TrainingRun(self.trainer, self, self.reporter, saving)
        run.train()
        if self.trainer.stopped_early:
            self.reporter.log(f"stopped early: no better dev WER for {self.train_cfg.patience} epochs")
        best = self._best()
        if best:
            self.reporter.log(f"best dev WER {best['valid_wer']:.2%} (token errors {best['valid_ter']:.2%}) "
                              f"after epoch {best['epoch']}")
        meta = self._meta(complete=True)
        path = run.save(meta)
        self.net.load_state_dict(self.trainer.best_model_state())
        return Seq2SeqModel(self.net, self.config, self.source_vocab, self.target_vocab, self.device, path=path,
                            meta=meta)

    def batch_line(self, window: BatchWindow) -> str:
        t = self.trainer
        return batch_line(t.epoch, t.position, t.batches_per_epoch, t.lr, window.last)

    def checked(self, record: EpochRecord) -> None:
        self.reporter.log(epoch_line(record))

    # -- saving ---------------------------------------------------------------------------

    def _write_payload(self, folder: Path, trainer_state: dict[str, Any]) -> None:
        from wordseq.seq2seq.storage import write_payload

        resume = {"config": self.config.to_dict(), "model": self.trainer.current_state(), "trainer": trainer_state}
        write_payload(folder, self.config, self.source_vocab, self.target_vocab, self.trainer.best_model_state(),
                      resume)

    def _best(self) -> dict[str, Any] | None:
        history = self.trainer.history
        return min(history, key=lambda r: (r["valid_wer"], r["valid_loss"])) if history else None

    def _meta(self, complete: bool) -> dict[str, Any]:
        best = self._best()
        summary = f"{self.config.describe()}, {len(self.train_set):,} pairs" + (
            f", dev WER {best['valid_wer']:.1%}" if best else "")
        trainer = self.trainer
        return new_meta(
            KIND,
            summary=summary,
            complete=complete,
            preprocessing={"source": self.config.source_preprocess().to_dict(),
                           "target": self.config.target_preprocess().to_dict()},
            config=self.config.to_dict(),
            corpus=[s.to_dict() for s in self.train_set.sources],
            training={
                "settings": self.train_cfg.to_dict(),
                "device": self.device.type,
                "epochs_done": len(trainer.history),
                "stopped_early": trainer.stopped_early,
                "seconds": round(time.perf_counter() - self.started, 1),
                "train_pairs": len(self.train_set),
                "dev": {"source": self.dev_set.name, "pairs": len(self.dev_set),
                        "sources": len(trainer.dev.unique_sources),
                        "files": [s.to_dict() for s in self.dev_set.sources]},
                "vocab": {"source": len(self.source_vocab), "target": len(self.target_vocab)},
                "best": best,
                "history": trainer.history,
            },
        )
