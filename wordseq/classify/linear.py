"""Linear text classifiers at prediction time: ``nbsvm`` and ``fasttext``.

Both score a text as a sum over its features (words and adjacent word pairs) of one
weight row per feature, plus a bias, so a token's share of a class's score is exact:

- ``nbsvm`` (Wang & Manning 2012): each distinct feature counts once (binarized
  counts); a row is the feature's Naive-Bayes log-count ratio times its interpolated SVM
  weight (``nbsvm.py`` trains it).
- ``fasttext`` (Joulin et al. 2016): the average of word and hashed-bigram embeddings
  through one linear layer; the average of ``E[f]`` then ``W`` is the average of the rows
  ``E[f] W^T``, computed once on loading (``fasttext.py`` trains it).

The model directory holds plain arrays (``.npy``, read through the store's checked
``open_npy``), ``vocab.tsv`` (and for ``nbsvm`` ``bigrams.tsv``) and meta.json: no pickle,
no torch. Softmax over the class scores, or with ``multi_label`` one sigmoid per label.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from wordseq.classify.labelling import (
    BIGRAMS_FILE,
    VOCAB_FILE,
    Explanation,
    Labeller,
    bigram_key,
    stored_config,
    stored_vocabularies,
)
from wordseq.config_checks import Config
from wordseq.errors import ModelError
from wordseq.text.preprocess import PreprocessConfig
from wordseq.vocab import SPECIALS, Vocabulary

LINEAR_ENCODERS = ("nbsvm", "fasttext")
WEIGHTS_FILE = "weights.npy"      # nbsvm: (features, classes)
EMBEDDINGS_FILE = "embeddings.npy"  # fasttext: (features, emb)
OUTPUT_FILE = "output.npy"        # fasttext: (classes, emb)
BIAS_FILE = "bias.npy"            # (classes,)
# fastText's multiplier for hashing a word-id sequence into a bucket
HASH_MULTIPLIER = 116_049_371


@dataclass(frozen=True)
class LinearConfig(Config):
    """Everything that rebuilds a linear classifier (meta.json's ``config``).

    Parameters
    ----------
    labels : tuple of str
        Class names, in the order of the score columns.
    encoder : str
        ``nbsvm`` or ``fasttext``.
    vocab_size : int
        Word rows (specials included; they carry no weight).
    bigram_rows : int
        ``nbsvm``: entries of the bigram vocabulary; ``fasttext``: hash buckets of word
        pairs (0: words only).
    emb : int
        ``fasttext``: embedding size (0 for ``nbsvm``).
    multi_label : bool
        One sigmoid per label instead of a softmax over them.
    """

    labels: tuple[str, ...]
    encoder: str
    vocab_size: int
    bigram_rows: int = 0
    emb: int = 0
    multi_label: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels", tuple(self.labels))
        if self.encoder not in LINEAR_ENCODERS:
            raise ModelError(f"a linear classifier is one of {', '.join(LINEAR_ENCODERS)}, got {self.encoder!r}")
        if len(self.labels) < 2 or len(set(self.labels)) != len(self.labels):
            raise ModelError(f"a classifier needs two or more distinct classes, got {list(self.labels)}")
        for name in ("vocab_size", "bigram_rows", "emb"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ModelError(f"{name} must be a count, got {value!r}")
        if self.vocab_size < len(SPECIALS) or (self.encoder == "fasttext") != (self.emb > 0):
            raise ModelError(f"the sizes of the {self.encoder} model do not fit together")

    @property
    def features(self) -> int:
        return self.vocab_size + self.bigram_rows

    @property
    def pooling(self) -> str:
        """``max``: each distinct feature once (nbsvm); ``mean``: the average (fasttext)."""
        return "max" if self.encoder == "nbsvm" else "mean"

    def describe(self) -> str:
        grams = f" + {'hashed ' if self.encoder == 'fasttext' else ''}bigrams" if self.bigram_rows else ""
        size = f" {self.emb}d" if self.emb else ""
        return f"{self.encoder}{size} words{grams}"


@dataclass
class FeatureSpace:
    """Word ids, then bigram ids: from a bigram vocabulary (nbsvm) or hashed word-id
    pairs (fasttext, ``buckets`` of them). Specials and unknown words are no feature."""

    vocab: Vocabulary
    bigram_vocab: Vocabulary | None = None
    buckets: int = 0

    @property
    def size(self) -> int:
        return len(self.vocab) + (len(self.bigram_vocab) if self.bigram_vocab is not None else self.buckets)

    def occurrences(self, tokens: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(feature ids, position of the first token, is a bigram) of one text's features."""
        _, ids, pos, is_gram = self.flat([tokens])
        return ids, pos, is_gram

    def flat(self, token_lists: Sequence[Sequence[str]]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Every feature occurrence of the texts: (text, feature id, position of its first
        token in the text, is a bigram), words first, then bigrams. One pass over all the
        tokens at once: a loop per text costs more than the features."""
        lengths = np.fromiter((len(t) for t in token_lists), dtype=np.int64, count=len(token_lists))
        tokens = [t for text in token_lists for t in text]
        text_of = np.repeat(np.arange(len(token_lists)), lengths)
        position = np.arange(len(tokens)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        get = self.vocab.stoi.get
        words = np.fromiter((get(t, 0) for t in tokens), dtype=np.int64, count=len(tokens))
        known = words >= len(SPECIALS)
        pairs = np.flatnonzero(text_of[:-1] == text_of[1:]) if len(tokens) > 1 else np.zeros(0, dtype=np.int64)
        grams = np.zeros(len(pairs), dtype=np.int64)
        ok = np.zeros(len(pairs), dtype=bool)
        if self.bigram_vocab is not None:
            gget = self.bigram_vocab.stoi.get
            grams = np.fromiter((gget(bigram_key(tokens[i], tokens[i + 1]), 0) for i in pairs), dtype=np.int64,
                                count=len(pairs))
            ok = grams >= len(SPECIALS)
        elif self.buckets:
            grams = (words[pairs] * HASH_MULTIPLIER + words[pairs + 1]) % self.buckets
            ok = known[pairs] & known[pairs + 1]
        at = pairs[ok]
        return (np.concatenate([text_of[known], text_of[at]]),
                np.concatenate([words[known], grams[ok] + len(self.vocab)]),
                np.concatenate([position[known], position[at]]),
                np.concatenate([np.zeros(int(known.sum()), dtype=bool), np.ones(len(at), dtype=bool)]))

    def bags(self, token_lists: Sequence[Sequence[str]]) -> tuple[np.ndarray, np.ndarray]:
        """The feature ids of every text, text after text, and where each text's begin
        (``len(token_lists) + 1`` offsets): fasttext's embedding bags."""
        rows, ids = self.flat(token_lists)[:2]
        order = np.argsort(rows, kind="stable")
        return ids[order], np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=len(token_lists)))])

    def matrix(self, token_lists: Sequence[Sequence[str]], pooling: str) -> Any:
        """Sparse (texts, features): 1 per distinct feature (``max``), or each feature's
        share of the text's features (``mean``)."""
        import scipy.sparse as sp

        rows, ids = self.flat(token_lists)[:2]
        keys, counts = np.unique(rows * self.size + ids, return_counts=True)
        rows, cols = np.divmod(keys, self.size)
        if pooling == "max":
            values = np.ones(len(keys))
        else:
            values = counts / np.bincount(rows, weights=counts, minlength=len(token_lists))[rows]
        return sp.csr_matrix((values, (rows, cols)), shape=(len(token_lists), self.size))


def softmax_or_sigmoid(scores: np.ndarray, multi_label: bool) -> np.ndarray:
    """Probabilities of class scores (texts, classes): a softmax over each row, or with
    ``multi_label`` one sigmoid per score."""
    if multi_label:
        return 1.0 / (1.0 + np.exp(-scores))
    shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


class LinearClassifier(Labeller):
    """A linear classifier with its features and preprocessing, ready to label raw text.

    ``weights`` (features, classes) and ``bias`` (classes,) score a text; a fasttext model
    also keeps its ``embeddings`` and ``output`` layer, which are what it saves.
    """

    def __init__(self, config: LinearConfig, features: FeatureSpace, weights: np.ndarray, bias: np.ndarray,
                 preprocess: PreprocessConfig, corpus: list[dict[str, Any]] | None = None,
                 training: dict[str, Any] | None = None, path: Path | None = None,
                 layers: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        self.config = config
        self.features = features
        self.weights = np.asarray(weights, dtype=np.float32)
        self.bias = np.asarray(bias, dtype=np.float64)
        self.layers = layers
        self._keep(preprocess, corpus, training, path)

    @property
    def vocab(self) -> Vocabulary:
        return self.features.vocab

    def scores(self, token_lists: Sequence[Sequence[str]]) -> np.ndarray:
        """Class scores (logits) of tokenized texts, (texts, classes)."""
        x = self.features.matrix(token_lists, self.config.pooling)
        return np.asarray(x @ self.weights, dtype=np.float64) + self.bias

    def probabilities_of(self, token_lists: Sequence[Sequence[str]]) -> np.ndarray:
        return softmax_or_sigmoid(self.scores(token_lists), self.config.multi_label)

    def explained(self, token_lists: Sequence[Sequence[str]]) -> tuple[np.ndarray, list[Explanation]]:
        scores = self.scores(token_lists)
        probs = softmax_or_sigmoid(scores, self.config.multi_label)
        return probs, [self._shares(tokens, int(np.argmax(p))) for tokens, p in zip(token_lists, probs)]

    def _shares(self, tokens: Sequence[str], k: int) -> Explanation:
        """Each token's exact share of class k's score (the logit less the mean logit; a
        multi-label model's own logit): a bigram's share goes half to each of its words, a
        feature counted once (nbsvm) is split over its occurrences."""
        column = self.weights[:, k].astype(np.float64)
        bias = float(self.bias[k])
        if not self.config.multi_label:
            column = column - self.weights.astype(np.float64).mean(axis=1)
            bias -= float(self.bias.mean())
        ids, pos, is_gram = self.features.occurrences(tokens)
        if self.config.pooling == "max":
            _, inverse, counts = np.unique(ids, return_inverse=True, return_counts=True)
            each = column[ids] / counts[inverse]
        else:
            each = column[ids] / max(len(ids), 1)
        weights = np.zeros(len(tokens))
        np.add.at(weights, pos[~is_gram], each[~is_gram])
        np.add.at(weights, pos[is_gram], each[is_gram] / 2)
        np.add.at(weights, pos[is_gram] + 1, each[is_gram] / 2)
        return Explanation(list(tokens), [float(w) for w in weights], "linear", bias)

    def write_payload(self, folder: Path) -> None:
        """The arrays (``np.save``, no pickle) and the vocabularies (plain TSV)."""
        if self.layers is not None:
            np.save(folder / EMBEDDINGS_FILE, self.layers[0].astype(np.float32), allow_pickle=False)
            np.save(folder / OUTPUT_FILE, self.layers[1].astype(np.float32), allow_pickle=False)
        else:
            np.save(folder / WEIGHTS_FILE, self.weights.astype(np.float32), allow_pickle=False)
        np.save(folder / BIAS_FILE, self.bias.astype(np.float32), allow_pickle=False)
        self.features.vocab.save(folder / VOCAB_FILE)
        if self.features.bigram_vocab is not None:
            self.features.bigram_vocab.save(folder / BIGRAMS_FILE)


def fasttext_weights(embeddings: np.ndarray, output: np.ndarray) -> np.ndarray:
    """The per-feature score rows of a fastText model: ``E W^T`` (features, classes)."""
    return np.asarray(embeddings, dtype=np.float32) @ np.asarray(output, dtype=np.float32).T


def load_linear(path: Path, meta: dict[str, Any]) -> LinearClassifier:
    """Rebuild a linear classifier from its model directory (arrays checked on opening)."""
    from wordseq.store.payload import open_npy

    config: LinearConfig = stored_config(path, meta, LinearConfig)
    vocab, bigram_vocab = stored_vocabularies(path, config.vocab_size,
                                              config.bigram_rows if config.encoder == "nbsvm" else 0)
    classes = len(config.labels)
    layers = None
    if config.encoder == "fasttext":
        layers = (open_npy(path / EMBEDDINGS_FILE, np.float32, (config.features, config.emb)),
                  open_npy(path / OUTPUT_FILE, np.float32, (classes, config.emb)))
        weights = fasttext_weights(*layers)
    else:
        weights = open_npy(path / WEIGHTS_FILE, np.float32, (config.features, classes))
    bias = open_npy(path / BIAS_FILE, np.float32, (classes,))
    for name, array in (("weights", weights), ("bias", bias)):
        if not np.all(np.isfinite(array)):
            raise ModelError(f"{path} is damaged: its {name} hold a value that is not finite")
    features = FeatureSpace(vocab, bigram_vocab, config.bigram_rows if config.encoder == "fasttext" else 0)
    preprocess = PreprocessConfig.from_dict(meta.get("preprocessing") or {})
    return LinearClassifier(config, features, np.array(weights), np.array(bias), preprocess,
                            list(meta.get("corpus") or []), dict(meta.get("training") or {}), path, layers)
