"""The output layer: a linear map to the vocabulary and its softmax, whole or adaptive.

The adaptive softmax (Grave et al. 2017, "Efficient softmax approximation for GPUs")
factors p(w) = p(cluster | h) · p(w | cluster, h): the most frequent ids and one entry per
cluster form the head, and the rarer ids fall into a few frequency bands (ids are sorted
by count, so a band is a range of ids). The probabilities stay exact and normalised, but
training computes a band's logits only for the tokens whose target lies in it: on a
26 k-word vocabulary the output layer costs about a sixth of the full softmax.

Unlike ``nn.AdaptiveLogSoftmaxWithLoss`` the bands keep the full vector size and share
one (V, D) weight matrix, so the layer can be tied to the input embedding as a full one.
``<pad>`` and ``<s>`` never come next: scoring and decoding give them -inf.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from wordseq.vocab import Vocabulary

NEVER_PREDICTED = (Vocabulary.pad_id, Vocabulary.bos_id)


class OutputLayer(nn.Module):
    """The output layer: a full softmax, or an adaptive one (Grave et al. 2017) with ``cutoffs``."""

    never_predicted: torch.Tensor

    def __init__(self, dim: int, vocab_size: int, cutoffs: tuple[int, ...] = ()) -> None:
        super().__init__()
        self.vocab_size = vocab_size
        self.cutoffs = tuple(cutoffs)
        self.weight = nn.Parameter(torch.empty(vocab_size, dim))
        self.bias = nn.Parameter(torch.zeros(vocab_size))
        if self.cutoffs:
            self.cluster_weight = nn.Parameter(torch.zeros(len(self.cutoffs), dim))
            self.cluster_bias = nn.Parameter(torch.zeros(len(self.cutoffs)))
        self.register_buffer("never_predicted", torch.tensor(NEVER_PREDICTED), persistent=False)
        nn.init.uniform_(self.weight, -0.1, 0.1)

    @property
    def adaptive(self) -> bool:
        return bool(self.cutoffs)

    def _bands(self) -> list[tuple[int, int]]:
        edges = [*self.cutoffs, self.vocab_size]
        return list(zip(edges[:-1], edges[1:]))

    def _head_logprobs(self, h: torch.Tensor, mask: bool) -> torch.Tensor:
        head = self.cutoffs[0]
        logits = torch.cat([F.linear(h, self.weight[:head], self.bias[:head]),
                            F.linear(h, self.cluster_weight, self.cluster_bias)], dim=-1).float()
        if mask:
            logits = logits.index_fill(-1, self.never_predicted, float("-inf"))
        return F.log_softmax(logits, dim=-1)

    def log_probs(self, h: torch.Tensor) -> torch.Tensor:
        """(..., V) log-probabilities of every token, float32, -inf for ``<pad>`` / ``<s>``."""
        if not self.adaptive:
            logits = F.linear(h, self.weight, self.bias).float()
            return F.log_softmax(logits.index_fill(-1, self.never_predicted, float("-inf")), dim=-1)
        head = self._head_logprobs(h, mask=True)
        parts = [head[..., : self.cutoffs[0]]]
        for i, (lo, hi) in enumerate(self._bands()):
            band = F.log_softmax(F.linear(h, self.weight[lo:hi], self.bias[lo:hi]).float(), dim=-1)
            parts.append(band + head[..., self.cutoffs[0] + i : self.cutoffs[0] + i + 1])
        return torch.cat(parts, dim=-1)

    def target_logprobs(self, h: torch.Tensor, targets: torch.Tensor, mask: bool = True) -> torch.Tensor:
        """Log-probability of each target (shape of ``targets``), float32.

        ``mask`` gives ``<pad>`` / ``<s>`` no mass (scoring); training leaves them in the
        softmax, as they are never targets and training drives them down anyway.
        """
        if not self.adaptive:
            logits = F.linear(h, self.weight, self.bias).float()
            if mask:
                logits = logits.index_fill(-1, self.never_predicted, float("-inf"))
            return F.log_softmax(logits, dim=-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)
        shape = targets.shape
        flat_h = h.reshape(-1, h.size(-1))
        flat_t = targets.reshape(-1)
        head_lp = self._head_logprobs(flat_h, mask)
        head = self.cutoffs[0]
        out = head_lp.gather(1, flat_t.clamp(max=head - 1).unsqueeze(1)).squeeze(1)
        for i, (lo, hi) in enumerate(self._bands()):
            # every band runs, even on no rows, so each parameter is in every step's graph
            # (DistributedDataParallel expects that)
            rows = torch.nonzero((flat_t >= lo) & (flat_t < hi)).squeeze(1)
            band = F.log_softmax(F.linear(flat_h[rows], self.weight[lo:hi], self.bias[lo:hi]).float(), dim=-1)
            within = band.gather(1, (flat_t[rows] - lo).unsqueeze(1)).squeeze(1)
            out = out.index_copy(0, rows, within + head_lp[rows, head + i])
        return out.view(shape)

    def loss(self, h: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Mean negative log-likelihood of the targets (training)."""
        if not self.adaptive:
            logits = F.linear(h, self.weight, self.bias)
            return F.cross_entropy(logits.reshape(-1, logits.size(-1)).float(), targets.reshape(-1))
        return -self.target_logprobs(h, targets, mask=False).mean()
