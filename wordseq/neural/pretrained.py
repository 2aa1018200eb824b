"""Starting an LM's input embeddings from a wordseq embeddings model (``--init-embeddings``),
through the copy the classifier uses too (``wordseq.pretrained``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wordseq.pretrained import PretrainedVectors, copy_vectors, load_pretrained
from wordseq.text.preprocess import PreprocessConfig
from wordseq.vocab import Vocabulary


@dataclass
class EmbeddingInit:
    """How many vocabulary words got a pre-trained vector, and from where."""

    found: int  # vocabulary words that got a pretrained vector
    words: int  # vocabulary words (specials aside)
    dim: int
    path: Path


def pretrained_vectors(name_or_path: str, units: PreprocessConfig) -> tuple[PretrainedVectors, Path]:
    """The vectors of a saved embeddings model (NAME or PATH), and its folder; they must be
    of the ``units`` the LM reads (``load_pretrained``)."""
    vectors = load_pretrained(name_or_path, units)
    return vectors, Path(vectors.source)


def init_embeddings(weight: Any, vocab: Vocabulary, name_or_path: str, units: PreprocessConfig) -> EmbeddingInit:
    """Copy the vectors of the words both know into ``weight`` (rows in ``vocab`` order);
    the other rows keep their random start."""
    vectors, path = pretrained_vectors(name_or_path, units)
    return EmbeddingInit(copy_vectors(weight, vocab, vectors), vocab.num_words, vectors.dim, path)
