"""Stratified splits: K cross-validation folds and a validation share, by seed.

Each class's examples are shuffled with the seed and dealt in turn, so every fold (and
the validation part) keeps the class proportions of the whole, folds are disjoint, and
together they cover every example exactly once.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from wordseq.config_checks import count
from wordseq.errors import InputError


def stratified_folds(labels: Sequence[int] | np.ndarray, k: int, seed: int = 1) -> list[np.ndarray]:
    """Indices of the test part of each of ``k`` folds.

    Parameters
    ----------
    labels : sequence of int
        The class of each example.
    k : int
        Number of folds, at least 2 and at most the number of examples.
    seed : int
        Same seed, same folds.

    Returns
    -------
    list of numpy.ndarray
        ``k`` sorted index arrays, disjoint, together ``0 .. len(labels) - 1``.

    Examples
    --------
    >>> [f.tolist() for f in stratified_folds([0, 0, 1, 1], 2, seed=1)]  # doctest: +SKIP
    [[0, 3], [1, 2]]
    """
    y = np.asarray(labels)
    count("--cv", k, 2)
    if k > len(y):
        raise InputError(f"--cv {k} needs at least {k} examples; there are {len(y)}")
    rng = np.random.default_rng(seed)
    folds: list[list[int]] = [[] for _ in range(k)]
    offset = 0
    for cls in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == cls))
        for j, i in enumerate(members):
            # carrying the offset over from class to class keeps fold sizes within one
            folds[(offset + j) % k].append(int(i))
        offset += len(members)
    return [np.array(sorted(f), dtype=np.int64) for f in folds]


def split_validation(indices: np.ndarray, labels: Sequence[int] | np.ndarray, fraction: float,
                     seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Split ``indices`` into (train, validation), ``fraction`` of each class held out.

    A class with a single example stays in training; if that leaves no validation
    example, one example of the largest class is held out.
    """
    y = np.asarray(labels)
    rng = np.random.default_rng(seed + 7919)  # not the folds' stream
    train: list[int] = []
    valid: list[int] = []
    for cls in np.unique(y[indices]):
        members = rng.permutation(indices[y[indices] == cls])
        n_valid = int(round(len(members) * fraction)) if len(members) > 1 else 0
        n_valid = min(n_valid, len(members) - 1)
        valid += members[:n_valid].tolist()
        train += members[n_valid:].tolist()
    if not valid:
        if len(train) < 2:
            raise InputError("too few examples to hold any out for validation; give more data")
        biggest = max(np.unique(y[train]), key=lambda c: int(np.sum(y[train] == c)))
        pick = next(i for i in train if y[i] == biggest)
        train.remove(pick)
        valid.append(pick)
    return np.array(sorted(train), dtype=np.int64), np.array(sorted(valid), dtype=np.int64)
