"""Hand-computed probabilities for every smoothing, and normalisation as a property."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.ngram_toy import TOY, all_context_states, prob, train
from wordseq.errors import InputError, OptionError, WordseqError
from wordseq.ngram.smoothing import NORMALISED

# Toy corpus "<s> a b </s>", "<s> b </s>": predicted tokens a 1, b 2, </s> 2 (N = 5);
# bigrams (<s> a) 1, (a b) 1, (b </s>) 2, (<s> b) 1. Predictable words: <unk> </s> b a (4).


def test_mle_is_relative_frequency() -> None:
    m = train(TOY, smoothing="mle")
    assert prob(m, ["a"], "b") == pytest.approx(1.0)
    assert prob(m, [], "a") == pytest.approx(0.5)  # context <s>: (<s> a) 1 of 2
    assert prob(m, ["b"], "</s>") == pytest.approx(1.0)
    assert prob(m, ["a"], "a") == 0.0


def test_add_k_is_lidstone() -> None:
    m = train(TOY, smoothing="add-k", k=1.0)
    assert prob(m, ["a"], "b") == pytest.approx(2 / 5)  # (1 + 1) / (1 + 4)
    assert prob(m, ["a"], "a") == pytest.approx(1 / 5)
    assert prob(m, [], "a") == pytest.approx(2 / 6)  # (1 + 1) / (2 + 4)
    assert prob(m, ["b"], "a") == pytest.approx(1 / 6)
    m_half = train(TOY, smoothing="add-k", k=0.5)
    assert prob(m_half, ["b"], "</s>") == pytest.approx(2.5 / 4)  # (2 + .5) / (2 + .5 * 4)


def test_witten_bell_by_hand() -> None:
    m = train(TOY, smoothing="witten-bell")
    # unigrams: N = 5, T = 3 types: p(a) = 1/8 + 3/8 * 1/4 = 7/32, p(b) = 11/32
    assert prob(m, ["a"], "a") == pytest.approx(0.5 * 7 / 32)  # context a: c 1, T 1
    assert prob(m, ["a"], "b") == pytest.approx(1 / 2 + 1 / 2 * 11 / 32)
    assert prob(m, [], "a") == pytest.approx(1 / 4 + 2 / 4 * 7 / 32)  # context <s>: c 2, T 2
    assert prob(m, ["a"], "<unk>") == pytest.approx(0.5 * 3 / 32)


def test_kneser_ney_one_discount_by_hand() -> None:
    m = train(TOY, smoothing="kneser-ney")
    # continuation counts: a 1 (<s>), b 2 (a, <s>), </s> 1 (b); n1 = 2, n2 = 1 → D = 2/4
    p1 = {"a": 0.5 / 4 + 0.375 / 4, "b": 1.5 / 4 + 0.375 / 4, "</s>": 0.5 / 4 + 0.375 / 4, "<unk>": 0.375 / 4}
    # bigram counts n1 = 3, n2 = 1 → D = 3/5
    assert prob(m, ["a"], "b") == pytest.approx(0.4 + 0.6 * p1["b"])
    assert prob(m, ["b"], "</s>") == pytest.approx(1.4 / 2 + 0.3 * p1["</s>"])
    assert prob(m, ["b"], "<unk>") == pytest.approx(0.3 * p1["<unk>"])


def test_modified_kneser_ney_by_hand_with_fallback_discounts() -> None:
    m = train(TOY, smoothing="modified-kneser-ney", discount_fallback=True)
    # no n-gram has adjusted count 3, so D3+ is undefined: fallback D = .5, 1, 1.5
    # unigram: a .5/4, b 1/4, </s> .5/4, leftover (.5 + 1 + .5)/4 = .5 shared by 4 words
    p1 = {"a": 0.25, "b": 0.375, "</s>": 0.25, "<unk>": 0.125}
    assert prob(m, [], "<unk>") == pytest.approx(0.5 * p1["<unk>"])  # context <s>: gamma (.5+.5)/2
    assert prob(m, ["a"], "b") == pytest.approx(0.5 + 0.5 * p1["b"])
    assert prob(m, [], "a") == pytest.approx(0.5 / 2 + 0.5 * p1["a"])
    assert prob(m, ["b"], "</s>") == pytest.approx((2 - 1) / 2 + 0.5 * p1["</s>"])


def test_modified_kneser_ney_keeps_raw_counts_for_ngrams_starting_with_bos() -> None:
    # order 3: the bigram (<s> x) cannot be extended to the left; its count stays raw (2)
    corpus = [["x", "y"], ["x", "z"], ["w", "x", "y"]]
    m = train(corpus, order=3, smoothing="modified-kneser-ney", discount_fallback=True)
    t = m.tables
    bos_x = t.index_of(np.array([m.vocab.encode(["<s>", "x"])]))[0]
    w_x = t.index_of(np.array([m.vocab.encode(["w", "x"])]))[0]
    assert bos_x >= 0 and w_x >= 0
    # (<s> x) raw 2 → D2 = 1 → own 1/2 in context <s> (adjusted total 2 + 1 for (<s> w))
    own = prob(m, [], "x") - 10 ** t.backoff[0][m.vocab.bos_id] * 10 ** t.prob[0][m.vocab.id("x")]
    assert own == pytest.approx((2 - 1.0) / 3)


def test_modified_kneser_ney_too_small_names_discount_fallback() -> None:
    with pytest.raises(InputError, match="--discount-fallback"):
        train(TOY, smoothing="modified-kneser-ney")


def test_stupid_backoff_scores_and_refuses_perplexity() -> None:
    m = train(TOY, smoothing="stupid-backoff")
    assert prob(m, ["a"], "b") == pytest.approx(1.0)
    assert prob(m, ["a"], "a") == pytest.approx(0.4 * 1 / 5)
    with pytest.raises(WordseqError, match="stupid backoff"):
        m.perplexity([["a", "b"]])


def test_unknown_smoothing_and_bad_k() -> None:
    with pytest.raises(OptionError, match="smoothing"):
        train(TOY, smoothing="good-turing")
    with pytest.raises(OptionError, match="--k"):
        train(TOY, smoothing="add-k", k=0)


sentences = st.lists(st.lists(st.sampled_from("abcdef"), min_size=1, max_size=8), min_size=1, max_size=8)


@settings(max_examples=25, deadline=None)
@given(corpus=sentences, order=st.integers(1, 4), smoothing=st.sampled_from(NORMALISED))
def test_every_context_distribution_sums_to_one(corpus: list[list[str]], order: int, smoothing: str) -> None:
    m = train(corpus, order=order, smoothing=smoothing, discount_fallback=True)
    states = all_context_states(m)
    totals = np.exp(m.next_logprobs(states)).sum(axis=1)
    assert np.allclose(totals, 1.0, atol=1e-9)


@settings(max_examples=15, deadline=None)
@given(corpus=sentences, held=sentences, order=st.integers(1, 4), smoothing=st.sampled_from(NORMALISED))
def test_batch_scoring_matches_step_by_step_distributions(corpus, held, order, smoothing) -> None:  # type: ignore[no-untyped-def]
    m = train(corpus, order=order, smoothing=smoothing, discount_fallback=True)
    (lp, _, _), = list(m.score_sentences(m.encode(s) for s in held))
    expected = []
    for s in held:
        state = m.start([])
        for i in m.encode(s) + [m.vocab.eos_id]:
            expected.append(m.next_logprobs(state)[0, i] / math.log(10))
            state = m.advance(state, np.array([i]))
    assert np.allclose(lp, expected)  # equal infinities (MLE zeros) count as close
