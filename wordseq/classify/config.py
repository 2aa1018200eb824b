"""The two configs of a text classifier: the network (``ClassifierConfig``) and how it is
trained (``TrainingConfig``). Both are validated once here, stored in meta.json, and
``ClassifierConfig`` alone rebuilds the network the saved weights belong to.
"""

from __future__ import annotations

import warnings
from dataclasses import InitVar, dataclass
from typing import Any

from wordseq.config_checks import DEFAULT_SEED, Config, count, one_of, within
from wordseq.errors import ModelError, OptionError, WordseqDeprecation

# bi*: one RNN reading left to right and one right to left, their outputs side by side.
ENCODERS = ("bilstm", "bigru", "lstm", "gru", "rnn", "bow", "nbsvm", "fasttext")
# linear models on word and bigram features (``linear.py``): no pooling choice, no RNN
LINEAR = ("nbsvm", "fasttext")
POOLS = ("max", "mean", "last", "attention")
# What each encoder pools with when --pool is not given: max over time is the strongest
# for RNN encoders on sentence tasks (Conneau et al. 2017); fastText averages.
DEFAULT_POOL = {"bow": "mean"}
# Adam's step size when --lr is not given (tuned by 10-fold CV on MR, benchmarks/bench_classify.py)
DEFAULT_LR = {"bow": 2e-3, "rnn": 1e-3, "fasttext": 0.5}
# Bigrams seen fewer times are left out unless --bigram-min-count says otherwise: NBSVM
# keeps them all, as Wang & Manning
BIGRAM_MIN_COUNT = {"nbsvm": 1}
# Sizes past these are typing mistakes, not models that fit in memory.
MAX_SIZE = 100_000
MAX_LAYERS = 100


@dataclass(frozen=True)
class EncoderOptions(Config):
    """The network's shape as a user chooses it, before the data is read.

    Parameters
    ----------
    encoder : str
        ``bilstm`` (default), ``bigru``, ``lstm``, ``gru``, ``rnn`` (tanh), ``bow``
        (averaged word and bigram embeddings, fastText-style, through the RNNs' trainer),
        ``nbsvm`` (Naive-Bayes-scaled logistic regression on binarized words and
        bigrams, Wang & Manning 2012) or ``fasttext`` (averaged word and hashed-bigram
        embeddings, one linear layer, SGD; Joulin et al. 2016).
    pool : str or None
        How the per-token states become one vector: ``max``, ``mean``, ``last`` (the
        final state of each direction) or ``attention``. None: ``max`` for RNN
        encoders, ``mean`` for ``bow``.
    emb : int or None
        Embedding size. None: 100, or the size of the ``--init-embeddings`` vectors.
    hidden : int
        RNN state size per direction.
    layers : int
        Stacked RNN layers.
    dropout : float
        Dropout on embeddings and on the pooled vector, in [0, 1).
    bigrams : bool
        ``bow``, ``nbsvm``, ``fasttext``: word pairs as features too.
    multi_label : bool
        One sigmoid per label (a text may have several, or none above 0.5) instead of
        a softmax choosing one.
    """

    encoder: str = "bilstm"
    pool: str | None = None
    emb: int | None = None
    hidden: int = 64
    layers: int = 1
    dropout: float = 0.5
    bigrams: bool = True
    multi_label: bool = False

    def __post_init__(self) -> None:
        one_of("--encoder", self.encoder, ENCODERS)
        if self.encoder in LINEAR and self.pool is not None:
            raise OptionError("--pool", f"{self.encoder} is a linear model of its words and bigrams: it has no pooling to choose")
        if self.encoder == "nbsvm" and self.emb is not None:
            raise OptionError("--emb", "nbsvm has no embeddings: leave --emb out")
        if self.encoder in LINEAR:
            # what the features do: nbsvm counts each once (max), fasttext averages
            object.__setattr__(self, "pool", "max" if self.encoder == "nbsvm" else "mean")
        if self.pool is None:
            object.__setattr__(self, "pool", DEFAULT_POOL.get(self.encoder, "max"))
        one_of("--pool", self.pool, POOLS)
        if self.encoder == "bow" and self.pool == "last":
            raise OptionError("--pool", "'last' needs an RNN encoder: bow has no last state; use mean, max or attention")
        if self.emb is not None:
            count("--emb", self.emb, 1, MAX_SIZE)
        count("--hidden", self.hidden, 1, MAX_SIZE)
        count("--layers", self.layers, 1, MAX_LAYERS)
        within("--dropout", self.dropout, 0.0, 1.0, high_open=True)


@dataclass(frozen=True)
class ClassifierConfig(Config):
    """Everything that rebuilds a classifier network (stored in meta.json's ``config``).

    Parameters
    ----------
    labels : tuple of str
        Class names, in the order of the network's outputs.
    vocab_size : int
        Rows of the word embedding table (specials included).
    encoder, pool, hidden, layers, dropout
        As in ``EncoderOptions``.
    emb : int
        Embedding size.
    bigram_vocab_size : int
        Rows of the bigram table (``bow`` with bigrams; otherwise 0).
    multi_label : bool
        One sigmoid per label instead of a softmax.
    """

    labels: tuple[str, ...]
    vocab_size: int
    encoder: str = "bilstm"
    pool: str | None = None
    emb: int = 100
    hidden: int = 64
    layers: int = 1
    dropout: float = 0.5
    bigram_vocab_size: int = 0
    multi_label: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels", tuple(self.labels))
        if self.encoder in LINEAR:
            raise ModelError(f"{self.encoder} is a linear model: its config is a LinearConfig")
        options = EncoderOptions(self.encoder, self.pool, self.emb, self.hidden, self.layers, self.dropout)
        object.__setattr__(self, "pool", options.pool)
        # the rest comes from the data, not from options: a bad value means a damaged model
        if not isinstance(self.emb, int) or self.emb < 1:
            raise ModelError(f"the embedding size must be at least 1, got {self.emb!r}")
        if len(self.labels) < 2 or len(set(self.labels)) != len(self.labels):
            raise ModelError(f"a classifier needs two or more distinct classes, got {list(self.labels)}")
        if not isinstance(self.vocab_size, int) or self.vocab_size < 1:
            raise ModelError(f"the vocabulary size must be at least 1, got {self.vocab_size!r}")
        if not isinstance(self.bigram_vocab_size, int) or self.bigram_vocab_size < 0:
            raise ModelError(f"the bigram vocabulary size cannot be negative, got {self.bigram_vocab_size!r}")
        if self.bigram_vocab_size and self.encoder != "bow":
            raise ModelError("bigram embeddings belong to the bow encoder only")

    def to_dict(self) -> dict[str, Any]:
        """As stored in meta.json; ``multi_label`` only when set, so a softmax model's
        meta.json is what it was before the option existed."""
        d = super().to_dict()
        if not self.multi_label:
            d.pop("multi_label")
        return d

    @property
    def bidirectional(self) -> bool:
        return self.encoder.startswith("bi")

    @property
    def cell(self) -> str | None:
        """The recurrent cell (``lstm``, ``gru``, ``rnn``), or None for ``bow``."""
        return None if self.encoder == "bow" else self.encoder.removeprefix("bi")

    def describe(self) -> str:
        if self.encoder == "bow":
            grams = " + bigrams" if self.bigram_vocab_size else ""
            return f"bow {self.emb}d words{grams}, {self.pool} pooling"
        layers = f"{self.layers}-layer " if self.layers > 1 else ""
        return f"{layers}{self.encoder.upper()} {self.emb}/{self.hidden}, {self.pool} pooling"


@dataclass(frozen=True)
class TrainingConfig(Config):
    """How a classifier is trained (stored in meta.json under ``training``).

    Parameters
    ----------
    epochs : int
        Most passes over the training examples.
    batch_size : int
        Examples per step (batches hold examples of similar length).
    lr : float or None
        Adam's learning rate. None: ``DEFAULT_LR`` of the encoder (a bag of words takes
        larger steps than an RNN).
    patience : int
        Stop after this many epochs without a better validation accuracy (0: never).
    valid_percent : float
        Percentage of the training examples held out (per class) for early stopping, in
        (0, 100), as seq2seq's ``dev_percent``. (``valid_fraction``, a share in (0, 1),
        is its deprecated spelling.)
    clip : float
        Gradient-norm clipping (0: off).
    min_count : int
        Words seen fewer times in training become ``<unk>``.
    max_size : int or None
        Keep at most this many words.
    bigram_min_count : int or None
        ``bow``, ``nbsvm``: bigrams seen fewer times in training are left out. None: 1
        for ``nbsvm`` (Wang & Manning keep them all), 2 otherwise.
    init_embeddings : str or None
        A wordseq embeddings model (NAME or PATH) to start the word embeddings from.
    freeze_embeddings : bool
        Keep the word embeddings fixed during training.
    vector_words : int
        With ``init_embeddings``: also give the vocabulary the N most frequent words of
        the vectors that training lacks, so words first met in new text still have
        their pre-trained meaning (0: training words only).
    seed : int
        Same seed, same model (on CPU).
    threads : int
        torch threads on CPU (0: torch's default, one per core). 1 by default: the
        networks are small, and on a busy machine torch with more threads than free
        cores runs ten times slower or worse; cross-validation uses processes instead.
    """

    epochs: int = 10
    batch_size: int = 32
    lr: float | None = None
    patience: int = 3
    valid_percent: float = 10.0
    clip: float = 5.0
    min_count: int = 1
    max_size: int | None = None
    bigram_min_count: int | None = None
    init_embeddings: str | None = None
    freeze_embeddings: bool = False
    vector_words: int = 100_000
    seed: int = DEFAULT_SEED
    threads: int = 1
    valid_fraction: InitVar[float | None] = None  # deprecated: valid_percent / 100

    # settings accepted besides the fields
    ALIASES = ("valid_fraction",)

    def __post_init__(self, valid_fraction: float | None) -> None:
        if valid_fraction is not None:
            within("--valid-fraction", valid_fraction, 0.0, 1.0, low_open=True, high_open=True)
            percent = round(valid_fraction * 100, 10)
            warnings.warn(f"--valid-fraction is deprecated: use --valid-percent {percent:g}", WordseqDeprecation,
                          stacklevel=3)
            object.__setattr__(self, "valid_percent", percent)
        count("--epochs", self.epochs, 1, 100_000)
        count("--batch-size", self.batch_size, 1, 1_000_000)
        count("--patience", self.patience, 0)
        count("--min-count", self.min_count, 1)
        if self.bigram_min_count is not None:
            count("--bigram-min-count", self.bigram_min_count, 1)
        count("--threads", self.threads, 0, 1024)
        count("--vector-words", self.vector_words, 0)
        if self.max_size is not None:
            count("--max-size", self.max_size, 1)
        if self.lr is not None:
            within("--lr", self.lr, 0.0, 10.0, low_open=True)
        within("--valid-percent", self.valid_percent, 0.0, 100.0, low_open=True, high_open=True)
        within("--clip", self.clip, 0.0, 1e6)
        if self.freeze_embeddings and not self.init_embeddings:
            raise OptionError("--freeze-embeddings", "keeps pre-trained vectors fixed: give --init-embeddings MODEL too")

    def bigram_floor(self, encoder: str) -> int:
        if self.bigram_min_count is not None:
            return self.bigram_min_count
        return BIGRAM_MIN_COUNT.get(encoder, 2)

    def learning_rate(self, encoder: str) -> float:
        return self.lr if self.lr is not None else DEFAULT_LR.get(encoder, DEFAULT_LR["rnn"])
