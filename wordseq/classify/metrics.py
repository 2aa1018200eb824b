"""Classification figures from a confusion matrix: accuracy, macro-F1, per-class
precision / recall / F1, as scikit-learn's ``classification_report`` defines them (a
class never predicted has precision 0; a class absent from the data has recall 0)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass
class ClassFigures:
    """Precision, recall and F1 of one class, and its number of true examples."""

    label: str
    precision: float
    recall: float
    f1: float
    support: int

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "precision": self.precision, "recall": self.recall, "f1": self.f1,
                "support": self.support}


@dataclass
class Evaluation:
    """Figures of predictions against true labels.

    ``confusion[i][j]`` counts examples of class ``labels[i]`` predicted as ``labels[j]``.
    """

    labels: list[str]
    confusion: np.ndarray

    @classmethod
    def from_predictions(cls, labels: Sequence[str], true: Sequence[int] | np.ndarray,
                         predicted: Sequence[int] | np.ndarray) -> Evaluation:
        n = len(labels)
        confusion = np.zeros((n, n), dtype=np.int64)
        np.add.at(confusion, (np.asarray(true, dtype=np.int64), np.asarray(predicted, dtype=np.int64)), 1)
        return cls(list(labels), confusion)

    @property
    def examples(self) -> int:
        return int(self.confusion.sum())

    @property
    def accuracy(self) -> float:
        return float(np.trace(self.confusion) / self.examples) if self.examples else 0.0

    @property
    def per_class(self) -> list[ClassFigures]:
        c = self.confusion
        return [_figures(label, int(c[i, i]), int(c[:, i].sum()), int(c[i, :].sum())) for i, label in enumerate(self.labels)]

    @property
    def macro_f1(self) -> float:
        return _macro_f1(self.per_class)

    def to_dict(self) -> dict[str, Any]:
        return {
            "examples": self.examples,
            "accuracy": self.accuracy,
            "macro_f1": self.macro_f1,
            "classes": [c.to_dict() for c in self.per_class],
            "confusion": {"labels": self.labels, "rows_true_columns_predicted": self.confusion.tolist()},
        }

    def lines(self) -> list[str]:
        """Tab-separated lines for stdout: figures, a per-class table, the confusion matrix."""
        out = [f"examples\t{self.examples}", f"accuracy\t{self.accuracy:.4f}", f"macro_f1\t{self.macro_f1:.4f}",
               "class\tprecision\trecall\tf1\tsupport"]
        out += [f"{c.label}\t{c.precision:.4f}\t{c.recall:.4f}\t{c.f1:.4f}\t{c.support}" for c in self.per_class]
        out.append("true\\predicted\t" + "\t".join(self.labels))
        out += [f"{label}\t" + "\t".join(str(int(v)) for v in row) for label, row in zip(self.labels, self.confusion)]
        return out


@dataclass
class MultiLabelEvaluation:
    """Figures of multi-label predictions (one yes / no per label and text).

    ``accuracy`` is the share of texts whose predicted label set is exactly the true one;
    per-label precision / recall / F1 treat each label as its own yes / no question;
    ``micro_f1`` pools the yes / no decisions of every label.
    """

    labels: list[str]
    truth: np.ndarray
    predicted: np.ndarray

    @property
    def examples(self) -> int:
        return int(self.truth.shape[0])

    @property
    def accuracy(self) -> float:
        return float(np.mean(np.all(self.truth == self.predicted, axis=1))) if self.examples else 0.0

    @property
    def per_class(self) -> list[ClassFigures]:
        return [_yes_no_figures(label, self.truth[:, i], self.predicted[:, i]) for i, label in enumerate(self.labels)]

    @property
    def macro_f1(self) -> float:
        return _macro_f1(self.per_class)

    @property
    def micro_f1(self) -> float:
        return _yes_no_figures("", self.truth.ravel(), self.predicted.ravel()).f1

    def to_dict(self) -> dict[str, Any]:
        return {"examples": self.examples, "exact_match_accuracy": self.accuracy, "accuracy": self.accuracy,
                "macro_f1": self.macro_f1, "micro_f1": self.micro_f1, "classes": [c.to_dict() for c in self.per_class]}

    def lines(self) -> list[str]:
        out = [f"examples\t{self.examples}", f"exact_match\t{self.accuracy:.4f}", f"macro_f1\t{self.macro_f1:.4f}",
               f"micro_f1\t{self.micro_f1:.4f}", "label\tprecision\trecall\tf1\tsupport"]
        out += [f"{c.label}\t{c.precision:.4f}\t{c.recall:.4f}\t{c.f1:.4f}\t{c.support}" for c in self.per_class]
        return out


def _figures(label: str, tp: int, said: int, support: int) -> ClassFigures:
    """Precision, recall and F1 of a class from its true positives, how often it was
    predicted and how often it was true."""
    p = tp / said if said else 0.0
    r = tp / support if support else 0.0
    return ClassFigures(label, p, r, 2 * p * r / (p + r) if p + r else 0.0, support)


def _yes_no_figures(label: str, truth: np.ndarray, predicted: np.ndarray) -> ClassFigures:
    return _figures(label, int(np.sum(truth & predicted)), int(np.sum(predicted)), int(np.sum(truth)))


def _macro_f1(figures: list[ClassFigures]) -> float:
    return float(sum(c.f1 for c in figures) / len(figures)) if figures else 0.0


def fit_figures(probs: np.ndarray, targets: np.ndarray, multi_label: bool) -> tuple[float, float]:
    """(mean loss, accuracy) of probabilities against (texts, classes) yes / no targets:
    cross-entropy and accuracy of the best class, or for a multi-label model the mean
    binary cross-entropy over labels and the exact-match accuracy at 0.5."""
    if len(probs) == 0:
        return 0.0, 0.0
    p = np.clip(probs, 1e-12, 1 - 1e-12)
    if multi_label:
        loss = -np.mean(np.where(targets, np.log(p), np.log1p(-p)))
        return float(loss), float(np.mean(np.all((probs >= 0.5) == targets, axis=1)))
    truth = targets.argmax(axis=1)
    loss = -np.mean(np.log(p[np.arange(len(p)), truth]))
    return float(loss), float(np.mean(probs.argmax(axis=1) == truth))
