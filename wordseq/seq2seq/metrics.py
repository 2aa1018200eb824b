"""Scores of transductions against references: exact match, error rates, BLEU.

A source may have several references (CMUdict lists 2-5 pronunciations for ~7 % of its
words): as in the G2P literature (Bisani & Ney 2008) an output is right when it equals
any of them, and its token errors are counted against the closest one.

- exact match: share of sources whose output equals a reference;
- word error rate (WER): share of sources with any error, 1 − exact match (what G2P
  papers call WER: the "words" are the sources);
- token error rate: Levenshtein distance to the closest reference, summed, divided by
  the summed lengths of those references (phoneme error rate, PER, for G2P);
- BLEU: corpus BLEU-4 (Papineni et al. 2002) with all references of each source, the
  brevity penalty from the reference closest in length; for word-level targets.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from wordseq.config_checks import Record


def edit_distance(a: Sequence[str], b: Sequence[str]) -> int:
    """Levenshtein distance (insertions, deletions, substitutions each cost 1).

    Examples
    --------
    >>> edit_distance("kitten", "sitting")
    3
    """
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def _ngrams(tokens: Sequence[str], n: int) -> Counter[tuple[str, ...]]:
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def corpus_bleu(hypotheses: Sequence[Sequence[str]], references: Sequence[Sequence[Sequence[str]]], max_n: int = 4) -> float:
    """Corpus BLEU in [0, 1]: clipped n-gram precisions (n = 1..4), geometric mean,
    brevity penalty; 0 when some order has no match (no smoothing, as the original).

    Examples
    --------
    >>> corpus_bleu([["a", "b", "c", "d"]], [[["a", "b", "c", "d"]]])
    1.0
    """
    matches = [0] * max_n
    totals = [0] * max_n
    hyp_len = ref_len = 0
    for hyp, refs in zip(hypotheses, references):
        hyp_len += len(hyp)
        # closest reference length, the shorter one on a tie (as NLTK and sacrebleu)
        ref_len += min((abs(len(r) - len(hyp)), len(r)) for r in refs)[1]
        for n in range(1, max_n + 1):
            counts = _ngrams(hyp, n)
            most: Counter[tuple[str, ...]] = Counter()
            for r in refs:
                most |= _ngrams(r, n)
            matches[n - 1] += sum(min(c, most[g]) for g, c in counts.items())
            totals[n - 1] += max(len(hyp) - n + 1, 0)
    if hyp_len == 0 or any(m == 0 for m in matches):
        return 0.0
    log_precision = sum(math.log(m / t) for m, t in zip(matches, totals)) / max_n
    brevity = 1.0 if hyp_len > ref_len else math.exp(1 - ref_len / hyp_len)
    return brevity * math.exp(log_precision)


@dataclass
class Evaluation(Record):
    """Scores of one evaluation run; ``bleu`` is None for character-level targets."""

    sources: int
    pairs: int
    exact_match: float
    word_error_rate: float
    token_error_rate: float
    token_errors: int
    reference_tokens: int
    bleu: float | None = None
    beam: int = 1

    def lines(self) -> list[str]:
        """``name<TAB>value`` lines for the terminal (cut / awk read them)."""
        out = [f"sources\t{self.sources}", f"pairs\t{self.pairs}", f"exact_match\t{self.exact_match:.4f}",
               f"word_error_rate\t{self.word_error_rate:.4f}", f"token_error_rate\t{self.token_error_rate:.4f}"]
        if self.bleu is not None:
            out.append(f"bleu\t{self.bleu:.4f}")
        return out


def score(
    hypotheses: Sequence[Sequence[str]], references: Sequence[Sequence[Sequence[str]]], *, pairs: int | None = None,
    with_bleu: bool = False, beam: int = 1,
) -> Evaluation:
    """Scores of one hypothesis per source against that source's references.

    Examples
    --------
    >>> e = score([["HH", "AH", "L", "OW"]], [[["HH", "EH", "L", "OW"], ["HH", "AH", "L", "OW"]]])
    >>> e.exact_match, e.token_error_rate
    (1.0, 0.0)
    """
    if len(hypotheses) != len(references):
        raise ValueError("one hypothesis per source is needed")
    right = errors = ref_tokens = 0
    for hyp, refs in zip(hypotheses, references):
        # the closest reference; on equal distance the shorter (larger error rate: no flattery)
        dist, length = min((edit_distance(hyp, r), len(r)) for r in refs)
        right += dist == 0
        errors += dist
        ref_tokens += length
    n = len(hypotheses)
    exact = right / n if n else 0.0
    return Evaluation(
        sources=n, pairs=pairs if pairs is not None else sum(len(r) for r in references),
        exact_match=exact, word_error_rate=1 - exact if n else 0.0,
        token_error_rate=errors / ref_tokens if ref_tokens else 0.0, token_errors=errors,
        reference_tokens=ref_tokens, bleu=corpus_bleu(hypotheses, references) if with_bleu else None, beam=beam,
    )
