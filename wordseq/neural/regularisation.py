"""The AWD-LSTM regularisers (Merity et al. 2017), each a no-op outside training.

- ``locked_dropout``: one dropout mask per sequence (column), the same at every time
  step (Gal & Ghahramani 2016), so a unit is off for the whole window.
- ``embedding_dropout``: drops whole word types: every occurrence of a dropped word in
  the batch gets a zero vector (rows scaled by 1/(1-p) as dropout does).
- ``dropped_weight``: DropConnect on a weight matrix (Wan et al. 2013); the recurrent
  model runs its fused ``nn.LSTM`` with the dropped matrix in place of the parameter
  (``torch.func.functional_call``), so the fast kernel stays in use and the gradient
  reaches the parameter.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def locked_dropout(x: torch.Tensor, p: float, training: bool) -> torch.Tensor:
    """Dropout of a (T, B, D) tensor with one mask per column, shared over time."""
    if not training or p == 0.0:
        return x
    mask = x.new_empty(1, x.size(1), x.size(2)).bernoulli_(1 - p).div_(1 - p)
    return x * mask


def embedding_dropout(embedded: torch.Tensor, idx: torch.Tensor, vocab_size: int, p: float,
                      training: bool) -> torch.Tensor:
    """Zero the vectors of whole word types: ``embedded`` = embedding(idx)."""
    if not training or p == 0.0:
        return embedded
    keep = torch.empty(vocab_size, device=embedded.device).bernoulli_(1 - p).div_(1 - p)
    return embedded * keep[idx].unsqueeze(-1).to(embedded.dtype)


def dropped_weight(weight: torch.Tensor, p: float, training: bool) -> torch.Tensor:
    """DropConnect: the weight with a fraction ``p`` of its entries zeroed (training only)."""
    if not training or p == 0.0:
        return weight
    return F.dropout(weight, p, training=True)
