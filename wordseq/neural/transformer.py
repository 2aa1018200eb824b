"""TransformerModel: a causal self-attention language model, the baseline of PyTorch's
word_language_model (``--model Transformer``), trained by the same loop as the RNNs.

As in the example, a model sees windows of ``context`` tokens (its training ``--bptt``)
with sinusoidal positional encodings, and nothing is carried from one training window to
the next. Blocks are pre-norm (the nanoGPT layout; it trains without warm-up at the
learning rates the RNNs use).

For decoding, the state of a row is its token history as a key/value cache, so each new
token costs one attention row rather than a pass over the whole history. A window never
grows past ``context`` positions (the model was never trained on more): when it is full
it restarts from its last ``context // 2`` tokens. ``decoding_window`` states the rule,
so a model without cache gives the very same distributions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from wordseq.neural.config import LMConfig
from wordseq.neural.regularisation import embedding_dropout
from wordseq.neural.softmax import OutputLayer
from wordseq.positions import sinusoidal_positions


def decoding_window(length: int, context: int) -> int:
    """How many of the last ``length`` tokens of a history a decoding state attends to:
    all while they fit in ``context``; past that the window restarts from its last
    ``context // 2`` tokens whenever it is full."""
    if length <= context:
        return length
    keep = max(1, context // 2)
    # after the first restart the window grows from keep to context, then restarts again
    return keep + (length - context - 1) % (context - keep + 1) if context > keep else keep


@dataclass
class KVCache:
    """Decoding state of B rows: the tokens of each row's window and, per layer, their
    keys and values (B, heads, n, head_dim)."""

    tokens: torch.Tensor  # (B, n)
    keys: list[torch.Tensor]
    values: list[torch.Tensor]

    @property
    def length(self) -> int:
        return self.tokens.size(1)

    def select(self, rows: torch.Tensor) -> KVCache:
        return KVCache(self.tokens.index_select(0, rows), [k.index_select(0, rows) for k in self.keys],
                       [v.index_select(0, rows) for v in self.values])


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention that sees only earlier positions (and the cached ones when generating)."""

    def __init__(self, dim: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.dropout = dropout

    def forward(self, x: torch.Tensor, past: tuple[torch.Tensor, torch.Tensor] | None = None
                ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """x: (B, T, D). With ``past`` (keys, values of earlier positions) the T new
        positions attend to those and to each other causally."""
        B, T, D = x.shape
        q, k, v = self.qkv(x).split(D, dim=-1)
        q, k, v = (t.view(B, T, self.heads, D // self.heads).transpose(1, 2) for t in (q, k, v))
        if past is not None and past[0].size(2):
            k = torch.cat([past[0], k], dim=2)
            v = torch.cat([past[1], v], dim=2)
        n = k.size(2)
        p = self.dropout if self.training else 0.0
        if n == T:
            y = F.scaled_dot_product_attention(q, k, v, dropout_p=p, is_causal=True)
        else:
            # new position t (absolute n - T + t) sees every key up to itself
            mask = torch.ones(T, n, dtype=torch.bool, device=x.device).tril(diagonal=n - T)
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=p)
        y = y.transpose(1, 2).reshape(B, T, D)
        return F.dropout(self.proj(y), p, self.training), (k, v)


class Block(nn.Module):
    """A pre-norm transformer block: causal self-attention, then a feed-forward layer."""

    def __init__(self, dim: int, heads: int, ff: int, dropout: float) -> None:
        super().__init__()
        self.ln1 = nn.LayerNorm(dim)
        self.attn = CausalSelfAttention(dim, heads, dropout)
        self.ln2 = nn.LayerNorm(dim)
        self.ff1 = nn.Linear(dim, ff)
        self.ff2 = nn.Linear(ff, dim)
        self.dropout = dropout

    def forward(self, x: torch.Tensor, past: tuple[torch.Tensor, torch.Tensor] | None = None
                ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        a, kv = self.attn(self.ln1(x), past)
        x = x + a
        h = F.dropout(F.gelu(self.ff1(self.ln2(x))), self.dropout, self.training)
        return x + F.dropout(self.ff2(h), self.dropout, self.training), kv


class TransformerModel(nn.Module):
    """A decoder-only (GPT-style) transformer language model with sinusoidal positions."""

    def __init__(self, config: LMConfig) -> None:
        super().__init__()
        self.config = config
        self.encoder = nn.Embedding(config.vocab_size, config.emb)
        self.blocks = nn.ModuleList(Block(config.emb, config.heads, config.hidden, config.dropout)
                                    for _ in range(config.layers))
        self.ln_f = nn.LayerNorm(config.emb)
        self.decoder = OutputLayer(config.emb, config.vocab_size, config.cutoffs)
        if config.tie:
            self.decoder.weight = self.encoder.weight  # type: ignore[assignment]
        self.init_weights()

    def init_weights(self) -> None:
        nn.init.uniform_(self.encoder.weight, -0.1, 0.1)
        nn.init.zeros_(self.decoder.bias)
        for block in self._blocks():
            for lin in (block.attn.qkv, block.attn.proj, block.ff1, block.ff2):
                nn.init.normal_(lin.weight, std=0.02)
                nn.init.zeros_(lin.bias)
            # residual projections scaled by depth (GPT-2)
            for lin in (block.attn.proj, block.ff2):
                nn.init.normal_(lin.weight, std=0.02 / math.sqrt(2 * self.config.layers))

    def _blocks(self) -> list[Block]:
        return [b for b in self.blocks if isinstance(b, Block)]

    def init_hidden(self, batch_size: int) -> None:
        """Nothing is carried between training windows (as in the PyTorch example)."""
        return None

    def _embed(self, idx: torch.Tensor, offset: int = 0) -> torch.Tensor:
        """(B, T) ids → (B, T, D) inputs: scaled embeddings plus positions."""
        cfg = self.config
        d = cfg.emb
        x = embedding_dropout(self.encoder(idx), idx, cfg.vocab_size, cfg.dropout_embedding, self.training) * math.sqrt(d)
        x = x + sinusoidal_positions(idx.size(1), d, offset, idx.device).to(x.dtype)
        return F.dropout(x, cfg.dropout_input or 0.0, self.training)

    def features(self, idx: torch.Tensor, hidden: None = None) -> tuple[torch.Tensor, None]:
        """(T, B) ids → (T, B, D) final features; each position sees itself and earlier ones."""
        if idx.size(0) > self.config.context:
            return self._features_in_windows(idx), None
        x = self._embed(idx.t())
        for block in self._blocks():
            x, _ = block(x)
        x = F.dropout(self.ln_f(x), self.config.dropout, self.training)
        return x.transpose(0, 1), None

    def _features_in_windows(self, idx: torch.Tensor) -> torch.Tensor:
        c = self.config.context
        return torch.cat([self.features(idx[i : i + c])[0] for i in range(0, idx.size(0), c)], dim=0)

    def forward(self, idx: torch.Tensor, hidden: None, targets: torch.Tensor) -> tuple[torch.Tensor, None]:
        out, _ = self.features(idx)
        return self.decoder.loss(out, targets), None

    def score(self, idx: torch.Tensor, hidden: None, targets: torch.Tensor) -> tuple[torch.Tensor, None]:
        out, _ = self.features(idx)
        return self.decoder.target_logprobs(out, targets), None

    # -- decoding with a key/value cache ---------------------------------------------------

    @torch.no_grad()
    def extend(self, cache: KVCache | None, idx: torch.Tensor) -> tuple[torch.Tensor, KVCache]:
        """Add ``idx`` (B, T) to each row's window; return the log-probabilities of the
        next token (B, V) and the new cache. A window that would pass ``context`` restarts
        from its last tokens (see ``decoding_window``)."""
        c = self.config.context
        if cache is None:
            tokens = idx
        else:
            tokens = torch.cat([cache.tokens, idx], dim=1)
        if cache is not None and tokens.size(1) <= c:
            return self._run(idx, cache, tokens)
        # no cache yet, or the window is full: encode the window the rule keeps afresh
        cut = decoding_window(tokens.size(1), c) if cache is None else self._restart_length(cache.length, idx.size(1))
        return self._run(tokens[:, -cut:], None, tokens[:, -cut:])

    def _restart_length(self, length: int, new: int) -> int:
        n = length
        for _ in range(new):
            n = n + 1 if n < self.config.context else max(1, self.config.context // 2)
        return n

    def _run(self, idx: torch.Tensor, cache: KVCache | None, tokens: torch.Tensor) -> tuple[torch.Tensor, KVCache]:
        offset = cache.length if cache is not None else 0
        x = self._embed(idx, offset)
        keys, values = [], []
        for i, block in enumerate(self._blocks()):
            past = (cache.keys[i], cache.values[i]) if cache is not None else None
            x, (k, v) = block(x, past)
            keys.append(k)
            values.append(v)
        out = self.ln_f(x[:, -1])
        return self.decoder.log_probs(out), KVCache(tokens, keys, values)

    @torch.no_grad()
    def next_logprobs_uncached(self, history: torch.Tensor) -> torch.Tensor:
        """(B, V) next-token log-probabilities from a full pass over each row's window of
        ``history`` (B, L): what ``extend`` computes with its cache."""
        n = decoding_window(history.size(1), self.config.context)
        out, _ = self.features(history[:, -n:].t())
        return self.decoder.log_probs(out[-1])

    def select_state(self, cache: KVCache, rows: torch.Tensor) -> KVCache:
        return cache.select(rows)
