"""The Transformer baseline: causal, trained by the same loop, decoded with a key/value
cache that gives exactly what a full pass over the history gives."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest
import torch

from wordseq import decoding
from wordseq.neural.config import LMConfig, TrainConfig
from wordseq.neural.data import build_training_data
from wordseq.neural.model import NeuralLM
from wordseq.neural.train import Trainer
from wordseq.neural.transformer import TransformerModel, decoding_window
from wordseq.text.preprocess import PreprocessConfig, Preprocessor
from wordseq.training import train_loop
from wordseq.vocab import SPECIALS, Vocabulary

torch.set_num_threads(1)  # tiny models: threads only wait on each other on a busy machine

V = 30
VOCAB = Vocabulary(list(SPECIALS) + [f"w{i}" for i in range(V - len(SPECIALS))], [0] * V)


def model(context: int = 8, seed: int = 0, vocab_size: int = V, **kw: object) -> TransformerModel:
    torch.manual_seed(seed)
    m = TransformerModel(LMConfig(vocab_size=vocab_size, cell="transformer", layers=2, emb=16, hidden=32, heads=4,
                                  context=context, dropout=0.0, **kw))  # type: ignore[arg-type]
    with torch.no_grad():
        m.decoder.weight.mul_(30)  # a peaked model, so searches have clear choices
    return m.eval()


@pytest.mark.parametrize("softmax", ["full", "adaptive"])
def test_a_future_token_never_changes_an_earlier_log_probability(softmax: str) -> None:
    vocab = 3100 if softmax == "adaptive" else V  # the adaptive softmax needs a vocabulary to split
    m = model(vocab_size=vocab, softmax=softmax)
    g = torch.Generator().manual_seed(0)
    x = torch.randint(4, vocab, (8, 3), generator=g)
    y = torch.randint(4, vocab, (8, 3), generator=g)
    with torch.no_grad():
        base, _ = m.score(x, None, y)
        for t in range(8):
            changed = x.clone()
            changed[t:] = torch.randint(4, vocab, changed[t:].shape, generator=g)
            lp, _ = m.score(changed, None, y)
            assert torch.allclose(lp[:t], base[:t], atol=1e-6)  # positions before t untouched
            if t < 7:
                assert not torch.allclose(lp[t:], base[t:])  # and later ones do see the change


def test_windows_restart_by_the_stated_rule() -> None:
    # context 6: windows grow 1..6, then restart from the last 3 and grow to 6 again
    assert [decoding_window(n, 6) for n in range(1, 14)] == [1, 2, 3, 4, 5, 6, 3, 4, 5, 6, 3, 4, 5]


def test_cached_next_logprobs_equal_a_full_pass_over_the_history() -> None:
    m = model(context=6)
    g = torch.Generator().manual_seed(1)
    history = torch.randint(4, V, (2, 3), generator=g)
    lp, cache = m.extend(None, history)
    for _ in range(12):  # past the context, through two restarts
        assert torch.allclose(lp, m.next_logprobs_uncached(history), atol=1e-5)
        assert cache.length == decoding_window(history.size(1), 6)
        tok = torch.randint(4, V, (2, 1), generator=g)
        history = torch.cat([history, tok], dim=1)
        lp, cache = m.extend(cache, tok)


class UncachedTransformerLM:
    """The same model as a LanguageModel whose state is the token history and which runs
    a full pass for every step: the reference for the cached NeuralLM."""

    def __init__(self, m: TransformerModel) -> None:
        self.m = m
        self.vocab = VOCAB
        self.preprocess = PreprocessConfig()

    def start(self, prompt_ids: Sequence[int]) -> np.ndarray:
        return np.array([[VOCAB.eos_id, *prompt_ids]])

    def next_logprobs(self, state: np.ndarray) -> np.ndarray:
        return self.m.next_logprobs_uncached(torch.as_tensor(state)).numpy().astype(np.float64)

    def advance(self, state: np.ndarray, token_ids: np.ndarray) -> np.ndarray:
        return np.concatenate([state, np.asarray(token_ids).reshape(-1, 1)], axis=1)

    def select(self, state: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return state[rows]


@pytest.mark.parametrize("search", ["greedy", "beam", "sample"])
def test_cached_generation_equals_uncached(search: str) -> None:
    m = model(context=6, seed=3)
    cached, uncached = NeuralLM(m, VOCAB, PreprocessConfig(), torch.device("cpu")), UncachedTransformerLM(m)
    prompt = [5, 6, 7]
    ban = [VOCAB.unk_id, VOCAB.eos_id]  # never stop early: run past the context window
    if search == "greedy":
        a = decoding.greedy(cached, [prompt], max_tokens=15, ban=ban)
        b = decoding.greedy(uncached, [prompt], max_tokens=15, ban=ban)
    elif search == "beam":
        a = decoding.beam_search(cached, [prompt], beam=3, num=3, max_tokens=12, ban=ban)[0]
        b = decoding.beam_search(uncached, [prompt], beam=3, num=3, max_tokens=12, ban=ban)[0]
    else:
        # the same uniforms on both sides: sample with a temperature so low it is greedy
        cold = decoding.Sampling(temperature=1e-3, seed=0)
        a = decoding.sample(cached, [prompt], num=2, max_tokens=15, sampling=cold, ban=ban)[0]
        b = decoding.sample(uncached, [prompt], num=2, max_tokens=15, sampling=cold, ban=ban)[0]
    assert [h.token_ids for h in a] == [h.token_ids for h in b]
    assert len(a[0].token_ids) >= 12
    for x, y in zip(a, b):
        assert x.logprobs == pytest.approx(y.logprobs, abs=1e-4)


def test_transformer_trains_in_the_same_loop_and_learns() -> None:
    pre = Preprocessor(PreprocessConfig(pretokenized=True))
    data = build_training_data(["the cat sat on the mat"] * 40, pre, ["the cat sat on the mat"])
    torch.manual_seed(0)
    config = LMConfig(vocab_size=len(data.vocab), cell="transformer", layers=1, emb=16, hidden=32, heads=2,
                      context=8, dropout=0.0)
    trainer = Trainer(TransformerModel(config), data.train, data.valid,
                      TrainConfig(epochs=6, optimizer="adam", lr=0.01, bptt=8, batch_size=4), torch.device("cpu"))
    assert train_loop(trainer)
    ppl = [h["valid_ppl"] for h in trainer.history]
    assert ppl[-1] < ppl[0] and ppl[-1] < 2.0  # a repeated sentence becomes nearly certain
