"""Seq2SeqModel: a trained encoder-decoder with its vocabularies and tokenization.

The Python API of ``wordseq seq2seq`` / ``wordseq transduce``: ``transduce(texts)``,
``evaluate(pairs)``, ``attention(text)``, and ``decoder_lm(texts)`` (the decoder bound to
sources, a ``LanguageModel`` for ``decoding.py``). Searches run over many sources at
once: sources are sorted by length into batches, decoded with the batched greedy or beam
search, and the results put back in input order.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from wordseq import decoding
from wordseq.decoding import Hypothesis
from wordseq.errors import InputError, OptionError, WordseqError
from wordseq.seq2seq.architectures import Network
from wordseq.seq2seq.config import SearchSettings, Seq2SeqConfig
from wordseq.seq2seq.decoder_lm import SourceConditionedLM
from wordseq.seq2seq.metrics import Evaluation, score
from wordseq.seq2seq.pairs import PairsInput, tokenize_pairs
from wordseq.text.preprocess import SPACE_TOKEN, PreprocessConfig, Preprocessor
from wordseq.vocab import Vocabulary

# Each output step attends over the whole source, and by default a source of N tokens may
# get 2N + 10 output steps: the work grows with N squared. A word, a name or a sentence is
# far below this; a whole document on one line (200,000 characters) would run for hours.
MAX_SOURCE_TOKENS = 1_000
# Lines are refused before tokenizing past this many characters (tokenizing is linear, but
# a line of megabytes need not be tokenized to know it is too long).
MAX_SOURCE_CHARS = 50 * MAX_SOURCE_TOKENS


def default_max_tokens(source_length: int) -> int:
    """Output length limit when none is given: twice the source's tokens, plus 10."""
    return 2 * min(source_length, MAX_SOURCE_TOKENS) + 10


def output_limit(config: Seq2SeqConfig, source_length: int, requested: int | None) -> int:
    """The output length limit of one source: ``requested`` (``--max-tokens``) or the
    default one, within what the network can write (a Transformer's positions)."""
    cap = config.max_target_tokens
    if requested is not None:
        if cap is not None and requested > cap:
            raise OptionError("--max-tokens", f"a {config.arch} model writes at most {cap:,} tokens, got {requested:,}")
        return requested
    limit = default_max_tokens(source_length)
    return limit if cap is None else min(limit, cap)


def _check_source_length(text: str, tokens: Sequence[str] | None, where: str) -> None:
    """An InputError when a source is too long to transduce (see MAX_SOURCE_TOKENS)."""
    if tokens is None and len(text) > MAX_SOURCE_CHARS:
        raise InputError(f"{where}: the source has {len(text):,} characters; transduce takes at most "
                         f"{MAX_SOURCE_TOKENS:,} tokens ({MAX_SOURCE_CHARS:,} characters) per line: split it")
    if tokens is not None and len(tokens) > MAX_SOURCE_TOKENS:
        raise InputError(f"{where}: the source has {len(tokens):,} tokens; transduce takes at most "
                         f"{MAX_SOURCE_TOKENS:,} per line: split it")


def decode_ids(
    net: Network, vocab: Vocabulary, preprocess: PreprocessConfig, device: torch.device,
    sources: Sequence[Sequence[int]], search: SearchSettings = SearchSettings(),
) -> list[list[Hypothesis]]:
    """The ``search.num`` best outputs (token ids, ``</s>`` last when finished) per source."""
    results: list[list[Hypothesis]] = [[] for _ in sources]
    order = sorted(range(len(sources)), key=lambda i: len(sources[i]))
    for start in range(0, len(order), search.batch_size):
        rows = order[start : start + search.batch_size]
        lm = SourceConditionedLM(net, vocab, preprocess, device, [sources[i] for i in rows])
        limits = [output_limit(net.config, len(sources[i]), search.max_tokens) for i in rows]
        if search.beam == 1:
            found = [[h] for h in decoding.greedy(lm, [[]], limits)]
        else:
            found = decoding.beam_search(lm, [[]], search.beam, limits, search.length_penalty, search.num)
        for i, hyps in zip(rows, found):
            results[i] = hyps
    return results


@dataclass
class Candidate:
    """One output for a source."""

    text: str
    tokens: list[str]
    logprob: float
    score: float
    finished: bool  # ended with </s> (not cut at the length limit)

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "tokens": self.tokens, "logprob": round(self.logprob, 6),
                "score": round(self.score, 6), "finished": self.finished}


@dataclass
class Transduction:
    """A source and its outputs, best first (none when the source has no tokens)."""

    source: str
    source_tokens: list[str]
    candidates: list[Candidate] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.candidates[0].text if self.candidates else ""

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "source_tokens": self.source_tokens,
                "outputs": [c.to_dict() for c in self.candidates]}


@dataclass
class AttentionMap:
    """Attention weights of one transduction: row t is what output token t looked at."""

    source_tokens: list[str]
    target_tokens: list[str]  # the output, </s> last when it finished
    weights: np.ndarray  # (len(target_tokens), len(source_tokens)), rows sum to 1


class Seq2SeqModel:
    """A trained encoder-decoder, ready to transduce.

    Parameters
    ----------
    net
        The network (weights loaded).
    config
        What it was built from.
    source_vocab, target_vocab
        The vocabularies of the two sides.
    device
        Where it runs.
    source_preprocess, target_preprocess
        Tokenization of the two sides; by default from ``config``.
    path, meta
        Where the model was saved and its meta.json (``meta["training"]`` holds the
        history), when it was.

    Examples
    --------
    >>> model = wordseq.load("g2p")                       # doctest: +SKIP
    >>> model.transduce(["phoneme"])[0].text              # doctest: +SKIP
    'F OW N IY M'
    """

    def __init__(
        self, net: Network, config: Seq2SeqConfig, source_vocab: Vocabulary, target_vocab: Vocabulary,
        device: torch.device, source_preprocess: PreprocessConfig | None = None,
        target_preprocess: PreprocessConfig | None = None, path: Path | None = None,
        meta: dict[str, Any] | None = None,
    ) -> None:
        self.net = net.to(device).eval()
        self.config = config
        self.source_vocab = source_vocab
        self.target_vocab = target_vocab
        self.device = device
        self.source_preprocess = source_preprocess or config.source_preprocess()
        self.target_preprocess = target_preprocess or config.target_preprocess()
        self.path = path
        self.meta = meta or {}
        self._source_pre = Preprocessor(self.source_preprocess)

    @property
    def training(self) -> dict[str, Any]:
        """The training figures of meta.json (settings, history, best epoch); {} if unknown."""
        return self.meta.get("training") or {}

    # -- text ↔ ids -------------------------------------------------------------------

    def source_tokens(self, text: str, where: str = "the source") -> list[str]:
        """A source through the model's source tokenization; an InputError naming ``where``
        when it is longer than MAX_SOURCE_TOKENS."""
        _check_source_length(text, None, where)
        tokens = self._source_pre.tokens(text)
        _check_source_length(text, tokens, where)
        return tokens

    def target_text(self, tokens: Sequence[str]) -> str:
        """Output tokens as text in the training targets' format."""
        if self.target_preprocess.level == "char":
            return "".join(" " if t == SPACE_TOKEN else t for t in tokens)
        if self.target_preprocess.subword is not None:
            return self.target_preprocess.subword.decode(list(tokens))
        return " ".join(tokens)

    def _candidate(self, h: Hypothesis) -> Candidate:
        body = [t for t in h.token_ids if t != self.target_vocab.eos_id]
        tokens = self.target_vocab.decode(body)
        return Candidate(self.target_text(tokens), tokens, h.logprob, h.score, h.finished)

    def decoder_lm(self, texts: str | Sequence[str]) -> SourceConditionedLM:
        """The decoder bound to these sources: a ``LanguageModel`` whose ``start`` gives
        one row per source, which ``decoding``'s searches decode together."""
        texts = [texts] if isinstance(texts, str) else list(texts)
        ids = []
        for text in texts:
            tokens = self.source_tokens(text)
            if not tokens:
                raise InputError(f"the source {text!r} has no tokens")
            ids.append(self.source_vocab.encode(tokens))
        return SourceConditionedLM(self.net, self.target_vocab, self.target_preprocess, self.device, ids)

    # -- transduction ----------------------------------------------------------------

    def transduce(
        self, texts: str | Iterable[str], beam: int = 1, num: int = 1, max_tokens: int | None = None,
        length_penalty: float = 1.0, batch_size: int = 64,
    ) -> list[Transduction]:
        """Outputs for each text (a single string counts as one text), in input order.

        A text with no tokens (a blank line) gets no outputs: its ``text`` is ``""``.

        Examples
        --------
        >>> [t.text for t in model.transduce(["hello", "world"], beam=5)]   # doctest: +SKIP
        ['HH AH L OW', 'W ER L D']
        """
        search = SearchSettings(beam, num, max_tokens, length_penalty, batch_size)
        texts = [texts] if isinstance(texts, str) else texts
        return list(self.transduce_stream(texts, search))

    def transduce_stream(self, lines: Iterable[str], search: SearchSettings = SearchSettings()) -> Iterator[Transduction]:
        """Transductions of lines as they come, ``search.batch_size`` lines at a time."""
        batch: list[str] = []
        first = 1
        for number, line in enumerate(lines, 1):
            batch.append(line)
            if len(batch) >= search.batch_size:
                yield from self._transduce_batch(batch, search, first)
                batch, first = [], number + 1
        if batch:
            yield from self._transduce_batch(batch, search, first)

    def _transduce_batch(self, texts: list[str], search: SearchSettings, first_line: int = 1) -> list[Transduction]:
        out = [Transduction(t, self.source_tokens(t, f"line {first_line + i}")) for i, t in enumerate(texts)]
        todo = [t for t in out if t.source_tokens]
        found = decode_ids(self.net, self.target_vocab, self.target_preprocess, self.device,
                           [self.source_vocab.encode(t.source_tokens) for t in todo], search)
        for t, hyps in zip(todo, found):
            t.candidates = [self._candidate(h) for h in hyps]
        return out

    # -- evaluation ------------------------------------------------------------------

    def evaluate(
        self, pairs: PairsInput, beam: int = 1, length_penalty: float = 1.0, batch_size: int = 64,
        encoding_errors: str = "strict",
    ) -> Evaluation:
        """Exact match, WER, token error rate (and BLEU for word targets) on pairs.

        Pairs with the same source are one source with several references.

        Parameters
        ----------
        pairs
            A ``source<TAB>target`` file, several, or (source, target) tuples.
        beam
            1: greedy search; more: beam search.
        """
        search = SearchSettings(beam=beam, length_penalty=length_penalty, batch_size=batch_size)
        data = tokenize_pairs(pairs, self._source_pre, Preprocessor(self.target_preprocess), encoding_errors)
        references: dict[tuple[str, ...], list[list[str]]] = {}
        for p in data.pairs:
            refs = references.setdefault(tuple(p.source), [])
            if p.target not in refs:
                refs.append(p.target)
        sources = list(references)
        found = decode_ids(self.net, self.target_vocab, self.target_preprocess, self.device,
                           [self.source_vocab.encode(s) for s in sources], search)
        hyps = [self._candidate(h[0]).tokens if h else [] for h in found]
        return score(hyps, [references[s] for s in sources], pairs=len(data),
                     with_bleu=self.target_preprocess.level == "word", beam=beam)

    # -- attention -------------------------------------------------------------------

    def attention(self, text: str, beam: int = 1, max_tokens: int | None = None) -> AttentionMap:
        """The attention weights behind the best output for ``text``.

        Raises
        ------
        WordseqError
            The model has no attention (``--attention none``).
        """
        if self.config.attention == "none":
            raise WordseqError("this model was trained with --attention none: it has no attention weights to show")
        lm = self.decoder_lm(text)
        limit = output_limit(self.config, len(lm.sources[0]), max_tokens)
        if beam == 1:
            best = decoding.greedy(lm, [[]], max_tokens=limit)[0]
        else:
            best = decoding.beam_search(lm, [[]], beam=beam, max_tokens=limit)[0][0]
        # force the chosen output through the decoder and keep each step's weights
        state = lm.start([])
        rows = []
        for tok in best.token_ids:
            assert state.attention is not None
            rows.append(state.attention[0].cpu().numpy())
            state = lm.advance(state, np.array([tok]))
        tokens = self.source_tokens(text)
        return AttentionMap(tokens, self.target_vocab.decode(best.token_ids), np.array(rows).reshape(-1, len(tokens)))
