"""Starting an RNN model's input embeddings from a wordseq embeddings model.

The vectors are read by the embeddings store's own loader (``vectors.npy`` without
pickle, checksums checked), the one every embeddings command uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from wordseq.embeddings.vectors import WordVectors, load_embeddings
from wordseq.errors import ModelError
from wordseq.vocab import SPECIALS, Vocabulary


@dataclass
class EmbeddingInit:
    """How many vocabulary words got a pre-trained vector, and from where."""

    found: int  # vocabulary words that got a pretrained vector
    words: int  # vocabulary words (specials aside)
    dim: int
    path: Path


def pretrained_vectors(name_or_path: str) -> tuple[WordVectors, Path]:
    """The vectors of a saved embeddings model (NAME or PATH), and its folder."""
    model = load_embeddings(name_or_path)
    assert model.path is not None  # loaded from the store
    return model.vectors, model.path


@torch.no_grad()
def init_embeddings(weight: torch.Tensor, vocab: Vocabulary, name_or_path: str) -> EmbeddingInit:
    """Copy the vectors of the words both know into ``weight`` (rows in ``vocab`` order);
    the other rows keep their random start."""
    vectors, path = pretrained_vectors(name_or_path)
    if vectors.dim != weight.shape[1]:
        raise ModelError(
            f"the embeddings in {path} have {vectors.dim} dimensions but --emb is "
            f"{weight.shape[1]}; use --emb {vectors.dim}"
        )
    rows, sources = [], []
    for i, word in enumerate(vocab.itos):
        j = vectors.index.get(word)
        if i >= len(SPECIALS) and j is not None:
            rows.append(i)
            sources.append(j)
    if rows:
        block = np.asarray(vectors.vectors[np.asarray(sources)], dtype=np.float32)
        weight[torch.tensor(rows)] = torch.from_numpy(block).to(weight)
    return EmbeddingInit(found=len(rows), words=vocab.num_words, dim=vectors.dim, path=path)
