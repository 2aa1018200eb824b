"""Starting an RNN model's input embeddings from a wordseq embeddings model."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from wordseq.errors import ModelError
from wordseq.neural.model import RNNModel
from wordseq.vocab import SPECIALS, Vocabulary

VECTORS_FILE = "vectors.kv"


@dataclass
class EmbeddingInit:
    found: int  # vocabulary words that got a pretrained vector
    words: int  # vocabulary words (specials aside)
    dim: int


def load_keyed_vectors(model_path: Path):  # type: ignore[no-untyped-def]
    from gensim.models import KeyedVectors

    kv_path = Path(model_path) / VECTORS_FILE
    if not kv_path.is_file():
        raise ModelError(f"{model_path} has no {VECTORS_FILE}; is it a wordseq embeddings model?")
    try:
        return KeyedVectors.load(str(kv_path))
    except Exception as exc:  # gensim raises many kinds for a damaged file
        raise ModelError(f"{kv_path} cannot be read as gensim KeyedVectors: {exc}") from None


def embedding_dim(model_path: Path) -> int:
    return int(load_keyed_vectors(model_path).vector_size)


@torch.no_grad()
def init_embeddings(model: RNNModel, vocab: Vocabulary, model_path: Path) -> EmbeddingInit:
    """Copy the vectors of the words both know; the others keep their random start."""
    kv = load_keyed_vectors(model_path)
    if kv.vector_size != model.config.emb:
        raise ModelError(
            f"the embeddings in {model_path} have {kv.vector_size} dimensions but --emb is "
            f"{model.config.emb}; use --emb {kv.vector_size}"
        )
    rows, vectors = [], []
    for i, word in enumerate(vocab.itos):
        if i >= len(SPECIALS) and word in kv.key_to_index:
            rows.append(i)
            vectors.append(kv[word])
    if rows:
        import numpy as np

        weight = model.encoder.weight
        weight[torch.tensor(rows)] = torch.from_numpy(np.stack(vectors)).to(weight)
    return EmbeddingInit(found=len(rows), words=vocab.num_words, dim=kv.vector_size)
