"""LMConfig: the hyper-parameters that rebuild a neural language model; TrainConfig: how it
is trained.

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
from typing import Any

from wordseq.config_checks import DEFAULT_SEED, Config, at_least, count, one_of, within
from wordseq.errors import OptionError

RNN_CELLS = ("rnn", "lstm", "gru")
CELLS = (*RNN_CELLS, "transformer")
SOFTMAXES = ("full", "adaptive")
PRECISIONS = ("fp32", "bf16", "fp16")
OPTIMIZERS = ("sgd", "adam", "nt-asgd")
DEFAULT_LR = {"sgd": 20.0, "adam": 1e-3, "nt-asgd": 20.0}
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


def check_network_options(given: dict[str, Any]) -> None:
    """Check the network options in ``given``, each alone and against the others given.

    ``LMConfig`` checks all of its fields; ``train_lm`` checks those a caller gave before
    the corpus is read (the rest are chosen by its size, and checked once chosen)."""
    def has(*names: str) -> bool:
        return all(given.get(name) is not None for name in names)

    transformer = given.get("cell") == "transformer"
    if has("cell"):
        one_of("--cell", given["cell"], CELLS)
    for name, low, high in (("layers", 1, 100), ("emb", 1, 100_000), ("hidden", 1, 100_000), ("vocab_size", 5, None)):
        if has(name) and not (name == "vocab_size" and given[name] == 0):  # 0: set from the corpus later
            count(name if name == "vocab_size" else "--" + name, given[name], low, high)
    for name in ("dropout", "dropout_input", "dropout_between", "dropout_embedding", "weight_drop"):
        if has(name):
            within("--" + name.replace("_", "-"), given[name], 0.0, 1.0, high_open=True)
    if has("weight_drop") and given["weight_drop"] and transformer:
        raise OptionError("--weight-drop", "applies to recurrent cells (rnn, lstm, gru), not to the transformer")
    if has("tie", "layers", "emb", "hidden") and given["tie"] and not transformer and given["layers"] == 1 \
            and given["emb"] != given["hidden"]:
        raise OptionError(
            "--tie",
            f"shares the embedding with the output layer, so with one layer --emb ({given['emb']}) must equal "
            f"--hidden ({given['hidden']}); make them equal, use --layers 2 or more, or use --no-tie",
        )
    if transformer and has("heads"):
        count("--heads", given["heads"], 1, 1024)
        if has("emb") and given["emb"] % given["heads"]:
            raise OptionError("--heads", f"must divide --emb ({given['emb']}), got {given['heads']}")
    if transformer and has("context"):
        count("context", given["context"], 1, 1_000_000)
    if has("softmax"):
        one_of("--softmax", given["softmax"], SOFTMAXES)


@dataclass(frozen=True)
class LMConfig(Config):
    """The hyper-parameters that rebuild a neural language model (meta.json ``config``).

    Parameters
    ----------
    vocab_size
        Rows of the embedding and output layers (specials included); 0 in a config given
        to ``train_lm``, which sets it from the corpus.
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

    vocab_size: int = 0  # 0: not known yet (train_lm sets it from the corpus)
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
        # None means "as --dropout"; frozen, so the resolved value is set once here
        for name in ("dropout_input", "dropout_between"):
            if getattr(self, name) is None:
                object.__setattr__(self, name, self.dropout)
        if self.cell == "transformer" and self.context == 0:
            object.__setattr__(self, "context", DEFAULT_CONTEXT)
        check_network_options({f: getattr(self, f) for f in self.__dataclass_fields__})
        object.__setattr__(self, "cutoffs", tuple(int(c) for c in self.cutoffs))
        if self.softmax == "adaptive":
            if self.vocab_size:  # (0: checked once the corpus sets it)
                self._check_cutoffs()
        elif self.cutoffs:
            object.__setattr__(self, "cutoffs", ())

    def _check_cutoffs(self) -> None:
        if not self.cutoffs:
            object.__setattr__(self, "cutoffs", default_cutoffs(self.vocab_size))
        if not self.cutoffs:
            raise OptionError("--softmax", f"adaptive needs a vocabulary of at least 3,000 (this one has {self.vocab_size:,}); use --softmax full")
        edges = [5, *self.cutoffs, self.vocab_size]
        if any(b <= a for a, b in zip(edges, edges[1:])):
            raise OptionError("cutoffs", f"must rise strictly between 5 and the vocabulary size {self.vocab_size}, got {list(self.cutoffs)}")

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


@dataclass(frozen=True)
class TrainConfig(Config):
    """How a neural language model is trained (meta.json ``config.train``), named as the options.

    Parameters
    ----------
    epochs, optimizer, lr
        Passes over the corpus; ``sgd``, ``adam`` or ``nt-asgd``; the learning rate (None:
        20 for SGD and NT-ASGD, 0.001 for Adam).
    clip, bptt, batch_size
        Gradient-norm clipping (0: off); the truncated-BPTT window; batch columns in all.
    patience, anneal_after, final_anneal
        Checks without improvement before stopping (None: never) and before the rate is
        divided by 4; divide it at every check of the run's last quarter.
    seed, precision, valid_every, nonmono, weight_decay
        The seed; ``fp32``, ``bf16`` or ``fp16``; batches between checks (0: each epoch's
        end); NT-ASGD's window; L2 weight decay.
    """

    epochs: int = 10
    optimizer: str = "sgd"
    lr: float | None = None  # None: 20 for SGD and NT-ASGD, 1e-3 for Adam
    clip: float = 0.25  # 0: no clipping
    bptt: int = 35
    batch_size: int = 20  # columns in all; under torchrun each rank trains its share
    patience: int | None = 3  # checks without improvement before stopping; None: never
    anneal_after: int = 1  # checks without improvement before the learning rate is divided by 4
    final_anneal: bool = False  # divide the learning rate by 4 at every check of the run's last quarter
    seed: int = DEFAULT_SEED
    precision: str = "fp32"
    valid_every: int = 0  # batches between validation checks; 0: at the end of each epoch
    nonmono: int = 5  # NT-ASGD: checks a new one is compared against before averaging
    weight_decay: float = 0.0

    def __post_init__(self) -> None:
        one_of("--optimizer", self.optimizer, OPTIMIZERS)
        one_of("--precision", self.precision, PRECISIONS)
        count("--epochs", self.epochs, 1, 100_000)
        count("--bptt", self.bptt, 1, 100_000)
        count("--batch-size", self.batch_size, 1, 1_000_000)
        count("--seed", self.seed, 0, 2**63 - 1)
        count("--valid-every", self.valid_every, 0)
        count("--nonmono", self.nonmono, 1, 10_000)
        count("--anneal-after", self.anneal_after, 1, 10_000)
        if self.lr is not None:
            within("--lr", self.lr, 0.0, 1e4, low_open=True)
        at_least("--clip", self.clip, 0.0)
        within("--weight-decay", self.weight_decay, 0.0, 1.0)
        if self.patience is not None:
            count("--patience", self.patience, 1)

    @property
    def learning_rate(self) -> float:
        return self.lr if self.lr is not None else DEFAULT_LR[self.optimizer]

    def to_dict(self) -> dict[str, Any]:
        """The fields, ``lr`` as the rate used (the optimizer's default when None)."""
        return {**super().to_dict(), "lr": self.learning_rate}
