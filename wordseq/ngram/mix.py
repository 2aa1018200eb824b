"""Linear interpolation of n-gram models: p(w|h) = sum_i lambda_i p_i(w|h).

The mixture's vocabulary is the union of its parts'. A part that lacks a word scores it
as its own ``<unk>``, and shares that probability equally between ``<unk>`` and every
word of the union it lacks, so each part, and the mixture, stays a distribution over
the union (with one shared vocabulary, e.g. parts trained with the same ``--vocab``,
nothing is shared and the mixture is the textbook interpolation).

Weights are given, or fitted by expectation-maximisation on held-out text (as SRILM's
``compute-best-mix``): each step sets lambda_i to the mean over the held-out tokens of
the posterior lambda_i p_i / sum_j lambda_j p_j, which never lowers the held-out
likelihood.

A mixture is stored as a model of kind "ngram" holding copies of its parts' tables
(files ``part{i}.*``) and the weights in meta.json, so it works wherever an n-gram model
does (``ngram eval``, ``generate``) and does not change when a part is retrained.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from wordseq.errors import InputError, ModelError, OptionError, WordseqError
from wordseq.generation import TextMethods
from wordseq.ngram.encode import IdBlock, ScoringIds, id_blocks
from wordseq.ngram.evaluate import BlockScores
from wordseq.ngram.model import ContextWindow, NgramModel
from wordseq.ngram.table_files import declared_sizes, read_tables, unseen_mode, write_tables
from wordseq.text.preprocess import PreprocessConfig
from wordseq.vocab import SPECIALS, Vocabulary

EM_TOLERANCE = 1e-7
EM_MAX_STEPS = 500


def check_weights(weights: Sequence[float], parts: int) -> np.ndarray:
    """Weights as an array: finite, non-negative, one per part, summing to 1 (up to 1e-6)."""
    w = np.asarray([float(x) for x in weights], dtype=np.float64)
    if len(w) != parts:
        raise OptionError("--weights", f"{len(w)} weight(s) for {parts} model(s)")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise OptionError("--weights", f"must be finite and at least 0, got {' '.join(map(str, weights))}")
    if abs(w.sum() - 1.0) > 1e-6:
        raise OptionError("--weights", f"must sum to 1, got {' '.join(map(str, weights))} (sum {w.sum():g})")
    return w


class MixedNgramModel(ContextWindow, TextMethods):
    """A linear interpolation of n-gram models (a LanguageModel, and scorable as one).

    Examples
    --------
    >>> from wordseq.ngram import train_ngram
    >>> a = train_ngram(["a b", "b"], order=2, discount_fallback=True)
    >>> b = train_ngram(["b a", "a"], order=2, discount_fallback=True)
    >>> mix = MixedNgramModel([a, b], [0.5, 0.5])
    >>> mix.vocab.itos[4:]
    ['b', 'a']
    """

    is_mixture = True
    smoothing = "mixture"
    exportable = False
    is_normalised = True

    def __init__(self, parts: Sequence[Any], weights: Sequence[float], preprocess: PreprocessConfig | None = None) -> None:
        for i, part in enumerate(parts, 1):
            if not isinstance(part, NgramModel | MixedNgramModel):
                raise ModelError(f"a mixture takes n-gram models (loaded, e.g. wordseq.load(NAME, 'ngram')); "
                                 f"model {i} is a {type(part).__name__}")
        if len(weights) != len(parts):
            raise OptionError("--weights", f"{len(weights)} weight(s) for {len(parts)} model(s)")
        check_weights(weights, len(parts))
        flat_parts, flat_weights = _flatten(parts, weights)
        if len(flat_parts) < 2:
            raise InputError("a mixture needs at least two models")
        for p in flat_parts:
            if not p.is_normalised:
                raise InputError("a stupid-backoff model gives scores, not probabilities; it cannot be mixed")
        self.parts: list[NgramModel] = flat_parts
        self.weights = check_weights(flat_weights, len(flat_parts))
        self.preprocess = preprocess or _common_preprocessing(flat_parts)
        self.order = max(p.order for p in flat_parts)
        self.vocab = _union(flat_parts)
        self._to_part = []
        self._adjust = []
        for p in flat_parts:
            ids = np.fromiter(map(p.vocab.stoi.get, self.vocab.itos, [p.vocab.unk_id] * len(self.vocab)),
                              dtype=np.int64, count=len(self.vocab))
            missing = np.zeros(len(self.vocab), dtype=bool)
            missing[len(SPECIALS):] = np.array([w not in p.vocab.stoi for w in self.vocab.itos[len(SPECIALS):]], dtype=bool)
            shared = int(missing.sum())
            adjust = np.zeros(len(self.vocab))
            if shared:
                adjust[missing] = -math.log10(shared + 1)
                adjust[self.vocab.unk_id] = -math.log10(shared + 1)
            self._to_part.append(ids)
            self._adjust.append(adjust)
        self._ids: ScoringIds | None = None
        self.config: dict[str, Any] = {}
        self.training: dict[str, Any] = {}
        self.path: Path | None = None

    # scoring text works as for one model (``wordseq.ngram.evaluate``)
    evaluate = NgramModel.evaluate
    perplexity = NgramModel.perplexity  # type: ignore[assignment]
    next_logprobs = NgramModel.next_logprobs  # type: ignore[assignment]

    def scoring_ids(self) -> ScoringIds:
        if self._ids is None:
            self._ids = ScoringIds(self.vocab)
        return self._ids

    def check_normalised(self) -> None:
        return None

    def part_log10(self, block: IdBlock, lengths: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
        """(K, T) log10 p_i of every token of the block under each part (over the union)."""
        out = np.empty((len(self.parts), len(block.ids)))
        matched = np.zeros(len(block.ids), dtype=np.int8) if lengths else None
        for i, part in enumerate(self.parts):
            lp, m = part.token_log10(self._to_part[i][block.ids], block.positions, lengths)
            out[i] = lp + self._adjust[i][block.ids]
            if matched is not None and m is not None:
                np.maximum(matched, m, out=matched)
        return out, matched

    def score_block(self, block: IdBlock, lengths: bool = False) -> BlockScores:
        lp, matched = self.part_log10(block, lengths)
        return BlockScores.of(block, _mix_log10(lp, self.weights), matched, self.vocab.unk_id)

    # -- LanguageModel protocol --------------------------------------------------------------

    def next_log10(self, state: np.ndarray) -> np.ndarray:
        dists = np.empty((len(self.parts), state.shape[0], len(self.vocab)))
        for i, part in enumerate(self.parts):
            width = part.order - 1
            sub = state[:, state.shape[1] - width :] if width else state[:, :0]
            part_state = np.where(sub >= 0, self._to_part[i][np.maximum(sub, 0)], -1)
            dists[i] = part.next_log10(part_state)[:, self._to_part[i]] + self._adjust[i]
        out = _mix_log10(dists, self.weights)
        out[:, [self.vocab.pad_id, self.vocab.bos_id]] = -np.inf
        return out


def _mix_log10(lp: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """log10 sum_i w_i 10^lp_i over the first axis, without underflow."""
    top = lp.max(axis=0)
    safe = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        total = np.tensordot(weights, np.power(10.0, lp - safe), axes=1)
        return np.log10(total) + safe


def _flatten(parts: Sequence[Any], weights: Sequence[float]) -> tuple[list[NgramModel], list[float]]:
    """A mixture among the parts contributes its own parts, weights multiplied."""
    out_parts: list[NgramModel] = []
    out_weights: list[float] = []
    for part, w in zip(parts, weights):
        if isinstance(part, MixedNgramModel):
            out_parts.extend(part.parts)
            out_weights.extend((w * part.weights).tolist())
        else:
            out_parts.append(part)
            out_weights.append(w)
    return out_parts, out_weights


def _common_preprocessing(parts: Sequence[NgramModel]) -> PreprocessConfig:
    first = parts[0].preprocess
    for i, p in enumerate(parts[1:], 2):
        if p.preprocess.to_dict() != first.to_dict():
            raise InputError(
                f"model {i} tokenizes text differently ({p.preprocess.describe()}) from model 1 "
                f"({first.describe()}); a mixture scores one token sequence with every part"
            )
    return first


def _union(parts: Sequence[NgramModel]) -> Vocabulary:
    words: dict[str, int] = {}
    for p in parts:
        for w, c in zip(p.vocab.itos[len(SPECIALS):], p.vocab.counts[len(SPECIALS):]):
            words[w] = words.get(w, 0) + int(c)
    return Vocabulary(list(SPECIALS) + list(words), [0] * len(SPECIALS) + list(words.values()))


@dataclass
class TuningResult:
    """Mixture weights tuned by EM on a held-out text, and its perplexity under them."""

    weights: list[float]
    steps: int
    tokens: int
    perplexity: float  # of the held-out text under the tuned mixture


def tune_weights(parts: Sequence[Any], dev: Any, *, encoding_errors: str = "strict",
                 preprocess: PreprocessConfig | None = None) -> TuningResult:
    """Fit the weights of a mixture of ``parts`` on held-out text by EM.

    ``dev``: files, a reader, raw lines or token lists, as ``train_ngram`` takes.
    """
    from wordseq.ngram.encode import corpus_chunks

    flat, _ = _flatten(parts, [1.0 / len(parts)] * len(parts))
    probe = MixedNgramModel(flat, [1.0 / len(flat)] * len(flat), preprocess)
    chunks, _ = corpus_chunks(dev, probe.preprocess, encoding_errors)
    columns = []
    for block in id_blocks(chunks, probe.scoring_ids(), keep_empty=True):
        lp, _ = probe.part_log10(block)
        columns.append(lp[:, block.positions >= 1])
    if not columns or sum(c.shape[1] for c in columns) == 0:
        raise InputError("the held-out text for --tune has no tokens")
    lp = np.concatenate(columns, axis=1)
    weights, steps = _em(lp)
    mixed = _mix_log10(lp, weights)
    return TuningResult(weights.tolist(), steps, lp.shape[1], float(10 ** (-mixed.mean())))


def _em(lp: np.ndarray) -> tuple[np.ndarray, int]:
    K = lp.shape[0]
    scaled = np.power(10.0, lp - lp.max(axis=0))  # each token's best part at 1: no underflow
    w = np.full(K, 1.0 / K)
    for step in range(1, EM_MAX_STEPS + 1):
        joint = w[:, None] * scaled
        post = joint / joint.sum(axis=0)
        new = post.mean(axis=1)
        if np.abs(new - w).max() < EM_TOLERANCE:
            return new, step
        w = new
    return w, EM_MAX_STEPS


# -- storage --------------------------------------------------------------------------------


def mixture_config(mix: MixedNgramModel, names: Sequence[str]) -> dict[str, Any]:
    """The ``config`` of a saved mixture: weights and each part's source and table prefix."""
    return {
        "mixture": True,
        "order": mix.order,
        "weights": mix.weights.tolist(),
        "parts": [
            {"source": name, "order": p.order, "smoothing": p.smoothing, "prefix": f"part{i}."}
            for i, (name, p) in enumerate(zip(names, mix.parts), 1)
        ],
    }


def write_mixture(mix: MixedNgramModel, folder: Path) -> None:
    """Write each part's tables into ``folder`` under its own prefix."""
    for i, part in enumerate(mix.parts, 1):
        write_tables(part.tables, folder, prefix=f"part{i}.")


def read_mixture(path: Path, config: dict[str, Any], preprocess: PreprocessConfig,
                 meta: dict[str, Any] | None = None) -> MixedNgramModel:
    """A saved mixture back from its folder and meta.json ``config``."""
    parts_meta = config.get("parts") or []
    if len(parts_meta) < 2:
        raise WordseqError(f"{path}/meta.json: a mixture lists fewer than two parts")
    parts = []
    for p in parts_meta:
        prefix = str(p["prefix"])
        declared = declared_sizes(meta, prefix) if meta else None
        tables = read_tables(path, int(p["order"]), unseen_mode(p), prefix=prefix, declared=declared)
        parts.append(NgramModel(tables, preprocess, str(p.get("smoothing", "")), p))
    mix = MixedNgramModel(parts, config.get("weights") or [], preprocess)
    mix.config = config
    return mix


def vocabulary_note(mix: MixedNgramModel) -> str | None:
    """A warning when the parts' vocabularies differ: the mixture scores over their union,
    so it meets fewer OOVs (each costing p(<unk>)) than a part, and its perplexity is not
    comparable with theirs unless both are scored with the same ``vocab_pad``."""
    sizes = [p.vocab.num_words for p in mix.parts]
    if all(size == mix.vocab.num_words for size in sizes):
        return None
    return (f"the models' vocabularies differ ({', '.join(f'{n:,}' for n in sizes)} words; "
            f"{mix.vocab.num_words:,} together): the mixture's perplexity is not comparable with its parts'; "
            "compare them with 'ngram eval --vocab-pad N'")


def stored_mixture(names: Sequence[str], parts: Sequence[Any], weights: Sequence[float] | None,
                   tuning: TuningResult | None, tune: str | None) -> MixedNgramModel:
    """The mixture ``ngram mix`` saves: the loaded ``parts`` (models or mixtures, whose
    parts are flattened when the weights were tuned) with their config and training record."""
    if tuning is not None:
        flat, _ = _flatten(parts, [1.0 / len(parts)] * len(parts))
        mix = MixedNgramModel(flat, tuning.weights)
    else:
        mix = MixedNgramModel(parts, list(weights or []))
    sources = [n for n, p in zip(names, parts) for _ in (p.parts if isinstance(p, MixedNgramModel) else [p])]
    mix.config = mixture_config(mix, sources)
    mix.training = {"tuned_on": tune, "em_steps": tuning.steps, "tune_tokens": tuning.tokens,
                    "tune_perplexity": tuning.perplexity} if tuning else {}
    return mix
