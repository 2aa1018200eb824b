"""What the torch trainer (``train``) and the linear ones (``linear_train``) share without
importing each other: the figures of an epoch."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class EpochRecord:
    """Figures of one epoch (``fold`` is set in cross-validation)."""

    epoch: int
    train_loss: float
    train_accuracy: float
    valid_loss: float
    valid_accuracy: float
    seconds: float
    examples_per_s: float
    best: bool
    fold: int | None = None

    @classmethod
    def timed(cls, epoch: int, train: tuple[float, float], valid: tuple[float, float], seconds: float, examples: float,
              best: bool, fold: int | None = None) -> EpochRecord:
        """The record of an epoch that saw ``examples`` in ``seconds``: (loss, accuracy) on
        the training and validation texts, the time to the millisecond, the rate (0 when
        too quick to time)."""
        return cls(epoch, *train, *valid, round(seconds, 3), examples / seconds if seconds > 0 else 0.0, best, fold)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        if self.fold is None:
            d.pop("fold")
        return d
