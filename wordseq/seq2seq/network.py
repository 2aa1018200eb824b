"""The encoder-decoder network: a recurrent encoder, attention, a recurrent decoder.

Luong, Pham & Manning (2015), "Effective Approaches to Attention-based Neural Machine
Translation": at step t the decoder RNN reads the previous target token (and, with input
feeding, the previous attentional vector h̃ₜ₋₁), gives hₜ; attention weights over the
source positions come from score(hₜ, sₛ), softmaxed over the real (unpadded) positions;
the context cₜ = Σ aₜₛ sₛ gives h̃ₜ = tanh(W_c [cₜ; hₜ]), and the next-token logits are
W_out h̃ₜ. Tensors are batch-first: sources (B, S), targets (B, T).

The decoder starts from tanh(W_b e), e being the encoder's last state (both directions'
final states side by side for a bidirectional encoder), in every decoder layer.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from wordseq.seq2seq.config import Seq2SeqConfig
from wordseq.vocab import Vocabulary

# LSTM state is (h, c); GRU state is h. Each tensor is (layers, B, hidden).
Hidden = torch.Tensor | tuple[torch.Tensor, torch.Tensor]
# Target tokens a decoder never emits: their logits are -inf when decoding.
NEVER_EMITTED = (Vocabulary.pad_id, Vocabulary.unk_id, Vocabulary.bos_id)


def _rnn(cell: str, inputs: int, hidden: int, layers: int, dropout: float, bidirectional: bool = False) -> nn.RNNBase:
    kind = nn.LSTM if cell == "lstm" else nn.GRU
    return kind(inputs, hidden, layers, batch_first=True, bidirectional=bidirectional,
                dropout=dropout if layers > 1 else 0.0)


@dataclass
class Encoded:
    """Sources as the decoder sees them (batch-first, B rows)."""

    memory: torch.Tensor  # (B, S, H) encoder outputs
    keys: torch.Tensor  # (B, S, H) memory as attention compares it (projected for general / additive)
    mask: torch.Tensor  # (B, S) True at real source positions
    final: torch.Tensor  # (B, H) the encoder's last state

    def select(self, rows: torch.Tensor) -> Encoded:
        return Encoded(*(t.index_select(0, rows) for t in (self.memory, self.keys, self.mask, self.final)))


class Encoder(nn.Module):
    """The recurrent encoder (one direction or both) over the source tokens."""

    def __init__(self, config: Seq2SeqConfig, vocab_size: int) -> None:
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(vocab_size, config.emb, padding_idx=Vocabulary.pad_id)
        size = config.hidden // 2 if config.bidirectional else config.hidden
        self.rnn = _rnn(config.encoder_cell, config.emb, size, config.encoder_layers, config.dropout,
                        config.bidirectional)
        self.drop = nn.Dropout(config.dropout)

    def forward(self, src: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Outputs (B, S, H) (zeros at padding) and the last state (B, H)."""
        emb = self.drop(self.embed(src))
        packed = pack_padded_sequence(emb, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, state = self.rnn(packed)
        memory, _ = pad_packed_sequence(out, batch_first=True, total_length=src.size(1))
        h = state[0] if isinstance(state, tuple) else state  # (layers × directions, B, size)
        final = torch.cat([h[-2], h[-1]], dim=-1) if self.config.bidirectional else h[-1]
        return memory, final


class Attention(nn.Module):
    """Scores of a query against every source position, softmaxed over the real ones."""

    def __init__(self, kind: str, hidden: int) -> None:
        super().__init__()
        self.kind = kind
        if kind == "general":
            self.key = nn.Linear(hidden, hidden, bias=False)  # hᵀ W s = h · (W s)
        elif kind == "additive":
            self.key = nn.Linear(hidden, hidden)
            self.query = nn.Linear(hidden, hidden, bias=False)
            self.v = nn.Linear(hidden, 1, bias=False)

    def keys(self, memory: torch.Tensor) -> torch.Tensor:
        """The part of the score that depends on the source only: computed once per source."""
        return memory if self.kind == "dot" else self.key(memory)

    def forward(
        self, query: torch.Tensor, keys: torch.Tensor, memory: torch.Tensor, mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """query (B, T, H) → context (B, T, H) and weights (B, T, S) summing to 1 over S."""
        if self.kind == "additive":
            scores = self.v(torch.tanh(keys.unsqueeze(1) + self.query(query).unsqueeze(2))).squeeze(-1)
        else:
            scores = torch.bmm(query, keys.transpose(1, 2))
        scores = scores.masked_fill(~mask.unsqueeze(1), float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        return torch.bmm(weights, memory), weights


class Decoder(nn.Module):
    """The recurrent decoder, attending over the encoder's outputs (unless ``attention`` is ``none``)."""

    def __init__(self, config: Seq2SeqConfig, vocab_size: int) -> None:
        super().__init__()
        self.config = config
        H = config.hidden
        self.embed = nn.Embedding(vocab_size, config.emb, padding_idx=Vocabulary.pad_id)
        self.rnn = _rnn(config.decoder, config.emb + (H if config.input_feeding else 0), H,
                        config.decoder_layers, config.dropout)
        self.attention = Attention(config.attention, H) if config.attention != "none" else None
        self.combine = nn.Linear(2 * H, H, bias=False) if self.attention is not None else None
        self.out = nn.Linear(H, vocab_size)
        self.drop = nn.Dropout(config.dropout)

    def forward(
        self, tokens: torch.Tensor, hidden: Hidden, feed: torch.Tensor | None, enc: Encoded
    ) -> tuple[torch.Tensor, Hidden, torch.Tensor | None]:
        """Run T steps on given input tokens (B, T); with input feeding T must be 1.

        Returns the attentional vectors h̃ (B, T, H) (the RNN outputs without attention),
        the new hidden state and the attention weights (B, T, S) or None.
        """
        x = self.drop(self.embed(tokens))
        if self.config.input_feeding:
            assert feed is not None and tokens.size(1) == 1
            x = torch.cat([x, feed.unsqueeze(1)], dim=-1)
        out, hidden = self.rnn(x, hidden)
        if self.attention is None:
            return out, hidden, None
        assert self.combine is not None
        context, weights = self.attention(out, enc.keys, enc.memory, enc.mask)
        return torch.tanh(self.combine(torch.cat([context, out], dim=-1))), hidden, weights

    def logits(self, attentional: torch.Tensor) -> torch.Tensor:
        return self.out(self.drop(attentional))


class Seq2SeqNet(nn.Module):
    """Encoder, bridge and decoder built from a ``Seq2SeqConfig`` and the two vocabulary sizes."""

    def __init__(self, config: Seq2SeqConfig, source_vocab_size: int, target_vocab_size: int) -> None:
        super().__init__()
        self.config = config
        self.encoder = Encoder(config, source_vocab_size)
        self.bridge = nn.Linear(config.hidden, config.hidden)
        self.decoder = Decoder(config, target_vocab_size)
        self.register_buffer("never_emitted", torch.tensor(NEVER_EMITTED), persistent=False)
        self.init_weights()

    def init_weights(self) -> None:
        # uniform ±0.1 for every weight, as in Luong et al. and OpenNMT's defaults
        for p in self.parameters():
            nn.init.uniform_(p, -0.1, 0.1)

    def encode(self, src: torch.Tensor, lengths: torch.Tensor) -> Encoded:
        memory, final = self.encoder(src, lengths)
        mask = torch.arange(src.size(1), device=src.device).unsqueeze(0) < lengths.to(src.device).unsqueeze(1)
        keys = self.decoder.attention.keys(memory) if self.decoder.attention is not None else memory
        return Encoded(memory, keys, mask, final)

    def initial_state(self, enc: Encoded) -> tuple[Hidden, torch.Tensor | None]:
        """The decoder's first hidden state and (with input feeding) a zero h̃₀."""
        cfg = self.config
        h0 = torch.tanh(self.bridge(enc.final)).unsqueeze(0).repeat(cfg.decoder_layers, 1, 1).contiguous()
        hidden: Hidden = (h0, torch.zeros_like(h0)) if cfg.decoder == "lstm" else h0
        feed = enc.final.new_zeros(enc.final.size(0), cfg.hidden) if cfg.input_feeding else None
        return hidden, feed

    def step(
        self, tokens: torch.Tensor, hidden: Hidden, feed: torch.Tensor | None, enc: Encoded
    ) -> tuple[torch.Tensor, Hidden, torch.Tensor, torch.Tensor | None]:
        """One decoding step for tokens (B,): log-probs (B, V) with never-emitted tokens at
        -inf, the new hidden state, h̃ (B, H) and the attention weights (B, S) or None."""
        att, hidden, weights = self.decoder(tokens.unsqueeze(1), hidden, feed, enc)
        logits = self.decoder.logits(att[:, 0]).float()
        logits = logits.index_fill(-1, self.never_emitted, float("-inf"))  # type: ignore[arg-type]
        return F.log_softmax(logits, dim=-1), hidden, att[:, 0], None if weights is None else weights[:, 0]

    def forward(
        self,
        src: torch.Tensor,
        lengths: torch.Tensor,
        tgt_in: torch.Tensor,
        tgt_out: torch.Tensor,
        teacher_forcing: float = 1.0,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Summed cross-entropy of ``tgt_out`` (B, T) given ``tgt_in`` (``<s>`` + target).

        With ``teacher_forcing`` < 1, each step feeds the gold previous token with that
        probability (per row) and the model's own best guess otherwise.
        """
        enc = self.encode(src, lengths)
        hidden, feed = self.initial_state(enc)
        if teacher_forcing >= 1.0 and not self.config.input_feeding:
            # every input is known in advance: one call of the fused RNN for all steps
            att, _, _ = self.decoder(tgt_in, hidden, None, enc)
            logits = self.decoder.logits(att)
        else:
            logits = self._stepwise(tgt_in, hidden, feed, enc, teacher_forcing, generator)
        smoothing = self.config.label_smoothing if self.training else 0.0
        return F.cross_entropy(logits.reshape(-1, logits.size(-1)), tgt_out.reshape(-1),
                               ignore_index=Vocabulary.pad_id, reduction="sum", label_smoothing=smoothing)

    def _stepwise(
        self, tgt_in: torch.Tensor, hidden: Hidden, feed: torch.Tensor | None, enc: Encoded,
        teacher_forcing: float, generator: torch.Generator | None,
    ) -> torch.Tensor:
        steps = []
        tokens = tgt_in[:, 0]
        for t in range(tgt_in.size(1)):
            att, hidden, _ = self.decoder(tokens.unsqueeze(1), hidden, feed, enc)
            feed = att[:, 0]
            if teacher_forcing >= 1.0:
                steps.append(feed)
                if t + 1 < tgt_in.size(1):
                    tokens = tgt_in[:, t + 1]
                continue
            logits = self.decoder.logits(feed)
            steps.append(logits)
            if t + 1 < tgt_in.size(1):
                gold = torch.rand(tokens.size(0), generator=generator, device="cpu").to(tokens.device) < teacher_forcing
                tokens = torch.where(gold, tgt_in[:, t + 1], logits.detach().argmax(-1))
        stacked = torch.stack(steps, dim=1)
        # with full teacher forcing the output layer runs once over all steps
        return self.decoder.logits(stacked) if teacher_forcing >= 1.0 else stacked
