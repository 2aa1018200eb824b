"""A training session for a neural LM: everything ``wordseq lm train`` and
``wordseq.train_lm`` do around the training loop.

Read the corpus once and build the vocabulary from the training part; fill every option
the user did not give from the settings for the corpus's size (``defaults.recommend``),
or on ``--resume`` from the saved run; resume from a saved checkpoint; start embeddings
from an embeddings model; hold the model name from the start (a second run to it fails
at once, an unwritable or full disk is found before the first epoch); save a checkpoint
beside the model (never in its place) at the end of each epoch and every ten minutes; on success put the model
in place in one step, scored on the test text; on Ctrl-C keep what was done.

Under torchrun every rank runs this session on its share of the batch; only rank 0 holds
the name, logs and writes.
"""

from __future__ import annotations

import dataclasses
import gc
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from wordseq.config_checks import unchanged_on_resume
from wordseq.device import resolve_device
from wordseq.errors import InputError, ModelError, OptionError
from wordseq.neural.config import LMConfig, TrainConfig, check_network_options
from wordseq.neural.data import TrainingData, build_training_data, encode_text
from wordseq.neural.defaults import Recommendation, checks_every, recommend
from wordseq.neural.distributed import Distributed
from wordseq.neural.evaluate import score_stream
from wordseq.neural.model import NeuralLM
from wordseq.neural.network import build_model
from wordseq.neural.storage import MODEL_FILE, RESUME_FILE, RESUME_STEM, VOCAB_FILE, Checkpoint, load_checkpoint, save_checkpoint
from wordseq.neural.train import CheckRecord, Trainer
from wordseq.progress import MUTE, SILENT, Reporter
from wordseq.store import ModelWriter, new_meta, writing
from wordseq.store.paths import model_dir
from wordseq.store.tensors import payload_file
from wordseq.text.preprocess import PreprocessConfig, Preprocessor
from wordseq.text.reader import CorpusReader, TextLines, open_corpus
from wordseq.training import (
    BatchWindow,
    Saving,
    TrainingRun,
    previous_run,
    reserve_space,
    restoring,
    torch_threads,
    warn_if_other_data,
)

KIND = "lm"
MODEL_FIELDS = {f.name for f in dataclasses.fields(LMConfig)} - {"vocab_size"}
TRAIN_FIELDS = {f.name for f in dataclasses.fields(TrainConfig)}


@dataclass
class _PreviousRun:
    """The run a --resume continues: where it was saved, its meta.json and checkpoint."""

    source: Path
    meta: dict[str, Any]
    checkpoint: Checkpoint


@dataclass
class _Asked:
    """What the caller of ``train_lm`` asked for, besides the corpus and the model's place."""

    valid: str | Path | None
    test: str | Path | None
    preprocess: PreprocessConfig
    encoding_errors: str
    min_count: int
    max_size: int | None
    model: dict[str, Any]  # the network options given
    train: dict[str, Any]  # the training options given
    init_embeddings: str | None
    resume: bool


def _split_options(options: dict[str, Any], model: LMConfig | None,
                   training: TrainConfig | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """The options the caller gave: every field of a config given (but the vocabulary's
    size, which the corpus sets), then the keyword options that are not None (None means
    "not given": chosen by corpus size)."""
    unknown = set(options) - MODEL_FIELDS - TRAIN_FIELDS
    if unknown:
        raise TypeError(f"unknown option(s) for train_lm: {', '.join(sorted(unknown))}")
    given_model = {f: getattr(model, f) for f in MODEL_FIELDS} if model is not None else {}
    given_train = {f: getattr(training, f) for f in TRAIN_FIELDS} if training is not None else {}
    given_model.update({k: v for k, v in options.items() if k in MODEL_FIELDS and v is not None})
    given_train.update({k: v for k, v in options.items() if k in TRAIN_FIELDS and v is not None})
    if given_train.get("patience") == 0:
        given_train["patience"] = None  # 0: never stop early
    return given_model, given_train


def train_lm(corpus: Any = None, output: str | Path | None = None, *, model: LMConfig | None = None,
             training: TrainConfig | None = None, valid: str | Path | None = None, test: str | Path | None = None,
             preprocess: PreprocessConfig | None = None, encoding_errors: str = "strict", min_count: int = 1,
             max_size: int | None = None, init_embeddings: str | None = None, device: str = "auto",
             threads: int = 0, resume: bool = False, reporter: Reporter = SILENT, **options: Any) -> NeuralLM:
    """Train a neural language model (LSTM, GRU, RNN or Transformer) and (with ``output``) save it.

    Every option left out (or None) takes the value chosen for the corpus's size
    (``wordseq.neural.defaults.recommend``), or with ``resume`` the saved run's value.
    Under ``torchrun`` the processes train one model together (DistributedDataParallel);
    only rank 0 saves it.

    Parameters
    ----------
    corpus
        Training text: a file, a list of ``Path``, '-' / None for stdin, or lines of text.
    output
        Model NAME (in ``$WORDSEQ_HOME/lm/``) or PATH; None keeps the model in memory only.
    model, training
        The network (``LMConfig``; its ``vocab_size`` is left at 0: the corpus sets it)
        and how it is trained (``TrainConfig``): every field of a config given is used as
        given; None: each value chosen for the corpus's size.
    valid, test
        Validation text (default: the last 10 % of the corpus's sequences) and a test text
        scored with the best weights at the end.
    threads
        torch's CPU threads for the run (0: torch's default, one per core).
    resume
        Continue the run saved at ``output`` (its unfinished checkpoint, else the model).
    **options
        Single fields of either config, named as the command's options (``cell="gru"``,
        ``epochs=6``); they override ``model`` and ``training``.

    Returns
    -------
    NeuralLM
        The model with the best validation perplexity; ``model.meta`` holds the history.

    Examples
    --------
    >>> lm = train_lm("corpus.txt", "news", test="heldout.txt")  # doctest: +SKIP
    >>> lm = train_lm("corpus.txt", "news", model=LMConfig(cell="gru", emb=256, hidden=256),  # doctest: +SKIP
    ...               training=TrainConfig(epochs=6))
    """
    model_options, train_options = _split_options(options, model, training)
    TrainConfig(**train_options)  # fail on a bad value given before reading the corpus
    check_network_options(model_options)
    if resume and output is None:
        raise InputError("--resume needs the model's name or path (-o)")
    asked = _Asked(valid, test, preprocess or PreprocessConfig(), encoding_errors, min_count, max_size, model_options,
                   train_options, init_embeddings, resume)
    with torch_threads(threads):
        return _train(corpus, output, asked, device, reporter)


def _train(corpus: Any, output: str | Path | None, asked: _Asked, device: str, reporter: Reporter) -> NeuralLM:
    """The session on this process; under torchrun every rank runs it, rank 0 holds the name."""
    dev = resolve_device(device)
    dist = Distributed.from_env(dev)
    try:
        dev = dist.device(dev)
        if not dist.is_main:
            reporter = MUTE  # rank 0 speaks for all
        reader = open_corpus(corpus, asked.encoding_errors)
        if dist.enabled and isinstance(reader, CorpusReader) and "-" in reader.paths:
            raise InputError("under torchrun every process reads the corpus itself: give it as files, not stdin")
        with writing(output if dist.is_main else None, KIND) as writer:
            dist.barrier()  # rank 0 holds the name (and tidied it) before the others read it
            target = writer.target if writer is not None else model_dir(str(output), KIND) if output is not None else None
            session = _Session(writer, target, reader, reporter, dev, dist)
            session.prepare(asked)
            lm = session.run()
            session.release()
        # rank 0 has put the model in place; no process ends the group under another
        dist.barrier()
        return lm
    finally:
        dist.close()


class _Session:
    def release(self) -> None:
        """Drop the trainer (under torchrun: the DistributedDataParallel wrapper and its
        reducer) while the process group still exists: torn down after it, a rank could
        abort at exit ('terminate called without an active exception')."""
        if hasattr(self, "trainer"):
            del self.trainer
        if self.dist.enabled:
            # a full collection costs about 0.3 s in a process with torch loaded: only
            # worth it where a reducer may still hold the group
            gc.collect()

    def __init__(self, writer: ModelWriter | None, target: Path | None, reader: CorpusReader | TextLines,
                 reporter: Reporter, device: torch.device, dist: Distributed) -> None:
        self.writer = writer
        self.target = target
        self.reader = reader
        self.reporter = reporter
        self.device = device
        self.dist = dist
        self.init_info: dict[str, Any] | None = None
        self.defaults: dict[str, Any] = {}
        self.valid_name = ""
        self.test_name: str | None = None
        self.test_stream: Any = None

    # -- before training ---------------------------------------------------------------

    def prepare(self, asked: _Asked) -> None:
        previous = self._previous_run() if asked.resume else None
        self.preprocess, self.asked = asked.preprocess, asked
        if previous is not None:
            unchanged_on_resume(asked.model, previous.checkpoint.config)
            self.preprocess = PreprocessConfig.from_dict(previous.meta["preprocessing"])
            self.init_info = previous.meta["config"].get("init_embeddings")
        self._read(asked, previous)
        cell = previous.checkpoint.config.cell if previous else asked.model.get("cell", "lstm")
        advice = recommend(self.data.train.predicted, len(self.data.vocab), cell)
        self.train_cfg = self._train_config(advice, asked.train, previous.meta["config"].get("train", {}) if previous else None)
        torch.manual_seed(self.train_cfg.seed)
        self.config = previous.checkpoint.config if previous else self._model_config(advice, asked.model, asked.init_embeddings)
        self._build(asked.init_embeddings if previous is None else None)
        if previous is not None:
            self._restore(previous, keep_lr="lr" not in asked.train)
        if self.dist.rank:
            # every rank starts from rank 0's weights (DDP copies them); dropout differs per rank
            torch.manual_seed(self.train_cfg.seed + 1_000_003 * self.dist.rank + len(self.trainer.history))
        # model (best), resume (current + best + Adam's two moments)
        reserve_space(self.writer, self.model, 3 + (2 if self.train_cfg.optimizer == "adam" else 0))
        self._log_start()

    def _previous_run(self) -> _PreviousRun:
        assert self.target is not None
        source, file, meta = previous_run(self.target, RESUME_STEM)
        previous = _PreviousRun(source, meta, load_checkpoint(file))
        self.reporter.log(f"resuming from {source}: model and preprocessing settings come from the checkpoint")
        return previous

    def _read(self, asked: _Asked, previous: _PreviousRun | None) -> None:
        pre, valid, test, encoding_errors = Preprocessor(self.preprocess), asked.valid, asked.test, asked.encoding_errors
        valid_reader = CorpusReader([str(valid)], encoding_errors) if valid is not None else None
        self.valid_name = str(valid) if valid is not None else "held-out tail of the corpus (last 10% of sequences)"
        with self.reporter.task("reading", unit="lines"):
            self.data = build_training_data(self.reader, pre, valid_reader, min_count=asked.min_count,
                                            max_size=asked.max_size, vocab=previous.checkpoint.vocab if previous else None)
        if self.data.vocab.num_words == 0:
            raise InputError(f"{self.reader.label}: no word occurs --min-count {asked.min_count} times or "
                             "more; lower --min-count")
        if self.data.valid.predicted == 0:
            raise InputError("the validation text is empty; give --valid FILE or a longer corpus")
        if test is not None:
            # read before training, so a bad test file fails at once rather than after hours
            self.test_name = str(test)
            self.test_stream = encode_text(CorpusReader([str(test)], encoding_errors), pre, self.data.vocab)
            if self.test_stream.predicted == self.test_stream.sequences:
                raise InputError(f"{test}: the test text has no tokens")

    def _build(self, init_embeddings: str | None) -> None:
        self.model = build_model(self.config).to(self.device)
        if init_embeddings:
            from wordseq.neural.pretrained import init_embeddings as copy_vectors

            got = copy_vectors(self.model.encoder.weight, self.data.vocab, init_embeddings, self.preprocess)
            self.init_info = {"model": str(got.path), "found": got.found, "words": got.words}
            self.reporter.log(f"embeddings from {got.path}: {got.found:,} of {got.words:,} words; "
                              f"{got.words - got.found:,} start random")
        self.trainer = Trainer(self.model, self.data.train, self.data.valid, self.train_cfg, self.device, self.dist)

    def _train_config(self, advice: Recommendation, given: dict[str, Any], saved: dict[str, Any] | None) -> TrainConfig:
        base = dict(saved if saved is not None else advice.train)
        if saved is not None and given.get("optimizer", base.get("optimizer")) != base.get("optimizer"):
            raise OptionError("--optimizer", f"the run was trained with {base.get('optimizer')}; resume it with the "
                                             "same optimizer (or train anew without --resume)")
        if "optimizer" in given and given["optimizer"] != base.get("optimizer") and "lr" not in given:
            base.pop("lr", None)  # the other optimizer's own default rate
        if saved is None and "valid_every" not in given:
            base["valid_every"] = checks_every(self.data.train.predicted, given.get("batch_size", base.get("batch_size", 20)),
                                               given.get("bptt", base.get("bptt", 35)))
        self.defaults = {"tier": advice.tier, "train": sorted(k for k in base if k not in given)} if saved is None else {}
        return TrainConfig.from_dict({**base, **given})

    def _model_config(self, advice: Recommendation, given: dict[str, Any], init_embeddings: str | None) -> LMConfig:
        chosen = {**advice.model, **given}
        if init_embeddings and "emb" not in given:
            from wordseq.neural.pretrained import pretrained_vectors

            chosen["emb"] = pretrained_vectors(init_embeddings, self.preprocess)[0].dim
        if "tie" not in given and chosen.get("layers", 2) == 1 and chosen.get("emb") != chosen.get("hidden"):
            chosen["tie"] = False  # a one-layer model can be tied only when --emb equals --hidden
        if chosen.get("cell") == "transformer":
            if "heads" not in given:
                chosen["heads"] = math.gcd(int(chosen.get("emb", 200)), int(chosen.get("heads", 2)))
            chosen["context"] = self.train_cfg.bptt
        self.defaults["model"] = sorted(k for k in advice.model if k not in given)
        return LMConfig(vocab_size=len(self.data.vocab), **chosen)

    def _log_start(self) -> None:
        if self.defaults.get("model") or self.defaults.get("train"):
            self.reporter.log(f"settings for a {self.defaults['tier']}; options given take precedence")
        where = f"{self.device.type}" + (f" × {self.dist.world} processes" if self.dist.enabled else "")
        cfg = self.train_cfg
        # one line each, so that each fits 80 columns
        self.reporter.log(f"{self.config.describe()} on {where}")
        self.reporter.log(f"{self.data.vocab.num_words:,} words + 4 specials; {self.data.train.predicted:,} training "
                          f"tokens, {self.data.valid.predicted:,} validation tokens")
        self.reporter.log(f"validation: {self.valid_name}")
        self.reporter.log(f"{cfg.optimizer} lr {cfg.learning_rate:g}, batch {cfg.batch_size}, bptt {cfg.bptt}, "
                          f"up to {cfg.epochs} epochs, {cfg.precision}")
        regs = self.config.regularisers()
        dropouts = ", ".join(f"{k.removeprefix('dropout_') if k != 'dropout' else 'output'} {v:g}"
                             for k, v in regs.items() if v and k.startswith("dropout"))
        parts = ([f"dropout: {dropouts}"] if dropouts else []) + ([f"weight drop {regs['weight_drop']:g}"]
                                                                  if regs["weight_drop"] else [])
        if parts:
            self.reporter.log("; ".join(parts))

    def _restore(self, previous: _PreviousRun, keep_lr: bool) -> None:
        where = payload_file(previous.source, RESUME_STEM)
        if previous.checkpoint.trainer_state is None:
            raise ModelError(f"{where} holds no trainer state; it cannot be resumed")
        with restoring(where):
            self.model.load_state_dict(previous.checkpoint.model_state)
            self.trainer.load_state_dict(previous.checkpoint.trainer_state, keep_lr=keep_lr)
        warn_if_other_data(previous.meta, self.reader.sources, self.reporter,
                           "the corpus differs from the one the checkpoint was trained on")

    # -- training ------------------------------------------------------------------------

    def run(self) -> NeuralLM:
        self.speed = [0.0, 0.0]  # seconds and tokens of training, for the closing line
        self.said_averaged = False
        saving = Saving(self.writer, self._meta, self._write_payload, "wordseq lm train CORPUS")
        run = TrainingRun(self.trainer, self, self.reporter, saving, self.dist)
        run.train()
        seconds, tokens = self.speed
        if seconds > 0:  # the speed the check lines leave out to fit 80 columns
            self.reporter.log(f"{seconds:.0f}s of training, {tokens / seconds:,.0f} tokens/s")
        if self.trainer.stopped_early:
            self.reporter.log(f"stopped early: no better validation perplexity for {self.train_cfg.patience} checks")
        self.model.load_state_dict(self.trainer.best_model_state())
        meta = self._meta(complete=True, test=self._score_test())
        path = run.save(meta)
        return NeuralLM(self.model, self.data.vocab, self.preprocess, self.device, path=path, meta=meta,
                        precision=self.train_cfg.precision)

    def batch_line(self, window: BatchWindow) -> str:
        t = self.trainer
        return batch_line(t.epoch, t.batches_done, t.batches_per_epoch, t.lr, window.ms, window.mean)

    def checked(self, rec: CheckRecord) -> None:
        if rec.averaged and not self.said_averaged:
            self.said_averaged = True
            self.reporter.log("NT-ASGD: from here on, validation scores the averaged weights")
        self.reporter.log(check_line(rec))
        self.speed[0] += rec.seconds
        self.speed[1] += rec.seconds * rec.tokens_per_s

    def _score_test(self) -> dict[str, Any] | None:
        if self.test_stream is None:
            return None
        # in float32 whatever the training precision: the figure users compare
        report = score_stream(self.model, self.test_stream, self.device, bptt=self.train_cfg.bptt, dist=self.dist).report
        self.reporter.log(f"test {self.test_name}: perplexity {report.perplexity:.2f}, OOV rate {report.oov_rate:.2%}")
        return {"file": self.test_name, **report.to_dict()}

    # -- saving --------------------------------------------------------------------------

    def _write_payload(self, folder: Path, trainer_state: dict[str, Any]) -> None:
        vocab, trainer = self.data.vocab, self.trainer
        save_checkpoint(folder / MODEL_FILE, Checkpoint(self.config, vocab, trainer.best_model_state()))
        current = {k: v.detach().cpu() for k, v in trainer.model.state_dict().items()}
        save_checkpoint(folder / RESUME_FILE, Checkpoint(self.config, vocab, current, trainer_state))
        vocab.save(folder / VOCAB_FILE)

    def _meta(self, complete: bool, test: dict[str, Any] | None = None) -> dict[str, Any]:
        trainer, data = self.trainer, self.data
        best = math.exp(trainer.best_valid_loss) if trainer.best_valid_loss < 700 else None
        summary = f"{self.config.describe()}, {data.vocab.num_words:,} words" + (f", valid ppl {best:.1f}" if best else "")
        return new_meta(
            KIND,
            summary=summary,
            complete=complete,
            preprocessing=self.preprocess.to_dict(),
            config={"model": self.config.to_dict(), "train": self.train_cfg.to_dict(),
                    "min_count": self.asked.min_count, "max_size": self.asked.max_size,
                    "init_embeddings": self.init_info, "defaults": self.defaults},
            corpus=[s.to_dict() for s in self.reader.sources],
            training=_figures(trainer, data, self.valid_name, self.device.type, best, test, self.dist.world),
        )


def batch_line(epoch: int, done: int, total: int, lr: float, ms: float, loss: float) -> str:
    """A progress line every --log-interval batches (no more than 80 columns)."""
    ppl = math.exp(loss) if loss < 700 else math.inf
    return f"| epoch {epoch:3d} | {done:5d}/{total:5d} batches | lr {lr:<8.3g} | {ms:5.0f} ms/batch | ppl {ppl:8.2f}"


def check_line(rec: CheckRecord) -> str:
    """The line of one validation check, in 80 columns: the speed (tokens/s) and time are
    in meta.json's history, the per-batch lines and the progress bar."""
    mark = " (best)" if rec.best else ""
    where = (f"end of epoch {rec.epoch:3d}" if rec.end_of_epoch
             else f"epoch {rec.epoch:3d} at {rec.at_epoch - (rec.epoch - 1):3.0%}")
    return (f"| {where} | train ppl {rec.train_ppl:7.2f} | valid ppl {rec.valid_ppl:7.2f}{mark} | "
            f"lr {rec.lr:.2g}")


def _figures(trainer: Trainer, data: TrainingData, valid_name: str, device: str, best: float | None,
             test: dict[str, Any] | None, world: int) -> dict[str, Any]:
    return {
        "device": device,
        "processes": world,
        "epochs_done": trainer.epochs_done,
        "stopped_early": trainer.stopped_early,
        "best_valid_ppl": best,
        "history": trainer.history,
        "train_tokens": data.train.predicted,
        "valid": {"source": valid_name, "tokens": data.valid.predicted, "sequences": data.valid.sequences},
        "vocab": {"size": len(data.vocab), "words": data.vocab.num_words, "coverage": data.vocab.coverage().ratio},
        "test": test,
    }
