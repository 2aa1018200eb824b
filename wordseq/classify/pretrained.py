"""Word vectors from a wordseq embeddings model as the start of a classifier's embeddings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from wordseq.errors import ModelError
from wordseq.vocab import SPECIALS, Vocabulary


@dataclass
class PretrainedVectors:
    """Words in frequency order, their vectors, and where they came from."""

    words: list[str]
    vectors: np.ndarray
    source: str
    preprocessing: dict[str, Any]

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])


def load_pretrained(name_or_path: str) -> PretrainedVectors:
    """The vectors of an embeddings model (trained by wordseq or imported)."""
    from wordseq.embeddings.vectors import load_embeddings

    model = load_embeddings(name_or_path)
    vectors = model.vectors
    return PretrainedVectors(list(vectors.words), np.asarray(vectors.vectors, dtype=np.float32), str(model.path),
                             dict(model.meta.get("preprocessing") or {}))


def copy_vectors(weight: Any, vocab: Vocabulary, pretrained: PretrainedVectors) -> int:
    """Copy the vectors of the vocabulary words the model knows into ``weight`` (a
    ``(len(vocab), dim)`` torch tensor); the other rows keep their start. Returns how
    many words got a vector."""
    import torch

    if pretrained.dim != weight.shape[1]:
        raise ModelError(
            f"the vectors of {pretrained.source} have {pretrained.dim} dimensions but --emb is "
            f"{weight.shape[1]}; leave --emb out or give --emb {pretrained.dim}"
        )
    index = {w: i for i, w in enumerate(pretrained.words)}
    rows, sources = [], []
    for i, word in enumerate(vocab.itos[len(SPECIALS):], len(SPECIALS)):
        j = index.get(word)
        if j is not None:
            rows.append(i)
            sources.append(j)
    if rows:
        with torch.no_grad():
            weight[torch.tensor(rows)] = torch.from_numpy(pretrained.vectors[np.array(sources)]).to(weight)
    return len(rows)


def extend_vocabulary(vocab: Vocabulary, pretrained: PretrainedVectors, limit: int) -> Vocabulary:
    """``vocab`` plus the first ``limit`` words of the vectors it lacks (count 0), so a
    word that training never saw keeps its pre-trained vector instead of ``<unk>``'s."""
    if limit <= 0:
        return vocab
    extra = [w for w in pretrained.words[:limit] if w not in vocab.stoi]
    return Vocabulary(vocab.itos + extra, vocab.counts + [0] * len(extra))
