"""K-fold cross-validation of text classifiers, folds in this process or in workers.

Folds are stratified by class and fixed by the seed (``folds``), so every configuration
is scored on the same partition. Each fold trains exactly as ``train_classifier`` does,
holding out its own validation share for early stopping, and is scored once on its
test part; nothing is saved.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import torch

from wordseq.classify.config import LINEAR, EncoderOptions, TrainingConfig
from wordseq.classify.data import TableFormat
from wordseq.classify.folds import split_validation, stratified_folds
from wordseq.classify.labelling import MULTI_LABEL_THRESHOLD
from wordseq.classify.metrics import Evaluation, MultiLabelEvaluation
from wordseq.classify.train import (
    EpochCallback,
    EpochRecord,
    _fit,
    _Hooks,
    _prepare,
    _Prepared,
    _pretrained,
    _split_settings,
)
from wordseq.config_checks import Record, count
from wordseq.errors import WordseqError
from wordseq.pretrained import PretrainedVectors
from wordseq.progress import SILENT, Reporter
from wordseq.text.preprocess import PreprocessConfig
from wordseq.training import torch_threads


@dataclass
class FoldResult(Record):
    """One cross-validation fold: trained on the rest, scored on this part."""

    fold: int
    train_examples: int
    valid_examples: int
    test_examples: int
    accuracy: float
    macro_f1: float
    best_epoch: int
    epochs: int
    seconds: float
    cpu_seconds: float = 0.0  # of the process that trained the fold, all its threads


@dataclass
class CrossValidation:
    """K-fold cross-validation: per-fold figures and the pooled confusion matrix."""

    k: int
    description: str
    folds: list[FoldResult]
    evaluation: Evaluation | MultiLabelEvaluation
    seconds: float
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def mean_accuracy(self) -> float:
        return float(np.mean([f.accuracy for f in self.folds]))

    @property
    def std_accuracy(self) -> float:
        return float(np.std([f.accuracy for f in self.folds]))

    @property
    def mean_macro_f1(self) -> float:
        return float(np.mean([f.macro_f1 for f in self.folds]))

    def to_dict(self) -> dict[str, Any]:
        return {"k": self.k, "model": self.description, "mean_accuracy": self.mean_accuracy,
                "std_accuracy": self.std_accuracy, "mean_macro_f1": self.mean_macro_f1,
                "seconds": round(self.seconds, 2), "folds": [f.to_dict() for f in self.folds],
                "pooled": self.evaluation.to_dict(), "settings": self.settings}

    def lines(self) -> list[str]:
        out = ["fold\taccuracy\tmacro_f1\tbest_epoch\tseconds\tcpu_seconds"]
        out += [f"{f.fold}\t{f.accuracy:.4f}\t{f.macro_f1:.4f}\t{f.best_epoch}\t{f.seconds:.1f}\t{f.cpu_seconds:.1f}"
                for f in self.folds]
        cpu = sum(f.cpu_seconds for f in self.folds)
        out.append(f"mean\t{self.mean_accuracy:.4f}\t{self.mean_macro_f1:.4f}\t\t{self.seconds:.1f}\t{cpu:.1f}")
        out.append(f"std\t{self.std_accuracy:.4f}")
        return out


def fold_line(fold: FoldResult) -> str:
    """One log line for a finished cross-validation fold."""
    return (f"fold {fold.fold:2d}: accuracy {fold.accuracy:.2%}, macro-F1 {fold.macro_f1:.4f}, "
            f"{fold.test_examples:,} texts, best epoch {fold.best_epoch}, {fold.seconds:.0f}s")


def cross_validate(data: Any, labels: Sequence[str] | None = None, *, k: int = 10,
                   preprocess: PreprocessConfig | None = None, model: EncoderOptions | None = None,
                   training: TrainingConfig | None = None, table: TableFormat | None = None,
                   encoding_errors: str = "strict", device: str = "auto", workers: int = 1,
                   reporter: Reporter = SILENT, on_epoch: EpochCallback | None = None,
                   on_fold: Callable[[FoldResult], None] | None = None, **settings: Any) -> CrossValidation:
    """K-fold cross-validation: K models, each trained (with early stopping on a share of
    its own training part) and scored once on its held-out fold.

    Parameters are those of ``train_classifier`` (nothing is saved), plus ``k`` (folds,
    stratified by class and fixed by ``seed``), ``workers`` (folds trained at once, each in
    its own process with ``threads`` torch threads, by default the cores shared out) and
    ``on_fold`` (called with each ``FoldResult`` as it finishes). With several workers the
    epoch records of a fold are reported when the fold ends.

    Returns
    -------
    CrossValidation
        Per-fold accuracy and macro-F1, their mean and spread, the pooled confusion matrix.
    """
    from wordseq.device import resolve_device

    count("--workers", workers, 1, 1024)
    enc, cfg = _split_settings(model, training, settings)
    dev = resolve_device(device)
    preprocess = preprocess or PreprocessConfig()
    pretrained = _pretrained(enc, cfg, preprocess)
    prep = _prepare(data, labels, table, encoding_errors, preprocess, reporter, enc.multi_label)
    folds = stratified_folds(prep.y, k, cfg.seed)
    if workers > 1 and cfg.threads == 0:
        cfg = replace(cfg, threads=max(1, (os.cpu_count() or 1) // workers))
    tasks = [_FoldTask(i, test_rows, prep, enc, cfg, preprocess, dev, pretrained) for i, test_rows in enumerate(folds, 1)]
    hooks = _Hooks(reporter, on_epoch)
    start = time.perf_counter()
    outcomes: list[_FoldOutcome] = []

    def done(outcome: _FoldOutcome, replay: bool) -> None:
        outcomes.append(outcome)
        for record in outcome.history if replay else ():
            hooks.checked(record)
        reporter.log(fold_line(outcome.result))
        if on_fold is not None:
            on_fold(outcome.result)

    if workers == 1 or len(tasks) == 1:
        for task in tasks:
            done(_run_fold(task, hooks), False)
    else:
        _in_workers(tasks, workers, done, reporter)
    outcomes.sort(key=lambda o: o.result.fold)
    predicted = np.zeros(prep.targets.shape, dtype=bool)
    for task, outcome in zip(tasks, outcomes):
        predicted[task.test_rows] = outcome.predicted
    pooled = _evaluation(prep.labels, prep.targets, predicted, prep.multi_label)
    settings_doc = {"encoder": enc.to_dict(), "training": cfg.to_dict(), "preprocessing": preprocess.to_dict(),
                    "examples": len(prep.y), "device": dev.type, "workers": workers}
    return CrossValidation(k, outcomes[0].description, [o.result for o in outcomes], pooled,
                           time.perf_counter() - start, settings_doc)


def _in_workers(tasks: list[_FoldTask], workers: int, done: Callable[[_FoldOutcome, bool], None],
                reporter: Reporter) -> None:
    """Train the folds in ``workers`` processes at a time; ``done`` as each one ends."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    workers = min(workers, len(tasks))
    reporter.log(f"{len(tasks)} folds, {workers} at a time, {tasks[0].cfg.threads} thread(s) each")
    # spawn, not fork: a forked child of a process that has started torch's thread pools can hang
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                             initializer=_die_with_parent, initargs=(os.getpid(),)) as pool:
        try:
            for future in as_completed([pool.submit(_run_fold, task) for task in tasks]):
                done(future.result(), True)
        except BrokenProcessPool:
            raise WordseqError(
                "a cross-validation worker ended abruptly (killed, or out of memory); from a Python script, "
                "call with workers > 1 only under 'if __name__ == \"__main__\":' (workers start by spawning)"
            ) from None


@dataclass
class _FoldTask:
    fold: int
    test_rows: np.ndarray
    prep: _Prepared
    options: EncoderOptions
    cfg: TrainingConfig
    preprocess: PreprocessConfig
    device: torch.device
    pretrained: PretrainedVectors | None


@dataclass
class _FoldOutcome:
    result: FoldResult
    predicted: np.ndarray
    history: list[EpochRecord]
    description: str


def _evaluation(labels: list[str], truth: np.ndarray, predicted: np.ndarray,
                multi_label: bool) -> Evaluation | MultiLabelEvaluation:
    """Figures of (texts, classes) yes / no predictions against the truth."""
    if multi_label:
        return MultiLabelEvaluation(labels, truth, predicted)
    return Evaluation.from_predictions(labels, truth.argmax(axis=1), predicted.argmax(axis=1))


def _run_fold(task: _FoldTask, hooks: _Hooks | None = None) -> _FoldOutcome:
    """Train on everything but the fold (holding out a validation share, but for the
    linear models, which have nothing to stop early), score the fold."""
    began, cpu = time.perf_counter(), time.process_time()
    prep, i = task.prep, task.fold
    rest = np.setdiff1d(np.arange(len(prep.y)), task.test_rows, assume_unique=True)
    if task.options.encoder in LINEAR:
        fit_rows, valid_rows = rest, np.zeros(0, dtype=np.int64)
    else:
        fit_rows, valid_rows = split_validation(rest, prep.y, task.cfg.valid_percent / 100, task.cfg.seed + i)
    model = _fit(prep, fit_rows, valid_rows, task.options, task.cfg, task.preprocess, task.device, task.pretrained,
                 i, hooks)
    with torch_threads(task.cfg.threads):
        probs = model.probabilities_of([prep.tokens[j] for j in task.test_rows])
    if prep.multi_label:
        predicted = probs >= MULTI_LABEL_THRESHOLD
    else:
        predicted = np.eye(len(prep.labels), dtype=bool)[probs.argmax(axis=1)]
    scores = _evaluation(prep.labels, prep.targets[task.test_rows], predicted, prep.multi_label)
    result = FoldResult(i, len(fit_rows), len(valid_rows), len(task.test_rows), scores.accuracy, scores.macro_f1,
                        int(model.training["best_epoch"]), int(model.training["epochs_done"]),
                        round(time.perf_counter() - began, 2), round(time.process_time() - cpu, 2))
    # nbsvm in a fold fits once, with no validation share: no epoch to report
    history = [] if task.options.encoder == "nbsvm" else [EpochRecord(**r) for r in model.training["history"]]
    return _FoldOutcome(result, predicted, history, model.config.describe())


def _die_with_parent(parent: int) -> None:
    """A fold worker ends when the process that started it does (PR_SET_PDEATHSIG), so a
    killed ``--cv`` run leaves no worker training on; a watcher thread is the fallback."""
    import threading

    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()
