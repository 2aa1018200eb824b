"""Model quality on toy tasks (minutes on 2 cores; run with -m slow).

The encoder-decoder must learn to copy and to reverse random strings it never saw, and
attention must matter: on long strings a model without it (everything squeezed through
the encoder's last state) falls far behind.
"""

from __future__ import annotations

import pytest

from tests.seq2seq_toy import copy_pairs, one_thread, random_strings, reverse_pairs  # noqa: F401
from wordseq.seq2seq import train_seq2seq

pytestmark = pytest.mark.slow


def held_out(n: int, low: int, high: int, seed: int, seen: set[str], alphabet: str = "abcdefgh") -> list[str]:
    return [s for s in random_strings(3 * n, low, high, seed, alphabet) if s not in seen][:n]


@pytest.mark.parametrize("task", [reverse_pairs, copy_pairs], ids=["reverse", "copy"])
def test_learns_short_strings_it_never_saw(task) -> None:  # type: ignore[no-untyped-def]
    train = random_strings(3000, 3, 7, seed=1)
    test = held_out(400, 3, 7, seed=2, seen=set(train))
    model = train_seq2seq(task(train), task(test[:50]), epochs=8, patience=0, emb=16, hidden=64, batch_size=32,
                          lr=0.01, dropout=0.0, seed=1)
    assert len(test) == 400
    assert model.evaluate(task(test)).exact_match >= 0.99


def test_attention_wins_on_long_strings() -> None:
    train = random_strings(6000, 4, 20, seed=3)
    long = held_out(300, 16, 20, seed=4, seen=set(train))
    scores = {}
    for attention in ("general", "none"):
        model = train_seq2seq(reverse_pairs(train), reverse_pairs(long[:50]), epochs=6, patience=0, emb=16, hidden=64,
                              batch_size=32, lr=0.01, dropout=0.0, seed=3, attention=attention)
        scores[attention] = model.evaluate(reverse_pairs(long)).exact_match
    assert scores["general"] >= 0.9
    assert scores["none"] <= scores["general"] - 0.5
