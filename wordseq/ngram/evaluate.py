"""Scoring text with an n-gram model (or a mixture): totals, one score per input line,
KenLM ``query``-style per-token output, bits per character.

Every input line gets exactly one per-line score, blank lines included: a blank line is
the empty sentence, so it scores ``</s>`` alone (as KenLM's ``query`` does), and the
per-line output can be pasted beside the input. With ``--sentences`` a line's score is
the sum over its sentences.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol

import numpy as np

from wordseq.ngram.encode import Corpus, IdBlock, ScoringIds, TokenChunk, corpus_chunks, id_blocks, reader_id_blocks
from wordseq.perplexity import LN10, LineScore, PerplexityReport, checked_report
from wordseq.text.preprocess import PreprocessConfig
from wordseq.text.reader import CorpusReader
from wordseq.vocab import Vocabulary


@dataclass
class BlockScores:
    """Scores of the predicted tokens of an ``IdBlock`` (every token but the ``<s>``)."""

    log10: np.ndarray  # float32, as KenLM's; sum them in float64
    oov: np.ndarray  # bool
    ids: np.ndarray  # the predicted token ids
    lengths: np.ndarray  # tokens per sequence of the block, <s> and </s> included
    length: np.ndarray | None = None  # order of the n-gram that matched (KenLM query's n)

    @classmethod
    def of(cls, block: IdBlock, log10: np.ndarray, matched: np.ndarray | None, unk_id: int) -> BlockScores:
        """The scores of a block's predicted tokens, from ``log10`` of all its tokens."""
        predicted = block.positions >= 1
        ids = block.ids[predicted]
        return cls(log10[predicted], ids == unk_id, ids, block.lengths, None if matched is None else matched[predicted])

    @cached_property
    def sequence(self) -> np.ndarray:
        """Index of each token's sequence within the block (per-line scores need it)."""
        return np.repeat(np.arange(len(self.lengths)), self.lengths - 1)



def add_to_report(report: PerplexityReport, s: BlockScores, sequences: int) -> None:
    """Add the scores of one block of sequences to ``report``."""
    report.tokens += len(s.log10)
    report.logprob += float(np.sum(s.log10, dtype=np.float64)) * LN10
    oov = int(s.oov.sum())
    report.oov += oov
    if oov:
        report.oov_logprob += float(np.sum(s.log10[s.oov], dtype=np.float64)) * LN10
    report.sentences += sequences


class ScoringModel(Protocol):
    """What evaluation needs of a model (``NgramModel`` and ``MixedNgramModel``)."""

    vocab: Vocabulary
    preprocess: PreprocessConfig

    def scoring_ids(self) -> ScoringIds: ...
    def score_block(self, block: IdBlock, lengths: bool = False) -> BlockScores: ...
    def check_normalised(self) -> None: ...


def _short(x: float) -> str:
    """The shortest text that gives back the float32 value (as KenLM prints)."""
    return str(np.float32(x))


@dataclass
class TokenScore:
    """One token as KenLM's query shows it: ``id`` is the word's place among the ARPA
    unigrams (``<unk>`` 0, ``<s>`` 1, ``</s>`` 2, as KenLM numbers them), ``length`` the
    order of the n-gram that matched."""

    word: str
    id: int
    length: int
    log10: float

    def kenlm(self) -> str:
        return f"{self.word}={self.id} {self.length} {_short(self.log10)}"


@dataclass
class TokenLineScore(LineScore):
    """A line's score with its tokens (``--per-token``)."""

    words: list[TokenScore] = field(default_factory=list)

    def kenlm(self) -> str:
        """KenLM query's line: ``word=id n log10p`` per token, then the line's total."""
        parts = [w.kenlm() for w in self.words]
        return "\t".join(parts + [f"Total: {_short(self.logprob / LN10)} OOV: {self.oov}"])

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = dict(super().to_dict())
        d["words"] = [{"word": w.word, "id": w.id, "n": w.length, "log10": w.log10} for w in self.words]
        return d


@dataclass
class Evaluation:
    """Scores of a text; iterate ``lines()`` first when per-line scores were asked for."""

    model: Any
    blocks: Iterator[IdBlock]
    per_line: bool
    per_token: bool
    preprocess: PreprocessConfig
    report: PerplexityReport = field(default_factory=PerplexityReport)
    done: bool = False
    oov_penalty: float = 0.0  # log10 of the unseen words p(<unk>) is shared by (--vocab-pad)

    def lines(self) -> Iterator[LineScore]:
        """Per-line scores as the text is read (all of it is scored on the way)."""
        for block in self.blocks:
            scores = self.model.score_block(block, lengths=self.per_token)
            if self.oov_penalty:
                scores.log10 = np.where(scores.oov, scores.log10 - np.float32(self.oov_penalty),
                                        scores.log10).astype(np.float32)
            add_to_report(self.report, scores, len(block.lengths))
            if self.per_line or self.per_token:
                yield from _line_scores(block, scores, self.per_token, self.model.vocab)
        self.done = True

    def finish(self) -> PerplexityReport:
        """Score whatever is left and return the totals (an error for text with no
        tokens, or with none of the model's words)."""
        if not self.done:
            for _ in self.lines():
                pass
        return checked_report(self.report, self.preprocess.describe())


def evaluate(
    model: ScoringModel, text: Corpus, *, preprocess: PreprocessConfig | None = None, per_line: bool = False,
    per_token: bool = False, encoding_errors: str = "strict", on_chunk: Callable[[TokenChunk], None] | None = None,
    vocab_pad: int | None = None,
) -> Evaluation:
    """Score text (files, a reader, raw lines or token lists) through the model's
    preprocessing (or ``preprocess``); iterate ``lines()`` for per-line scores, then
    ``finish()`` for the totals.

    ``vocab_pad`` (KenLM's ``--vocab_pad``, kpu/kenlm#67): score the text as if the
    vocabulary had ``vocab_pad`` words, p(<unk>) being shared by the ``vocab_pad - |vocab|``
    words the model never saw; each OOV then costs log10(vocab_pad - |vocab|) more, and
    perplexities of models with different vocabularies (a mixture and its parts) compare.

    Examples
    --------
    >>> from wordseq.ngram import train_ngram
    >>> m = train_ngram(["a b", "b"], order=2, discount_fallback=True)
    >>> ev = evaluate(m, ["a b", "", "b"], per_line=True)
    >>> len(list(ev.lines()))
    3
    """
    model.check_normalised()
    preprocess = (preprocess or model.preprocess).for_vocabulary(model.vocab.stoi)
    chunks, source = corpus_chunks(text, preprocess, encoding_errors)
    report = PerplexityReport()
    penalty = 0.0 if vocab_pad is None else math.log10(vocab_pad_share(vocab_pad, model.vocab.num_words))

    def seen(chunk: TokenChunk) -> None:
        report.words += chunk.words  # subword models: per-word perplexity too
        if on_chunk is not None:
            on_chunk(chunk)

    if isinstance(source, CorpusReader) and preprocess.pretokenized and not per_token and on_chunk is None:
        # pre-tokenized files: ids straight from the bytes (their chunks have no words to count)
        blocks = reader_id_blocks(source, preprocess, model.scoring_ids())
    else:
        blocks = id_blocks(chunks, model.scoring_ids(), keep_empty=True, on_chunk=seen, with_words=per_token)
    return Evaluation(model, blocks, per_line, per_token, preprocess, report, oov_penalty=penalty)


def vocab_pad_share(vocab_pad: int, words: int) -> int:
    """How many unseen words p(<unk>) is shared by: ``vocab_pad`` less the model's words."""
    from wordseq.errors import OptionError

    if isinstance(vocab_pad, bool) or not isinstance(vocab_pad, int) or vocab_pad <= words:
        raise OptionError("--vocab-pad", f"{vocab_pad!r} must be a whole number above the model's vocabulary "
                                         f"({words:,} words)")
    return vocab_pad - words


def _line_scores(block: IdBlock, s: BlockScores, per_token: bool, vocab: Vocabulary) -> Iterator[LineScore]:
    lines = block.sequence_lines - block.first_line  # line of each sequence, within the block
    token_line = lines[s.sequence]
    m = block.lines
    totals = np.bincount(token_line, weights=s.log10, minlength=m).tolist()
    toks = np.bincount(token_line, minlength=m).tolist()
    oovs = np.bincount(token_line, weights=s.oov, minlength=m).astype(np.int64).tolist()
    words: list[list[TokenScore]] | None = None
    if per_token and s.length is not None:
        words = [[] for _ in range(m)]
        names = _predicted_words(block, vocab)
        for li, w, i, n, lp in zip(token_line.tolist(), names, s.ids.tolist(), s.length.tolist(), s.log10.tolist()):
            words[li].append(TokenScore(w, i - 1, n, lp))  # KenLM's numbering has no <pad>
    for i in range(m):
        if words is None:
            yield LineScore(block.first_line + i + 1, totals[i] * LN10, toks[i], oovs[i])
        else:
            yield TokenLineScore(block.first_line + i + 1, totals[i] * LN10, toks[i], oovs[i], words[i])


def _predicted_words(block: IdBlock, vocab: Vocabulary) -> list[str]:
    """The text of each predicted token: the input's word, or </s>."""
    out: list[str] = []
    words = iter(block.words or [])
    eos = vocab.itos[vocab.eos_id]
    for length in block.lengths.tolist():
        out.extend(next(words) for _ in range(length - 2))
        out.append(eos)
    return out

