"""NeuralLM: a neural model behind the ``LanguageModel`` protocol used by decoding.

A state is a batch of model states (RNN hidden tensors, or a transformer's key/value
cache over each row's token history) together with the log-probabilities of the next
token for each row, so ``advance`` runs one forward pass for all rows (beams or samples)
and ``next_logprobs`` costs nothing more. Everything stays on the model's device:
``next_logprobs`` returns a torch tensor there, and ``decoding`` works on it in place.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from wordseq.device import resolve_device
from wordseq.errors import InputError, ModelError
from wordseq.generation import TextMethods
from wordseq.neural.network import Network, build_model
from wordseq.neural.precision import autocast
from wordseq.neural.storage import MODEL_STEM, load_checkpoint
from wordseq.neural.transformer import TransformerModel
from wordseq.perplexity import LineScore, PerplexityReport, checked_report
from wordseq.store import find_model
from wordseq.store.tensors import payload_file
from wordseq.text.preprocess import PreprocessConfig
from wordseq.vocab import Vocabulary


@dataclass
class NeuralState:
    """A batch of search states: the network's state and the next token's log-probabilities."""

    model_state: Any  # RNN: per-layer hidden tensors (.., B, ..); transformer: KVCache of B rows
    logprobs: torch.Tensor  # (B, V) next-token log-probabilities, float32, on the model's device


class NeuralLM(TextMethods):
    """A trained neural LM: ``evaluate`` / ``perplexity`` / ``score`` / ``generate`` on text,
    and the ``LanguageModel`` calls decoding uses.

    Examples
    --------
    >>> lm = wordseq.load("news")  # doctest: +SKIP
    >>> lm.perplexity(["the government said on monday"])  # doctest: +SKIP
    >>> lm.generate("the government", beam=5, no_repeat_ngram=3)[0].text  # doctest: +SKIP
    """

    def __init__(self, model: Network, vocab: Vocabulary, preprocess: PreprocessConfig, device: torch.device,
                 path: Path | None = None, meta: dict[str, Any] | None = None, precision: str = "fp32") -> None:
        self.model = model.to(device).eval()
        self.vocab = vocab
        self.preprocess = preprocess
        self.device = device
        self.precision = precision
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
        pre = Preprocessor((preprocess or self.preprocess).for_vocabulary(self.vocab.stoi))
        words = [0]  # subword models: the text's words (split at whitespace), for per-word perplexity

        def counted() -> Iterator[str]:
            for line in reader:
                words[0] += len(line.split())
                yield line

        stream = encode_text(counted() if pre.config.level == "subword" else reader, pre, self.vocab)
        if bptt is None:
            bptt = int(self.meta.get("config", {}).get("train", {}).get("bptt", 35))
        # reported figures are exact: scored in float32 whatever the decoding precision
        scores = score_stream(self.model, stream, self.device, bptt=bptt, keep_tokens=per_line)
        scores.report.words = words[0]
        lines = []
        if per_line:
            assert scores.token_logprobs is not None
            lines = line_scores(stream, scores.token_logprobs, reader.total_lines)
        return checked_report(scores.report, (preprocess or self.preprocess).describe()), lines

    def _step(self, idx: torch.Tensor, model_state: Any) -> NeuralState:
        """idx: (B, T) new tokens of each row."""
        with autocast(self.device, self.precision):
            if isinstance(self.model, TransformerModel):
                logprobs, model_state = self.model.extend(model_state, idx)
            else:
                logprobs, model_state = self.model.next_logprobs(idx.t(), model_state)
        return NeuralState(model_state, logprobs.float())

    @torch.no_grad()
    def start(self, prompt_ids: Sequence[int]) -> NeuralState:
        # Training streams put </s> before every sequence: it is the start context.
        ids = [self.vocab.eos_id, *prompt_ids]
        if any(not 0 <= i < len(self.vocab) for i in ids):
            raise InputError("prompt ids out of the model's vocabulary range")
        idx = torch.tensor(ids, dtype=torch.long, device=self.device).view(1, -1)
        return self._step(idx, self.model.init_hidden(1))

    def next_logprobs(self, state: NeuralState) -> torch.Tensor:
        """(B, V) log-probabilities as a tensor on the model's device (``decoding``
        keeps it there; ``np.asarray(x.cpu())`` for numpy)."""
        return state.logprobs

    @torch.no_grad()
    def advance(self, state: NeuralState, token_ids: Any) -> NeuralState:
        idx = self._ids(token_ids).view(-1, 1)
        return self._step(idx, state.model_state)

    def select(self, state: NeuralState, rows: Any) -> NeuralState:
        r = self._ids(rows)
        return NeuralState(self.model.select_state(state.model_state, r), state.logprobs.index_select(0, r))

    def _ids(self, ids: Any) -> torch.Tensor:
        if isinstance(ids, torch.Tensor):
            return ids.to(self.device, torch.long)
        return torch.as_tensor(np.asarray(ids, dtype=np.int64), device=self.device)


def load_neural_lm(path: Path, meta: dict[str, Any] | None = None, device: str = "auto") -> NeuralLM:
    """The model saved in directory ``path`` (meta.json + model.safetensors), ready to decode: the
    store's loader for kind "lm". On a GPU it decodes in the precision it was trained in;
    perplexities are always computed in float32."""
    path = Path(path)
    if meta is None:
        path, meta = find_model(str(path), "lm")
    dev = resolve_device(device)
    file = payload_file(path, MODEL_STEM)
    ckpt = load_checkpoint(file, map_location=dev)
    model = build_model(ckpt.config)
    try:
        model.load_state_dict(ckpt.model_state)
    except (RuntimeError, TypeError) as exc:
        first = str(exc).strip().splitlines()[0][:200]
        raise ModelError(f"{file}: the weights do not fit the model's config ({first})") from None
    preprocess = PreprocessConfig.from_dict(meta.get("preprocessing", {}))
    trained_in = str(meta.get("config", {}).get("train", {}).get("precision", "fp32"))
    precision = trained_in if dev.type == "cuda" else "fp32"
    return NeuralLM(model, ckpt.vocab, preprocess, dev, path=path, meta=meta, precision=precision)
