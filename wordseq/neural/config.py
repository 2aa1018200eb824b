"""LMConfig: the hyper-parameters that rebuild an RNN language model.

Saved in every checkpoint and in meta.json, so ``RNNModel(LMConfig(**saved))`` gives back
the network the weights belong to.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from wordseq.config_checks import count, within
from wordseq.errors import OptionError

CELLS = ("rnn", "lstm", "gru")
DEVICES = ("auto", "cpu", "cuda")


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
            raise OptionError("--cell", f"choose one of {', '.join(CELLS)}, got {self.cell!r}")
        count("--layers", self.layers, 1, 100)
        count("--emb", self.emb, 1, 100_000)
        count("--hidden", self.hidden, 1, 100_000)
        within("--dropout", self.dropout, 0.0, 1.0, high_open=True)
        if self.tie and self.emb != self.hidden:
            raise OptionError(
                "--tie",
                f"shares the embedding with the output layer, so --emb ({self.emb}) must equal --hidden "
                f"({self.hidden}); make them equal or use --no-tie",
            )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "LMConfig":
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})

    def describe(self) -> str:
        tie = ", tied" if self.tie else ""
        return f"{self.layers}-layer {self.cell.upper()} {self.emb}/{self.hidden}{tie}"
