"""Synthetic labelled texts for the classifier tests: small, fast to learn, exact."""

from __future__ import annotations

import random

POSITIVE = ["good", "great", "fine", "lovely", "superb"]
NEGATIVE = ["bad", "awful", "dull", "poor", "weak"]
FILLER = ["the", "film", "a", "story", "of", "it", "was", "and", "plot", "cast", "with", "some", "this"]
TINY = {"emb": 16, "hidden": 16, "batch_size": 16, "threads": 1}


def sentiment_pairs(n: int, seed: int = 0) -> list[tuple[str, str]]:
    """(label, text): filler words with one sentiment word somewhere; classes alternate."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        label = "pos" if i % 2 == 0 else "neg"
        words = [rng.choice(FILLER) for _ in range(rng.randint(3, 8))]
        words.insert(rng.randint(0, len(words)), rng.choice(POSITIVE if label == "pos" else NEGATIVE))
        out.append((label, " ".join(words)))
    return out


def first_word_pairs(n: int, length: int = 30, seed: int = 0) -> list[tuple[str, str]]:
    """(label, text): the label is the first word ('alpha' or 'beta'); then ``length``
    noise words that carry nothing. Read at the last step, a one-way RNN must carry the
    first word through all the noise; the backward half of a bidirectional RNN ends on it."""
    rng = random.Random(seed)
    noise = [f"w{i}" for i in range(12)]
    out = []
    for i in range(n):
        label = "alpha" if i % 2 == 0 else "beta"
        out.append((label, " ".join([label] + [rng.choice(noise) for _ in range(length)])))
    return out
