"""Training text classifiers: one model with early stopping, or K-fold cross-validation.

A plain loop: Adam over batches of texts of similar length, gradient clipping, and after
each epoch the accuracy on a validation share held out from the training texts (per
class); the weights of the best epoch are kept, and training stops after ``patience``
epochs without a better one. The vocabulary (and the bigram table) comes from the texts
the network trains on, never from validation or test texts. Cross-validation
(``crossval``) repeats all of this per fold.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from wordseq.classify.config import LINEAR, ClassifierConfig, EncoderOptions, TrainingConfig
from wordseq.classify.data import LabelledData, TableFormat, as_labelled_data
from wordseq.classify.encoding import EncodedTexts, build_bigram_vocab, encode, make_batch, training_batches
from wordseq.classify.epochs import EpochRecord
from wordseq.classify.folds import split_validation
from wordseq.classify.labelling import Labeller
from wordseq.classify.metrics import fit_figures
from wordseq.classify.model import KIND, TextClassifier, class_probabilities
from wordseq.classify.network import ClassifierNetwork
from wordseq.errors import OptionError
from wordseq.pretrained import PretrainedVectors, copy_vectors, extend_vocabulary, load_pretrained
from wordseq.progress import SILENT, Reporter, track
from wordseq.store import writing
from wordseq.text.preprocess import PreprocessConfig, Preprocessor
from wordseq.training import BatchWindow, EpochTrainer, TrainingRun, cpu_copy, torch_threads
from wordseq.vocab import Vocabulary

DEFAULT_EMB = 100


EpochCallback = Callable[[EpochRecord], None]


@dataclass
class _Hooks:
    """Where a run reports: the reporter (bars, log lines) and an optional callback."""

    reporter: Reporter = SILENT
    on_epoch: EpochCallback | None = None

    def checked(self, record: EpochRecord) -> None:
        self.reporter.log(epoch_line(record))
        if self.on_epoch is not None:
            self.on_epoch(record)


def epoch_line(rec: EpochRecord) -> str:
    """One log line for an epoch."""
    fold = f"fold {rec.fold:2d} " if rec.fold is not None else ""
    mark = " (best)" if rec.best else ""
    # 80 columns: the speed and the time are in meta.json's history
    return (f"{fold}epoch {rec.epoch:2d} | loss {rec.train_loss:.4f} acc {rec.train_accuracy:.1%} | "
            f"valid loss {rec.valid_loss:.4f} acc {rec.valid_accuracy:.1%}{mark}")


def batch_line(epoch: int, done: int, total: int, loss: float) -> str:
    """A progress line every --log-interval batches."""
    return f"epoch {epoch}: batch {done}/{total}, loss {loss:.4f}"


@dataclass
class _Prepared:
    """Labelled data after preprocessing: tokens and class ids per example."""

    data: LabelledData
    labels: list[str]
    tokens: list[list[str]]
    y: np.ndarray  # the class of each text (a multi-label text's first label: what folds stratify by)
    targets: np.ndarray  # (texts, classes) yes / no
    multi_label: bool = False


def _prepare(data: Any, labels: Sequence[str] | None, table: TableFormat | None, encoding_errors: str,
             preprocess: PreprocessConfig, reporter: Reporter, multi_label: bool = False) -> _Prepared:
    with reporter.task("reading", unit="texts"):
        labelled = data if isinstance(data, LabelledData) else as_labelled_data(data, labels, table, encoding_errors)
    labelled.check_trainable()
    if not multi_label:
        labelled.check_single_label()
    names = labelled.labels
    index = {name: i for i, name in enumerate(names)}
    pre = Preprocessor(preprocess)
    with reporter.task("tokenizing", total=len(labelled.examples), unit="texts") as task:
        tokens = [pre.tokens(e.text) for e in track(task, labelled.examples)]
    y = np.array([index[e.label] for e in labelled.examples], dtype=np.int64)
    targets = np.zeros((len(y), len(names)), dtype=bool)
    for i, e in enumerate(labelled.examples):
        targets[i, [index[label] for label in e.all_labels]] = True
    counts = labelled.counts()
    reporter.log(f"{len(y):,} texts: " + ", ".join(f"{name} {counts[name]:,}" for name in names)
                 + f" ({preprocess.describe()})")
    return _Prepared(labelled, names, tokens, y, targets, multi_label)


def _split_settings(options: EncoderOptions | None, training: TrainingConfig | None,
                    settings: dict[str, Any]) -> tuple[EncoderOptions, TrainingConfig]:
    enc_names = {f.name for f in fields(EncoderOptions)}
    train_names = {f.name for f in fields(TrainingConfig)} | set(TrainingConfig.ALIASES)
    unknown = set(settings) - enc_names - train_names
    if unknown:
        raise TypeError(f"unknown setting(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(enc_names | train_names))}")
    enc = asdict(options) if options is not None else {}
    enc.update({k: v for k, v in settings.items() if k in enc_names})
    tr = asdict(training) if training is not None else {}
    tr.update({k: v for k, v in settings.items() if k in train_names})
    encoder, training = EncoderOptions(**enc), TrainingConfig(**tr)
    _refuse_unused(encoder, training)
    return encoder, training


# What a linear encoder does not use (--pool and --emb: EncoderOptions' own checks). A
# value other than the default was ignored without a word; the default, said again, is
# harmless and indistinguishable from leaving the option out.
UNUSED_BY = {
    "nbsvm": ("hidden", "layers", "dropout", "epochs", "batch_size", "lr", "patience", "clip"),
    "fasttext": ("hidden", "layers", "dropout", "patience", "clip", "bigram_min_count"),
}


def _refuse_unused(encoder: EncoderOptions, training: TrainingConfig) -> None:
    for config in (encoder, training):
        for f in fields(config):
            if f.name in UNUSED_BY.get(encoder.encoder, ()) and getattr(config, f.name) != f.default:
                raise OptionError(f"--{f.name.replace('_', '-')}", f"{encoder.encoder} does not use it: leave it out")


def _evaluate_rows(network: ClassifierNetwork, texts: EncodedTexts, targets: np.ndarray, rows: np.ndarray,
                   device: torch.device) -> tuple[float, float]:
    """Mean loss and accuracy on ``rows`` (``fit_figures``)."""
    probs = class_probabilities(network, texts, rows, device)
    return fit_figures(probs, targets[rows], network.config.multi_label)


class _Trainer(EpochTrainer):
    """Adam over batches of texts of similar length; after each epoch the validation
    share is scored and the best weights kept (``wordseq.training`` runs it)."""

    def __init__(self, network: ClassifierNetwork, texts: EncodedTexts, y: np.ndarray, fit_rows: np.ndarray,
                 valid_rows: np.ndarray, cfg: TrainingConfig, device: torch.device, fold: int | None,
                 hooks: _Hooks) -> None:
        self.hooks = hooks
        self.network, self.texts, self.y, self.fit_rows, self.valid_rows = network, texts, y, fit_rows, valid_rows
        self.config, self.device, self.fold = cfg, device, fold
        tables = [p for p in (network.embedding.weight, getattr(network.bigram_embedding, "weight", None))
                  if p is not None and p.requires_grad]
        self.params = [p for p in network.parameters() if p.requires_grad and all(p is not t for t in tables)]
        # lazy Adam on the embedding tables (rows move only when their words are in a batch)
        lr = cfg.learning_rate(network.config.encoder)
        self.optimizer = torch.optim.Adam(self.params, lr=lr)
        self.optimizers: list[torch.optim.Optimizer] = [self.optimizer]
        if tables:
            self.optimizers.append(torch.optim.SparseAdam(tables, lr=lr))
        self.rng = np.random.default_rng(cfg.seed)
        # y: class ids, or with multi_label the (texts, classes) yes / no matrix
        self.targets = torch.from_numpy(y.astype(np.float32) if y.ndim == 2 else y)
        self.history: list[EpochRecord] = []
        self.best_key: tuple[float, float] | None = None
        self.best_state = cpu_copy(network.state_dict())
        self.bad = 0
        self.loss_sum = self.correct = self.seen = 0.0
        self.batches = training_batches(texts.lengths, fit_rows, cfg.batch_size, self.rng)

    @property
    def batches_per_epoch(self) -> int:
        return len(self.batches)

    def train_step(self) -> float:
        rows = self.batches[self.position]
        self.network.train()
        loss, right = _train_step(self.network, self.optimizers, self.params, self.texts, self.targets, rows,
                                  self.config.clip, self.device)
        self.position += 1
        self.loss_sum += loss * len(rows)
        self.correct += right
        self.seen += len(rows)
        return loss

    def check(self, end_of_epoch: bool = True) -> EpochRecord:
        targets = self.y if self.y.ndim == 2 else np.eye(len(self.network.config.labels), dtype=bool)[self.y]
        valid_loss, valid_acc = _evaluate_rows(self.network, self.texts, targets, self.valid_rows, self.device)
        # accuracy decides; on a tie the lower loss (the better-calibrated weights) wins
        key = (valid_acc, -valid_loss)
        is_best = self.best_key is None or key > self.best_key
        if is_best:
            self.best_key, self.bad = key, 0
            self.best_state = cpu_copy(self.network.state_dict())
        else:
            self.bad += 1
        seen, seconds = max(self.seen, 1), self.seconds
        record = EpochRecord.timed(self.epoch, (self.loss_sum / seen, self.correct / seen), (valid_loss, valid_acc),
                                   seconds, self.seen, is_best, self.fold)
        self.history.append(record)
        self.stopped_early = bool(self.config.patience) and self.bad >= self.config.patience
        self.epoch, self.position, self.seconds = self.epoch + 1, 0, 0.0
        self.loss_sum = self.correct = self.seen = 0.0
        if not self.finished:
            self.batches = training_batches(self.texts.lengths, self.fit_rows, self.config.batch_size, self.rng)
        return record

    def state_dict(self) -> dict[str, Any]:
        return {}  # a classifier run is not resumed: nothing of it is saved before the model

    # its lines: the batch line's loss is the epoch's running mean
    def batch_line(self, window: BatchWindow) -> str:
        return batch_line(self.epoch, self.position, len(self.batches), self.loss_sum / max(self.seen, 1))

    def checked(self, record: EpochRecord) -> None:
        self.hooks.checked(record)


def _train_step(network: ClassifierNetwork, optimizers: list[torch.optim.Optimizer], params: list[torch.nn.Parameter],
                texts: EncodedTexts, targets: torch.Tensor, rows: np.ndarray, clip: float,
                device: torch.device) -> tuple[float, float]:
    """One Adam step on a batch; (its mean loss, how many it got right)."""
    out = network(make_batch(texts, rows).to(device))
    gold = targets[rows].to(device)
    multi = network.config.multi_label
    loss = F.binary_cross_entropy_with_logits(out.logits, gold) if multi else F.cross_entropy(out.logits, gold)
    for opt in optimizers:
        opt.zero_grad(set_to_none=True)
    loss.backward()
    if clip and params:
        # the recurrent weights are where gradients explode; the sparse table gradients
        # are left as they are
        torch.nn.utils.clip_grad_norm_(params, clip)
    for opt in optimizers:
        opt.step()
    if multi:
        return float(loss.detach()), float(((out.logits.detach() > 0) == (gold > 0.5)).all(dim=1).sum())
    return float(loss.detach()), float((out.logits.detach().argmax(dim=1) == gold).sum())


def _fit(prep: _Prepared, fit_rows: np.ndarray, valid_rows: np.ndarray, options: EncoderOptions,
         cfg: TrainingConfig, preprocess: PreprocessConfig, device: torch.device,
         pretrained: PretrainedVectors | None, fold: int | None = None, hooks: _Hooks | None = None) -> Labeller:
    hooks = hooks or _Hooks()
    if options.encoder in LINEAR:
        from wordseq.classify.linear_train import fit_fasttext_model, fit_nbsvm_model

        fit = fit_nbsvm_model if options.encoder == "nbsvm" else fit_fasttext_model
        return fit(prep, fit_rows, valid_rows, options, cfg, preprocess, fold, hooks)
    start = time.perf_counter()
    vocab = Vocabulary.build((prep.tokens[i] for i in fit_rows), min_count=cfg.min_count, max_size=cfg.max_size)
    trained_words = vocab.num_words
    if pretrained is not None:
        vocab = extend_vocabulary(vocab, pretrained, cfg.vector_words)
    bigram_vocab = None
    if options.encoder == "bow" and options.bigrams:
        bigram_vocab = build_bigram_vocab((prep.tokens[i] for i in fit_rows), cfg.bigram_floor(options.encoder))
    emb = options.emb or (pretrained.dim if pretrained is not None else DEFAULT_EMB)
    config = ClassifierConfig(
        labels=tuple(prep.labels), vocab_size=len(vocab), encoder=options.encoder, pool=options.pool, emb=emb,
        hidden=options.hidden, layers=options.layers, dropout=options.dropout,
        bigram_vocab_size=len(bigram_vocab) if bigram_vocab is not None else 0, multi_label=options.multi_label,
    )
    texts = encode(prep.tokens, vocab, bigram_vocab)
    with torch.random.fork_rng(devices=[]), torch_threads(cfg.threads):
        torch.manual_seed(cfg.seed)
        if device.type == "cuda":
            torch.cuda.manual_seed_all(cfg.seed)
        network = ClassifierNetwork(config)
        init_info = None
        if pretrained is not None:
            found = copy_vectors(network.embedding.weight, vocab, pretrained)
            init_info = {"model": pretrained.source, "found": found, "words": vocab.num_words,
                         "training_words": trained_words, "added_from_vectors": vocab.num_words - trained_words,
                         "frozen": cfg.freeze_embeddings}
        if cfg.freeze_embeddings:
            network.embedding.weight.requires_grad_(False)
        network.to(device)
        if fold is None:
            hooks.reporter.log(f"{config.describe()} on {device.type}: {vocab.num_words:,} words"
                               + (f" + {len(bigram_vocab) - 4:,} bigrams" if bigram_vocab is not None else ""))
            hooks.reporter.log(f"{len(fit_rows):,} texts to train on, {len(valid_rows):,} held out for early stopping")
        targets = prep.targets if prep.multi_label else prep.y
        trainer = _Trainer(network, texts, targets, fit_rows, valid_rows, cfg, device, fold, hooks)
        TrainingRun(trainer, trainer, hooks.reporter).train()
        history = trainer.history
        network.load_state_dict(trainer.best_state)
        network.eval()
    best = max(history, key=lambda r: (r.valid_accuracy, -r.valid_loss))
    counts = prep.targets[fit_rows].sum(axis=0)
    training = {
        "settings": {**cfg.to_dict(), "lr": cfg.learning_rate(options.encoder)},
        "examples": {"train": int(len(fit_rows)), "valid": int(len(valid_rows)),
                     "train_per_class": {lab: int(c) for lab, c in zip(prep.labels, counts)}},
        "vocab": {"words": vocab.num_words, "training_words": trained_words, "coverage": vocab.coverage().ratio,
                  "bigrams": bigram_vocab.num_words if bigram_vocab is not None else 0},
        "init_embeddings": init_info, "device": device.type, "epochs_done": len(history), "best_epoch": best.epoch,
        "best_valid_accuracy": best.valid_accuracy, "best_valid_loss": best.valid_loss,
        "stopped_early": len(history) < cfg.epochs,
        "seconds": round(time.perf_counter() - start, 2),
        "history": [r.to_dict() for r in history],
    }
    return TextClassifier(config, vocab, network, preprocess, bigram_vocab, prep.data.sources, training)


def train_classifier(data: Any, labels: Sequence[str] | None = None, *, output: str | Path | None = None,
                     preprocess: PreprocessConfig | None = None, model: EncoderOptions | None = None,
                     training: TrainingConfig | None = None, table: TableFormat | None = None,
                     encoding_errors: str = "strict", device: str = "auto", reporter: Reporter = SILENT,
                     on_epoch: EpochCallback | None = None, **settings: Any) -> Labeller:
    """Train a text classifier, with early stopping on a held-out validation share.

    Parameters
    ----------
    data
        Labelled texts: TSV file(s) or folders (one sub-folder per label), a mapping
        ``{label: file or list of texts}``, an iterable of ``(label, text)`` pairs, or an
        iterable of raw texts with ``labels``.
    labels : sequence of str, optional
        The label of each text when ``data`` holds texts only.
    output : str or Path, optional
        Save the model under this NAME ($WORDSEQ_HOME/classifier/NAME) or at this PATH;
        the name is held from the start, so a second run to it fails at once.
    preprocess : PreprocessConfig, optional
        Tokenization settings, kept in the model and applied to every text it is given.
    model, training : EncoderOptions, TrainingConfig, optional
        Network and training settings; any of their fields may also be given as keyword
        arguments (``encoder="bow"``, ``epochs=5``, ``init_embeddings="news"``...), which
        override them.
    table : TableFormat, optional
        TSV columns (label first, text second by default).
    device : str
        ``auto`` (CUDA when present), ``cpu`` or ``cuda``.
    reporter : Reporter, optional
        Progress bars and log lines (silent by default).
    on_epoch : callable, optional
        Called with each ``EpochRecord``.

    Returns
    -------
    TextClassifier or LinearClassifier
        The weights of the epoch with the best validation accuracy (``nbsvm``: fitted
        on all the texts after its validation score).

    Examples
    --------
    >>> model = train_classifier([("pos", "a fine film"), ("neg", "a dull film")] * 20, epochs=2)  # doctest: +SKIP
    >>> model.predict(["fine"])[0].label  # doctest: +SKIP
    'pos'
    """
    from wordseq.device import resolve_device

    enc, cfg = _split_settings(model, training, settings)
    dev = resolve_device(device)
    preprocess = preprocess or PreprocessConfig()
    with writing(output, KIND) as writer:
        pretrained = _pretrained(enc, cfg, preprocess)
        prep = _prepare(data, labels, table, encoding_errors, preprocess, reporter, enc.multi_label)
        fit_rows, valid_rows = split_validation(np.arange(len(prep.y)), prep.y, cfg.valid_percent / 100, cfg.seed)
        trained = _fit(prep, fit_rows, valid_rows, enc, cfg, preprocess, dev, pretrained, None, _Hooks(reporter, on_epoch))
        if writer is not None:
            trained.path = writer.commit(trained.meta(), trained.write_payload)
    return trained


def _pretrained(options: EncoderOptions, cfg: TrainingConfig, units: PreprocessConfig) -> PretrainedVectors | None:
    if not cfg.init_embeddings:
        return None
    if options.encoder in LINEAR:
        # was ignored without a word (on MR, fastText's rows started from in-domain
        # vectors scored no better than from random: 77.8 % against 77.9 % at 30d)
        raise OptionError("--init-embeddings", f"{options.encoder} trains no word vectors from given ones: leave it "
                          "out, or choose --encoder bilstm, bigru, lstm, gru, rnn or bow")
    pretrained = load_pretrained(cfg.init_embeddings, units)
    if options.emb is not None and options.emb != pretrained.dim:
        raise OptionError("--emb", f"is {options.emb} but the vectors of {pretrained.source} have {pretrained.dim} "
                          f"dimensions; leave --emb out or give --emb {pretrained.dim}")
    return pretrained
