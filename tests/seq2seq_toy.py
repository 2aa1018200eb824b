"""Toy transduction tasks (copy, reverse) for the seq2seq tests."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch


@pytest.fixture(autouse=True, scope="module")
def one_thread() -> Iterator[None]:
    """Tiny tensors: a second intra-op thread only adds waiting (on a busy 2-core
    machine, runs 100x slower while it waits for a core)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def random_strings(n: int, low: int, high: int, seed: int, alphabet: str = "abcdefgh") -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(low, high))) for _ in range(n)]


def reverse_pairs(strings: list[str]) -> list[tuple[str, str]]:
    """Characters in, the reversed characters out as space-separated tokens."""
    return [(s, " ".join(reversed(s))) for s in strings]


def copy_pairs(strings: list[str]) -> list[tuple[str, str]]:
    return [(s, " ".join(s)) for s in strings]


def write_pairs(path: Path, pairs: list[tuple[str, str]]) -> Path:
    path.write_text("".join(f"{s}\t{t}\n" for s, t in pairs), encoding="utf-8")
    return path


def loss_by_decoding(lm: Any, targets: list[list[int]], eos: int = 3) -> float:
    """Summed -log p of each target (and ``</s>``) given its bound source, one step at a time."""
    total = 0.0
    for i, t in enumerate(targets):
        state = lm.select(lm.start([]), np.array([i]))
        for tok in [*t, eos]:
            total -= float(state.logprobs[0, tok])
            state = lm.advance(state, np.array([tok]))
    return total
