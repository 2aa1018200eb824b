"""The queryable n-gram model: vectorised scoring, perplexity, and the LanguageModel protocol."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from wordseq.errors import InputError, WordseqError
from wordseq.ngram.tables import NgramTables
from wordseq.perplexity import PerplexityReport
from wordseq.text.preprocess import PreprocessConfig
from wordseq.vocab import BOS, EOS, PAD, Vocabulary

LN10 = math.log(10.0)
_SCORE_CHUNK = 1 << 20  # positions scored at once
_MARKERS = frozenset({BOS, EOS, PAD})


@dataclass
class SentenceScore:
    logprob_log10: float
    tokens: int  # predicted, </s> included
    oov: int

    @property
    def perplexity(self) -> float:
        return 10 ** (-self.logprob_log10 / self.tokens) if self.tokens else math.inf


class NgramModel:
    """An n-gram language model in backoff form (see ``tables.py``).

    A decoding state is an int64 array (B, order - 1) of the last tokens of each row,
    -1 where the row has fewer (before ``<s>``).
    """

    def __init__(self, tables: NgramTables, preprocess: PreprocessConfig | None = None, smoothing: str = "") -> None:
        self.tables = tables
        self.vocab: Vocabulary = tables.vocab
        self.preprocess = preprocess or PreprocessConfig()
        self.smoothing = smoothing
        self.order = tables.order

    @property
    def is_normalised(self) -> bool:
        return self.smoothing != "stupid-backoff"

    # -- scoring ---------------------------------------------------------------------------

    def encode(self, tokens: Sequence[str]) -> list[int]:
        """Ids of a token sequence; literal sentence markers are dropped (they are implied)."""
        return self.vocab.encode(t for t in tokens if t not in _MARKERS)

    def token_log10(self, tokens: np.ndarray, positions: np.ndarray) -> np.ndarray:
        """log10 p of each token given the ones before it in its sentence.

        ``tokens`` is ``<s> w1 .. wk </s>`` for each sentence concatenated, ``positions``
        each token's place in its sentence (0 for ``<s>``; values may be capped at 255).
        The result at a ``<s>`` is meaningless.
        """
        t = self.tables
        tokens = tokens.astype(np.int64)
        result = t.prob[0][tokens].astype(np.float64)
        cur = tokens  # index of the (n-1)-gram ending at each position
        for n in range(2, self.order + 1):
            ctx = np.concatenate([[-1], cur[:-1]])
            ctx = np.where(positions >= n - 1, ctx, -1)
            cur = t.lookup(n, ctx, tokens)
            has_ctx = ctx >= 0
            found = cur >= 0
            bo = np.zeros(len(tokens))
            bo[has_ctx] = t.backoff[n - 2][ctx[has_ctx]]
            if t.unseen == "absolute":
                result = np.where(has_ctx, bo, result)
            else:
                result = result + bo
            result[found] = t.prob[n - 1][cur[found]]
        return result

    def score_sentences(self, sentences: Iterable[Sequence[int]]) -> Iterable[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Per batch of sentences: (log10 p of every predicted token, is-OOV, sentence number)."""
        batch: list[list[int]] = []
        size = 0
        first = 0
        for ids in sentences:
            batch.append(ids)
            size += len(ids) + 2
            if size >= _SCORE_CHUNK:
                yield self._score_batch(batch, first)
                first += len(batch)
                batch, size = [], 0
        if batch:
            yield self._score_batch(batch, first)

    def _score_batch(self, batch: list[list[int]], first: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        lens = np.array([len(b) + 2 for b in batch], dtype=np.int64)
        flat = np.empty(int(lens.sum()), dtype=np.int64)
        starts = np.cumsum(lens) - lens
        flat[starts] = self.vocab.bos_id
        flat[starts + lens - 1] = self.vocab.eos_id
        inner = np.ones(len(flat), dtype=bool)
        inner[starts] = False
        inner[starts + lens - 1] = False
        flat[inner] = np.fromiter((i for b in batch for i in b), dtype=np.int64, count=int(inner.sum()))
        positions = np.arange(len(flat)) - np.repeat(starts, lens)
        lp = self.token_log10(flat, np.minimum(positions, 255))
        predicted = positions >= 1
        sentence = np.repeat(np.arange(first, first + len(batch)), lens)
        return lp[predicted], (flat == self.vocab.unk_id)[predicted], sentence[predicted]

    def perplexity(self, sequences: Iterable[Sequence[str]], per_line: bool = False) -> tuple[PerplexityReport, list[SentenceScore]]:
        """Perplexity of token sequences, as KenLM's ``query`` reports it."""
        if not self.is_normalised:
            raise WordseqError(
                "stupid backoff gives scores, not probabilities (they do not sum to 1), so it has no "
                "perplexity; train with --smoothing modified-kneser-ney (or another normalised smoothing)"
            )
        report = PerplexityReport()
        lines: list[SentenceScore] = []
        for lp, oov, sent in self.score_sentences(self.encode(s) for s in sequences):
            ln = lp * LN10
            report.tokens += len(lp)
            report.logprob += float(ln.sum())
            report.oov += int(oov.sum())
            report.oov_logprob += float(ln[oov].sum())
            if len(sent):
                report.sentences = int(sent[-1]) + 1
            if per_line and len(sent):
                base = int(sent[0])
                local = sent - base
                m = int(local[-1]) + 1
                totals = np.bincount(local, weights=lp, minlength=m)
                toks = np.bincount(local, minlength=m)
                oovs = np.bincount(local, weights=oov, minlength=m)
                lines.extend(SentenceScore(float(a), int(b), int(c)) for a, b, c in zip(totals, toks, oovs))
        if report.tokens == 0:
            raise InputError("the text has no tokens to score")
        if report.oov == report.tokens - report.sentences:
            raise InputError(
                f"none of the {report.oov:,} words of the text is in the model's vocabulary; check that the "
                f"text is in the model's language and preprocessing ({self.preprocess.describe()})"
            )
        return report, lines

    # -- LanguageModel protocol ------------------------------------------------------------

    def start(self, prompt_ids: Sequence[int]) -> np.ndarray:
        width = self.order - 1
        ids = [self.vocab.bos_id] + [int(i) for i in prompt_ids]
        ids = ids[-width:] if width else []
        row = [-1] * (width - len(ids)) + ids
        return np.array([row], dtype=np.int64).reshape(1, width)

    def advance(self, state: np.ndarray, token_ids: np.ndarray) -> np.ndarray:
        if self.order == 1:
            return state
        return np.concatenate([state[:, 1:], np.asarray(token_ids, dtype=np.int64)[:, None]], axis=1)

    def select(self, state: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return state[np.asarray(rows, dtype=np.int64)]

    def next_logprobs(self, state: np.ndarray) -> np.ndarray:
        t = self.tables
        B = state.shape[0]
        dist = np.tile(t.prob[0], (B, 1)).astype(np.float64)
        for n in range(2, self.order + 1):
            ctx = t.index_of(state[:, -(n - 1) :])
            for r in np.flatnonzero(ctx >= 0).tolist():
                c = int(ctx[r])
                bo = t.backoff[n - 2][c]
                if t.unseen == "absolute":
                    dist[r] = bo
                else:
                    dist[r] += bo
                span = t.continuations(n, c)
                dist[r, t.keys[n - 1][span] % t.vocab_size] = t.prob[n - 1][span]
        dist[:, [self.vocab.pad_id, self.vocab.bos_id]] = -np.inf
        return dist * LN10
