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


@pytest.mark.parametrize("encoder,floor", [("bow", 0.75), ("bilstm", 0.75)])
def test_mr_held_out_accuracy_is_near_the_published_figures(encoder: str, floor: float, split) -> None:  # type: ignore[no-untyped-def]
    train, test = split
    model = train_classifier(train, encoder=encoder)
    assert model.evaluate(test).accuracy >= floor  # Kim (2014) CNN from random init: 76.1 %


def test_saliency_shows_negation_on_a_bow_model(split) -> None:  # type: ignore[no-untyped-def]
    train, _ = split
    model = train_classifier(train, encoder="bow")
    good, not_good = model.predict(["a good film .", "not a good film ."], explain=True)
    assert good.label == "pos"
    weights = dict(zip(not_good.explanation.tokens, not_good.explanation.weights))
    assert not_good.probabilities["pos"] < good.probabilities["pos"]
    assert weights["not"] != 0
