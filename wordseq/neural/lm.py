"""NeuralLM: an RNN model behind the ``LanguageModel`` protocol used by decoding.

A state is a batch of hidden states together with the log-probabilities of the next
token for each row, so ``advance`` runs one forward pass for all rows (beams or samples)
and ``next_logprobs`` costs nothing more.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from wordseq.errors import InputError, ModelError
from wordseq.neural.checkpoint import MODEL_FILE, load_checkpoint
from wordseq.neural.device import resolve_device
from wordseq.neural.model import Hidden, RNNModel, select_hidden
from wordseq.perplexity import LineScore, PerplexityReport
from wordseq.store import find_model
from wordseq.text.preprocess import PreprocessConfig
from wordseq.vocab import Vocabulary


@dataclass
class NeuralState:
    hidden: Hidden  # (layers, B, hidden) tensors
    logprobs: torch.Tensor  # (B, V) next-token log-probabilities, on the model's device


class NeuralLM:
    def __init__(self, model: RNNModel, vocab: Vocabulary, preprocess: PreprocessConfig, device: torch.device,
                 path: Path | None = None, meta: dict[str, Any] | None = None) -> None:
        self.model = model.to(device).eval()
        self.vocab = vocab
        self.preprocess = preprocess
        self.device = device
        self.path = path  # None: trained in memory, not saved
        self.meta = meta or {}

    def evaluate(self, corpus: Any, *, preprocess: PreprocessConfig | None = None, per_line: bool = False,
                 encoding_errors: str = "strict", bptt: int | None = None) -> tuple[PerplexityReport, list[LineScore]]:
        """Perplexity of a text (files, '-', or lines), every line scored (a blank one as
        ``</s>``); with ``per_line`` also one ``LineScore`` per input line.

        ``preprocess`` overrides the model's own preprocessing of the text.
        """
        from wordseq.neural.data import encode_text
        from wordseq.neural.evaluate import line_scores, score_stream
        from wordseq.text.preprocess import Preprocessor
        from wordseq.text.reader import open_corpus

        reader = open_corpus(corpus, encoding_errors)
        stream = encode_text(reader, Preprocessor(preprocess or self.preprocess), self.vocab)
        if bptt is None:
            bptt = int(self.meta.get("config", {}).get("train", {}).get("bptt", 35))
        scores = score_stream(self.model, stream, self.device, bptt=bptt, keep_tokens=per_line)
        lines = []
        if per_line:
            assert scores.token_logprobs is not None
            lines = line_scores(stream, scores.token_logprobs, reader.total_lines)
        return scores.report, lines

    def perplexity(self, texts: Any) -> PerplexityReport:
        """The perplexity report of ``texts`` (a file, or lines of text)."""
        return self.evaluate(texts)[0]

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


def load_neural_lm(path: Path, meta: dict[str, Any] | None = None, device: str = "auto") -> NeuralLM:
    """The model saved in directory ``path`` (meta.json + model.pt), ready to decode: the
    store's loader for kind "lm"."""
    path = Path(path)
    if meta is None:
        path, meta = find_model(str(path), "lm")
    dev = resolve_device(device)
    ckpt = load_checkpoint(path / MODEL_FILE, map_location=dev)
    model = RNNModel(ckpt.config)
    try:
        model.load_state_dict(ckpt.model_state)
    except (RuntimeError, TypeError) as exc:
        first = str(exc).strip().splitlines()[0][:200]
        raise ModelError(f"{path / MODEL_FILE}: the weights do not fit the model's config ({first})") from None
    preprocess = PreprocessConfig.from_dict(meta.get("preprocessing", {}))
    return NeuralLM(model, ckpt.vocab, preprocess, dev, path=path, meta=meta)
