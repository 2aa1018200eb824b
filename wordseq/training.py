"""The one training run of the torch families: the neural LM, seq2seq and the classifier.

A family gives a trainer (its batches, loss and metrics: ``train_step``, ``check`` and
the state to resume from) and a job (its progress lines); with ``Saving`` also its
meta.json and payload files. Everything else is written here, once: where a ``--resume``
continues from, the loop, Ctrl-C, checkpoints through the store, progress, and the model
put in place at the end. The loop (``train_loop``) reads top to bottom:

    while the run is not finished:
        a stop was asked for (Ctrl-C)   -> return False: the caller keeps the state
        the epoch's batches are done    -> check (validation, best weights, schedule)
        else                            -> one step; a mid-epoch check when one is due

A first Ctrl-C asks the loop to stop after the current batch, so what it leaves is
resumable; a second one interrupts as usual.
"""

from __future__ import annotations

import signal
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from wordseq.config_checks import count
from wordseq.errors import InputError, ModelError, WordseqError
from wordseq.progress import Reporter, Task
from wordseq.store import ModelWriter, partial_dir, read_meta, verify_payload
from wordseq.store.tensors import SUFFIX, payload_file

# A checkpoint is saved at the end of every epoch, and at a mid-epoch check when the last
# one is older than this: a killed run loses at most this much of an epoch.
CHECKPOINT_SECONDS = 600


class Interrupted(KeyboardInterrupt):
    """Ctrl-C stopped the training; ``saved`` says where its state was kept."""

    def __init__(self, saved: Path, message: str) -> None:
        super().__init__(message)
        self.saved = saved
        self.message = message


class TrainingDiverged(WordseqError):
    """The loss became NaN or infinite: the weights are garbage from here on."""


class EpochTrainer(ABC):
    """A family's trainer as the loop sees it: the family gives its step, its check and
    its state; where it stands in the epoch and whether to stop are common."""

    config: Any  # the family's training settings (``epochs`` at least)
    optimizer: Any
    epoch = 1  # the epoch in progress
    position = 0  # the next batch of the epoch
    stopped_early = False
    stop_requested = False  # set by Ctrl-C
    seconds = 0.0  # of training since the last check

    @property
    @abstractmethod
    def batches_per_epoch(self) -> int: ...

    @abstractmethod
    def train_step(self) -> float:
        """One batch; its mean loss."""

    @abstractmethod
    def check(self, end_of_epoch: bool) -> Any:
        """Score the held-out data, keep the best weights, adjust the schedule; the record."""

    @abstractmethod
    def state_dict(self) -> dict[str, Any]:
        """Everything to resume the run from."""

    @property
    def finished(self) -> bool:
        return self.stopped_early or self.epoch > self.config.epochs

    @property
    def epoch_over(self) -> bool:
        return self.position >= self.batches_per_epoch

    @property
    def batches_done(self) -> int:
        return self.position

    @property
    def should_stop(self) -> bool:
        return self.stop_requested

    @property
    def lr(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])

    def check_due(self) -> bool:
        """A mid-epoch check now; by default the held-out data is scored at epoch ends only."""
        return False


@contextmanager
def stop_on_interrupt(loop: EpochTrainer, *, sigterm: bool = False) -> Iterator[None]:
    """While inside, SIGINT (and SIGTERM with ``sigterm``) sets ``loop.stop_requested``.

    The handler restores the previous one at once, so a second signal acts as usual.
    Under torchrun the launcher answers Ctrl-C by sending SIGTERM to every process, which
    is why the distributed loop also asks for ``sigterm``. Signal handlers can only be set
    from the main thread; elsewhere (a notebook's worker thread) this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    signals = [signal.SIGINT] + ([signal.SIGTERM] if sigterm else [])
    previous: dict[int, Any] = {int(sig): signal.getsignal(sig) for sig in signals}

    def request_stop(signum: int, frame: Any) -> None:
        loop.stop_requested = True
        signal.signal(signum, previous[signum])

    for sig in signals:
        signal.signal(sig, request_stop)
    try:
        yield
    finally:
        for sig in signals:
            signal.signal(sig, previous[int(sig)])


def _nothing(*args: Any) -> None:
    pass


def train_loop(trainer: EpochTrainer, on_batch: Callable[[float], None] = _nothing,
               on_check: Callable[[Any, bool], None] = _nothing, *, sigterm: bool = False) -> bool:
    """Train until the last epoch, early stopping or a stop request; True if done.

    ``on_batch(loss)`` follows each step, ``on_check(record, end_of_epoch)`` each check."""
    with stop_on_interrupt(trainer, sigterm=sigterm):
        while not trainer.finished:
            if trainer.should_stop:
                return False
            if trainer.epoch_over:
                on_check(trainer.check(end_of_epoch=True), True)
                continue
            start = time.perf_counter()
            loss = trainer.train_step()
            on_batch(loss)
            trainer.seconds += time.perf_counter() - start
            if trainer.check_due():
                on_check(trainer.check(end_of_epoch=False), False)
    return True


@dataclass
class BatchWindow:
    """The batches since the last progress line."""

    start: float = field(default_factory=time.perf_counter)
    batches: int = 0
    loss_sum: float = 0.0
    last: float = 0.0

    @property
    def mean(self) -> float:
        return self.loss_sum / max(self.batches, 1)

    @property
    def ms(self) -> float:
        return (time.perf_counter() - self.start) * 1000 / max(self.batches, 1)


class Job(Protocol):
    """How a family's run reads: a progress line now and then, a report at each check."""

    def batch_line(self, window: BatchWindow) -> str: ...

    def checked(self, record: Any) -> None: ...


@dataclass
class Saving:
    """Where a run keeps its state (``writer``: None on the ranks but 0, or without an
    output) and how: the family's meta.json, its payload files, its command to resume."""

    writer: ModelWriter | None
    meta: Callable[[bool], dict[str, Any]]  # complete -> meta.json
    write: Callable[[Path, dict[str, Any]], None]  # (folder, trainer state)
    command: str  # 'wordseq lm train CORPUS'


class Ranks(Protocol):
    """The processes of a torchrun (``neural.distributed.Distributed``)."""

    @property
    def enabled(self) -> bool: ...

    @property
    def is_main(self) -> bool: ...

    def from_rank0(self, flag: bool) -> bool: ...

    def barrier(self) -> None: ...


class OneProcess:
    """No torchrun: this process is rank 0 and alone."""

    enabled = False
    is_main = True

    def from_rank0(self, flag: bool) -> bool:
        return flag

    def barrier(self) -> None:
        pass


class TrainingRun:
    """One run of a trainer: a progress bar and lines, checkpoints, Ctrl-C, the final save."""

    def __init__(self, trainer: EpochTrainer, job: Job, reporter: Reporter, saving: Saving | None = None,
                 ranks: Ranks | None = None) -> None:
        self.trainer = trainer
        self.job = job
        self.reporter = reporter
        self.saving = saving
        self.ranks: Ranks = ranks or OneProcess()
        self.saved_at = time.monotonic()
        self.window = BatchWindow()
        self.bar: Task | None = None

    def train(self) -> None:
        """Train to the end; on Ctrl-C keep the state and raise ``Interrupted``."""
        trainer = self.trainer
        with self.reporter.task(f"epoch {trainer.epoch}", total=trainer.batches_per_epoch, unit="batches") as bar:
            self.bar = bar
            bar.update(completed=trainer.batches_done)
            done = train_loop(trainer, self._batch, self._checked, sigterm=self.ranks.enabled)
        if not done:
            stop = self._interrupted()
            self.ranks.barrier()  # the others wait while rank 0 saves
            raise stop

    def _batch(self, loss: float) -> None:
        trainer, window = self.trainer, self.window
        assert self.bar is not None
        self.bar.update(completed=trainer.batches_done, info=f"loss {loss:.3f}  lr {trainer.lr:.3g}")
        window.batches += 1
        window.loss_sum += loss
        window.last = loss
        if self.reporter.every(trainer.batches_done):
            self.reporter.log(self.job.batch_line(window))
            self.window = BatchWindow()

    def _checked(self, record: Any, end_of_epoch: bool) -> None:
        self.job.checked(record)
        due = end_of_epoch or time.monotonic() - self.saved_at >= CHECKPOINT_SECONDS
        if self.saving is not None and self.ranks.from_rank0(due):  # every rank takes part in the save
            self.save()
        if end_of_epoch and not self.trainer.finished:
            assert self.bar is not None
            self.bar.update(completed=0, description=f"epoch {self.trainer.epoch}")

    def save(self, meta: dict[str, Any] | None = None) -> Path | None:
        """The run's checkpoint beside the model (or with ``meta``: the model in its place);
        every rank takes part in gathering the trainer's state, rank 0 writes."""
        assert self.saving is not None
        state = self.trainer.state_dict()
        self.saved_at = time.monotonic()
        writer = self.saving.writer
        if writer is None:
            return None

        def write(folder: Path) -> None:
            self.saving.write(folder, state)  # type: ignore[union-attr]

        if meta is None:
            return writer.save_partial(self.saving.meta(False), write)
        path = writer.commit(meta, write)
        self.reporter.log(f"saved {path}")
        return path

    def _interrupted(self) -> Interrupted:
        """Keep the state of a run stopped by Ctrl-C: in the model's place if the name held
        no model yet, else beside it (a finished model is never replaced)."""
        epoch, saving = self.trainer.epoch, self.saving
        state = self.trainer.state_dict() if saving is not None else {}
        if not self.ranks.is_main:
            return Interrupted(Path(), "")  # rank 0 says what it saved
        if saving is None or saving.writer is None:
            return Interrupted(Path(), f"interrupted in epoch {epoch}; nothing saved" + (" (no output)" if saving else ""))
        writer, meta = saving.writer, saving.meta(False)
        target = writer.target

        def write(folder: Path) -> None:
            saving.write(folder, state)

        if target.exists():
            where = writer.save_partial(meta, write)
            kept = f"the finished model at {target} is kept; this run's state is in {where.name}"
        else:
            where = writer.commit(meta, write)
            kept = f"saved to {where} (marked interrupted)"
        return Interrupted(where, f"interrupted in epoch {epoch}: {kept}; continue with "
                                  f"'{saving.command} -o {target} --resume'")


@contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """torch runs on ``n`` CPU threads inside the block (0: torch's own default, one per
    core). On a shared machine fewer threads than torch's default can be several times
    faster: its threads wait for each other when a core is busy."""
    count("--threads", n, 0, 1024)
    if n == 0:
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def cpu_copy(state: dict[str, Any]) -> dict[str, Any]:
    """A CPU copy of a state dict in which tensors the model shares (tied input and
    output embeddings) stay one tensor, so that the payload file holds them once."""
    copies: dict[tuple[Any, ...], Any] = {}
    result = {}
    for name, tensor in state.items():
        key = (tensor.device, tensor.data_ptr(), tensor.shape, tensor.stride(), tensor.dtype)
        if key not in copies:
            copies[key] = tensor.detach().to("cpu", copy=True)
        result[name] = copies[key]
    return result


def previous_run(target: Path, resume_stem: str) -> tuple[Path, Path, dict[str, Any]]:
    """Where a --resume continues from (an unfinished run's checkpoint first, else the
    model): the folder, its resume file and its meta.json, the payload checked.
    ``resume_stem``: the resume file's name without its suffix (``resume.safetensors``, or
    an older wordseq's ``resume.pt``)."""
    for folder in (partial_dir(target), target):
        file = payload_file(folder, resume_stem)
        if file.is_file():
            meta = read_meta(folder)
            verify_payload(folder, meta)
            return folder, file, meta
    raise InputError(f"nothing to resume at {target} (no {resume_stem}{SUFFIX}); train without --resume first")


def reserve_space(writer: ModelWriter | None, model: Any, copies: int) -> None:
    """Fail now, not after the first epoch, if the disk cannot hold ``copies`` float32
    copies of the weights twice (the model and the partial checkpoint beside it)."""
    if writer is not None:
        writer.ensure_space(sum(p.numel() for p in model.parameters()) * 4 * 2 * copies)


@contextmanager
def restoring(where: Path) -> Iterator[None]:
    """Loading a saved run's weights and trainer state: a damaged file is a ModelError."""
    try:
        yield
    except (KeyError, TypeError, ValueError, RuntimeError, IndexError) as exc:
        raise ModelError(f"{where} is damaged ({type(exc).__name__}: {str(exc)[:160]}); train without --resume") from None


def warn_if_other_data(meta: dict[str, Any], sources: list[Any], reporter: Reporter, message: str) -> None:
    """Resuming on other data than the run was trained on is allowed, but said."""
    trained_on = [c.get("sha256") for c in meta["corpus"]]
    if trained_on and trained_on != [s.sha256 for s in sources]:
        reporter.warn(message)
