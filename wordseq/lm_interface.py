"""The small interface every language model offers, n-gram and neural alike.

Decoding (greedy, beam search, sampling) is written once in ``decoding.py`` over this
protocol. A *state* is an opaque batch of B model states (B rows); the model decides what
it holds (n-gram context ids, RNN hidden tensors ...).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

from wordseq.errors import InputError
from wordseq.text.preprocess import PreprocessConfig
from wordseq.vocab import Vocabulary


@runtime_checkable
class LanguageModel(Protocol):
    vocab: Vocabulary  # ids shared by every method below; the specials come first
    preprocess: PreprocessConfig  # how the training text was tokenized; prompts follow it

    def start(self, prompt_ids: Sequence[int]) -> Any:
        """A batch of one state: after ``<s>`` and the prompt tokens."""
        ...

    def next_logprobs(self, state: Any) -> np.ndarray:
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


class TextMethods:
    """What every language model offers on raw text, built on its ``evaluate`` method and
    the decoding engine. A model class inherits it and provides ``vocab``, ``preprocess``
    and ``evaluate(corpus, per_line=..., preprocess=...) -> (PerplexityReport, list[LineScore])``.

    Texts given to these methods are text, not file names: a ``str`` is one text, a list
    of ``str`` several (one per line); a ``pathlib.Path`` is a file.
    """

    vocab: Vocabulary
    preprocess: PreprocessConfig

    def evaluate(self, corpus: Any, *, preprocess: PreprocessConfig | None = None, per_line: bool = False,
                 encoding_errors: str = "strict") -> tuple[Any, list[Any]]:
        raise NotImplementedError

    @staticmethod
    def _texts(texts: Any) -> Any:
        from pathlib import Path

        if isinstance(texts, Path):
            return texts
        if isinstance(texts, str):
            return [texts]
        if not isinstance(texts, Iterable):
            raise InputError(f"texts are a str, an iterable of str or a pathlib.Path, got {type(texts).__name__}")
        texts = list(texts)
        for text in texts:
            # a text is a str, or a list of tokens (already tokenized)
            if not isinstance(text, str) and not (isinstance(text, list | tuple) and all(isinstance(t, str) for t in text)):
                raise InputError(f"texts are str or lists of tokens, got {type(text).__name__}")
        return texts

    def score(self, text: str) -> float:
        """log10 probability of one text between ``<s>`` and ``</s>`` (as ``kenlm.Model.score``).

        Examples
        --------
        >>> model.score("the government said on monday")  # doctest: +SKIP
        -14.61
        """
        _check_str("a text", text)
        _, lines = self.evaluate([text], per_line=True)
        return float(lines[0].logprob / np.log(10.0))

    def perplexity(self, texts: Any) -> float:
        """Perplexity of one or more texts (every token and ``</s>`` predicted, OOVs included);
        for a file's, ``evaluate(path)`` gives the whole report (OOVs, per line ...)."""
        return float(self.evaluate(self._texts(texts))[0].perplexity)

    def generate(self, prompt: str = "", *, beam: int | None = None, greedy: bool = False, num: int = 1,
                 max_tokens: int = 30, temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0,
                 length_penalty: float = 1.0, seed: int | None = None, allow_unk: bool = False,
                 **options: Any) -> list[Any]:
        """Continue ``prompt``: sampling by default, ``greedy=True``, or ``beam=K``.

        Returns ``wordseq.generation.Generation`` objects (``.text``, ``.tokens``,
        ``.logprobs``), best first for beam search.

        Examples
        --------
        >>> [g.text for g in lm.generate("the government", beam=5, num=2)]  # doctest: +SKIP
        """
        from wordseq.generation import GenerateConfig, generate

        _check_str("a prompt", prompt)
        mode = "beam" if beam is not None else "greedy" if greedy else "sample"
        config = GenerateConfig(mode=mode, beam=5 if beam is None else beam, num=num, max_tokens=max_tokens, temperature=temperature,
                                top_k=top_k, top_p=top_p, length_penalty=length_penalty, seed=seed,
                                allow_unk=allow_unk, **options)
        return list(generate(self, prompt, config).generations)  # type: ignore[arg-type]


def _check_str(what: str, value: Any) -> None:
    if not isinstance(value, str):
        raise InputError(f"{what} is a str, got {type(value).__name__}")
