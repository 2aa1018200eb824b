"""A tiny bigram language model with a fixed table: exact answers for decoding tests."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from wordseq.text.preprocess import PreprocessConfig
from wordseq.vocab import SPECIALS, Vocabulary


class TableBigramLM:
    """p(next | previous token) from a dict of rows; state = last token id per row."""

    def __init__(self, words: list[str], table: dict[str, dict[str, float]]) -> None:
        self.vocab = Vocabulary(list(SPECIALS) + words, [0] * (len(SPECIALS) + len(words)))
        self.preprocess = PreprocessConfig()
        V = len(self.vocab)
        self.logp = np.full((V, V), -np.inf)
        for prev, row in table.items():
            total = sum(row.values())
            for nxt, p in row.items():
                self.logp[self.vocab.id(prev), self.vocab.id(nxt)] = np.log(p / total)
        self.calls = 0

    def start(self, prompt_ids: Sequence[int]) -> np.ndarray:
        return np.array([prompt_ids[-1] if prompt_ids else self.vocab.bos_id])

    def next_logprobs(self, state: np.ndarray) -> np.ndarray:
        self.calls += 1
        return self.logp[state]

    def advance(self, state: np.ndarray, token_ids: np.ndarray) -> np.ndarray:
        return np.asarray(token_ids)

    def select(self, state: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return state[rows]


def small_lm() -> TableBigramLM:
    # Greedy goes a → b → </s>; the best whole sequence is "c d </s>".
    return TableBigramLM(
        ["a", "b", "c", "d"],
        {
            "<s>": {"a": 0.4, "c": 0.35, "b": 0.25},
            "a": {"b": 0.3, "a": 0.25, "c": 0.25, "</s>": 0.2},
            "b": {"</s>": 0.5, "a": 0.5},
            "c": {"d": 0.95, "</s>": 0.05},
            "d": {"</s>": 0.9, "a": 0.1},
        },
    )
