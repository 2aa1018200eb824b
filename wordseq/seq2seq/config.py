"""The settings of an encoder-decoder: what rebuilds the network, and how it is trained.

``Seq2SeqConfig`` (network and the two sides' tokenization) is stored in meta.json and,
with the two vocabulary files, rebuilds the model. ``Seq2SeqTrainConfig`` is how it was
trained (kept in meta.json's ``training`` and in ``resume.safetensors``). Both validate every value
once, here, with a message that names the option.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from wordseq.config_checks import DEFAULT_SEED, Config, at_least, count, one_of, within
from wordseq.errors import OptionError
from wordseq.text.preprocess import PreprocessConfig, stored_tokenizer
from wordseq.text.subword import SubwordTokenizer

ARCHS = ("rnn", "transformer")
ENCODERS = ("bilstm", "bigru", "lstm", "gru")
DECODERS = ("lstm", "gru")
ATTENTIONS = ("dot", "general", "additive", "none")
LEVELS = ("char", "word", "subword")
OPTIMIZERS = ("adam", "sgd")
LR_SCHEDULES = ("plateau", "cosine")
DEFAULT_LR = {"adam": 3e-3, "sgd": 1.0}
# The Transformer's position table: a source of at most this many tokens, a target of one
# fewer (the decoder reads <s> first)
TRANSFORMER_POSITIONS = 1024


@dataclass(frozen=True)
class Seq2SeqConfig(Config):
    """Network shape and the tokenization of each side.

    Parameters
    ----------
    arch
        ``rnn``: the recurrent encoder-decoder with attention described below;
        ``transformer``: the encoder-decoder Transformer (``seq2seq.transformer``), whose
        model size is ``hidden`` (``emb``, ``encoder``, ``decoder``, ``attention`` and
        ``input_feeding`` are the recurrent network's only).
    heads, ff
        The Transformer's attention heads (``hidden`` a multiple of it) and feed-forward
        size (0: 4 × ``hidden``).
    label_smoothing
        Share of the training target's probability spread over the other tokens (both
        archs; dev and test scores are never smoothed).
    source_level, target_level
        ``char``: every character is a token (a space becomes ``▁``); ``word``: tokens
        are separated by spaces; ``subword``: the units of ``subword``. Grapheme-to-phoneme
        is ``char`` → ``word``.
    subword
        The tokenizer of the side(s) at ``subword`` level (``wordseq.load("subword/NAME")``).
    lower
        Lowercase the source side (the target side is kept as written).
    encoder
        ``bilstm``, ``bigru`` (each direction gets ``hidden / 2`` units, so the encoder's
        outputs have ``hidden`` values like the decoder's states), ``lstm`` or ``gru``.
    encoder_layers, decoder_layers, emb, hidden, dropout
        Stacked recurrent layers, embedding and state sizes, dropout on embeddings,
        between layers and before the output layer.
    decoder
        ``lstm`` or ``gru``.
    attention
        Luong et al. (2015) scores: ``dot`` (hᵀs), ``general`` (hᵀWs); ``additive`` is
        Bahdanau et al.'s (2015) vᵀtanh(W₁h + W₂s); ``none`` decodes from the encoder's
        final state alone (Sutskever et al., 2014).
    input_feeding
        Feed the previous step's attentional vector into the next step (Luong et al.);
        only with attention. Off by default: the decoder then runs as one fused RNN call
        per batch in training (about 1.7x faster on CPU), and on CMUdict it was no worse
        (dev WER 33.4 % vs 36.4 % after 6 epochs, same settings otherwise).

    Examples
    --------
    >>> Seq2SeqConfig(attention="general", hidden=128).describe()
    'BILSTM 1×128 → LSTM 1×128, general attention'
    """

    source_level: str = "char"
    target_level: str = "word"
    lower: bool = True
    encoder: str = "bilstm"
    encoder_layers: int = 1
    decoder: str = "lstm"
    decoder_layers: int = 1
    emb: int = 64
    hidden: int = 256
    dropout: float = 0.2
    attention: str = "general"
    input_feeding: bool = False
    arch: str = "rnn"
    heads: int = 4
    ff: int = 0
    label_smoothing: float = 0.0
    subword: SubwordTokenizer | None = None

    def __post_init__(self) -> None:
        one_of("--arch", self.arch, ARCHS)
        count("--heads", self.heads, 1, 1_000)
        count("--ff", self.ff, 0, 1_000_000)
        within("--label-smoothing", self.label_smoothing, 0.0, 1.0, high_open=True)
        if self.arch == "transformer":
            if self.hidden % self.heads:
                raise OptionError("--hidden", f"must be a multiple of --heads ({self.heads}) with the transformer, "
                                              f"got {self.hidden}")
            object.__setattr__(self, "input_feeding", False)  # a recurrent decoder's option
        one_of("--source-level", self.source_level, LEVELS)
        one_of("--target-level", self.target_level, LEVELS)
        self._check_subword()
        one_of("--encoder", self.encoder, ENCODERS)
        one_of("--decoder", self.decoder, DECODERS)
        one_of("--attention", self.attention, ATTENTIONS)
        count("--encoder-layers", self.encoder_layers, 1, 100)
        count("--decoder-layers", self.decoder_layers, 1, 100)
        count("--emb", self.emb, 1, 100_000)
        count("--hidden", self.hidden, 2 if self.bidirectional else 1, 100_000)
        if self.bidirectional and self.hidden % 2:
            raise OptionError("--hidden", f"must be even with a bidirectional encoder (each direction gets half), "
                                          f"got {self.hidden}")
        within("--dropout", self.dropout, 0.0, 1.0, high_open=True)
        if self.attention == "none" and self.input_feeding:
            # input feeding passes on the attentional vector, which does not exist here
            object.__setattr__(self, "input_feeding", False)

    def _check_subword(self) -> None:
        at_subword = "subword" in (self.source_level, self.target_level)
        if at_subword and self.subword is None:
            raise OptionError("--subword", "a side at subword level needs --subword NAME (a model made by "
                                           "'wordseq subword train')")
        if self.subword is not None and not isinstance(self.subword, SubwordTokenizer):
            raise OptionError("--subword", f"expected a subword model, not {type(self.subword).__name__}")
        if self.subword is not None and not at_subword:
            raise OptionError("--subword", "needs --source-level subword or --target-level subword")

    def to_dict(self) -> dict[str, Any]:
        """The settings as meta.json stores them (the tokenizer as its digest)."""
        d = {k: v for k, v in super().to_dict().items() if k != "subword"}
        if self.subword is not None:  # absent otherwise: other models' meta.json as before
            d["subword"] = self.subword.describe()
        return d

    @classmethod
    def from_dict(cls, d: Any) -> Seq2SeqConfig:
        known = cls.known_fields(d)
        known["subword"] = stored_tokenizer(known.get("subword"))
        return cls(**known)

    @property
    def bidirectional(self) -> bool:
        """A recurrent encoder read both ways (the Transformer has none)."""
        return self.arch == "rnn" and self.encoder.startswith("bi")

    @property
    def max_source_tokens(self) -> int | None:
        """The longest source the network can read (None: no bound of its own)."""
        return TRANSFORMER_POSITIONS if self.arch == "transformer" else None

    @property
    def max_target_tokens(self) -> int | None:
        """The longest output (or training target) the network can write (None: no bound)."""
        return TRANSFORMER_POSITIONS - 1 if self.arch == "transformer" else None

    @property
    def encoder_cell(self) -> str:
        return self.encoder.removeprefix("bi")

    def source_preprocess(self) -> PreprocessConfig:
        """How source text becomes tokens (word level: split on spaces)."""
        return PreprocessConfig(lower=self.lower, level=self.source_level, pretokenized=self.source_level == "word",
                                subword=self.subword if self.source_level == "subword" else None)

    def target_preprocess(self) -> PreprocessConfig:
        """How target text becomes tokens: never lowercased (phoneme symbols keep their case)."""
        return PreprocessConfig(lower=False, level=self.target_level, pretokenized=self.target_level == "word",
                                subword=self.subword if self.target_level == "subword" else None)

    @property
    def ff_size(self) -> int:
        return self.ff or 4 * self.hidden

    def describe(self) -> str:
        if self.arch == "transformer":
            return (f"Transformer {self.encoder_layers}+{self.decoder_layers} layers × {self.hidden}, "
                    f"{self.heads} heads, ff {self.ff_size}")
        att = "no attention" if self.attention == "none" else f"{self.attention} attention"
        feed = ", input feeding" if self.input_feeding else ""
        return (f"{self.encoder.upper()} {self.encoder_layers}×{self.hidden} → {self.decoder.upper()} "
                f"{self.decoder_layers}×{self.hidden}, {att}{feed}")


@dataclass(frozen=True)
class Seq2SeqTrainConfig(Config):
    """How the network is trained.

    Parameters
    ----------
    epochs
        Total epochs (with ``resume``: including those already done).
    batch_size
        Pairs per batch; batches hold pairs of similar length.
    optimizer, lr
        ``adam`` (default lr 0.003) or ``sgd`` (default lr 1.0).
    lr_schedule
        ``cosine`` (default): the learning rate falls from ``lr`` to 0 along a half cosine
        over all the batches of ``epochs`` (Loshchilov & Hutter 2017, without restarts),
        the best use of a fixed budget of epochs (CMUdict dev WER 30.6 % after 6 of 8
        epochs from 0.003, against 33.4 % at a constant 0.002); ``plateau``: it is
        halved after an epoch without a better dev score.
    clip
        Gradient-norm clipping (0: off).
    teacher_forcing
        Probability of feeding the gold previous token while training; otherwise the
        model's own best guess is fed (1: always gold).
    patience
        Stop after this many epochs without a better dev score (0: never).
    seed
        Seeds weights, batch order, dropout and teacher-forcing draws.
    min_count
        Source tokens seen fewer times in training become ``<unk>``.
    dev_percent
        Without a dev file, this share of the training sources (chosen by a hash of the
        source, so all pairs of one source stay together) is held out.
    """

    epochs: int = 15
    batch_size: int = 64
    optimizer: str = "adam"
    lr: float | None = None
    lr_schedule: str = "cosine"
    clip: float = 5.0
    teacher_forcing: float = 1.0
    patience: int = 3
    seed: int = DEFAULT_SEED
    min_count: int = 1
    dev_percent: float = 5.0

    def __post_init__(self) -> None:
        count("--epochs", self.epochs, 1, 100_000)
        count("--batch-size", self.batch_size, 1, 1_000_000)
        count("--patience", self.patience, 0, 100_000)
        count("--min-count", self.min_count, 1)
        count("--seed", self.seed, 0, 2**63 - 1)
        one_of("--optimizer", self.optimizer, OPTIMIZERS)
        one_of("--lr-schedule", self.lr_schedule, LR_SCHEDULES)
        if self.lr is not None:
            within("--lr", self.lr, 0.0, 1e4, low_open=True)
        at_least("--clip", self.clip, 0.0)
        within("--teacher-forcing", self.teacher_forcing, 0.0, 1.0)
        within("--dev-percent", self.dev_percent, 0.0, 100.0, low_open=True, high_open=True)

    @property
    def learning_rate(self) -> float:
        return self.lr if self.lr is not None else DEFAULT_LR[self.optimizer]

    def to_dict(self) -> dict[str, Any]:
        """The fields, ``lr`` as the rate used (the optimizer's default when None)."""
        return {**super().to_dict(), "lr": self.learning_rate}


def split_options(options: dict[str, Any], model: Seq2SeqConfig | None = None,
                  training: Seq2SeqTrainConfig | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Keyword options → (Seq2SeqConfig fields, Seq2SeqTrainConfig fields), on top of the
    fields of ``model`` and ``training`` when given (every field of a config is given).

    An option that belongs to neither is a TypeError naming it (as an unexpected keyword
    argument would be), so a typo in a Python call does not pass unnoticed.
    """
    model_keys = {f.name for f in fields(Seq2SeqConfig)}
    train_keys = {f.name for f in fields(Seq2SeqTrainConfig)}
    unknown = sorted(set(options) - model_keys - train_keys)
    if unknown:
        raise TypeError(f"unknown option(s) for train_seq2seq: {', '.join(unknown)}")
    model_given = {**(asdict(model) if model else {}), **{k: v for k, v in options.items() if k in model_keys}}
    train_given = {**(asdict(training) if training else {}), **{k: v for k, v in options.items() if k in train_keys}}
    return model_given, train_given


@dataclass(frozen=True)
class SearchSettings(Config):
    """How outputs are searched for.

    Parameters
    ----------
    beam
        1: greedy search; K > 1: beam search with K beams.
    num
        Outputs per source (the best ``num`` beams; at most ``beam``).
    max_tokens
        Output length limit; None: twice the source length plus 10.
    length_penalty
        Beam scores are log-prob / length ** P (0: raw log-prob).
    batch_size
        Sources decoded together.
    """

    beam: int = 1
    num: int = 1
    max_tokens: int | None = None
    length_penalty: float = 1.0
    batch_size: int = 64

    def __post_init__(self) -> None:
        # beam × batch rows are decoded together: the bounds keep that within memory
        count("--beam", self.beam, 1, 1_000)
        count("--num", self.num, 1, 1_000)
        count("--batch-size", self.batch_size, 1, 100_000)
        if self.max_tokens is not None:
            count("--max-tokens", self.max_tokens, 1, 100_000)
        # the beam's early stop assumes a live beam's score can only fall as it grows
        at_least("--length-penalty", self.length_penalty, 0.0)
