"""RNNModel: embedding → stacked RNN / LSTM / GRU → output layer, AWD-LSTM regularised.

The layout of PyTorch's word_language_model, built from an ``LMConfig``, with one fused
``nn.LSTM`` (``nn.GRU``, ``nn.RNN``) per layer so that locked dropout can sit between
layers and DropConnect can replace each layer's hidden-to-hidden matrix. Inputs are
sequence-first, shape (T, B), as the fused recurrent modules expect.

Every language model (this one and ``TransformerModel``) offers the same four calls:
``init_hidden(B)``, ``forward(idx, hidden, targets)`` (the training loss),
``score(idx, hidden, targets)`` (log-probability of each target) and
``next_logprobs(idx, hidden)`` (the distribution after each position, for decoding).
"""

from __future__ import annotations

import warnings

import torch
from torch import nn
from torch.func import functional_call

from wordseq.neural.config import LMConfig
from wordseq.neural.precision import fp16_unsupported_here
from wordseq.neural.regularisation import dropped_weight, embedding_dropout, locked_dropout
from wordseq.neural.softmax import OutputLayer
from wordseq.neural.transformer import TransformerModel

# One entry per layer: (h, c) for an LSTM, (h,) for RNN and GRU; each (1, B, size).
Hidden = list[tuple[torch.Tensor, ...]]


class RNNModel(nn.Module):
    """An LSTM, GRU or RNN language model with AWD-LSTM's regularisers."""

    def __init__(self, config: LMConfig) -> None:
        super().__init__()
        self.config = config
        self.encoder = nn.Embedding(config.vocab_size, config.emb)
        make = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[config.cell]
        self.rnns = nn.ModuleList(make(n_in, n_out, 1) for n_in, n_out in config.layer_sizes())
        self.decoder = OutputLayer(config.output_dim, config.vocab_size, config.cutoffs)
        if config.tie:
            # "Using the Output Embedding to Improve Language Models" (Press & Wolf, 2016)
            self.decoder.weight = self.encoder.weight  # type: ignore[assignment]
        self.init_weights()

    def init_weights(self) -> None:
        initrange = 0.1
        nn.init.uniform_(self.encoder.weight, -initrange, initrange)
        nn.init.zeros_(self.decoder.bias)

    def init_hidden(self, batch_size: int) -> Hidden:
        weight = self.encoder.weight
        parts = 2 if self.config.cell == "lstm" else 1
        return [tuple(weight.new_zeros(1, batch_size, n_out) for _ in range(parts))
                for _, n_out in self.config.layer_sizes()]

    def _layer(self, i: int, x: torch.Tensor, state: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
        rnn = self.rnns[i]
        assert isinstance(rnn, nn.RNNBase)
        if fp16_unsupported_here(x):
            with torch.autocast("cpu", enabled=False):
                return self._layer(i, x.float(), tuple(t.float() for t in state))
        h0 = state if len(state) == 2 else state[0]
        if self.training and self.config.weight_drop:
            weight = dropped_weight(rnn.weight_hh_l0, self.config.weight_drop, True)  # type: ignore[arg-type]
            with warnings.catch_warnings():
                # cuDNN copies the dropped matrix into its weight buffer: expected, not a problem
                warnings.filterwarnings("ignore", message="RNN module weights are not part of single contiguous")
                out, h = functional_call(rnn, {"weight_hh_l0": weight}, (x, h0))
        else:
            out, h = rnn(x, h0)
        return out, (tuple(h) if isinstance(h, tuple) else (h,))

    def features(self, idx: torch.Tensor, hidden: Hidden) -> tuple[torch.Tensor, Hidden]:
        """The last layer's output (T, B, output_dim), dropped out, and the new state."""
        cfg = self.config
        x = embedding_dropout(self.encoder(idx), idx, cfg.vocab_size, cfg.dropout_embedding, self.training)
        x = locked_dropout(x, cfg.dropout_input or 0.0, self.training)  # type: ignore[arg-type]
        new_hidden: Hidden = []
        for i in range(cfg.layers):
            x, h = self._layer(i, x, hidden[i])
            new_hidden.append(h)
            last = i == cfg.layers - 1
            x = locked_dropout(x, cfg.dropout if last else cfg.dropout_between or 0.0, self.training)  # type: ignore[arg-type]
        return x, new_hidden

    def forward(self, idx: torch.Tensor, hidden: Hidden, targets: torch.Tensor) -> tuple[torch.Tensor, Hidden]:
        """The mean cross-entropy of ``targets`` after ``idx`` (both (T, B)), and the new state."""
        out, hidden = self.features(idx, hidden)
        return self.decoder.loss(out, targets), hidden

    def score(self, idx: torch.Tensor, hidden: Hidden, targets: torch.Tensor) -> tuple[torch.Tensor, Hidden]:
        """(T, B) natural-log probability of each target, and the new state."""
        out, hidden = self.features(idx, hidden)
        return self.decoder.target_logprobs(out, targets), hidden

    def next_logprobs(self, idx: torch.Tensor, hidden: Hidden) -> tuple[torch.Tensor, Hidden]:
        """(B, V) log-probabilities of the token after the last of ``idx`` (T, B)."""
        out, hidden = self.features(idx, hidden)
        return self.decoder.log_probs(out[-1]), hidden

    def select_state(self, hidden: Hidden, rows: torch.Tensor) -> Hidden:
        return select_hidden(hidden, rows)


# The networks a language model can be: both offer init_hidden / forward / score / select_state.
Network = RNNModel | TransformerModel


def build_model(config: LMConfig) -> Network:
    """The network an ``LMConfig`` describes: ``RNNModel`` or ``TransformerModel``."""
    if config.cell == "transformer":
        return TransformerModel(config)
    return RNNModel(config)


def detach_hidden(hidden: Hidden | None) -> Hidden | None:
    """Cut the graph between BPTT windows while keeping the state's values."""
    if hidden is None:
        return None
    return [tuple(t.detach() for t in layer) for layer in hidden]


def select_hidden(hidden: Hidden, rows: torch.Tensor) -> Hidden:
    """The rows ``rows`` of every layer's hidden state (beams kept after a search step)."""
    return [tuple(t.index_select(1, rows) for t in layer) for layer in hidden]


def upgrade_state_dict(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Weights saved by checkpoint format 1 (one multi-layer ``rnn`` module) in today's
    names (one module per layer: ``rnns.K``)."""
    out = {}
    for key, value in state.items():
        if key.startswith("rnn.") and "_l" in key:
            name, layer = key[len("rnn."):].rsplit("_l", 1)
            out[f"rnns.{layer}.{name}_l0"] = value
        else:
            out[key] = value
    return out
