"""Perplexity, computed one way for every language model (as KenLM's ``query`` reports it).

Every predicted token counts, ``</s>`` included (``<s>`` is context only). An OOV token is
scored as ``<unk>``; perplexity is given including OOVs and excluding them (their
log-probabilities and counts removed).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

LN10 = math.log(10.0)
LN2 = math.log(2.0)


@dataclass
class PerplexityReport:
    """Log-probability totals of a text and the figures derived from them (perplexity, OOV rate, bits per token)."""

    sentences: int = 0
    tokens: int = 0  # predicted tokens, </s> included
    oov: int = 0
    logprob: float = 0.0  # natural-log total over all predicted tokens
    oov_logprob: float = 0.0  # natural-log total over the OOV tokens alone
    # subword models: the scored text's words (split at whitespace), for per-word figures
    words: int = 0

    def add(self, logprob: float, is_oov: bool = False) -> None:
        self.tokens += 1
        self.logprob += logprob
        if is_oov:
            self.oov += 1
            self.oov_logprob += logprob

    @property
    def perplexity(self) -> float:
        return math.exp(-self.logprob / self.tokens) if self.tokens else math.inf

    @property
    def perplexity_excl_oov(self) -> float:
        n = self.tokens - self.oov
        return math.exp(-(self.logprob - self.oov_logprob) / n) if n else math.inf

    @property
    def oov_rate(self) -> float:
        return self.oov / self.tokens if self.tokens else 0.0

    @property
    def bits_per_token(self) -> float:
        """Cross-entropy in bits; bits per character for character-level models."""
        return -self.logprob / (self.tokens * LN2) if self.tokens else math.inf

    @property
    def perplexity_per_word(self) -> float:
        """Perplexity per word of a subword model's text: the total log-probability over
        the words plus one ``</s>`` a sentence, as a word model's perplexity counts
        ``</s>``, so the two compare. Infinite when no words were counted."""
        n = self.words + self.sentences
        return math.exp(-self.logprob / n) if self.words else math.inf

    def per_word(self) -> dict[str, float | int]:
        """The per-word figures, for a subword model's report (none otherwise)."""
        return {"words": self.words, "perplexity_per_word": self.perplexity_per_word} if self.words else {}

    def to_dict(self) -> dict[str, float | int]:
        return {
            **self.per_word(),
            "sentences": self.sentences,
            "tokens": self.tokens,
            "oov": self.oov,
            "oov_rate": self.oov_rate,
            "logprob_ln": self.logprob,
            "logprob_log10": self.logprob / LN10,
            "perplexity": self.perplexity,
            "perplexity_excl_oov": self.perplexity_excl_oov,
            "bits_per_token": self.bits_per_token,
        }

    def lines(self) -> list[str]:
        """Plain ``name<TAB>value`` lines for stdout."""
        per_word = [f"perplexity_per_word\t{self.perplexity_per_word:.4f}", f"words\t{self.words}"] if self.words else []
        return [
            f"perplexity\t{self.perplexity:.4f}",
            *per_word,
            f"perplexity_excl_oov\t{self.perplexity_excl_oov:.4f}",
            f"sentences\t{self.sentences}",
            f"tokens\t{self.tokens}",
            f"oov\t{self.oov}",
            f"oov_rate\t{self.oov_rate:.4f}",
            f"logprob_ln\t{self.logprob:.4f}",
            f"logprob_log10\t{self.logprob / LN10:.4f}",
        ]


# Above this share of OOV tokens a perplexity says more about the text's tokenization than
# about the model: the user is told what the model expects.
OOV_WARNING_RATE = 0.20


@dataclass
class LineScore:
    """The score of one input line (``--per-line``): every token and ``</s>`` predicted."""

    line: int  # 1-based
    logprob: float  # natural log
    tokens: int
    oov: int

    @property
    def perplexity(self) -> float:
        return math.exp(-self.logprob / self.tokens) if self.tokens else math.inf

    def to_dict(self) -> dict[str, float | int]:
        return {"line": self.line, "logprob_ln": self.logprob, "logprob_log10": self.logprob / LN10,
                "perplexity": self.perplexity, "tokens": self.tokens, "oov": self.oov}

    def tsv(self) -> str:
        return f"{self.logprob / LN10:.4f}\t{self.perplexity:.4f}\t{self.tokens}\t{self.oov}"


def checked_report(report: PerplexityReport, expects: str) -> PerplexityReport:
    """``check_scorable`` for the library: the error raised, the warning through
    ``warnings`` (a ``WordseqWarning``; the CLI shows it as a ``Warning:`` line)."""
    import warnings

    from wordseq.errors import WordseqWarning

    warning = check_scorable(report, expects)
    if warning:
        warnings.warn(warning, WordseqWarning, stacklevel=3)
    return report


def check_scorable(report: PerplexityReport, expects: str) -> str | None:
    """Raise for text no perplexity can describe; return a warning for a high OOV rate.

    ``expects`` describes the model's preprocessing (``PreprocessConfig.describe()``).
    """
    from wordseq.errors import InputError

    words = report.tokens - report.sentences
    if report.tokens == 0:
        raise InputError("the text has no tokens to score")
    if words > 0 and report.oov == words:
        raise InputError(
            f"none of the {report.oov:,} tokens of the text is in the model's vocabulary; check that the "
            f"text is in the model's language and preprocessing ({expects})"
        )
    if words > 0 and report.oov / words > OOV_WARNING_RATE:
        return (f"{report.oov:,} of the text's {words:,} words ({report.oov / words:.0%}) are not in the model's "
                f"vocabulary: the model expects {expects}; give the preprocessing options if the text was "
                "prepared differently")
    return None
