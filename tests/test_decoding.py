"""Greedy, beam search and sampling (decoding.py) on enumerable models, toy and neural."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import pytest
import torch

from tests.toy_lm import small_lm
from wordseq import decoding
from wordseq.errors import OptionError, WordseqError
from wordseq.lm_interface import LanguageModel
from wordseq.neural.config import LMConfig
from wordseq.neural.model import NeuralLM
from wordseq.neural.network import RNNModel
from wordseq.text.preprocess import PreprocessConfig
from wordseq.vocab import Vocabulary

VOCAB = Vocabulary(["<pad>", "<unk>", "<s>", "</s>", "a", "b", "c"], [0, 0, 1, 1, 3, 2, 1])
ALLOWED = [3, 4, 5, 6]  # </s> and the words; <unk> is banned below


class BigramTable:
    """A bigram model given by a table: state = last token of each row."""

    def __init__(self, table: np.ndarray) -> None:
        self.vocab = VOCAB
        self.preprocess = PreprocessConfig()
        self.table = table

    def start(self, prompt_ids: Sequence[int]) -> np.ndarray:
        return np.array([prompt_ids[-1] if prompt_ids else VOCAB.bos_id])

    def next_logprobs(self, state: np.ndarray) -> np.ndarray:
        return self.table[state]

    def advance(self, state: np.ndarray, token_ids: np.ndarray) -> np.ndarray:
        return np.asarray(token_ids)

    def select(self, state: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return state[rows]


def random_table(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 1.5, (len(VOCAB), len(VOCAB)))
    logits[:, [VOCAB.pad_id, VOCAB.bos_id]] = -np.inf
    return logits - np.logaddexp.reduce(logits, axis=1, keepdims=True)


def tiny_neural(seed: int) -> NeuralLM:
    torch.manual_seed(seed)
    model = RNNModel(LMConfig(vocab_size=len(VOCAB), cell="gru", layers=1, emb=6, hidden=6, dropout=0.0))
    with torch.no_grad():
        model.decoder.weight.mul_(20)  # a peaked model, so greedy and beam disagree
    return NeuralLM(model, VOCAB, PreprocessConfig(), torch.device("cpu"))


def all_scored(model: LanguageModel, prompt: list[int], max_tokens: int, alpha: float) -> list[tuple[float, tuple[int, ...]]]:
    """Every continuation (finished by </s>, or cut at max_tokens) with its beam score."""
    out = []
    for length in range(1, max_tokens + 1):
        for seq in itertools.product(ALLOWED, repeat=length):
            if VOCAB.eos_id in seq[:-1] or (length < max_tokens and seq[-1] != VOCAB.eos_id):
                continue
            state, lp = model.start(prompt), 0.0
            for i, tok in enumerate(seq):
                lp += float(model.next_logprobs(state)[0, tok])
                if i + 1 < length:
                    state = model.advance(state, np.array([tok]))
            out.append((lp / length**alpha if alpha else lp, seq))
    out.sort(key=lambda x: -x[0])
    return out


MODELS = [lambda s: BigramTable(random_table(s)), tiny_neural]


@pytest.mark.parametrize("make", MODELS, ids=["bigram", "neural"])
@pytest.mark.parametrize("seed", range(4))
def test_beam_1_equals_greedy(make, seed: int) -> None:  # type: ignore[no-untyped-def]
    model = make(seed)
    (g,) = decoding.greedy(model, [[4]], max_tokens=8, ban=[VOCAB.unk_id])
    ((b,),) = decoding.beam_search(model, [[4]], beam=1, max_tokens=8, ban=[VOCAB.unk_id], length_penalty=0)
    assert b.token_ids == g.token_ids
    assert b.logprob == pytest.approx(g.logprob)


@pytest.mark.parametrize("make", MODELS, ids=["bigram", "neural"])
@pytest.mark.parametrize("alpha", [0.0, 1.0])
@pytest.mark.parametrize("seed", range(3))
def test_wide_beam_finds_the_exact_n_best_of_all_sequences(make, alpha: float, seed: int) -> None:  # type: ignore[no-untyped-def]
    model = make(seed)
    max_tokens = 3
    truth = all_scored(model, [4], max_tokens, alpha)
    (hyps,) = decoding.beam_search(model, [[4]], beam=len(ALLOWED) ** max_tokens, max_tokens=max_tokens,
                                   length_penalty=alpha, num=3, ban=[VOCAB.unk_id])
    assert [tuple(h.token_ids) for h in hyps] == [seq for _, seq in truth[:3]]
    assert [h.score for h in hyps] == pytest.approx([s for s, _ in truth[:3]])
    assert hyps[0].finished == (hyps[0].token_ids[-1] == VOCAB.eos_id)


def test_beam_search_beats_greedy_when_the_first_step_misleads() -> None:
    table = np.full((len(VOCAB), len(VOCAB)), -np.inf)
    # after the prompt 'a': b (0.6) then anything (uniform 4 ways), or c (0.4) then </s> (1.0)
    table[4, [5, 6]] = np.log([0.6, 0.4])
    table[5, ALLOWED] = np.log(0.25)
    table[6, 3] = 0.0
    table[3, 3] = 0.0
    model = BigramTable(table)
    assert decoding.greedy(model, [[4]], max_tokens=2)[0].token_ids[0] == 5
    best = decoding.beam_search(model, [[4]], beam=2, max_tokens=2, length_penalty=0)[0][0]
    assert best.token_ids == [6, 3] and best.logprob == pytest.approx(np.log(0.4))


def test_sampling_is_reproducible_with_a_seed_and_respects_bans() -> None:
    model = tiny_neural(0)
    (a,) = decoding.sample(model, [[4]], num=5, max_tokens=6, sampling=decoding.Sampling(seed=3), ban=[VOCAB.unk_id])
    (b,) = decoding.sample(model, [[4]], num=5, max_tokens=6, sampling=decoding.Sampling(seed=3), ban=[VOCAB.unk_id])
    assert [h.token_ids for h in a] == [h.token_ids for h in b]
    for h in a:
        assert not {VOCAB.pad_id, VOCAB.unk_id, VOCAB.bos_id} & set(h.token_ids)
        assert h.finished == (h.token_ids[-1] == VOCAB.eos_id)


def test_sample_frequencies_follow_the_model() -> None:
    table = np.full((len(VOCAB), len(VOCAB)), -np.inf)
    table[4, [4, 5, 6]] = np.log([0.5, 0.3, 0.2])
    (hyps,) = decoding.sample(BigramTable(table), [[4]], num=4000, max_tokens=1, sampling=decoding.Sampling(seed=0))
    counts = np.bincount([h.token_ids[0] for h in hyps], minlength=7)[4:] / 4000
    assert counts == pytest.approx([0.5, 0.3, 0.2], abs=0.03)


def test_filtered_distribution_top_k_and_top_p() -> None:
    lp = np.log(np.array([[0.5, 0.3, 0.15, 0.05]]))
    assert decoding.filtered_distribution(lp, top_k=2)[0] == pytest.approx([0.625, 0.375, 0, 0])
    assert decoding.filtered_distribution(lp, top_p=0.79)[0] == pytest.approx([0.625, 0.375, 0, 0])
    assert decoding.filtered_distribution(lp, top_p=0.81)[0] == pytest.approx([0.5, 0.3, 0.15, 0] / np.float64(0.95))
    hot = decoding.filtered_distribution(lp, temperature=100.0)[0]
    assert hot.max() - hot.min() < 0.02


@pytest.mark.parametrize("kwargs", [{"beam": 0}, {"num": 0}, {"max_tokens": 0}])
def test_beam_search_argument_errors(kwargs: dict) -> None:
    with pytest.raises(WordseqError):
        decoding.beam_search(BigramTable(random_table(0)), [[4]], **kwargs)


def test_neural_state_select_repeats_rows_and_advance_is_batched() -> None:
    model = tiny_neural(1)
    state = model.select(model.start([4, 5]), np.array([0, 0, 0]))
    lp = np.asarray(model.next_logprobs(state))
    assert lp.shape == (3, len(VOCAB)) and np.allclose(lp[0], lp[2])
    assert np.isneginf(lp[:, [VOCAB.pad_id, VOCAB.bos_id]]).all()
    nxt = np.asarray(model.next_logprobs(model.advance(state, np.array([4, 5, 6]))))
    # row i of the batched step equals a single-row step by the same token
    single = np.asarray(model.next_logprobs(model.advance(model.start([4, 5]), np.array([5]))))
    assert np.allclose(nxt[1], single[0], atol=1e-6)
    assert np.allclose(np.exp(nxt).sum(axis=1), 1.0, atol=1e-5)


# -- on a fixed table (tests/toy_lm.py) where greedy is not optimal ---------------------


def test_greedy_takes_the_argmax_each_step() -> None:
    lm = small_lm()
    (hyp,) = decoding.greedy(lm, [[]], max_tokens=10)
    assert lm.vocab.decode(hyp.token_ids) == ["a", "b", "</s>"]
    assert hyp.finished
    assert hyp.logprob == pytest.approx(np.log(0.4) + np.log(0.3) + np.log(0.5))


def test_small_beam_returns_sorted_n_best() -> None:
    lm = small_lm()
    (hyps,) = decoding.beam_search(lm, [[]], beam=4, max_tokens=6, length_penalty=1.0, num=3)
    scores = [h.score for h in hyps]
    assert scores == sorted(scores, reverse=True)
    for h in hyps:
        assert h.score == pytest.approx(h.logprob / len(h.token_ids))


def test_beam_search_is_batched_one_model_call_per_step() -> None:
    lm = small_lm()
    decoding.beam_search(lm, [[]], beam=5, max_tokens=4, length_penalty=0.0)
    assert lm.calls <= 4


def test_banned_token_is_never_produced() -> None:
    lm = small_lm()
    a = lm.vocab.id("a")
    for h in decoding.beam_search(lm, [[]], beam=3, max_tokens=6, num=3, ban=[a])[0]:
        assert a not in h.token_ids
    assert a not in decoding.greedy(lm, [[]], ban=[a])[0].token_ids
    for h in decoding.sample(lm, [[]], num=20, sampling=decoding.Sampling(seed=0), ban=[a])[0]:
        assert a not in h.token_ids


# -- against repetition: --no-repeat-ngram and --repetition-penalty ----------------------


def looping_table() -> np.ndarray:
    """a → b → c → a ... is by far the most likely path: every search loops without help."""
    table = np.full((len(VOCAB), len(VOCAB)), np.log(0.02))
    table[:, [VOCAB.pad_id, VOCAB.bos_id, VOCAB.unk_id]] = -np.inf
    for prev, nxt in ((4, 5), (5, 6), (6, 4)):
        table[prev, nxt] = np.log(0.9)
    return table - np.logaddexp.reduce(table, axis=1, keepdims=True)


class AsNumpy:
    """A neural model seen through numpy arrays (the n-gram models' back end)."""

    def __init__(self, lm: NeuralLM) -> None:
        self.lm, self.vocab, self.preprocess = lm, lm.vocab, lm.preprocess

    def start(self, prompt_ids):  # type: ignore[no-untyped-def]
        return self.lm.start(prompt_ids)

    def next_logprobs(self, state):  # type: ignore[no-untyped-def]
        return self.lm.next_logprobs(state).numpy().astype(np.float64)

    def advance(self, state, token_ids):  # type: ignore[no-untyped-def]
        return self.lm.advance(state, np.asarray(token_ids))

    def select(self, state, rows):  # type: ignore[no-untyped-def]
        return self.lm.select(state, rows)


def ngrams(tokens: list[int], n: int) -> list[tuple[int, ...]]:
    return [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]


def searches(model, prompt: list[int], no_repeat_ngram: int = 0, repetition_penalty: float = 1.0, **kw):  # type: ignore[no-untyped-def]
    rep = decoding.Repetition(no_repeat_ngram, repetition_penalty)
    yield "greedy", decoding.greedy(model, [prompt], max_tokens=12, repetition=rep, **kw)
    yield "beam", decoding.beam_search(model, [prompt], beam=4, num=4, max_tokens=12, length_penalty=0, repetition=rep, **kw)[0]
    yield "sample", decoding.sample(model, [prompt], num=6, max_tokens=12, sampling=decoding.Sampling(seed=1), repetition=rep,
                                    **kw)[0]


@pytest.mark.parametrize("n", [1, 2, 3])
def test_no_repeat_ngram_forbids_any_repeated_ngram_in_every_search(n: int) -> None:
    model = BigramTable(looping_table())
    prompt = [4, 5]
    (looped,) = decoding.greedy(model, [prompt], max_tokens=12)
    assert len(set(ngrams(prompt + looped.token_ids, n))) < len(ngrams(prompt + looped.token_ids, n))  # it loops
    for name, hyps in searches(model, prompt, no_repeat_ngram=n):
        for h in hyps:
            body = [t for t in prompt + h.token_ids if t != VOCAB.eos_id]
            grams = ngrams(body, n)
            assert len(grams) == len(set(grams)), (name, body)
            # reported log-probabilities are the model's own, not the adjusted ones
            lps = [float(model.next_logprobs(np.array([p]))[0, t]) for p, t in zip([5, *h.token_ids], h.token_ids)]
            assert h.logprobs == pytest.approx(lps)


def test_repetition_penalty_raises_a_seen_tokens_probability_to_the_power_p() -> None:
    table = np.full((len(VOCAB), len(VOCAB)), -np.inf)
    table[4, [4, 5, 6]] = np.log([0.5, 0.3, 0.2])  # after the prompt 'a': 'a' again is the favourite
    model = BigramTable(table)
    penalty = decoding.Repetition(penalty=2.0)
    assert decoding.greedy(model, [[4]], max_tokens=1)[0].token_ids == [4]
    assert decoding.greedy(model, [[4]], max_tokens=1, repetition=penalty)[0].token_ids == [5]  # 0.25 < 0.3
    (hyps,) = decoding.sample(model, [[4]], num=6000, max_tokens=1, sampling=decoding.Sampling(seed=0), repetition=penalty)
    counts = np.bincount([h.token_ids[0] for h in hyps], minlength=7)[4:] / 6000
    assert counts == pytest.approx(np.array([0.25, 0.3, 0.2]) / 0.75, abs=0.03)
    ((best,),) = decoding.beam_search(model, [[4]], beam=3, max_tokens=1, repetition=penalty, length_penalty=0)
    assert best.token_ids == [5] and best.logprob == pytest.approx(np.log(0.3))


@pytest.mark.parametrize("kw", [{"no_repeat_ngram": 2}, {"repetition_penalty": 1.5}, {"no_repeat_ngram": 3, "repetition_penalty": 1.3}])
def test_repetition_settings_act_the_same_on_torch_tensors_and_numpy_arrays(kw: dict) -> None:
    lm = tiny_neural(2)
    for (name, on_device), (_, on_host) in zip(searches(lm, [4, 5], **kw), searches(AsNumpy(lm), [4, 5], **kw)):
        if name == "sample":
            continue  # the two back ends draw from different random generators
        assert [h.token_ids for h in on_device] == [h.token_ids for h in on_host], name
        assert [h.score for h in on_device] == pytest.approx([h.score for h in on_host], abs=1e-4)


def test_repetition_settings_are_checked() -> None:
    with pytest.raises(OptionError, match="--no-repeat-ngram"):
        decoding.Repetition(no_repeat_ngram=-1)
    with pytest.raises(OptionError, match="--repetition-penalty"):
        decoding.Repetition(penalty=0.5)
    with pytest.raises(OptionError, match="--repetition-penalty"):
        decoding.Repetition(penalty=float("nan"))


def test_a_row_with_every_token_forbidden_ends_instead_of_producing_a_banned_token() -> None:
    model = BigramTable(looping_table())
    ban = [VOCAB.unk_id, VOCAB.eos_id]
    once = decoding.Repetition(no_repeat_ngram=1)
    for hyps in (decoding.greedy(model, [[4]], max_tokens=10, ban=ban, repetition=once),
                 decoding.sample(model, [[4]], num=5, max_tokens=10, sampling=decoding.Sampling(seed=0), ban=ban,
                                 repetition=once)[0]):
        for h in hyps:
            words = h.token_ids[:-1]
            assert sorted(words) == [5, 6] and h.token_ids[-1] == VOCAB.eos_id  # b, c, then nothing is left


def test_on_a_gpu_the_searches_look_for_the_end_only_every_few_steps_and_give_the_same_results(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """As on CUDA (where each look is a host sync): finished rows keep going on the device
    until the next look, and their tokens after </s> are dropped."""
    lm = tiny_neural(3)
    seed = decoding.Sampling(seed=2)
    expected = (decoding.greedy(lm, [[4]], max_tokens=20), decoding.sample(lm, [[4]], num=4, max_tokens=20, sampling=seed)[0])
    looks = []
    make_ops = decoding._ops

    def gpu_like(lp):  # type: ignore[no-untyped-def]
        ops = make_ops(lp)
        ops.sync_every = decoding.SYNC_EVERY
        finished = ops.finished
        ops.finished = lambda done: looks.append(1) or finished(done)  # type: ignore[method-assign, func-returns-value]
        return ops

    monkeypatch.setattr(decoding, "_ops", gpu_like)
    got = (decoding.greedy(lm, [[4]], max_tokens=20), decoding.sample(lm, [[4]], num=4, max_tokens=20, sampling=seed)[0])
    for want, have in zip(expected, got):
        assert [h.token_ids for h in have] == [h.token_ids for h in want]
        assert [h.finished for h in have] == [h.finished for h in want]
    assert 0 < len(looks) <= 2 * (20 // decoding.SYNC_EVERY)
