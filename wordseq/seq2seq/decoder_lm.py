"""The decoder, conditioned on encoded sources, as a ``LanguageModel``.

``decoding.py`` knows nothing of sources: it asks a language model for a start state,
next-token log-probabilities, and states advanced or reordered by row. A decoder bound to
its encoded sources answers exactly that. Each row of a state carries its own copy of its
source's encoding (memory, attention keys, padding mask), so ``select`` — which beams and
batched searches use to keep, repeat and reorder rows — keeps every row with its source.

``start(prompt)`` gives one row per bound source, and ``greedy`` / ``beam_search`` /
``sample`` search every row as if alone, all of them in one pass per step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from wordseq.errors import InputError
from wordseq.seq2seq.architectures import Network
from wordseq.seq2seq.network import Encoded, Hidden
from wordseq.text.preprocess import PreprocessConfig
from wordseq.vocab import Vocabulary


@dataclass
class DecoderState:
    """B rows of decoder state, each with its own source."""

    enc: Encoded
    hidden: Hidden  # (layers, B, H)
    feed: torch.Tensor | None  # (B, H) last attentional vector, with input feeding
    logprobs: torch.Tensor  # (B, V) of the next token
    attention: torch.Tensor | None  # (B, S) weights behind ``logprobs``; None without attention


def _select_hidden(hidden: Hidden, rows: torch.Tensor) -> Hidden:
    if isinstance(hidden, torch.Tensor):
        return hidden.index_select(1, rows)
    return (hidden[0].index_select(1, rows), hidden[1].index_select(1, rows))


def pad_batch(seqs: Sequence[Sequence[int]], device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Id lists → (B, longest) tensor padded with ``<pad>`` and their lengths (B,)."""
    lengths = np.fromiter((len(s) for s in seqs), dtype=np.int64, count=len(seqs))
    out = np.full((len(seqs), int(lengths.max()) if len(seqs) else 0), Vocabulary.pad_id, dtype=np.int64)
    # one flat copy: the positions of all real tokens at once
    out[np.arange(out.shape[1])[None, :] < lengths[:, None]] = [t for s in seqs for t in s]
    return torch.from_numpy(out).to(device), torch.from_numpy(lengths)


class SourceConditionedLM:
    """A ``LanguageModel`` over the target vocabulary, conditioned on bound source ids.

    Parameters
    ----------
    net
        The trained network (put in eval mode here).
    vocab, preprocess
        The target side's vocabulary and tokenization.
    sources
        One or more sources as source-vocabulary ids, each non-empty.
    """

    def __init__(
        self, net: Network, vocab: Vocabulary, preprocess: PreprocessConfig, device: torch.device,
        sources: Sequence[Sequence[int]],
    ) -> None:
        if not sources or any(len(s) == 0 for s in sources):
            raise InputError("every source must have at least one token")
        self.net = net.eval()
        self.vocab = vocab
        self.preprocess = preprocess
        self.device = device
        self.sources = [list(s) for s in sources]

    @torch.no_grad()
    def encode(self) -> Encoded:
        src, lengths = pad_batch(self.sources, self.device)
        return self.net.encode(src, lengths)

    @torch.no_grad()
    def start(self, prompt_ids: Sequence[int]) -> DecoderState:
        """One row per bound source, after ``<s>`` and the prompt (a forced target prefix)."""
        if any(not 0 <= i < len(self.vocab) for i in prompt_ids):
            raise InputError("prompt ids out of the target vocabulary's range")
        enc = self.encode()
        hidden, feed = self.net.initial_state(enc)
        rows = len(self.sources)
        state = DecoderState(enc, hidden, feed, torch.empty(0), None)
        for tok in [self.vocab.bos_id, *prompt_ids]:
            state = self._step(state, torch.full((rows,), tok, dtype=torch.long, device=self.device))
        return state

    def _step(self, state: DecoderState, tokens: torch.Tensor) -> DecoderState:
        logprobs, hidden, att, weights = self.net.step(tokens, state.hidden, state.feed, state.enc)
        return DecoderState(state.enc, hidden, att if self.net.config.input_feeding else None, logprobs, weights)

    def next_logprobs(self, state: DecoderState) -> np.ndarray:
        return state.logprobs.cpu().numpy()

    @torch.no_grad()
    def advance(self, state: DecoderState, token_ids: np.ndarray) -> DecoderState:
        tokens = torch.as_tensor(np.asarray(token_ids, dtype=np.int64), device=self.device).view(-1)
        return self._step(state, tokens)

    def select(self, state: DecoderState, rows: np.ndarray) -> DecoderState:
        r = torch.as_tensor(np.asarray(rows, dtype=np.int64), device=self.device)
        return DecoderState(
            state.enc.select(r),
            _select_hidden(state.hidden, r),
            None if state.feed is None else state.feed.index_select(0, r),
            state.logprobs.index_select(0, r),
            None if state.attention is None else state.attention.index_select(0, r),
        )
