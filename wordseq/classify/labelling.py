"""What every classifier does with raw text, whatever scores it: tokenize with its own
preprocessing, predict (one label, or with ``--multi-label`` every label above a
threshold), stream predictions, evaluate, explain, save.

``Labeller`` is the base of the torch classifiers (``model.TextClassifier``) and of the
linear ones (``linear.LinearClassifier``); each supplies the class probabilities and the
explanations of token lists, and its payload files.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from wordseq.classify.data import LabelledData, TableFormat, as_labelled_data, iter_texts
from wordseq.classify.metrics import Evaluation, MultiLabelEvaluation
from wordseq.config_checks import count, within
from wordseq.errors import InputError, ModelError
from wordseq.text.preprocess import PreprocessConfig, Preprocessor
from wordseq.vocab import Vocabulary

KIND = "classifier"
VOCAB_FILE = "vocab.tsv"
BIGRAMS_FILE = "bigrams.tsv"
BIGRAM_JOIN = " "  # between the two words of a bigrams.tsv entry
BATCH_SIZE = 256
# A multi-label model names every label at least this probable unless told otherwise.
MULTI_LABEL_THRESHOLD = 0.5


def bigram_key(first: str, second: str) -> str:
    """A word pair as the bigram tables store it (``bigrams.tsv``)."""
    return f"{first}{BIGRAM_JOIN}{second}"


@dataclass
class Explanation:
    """Per-token weights behind one prediction.

    ``method`` is ``attention`` (the pooling weights: non-negative, summing to 1),
    ``gradient*input`` (the gradient of the predicted class's score, its logit minus the
    mean logit, times the token's embedding, summed: positive pushes towards the
    predicted label, negative away from it; for ``bow`` the weights add up to the score
    less the output bias) or ``linear`` (``nbsvm``, ``fasttext``: each token's exact share
    of that score; ``bias`` is the rest, so weights and bias add up to the score; a
    multi-label model's score is the label's own logit).
    """

    tokens: list[str]
    weights: list[float]
    method: str
    bias: float | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"method": self.method, "tokens": self.tokens, "weights": self.weights}
        if self.bias is not None:
            d["bias"] = self.bias
        return d


@dataclass
class Prediction:
    """The most probable label, its probability, and every class's probability."""

    label: str
    probability: float
    probabilities: dict[str, float]
    explanation: Explanation | None = None

    def ranked(self, k: int | None = None, threshold: float = 0.0) -> list[tuple[str, float]]:
        """The labels by probability, most probable first: at most ``k`` (None: all), each
        at least ``threshold`` probable (``predict -k K --threshold T``)."""
        order = sorted(self.probabilities.items(), key=lambda kv: (-kv[1], kv[0]))
        return [(label, p) for label, p in order[:k] if p >= threshold]

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"label": self.label, "probability": self.probability,
                             "probabilities": self.probabilities}
        if self.explanation is not None:
            d["explanation"] = self.explanation.to_dict()
        return d


def label_choice(multi_label: bool, k: int | None, threshold: float | None) -> tuple[int | None, float]:
    """(k, threshold) for ``predict``: by default the best label of a softmax model, every
    label at least 0.5 probable of a multi-label one."""
    if k is not None:
        count("-k", k, 1)
    if threshold is not None:
        within("--threshold", threshold, 0.0, 1.0)
    if multi_label:
        return k, MULTI_LABEL_THRESHOLD if threshold is None else threshold
    return (1 if k is None else k), (0.0 if threshold is None else threshold)


def stored_config(path: Path, meta: dict[str, Any], factory: Any) -> Any:
    """The config a model directory's meta.json holds, built by ``factory.from_dict``; a
    missing or bad one is a damaged model."""
    try:
        return factory.from_dict(meta["config"])
    except (KeyError, TypeError) as exc:
        raise ModelError(f"{path}/meta.json has no usable classifier config ({exc})") from None
    except InputError as exc:
        raise ModelError(f"{path}/meta.json: {exc}") from None


def stored_vocabularies(path: Path, words: int, bigrams: int) -> tuple[Vocabulary, Vocabulary | None]:
    """vocab.tsv and, when the config counts bigram entries, bigrams.tsv, of the sizes the
    config declares."""
    vocab = Vocabulary.load(path / VOCAB_FILE)
    bigram_vocab = Vocabulary.load(path / BIGRAMS_FILE) if bigrams else None
    if len(vocab) != words or (bigram_vocab is not None and len(bigram_vocab) != bigrams):
        raise ModelError(f"{path} is damaged: its vocabulary files do not match its config")
    return vocab, bigram_vocab


class Labeller:
    """Raw text in, predictions out; subclasses score token lists."""

    config: Any
    preprocess: PreprocessConfig
    training: dict[str, Any]
    corpus: list[dict[str, Any]]
    path: Path | None
    _pre: Preprocessor

    def _keep(self, preprocess: PreprocessConfig, corpus: list[dict[str, Any]] | None,
              training: dict[str, Any] | None, path: Path | None) -> None:
        """What every classifier keeps besides its scorer (called by ``__init__``)."""
        self.preprocess = preprocess
        self.corpus = corpus or []
        self.training = training or {}
        self.path = path
        self._pre = Preprocessor(preprocess)

    # -- what a subclass supplies ----------------------------------------------------------

    def probabilities_of(self, token_lists: Sequence[Sequence[str]]) -> np.ndarray:
        """Probabilities (texts, classes) of tokenized texts."""
        raise NotImplementedError

    def explained(self, token_lists: Sequence[Sequence[str]]) -> tuple[np.ndarray, list[Explanation]]:
        """Probabilities and one ``Explanation`` per tokenized text."""
        raise NotImplementedError

    def write_payload(self, folder: Path) -> None:
        raise NotImplementedError

    # -- shared ----------------------------------------------------------------------------

    @property
    def labels(self) -> list[str]:
        return list(self.config.labels)

    @property
    def multi_label(self) -> bool:
        return bool(getattr(self.config, "multi_label", False))

    def with_preprocessing(self, overrides: dict[str, Any]) -> Labeller:
        """This model reading text with some preprocessing settings replaced (the
        override options of ``classify eval`` / ``predict``: text already tokenized...)."""
        if overrides:
            self.preprocess = self.preprocess.with_overrides(overrides)
            self._pre = Preprocessor(self.preprocess)
        return self

    def tokenize(self, texts: Iterable[str]) -> list[list[str]]:
        """Tokens of each text through the model's own preprocessing (sentences joined)."""
        return [self._pre.tokens(t) for t in iter_texts(texts)]

    def predict_proba(self, texts: Iterable[str] | str, batch_size: int = BATCH_SIZE) -> np.ndarray:
        """Probabilities (texts, classes), columns in the order of ``labels`` (softmax; one
        sigmoid per label for a multi-label model)."""
        texts = [texts] if isinstance(texts, str) else texts
        return self.probabilities_of(self.tokenize(texts))

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
        explanations: list[Explanation | None] = [None] * len(texts)
        if explain:
            probs, found = self.explained(tokens)
            explanations = list(found)
        else:
            probs = self.probabilities_of(tokens)
        labels = self.labels
        out = []
        for p, e in zip(probs, explanations):
            best = int(np.argmax(p))
            out.append(Prediction(labels[best], float(p[best]), {lab: float(v) for lab, v in zip(labels, p)}, e))
        return out

    def explain(self, texts: Iterable[str] | str) -> list[Explanation]:
        """Why each text got its label: per-token weights.

        With attention pooling these are the attention weights; for the linear models
        (``nbsvm``, ``fasttext``) each token's exact share of the predicted class's score;
        otherwise gradient × input saliency of the predicted class (signed: in "not good",
        a negative label shows as large positive weights on both words).
        """
        return [p.explanation for p in self.predict(texts, explain=True) if p.explanation is not None]

    def evaluate(self, data: Any, labels: Sequence[str] | None = None, table: TableFormat | None = None,
                 encoding_errors: str = "strict") -> Evaluation | MultiLabelEvaluation:
        """Accuracy, macro-F1, per-class figures and confusion matrix on labelled data
        (any form ``train_classifier`` takes); for a multi-label model, exact-match
        accuracy and per-label figures at probability 0.5."""
        labelled = data if isinstance(data, LabelledData) else as_labelled_data(data, labels, table, encoding_errors)
        if not labelled.examples:
            raise InputError("no labelled texts to evaluate on")
        index = {label: i for i, label in enumerate(self.labels)}
        for e in labelled.examples:
            unknown = [lab for lab in e.all_labels if lab not in index]
            if unknown:
                raise InputError(f"{e.where}: label '{unknown[0]}' is not one the model knows ({', '.join(self.labels)})")
        probs = self.probabilities_of(self.tokenize(e.text for e in labelled.examples))
        if self.multi_label:
            truth = np.zeros(probs.shape, dtype=bool)
            for i, e in enumerate(labelled.examples):
                truth[i, [index[lab] for lab in e.all_labels]] = True
            return MultiLabelEvaluation(self.labels, truth, probs >= MULTI_LABEL_THRESHOLD)
        labelled.check_single_label()
        return Evaluation.from_predictions(self.labels, [index[e.label] for e in labelled.examples], probs.argmax(axis=1))

    def summary(self) -> str:
        figures = self.training.get("best_valid_accuracy")
        acc = f", valid accuracy {figures:.1%}" if isinstance(figures, float) else ""
        multi = ", multi-label" if self.multi_label else ""
        return f"{self.config.describe()}, {len(self.labels)} classes ({', '.join(self.labels[:5])}){multi}{acc}"

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
