"""The small interface every language model offers, n-gram and neural alike.

Decoding (greedy, beam search, sampling) is written once in ``decoding.py`` over this
protocol. A *state* is an opaque batch of B model states (B rows); the model decides what
it holds (n-gram context ids, RNN hidden tensors ...). A model that can also put the
states of several prompts into one batch offers ``join_states(states) -> state``
(the n-gram models do): the searches then decode many prompts in one pass per step.
What every language model offers on raw text is ``generation.TextMethods``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

from wordseq.text.preprocess import PreprocessConfig
from wordseq.vocab import Vocabulary


@runtime_checkable
class LanguageModel(Protocol):
    vocab: Vocabulary  # ids shared by every method below; the specials come first
    preprocess: PreprocessConfig  # how the training text was tokenized; prompts follow it

    def start(self, prompt_ids: Sequence[int]) -> Any:
        """A batch of one state: after ``<s>`` and the prompt tokens."""
        ...

    def next_logprobs(self, state: Any) -> Any:
        """(B, len(vocab)) natural-log probabilities of the next token for each row.

        A numpy array, or a torch tensor on the model's device (neural models: decoding
        then runs there). Tokens the model never predicts (``<pad>``, ``<s>``) have ``-inf``.
        """
        ...

    def advance(self, state: Any, token_ids: np.ndarray) -> Any:
        """New state with row i extended by ``token_ids[i]`` (shape (B,)): a numpy array,
        or a tensor on its device for a model whose ``next_logprobs`` gives tensors."""
        ...

    def select(self, state: Any, rows: np.ndarray) -> Any:
        """A state made of the given rows (repeats allowed): beams and batched samples."""
        ...
