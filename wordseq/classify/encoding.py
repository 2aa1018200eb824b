"""Token sequences → id arrays → padded batches of texts of similar length.

Batches are cut from texts sorted by length (within shuffled pools when training), so a
batch carries little padding and the packed RNN runs close to its speed on equal-length
input. A text with no tokens (a blank line to classify) is read as a single ``<unk>``:
the network needs one step, and ``<unk>`` carries no word's meaning.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from wordseq.classify.labelling import bigram_key
from wordseq.classify.network import Batch
from wordseq.vocab import Vocabulary

# Shuffled pools of this many batches are sorted by length before cutting batches: the
# order varies from epoch to epoch, the padding stays small.
POOL_BATCHES = 50


def bigram_keys(tokens: Sequence[str]) -> list[str]:
    """The keys of a text's adjacent word pairs, as the bigram table stores them."""
    return [bigram_key(a, b) for a, b in zip(tokens, tokens[1:])]


def build_bigram_vocab(sequences: Iterable[Sequence[str]], min_count: int = 1) -> Vocabulary:
    """Bigrams of the training texts seen at least ``min_count`` times."""
    counts: Counter[str] = Counter()
    for tokens in sequences:
        counts.update(bigram_keys(tokens))
    return Vocabulary.from_counter(counts, min_count=min_count)


@dataclass
class EncodedTexts:
    """Word ids of each text and, for bigram models, bigram ids (0: not in the table)."""

    ids: list[np.ndarray]
    bigrams: list[np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def lengths(self) -> np.ndarray:
        return np.fromiter((len(a) for a in self.ids), dtype=np.int64, count=len(self.ids))


def encode(sequences: Iterable[Sequence[str]], vocab: Vocabulary, bigram_vocab: Vocabulary | None = None) -> EncodedTexts:
    """Ids of token sequences; an empty sequence becomes ``[<unk>]``."""
    ids: list[np.ndarray] = []
    grams: list[np.ndarray] | None = [] if bigram_vocab is not None else None
    get, unk = vocab.stoi.get, vocab.unk_id
    for tokens in sequences:
        ids.append(np.array([get(t, unk) for t in tokens] or [unk], dtype=np.int64))
        if grams is not None:
            assert bigram_vocab is not None
            gget = bigram_vocab.stoi.get
            grams.append(np.array([gget(k, 0) for k in bigram_keys(tokens)], dtype=np.int64))
    return EncodedTexts(ids, grams)


def make_batch(texts: EncodedTexts, rows: Sequence[int] | np.ndarray) -> Batch:
    """Pad the chosen texts into one ``Batch``."""
    rows = list(rows)
    lengths = [len(texts.ids[r]) for r in rows]
    width = max(lengths)
    ids = np.zeros((len(rows), width), dtype=np.int64)
    for j, r in enumerate(rows):
        ids[j, : lengths[j]] = texts.ids[r]
    bigrams = None
    if texts.bigrams is not None:
        grams = np.zeros((len(rows), width), dtype=np.int64)
        for j, r in enumerate(rows):
            g = texts.bigrams[r]
            grams[j, : len(g)] = g
        bigrams = torch.from_numpy(grams)
    return Batch(torch.from_numpy(ids), torch.tensor(lengths, dtype=torch.long), bigrams)


def training_batches(lengths: np.ndarray, rows: np.ndarray, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Batches of ``rows`` for one epoch: shuffled pools, sorted by length, cut, shuffled."""
    order = rng.permutation(rows)
    pool = batch_size * POOL_BATCHES
    batches: list[np.ndarray] = []
    for start in range(0, len(order), pool):
        chunk = order[start:start + pool]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches += [chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def scoring_batches(lengths: np.ndarray, rows: np.ndarray, batch_size: int) -> list[np.ndarray]:
    """Batches of ``rows`` by length (order of results is restored by the caller)."""
    order = rows[np.argsort(lengths[rows], kind="stable")]
    return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
