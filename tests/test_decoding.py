from __future__ import annotations

import itertools

import numpy as np
import pytest

from tests.toy_lm import TableBigramLM, small_lm
from wordseq import decoding
from wordseq.errors import WordseqError


def enumerate_sequences(lm: TableBigramLM, max_len: int) -> list[tuple[list[int], float]]:
    """Every finished sequence up to max_len tokens (</s> included) with its log-prob."""
    eos = lm.vocab.eos_id
    words = list(range(4, len(lm.vocab)))
    out = []
    for n in range(0, max_len):
        for body in itertools.product(words, repeat=n):
            seq = list(body) + [eos]
            prev, lp = lm.vocab.bos_id, 0.0
            for t in seq:
                lp += lm.logp[prev, t]
                prev = t
            if np.isfinite(lp):
                out.append((seq, float(lp)))
    return out


def test_greedy_takes_the_argmax_each_step() -> None:
    lm = small_lm()
    hyp = decoding.greedy(lm, [], max_tokens=10)
    assert lm.vocab.decode(hyp.token_ids) == ["a", "b", "</s>"]
    assert hyp.finished
    assert hyp.logprob == pytest.approx(np.log(0.4) + np.log(0.3) + np.log(0.5))


def test_beam_of_one_equals_greedy() -> None:
    lm = small_lm()
    g = decoding.greedy(lm, [], max_tokens=10)
    b = decoding.beam_search(lm, [], beam=1, max_tokens=10, length_penalty=0.0)
    assert b[0].token_ids == g.token_ids
    assert b[0].logprob == pytest.approx(g.logprob)


@pytest.mark.parametrize("prompt", [[], ["a"], ["c"]])
def test_wide_beam_finds_the_exact_best_sequence(prompt: list[str]) -> None:
    lm = small_lm()
    ids = lm.vocab.encode(prompt)
    max_len = 5
    all_seqs = enumerate_sequences(lm, max_len) if not prompt else None
    hyps = decoding.beam_search(lm, ids, beam=200, max_tokens=max_len, length_penalty=0.0, num=3)
    if all_seqs is not None:
        best = sorted(all_seqs, key=lambda s: -s[1])[:3]
        assert [h.token_ids for h in hyps] == [s for s, _ in best]
        assert [h.logprob for h in hyps] == pytest.approx([lp for _, lp in best])
    assert hyps[0].finished
    # greedy is not optimal on this model, which is what makes the test meaningful
    if not prompt:
        assert hyps[0].token_ids != decoding.greedy(lm, ids, max_tokens=max_len).token_ids


def test_small_beam_returns_sorted_n_best() -> None:
    lm = small_lm()
    hyps = decoding.beam_search(lm, [], beam=4, max_tokens=6, length_penalty=1.0, num=3)
    scores = [h.score for h in hyps]
    assert scores == sorted(scores, reverse=True)
    for h in hyps:
        assert h.score == pytest.approx(h.logprob / len(h.token_ids))


def test_beam_search_is_batched_one_model_call_per_step() -> None:
    lm = small_lm()
    decoding.beam_search(lm, [], beam=5, max_tokens=4, length_penalty=0.0)
    assert lm.calls <= 4


def test_banned_token_is_never_produced() -> None:
    lm = small_lm()
    a = lm.vocab.id("a")
    for h in decoding.beam_search(lm, [], beam=3, max_tokens=6, num=3, ban=[a]):
        assert a not in h.token_ids
    assert a not in decoding.greedy(lm, [], ban=[a]).token_ids
    for h in decoding.sample(lm, [], num=20, seed=0, ban=[a]):
        assert a not in h.token_ids


def test_sampling_is_reproducible_with_a_seed_and_varies_without() -> None:
    lm = small_lm()
    one = decoding.sample(lm, [], num=10, seed=7)
    two = decoding.sample(lm, [], num=10, seed=7)
    assert [h.token_ids for h in one] == [h.token_ids for h in two]
    draws = {tuple(h.token_ids) for h in decoding.sample(lm, [], num=50, seed=1)}
    assert len(draws) > 1


def test_sample_frequencies_follow_the_model() -> None:
    lm = small_lm()
    hyps = decoding.sample(lm, [], num=4000, max_tokens=1, seed=3)
    first = [lm.vocab.itos[h.token_ids[0]] for h in hyps]
    assert first.count("a") / 4000 == pytest.approx(0.4, abs=0.03)
    assert first.count("c") / 4000 == pytest.approx(0.35, abs=0.03)


def test_top_k_and_top_p_filtering() -> None:
    lp = np.log(np.array([[0.5, 0.3, 0.15, 0.05]]))
    p = decoding.filtered_distribution(lp, top_k=2)
    assert p[0] == pytest.approx([0.5 / 0.8, 0.3 / 0.8, 0, 0])
    p = decoding.filtered_distribution(lp, top_p=0.7)
    assert p[0] == pytest.approx([0.5 / 0.8, 0.3 / 0.8, 0, 0])
    p = decoding.filtered_distribution(lp, top_p=0.4)
    assert p[0] == pytest.approx([1, 0, 0, 0])
    p = decoding.filtered_distribution(lp, temperature=1e-3)
    assert p[0] == pytest.approx([1, 0, 0, 0])


@pytest.mark.parametrize(
    "call",
    [
        lambda lm: decoding.beam_search(lm, [], beam=0),
        lambda lm: decoding.sample(lm, [], temperature=0),
        lambda lm: decoding.sample(lm, [], top_p=0),
        lambda lm: decoding.greedy(lm, [], max_tokens=0),
    ],
)
def test_bad_settings_raise_clear_errors(call) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(WordseqError):
        call(small_lm())
