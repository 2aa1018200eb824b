"""Settings chosen by corpus size, and how given options and --resume combine with them."""

from __future__ import annotations

import pytest

from wordseq.neural.config import LMConfig, TrainConfig, default_cutoffs
from wordseq.neural.defaults import ADAPTIVE_FROM, TOKEN_PASSES, checks_every, epochs_for, recommend


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


def test_a_medium_corpus_gets_the_adaptive_softmax_once_its_vocabulary_has_a_band() -> None:
    """The full softmax over the 6,149 words of 100 k tokens was two thirds of the run's
    arithmetic, for the same validation perplexity by epoch (issue 24)."""
    assert recommend(100_000, 6_149).model["softmax"] == "adaptive"
    assert recommend(499_999, 12_000).model["softmax"] == "adaptive"
    assert recommend(300_000, 2_999).model["softmax"] == "full"  # no band beyond the 2,000-word head
    assert recommend(99_999, 6_149).model["softmax"] == "full"  # the small tier: unchanged
    assert recommend(1_000_000, 12_000).model["softmax"] == "full"  # the 2x400 tier: unchanged
    config = LMConfig(vocab_size=6_149, **recommend(100_000, 6_149).model)
    assert config.cutoffs == (2_000,) and config.tie  # tied through the shared weight matrix
    # batch 20: with the softmax cheap, twice the updates were ahead per CPU-second
    assert recommend(100_000, 6_149).train["batch_size"] == 20


@pytest.mark.parametrize("tokens", [100_000, 200_000, 300_000, 1_000_000, 3_000_000])
def test_every_medium_corpus_gets_about_the_same_token_passes(tokens: int) -> None:
    """Reported (issue 24): the medium tier trained 4 epochs whatever its size, a quarter
    of the passes on 200 k tokens, and the run ended still improving."""
    advice = recommend(tokens, 10_000)
    passes = advice.train["epochs"] * tokens
    assert 0.75 * TOKEN_PASSES <= passes <= 1.35 * TOKEN_PASSES, (tokens, advice.train["epochs"])  # whole epochs
    assert advice.train["patience"] is not None  # it may end on its curve
    assert advice.train["final_anneal"] == (tokens >= 1_000_000)  # only those checked several times an epoch


def test_smaller_corpora_get_more_epochs_and_more_dropout() -> None:
    sizes = (100_000, 300_000, 1_000_000, 3_000_000)
    epochs = [epochs_for(n) for n in sizes]
    dropouts = [recommend(n, 10_000).model["dropout"] for n in sizes]
    assert epochs == sorted(epochs, reverse=True) and epochs[0] >= 4 * epochs[2]
    assert dropouts == sorted(dropouts, reverse=True) and dropouts[0] > dropouts[-1]
    assert epochs_for(10) == 60 and epochs_for(10**9) == 1  # capped both ways


def test_large_corpora_are_checked_several_times_an_epoch() -> None:
    assert checks_every(50_000, 20, 35) == 0  # a small corpus: at the end of each epoch
    every = checks_every(1_100_000, 20, 35)
    batches = 1_100_000 // (20 * 35)
    assert 3 <= batches / every <= 6


def test_adaptive_cutoffs_grow_with_the_vocabulary() -> None:
    assert default_cutoffs(2_500) == ()
    assert default_cutoffs(26_000) == (2_000, 10_000)
    assert default_cutoffs(300_000) == (2_000, 10_000, 50_000, 250_000)
