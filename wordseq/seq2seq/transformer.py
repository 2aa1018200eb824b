"""The encoder-decoder Transformer (Vaswani et al. 2017), with the recurrent network's interface.

``TransformerNet`` answers what ``decoder_lm.SourceConditionedLM`` and the trainer ask of
``network.Seq2SeqNet`` (``encode``, ``initial_state``, ``step``, ``forward``), so batching,
the one beam search of ``decoding.py``, ``transduce`` and the attention maps are shared.

Layers are pre-norm (the layer norm before each sub-layer, one after the stack): they
train without a learning-rate warm-up, which a short CPU run cannot afford. Embeddings
are scaled by √d and added to sinusoidal positions; the target embedding is tied to the
output layer.

Decoding is incremental: the decoder's "hidden" state holds, for every layer, the normed
inputs of the positions decoded so far, (layers, B, t, d) — batch in dimension 1, as the
recurrent state, so ``select`` reorders beams the same way — and each step computes the
new position alone against them. The attention weights shown are the last layer's
cross-attention, averaged over heads.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from wordseq.positions import sinusoidal_positions
from wordseq.seq2seq.config import TRANSFORMER_POSITIONS, Seq2SeqConfig
from wordseq.seq2seq.network import NEVER_EMITTED, Encoded, Hidden
from wordseq.vocab import Vocabulary


class DecoderLayer(nn.Module):
    """Masked self-attention, cross-attention over the source, feed-forward; pre-norm."""

    def __init__(self, d: int, heads: int, ff: int, dropout: float) -> None:
        super().__init__()
        self.self_attn = nn.MultiheadAttention(d, heads, dropout=dropout, batch_first=True)
        self.cross_attn = nn.MultiheadAttention(d, heads, dropout=dropout, batch_first=True)
        self.ff = nn.Sequential(nn.Linear(d, ff), nn.ReLU(), nn.Dropout(dropout), nn.Linear(ff, d))
        self.norm_self, self.norm_cross, self.norm_ff = nn.LayerNorm(d), nn.LayerNorm(d), nn.LayerNorm(d)
        self.drop = nn.Dropout(dropout)

    def forward(
        self, x: torch.Tensor, past: torch.Tensor | None, memory: torch.Tensor, padding: torch.Tensor,
        causal: torch.Tensor | None, need_weights: bool,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """x (B, T, d) the positions computed now; ``past`` (B, P, d) the normed inputs of the
        earlier ones (decoding) or None (training, with ``causal``). Returns the outputs, the
        normed inputs of every position so far (the next step's ``past``) and the
        cross-attention weights (B, T, S) averaged over heads when asked for."""
        h = self.norm_self(x)
        seen = h if past is None else torch.cat([past, h], dim=1)
        x = x + self.drop(self.self_attn(h, seen, seen, attn_mask=causal, need_weights=False)[0])
        h = self.norm_cross(x)
        att, weights = self.cross_attn(h, memory, memory, key_padding_mask=padding, need_weights=need_weights)
        x = x + self.drop(att)
        x = x + self.drop(self.ff(self.norm_ff(x)))
        return x, seen, weights


class TransformerNet(nn.Module):
    """Encoder and decoder stacks built from a ``Seq2SeqConfig`` (``arch="transformer"``):
    ``hidden`` is the model size, ``heads`` the attention heads, ``ff`` the feed-forward size."""

    positions: torch.Tensor  # (TRANSFORMER_POSITIONS, d) sinusoids, a buffer

    def __init__(self, config: Seq2SeqConfig, source_vocab_size: int, target_vocab_size: int) -> None:
        super().__init__()
        self.config = config
        d = config.hidden
        self.src_embed = nn.Embedding(source_vocab_size, d, padding_idx=Vocabulary.pad_id)
        self.tgt_embed = nn.Embedding(target_vocab_size, d, padding_idx=Vocabulary.pad_id)
        layer = nn.TransformerEncoderLayer(d, config.heads, config.ff_size, config.dropout, batch_first=True,
                                           norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, config.encoder_layers, norm=nn.LayerNorm(d),
                                             enable_nested_tensor=False)
        self.layers = nn.ModuleList(DecoderLayer(d, config.heads, config.ff_size, config.dropout)
                                    for _ in range(config.decoder_layers))
        self.norm = nn.LayerNorm(d)
        self.out = nn.Linear(d, target_vocab_size)
        self.drop = nn.Dropout(config.dropout)
        self.register_buffer("positions", sinusoidal_positions(TRANSFORMER_POSITIONS, d), persistent=False)
        self.register_buffer("never_emitted", torch.tensor(NEVER_EMITTED), persistent=False)
        self.init_weights()
        self.out.weight = self.tgt_embed.weight  # tied: the output layer scores against the embeddings

    def init_weights(self) -> None:
        for p in self.parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)
        for embed in (self.src_embed, self.tgt_embed):
            nn.init.normal_(embed.weight, 0.0, self.config.hidden ** -0.5)
            with torch.no_grad():
                embed.weight[Vocabulary.pad_id].zero_()

    def _embed(self, embed: nn.Embedding, tokens: torch.Tensor, start: int = 0) -> torch.Tensor:
        x = embed(tokens) * math.sqrt(self.config.hidden)
        return self.drop(x + self.positions[start : start + tokens.size(1)])

    def encode(self, src: torch.Tensor, lengths: torch.Tensor) -> Encoded:
        mask = torch.arange(src.size(1), device=src.device).unsqueeze(0) < lengths.to(src.device).unsqueeze(1)
        memory = self.encoder(self._embed(self.src_embed, src), src_key_padding_mask=~mask)
        memory = memory.masked_fill(~mask.unsqueeze(-1), 0.0)
        # ``final`` feeds the recurrent decoder's bridge only; here the mean of the source
        final = memory.sum(1) / lengths.to(src.device).unsqueeze(1).clamp(min=1)
        return Encoded(memory, memory, mask, final)

    def initial_state(self, enc: Encoded) -> tuple[torch.Tensor, None]:
        """No position decoded yet: an empty (layers, B, 0, d) cache, and no fed vector."""
        rows = enc.memory.size(0)
        return enc.memory.new_zeros(len(self.layers), rows, 0, self.config.hidden), None

    def _decode(
        self, x: torch.Tensor, cache: torch.Tensor | None, enc: Encoded, need_weights: bool,
    ) -> tuple[torch.Tensor, list[torch.Tensor], torch.Tensor | None]:
        causal = None
        if cache is None:  # training: every position at once, each seeing those before it
            causal = torch.ones(x.size(1), x.size(1), dtype=torch.bool, device=x.device).triu(1)
        seen_all, weights = [], None
        for i, layer in enumerate(self.layers):
            last = i == len(self.layers) - 1
            x, seen, w = layer(x, None if cache is None else cache[i], enc.memory, ~enc.mask, causal,
                               need_weights and last)
            seen_all.append(seen)
            weights = w if last else weights
        return self.norm(x), seen_all, weights

    def step(
        self, tokens: torch.Tensor, hidden: Hidden, feed: torch.Tensor | None, enc: Encoded
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """One decoding step for tokens (B,): log-probs (B, V) with never-emitted tokens at
        -inf, the grown cache, the output vector (B, d) and the attention weights (B, S)."""
        assert isinstance(hidden, torch.Tensor)  # the cache; a recurrent state is a pair or one tensor too
        x = self._embed(self.tgt_embed, tokens.unsqueeze(1), start=hidden.size(2))
        out, seen, weights = self._decode(x, hidden, enc, need_weights=True)
        logits = self.out(out[:, 0]).float()
        logits = logits.index_fill(-1, self.never_emitted, float("-inf"))  # type: ignore[arg-type]
        assert weights is not None
        return F.log_softmax(logits, dim=-1), torch.stack(seen), out[:, 0], weights[:, 0]

    def forward(
        self, src: torch.Tensor, lengths: torch.Tensor, tgt_in: torch.Tensor, tgt_out: torch.Tensor,
        teacher_forcing: float = 1.0, generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Summed cross-entropy of ``tgt_out`` (B, T) given ``tgt_in`` (``<s>`` + target),
        every position at once (teacher forcing only: the config refuses less);
        label-smoothed while training."""
        enc = self.encode(src, lengths)
        out, _, _ = self._decode(self._embed(self.tgt_embed, tgt_in), None, enc, need_weights=False)
        logits = self.out(self.drop(out))
        smoothing = self.config.label_smoothing if self.training else 0.0
        return F.cross_entropy(logits.reshape(-1, logits.size(-1)), tgt_out.reshape(-1),
                               ignore_index=Vocabulary.pad_id, reduction="sum", label_smoothing=smoothing)
