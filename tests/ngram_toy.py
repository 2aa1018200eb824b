"""Shared toy corpora for the n-gram tests."""

from __future__ import annotations

import numpy as np

from wordseq.ngram import NgramConfig, NgramModel, train_ngram

# <s> a b </s>, <s> b </s>: ids pad 0, unk 1, <s> 2, </s> 3, b 4 (count 2), a 5 (count 1)
TOY = [["a", "b"], ["b"]]


def train(sentences, order: int = 2, smoothing: str = "modified-kneser-ney", **kw) -> NgramModel:  # type: ignore[no-untyped-def]
    return train_ngram(sentences, model=NgramConfig(order=order, smoothing=smoothing, **kw))


def prob(model: NgramModel, context: list[str], word: str) -> float:
    state = model.start(model.vocab.encode(context))
    return float(np.exp(model.next_logprobs(state)[0, model.vocab.id(word)]))


def probs_after(model: NgramModel, context: list[str]) -> np.ndarray:
    """p(· | context) over the vocabulary with exactly this context (no <s> added in front)."""
    width = model.order - 1
    ids = model.vocab.encode(context)[-width:] if width else []
    state = np.array([[-1] * (width - len(ids)) + ids], dtype=np.int64).reshape(1, width)
    return np.exp(model.next_logprobs(state)[0])


def prob_after(model: NgramModel, context: list[str], word: str) -> float:
    """p(word | context) with exactly this context (no <s> added in front)."""
    return float(probs_after(model, context)[model.vocab.id(word)])


def all_context_states(model: NgramModel) -> np.ndarray:
    """A state for every context the tables know (every entry of orders 1..N-1) and the start."""
    t = model.tables
    width = model.order - 1
    states = [model.start([])]
    for n in range(1, model.order):
        grams = t.entry_words(n)
        st = np.full((len(grams), width), -1, dtype=np.int64)
        st[:, width - n :] = grams
        states.append(st)
    return np.concatenate(states)
