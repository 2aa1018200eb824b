"""Text in, text out: a prompt through the model's preprocessing, decoded, detokenized.

``generate`` works with every ``LanguageModel`` (n-gram or neural); the search itself is
in ``decoding``. ``GenerateConfig`` checks every setting once, including a memory bound on
``num`` and ``beam`` (each costs a row of vocabulary-sized arrays per step).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from wordseq.config_checks import at_least, count, finite, within
from wordseq.errors import InputError, OptionError, WordseqError
from wordseq.lm_interface import LanguageModel

MODES = ("sample", "greedy", "beam")
# Decoding keeps about four float64 (rows, vocabulary) arrays per step.
_BYTES_PER_CELL = 32
MEMORY_BUDGET = 2 << 30


@dataclass(frozen=True)
class GenerateConfig:
    """How to decode; ``mode`` is sample (default), greedy or beam."""

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

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise OptionError("--mode", f"choose one of {', '.join(MODES)}, got {self.mode!r}")
        count("--beam", self.beam, 1)
        count("--num", self.num, 1)
        count("--max-tokens", self.max_tokens, 1, 100_000)
        count("--top-k", self.top_k, 0)
        if finite("--temperature", self.temperature) <= 0:
            raise OptionError("--temperature", "must be greater than 0 (use --greedy for the most probable tokens)")
        within("--top-p", self.top_p, 0.0, 1.0, low_open=True)
        # the beam's early stop assumes a live beam's score can only fall as it grows
        at_least("--length-penalty", self.length_penalty, 0.0)
        if self.seed is not None:
            count("--seed", self.seed, 0, 2**32 - 1)
        count("--no-repeat-ngram", self.no_repeat_ngram, 0, 100)
        at_least("--repetition-penalty", self.repetition_penalty, 1.0)

    @property
    def repetition(self) -> dict[str, Any]:
        return {"no_repeat_ngram": self.no_repeat_ngram, "repetition_penalty": self.repetition_penalty}

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


def _prompt(lm: LanguageModel, pre: Any, prompt: str, where: str = "") -> _Prompt:
    vocab = lm.vocab
    tokens = pre.normalize_query(prompt) if prompt.strip() else []
    ids = vocab.encode(tokens)
    unknown = [t for t, i in zip(tokens, ids) if i == vocab.unk_id and t != "<unk>"]
    if tokens and len(unknown) == len(tokens):
        raise InputError(f"{where}no word of the prompt is in the model's vocabulary (after preprocessing: "
                         f"{' '.join(tokens)})")
    return _Prompt(tokens, ids, unknown)


def _result(lm: LanguageModel, pre: Any, prompt: _Prompt, hyps: list[Any]) -> GenerateResult:
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


def generate(lm: LanguageModel, prompt: str = "", config: GenerateConfig | None = None) -> GenerateResult:
    """Continue ``prompt`` (raw text, preprocessed as the model's training text was).

    Examples
    --------
    >>> generate(model, "the government", GenerateConfig(mode="beam", beam=5))  # doctest: +SKIP
    """
    from wordseq import decoding
    from wordseq.text.preprocess import Preprocessor

    cfg = config or GenerateConfig()
    cfg.check_memory(len(lm.vocab))
    pre = Preprocessor(lm.preprocess)
    p = _prompt(lm, pre, prompt)
    ban = [] if cfg.allow_unk else [lm.vocab.unk_id]
    if cfg.mode == "beam":
        hyps = decoding.beam_search(lm, p.ids, beam=cfg.beam, max_tokens=cfg.max_tokens,
                                    length_penalty=cfg.length_penalty, num=cfg.num, ban=ban, **cfg.repetition)
    elif cfg.mode == "greedy":
        hyps = [decoding.greedy(lm, p.ids, max_tokens=cfg.max_tokens, ban=ban, **cfg.repetition)]
    else:
        hyps = decoding.sample(lm, p.ids, num=cfg.num, max_tokens=cfg.max_tokens, temperature=cfg.temperature,
                               top_k=cfg.top_k, top_p=cfg.top_p, seed=cfg.seed, ban=ban, **cfg.repetition)
    return _result(lm, pre, p, hyps)


def generate_lines(lm: LanguageModel, prompts: Iterable[str], config: GenerateConfig | None = None,
                   batch_size: int = 64) -> Iterator[GenerateResult]:
    """One result per prompt (a blank one continues nothing), as the prompts come.

    Greedy and beam search of an n-gram model (or a mixture) decode ``batch_size`` prompts
    together, one model call per step for all of them (``decoding.greedy_batch`` /
    ``beam_search_batch``), with the same results as one at a time; sampling, the
    repetition options and neural models go prompt by prompt.

    Examples
    --------
    >>> [r.generations[0].text for r in generate_lines(model, ["the", "a"], GenerateConfig(mode="greedy"))]  # doctest: +SKIP
    """
    cfg = config or GenerateConfig()
    count("batch_size", batch_size, 1)
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


class _Prompts:
    """``lm`` whose ``start`` gives one row per prompt, for the batched decoders."""

    def __init__(self, lm: Any, prompt_ids: list[list[int]]) -> None:
        self.lm = lm
        self.vocab = lm.vocab
        self.preprocess = lm.preprocess
        self._ids = prompt_ids

    def start(self, prompt_ids: Sequence[int]) -> Any:
        return self.lm.join_states([self.lm.start(ids) for ids in self._ids])

    def next_logprobs(self, state: Any) -> Any:
        return self.lm.next_logprobs(state)

    def advance(self, state: Any, token_ids: Any) -> Any:
        return self.lm.advance(state, token_ids)

    def select(self, state: Any, rows: Any) -> Any:
        return self.lm.select(state, rows)


def _generate_batch(lm: LanguageModel, texts: list[str], cfg: GenerateConfig, first: int) -> list[GenerateResult]:
    from wordseq import decoding
    from wordseq.text.preprocess import Preprocessor

    batched = (cfg.mode in ("greedy", "beam") and hasattr(lm, "join_states") and cfg.no_repeat_ngram == 0
               and cfg.repetition_penalty == 1.0)
    if not batched:
        return [_one(lm, text, cfg, first + i) for i, text in enumerate(texts)]
    pre = Preprocessor(lm.preprocess)
    prompts = [_prompt(lm, pre, text, f"line {first + i}: ") for i, text in enumerate(texts)]
    rows = _Prompts(lm, [p.ids for p in prompts])
    ban = [] if cfg.allow_unk else [lm.vocab.unk_id]
    if cfg.mode == "greedy":
        found = [[h] for h in decoding.greedy_batch(rows, (), max_tokens=cfg.max_tokens, ban=ban)]
    else:
        found = decoding.beam_search_batch(rows, (), beam=cfg.beam, max_tokens=cfg.max_tokens,
                                           length_penalty=cfg.length_penalty, num=cfg.num, ban=ban)
    return [_result(lm, pre, p, hyps) for p, hyps in zip(prompts, found)]


def _one(lm: LanguageModel, text: str, cfg: GenerateConfig, line: int) -> GenerateResult:
    try:
        return generate(lm, text, cfg)
    except InputError as error:
        raise InputError(f"line {line}: {error}") from None
