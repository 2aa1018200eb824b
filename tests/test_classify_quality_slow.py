"""Classifier quality on real text, MR sentence polarity (minutes on CPU): `make test-slow`."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import DATA

from wordseq.classify.data import DataSpec
from wordseq.classify.folds import stratified_folds
from wordseq.classify.train import train_classifier

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def split() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Fold 1 of the 10 the benchmark uses as test, the rest to train on."""
    data = DataSpec(classes=(("pos", str(DATA / "rt-polarity.pos.gz")), ("neg", str(DATA / "rt-polarity.neg.gz")))).read()
    pairs = [(e.label, e.text) for e in data.examples]
    y = np.array([e.label == "pos" for e in data.examples], dtype=np.int64)
    test = set(stratified_folds(y, 10, seed=1)[0].tolist())
    return [p for i, p in enumerate(pairs) if i not in test], [p for i, p in enumerate(pairs) if i in test]


# one fold is noisy (folds of the 10-fold benchmark range 74-80 %): floors with room
@pytest.mark.parametrize("encoder,floor", [("bow", 0.74), ("bilstm", 0.74)])
def test_mr_held_out_accuracy_is_near_the_published_figures(encoder: str, floor: float, split) -> None:  # type: ignore[no-untyped-def]
    train, test = split
    model = train_classifier(train, encoder=encoder)
    assert model.evaluate(test).accuracy >= floor  # Kim (2014) CNN from random init: 76.1 %


@pytest.mark.parametrize("encoder", ["bow", "bilstm"])
def test_saliency_names_the_word_that_decides(encoder: str, split) -> None:  # type: ignore[no-untyped-def]
    train, _ = split
    model = train_classifier(train, encoder=encoder)
    for text, label, word in (("a dull film", "neg", "dull"), ("a gorgeous film", "pos", "gorgeous")):
        (pred,) = model.predict([text], explain=True)
        assert pred.explanation is not None
        weights = dict(zip(pred.explanation.tokens, pred.explanation.weights))
        assert pred.label == label
        assert max(weights, key=lambda w: abs(weights[w])) == word and weights[word] > 0


def test_nbsvm_reaches_wang_and_manning_on_mr_10_fold_cross_validation() -> None:
    """The issue's acceptance figure: NBSVM-bigram's published 79.4 % (Wang & Manning 2012),
    same folds as benchmarks/bench_classify.py."""
    from wordseq.classify.crossval import cross_validate

    data = DataSpec(classes=(("pos", str(DATA / "rt-polarity.pos.gz")), ("neg", str(DATA / "rt-polarity.neg.gz")))).read()
    report = cross_validate(data, k=10, encoder="nbsvm", workers=2)
    assert report.mean_accuracy >= 0.794


def test_fasttext_reaches_78_percent_on_mr_10_fold_cross_validation() -> None:
    """fastText's own trainer (SGD, lr falling linearly to 0) from a Naive-Bayes start:
    78.1 % on the benchmark's folds (77.4 % from fastText's random start, 76.2 % with Adam
    and early stopping); the ``fasttext`` package reaches 77.2 % at best there
    (benchmarks/bench_classify.py). Issue 24's target: 78 %."""
    from wordseq.classify.crossval import cross_validate

    data = DataSpec(classes=(("pos", str(DATA / "rt-polarity.pos.gz")), ("neg", str(DATA / "rt-polarity.neg.gz")))).read()
    report = cross_validate(data, k=10, encoder="fasttext", workers=2)
    assert report.mean_accuracy >= 0.78


def test_linear_explanations_name_the_word_that_decides(split) -> None:  # type: ignore[no-untyped-def]
    train, _ = split
    for encoder in ("nbsvm", "fasttext"):
        model = train_classifier(train, encoder=encoder)
        (pred,) = model.predict(["a dull film"], explain=True)
        assert pred.label == "neg" and pred.explanation is not None
        weights = dict(zip(pred.explanation.tokens, pred.explanation.weights))
        assert max(weights, key=lambda w: abs(weights[w])) == "dull"
