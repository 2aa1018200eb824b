"""The LM's trainer: truncated BPTT over contiguous batches, as in word_language_model.

``wordseq.training`` runs it (the loop is the same for every family); here are its step
and its check. The hidden state is carried from one window to the next and detached, gradients are clipped by norm, and the model is scored on the
validation text after every ``valid_every`` batches and at the end of each epoch. The
best weights are kept. When ``anneal_after`` checks in a row bring no improvement the
learning rate is divided by 4 (one check is the example's rule; with several checks an
epoch two, so that one noisy check does not cut the rate), so training never goes on at a
rate that has stopped helping; it stops after ``patience`` checks without improvement
(a gain under ``MIN_GAIN`` is none).
With ``final_anneal`` the rate is also divided by 4 at every check of the last quarter of
the run (the last of four epochs; the last fifth of a one-epoch run checked five times):
when the budget is a few epochs, the run ends on the small steps that give the last gains,
and a short run is not starved of large ones.

``optimizer="nt-asgd"`` is AWD-LSTM's non-monotonically triggered averaged SGD: plain SGD
until a check is worse than the best of all but the last ``nonmono`` ones, then the
weights are averaged from there on (Polyak averaging) and the average is what is scored
and kept; the learning rate is left alone.

``precision`` runs the forward passes under autocast (with loss scaling for fp16). Under
torchrun the model is wrapped in DistributedDataParallel and each rank trains its share of
the batch columns; the loss that is reported and checked is the mean over all ranks, and
a Ctrl-C on any rank stops every rank after the same step.
"""

from __future__ import annotations

import copy
import inspect
import math
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn

from wordseq.config_checks import Record
from wordseq.neural.config import TrainConfig
from wordseq.neural.data import TokenStream, batchify, get_batch
from wordseq.neural.distributed import Distributed
from wordseq.neural.evaluate import score_stream
from wordseq.neural.network import Network, detach_hidden
from wordseq.neural.precision import autocast, grad_scaler
from wordseq.training import EpochTrainer, TrainingDiverged, cpu_copy

FINAL_SHARE = 0.75  # final_anneal acts on the checks after this share of the planned epochs
# A check must lower the validation loss by this much (nats: 0.2 % of the perplexity) to
# count as progress; a smaller gain still keeps the weights, but counts towards annealing
# and patience, so a run at a tiny annealed rate ends on its curve rather than crawling on.
MIN_GAIN = 0.002
ANNEAL = 4.0


@dataclass
class CheckRecord(Record):
    """One validation check: the figures since the previous one."""

    epoch: int
    batches: int  # done in this epoch when checked
    end_of_epoch: bool
    at_epoch: float  # where in training, in epochs (1.25: a quarter into the second)
    train_ppl: float
    valid_ppl: float
    lr: float
    tokens_per_s: float
    seconds: float
    best: bool
    averaged: bool = False  # NT-ASGD: scored with the averaged weights


def _ppl(loss: float) -> float:
    return math.exp(loss) if loss < 700 else math.inf


class WeightAverage:
    """The running mean of the weights since NT-ASGD switched to averaging."""

    def __init__(self, model: nn.Module, state: dict[str, Any] | None = None) -> None:
        params = dict(model.named_parameters())
        if state is None:
            self.count = 1
            self.mean = {name: p.detach().clone() for name, p in params.items()}
        else:
            self.count = int(state["count"])
            self.mean = {name: state["mean"][name].to(p.device) for name, p in params.items()}

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        self.count += 1
        for name, p in model.named_parameters():
            self.mean[name].lerp_(p.detach(), 1.0 / self.count)

    @contextmanager
    def applied(self, model: nn.Module) -> Iterator[None]:
        """The model holds the averaged weights inside the block, its own ones after."""
        params = dict(model.named_parameters())
        own = {name: p.detach().clone() for name, p in params.items()}
        with torch.no_grad():
            for name, p in params.items():
                p.copy_(self.mean[name])
        try:
            yield
        finally:
            with torch.no_grad():
                for name, p in params.items():
                    p.copy_(own[name])

    def state_dict(self) -> dict[str, Any]:
        return {"count": self.count, "mean": cpu_copy(self.mean)}


class Trainer(EpochTrainer):
    """The training loop of a neural LM: truncated BPTT, validation checks, learning-rate annealing, best weights kept (see the module docstring)."""

    def __init__(self, model: Network, train: TokenStream, valid: TokenStream, config: TrainConfig,
                 device: torch.device, dist: Distributed | None = None) -> None:
        self.model = model
        self.config = config
        self.device = device
        self.dist = dist or Distributed()
        columns = self.dist.columns(config.batch_size)
        self.local_batch = columns.stop - columns.start
        self.train_data = batchify(train.ids, config.batch_size)[:, columns].contiguous().to(device)
        self.valid = valid
        self.net = self._wrap(model)
        self.optimizer = self._make_optimizer()
        self.scaler = grad_scaler(device, config.precision)
        self.average: WeightAverage | None = None
        self.epoch = 1  # the epoch in progress
        self.position = 0  # next row of train_data in this epoch
        self.hidden = model.init_hidden(self.local_batch)
        self.history: list[dict[str, Any]] = []
        self.valid_losses: list[float] = []
        self.best_valid_loss = math.inf
        self.best_state: dict[str, torch.Tensor] | None = None
        self.bad_checks = 0
        self._stop_agreed = False  # under torchrun: some rank asked, all stop after this step
        self._batches = 0  # in the epoch in progress
        # since the last check, so an interrupted run resumes with its figures
        self._loss_sum = 0.0
        self._window_batches = 0
        self.tokens = 0
        self.seconds = 0.0

    def _wrap(self, model: nn.Module) -> nn.Module:
        if not self.dist.enabled:
            return model
        from torch.nn.parallel import DistributedDataParallel

        ids = [self.device.index] if self.device.type == "cuda" else None
        # the model's buffers are constants: nothing to send at each step
        if "forward_sync_buffers" in inspect.signature(DistributedDataParallel.__init__).parameters:
            return DistributedDataParallel(model, device_ids=ids, forward_sync_buffers=False)
        return DistributedDataParallel(model, device_ids=ids, broadcast_buffers=False)

    def _make_optimizer(self) -> torch.optim.Optimizer:
        params = self.model.parameters()
        lr, wd = self.config.learning_rate, self.config.weight_decay
        if self.config.optimizer == "adam":
            return torch.optim.Adam(params, lr=lr, weight_decay=wd)
        return torch.optim.SGD(params, lr=lr, weight_decay=wd)

    @property
    def batches_per_epoch(self) -> int:
        return math.ceil((len(self.train_data) - 1) / self.config.bptt)

    @property
    def batches_done(self) -> int:
        """Batches trained so far in the epoch in progress."""
        return self._batches

    @property
    def epoch_over(self) -> bool:
        return self.position >= len(self.train_data) - 1

    @property
    def epochs_done(self) -> int:
        return self.epoch - 1

    def train_step(self) -> float:
        """One BPTT window at the current position; returns its mean loss (over all ranks)."""
        self.net.train()
        x, y = get_batch(self.train_data, self.position, self.config.bptt)
        self.hidden = detach_hidden(self.hidden)
        self.optimizer.zero_grad(set_to_none=True)
        with autocast(self.device, self.config.precision):
            loss, self.hidden = self.net(x, self.hidden, y)
        self.scaler.scale(loss).backward()
        if self.config.clip:
            self.scaler.unscale_(self.optimizer)
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.config.clip)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        if self.average is not None:
            self.average.update(self.model)
        self.position += len(x)
        value = self._agree(loss)
        if not math.isfinite(value):
            raise TrainingDiverged(
                f"training diverged in epoch {self.epoch} (the loss became {value}); nothing of this run is "
                f"saved as the model: lower --lr (now {self.lr:g}) or --clip"
            )
        self._batches += 1
        self._loss_sum += value
        self._window_batches += 1
        self.tokens += y.numel() * self.dist.world
        return value

    def _agree(self, loss: torch.Tensor) -> float:
        """The mean loss over the ranks, and whether any rank was asked to stop."""
        if not self.dist.enabled:
            return loss.item()
        both = torch.stack([loss.detach().float(), torch.tensor(float(self.stop_requested), device=loss.device)])
        total, stops = self.dist.sum(both).tolist()
        self._stop_agreed = stops > 0
        return float(total) / self.dist.world

    @property
    def should_stop(self) -> bool:
        """A stop was asked for; under torchrun only once every rank knows it (after a step)."""
        return self._stop_agreed if self.dist.enabled else self.stop_requested

    def check_due(self) -> bool:
        """A mid-epoch check: every ``valid_every`` batches, but not just before the epoch's own."""
        every, left = self.config.valid_every, self.batches_per_epoch - self._batches
        return bool(every) and self._batches % every == 0 and 2 * left >= every and not self.should_stop

    def evaluate(self, stream: TokenStream) -> float:
        """Mean loss per token of ``stream`` (with the averaged weights under NT-ASGD)."""
        with self.average.applied(self.model) if self.average is not None else nullcontext():
            report = score_stream(self.model, stream, self.device, bptt=self.config.bptt,
                                  precision=self.config.precision, dist=self.dist).report
        return -report.logprob / report.tokens if report.tokens else math.inf

    def check(self, end_of_epoch: bool) -> CheckRecord:
        """Score the validation text, keep the best weights, adjust the schedule."""
        valid_loss = self.evaluate(self.valid)
        best = valid_loss < self.best_valid_loss
        gained = valid_loss < self.best_valid_loss - MIN_GAIN
        lr = self.lr
        averaged = self.average is not None
        if best:
            self.best_valid_loss = valid_loss
            with self.average.applied(self.model) if self.average is not None else nullcontext():
                self.best_state = cpu_copy(self.model.state_dict())
        if gained:
            self.bad_checks = 0
        elif self.config.optimizer == "nt-asgd" and self.average is None:
            if self._nonmonotone(valid_loss):
                self.average = WeightAverage(self.model)
        else:
            self.bad_checks += 1
            if self.config.patience is not None and self.bad_checks >= self.config.patience:
                self.stopped_early = True
        plateau = not gained and self.bad_checks % self.config.anneal_after == 0
        done = self.epoch - 1 + self._batches / max(self.batches_per_epoch, 1)  # epochs, fractional
        final_stretch = self.config.final_anneal and FINAL_SHARE * self.config.epochs < done < self.config.epochs
        if self.config.optimizer != "nt-asgd" and (plateau or final_stretch):
            for group in self.optimizer.param_groups:
                group["lr"] = group["lr"] / ANNEAL
        self.valid_losses.append(valid_loss)
        record = CheckRecord(
            epoch=self.epoch, batches=self._batches, end_of_epoch=end_of_epoch,
            at_epoch=round(self.epoch - 1 + self._batches / max(self.batches_per_epoch, 1), 4),
            train_ppl=_ppl(self._loss_sum / max(self._window_batches, 1)), valid_ppl=_ppl(valid_loss), lr=lr,
            tokens_per_s=self.tokens / self.seconds if self.seconds > 0 else 0.0, seconds=self.seconds,
            best=best, averaged=averaged,
        )
        self.history.append(record.to_dict())
        self._loss_sum, self._window_batches, self.tokens, self.seconds = 0.0, 0, 0, 0.0
        if end_of_epoch:
            self.epoch += 1
            self.position = 0
            self._batches = 0
            self.hidden = self.model.init_hidden(self.local_batch)
        return record

    def _nonmonotone(self, valid_loss: float) -> bool:
        """AWD-LSTM's trigger: worse than the best of all checks but the last ``nonmono``."""
        n = self.config.nonmono
        return len(self.valid_losses) > n and valid_loss > min(self.valid_losses[:-n])

    def best_model_state(self) -> dict[str, torch.Tensor]:
        """The weights with the best validation loss so far (current ones before any)."""
        if self.best_state is not None:
            return self.best_state
        return cpu_copy(self.model.state_dict())

    # -- resuming -------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """Everything to continue this run. Under torchrun every rank must call it (the
        hidden state of all batch columns is gathered); rank 0 saves it."""
        hidden = None
        if self.hidden is not None:
            hidden = [[self.dist.gather_columns(t.detach()).cpu() for t in layer] for layer in self.hidden]
        return {
            "train_config": asdict(self.config),
            "optimizer": self.optimizer.state_dict(),
            "scaler": self.scaler.state_dict(),
            "epoch": self.epoch,
            "position": self.position,
            "batches": self._batches,
            "hidden": hidden,
            "history": copy.deepcopy(self.history),
            "valid_losses": list(self.valid_losses),
            "best_valid_loss": self.best_valid_loss,
            "best_model": self.best_state,
            "bad_epochs": self.bad_checks,
            "stopped_early": self.stopped_early,
            "average": self.average.state_dict() if self.average is not None else None,
            "partial_epoch": [self._loss_sum, self._window_batches, self.tokens, self.seconds],
            "rng": torch.get_rng_state(),
        }

    def load_state_dict(self, state: dict[str, Any], *, keep_lr: bool = True) -> None:
        self.optimizer.load_state_dict(state["optimizer"])
        if not keep_lr:
            for group in self.optimizer.param_groups:
                group["lr"] = self.config.learning_rate
        if state.get("scaler"):
            self.scaler.load_state_dict(state["scaler"])
        self.epoch = int(state["epoch"])
        self.position = int(state["position"])
        self._batches = int(state.get("batches", 0))
        self._restore_hidden(state.get("hidden"))
        self.history = list(state["history"])
        self.valid_losses = [float(v) for v in state.get("valid_losses", [math.log(h["valid_ppl"]) for h in self.history])]
        self.best_valid_loss = float(state["best_valid_loss"])
        self.best_state = state["best_model"]
        self.bad_checks = int(state["bad_epochs"])
        self.stopped_early = False  # --resume after early stopping means: go on
        if state.get("average") is not None:
            self.average = WeightAverage(self.model, state["average"])
        loss_sum, batches, tokens, seconds = state["partial_epoch"]
        self._loss_sum, self._window_batches, self.tokens, self.seconds = float(loss_sum), int(batches), int(tokens), float(seconds)
        if self.dist.is_main:
            torch.set_rng_state(state["rng"])

    def _restore_hidden(self, saved: list[Any] | None) -> None:
        fresh = self.model.init_hidden(self.local_batch)
        columns = self.dist.columns(self.config.batch_size)
        fits = (saved is not None and fresh is not None and len(saved) == len(fresh)
                and all(isinstance(s, (list, tuple)) and len(s) == len(f) and s[0].shape[1] == self.config.batch_size and s[0].shape[2] == f[0].shape[2]
                        for s, f in zip(saved, fresh))
                and self.position < len(self.train_data) - 1)
        if fits:
            self.hidden = [tuple(t[:, columns].to(self.device) for t in layer) for layer in saved]  # type: ignore[union-attr]
        else:
            # --batch-size changed, or the text is shorter now: restart the epoch's state
            self.position = 0 if self.position >= len(self.train_data) - 1 else self.position
            self.hidden = fresh
