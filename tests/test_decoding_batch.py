"""The searches over many rows at once (several prompts, or a model with several rows),
each row as if searched alone."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

from wordseq import decoding
from wordseq.errors import OptionError, WordseqError
from wordseq.text.preprocess import PreprocessConfig
from wordseq.vocab import SPECIALS, Vocabulary

VOCAB = Vocabulary(list(SPECIALS) + ["a", "b", "c", "d"], [0] * 8)


def random_table(seed: int, ties: bool = False) -> np.ndarray:
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 2.0, (len(VOCAB), len(VOCAB)))
    if ties:
        logits = np.round(logits)  # many equal scores: tie-breaking must match too
    logits[:, [VOCAB.pad_id, VOCAB.bos_id]] = -np.inf
    return logits - np.logaddexp.reduce(logits, axis=1, keepdims=True)


class StartsTable:
    """A bigram table whose ``start`` gives one row per bound first token."""

    def __init__(self, table: np.ndarray, starts: Sequence[int]) -> None:
        self.vocab = VOCAB
        self.preprocess = PreprocessConfig()
        self.table = table
        self.starts = list(starts)

    def start(self, prompt_ids: Sequence[int]) -> np.ndarray:
        return np.array([prompt_ids[-1] if prompt_ids else s for s in self.starts])

    def next_logprobs(self, state: np.ndarray) -> np.ndarray:
        return self.table[state]

    def advance(self, state: np.ndarray, token_ids: np.ndarray) -> np.ndarray:
        return np.asarray(token_ids)

    def select(self, state: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return state[rows]


class TrigramTable(StartsTable):
    """A trigram table (state: the last two tokens of each row) that joins the states of
    several prompts, as the n-gram models do."""

    def start(self, prompt_ids: Sequence[int]) -> np.ndarray:
        ids = [VOCAB.bos_id, VOCAB.bos_id, *prompt_ids]
        return np.array([ids[-2:]])

    def next_logprobs(self, state: np.ndarray) -> np.ndarray:
        return self.table[state[:, 0], state[:, 1]]

    def advance(self, state: np.ndarray, token_ids: np.ndarray) -> np.ndarray:
        return np.concatenate([state[:, 1:], np.asarray(token_ids)[:, None]], axis=1)

    def join_states(self, states: Sequence[np.ndarray]) -> np.ndarray:
        return np.concatenate(list(states))


STARTS = [VOCAB.bos_id, 4, 5, 6, 7, 4]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("ties", [False, True])
def test_each_row_gets_what_the_single_row_searches_give(seed: int, ties: bool) -> None:
    table = random_table(seed, ties)
    limits = [1, 3, 8, 8, 5, 2]
    many = StartsTable(table, STARTS)
    greedy_rows = decoding.greedy(many, [[]], limits, ban=[VOCAB.unk_id])
    beam_rows = decoding.beam_search(many, [[]], 3, limits, length_penalty=0.7, num=2, ban=[VOCAB.unk_id])
    for start, limit, g, beams in zip(STARTS, limits, greedy_rows, beam_rows):
        alone = StartsTable(table, [start])
        (expected_g,) = decoding.greedy(alone, [[]], max_tokens=limit, ban=[VOCAB.unk_id])
        assert (g.token_ids, g.logprobs, g.finished) == (expected_g.token_ids, expected_g.logprobs, expected_g.finished)
        (expected_b,) = decoding.beam_search(alone, [[]], beam=3, max_tokens=limit, length_penalty=0.7, num=2,
                                             ban=[VOCAB.unk_id])
        assert [(h.token_ids, h.score, h.finished) for h in beams] == [
            (h.token_ids, h.score, h.finished) for h in expected_b]


def test_beam_of_one_is_greedy_for_every_row() -> None:
    many = StartsTable(random_table(3, ties=True), STARTS)
    greedy_rows = decoding.greedy(many, [[]], 10)
    beam_rows = decoding.beam_search(many, [[]], 1, 10)
    assert [b[0].token_ids for b in beam_rows] == [g.token_ids for g in greedy_rows]


def test_the_prompt_is_applied_to_every_row() -> None:
    table = random_table(1)
    rows = decoding.greedy(StartsTable(table, STARTS), [[5]], 6)
    (alone,) = decoding.greedy(StartsTable(table, [VOCAB.bos_id]), [[5]], max_tokens=6)
    assert all(r.token_ids == alone.token_ids for r in rows)


def test_one_limit_per_row_is_checked() -> None:
    many = StartsTable(random_table(0), STARTS)
    with pytest.raises(WordseqError, match="2 limits for 6 rows"):
        decoding.greedy(many, [[]], [3, 4])
    with pytest.raises(OptionError, match="--max-tokens: must be between 1 and 100000, got 0"):
        decoding.beam_search(many, [[]], 2, [3, 4, 0, 1, 1, 1])


PROMPTS = [[], [4], [5, 6, 4], [7, 7], [4, 5, 6, 7, 4, 5], [6]]  # of different lengths: histories are padded


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("rep", [(0, 1.0), (1, 1.0), (2, 1.0), (3, 1.5), (0, 2.0)])
def test_several_prompts_searched_together_get_what_each_gets_alone_with_the_repetition_settings(
        seed: int, rep: tuple[int, float]) -> None:
    rng = np.random.default_rng(seed)
    logits = np.round(rng.normal(0, 2.0, (len(VOCAB),) * 3))  # rounded: ties must break the same way too
    logits[..., [VOCAB.pad_id, VOCAB.bos_id]] = -np.inf
    model = TrigramTable(logits - np.logaddexp.reduce(logits, axis=-1, keepdims=True), [])
    repetition = decoding.Repetition(*rep)
    kw: dict[str, Any] = {"max_tokens": 9, "ban": [VOCAB.unk_id], "repetition": repetition}
    together_g = decoding.greedy(model, PROMPTS, **kw)
    together_b = decoding.beam_search(model, PROMPTS, beam=3, num=2, length_penalty=0.5, **kw)
    for prompt, g, beams in zip(PROMPTS, together_g, together_b, strict=True):
        assert [(g.token_ids, g.logprobs, g.finished)] == [(h.token_ids, h.logprobs, h.finished)
                                                           for h in decoding.greedy(model, [prompt], **kw)]
        alone = decoding.beam_search(model, [prompt], beam=3, num=2, length_penalty=0.5, **kw)[0]
        assert [(h.token_ids, h.score, h.finished) for h in beams] == [(h.token_ids, h.score, h.finished) for h in alone]
    if rep[0]:  # the settings did act: no generated token completes an n-gram seen before
        n = rep[0]
        for prompt, g in zip(PROMPTS, together_g):
            body = prompt + [t for t in g.token_ids if t != VOCAB.eos_id]
            grams = [tuple(body[i : i + n]) for i in range(len(body) - n + 1)]
            for end in range(max(len(prompt), n - 1), len(body)):
                assert grams[end - n + 1] not in grams[: end - n + 1], (prompt, g.token_ids)


def test_one_definition_of_each_search() -> None:
    import re
    from pathlib import Path

    source = "\n".join(p.read_text() for p in Path(decoding.__file__).parent.rglob("*.py"))
    for name in ("greedy", "beam_search", "sample"):
        assert len(re.findall(rf"^\s*def {name}\(", source, re.M)) == 1, name
