"""Settings chosen by corpus size, and how given options and --resume combine with them."""

from __future__ import annotations

import pytest

from wordseq.neural.config import LMConfig, TrainConfig, default_cutoffs
from wordseq.neural.defaults import ADAPTIVE_FROM, checks_every, recommend


@pytest.mark.parametrize("tokens", [5_000, 1_100_000, 20_000_000])
@pytest.mark.parametrize("cell", ["lstm", "gru", "transformer"])
def test_every_recommendation_builds_valid_configs(tokens: int, cell: str) -> None:
    advice = recommend(tokens, 30_000, cell)
    config = LMConfig(vocab_size=30_000, cell=cell, **advice.model)
    TrainConfig(**advice.train)
    assert config.softmax == "adaptive"


def test_larger_corpora_get_larger_less_regularised_models_and_fewer_epochs() -> None:
    small, medium, large = (recommend(n, 10_000) for n in (50_000, 1_000_000, 10_000_000))
    assert small.model["emb"] <= medium.model["emb"] <= large.model["emb"]
    assert small.model["hidden"] <= medium.model["hidden"] <= large.model["hidden"]
    assert small.model["dropout"] >= medium.model["dropout"] >= large.model["dropout"]
    assert small.train["epochs"] >= medium.train["epochs"] >= large.train["epochs"]
    assert small.model["softmax"] == "full"  # below ADAPTIVE_FROM words the full softmax is cheap
    assert recommend(50_000, ADAPTIVE_FROM).model["softmax"] == "adaptive"


def test_large_corpora_are_checked_several_times_an_epoch() -> None:
    assert checks_every(50_000, 20, 35) == 0  # a small corpus: at the end of each epoch
    every = checks_every(1_100_000, 20, 35)
    batches = 1_100_000 // (20 * 35)
    assert 3 <= batches / every <= 6


def test_adaptive_cutoffs_grow_with_the_vocabulary() -> None:
    assert default_cutoffs(2_500) == ()
    assert default_cutoffs(26_000) == (2_000, 10_000)
    assert default_cutoffs(300_000) == (2_000, 10_000, 50_000, 250_000)
