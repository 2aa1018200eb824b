"""The queryable n-gram model: vectorised scoring, perplexity, and the LanguageModel protocol."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, overload

import numpy as np

from wordseq.errors import WordseqError
from wordseq.generation import TextMethods
from wordseq.ngram.encode import IdBlock, ScoringIds, encode_chunk, sequence_chunks
from wordseq.ngram.evaluate import BlockScores, evaluate
from wordseq.ngram.kenlm_api import KenlmMethods, NgramState
from wordseq.ngram.tables import NgramTables, find_keys, find_sorted_keys, sort_with_order
from wordseq.perplexity import LN10, LineScore, PerplexityReport
from wordseq.text.preprocess import PreprocessConfig
from wordseq.vocab import BOS, EOS, PAD, Vocabulary

_MARKERS = frozenset({BOS, EOS, PAD})


class ContextWindow:
    """The decoding state of an order-N model (LanguageModel protocol): each row's last
    N-1 token ids, -1 before the sentence's ``<s>``."""

    order: int
    vocab: Vocabulary

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

    def join_states(self, states: Sequence[np.ndarray]) -> np.ndarray:
        """One state of the rows of several (prompts of any length decode as one batch)."""
        return np.concatenate(list(states), axis=0)


class NgramModel(ContextWindow, KenlmMethods, TextMethods):
    """An n-gram language model in backoff form (see ``tables.py``).

    A decoding state is an int64 array (B, order - 1) of the last tokens of each row,
    -1 where the row has fewer (before ``<s>``).

    Examples
    --------
    >>> from wordseq.ngram import train_ngram
    >>> model = train_ngram(["a b", "b"], order=2, discount_fallback=True)
    >>> model.perplexity(["a b"]) > 1
    True
    >>> round(model.score("a b"), 4)  # log10 p(a b </s>), as kenlm.Model.score
    -0.7928
    >>> p, state = model.advance(model.begin(), "a")  # a decoder's step, as kenlm's BaseScore
    >>> round(p, 4), state == model.advance(model.begin(), "a")[1]
    (-0.426, True)
    """

    def __init__(self, tables: NgramTables, preprocess: PreprocessConfig | None = None, smoothing: str = "",
                 config: dict[str, Any] | None = None) -> None:
        self.tables = tables
        self.vocab: Vocabulary = tables.vocab
        self.preprocess = preprocess or PreprocessConfig()
        self.smoothing = smoothing
        self.order = tables.order
        self.config: dict[str, Any] = dict(config or {"order": tables.order, "smoothing": smoothing})
        self.training: dict[str, Any] = {}
        self.sources: list[Any] = []  # SourceStats of the files trained on
        self.staged: Any = None  # folder of table files already written (counting in partitions)
        self.path: Path | None = None  # where it was loaded from or saved to
        self._ids: ScoringIds | None = None

    @property
    def is_normalised(self) -> bool:
        return self.smoothing != "stupid-backoff"

    @property
    def exportable(self) -> bool:
        """Whether an ARPA file holds this model exactly."""
        return self.tables.unseen == "backoff"

    def scoring_ids(self) -> ScoringIds:
        """token → id for scoring text (unknown tokens are <unk>)."""
        if self._ids is None:
            self._ids = ScoringIds(self.vocab)
        return self._ids

    # -- scoring ---------------------------------------------------------------------------

    def encode(self, tokens: Sequence[str]) -> list[int]:
        """Ids of a token sequence; literal sentence markers are dropped (they are implied)."""
        return self.vocab.encode(t for t in tokens if t not in _MARKERS)

    def token_log10(self, tokens: np.ndarray, positions: np.ndarray, lengths: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
        """log10 p of each token given the ones before it in its sentence.

        ``tokens`` is ``<s> w1 .. wk </s>`` for each sentence concatenated, ``positions``
        each token's place in its sentence (0 for ``<s>``). The result at a ``<s>`` is
        meaningless. With ``lengths``, also the order of the n-gram that matched.
        """
        t = self.tables
        tokens = np.asarray(tokens, dtype=np.int64)
        result = t.prob[0][tokens]  # float32 sums, as KenLM's query
        matched = np.ones(len(tokens), dtype=np.int8) if lengths else None
        absolute = t.unseen == "absolute"
        # rows: positions that have a context of n-1 words in the tables; ctx: its index.
        # Only rows whose n-gram is found go on to the next order, so the work shrinks.
        positions = np.asarray(positions)
        last = (np.append(positions, 0) == 0)[1:]  # the next token starts a sentence (or the block ends)
        rows = np.flatnonzero(positions)  # every token but the <s>
        # The bigrams sorted once: their entries are then found in table order, so are the
        # contexts of every higher order (an order's queries come sorted by context), and
        # the binary searches walk each table forwards instead of jumping about in it.
        bigrams, by_bigram = sort_with_order(tokens[rows - 1] * t.vocab_size + tokens[rows])
        rows = rows[by_bigram]
        ctx = None
        for n in range(2, self.order + 1):
            if len(rows) == 0:
                break
            if ctx is None:
                found = find_sorted_keys(t.keys[1], bigrams)
            else:
                queries = ctx * t.vocab_size
                queries += tokens[rows]
                found = find_keys(t.keys[n - 1], queries, nearly_sorted=True)
            hit = found >= 0
            if not hit.all():  # backed off: add the context's backoff (add-k: its floor)
                missed = ~hit
                bo = t.backoff[n - 2][tokens[rows[missed] - 1] if ctx is None else ctx[missed]]
                if absolute:
                    result[rows[missed]] = bo
                else:
                    result[rows[missed]] += bo
                rows, found = rows[hit], found[hit]
            result[rows] = t.prob[n - 1][found]
            if matched is not None:
                matched[rows] = n
            # the n-gram ending here is the context of the next token, unless that one
            # starts the next sentence
            keep = ~last[rows]
            rows, ctx = rows[keep] + 1, found[keep]
        return result, matched

    def score_block(self, block: IdBlock, lengths: bool = False) -> BlockScores:
        """Scores of every predicted token of a block (see ``encode.py``)."""
        lp, matched = self.token_log10(block.ids, block.positions, lengths)
        return BlockScores.of(block, lp, matched, self.vocab.unk_id)

    def score_sentences(self, sentences: Iterable[Sequence[int]]) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Per batch of id sentences: (log10 p of every predicted token, is-OOV, sentence number)."""
        words = self.vocab.itos
        first = 0
        for chunk in sequence_chunks([words[i] for i in ids] for ids in sentences):
            block = encode_chunk(chunk, self.scoring_ids(), self.vocab.bos_id, self.vocab.eos_id, keep_empty=True)
            s = self.score_block(block)
            yield s.log10, s.oov, s.sequence + first
            first += len(block.lengths)

    def evaluate(self, corpus: Any, *, preprocess: PreprocessConfig | None = None, per_line: bool = False,
                 encoding_errors: str = "strict") -> tuple[PerplexityReport, list[LineScore]]:
        """Perplexity of a text (files, '-', lines, or token lists), as KenLM's ``query``
        reports it: every line scored (a blank one as ``</s>`` alone); with ``per_line``
        also one ``LineScore`` per input line. ``preprocess`` overrides the model's own.
        """
        ev = evaluate(self, corpus, preprocess=preprocess, per_line=per_line, encoding_errors=encoding_errors)
        lines = list(ev.lines())
        return ev.finish(), lines

    def check_normalised(self) -> None:
        if not self.is_normalised:
            raise WordseqError(
                "stupid backoff gives scores, not probabilities (they do not sum to 1), so it has no "
                "perplexity; train with --smoothing modified-kneser-ney (or another normalised smoothing)"
            )

    # -- LanguageModel protocol ------------------------------------------------------------

    @overload
    def advance(self, state: NgramState, token_ids: str) -> tuple[float, NgramState]: ...
    @overload
    def advance(self, state: np.ndarray, token_ids: np.ndarray) -> np.ndarray: ...

    def advance(self, state: Any, token_ids: Any) -> Any:
        """The state after ``token_ids`` (the LanguageModel protocol's batch step); or, for
        an ``NgramState`` and one word, kenlm's incremental step ``(log10 p, next state)``
        (``score_word``)."""
        if isinstance(state, NgramState):
            return self.score_word(state, token_ids)
        return ContextWindow.advance(self, state, token_ids)

    def next_log10(self, state: np.ndarray) -> np.ndarray:
        """(B, len(vocab)) log10 probabilities of the next token (-inf for <pad>, <s>)."""
        t = self.tables
        B = state.shape[0]
        dist = np.tile(np.asarray(t.prob[0], dtype=np.float64), (B, 1))
        for n in range(2, self.order + 1):
            ctx = t.index_of(state[:, -(n - 1) :])
            for r in np.flatnonzero(ctx >= 0).tolist():
                c = int(ctx[r])
                bo = float(t.backoff[n - 2][c])
                if t.unseen == "absolute":
                    dist[r] = bo
                else:
                    dist[r] += bo
                span = t.continuations(n, c)
                dist[r, np.asarray(t.keys[n - 1][span]) % t.vocab_size] = t.prob[n - 1][span]
        dist[:, [self.vocab.pad_id, self.vocab.bos_id]] = -np.inf
        return dist

    def next_logprobs(self, state: np.ndarray) -> np.ndarray:
        return self.next_log10(state) * LN10
