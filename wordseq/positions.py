"""Sinusoidal position encodings (Vaswani et al. 2017), shared by the Transformer
language model (``neural/transformer.py``) and the Transformer encoder-decoder
(``seq2seq/transformer.py``): families do not import each other, so the one table both
add to their embeddings lives below them."""

from __future__ import annotations

import math

import torch


def sinusoidal_positions(length: int, dim: int, offset: int = 0, device: torch.device | None = None) -> torch.Tensor:
    """(length, dim) encodings of positions offset..offset+length-1 (Vaswani et al. 2017)."""
    position = torch.arange(offset, offset + length, dtype=torch.float32, device=device).unsqueeze(1)
    div = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32, device=device) * (-math.log(10000.0) / dim))
    pe = torch.zeros(length, dim, device=device)
    pe[:, 0::2] = torch.sin(position * div)
    pe[:, 1::2] = torch.cos(position * div[: dim // 2])
    return pe
