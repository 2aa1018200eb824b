"""NeuralLM: an RNN model behind the ``LanguageModel`` protocol used by decoding.

A state is a batch of hidden states together with the log-probabilities of the next
token for each row, so ``advance`` runs one forward pass for all rows (beams or samples)
and ``next_logprobs`` costs nothing more.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from wordseq.errors import InputError
from wordseq.neural.checkpoint import MODEL_FILE, load_checkpoint
from wordseq.neural.device import resolve_device
from wordseq.neural.model import Hidden, RNNModel, select_hidden
from wordseq.store import read_meta
from wordseq.text.preprocess import PreprocessConfig
from wordseq.vocab import Vocabulary


@dataclass
class NeuralState:
    hidden: Hidden  # (layers, B, hidden) tensors
    logprobs: torch.Tensor  # (B, V) next-token log-probabilities, on the model's device


class NeuralLM:
    def __init__(self, model: RNNModel, vocab: Vocabulary, preprocess: PreprocessConfig, device: torch.device) -> None:
        self.model = model.to(device).eval()
        self.vocab = vocab
        self.preprocess = preprocess
        self.device = device

    def _forward(self, idx: torch.Tensor, hidden: Hidden) -> NeuralState:
        logits, hidden, _ = self.model(idx, hidden)
        return NeuralState(hidden, F.log_softmax(logits[-1].float(), dim=-1))

    @torch.no_grad()
    def start(self, prompt_ids: Sequence[int]) -> NeuralState:
        # Training streams put </s> before every sequence: it is the start context.
        ids = [self.vocab.eos_id, *prompt_ids]
        if any(not 0 <= i < len(self.vocab) for i in ids):
            raise InputError("prompt ids out of the model's vocabulary range")
        idx = torch.tensor(ids, dtype=torch.long, device=self.device).view(-1, 1)
        return self._forward(idx, self.model.init_hidden(1))

    def next_logprobs(self, state: NeuralState) -> np.ndarray:
        return state.logprobs.cpu().numpy()

    @torch.no_grad()
    def advance(self, state: NeuralState, token_ids: np.ndarray) -> NeuralState:
        idx = torch.as_tensor(np.asarray(token_ids, dtype=np.int64), device=self.device).view(1, -1)
        return self._forward(idx, state.hidden)

    def select(self, state: NeuralState, rows: np.ndarray) -> NeuralState:
        r = torch.as_tensor(np.asarray(rows, dtype=np.int64), device=self.device)
        return NeuralState(select_hidden(state.hidden, r), state.logprobs.index_select(0, r))


def load_neural_lm(path: Path, device: str = "auto") -> NeuralLM:
    """The model saved in directory ``path`` (meta.json + model.pt), ready to decode."""
    path = Path(path)
    meta = read_meta(path)
    dev = resolve_device(device)
    ckpt = load_checkpoint(path / MODEL_FILE, map_location=dev)
    model = RNNModel(ckpt.config)
    model.load_state_dict(ckpt.model_state)
    preprocess = PreprocessConfig.from_dict(meta.get("preprocessing", {}))
    return NeuralLM(model, ckpt.vocab, preprocess, dev)
