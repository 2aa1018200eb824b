"""kenlm's Python API on a wordseq n-gram model: ``full_scores``, ``score``, ``word in
model``, ``order``, and the incremental scorer that decoders use (``begin``,
``null_state``, ``advance(state, word)``), as ``kenlm.Model`` offers them.

Every figure comes from the one scoring path, ``NgramModel.token_log10`` (what ``ngram
eval`` uses): a sentence is scored as one block, and ``advance`` scores its state's words
and the new word as a block of its own, so a decoder's sum equals the sentence's score.

Text goes through the model's preprocessing (for a model of pre-tokenized text, the
whitespace split kenlm does); a sentence is one sequence, as kenlm reads it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from wordseq.text.preprocess import PreprocessConfig, Preprocessor
from wordseq.vocab import Vocabulary


@dataclass(frozen=True)
class NgramState:
    """What an n-gram model remembers of a sentence so far: the ids of its last words
    (at most order - 1 of them; ``<s>`` first when the sentence start is among them).
    Immutable and hashable, as kenlm's ``State``: equal states score every next word alike.
    """

    ids: tuple[int, ...]


class KenlmMethods:
    """kenlm.Model's scoring methods, for a class with ``token_log10`` (see ``model.py``)."""

    vocab: Vocabulary
    preprocess: PreprocessConfig
    order: int
    _preprocessor: Preprocessor | None = None

    def token_log10(self, tokens: np.ndarray, positions: np.ndarray,
                    lengths: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
        raise NotImplementedError

    def __contains__(self, word: object) -> bool:
        """Whether the model knows ``word`` (as kenlm: ``<s>`` and ``</s>`` are known, ``<unk>`` is not)."""
        return isinstance(word, str) and word in self.vocab and self.vocab.id(word) > self.vocab.unk_id

    def _sentence_ids(self, sentence: str | Sequence[str]) -> list[int]:
        if isinstance(sentence, str):
            if self._preprocessor is None:
                # the units the model knows, as ngram eval splits them (one scoring path)
                self._preprocessor = Preprocessor(self.preprocess.for_vocabulary(self.vocab.stoi))
            tokens = self._preprocessor.tokens(sentence)
        else:
            tokens = list(sentence)
        markers = (self.vocab.itos[self.vocab.bos_id], self.vocab.itos[self.vocab.eos_id], self.vocab.itos[self.vocab.pad_id])
        return self.vocab.encode(t for t in tokens if t not in markers)

    def _scored(self, ids: list[int], bos: bool, eos: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(log10 p, n-gram length, id) of each predicted token of one sentence."""
        v = self.vocab
        tokens = np.array(([v.bos_id] if bos else []) + ids + ([v.eos_id] if eos else []), dtype=np.int64)
        # without <s> the first word is the block's position 0: its unigram (kenlm's null context)
        lp, matched = self.token_log10(tokens, np.arange(len(tokens)), lengths=True)
        assert matched is not None
        first = 1 if bos else 0
        return lp[first:], matched[first:], tokens[first:]

    def full_scores(self, sentence: str | Sequence[str], bos: bool = True, eos: bool = True) -> Iterator[tuple[float, int, bool]]:
        """(log10 p, length of the n-gram used, whether the word is OOV) of each word and
        of ``</s>`` (with ``eos``), as ``kenlm.Model.full_scores``.

        Examples
        --------
        >>> from wordseq.ngram import train_ngram
        >>> m = train_ngram(["a b", "b"], order=2, discount_fallback=True)
        >>> [(round(p, 3), n, oov) for p, n, oov in m.full_scores("a zebra")]
        [(-0.426, 2, False), (-1.204, 1, True), (-0.602, 1, False)]
        """
        lp, matched, ids = self._scored(self._sentence_ids(sentence), bos, eos)
        for p, n, i in zip(lp.tolist(), matched.tolist(), ids.tolist()):
            yield p, n, i == self.vocab.unk_id

    def score(self, sentence: Any, bos: bool = True, eos: bool = True) -> float:
        """log10 probability of one sentence (as ``kenlm.Model.score``): between ``<s>``
        and ``</s>`` unless ``bos`` / ``eos`` are False.

        Examples
        --------
        >>> from wordseq.ngram import train_ngram
        >>> m = train_ngram(["a b", "b"], order=2, discount_fallback=True)
        >>> round(m.score("a b"), 4), round(m.score("a b", bos=False, eos=False), 4)
        (-0.7928, -0.7648)
        """
        if not isinstance(sentence, str):
            from wordseq.errors import InputError

            raise InputError(f"a text is a str, got {type(sentence).__name__}")
        lp, _, _ = self._scored(self._sentence_ids(sentence), bos, eos)
        return float(np.sum(lp, dtype=np.float64))

    # -- the incremental scorer ----------------------------------------------------------

    def begin(self) -> NgramState:
        """The state at a sentence's start (after ``<s>``), as kenlm's ``BeginSentenceWrite``."""
        return NgramState((self.vocab.bos_id,) if self.order > 1 else ())

    def null_state(self) -> NgramState:
        """The state with no context at all, as kenlm's ``NullContextWrite``."""
        return NgramState(())

    def score_word(self, state: NgramState, word: str) -> tuple[float, NgramState]:
        """(log10 p(word | state), the state after it): kenlm's ``BaseScore``. ``word``
        is one token as the model stores it (``</s>`` ends the sentence)."""
        ids = [*state.ids, self.vocab.id(word)]
        tokens = np.array(ids, dtype=np.int64)
        lp, _ = self.token_log10(tokens, np.arange(len(tokens)))
        keep = self.order - 1
        return float(lp[-1]), NgramState(tuple(ids[-keep:]) if keep else ())
