"""RNNModel: embedding → dropout → stacked RNN / LSTM / GRU → dropout → linear decoder.

The layout of PyTorch's word_language_model, built from an ``LMConfig``. Inputs are
sequence-first, shape (T, B), as the fused recurrent modules expect.
"""

from __future__ import annotations

from typing import Union

import torch
import torch.nn.functional as F
from torch import nn

from wordseq.errors import InputError
from wordseq.neural.config import LMConfig
from wordseq.vocab import Vocabulary

# LSTM state is (h, c); RNN and GRU state is h. Each tensor is (layers, B, hidden).
Hidden = Union[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]


class RNNModel(nn.Module):
    def __init__(self, config: LMConfig) -> None:
        super().__init__()
        self.config = config
        self.drop = nn.Dropout(config.dropout)
        self.encoder = nn.Embedding(config.vocab_size, config.emb)
        between = config.dropout if config.layers > 1 else 0.0
        if config.cell == "lstm":
            self.rnn: nn.RNNBase = nn.LSTM(config.emb, config.hidden, config.layers, dropout=between)
        elif config.cell == "gru":
            self.rnn = nn.GRU(config.emb, config.hidden, config.layers, dropout=between)
        else:
            self.rnn = nn.RNN(config.emb, config.hidden, config.layers, nonlinearity="tanh", dropout=between)
        self.decoder = nn.Linear(config.hidden, config.vocab_size)
        if config.tie:
            # "Using the Output Embedding to Improve Language Models" (Press & Wolf, 2016)
            if config.emb != config.hidden:
                raise InputError(f"--tie needs --emb equal to --hidden (got {config.emb} and {config.hidden})")
            self.decoder.weight = self.encoder.weight
        # <pad> and <s> are never a next token: their logits are -inf everywhere.
        self.register_buffer(
            "never_predicted", torch.tensor([Vocabulary.pad_id, Vocabulary.bos_id]), persistent=False
        )
        self.init_weights()

    def init_weights(self) -> None:
        initrange = 0.1
        nn.init.uniform_(self.encoder.weight, -initrange, initrange)
        nn.init.zeros_(self.decoder.bias)
        if not self.config.tie:
            nn.init.uniform_(self.decoder.weight, -initrange, initrange)

    def init_hidden(self, batch_size: int) -> Hidden:
        weight = next(self.parameters())
        shape = (self.config.layers, batch_size, self.config.hidden)
        if self.config.cell == "lstm":
            return (weight.new_zeros(shape), weight.new_zeros(shape))
        return weight.new_zeros(shape)

    def forward(
        self, idx: torch.Tensor, hidden: Hidden, targets: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, Hidden, torch.Tensor | None]:
        """Logits (T, B, V), the new hidden state, and the mean cross-entropy if targets.

        Without targets (scoring, decoding) the logits of ``<pad>`` and ``<s>`` are -inf,
        so a softmax spreads all mass over tokens that can come next. With targets
        (training) the output is left whole: those tokens never are targets, so training
        drives them down anyway, and masking a (T·B, V) tensor in the autograd graph
        costs about a third of the training speed on CPU.
        """
        emb = self.drop(self.encoder(idx))
        output, hidden = self.rnn(emb, hidden)
        logits = self.decoder(self.drop(output))
        if targets is None:
            return logits.index_fill_(-1, self.never_predicted, float("-inf")), hidden, None
        loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1))
        return logits, hidden, loss


def detach_hidden(hidden: Hidden) -> Hidden:
    """Cut the graph between BPTT windows while keeping the state's values."""
    if isinstance(hidden, torch.Tensor):
        return hidden.detach()
    return tuple(h.detach() for h in hidden)  # type: ignore[return-value]


def select_hidden(hidden: Hidden, rows: torch.Tensor) -> Hidden:
    if isinstance(hidden, torch.Tensor):
        return hidden.index_select(1, rows)
    return tuple(h.index_select(1, rows) for h in hidden)  # type: ignore[return-value]
