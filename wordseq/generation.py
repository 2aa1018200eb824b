"""Text in, text out: a prompt through the model's preprocessing, decoded, detokenized.

``generate`` works with every ``LanguageModel`` (n-gram or neural); the search itself is
in ``decoding``. ``GenerateConfig`` checks every setting once, including a memory bound on
``num`` and ``beam`` (each costs a row of vocabulary-sized arrays per step).
"""

from __future__ import annotations

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


def generate(lm: LanguageModel, prompt: str = "", config: GenerateConfig | None = None) -> GenerateResult:
    """Continue ``prompt`` (raw text, preprocessed as the model's training text was).

    Examples
    --------
    >>> generate(model, "the government", GenerateConfig(mode="beam", beam=5))  # doctest: +SKIP
    """
    from wordseq import decoding
    from wordseq.text.preprocess import Preprocessor

    cfg = config or GenerateConfig()
    vocab = lm.vocab
    cfg.check_memory(len(vocab))
    pre = Preprocessor(lm.preprocess)
    prompt_tokens = pre.normalize_query(prompt) if prompt.strip() else []
    prompt_ids = vocab.encode(prompt_tokens)
    unknown = [t for t, i in zip(prompt_tokens, prompt_ids) if i == vocab.unk_id and t != "<unk>"]
    if prompt_tokens and len(unknown) == len(prompt_tokens):
        raise InputError(f"no word of the prompt is in the model's vocabulary (after preprocessing: {' '.join(prompt_tokens)})")
    ban = [] if cfg.allow_unk else [vocab.unk_id]
    if cfg.mode == "beam":
        hyps = decoding.beam_search(lm, prompt_ids, beam=cfg.beam, max_tokens=cfg.max_tokens,
                                    length_penalty=cfg.length_penalty, num=cfg.num, ban=ban)
    elif cfg.mode == "greedy":
        hyps = [decoding.greedy(lm, prompt_ids, max_tokens=cfg.max_tokens, ban=ban)]
    else:
        hyps = decoding.sample(lm, prompt_ids, num=cfg.num, max_tokens=cfg.max_tokens, temperature=cfg.temperature,
                               top_k=cfg.top_k, top_p=cfg.top_p, seed=cfg.seed, ban=ban)
    if not hyps:
        raise WordseqError("the model produced nothing (every token was banned or impossible)")
    out = []
    for h in hyps:
        body = [t for t in h.token_ids if t != vocab.eos_id]
        out.append(Generation(text=pre.detokenize(prompt_tokens + vocab.decode(body)), prompt_tokens=prompt_tokens,
                              tokens=vocab.decode(h.token_ids), logprobs=list(h.logprobs), finished=h.finished,
                              score=h.score))
    return GenerateResult(out, unknown)
