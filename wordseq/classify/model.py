"""A trained text classifier: predict, evaluate, explain, save; and its loader.

The model directory holds ``meta.json`` (config, preprocessing, training figures),
``model.safetensors`` (the network's tensors, ``store.tensors``; an older wordseq's
``model.pt`` is still read, ``store.legacy``), ``vocab.tsv`` and, for ``bow`` with bigrams, ``bigrams.tsv``. Nothing in it is code.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from wordseq.classify.config import ClassifierConfig
from wordseq.classify.data import LabelledData, TableFormat, as_labelled_data, iter_texts
from wordseq.classify.encoding import EncodedTexts, encode, make_batch, scoring_batches
from wordseq.classify.explain import Explanation, explain_batch
from wordseq.classify.metrics import Evaluation
from wordseq.classify.network import ClassifierNetwork
from wordseq.config_checks import count
from wordseq.errors import InputError, ModelError
from wordseq.store.payload import check_finite_tensors
from wordseq.store.tensors import payload_file, read_payload, write_tensors
from wordseq.text.preprocess import PreprocessConfig, Preprocessor
from wordseq.vocab import Vocabulary

KIND = "classifier"
MAGIC = "wordseq-classifier"
VERSION = 1
MODEL_STEM = "model"
MODEL_FILE = "model.safetensors"
VOCAB_FILE = "vocab.tsv"
BIGRAMS_FILE = "bigrams.tsv"
BATCH_SIZE = 256


@dataclass
class Prediction:
    """The most probable label, its probability, and every class's probability."""

    label: str
    probability: float
    probabilities: dict[str, float]
    explanation: Explanation | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"label": self.label, "probability": self.probability,
                             "probabilities": self.probabilities}
        if self.explanation is not None:
            d["explanation"] = self.explanation.to_dict()
        return d


def class_probabilities(network: ClassifierNetwork, texts: EncodedTexts, rows: np.ndarray | None = None,
                        device: torch.device | None = None, batch_size: int = BATCH_SIZE) -> np.ndarray:
    """Softmax probabilities (len(rows), classes), in the order of ``rows``."""
    rows = np.arange(len(texts)) if rows is None else np.asarray(rows)
    device = device or next(network.parameters()).device
    out = np.zeros((len(rows), len(network.config.labels)), dtype=np.float64)
    position = {int(r): i for i, r in enumerate(rows)}
    was_training = network.training
    network.eval()
    with torch.inference_mode():
        for chunk in scoring_batches(texts.lengths, rows, batch_size):
            logits = network(make_batch(texts, chunk).to(device)).logits
            probs = torch.softmax(logits.float(), dim=1).cpu().numpy()
            out[[position[int(r)] for r in chunk]] = probs
    network.train(was_training)
    return out


class TextClassifier:
    """A classifier with its vocabulary and preprocessing, ready to label raw text.

    Made by ``wordseq.train_classifier`` or loaded with ``load_classifier``.

    Examples
    --------
    >>> model = train_classifier({"pos": "rt-polarity.pos", "neg": "rt-polarity.neg"})  # doctest: +SKIP
    >>> model.predict(["a gorgeous , witty film"])[0].label  # doctest: +SKIP
    'pos'
    """

    def __init__(self, config: ClassifierConfig, vocab: Vocabulary, network: ClassifierNetwork,
                 preprocess: PreprocessConfig, bigram_vocab: Vocabulary | None = None,
                 corpus: list[dict[str, Any]] | None = None, training: dict[str, Any] | None = None,
                 path: Path | None = None) -> None:
        self.config = config
        self.vocab = vocab
        self.bigram_vocab = bigram_vocab
        self.network = network
        self.preprocess = preprocess
        self.corpus = corpus or []
        self.training = training or {}
        self.path = path
        self._pre = Preprocessor(preprocess)

    def with_preprocessing(self, overrides: dict[str, Any]) -> TextClassifier:
        """This model reading text with some preprocessing settings replaced (the
        override options of ``classify eval`` / ``predict``: text already tokenized...)."""
        if overrides:
            self.preprocess = self.preprocess.with_overrides(overrides)
            self._pre = Preprocessor(self.preprocess)
        return self

    @property
    def labels(self) -> list[str]:
        return list(self.config.labels)

    @property
    def device(self) -> torch.device:
        return next(self.network.parameters()).device

    def to(self, device: str | torch.device) -> TextClassifier:
        from wordseq.device import resolve_device

        self.network.to(resolve_device(device) if isinstance(device, str) else device)
        return self

    # -- text → ids ------------------------------------------------------------------------

    def tokenize(self, texts: Iterable[str]) -> list[list[str]]:
        """Tokens of each text through the model's own preprocessing (sentences joined)."""
        return [self._pre.tokens(t) for t in iter_texts(texts)]

    def encode(self, token_lists: Sequence[Sequence[str]]) -> EncodedTexts:
        return encode(token_lists, self.vocab, self.bigram_vocab)

    # -- predicting ------------------------------------------------------------------------

    def predict_proba(self, texts: Iterable[str] | str, batch_size: int = BATCH_SIZE) -> np.ndarray:
        """Probabilities (texts, classes), columns in the order of ``labels``."""
        texts = [texts] if isinstance(texts, str) else texts
        return class_probabilities(self.network, self.encode(self.tokenize(texts)), batch_size=batch_size)

    def predict(self, texts: Iterable[str] | str, batch_size: int = BATCH_SIZE, explain: bool = False) -> list[Prediction]:
        """One ``Prediction`` per text, in order (a single string counts as one text).

        Parameters
        ----------
        texts : iterable of str
            Raw texts; an empty one gets the prediction for a text of unknown words.
        batch_size : int
            Texts scored together.
        explain : bool
            Attach per-token weights (see ``explain``).
        """
        texts = [texts] if isinstance(texts, str) else list(iter_texts(texts))
        out: list[Prediction] = []
        for start in range(0, len(texts), batch_size):
            out += self._predict_batch(texts[start:start + batch_size], explain)
        return out

    def predict_stream(self, lines: Iterable[str], batch_size: int = 64, explain: bool = False) -> Iterator[list[Prediction]]:
        """Predictions for lines as they come: one list per ``batch_size`` lines read, so
        output can be written before the input ends. Every line gets one prediction."""
        count("--batch-size", batch_size, 1)
        batch: list[str] = []
        for line in lines:
            batch.append(line)
            if len(batch) == batch_size:
                yield self._predict_batch(batch, explain)
                batch = []
        if batch:
            yield self._predict_batch(batch, explain)

    def _predict_batch(self, texts: list[str], explain: bool) -> list[Prediction]:
        tokens = self.tokenize(texts)
        encoded = self.encode(tokens)
        explanations: list[Explanation | None] = [None] * len(texts)
        if explain:
            probs, found = explain_batch(self.network, encoded, tokens)
            explanations = list(found)
        else:
            probs = class_probabilities(self.network, encoded)
        labels = self.labels
        out = []
        for p, e in zip(probs, explanations):
            best = int(np.argmax(p))
            out.append(Prediction(labels[best], float(p[best]), {lab: float(v) for lab, v in zip(labels, p)}, e))
        return out

    def explain(self, texts: Iterable[str] | str) -> list[Explanation]:
        """Why each text got its label: per-token weights.

        With attention pooling these are the attention weights; otherwise gradient ×
        input saliency of the predicted class (signed: in "not good", a negative label
        shows as large positive weights on both words).
        """
        return [p.explanation for p in self.predict(texts, explain=True) if p.explanation is not None]

    # -- evaluating ------------------------------------------------------------------------

    def evaluate(self, data: Any, labels: Sequence[str] | None = None, table: TableFormat | None = None,
                 encoding_errors: str = "strict") -> Evaluation:
        """Accuracy, macro-F1, per-class figures and confusion matrix on labelled data
        (any form ``train_classifier`` takes)."""
        labelled = data if isinstance(data, LabelledData) else as_labelled_data(data, labels, table, encoding_errors)
        if not labelled.examples:
            raise InputError("no labelled texts to evaluate on")
        index = {label: i for i, label in enumerate(self.labels)}
        truth = []
        for e in labelled.examples:
            if e.label not in index:
                raise InputError(f"{e.where}: label '{e.label}' is not one the model knows ({', '.join(self.labels)})")
            truth.append(index[e.label])
        probs = class_probabilities(self.network, self.encode(self.tokenize(e.text for e in labelled.examples)))
        return Evaluation.from_predictions(self.labels, truth, probs.argmax(axis=1))

    # -- saving ----------------------------------------------------------------------------

    def summary(self) -> str:
        figures = self.training.get("best_valid_accuracy")
        acc = f", valid accuracy {figures:.1%}" if isinstance(figures, float) else ""
        return f"{self.config.describe()}, {len(self.labels)} classes ({', '.join(self.labels[:5])}){acc}"

    def meta(self) -> dict[str, Any]:
        """meta.json for this model (the store adds the payload checksums)."""
        from wordseq.store import new_meta

        return new_meta(KIND, summary=self.summary(), preprocessing=self.preprocess.to_dict(),
                        config=self.config.to_dict(), corpus=self.corpus, training=self.training)

    def save(self, output: str | Path | None = None) -> Path:
        """Save under a NAME in $WORDSEQ_HOME/classifier or at a PATH; returns the folder."""
        from wordseq.store import model_dir, save_model

        self.path = save_model(model_dir(str(output) if output is not None else None, KIND), self.meta(),
                               self.write_payload)
        return self.path

    def write_payload(self, folder: Path) -> None:
        """The payload files: tensors, vocabularies (plain TSV)."""
        state = {k: v.detach().cpu().clone() for k, v in self.network.state_dict().items()}
        write_tensors(folder / MODEL_FILE, {"format": MAGIC, "version": VERSION, "state": state})
        self.vocab.save(folder / VOCAB_FILE)
        if self.bigram_vocab is not None:
            self.bigram_vocab.save(folder / BIGRAMS_FILE)


def load_classifier(path: Path, meta: dict[str, Any], device: str | torch.device = "cpu") -> TextClassifier:
    """Rebuild a classifier from its model directory (as found by ``find_model``).

    Parameters
    ----------
    path : Path
        The model directory.
    meta : dict
        Its meta.json.
    device : str or torch.device
        ``cpu``, ``cuda`` or ``auto``.

    Returns
    -------
    TextClassifier
    """
    from wordseq.device import resolve_device

    path = Path(path)
    try:
        config = ClassifierConfig.from_dict(meta["config"])
    except (KeyError, TypeError) as exc:
        raise ModelError(f"{path}/meta.json has no usable classifier config ({exc})") from None
    except InputError as exc:
        raise ModelError(f"{path}/meta.json: {exc}") from None
    vocab = Vocabulary.load(path / VOCAB_FILE)
    bigram_vocab = Vocabulary.load(path / BIGRAMS_FILE) if config.bigram_vocab_size else None
    if len(vocab) != config.vocab_size or (bigram_vocab is not None and len(bigram_vocab) != config.bigram_vocab_size):
        raise ModelError(f"{path} is damaged: its vocabulary files do not match its config")
    file = payload_file(path, MODEL_STEM)
    state = _read_state(file)
    network = ClassifierNetwork(config)
    try:
        network.load_state_dict(state)
    except RuntimeError as exc:
        raise ModelError(f"{file} does not fit the model's config: {str(exc).splitlines()[0]}") from None
    network.eval()
    dev = resolve_device(device) if isinstance(device, str) else device
    network.to(dev)
    preprocess = PreprocessConfig.from_dict(meta.get("preprocessing") or {})
    return TextClassifier(config, vocab, network, preprocess, bigram_vocab, list(meta.get("corpus") or []),
                          dict(meta.get("training") or {}), path)


def _read_state(file: Path) -> dict[str, torch.Tensor]:
    if not file.is_file():
        raise ModelError(f"{file.parent} has no {file.name}; the model is incomplete, train it again")
    data = read_payload(file)
    if data.get("format") != MAGIC:
        raise ModelError(f"{file} is not a wordseq classifier payload")
    if data.get("version") != VERSION:
        raise ModelError(f"{file}: payload version {data.get('version')} is not supported (expected {VERSION})")
    state = data.get("state")
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ModelError(f"{file} is damaged: no tensors")
    check_finite_tensors(file, state)
    return state



def open_classifier(name_or_path: str | None, device: str = "auto") -> TextClassifier:
    """A classifier by NAME (in $WORDSEQ_HOME/classifier), ``classifier/NAME`` or PATH,
    loaded through the store (meta.json and payload checksums checked first).

    Examples
    --------
    >>> model = open_classifier("mr")  # doctest: +SKIP
    >>> model.predict(["a gorgeous , witty film"])[0].label  # doctest: +SKIP
    'pos'
    """
    from wordseq.store import load

    model: TextClassifier = load(name_or_path, KIND, device=device)
    return model
