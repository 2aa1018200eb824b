"""Text in, text out: a prompt through the model's preprocessing, decoded, detokenized.

``generate`` / ``generate_lines`` work with every ``LanguageModel`` (n-gram or neural), and
``TextMethods`` gives every model class ``generate``, ``score`` and ``perplexity`` on raw
text; the search itself is in ``decoding``. ``GenerateConfig`` checks every setting once,
through the search's own checks, and adds a memory bound on ``num`` and ``beam`` (each
costs a row of vocabulary-sized arrays per step).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from wordseq import decoding
from wordseq.config_checks import count, one_of
from wordseq.decoding import Repetition, Sampling
from wordseq.errors import InputError, OptionError, WordseqError
from wordseq.lm_interface import LanguageModel
from wordseq.text.preprocess import PreprocessConfig, Preprocessor
from wordseq.vocab import Vocabulary

MODES = ("sample", "greedy", "beam")
# Decoding keeps about four float64 (rows, vocabulary) arrays per step.
_BYTES_PER_CELL = 32
MEMORY_BUDGET = 2 << 30


@dataclass(frozen=True)
class GenerateConfig:
    """How to decode; ``mode`` is sample (default), greedy or beam.

    The sampling and repetition settings are checked by ``decoding.Sampling`` and
    ``decoding.Repetition`` (kept as ``sampling`` and ``repetition``), the rest by
    ``decoding.check_sizes``: the same errors as the searches raise.
    """

    mode: str = "sample"
    beam: int = 5
    num: int = 1
    max_tokens: int = 30
    temperature: float = 1.0
    top_k: int = 0
    top_p: float = 1.0
    length_penalty: float = 1.0
    seed: int | None = None
    allow_unk: bool = False
    no_repeat_ngram: int = 0  # forbid repeating any N-gram of the history (0: off)
    repetition_penalty: float = 1.0  # log-probs of tokens already in the history × P (1: off)
    sampling: Sampling = field(init=False, repr=False, compare=False)
    repetition: Repetition = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        one_of("--mode", self.mode, MODES)
        decoding.check_sizes(beam=self.beam, num=self.num, max_tokens=self.max_tokens, length_penalty=self.length_penalty)
        object.__setattr__(self, "sampling", Sampling(self.temperature, self.top_k, self.top_p, self.seed))
        object.__setattr__(self, "repetition", Repetition(self.no_repeat_ngram, self.repetition_penalty))

    def check_memory(self, vocab_size: int) -> None:
        rows = self.beam if self.mode == "beam" else self.num if self.mode == "sample" else 1
        need = rows * vocab_size * _BYTES_PER_CELL
        if need > MEMORY_BUDGET:
            option = "--beam" if self.mode == "beam" else "--num"
            most = max(1, MEMORY_BUDGET // (vocab_size * _BYTES_PER_CELL))
            raise OptionError(option, f"{rows:,} rows × a vocabulary of {vocab_size:,} would need about "
                                      f"{need / 2**30:.1f} GB per step; use at most {most:,}")


@dataclass
class Generation:
    """One result: readable text, and the tokens with their natural-log probabilities."""

    text: str
    prompt_tokens: list[str]
    tokens: list[str]
    logprobs: list[float]
    finished: bool  # ended with </s> rather than at the length limit
    score: float  # what the search ranked by
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def logprob(self) -> float:
        return float(sum(self.logprobs))

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "prompt_tokens": self.prompt_tokens, "tokens": self.tokens,
                "logprobs": [round(x, 6) for x in self.logprobs], "logprob": round(self.logprob, 6),
                "score": round(self.score, 6), "finished": self.finished}


@dataclass
class GenerateResult:
    generations: list[Generation]
    unknown_prompt_words: list[str]


@dataclass
class _Prompt:
    tokens: list[str]
    ids: list[int]
    unknown: list[str]


def _prompt(lm: LanguageModel, pre: Preprocessor, prompt: str, where: str = "") -> _Prompt:
    vocab = lm.vocab
    tokens = pre.normalize_query(prompt) if prompt.strip() else []
    ids = vocab.encode(tokens)
    unknown = [t for t, i in zip(tokens, ids) if i == vocab.unk_id and t != "<unk>"]
    if tokens and len(unknown) == len(tokens):
        raise InputError(f"{where}no word of the prompt is in the model's vocabulary (after preprocessing: "
                         f"{' '.join(tokens)})")
    return _Prompt(tokens, ids, unknown)


def _result(lm: LanguageModel, pre: Preprocessor, prompt: _Prompt, hyps: list[Any]) -> GenerateResult:
    vocab = lm.vocab
    if not hyps:
        raise WordseqError("the model produced nothing (every token was banned or impossible)")
    out = []
    for h in hyps:
        body = [t for t in h.token_ids if t != vocab.eos_id]
        out.append(Generation(text=pre.detokenize(prompt.tokens + vocab.decode(body)), prompt_tokens=prompt.tokens,
                              tokens=vocab.decode(h.token_ids), logprobs=list(h.logprobs), finished=h.finished,
                              score=h.score))
    return GenerateResult(out, prompt.unknown)


def _search(lm: LanguageModel, pre: Preprocessor, prompts: list[_Prompt], cfg: GenerateConfig) -> list[GenerateResult]:
    """One search over these prompts together, one result each."""
    ids = [p.ids for p in prompts]
    ban = [] if cfg.allow_unk else [lm.vocab.unk_id]
    if cfg.mode == "beam":
        found = decoding.beam_search(lm, ids, beam=cfg.beam, max_tokens=cfg.max_tokens, length_penalty=cfg.length_penalty,
                                     num=cfg.num, ban=ban, repetition=cfg.repetition)
    elif cfg.mode == "greedy":
        found = [[h] for h in decoding.greedy(lm, ids, max_tokens=cfg.max_tokens, ban=ban, repetition=cfg.repetition)]
    else:
        found = decoding.sample(lm, ids, num=cfg.num, max_tokens=cfg.max_tokens, sampling=cfg.sampling, ban=ban,
                                repetition=cfg.repetition)
    return [_result(lm, pre, p, hyps) for p, hyps in zip(prompts, found)]


def generate(lm: LanguageModel, prompt: str = "", config: GenerateConfig | None = None) -> GenerateResult:
    """Continue ``prompt`` (raw text, preprocessed as the model's training text was).

    Examples
    --------
    >>> generate(model, "the government", GenerateConfig(mode="beam", beam=5))  # doctest: +SKIP
    """
    cfg = config or GenerateConfig()
    cfg.check_memory(len(lm.vocab))
    pre = Preprocessor(lm.preprocess.for_vocabulary(lm.vocab.stoi))  # subword units the model knows
    return _search(lm, pre, [_prompt(lm, pre, prompt)], cfg)[0]


def generate_lines(lm: LanguageModel, prompts: Iterable[str], config: GenerateConfig | None = None,
                   batch_size: int = 64) -> Iterator[GenerateResult]:
    """One result per prompt (a blank one continues nothing), as the prompts come.

    Greedy and beam search of an n-gram model (or a mixture) decode ``batch_size`` prompts
    together, one model call per step for all of them, with the same results as one at a
    time; sampling (each prompt drawn from ``seed`` afresh) and neural models go prompt
    by prompt.

    Examples
    --------
    >>> [r.generations[0].text for r in generate_lines(model, ["the", "a"], GenerateConfig(mode="greedy"))]  # doctest: +SKIP
    """
    cfg = config or GenerateConfig()
    count("--batch-size", batch_size, 1)
    cfg.check_memory(len(lm.vocab))
    batch: list[str] = []
    first = 1
    for prompt in prompts:
        batch.append(prompt)
        if len(batch) >= batch_size:
            yield from _generate_batch(lm, batch, cfg, first)
            first += len(batch)
            batch = []
    if batch:
        yield from _generate_batch(lm, batch, cfg, first)


def _generate_batch(lm: LanguageModel, texts: list[str], cfg: GenerateConfig, first: int) -> list[GenerateResult]:
    pre = Preprocessor(lm.preprocess.for_vocabulary(lm.vocab.stoi))  # subword units the model knows
    prompts = [_prompt(lm, pre, text, f"line {first + i}: ") for i, text in enumerate(texts)]
    together = cfg.mode != "sample" and hasattr(lm, "join_states")
    groups = [prompts] if together else [[p] for p in prompts]
    return [result for group in groups for result in _search(lm, pre, group, cfg)]


class TextMethods:
    """What every language model offers on raw text, built on its ``evaluate`` method and
    the searches. A model class inherits it and provides ``vocab``, ``preprocess``
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
                 **options: Any) -> list[Generation]:
        """Continue ``prompt``: sampling by default, ``greedy=True``, or ``beam=K``.

        Returns ``Generation`` objects (``.text``, ``.tokens``, ``.logprobs``), best first
        for beam search.

        Examples
        --------
        >>> [g.text for g in lm.generate("the government", beam=5, num=2)]  # doctest: +SKIP
        """
        _check_str("a prompt", prompt)
        mode = "beam" if beam is not None else "greedy" if greedy else "sample"
        config = GenerateConfig(mode=mode, beam=5 if beam is None else beam, num=num, max_tokens=max_tokens, temperature=temperature,
                                top_k=top_k, top_p=top_p, length_penalty=length_penalty, seed=seed,
                                allow_unk=allow_unk, **options)
        return list(generate(self, prompt, config).generations)  # type: ignore[arg-type]


def _check_str(what: str, value: Any) -> None:
    if not isinstance(value, str):
        raise InputError(f"{what} is a str, got {type(value).__name__}")
