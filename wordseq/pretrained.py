"""Word vectors from an embeddings model as the start of a network's embedding table.

The neural LM and the classifier both take ``--init-embeddings MODEL``. The vectors come
through the store's loader (``load(name, "embeddings")``, the one every embeddings command
uses: ``vectors.npy`` without pickle, checksums checked), so neither family imports the
embeddings family, and the copy into the table is written once, here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from wordseq.errors import ModelError, OptionError
from wordseq.text.preprocess import PreprocessConfig
from wordseq.vocab import SPECIALS, Vocabulary


@dataclass
class PretrainedVectors:
    """Words in frequency order, their vectors, and where they came from."""

    words: list[str]
    vectors: np.ndarray
    index: dict[str, int]  # word -> row
    source: str
    preprocessing: dict[str, Any]
    # a fastText model's vector for a word outside ``index`` (the mean of its character
    # n-gram rows; None without one), as ``similar`` answers for it; None for word2vec
    unseen: Callable[[str], np.ndarray | None] | None = None

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])


def load_pretrained(name_or_path: str, units: PreprocessConfig | None = None) -> PretrainedVectors:
    """The vectors of an embeddings model (trained by wordseq or imported); with ``units``
    (the preprocessing of the model they start), an OptionError unless they are vectors of
    the same units: words, characters, or subword units of the same tokenizer."""
    from wordseq.store import load

    model = load(name_or_path, "embeddings")
    vectors = model.vectors
    pretrained = PretrainedVectors(vectors.words, np.asarray(vectors.vectors, dtype=np.float32), vectors.index,
                                   str(model.path), dict(model.meta.get("preprocessing") or {}),
                                   model.subwords.vector if model.subwords is not None else None)
    if units is not None:
        _check_units(pretrained, units)
    return pretrained


def _check_units(pretrained: PretrainedVectors, units: PreprocessConfig) -> None:
    def named(level: str) -> str:
        return {"word": "words", "char": "characters", "subword": "subword units"}.get(level, level)

    theirs = pretrained.preprocessing.get("level", "word")
    tokenizer = (pretrained.preprocessing.get("subword") or {}).get("sha256")
    if theirs != units.level:
        raise OptionError("--init-embeddings", f"the vectors of {pretrained.source} are of {named(theirs)}, but the "
                          f"model reads {named(units.level)}: train vectors at --level {units.level} (or leave "
                          "--init-embeddings out)")
    if units.subword is not None and tokenizer != units.subword.sha256:
        raise OptionError("--init-embeddings", f"the vectors of {pretrained.source} are of another tokenizer's "
                          "units: train them with the same --subword")


def copy_vectors(weight: Any, vocab: Vocabulary, pretrained: PretrainedVectors) -> int:
    """Copy the vectors of the vocabulary words the model knows into ``weight`` (a
    ``(len(vocab), dim)`` torch tensor, rows in ``vocab`` order); a fastText model gives the
    other words the mean of their n-gram rows too; the rest keep their start. Returns how
    many words got a vector."""
    import torch

    if pretrained.dim != weight.shape[1]:
        raise ModelError(
            f"the vectors of {pretrained.source} have {pretrained.dim} dimensions but --emb is "
            f"{weight.shape[1]}; leave --emb out or give --emb {pretrained.dim}"
        )
    rows, sources = [], []
    built: dict[int, np.ndarray] = {}  # rows whose vector comes from n-grams
    for i, word in enumerate(vocab.itos[len(SPECIALS):], len(SPECIALS)):
        j = pretrained.index.get(word)
        if j is not None:
            rows.append(i)
            sources.append(j)
        elif pretrained.unseen is not None and (vector := pretrained.unseen(word)) is not None:
            built[i] = vector
    with torch.no_grad():
        if rows:
            weight[torch.tensor(rows)] = torch.from_numpy(pretrained.vectors[np.array(sources)]).to(weight)
        if built:
            weight[torch.tensor(list(built))] = torch.from_numpy(np.stack(list(built.values()))).to(weight)
    return len(rows) + len(built)


def extend_vocabulary(vocab: Vocabulary, pretrained: PretrainedVectors, limit: int) -> Vocabulary:
    """``vocab`` plus the first ``limit`` words of the vectors it lacks (count 0), so a
    word that training never saw keeps its pre-trained vector instead of ``<unk>``'s."""
    if limit <= 0:
        return vocab
    extra = [w for w in pretrained.words[:limit] if w not in vocab.stoi]
    return Vocabulary(vocab.itos + extra, vocab.counts + [0] * len(extra))
