"""The training loop: truncated BPTT over contiguous batches, as in word_language_model.

A plain loop you can read top to bottom: the hidden state is carried from one window to
the next and detached, gradients are clipped by norm, and after each epoch the model is
scored on the validation text; the best weights are kept, and on a plateau the learning
rate is divided by 4 (and training stops after ``patience`` such epochs). A first Ctrl-C
asks the loop to stop after the current batch, so the state it leaves is resumable.
"""

from __future__ import annotations

import copy
import math
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

import torch

from wordseq.config_checks import at_least, count, within
from wordseq.errors import OptionError, WordseqError
from wordseq.neural.data import TokenStream, batchify, get_batch
from wordseq.neural.evaluate import score_stream
from wordseq.neural.model import RNNModel, detach_hidden

OPTIMIZERS = ("sgd", "adam")
DEFAULT_LR = {"sgd": 20.0, "adam": 1e-3}
ANNEAL = 4.0


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 10
    optimizer: str = "sgd"
    lr: float | None = None  # None: 20 for SGD, 1e-3 for Adam
    clip: float = 0.25  # 0: no clipping
    bptt: int = 35
    batch_size: int = 20
    patience: int | None = 3  # epochs without improvement before stopping; None: never
    seed: int = 1111

    def __post_init__(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise OptionError("--optimizer", f"choose sgd or adam, got {self.optimizer!r}")
        count("--epochs", self.epochs, 1, 100_000)
        count("--bptt", self.bptt, 1, 100_000)
        count("--batch-size", self.batch_size, 1, 1_000_000)
        count("--seed", self.seed, 0, 2**63 - 1)
        if self.lr is not None:
            within("--lr", self.lr, 0.0, 1e4, low_open=True)
        at_least("--clip", self.clip, 0.0)
        if self.patience is not None:
            count("--patience", self.patience, 1)

    @property
    def learning_rate(self) -> float:
        return self.lr if self.lr is not None else DEFAULT_LR[self.optimizer]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["lr"] = self.learning_rate
        return d


class TrainingDiverged(WordseqError):
    """The loss became NaN or infinite: the weights are garbage from here on."""


@dataclass
class EpochRecord:
    epoch: int
    train_ppl: float
    valid_ppl: float
    lr: float
    tokens_per_s: float
    seconds: float
    best: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _ppl(loss: float) -> float:
    return math.exp(loss) if loss < 700 else math.inf


class Trainer:
    def __init__(
        self, model: RNNModel, train: TokenStream, valid: TokenStream, config: TrainConfig, device: torch.device
    ) -> None:
        self.model = model
        self.config = config
        self.device = device
        self.train_data = batchify(train.ids, config.batch_size).to(device)
        self.valid = valid
        self.optimizer = self._make_optimizer()
        self.epoch = 1  # the epoch in progress
        self.position = 0  # next row of train_data in this epoch
        self.hidden = model.init_hidden(config.batch_size)
        self.history: list[dict[str, Any]] = []
        self.best_valid_loss = math.inf
        self.best_state: dict[str, torch.Tensor] | None = None
        self.bad_epochs = 0
        self.stopped_early = False
        self.stop_requested = False
        # the epoch in progress, so an interrupted epoch resumes with its figures
        self._loss_sum = 0.0
        self._batches = 0
        self._tokens = 0
        self._seconds = 0.0

    def _make_optimizer(self) -> torch.optim.Optimizer:
        params = self.model.parameters()
        lr = self.config.learning_rate
        if self.config.optimizer == "adam":
            return torch.optim.Adam(params, lr=lr)
        return torch.optim.SGD(params, lr=lr)

    @property
    def lr(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])

    @property
    def batches_per_epoch(self) -> int:
        return math.ceil((len(self.train_data) - 1) / self.config.bptt)

    @property
    def batches_done(self) -> int:
        """Batches trained so far in the epoch in progress."""
        return self._batches

    @property
    def finished(self) -> bool:
        return self.stopped_early or self.epoch > self.config.epochs

    def train_step(self) -> float:
        """One BPTT window at the current position; returns its mean loss."""
        self.model.train()
        x, y = get_batch(self.train_data, self.position, self.config.bptt)
        self.hidden = detach_hidden(self.hidden)
        self.optimizer.zero_grad(set_to_none=True)
        _, self.hidden, loss = self.model(x, self.hidden, y)
        assert loss is not None
        loss.backward()
        if self.config.clip:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.config.clip)
        self.optimizer.step()
        self.position += len(x)
        value = loss.item()
        if not math.isfinite(value):
            raise TrainingDiverged(
                f"training diverged in epoch {self.epoch} (the loss became {value}); nothing of this run is "
                f"saved as the model: lower --lr (now {self.lr:g}) or --clip"
            )
        self._loss_sum += value
        self._batches += 1
        self._tokens += y.numel()
        return value

    def run(
        self,
        on_batch: Callable[[int, int, float], None] | None = None,
        on_epoch: Callable[[EpochRecord], None] | None = None,
    ) -> bool:
        """Train until the last epoch, early stopping or a stop request; True if done."""
        with _stop_on_interrupt(self):
            while not self.finished:
                start = time.perf_counter()
                while self.position < len(self.train_data) - 1 and not self.stop_requested:
                    loss = self.train_step()
                    if on_batch is not None:
                        on_batch(self._batches, self.batches_per_epoch, loss)
                self._seconds += time.perf_counter() - start
                if self.stop_requested:
                    return False
                record = self.end_epoch()
                if on_epoch is not None:
                    on_epoch(record)
        return True

    def end_epoch(self) -> EpochRecord:
        valid = score_stream(self.model, self.valid, self.device, bptt=self.config.bptt).report
        valid_loss = -valid.logprob / valid.tokens if valid.tokens else math.inf
        best = valid_loss < self.best_valid_loss
        lr = self.lr
        if best:
            self.best_valid_loss = valid_loss
            self.best_state = {k: v.detach().to("cpu", copy=True) for k, v in self.model.state_dict().items()}
            self.bad_epochs = 0
        else:
            self.bad_epochs += 1
            for group in self.optimizer.param_groups:
                group["lr"] = group["lr"] / ANNEAL
            if self.config.patience is not None and self.bad_epochs >= self.config.patience:
                self.stopped_early = True
        record = EpochRecord(
            epoch=self.epoch,
            train_ppl=_ppl(self._loss_sum / max(self._batches, 1)),
            valid_ppl=_ppl(valid_loss),
            lr=lr,
            tokens_per_s=self._tokens / self._seconds if self._seconds > 0 else 0.0,
            seconds=self._seconds,
            best=best,
        )
        self.history.append(record.to_dict())
        self.epoch += 1
        self.position = 0
        self.hidden = self.model.init_hidden(self.config.batch_size)
        self._loss_sum, self._batches, self._tokens, self._seconds = 0.0, 0, 0, 0.0
        return record

    def best_model_state(self) -> dict[str, torch.Tensor]:
        """The weights with the best validation loss so far (current ones before any)."""
        if self.best_state is not None:
            return self.best_state
        return {k: v.detach().to("cpu", copy=True) for k, v in self.model.state_dict().items()}

    # -- resuming -------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        hidden = [self.hidden] if isinstance(self.hidden, torch.Tensor) else list(self.hidden)
        return {
            "train_config": asdict(self.config),
            "optimizer": self.optimizer.state_dict(),
            "epoch": self.epoch,
            "position": self.position,
            "hidden": [h.detach().cpu() for h in hidden],
            "history": copy.deepcopy(self.history),
            "best_valid_loss": self.best_valid_loss,
            "best_model": self.best_state,
            "bad_epochs": self.bad_epochs,
            "stopped_early": self.stopped_early,
            "partial_epoch": [self._loss_sum, self._batches, self._tokens, self._seconds],
            "rng": torch.get_rng_state(),
        }

    def load_state_dict(self, state: dict[str, Any], *, keep_lr: bool = True) -> None:
        self.optimizer.load_state_dict(state["optimizer"])
        if not keep_lr:
            for group in self.optimizer.param_groups:
                group["lr"] = self.config.learning_rate
        self.epoch = int(state["epoch"])
        self.position = int(state["position"])
        hidden = [h.to(self.device) for h in state["hidden"]]
        if hidden and hidden[0].shape[1] == self.config.batch_size and self.position < len(self.train_data) - 1:
            self.hidden = hidden[0] if len(hidden) == 1 else tuple(hidden)  # type: ignore[assignment]
        else:
            # --batch-size changed, or the text is shorter now: restart the epoch's state
            self.position = 0 if self.position >= len(self.train_data) - 1 else self.position
            self.hidden = self.model.init_hidden(self.config.batch_size)
        self.history = list(state["history"])
        self.best_valid_loss = float(state["best_valid_loss"])
        self.best_state = state["best_model"]
        self.bad_epochs = int(state["bad_epochs"])
        self.stopped_early = False  # --resume after early stopping means: go on
        loss_sum, batches, tokens, seconds = state["partial_epoch"]
        self._loss_sum, self._batches, self._tokens, self._seconds = float(loss_sum), int(batches), int(tokens), float(seconds)
        torch.set_rng_state(state["rng"])


@contextmanager
def _stop_on_interrupt(trainer: Trainer) -> Iterator[None]:
    """First Ctrl-C: finish the batch and stop cleanly; a second one interrupts at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)

    def request_stop(signum: int, frame: Any) -> None:
        trainer.stop_requested = True
        signal.signal(signal.SIGINT, previous)

    signal.signal(signal.SIGINT, request_stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
