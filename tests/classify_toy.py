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


NEGATIONS = ["not", "never", "n't"]


def negated_lines(n: int, seed: int = 0) -> list[str]:
    """fastText lines of sentence polarity with a second label, ``negated``, on sentences
    holding not / never / n't (about a third). A negation stands just before the
    sentiment word and flips it: "the plot was not dull" is positive."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        positive = i % 2 == 0
        negated = i % 3 == 0
        word = rng.choice(POSITIVE if positive != negated else NEGATIVE)
        words = [rng.choice(FILLER) for _ in range(rng.randint(3, 7))]
        at = rng.randint(0, len(words))
        words[at:at] = [rng.choice(NEGATIONS), word] if negated else [word]
        labels = ["__label__" + ("pos" if positive else "neg")] + (["__label__negated"] if negated else [])
        out.append(" ".join(labels + words))
    return out
