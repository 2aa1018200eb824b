"""The classifier network: embeddings → encoder (RNN both ways, one way, or a bag) →
pooling over tokens → dropout → one linear layer to class scores.

Inputs are batch-first, padded with ``<pad>`` (id 0) and come with their lengths. RNN
encoders run on packed sequences, so no state ever sees padding: the backward direction
of a bidirectional RNN starts at each text's own last token.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from wordseq.classify.config import ClassifierConfig

_RNN = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}


@dataclass
class Batch:
    """Padded token ids (B, T), their lengths (B,), and for ``bow`` the ids of the
    bigram at each position t (tokens t and t+1; ``<pad>`` where there is none)."""

    ids: torch.Tensor
    lengths: torch.Tensor
    bigrams: torch.Tensor | None = None

    def to(self, device: torch.device) -> Batch:
        bigrams = self.bigrams.to(device) if self.bigrams is not None else None
        return Batch(self.ids.to(device), self.lengths.to(device), bigrams)


@dataclass
class Output:
    """Class scores (B, C) and, with attention pooling, the weights (B, T) it gave tokens."""

    logits: torch.Tensor
    attention: torch.Tensor | None = None


class AttentionPool(nn.Module):
    """Additive attention with one learned query (Yang et al. 2016): a softmax over the
    tokens of each text picks what the class decision reads."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.proj = nn.Linear(dim, dim)
        self.query = nn.Linear(dim, 1, bias=False)

    def forward(self, states: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        scores = self.query(torch.tanh(self.proj(states))).squeeze(-1)
        weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=1)
        return torch.bmm(weights.unsqueeze(1), states).squeeze(1), weights


class ClassifierNetwork(nn.Module):
    """The network a ``ClassifierConfig`` describes; ``forward(batch)`` gives an ``Output``."""

    def __init__(self, config: ClassifierConfig) -> None:
        super().__init__()
        self.config = config
        # Sparse gradients: a step updates only the rows of the words in its batch, so
        # its cost follows the batch, not the vocabulary (the bigram table is large).
        self.embedding = nn.Embedding(config.vocab_size, config.emb, padding_idx=0, sparse=True)
        self.drop = nn.Dropout(config.dropout)
        self.bigram_embedding: nn.Embedding | None = None
        self.rnn: nn.RNNBase | None = None
        if config.cell is None:
            if config.bigram_vocab_size:
                self.bigram_embedding = nn.Embedding(config.bigram_vocab_size, config.emb, padding_idx=0, sparse=True)
            dim = config.emb
        else:
            kwargs = {"nonlinearity": "tanh"} if config.cell == "rnn" else {}
            self.rnn = _RNN[config.cell](
                config.emb, config.hidden, config.layers, batch_first=True,
                bidirectional=config.bidirectional, dropout=config.dropout if config.layers > 1 else 0.0, **kwargs,
            )
            dim = config.hidden * (2 if config.bidirectional else 1)
        self.attention = AttentionPool(dim) if config.pool == "attention" else None
        self.out = nn.Linear(dim, len(config.labels))
        self.init_weights()

    def init_weights(self) -> None:
        # Kim (2014) starts words without a pre-trained vector from U[-0.25, 0.25], about
        # the spread of word2vec's components, so both kinds of rows start alike. <unk>
        # starts at zero: every training word is in the vocabulary by default, so its row
        # may never be trained, and an unseen word should add nothing rather than noise.
        for table in (self.embedding, self.bigram_embedding):
            if table is not None:
                nn.init.uniform_(table.weight, -0.25, 0.25)
                with torch.no_grad():
                    table.weight[:2].zero_()

    def embed(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Word vectors (B, T, E) and, for bow with bigrams, bigram vectors (B, T, E)."""
        words = self.embedding(batch.ids)
        grams = None
        if self.bigram_embedding is not None and batch.bigrams is not None:
            grams = self.bigram_embedding(batch.bigrams)
        return words, grams

    def forward(self, batch: Batch) -> Output:
        words, grams = self.embed(batch)
        return self.forward_embedded(batch, words, grams)

    def logits(self, ids: torch.Tensor, lengths: torch.Tensor, bigrams: torch.Tensor | None = None) -> torch.Tensor:
        """Class scores from plain tensors (what an exported graph takes as inputs)."""
        return self(Batch(ids, lengths, bigrams)).logits  # type: ignore[no-any-return]

    def forward_embedded(self, batch: Batch, words: torch.Tensor, grams: torch.Tensor | None = None) -> Output:
        """The rest of ``forward`` from given embeddings (saliency takes their gradient)."""
        cfg = self.config
        mask = torch.arange(batch.ids.size(1), device=batch.ids.device)[None, :] < batch.lengths[:, None]
        words = self.drop(words)
        final: torch.Tensor | None = None
        if self.rnn is None:
            states = words
            if grams is not None:
                # bigrams outside the training vocabulary are <pad> and take no part
                assert batch.bigrams is not None
                states = torch.cat([words, self.drop(grams)], dim=1)
                mask = torch.cat([mask, batch.bigrams != 0], dim=1)
        else:
            packed = pack_padded_sequence(words, batch.lengths.cpu(), batch_first=True, enforce_sorted=False)
            out, hidden = self.rnn(packed)
            states, _ = pad_packed_sequence(out, batch_first=True, total_length=batch.ids.size(1))
            if cfg.pool == "last":
                h = hidden[0] if isinstance(hidden, tuple) else hidden
                # h is (layers·directions, B, H): the top layer's forward state after the
                # last token, and its backward state after the first token
                final = torch.cat([h[-2], h[-1]], dim=1) if cfg.bidirectional else h[-1]
        attention = None
        if cfg.pool == "last":
            assert final is not None
            pooled = final
        elif cfg.pool == "max":
            pooled = states.masked_fill(~mask[:, :, None], float("-inf")).max(dim=1).values
        elif cfg.pool == "mean":
            pooled = (states * mask[:, :, None]).sum(dim=1) / mask.sum(dim=1, keepdim=True).clamp(min=1)
        else:
            assert self.attention is not None
            pooled, attention = self.attention(states, mask)
        return Output(self.out(self.drop(pooled)), attention)
