"""A training session for a neural LM: everything ``wordseq lm train`` and
``wordseq.train_lm`` do around the training loop.

Read the corpus once and build the vocabulary from the training part; resume from a saved
checkpoint; start embeddings from an embeddings model; hold the model name from the start
(a second run to it fails at once, an unwritable or full disk is found before the first
epoch); save each epoch's checkpoint beside the model, never in its place; on success put
the model in place in one step, scored on the test text; on Ctrl-C keep what was done.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from wordseq.errors import InputError, ModelError
from wordseq.neural.checkpoint import MODEL_FILE, RESUME_FILE, VOCAB_FILE, Checkpoint, load_checkpoint, save_checkpoint
from wordseq.neural.config import LMConfig
from wordseq.neural.data import TrainingData, build_training_data, encode_text
from wordseq.neural.device import resolve_device
from wordseq.neural.evaluate import score_stream
from wordseq.neural.lm import NeuralLM
from wordseq.neural.model import RNNModel
from wordseq.neural.train import EpochRecord, TrainConfig, Trainer
from wordseq.progress import SILENT, Reporter
from wordseq.store import ModelWriter, new_meta, partial_dir, read_meta, verify_payload, writing
from wordseq.text.preprocess import PreprocessConfig, Preprocessor
from wordseq.text.reader import CorpusReader, TextLines, open_corpus
from wordseq.vocab import SPECIALS

KIND = "lm"
MODEL_FIELDS = {f.name for f in dataclasses.fields(LMConfig)} - {"vocab_size"}
TRAIN_FIELDS = {f.name for f in dataclasses.fields(TrainConfig)}


class Interrupted(KeyboardInterrupt):
    """Ctrl-C stopped the training; ``saved`` says where its state was kept."""

    def __init__(self, saved: Path, message: str) -> None:
        super().__init__(message)
        self.saved = saved
        self.message = message


@dataclass
class DataOptions:
    min_count: int = 1
    max_size: int | None = None


def _split_options(options: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    unknown = set(options) - MODEL_FIELDS - TRAIN_FIELDS
    if unknown:
        raise TypeError(f"unknown option(s) for train_lm: {', '.join(sorted(unknown))}")
    model = {k: v for k, v in options.items() if k in MODEL_FIELDS and v is not None}
    train = {k: v for k, v in options.items() if k in TRAIN_FIELDS}
    return model, train


def _resume_source(target: Path) -> Path:
    """Where a --resume continues from: an unfinished run's checkpoint first, else the model."""
    for folder in (partial_dir(target), target):
        if (folder / RESUME_FILE).is_file():
            return folder
    raise InputError(f"nothing to resume at {target} (no {RESUME_FILE}); train without --resume first")


def train_lm(
    corpus: Any = None,
    output: str | Path | None = None,
    *,
    valid: str | Path | None = None,
    test: str | Path | None = None,
    preprocess: PreprocessConfig | None = None,
    encoding_errors: str = "strict",
    min_count: int = 1,
    max_size: int | None = None,
    init_embeddings: str | None = None,
    device: str = "auto",
    resume: bool = False,
    reporter: Reporter = SILENT,
    **options: Any,
) -> NeuralLM:
    """Train an RNN / LSTM / GRU language model and (with ``output``) save it.

    Parameters
    ----------
    corpus
        Training text: a file, a list of ``Path``, '-' / None for stdin, or lines of text.
    output
        Model NAME (in ``$WORDSEQ_HOME/lm/``) or PATH; None keeps the model in memory only.
    valid, test
        Validation text (default: the last 10 % of the corpus's sequences) and a test text
        scored with the best weights at the end.
    resume
        Continue the run saved at ``output`` (its unfinished checkpoint, else the model).
    **options
        ``cell``, ``layers``, ``emb``, ``hidden``, ``dropout``, ``tie`` (the network) and
        ``epochs``, ``optimizer``, ``lr``, ``clip``, ``bptt``, ``batch_size``,
        ``patience``, ``seed`` (the training), named as the command's options.

    Returns
    -------
    NeuralLM
        The model with the best validation perplexity; ``model.meta`` holds the history.

    Examples
    --------
    >>> lm = train_lm("corpus.txt", "news", epochs=6, hidden=256, emb=256, tie=True)  # doctest: +SKIP
    >>> lm.generate("the government", beam=5)  # doctest: +SKIP
    """
    model_options, train_options = _split_options(options)
    if train_options.get("patience") == 0:
        train_options["patience"] = None
    train_cfg = TrainConfig(**train_options)
    # checked now (with a placeholder vocabulary size) so a bad option fails before reading;
    # the embedding size of --init-embeddings is known only once its vectors are read
    placeholder_emb = model_options.get("hidden", 200) if init_embeddings else 200
    LMConfig(vocab_size=len(SPECIALS) + 1, **{"emb": placeholder_emb, **model_options})
    if resume and output is None:
        raise InputError("--resume needs the model's name or path (-o)")
    reader = open_corpus(corpus, encoding_errors)
    with writing(output, KIND) as writer:
        session = _Session(writer, reader, train_cfg, reporter, resolve_device(device))
        session.prepare(valid, test, preprocess or PreprocessConfig(), encoding_errors, DataOptions(min_count, max_size),
                        model_options, init_embeddings, resume)
        return session.run()


class _Session:
    def __init__(self, writer: ModelWriter | None, reader: CorpusReader | TextLines, train_cfg: TrainConfig,
                 reporter: Reporter, device: torch.device) -> None:
        self.writer = writer
        self.reader = reader
        self.train_cfg = train_cfg
        self.reporter = reporter
        self.device = device
        self.init_info: dict[str, Any] | None = None
        self.valid_name = ""
        self.test_name: str | None = None
        self.test_stream: Any = None

    # -- before training ---------------------------------------------------------------

    def prepare(self, valid: str | Path | None, test: str | Path | None, preprocess: PreprocessConfig,
                encoding_errors: str, data_options: DataOptions, model_options: dict[str, Any],
                init_embeddings: str | None, resume: bool) -> None:
        previous = None
        if resume:
            assert self.writer is not None
            source = _resume_source(self.writer.target)
            old_meta = read_meta(source)
            verify_payload(source, old_meta)
            previous = load_checkpoint(source / RESUME_FILE)
            preprocess = PreprocessConfig.from_dict(old_meta["preprocessing"])
            self.init_info = old_meta["config"].get("init_embeddings")
            self.reporter.log(f"resuming from {source}: model and preprocessing settings come from the checkpoint")
        self.preprocess = preprocess
        torch.manual_seed(self.train_cfg.seed)
        pre = Preprocessor(preprocess)
        valid_reader = CorpusReader([str(valid)], encoding_errors) if valid is not None else None
        self.valid_name = str(valid) if valid is not None else "held-out tail of the corpus (last 10% of sequences)"
        with self.reporter.task("reading", unit="lines"):
            self.data = build_training_data(self.reader, pre, valid_reader, min_count=data_options.min_count,
                                            max_size=data_options.max_size,
                                            vocab=previous.vocab if previous else None)
        self.data_options = data_options
        vocab = self.data.vocab
        if vocab.num_words == 0:
            raise InputError(f"{self.reader.label}: no word occurs --min-count {data_options.min_count} times or "
                             "more; lower --min-count")
        if self.data.valid.predicted == 0:
            raise InputError("the validation text is empty; give --valid FILE or a longer corpus")
        if test is not None:
            # read before training, so a bad test file fails at once rather than after hours
            self.test_name = str(test)
            self.test_stream = encode_text(CorpusReader([str(test)], encoding_errors), pre, vocab)
            if self.test_stream.predicted == self.test_stream.sequences:
                raise InputError(f"{test}: the test text has no tokens")
        if previous is not None:
            self.config = previous.config
        else:
            from_vectors = None
            if init_embeddings and "emb" not in model_options:
                from wordseq.neural.pretrained import pretrained_vectors

                from_vectors = pretrained_vectors(init_embeddings)[0].dim
            emb = model_options.get("emb", from_vectors or 200)
            self.config = LMConfig(vocab_size=len(vocab), **{**model_options, "emb": emb})
        self.model = RNNModel(self.config).to(self.device)
        if init_embeddings and previous is None:
            from wordseq.neural.pretrained import init_embeddings as copy_vectors

            got = copy_vectors(self.model.encoder.weight, vocab, init_embeddings)
            self.init_info = {"model": str(got.path), "found": got.found, "words": got.words}
            self.reporter.log(f"embeddings from {got.path}: {got.found:,} of {got.words:,} words; "
                              f"{got.words - got.found:,} start random")
        self.trainer = Trainer(self.model, self.data.train, self.data.valid, self.train_cfg, self.device)
        if previous is not None:
            self._restore(previous, source)
            old_sources = [c.get("sha256") for c in old_meta["corpus"]]
            if old_sources and old_sources != [s.sha256 for s in self.reader.sources]:
                self.reporter.warn("the corpus differs from the one the checkpoint was trained on")
        if self.writer is not None:
            params = sum(p.numel() for p in self.model.parameters())
            optimizer_copies = 2 if self.train_cfg.optimizer == "adam" else 0
            # model.pt (best), resume.pt (current + best + optimizer), a partial copy of both
            self.writer.ensure_space(params * 4 * 2 * (3 + optimizer_copies))
        self.reporter.log(
            f"{self.config.describe()} on {self.device.type}: {vocab.num_words:,} words + 4 specials, "
            f"{self.data.train.predicted:,} training tokens, validation: {self.valid_name} "
            f"({self.data.valid.predicted:,} tokens)")

    def _restore(self, previous: Checkpoint, source: Path) -> None:
        where = source / RESUME_FILE
        if previous.trainer_state is None:
            raise ModelError(f"{where} holds no trainer state; it cannot be resumed")
        try:
            self.model.load_state_dict(previous.model_state)
            self.trainer.load_state_dict(previous.trainer_state, keep_lr=self.train_cfg.lr is None)
        except (KeyError, TypeError, ValueError, RuntimeError, IndexError) as exc:
            raise ModelError(f"{where} is damaged ({type(exc).__name__}: {str(exc)[:160]}); train without --resume") from None

    # -- training ------------------------------------------------------------------------

    def run(self) -> NeuralLM:
        trainer = self.trainer
        with self.reporter.task(f"epoch {trainer.epoch}", total=trainer.batches_per_epoch, unit="batches") as bar:
            bar.update(completed=trainer.batches_done)
            on_batch = self._batch_logger(bar)

            def on_epoch(rec: EpochRecord) -> None:
                mark = "  (best)" if rec.best else ""
                self.reporter.log(
                    f"| end of epoch {rec.epoch:3d} | time {rec.seconds:6.1f}s | train ppl {rec.train_ppl:9.2f} | "
                    f"valid ppl {rec.valid_ppl:9.2f} | lr {rec.lr:g} | {rec.tokens_per_s:,.0f} tokens/s{mark}")
                if self.writer is not None:
                    self.writer.save_partial(self._meta(complete=False), self._write_payload)
                if not trainer.finished:
                    bar.update(completed=0, description=f"epoch {trainer.epoch}")

            done = trainer.run(on_batch=on_batch, on_epoch=on_epoch)
        if not done:
            raise self._interrupted()
        if trainer.stopped_early:
            self.reporter.log(f"stopped early: no better validation perplexity for {self.train_cfg.patience} epochs")
        self.model.load_state_dict(trainer.best_model_state())
        test = self._score_test()
        meta = self._meta(complete=True, test=test)
        path = self.writer.commit(meta, self._write_payload) if self.writer is not None else None
        if path is not None:
            self.reporter.log(f"saved {path}")
        return NeuralLM(self.model, self.data.vocab, self.preprocess, self.device, path=path, meta=meta)

    def _batch_logger(self, bar: Any) -> Callable[[int, int, float], None]:
        trainer = self.trainer
        window = {"start": time.perf_counter(), "batches": 0, "loss": 0.0}

        def on_batch(done: int, total: int, loss: float) -> None:
            bar.update(completed=done, info=f"loss {loss:.3f}  lr {trainer.lr:g}")
            window["batches"] += 1
            window["loss"] += loss
            if self.reporter.every(done):
                n = window["batches"]
                ms = (time.perf_counter() - window["start"]) * 1000 / n
                mean = window["loss"] / n
                ppl = math.exp(mean) if mean < 700 else math.inf
                self.reporter.log(f"| epoch {trainer.epoch:3d} | {done:5d}/{total:5d} batches | lr {trainer.lr:g} | "
                                  f"ms/batch {ms:6.1f} | loss {mean:5.2f} | ppl {ppl:8.2f}")
                window.update(start=time.perf_counter(), batches=0, loss=0.0)

        return on_batch

    def _interrupted(self) -> Interrupted:
        """Keep the state of a run stopped by Ctrl-C: in the model's place if there was no
        model under the name yet, else beside it (a finished model is never replaced)."""
        if self.writer is None:
            return Interrupted(Path(), f"interrupted in epoch {self.trainer.epoch}; nothing saved (no output)")
        target = self.writer.target
        meta = self._meta(complete=False)
        if target.exists():
            where = self.writer.save_partial(meta, self._write_payload)
            kept = f"the finished model at {target} is kept; this run's state is in {where.name}"
        else:
            where = self.writer.commit(meta, self._write_payload)
            kept = f"saved to {where} (marked interrupted)"
        return Interrupted(where, f"interrupted in epoch {self.trainer.epoch}: {kept}; continue with "
                                  f"'wordseq lm train CORPUS -o {target} --resume'")

    def _score_test(self) -> dict[str, Any] | None:
        if self.test_stream is None:
            return None
        report = score_stream(self.model, self.test_stream, self.device, bptt=self.train_cfg.bptt).report
        self.reporter.log(f"test {self.test_name}: perplexity {report.perplexity:.2f}, OOV rate {report.oov_rate:.2%}")
        return {"file": self.test_name, **report.to_dict()}

    # -- saving --------------------------------------------------------------------------

    def _write_payload(self, folder: Path) -> None:
        vocab, trainer = self.data.vocab, self.trainer
        save_checkpoint(folder / MODEL_FILE, Checkpoint(self.config, vocab, trainer.best_model_state()))
        current = {k: v.detach().cpu() for k, v in trainer.model.state_dict().items()}
        save_checkpoint(folder / RESUME_FILE, Checkpoint(self.config, vocab, current, trainer.state_dict()))
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
                    "min_count": self.data_options.min_count, "max_size": self.data_options.max_size,
                    "init_embeddings": self.init_info},
            corpus=[s.to_dict() for s in self.reader.sources],
            training=_figures(trainer, data, self.valid_name, self.device.type, best, test),
        )


def _figures(trainer: Trainer, data: TrainingData, valid_name: str, device: str, best: float | None,
             test: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "device": device,
        "epochs_done": len(trainer.history),
        "stopped_early": trainer.stopped_early,
        "best_valid_ppl": best,
        "history": trainer.history,
        "train_tokens": data.train.predicted,
        "valid": {"source": valid_name, "tokens": data.valid.predicted, "sequences": data.valid.sequences},
        "vocab": {"size": len(data.vocab), "words": data.vocab.num_words, "coverage": data.vocab.coverage().ratio},
        "test": test,
    }

