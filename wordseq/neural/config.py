"""LMConfig: the hyper-parameters that rebuild an RNN language model.

Saved in every checkpoint and in meta.json, so ``RNNModel(LMConfig(**saved))`` gives back
the network the weights belong to.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from wordseq.errors import InputError

CELLS = ("rnn", "lstm", "gru")


@dataclass(frozen=True)
class LMConfig:
    vocab_size: int
    cell: str = "lstm"
    layers: int = 2
    emb: int = 200
    hidden: int = 200
    dropout: float = 0.2
    tie: bool = False

    def __post_init__(self) -> None:
        if self.cell not in CELLS:
            raise InputError(f"unknown cell {self.cell!r}; choose one of {', '.join(CELLS)}")
        if self.layers < 1:
            raise InputError("--layers must be at least 1")
        if self.emb < 1 or self.hidden < 1:
            raise InputError("--emb and --hidden must be at least 1")
        if not 0 <= self.dropout < 1:
            raise InputError("--dropout must be in [0, 1)")
        if self.tie and self.emb != self.hidden:
            raise InputError(
                f"--tie shares the embedding with the output layer, so --emb ({self.emb}) "
                f"must equal --hidden ({self.hidden}); make them equal or use --no-tie"
            )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "LMConfig":
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})

    def describe(self) -> str:
        tie = ", tied" if self.tie else ""
        return f"{self.layers}-layer {self.cell.upper()} {self.emb}/{self.hidden}{tie}"
