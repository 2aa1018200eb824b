"""LMConfig: the hyper-parameters that rebuild a neural language model.

Saved in every checkpoint and in meta.json, so ``build_model(LMConfig(**saved))`` gives
back the network the weights belong to. Kept free of torch so option lists stay cheap.

The regularisers are those of AWD-LSTM (Merity, Keskar & Socher 2017, "Regularizing and
Optimizing LSTM Language Models"): ``dropout_embedding`` drops whole words from the
embedding matrix, ``dropout_input`` / ``dropout_between`` / ``dropout`` are locked
(variational) dropout on the embeddings, between recurrent layers and on the last
layer's output, and ``weight_drop`` is DropConnect on the hidden-to-hidden matrices.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from wordseq.config_checks import Config, count, within
from wordseq.errors import OptionError

RNN_CELLS = ("rnn", "lstm", "gru")
CELLS = (*RNN_CELLS, "transformer")
SOFTMAXES = ("full", "adaptive")
DEVICES = ("auto", "cpu", "cuda")
PRECISIONS = ("fp32", "bf16", "fp16")
OPTIMIZERS = ("sgd", "adam", "nt-asgd")
DEFAULT_CONTEXT = 35  # a transformer's window when none is given: the default --bptt


def default_cutoffs(vocab_size: int) -> tuple[int, ...]:
    """Cluster boundaries of the adaptive softmax (Grave et al. 2017) for a vocabulary:
    the 2,000 most frequent ids in the head, then bands that grow 5× (10,000, 50,000 ...),
    each holding at least 1,000 ids."""
    cutoffs: list[int] = []
    edge = 2000
    while edge + 1000 <= vocab_size:
        cutoffs.append(edge)
        edge *= 5
    return tuple(cutoffs)


@dataclass(frozen=True)
class LMConfig(Config):
    """The hyper-parameters that rebuild a neural language model (meta.json ``config``).

    Parameters
    ----------
    vocab_size
        Rows of the embedding and output layers (specials included).
    cell, layers, emb, hidden
        ``lstm``, ``gru``, ``rnn`` or ``transformer``; stacked layers; embedding size;
        recurrent state size (a transformer block's feed-forward size).
    dropout, dropout_input, dropout_between, dropout_embedding, weight_drop
        AWD-LSTM's regularisers (see the module docstring); None for ``dropout_input`` or
        ``dropout_between``: as ``dropout``.
    tie
        Share the embedding matrix with the output layer.
    heads, context
        Transformer: attention heads; positions attended over (0: 35).
    softmax, cutoffs
        ``full`` or ``adaptive``; the adaptive softmax's cluster boundaries (empty: chosen
        for ``vocab_size``).
    """

    vocab_size: int
    cell: str = "lstm"
    layers: int = 2
    emb: int = 200
    hidden: int = 200  # recurrent state size; the feed-forward size of a transformer block
    dropout: float = 0.2  # on the last layer's output (locked for recurrent cells)
    tie: bool = False
    dropout_input: float | None = None  # on the embeddings; None: as dropout
    dropout_between: float | None = None  # between layers; None: as dropout
    dropout_embedding: float = 0.0  # whole words of the embedding matrix
    weight_drop: float = 0.0  # DropConnect on hidden-to-hidden weights (recurrent cells)
    heads: int = 2  # attention heads (transformer)
    context: int = 0  # positions a transformer attends over: its training --bptt (0: 35)
    softmax: str = "full"
    cutoffs: tuple[int, ...] = field(default=())  # adaptive softmax cluster boundaries

    def __post_init__(self) -> None:
        if self.cell not in CELLS:
            raise OptionError("--cell", f"choose one of {', '.join(CELLS)}, got {self.cell!r}")
        count("--layers", self.layers, 1, 100)
        count("--emb", self.emb, 1, 100_000)
        count("--hidden", self.hidden, 1, 100_000)
        count("vocab_size", self.vocab_size, 5)
        within("--dropout", self.dropout, 0.0, 1.0, high_open=True)
        # None means "as --dropout"; frozen, so the resolved value is set once here
        for name in ("dropout_input", "dropout_between"):
            if getattr(self, name) is None:
                object.__setattr__(self, name, self.dropout)
        within("--dropout-input", self.dropout_input, 0.0, 1.0, high_open=True)  # type: ignore[arg-type]
        within("--dropout-between", self.dropout_between, 0.0, 1.0, high_open=True)  # type: ignore[arg-type]
        within("--dropout-embedding", self.dropout_embedding, 0.0, 1.0, high_open=True)
        within("--weight-drop", self.weight_drop, 0.0, 1.0, high_open=True)
        if self.weight_drop and self.cell == "transformer":
            raise OptionError("--weight-drop", "applies to recurrent cells (rnn, lstm, gru), not to the transformer")
        if self.tie and self.cell != "transformer" and self.layers == 1 and self.emb != self.hidden:
            raise OptionError(
                "--tie",
                f"shares the embedding with the output layer, so with one layer --emb ({self.emb}) must equal "
                f"--hidden ({self.hidden}); make them equal, use --layers 2 or more, or use --no-tie",
            )
        if self.cell == "transformer":
            count("--heads", self.heads, 1, 1024)
            if self.emb % self.heads:
                raise OptionError("--heads", f"must divide --emb ({self.emb}), got {self.heads}")
            if self.context == 0:
                object.__setattr__(self, "context", DEFAULT_CONTEXT)
            count("context", self.context, 1, 1_000_000)
        if self.softmax not in SOFTMAXES:
            raise OptionError("--softmax", f"choose one of {', '.join(SOFTMAXES)}, got {self.softmax!r}")
        object.__setattr__(self, "cutoffs", tuple(int(c) for c in self.cutoffs))
        if self.softmax == "adaptive":
            if not self.cutoffs:
                object.__setattr__(self, "cutoffs", default_cutoffs(self.vocab_size))
            if not self.cutoffs:
                raise OptionError("--softmax", f"adaptive needs a vocabulary of at least 3,000 (this one has {self.vocab_size:,}); use --softmax full")
            edges = [5, *self.cutoffs, self.vocab_size]
            if any(b <= a for a, b in zip(edges, edges[1:])):
                raise OptionError("cutoffs", f"must rise strictly between 5 and the vocabulary size {self.vocab_size}, got {list(self.cutoffs)}")
        elif self.cutoffs:
            object.__setattr__(self, "cutoffs", ())

    @property
    def output_dim(self) -> int:
        """Size of the vectors the output layer reads: tied models end in --emb."""
        if self.cell == "transformer":
            return self.emb
        return self.emb if self.tie else self.hidden

    def layer_sizes(self) -> list[tuple[int, int]]:
        """(input, output) size of each recurrent layer: with --tie the last one ends in
        --emb, so --hidden may differ from it (as in AWD-LSTM)."""
        sizes = []
        for i in range(self.layers):
            n_in = self.emb if i == 0 else self.hidden
            n_out = self.output_dim if i == self.layers - 1 else self.hidden
            sizes.append((n_in, n_out))
        return sizes

    def describe(self) -> str:
        tie = ", tied" if self.tie else ""
        soft = ", adaptive softmax" if self.softmax == "adaptive" else ""
        if self.cell == "transformer":
            return f"{self.layers}-layer transformer d={self.emb} ff={self.hidden} heads={self.heads}{tie}{soft}"
        sizes = f"{self.emb}/{self.hidden}" if self.output_dim == self.hidden else f"{self.emb}/{self.hidden}/{self.output_dim}"
        return f"{self.layers}-layer {self.cell.upper()} {sizes}{tie}{soft}"

    def regularisers(self) -> dict[str, float]:
        return {"dropout": self.dropout, "dropout_input": float(self.dropout_input or 0.0),
                "dropout_between": float(self.dropout_between or 0.0),
                "dropout_embedding": self.dropout_embedding, "weight_drop": self.weight_drop}
