"""Greedy search, beam search and sampling over any ``LanguageModel``.

Every step asks the model once for the log-probabilities of all live rows (beams or
samples) together, so a neural model runs one batched forward pass per step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from wordseq.errors import WordseqError
from wordseq.lm_interface import LanguageModel


@dataclass
class Hypothesis:
    """One generated continuation: token ids after the prompt and their log-probs."""

    token_ids: list[int]
    logprobs: list[float] = field(default_factory=list)
    finished: bool = False  # ended with </s> rather than at the length limit
    score: float = 0.0  # what the search ranked by (length-normalised for beams)

    @property
    def logprob(self) -> float:
        return float(sum(self.logprobs))


def _banned_mask(model: LanguageModel, ban: Sequence[int]) -> np.ndarray:
    mask = np.zeros(len(model.vocab), dtype=bool)
    mask[list(ban)] = True
    return mask


def _check(max_tokens: int) -> None:
    if max_tokens < 1:
        raise WordseqError("--max-tokens must be at least 1")


def greedy(
    model: LanguageModel, prompt_ids: Sequence[int], max_tokens: int = 50, ban: Sequence[int] = ()
) -> Hypothesis:
    """Pick the most probable token at every step until ``</s>`` or ``max_tokens``."""
    _check(max_tokens)
    banned = _banned_mask(model, ban)
    eos = model.vocab.eos_id
    state = model.start(prompt_ids)
    hyp = Hypothesis([])
    for _ in range(max_tokens):
        lp = np.where(banned, -np.inf, model.next_logprobs(state)[0])
        tok = int(np.argmax(lp))
        hyp.token_ids.append(tok)
        hyp.logprobs.append(float(lp[tok]))
        if tok == eos:
            hyp.finished = True
            break
        state = model.advance(state, np.array([tok]))
    hyp.score = hyp.logprob
    return hyp


def _normalised(logprob: float | np.ndarray, length: int, alpha: float):  # type: ignore[no-untyped-def]
    return logprob / (length**alpha) if alpha else logprob


def beam_search(
    model: LanguageModel,
    prompt_ids: Sequence[int],
    beam: int = 5,
    max_tokens: int = 50,
    length_penalty: float = 1.0,
    num: int = 1,
    ban: Sequence[int] = (),
) -> list[Hypothesis]:
    """Beam search, batched over the live beams; returns the ``num`` best hypotheses.

    At each step the ``beam`` best extensions of all live beams are kept; those that end
    in ``</s>`` are finished and leave the beam (so with ``beam=1`` this is greedy search).
    Hypotheses are ranked by ``logprob / length ** length_penalty``. The search stops when
    no finished-list entry can be overtaken: a live beam's log-prob only falls as it
    grows, so its best reachable score is ``logprob / max_tokens ** length_penalty``.
    """
    if beam < 1:
        raise WordseqError("--beam must be at least 1")
    if num < 1:
        raise WordseqError("--num must be at least 1")
    _check(max_tokens)
    num = min(num, beam)
    banned = _banned_mask(model, ban)
    eos = model.vocab.eos_id
    alpha = length_penalty

    state = model.start(prompt_ids)
    scores = np.zeros(1)  # raw log-prob of each live beam
    histories: list[list[int]] = [[]]
    token_lps: list[list[float]] = [[]]
    finished: list[Hypothesis] = []

    for step in range(1, max_tokens + 1):
        lp = model.next_logprobs(state)
        lp = np.where(banned[None, :], -np.inf, lp)
        total = scores[:, None] + lp
        flat = total.ravel()
        k = min(beam, int(np.isfinite(flat).sum()))
        if k == 0:
            break
        kth = flat[np.argpartition(-flat, k - 1)[k - 1]]
        # all candidates tied with the k-th enter, and ties go to the lowest id (as
        # np.argmax does), so beam 1 is exactly greedy
        top = np.flatnonzero(flat >= kth)
        top = top[np.lexsort((top, -flat[top]))][:k]
        rows, toks = np.divmod(top, lp.shape[1])

        keep_rows, keep_toks = [], []
        new_hist, new_lps = [], []
        for r, t in zip(rows.tolist(), toks.tolist()):
            hist = histories[r] + [t]
            lps = token_lps[r] + [float(lp[r, t])]
            if t == eos:
                raw = scores[r] + lp[r, t]
                finished.append(Hypothesis(hist, lps, True, float(_normalised(raw, step, alpha))))
            else:
                keep_rows.append(r)
                keep_toks.append(t)
                new_hist.append(hist)
                new_lps.append(lps)
        histories, token_lps = new_hist, new_lps
        if not keep_rows:
            break  # every kept extension ended in </s>: no live beam is left
        rows_arr = np.array(keep_rows)
        scores = scores[rows_arr] + lp[rows_arr, np.array(keep_toks)]
        if len(finished) >= num:
            finished.sort(key=lambda h: -h.score)
            best_live = float(_normalised(scores.max(), max_tokens, alpha))
            if finished[num - 1].score >= best_live:
                histories = []
                break
        if step < max_tokens:
            state = model.advance(model.select(state, rows_arr), np.array(keep_toks))

    for hist, lps, raw in zip(histories, token_lps, scores.tolist() if histories else []):
        finished.append(Hypothesis(hist, lps, False, float(_normalised(raw, len(hist), alpha))))
    finished.sort(key=lambda h: -h.score)
    return finished[:num]


def sample(
    model: LanguageModel,
    prompt_ids: Sequence[int],
    num: int = 1,
    max_tokens: int = 50,
    temperature: float = 1.0,
    top_k: int = 0,
    top_p: float = 1.0,
    seed: int | None = None,
    ban: Sequence[int] = (),
) -> list[Hypothesis]:
    """Draw ``num`` continuations at once (one batched model call per step)."""
    if temperature <= 0:
        raise WordseqError("--temperature must be greater than 0 (use --greedy for argmax)")
    if top_k < 0:
        raise WordseqError("--top-k must be 0 (off) or positive")
    if not 0 < top_p <= 1:
        raise WordseqError("--top-p must be in (0, 1]")
    if num < 1:
        raise WordseqError("--num must be at least 1")
    _check(max_tokens)
    rng = np.random.default_rng(seed)
    banned = _banned_mask(model, ban)
    eos = model.vocab.eos_id

    state = model.select(model.start(prompt_ids), np.zeros(num, dtype=np.int64))
    hyps = [Hypothesis([]) for _ in range(num)]
    live = np.arange(num)
    for step in range(max_tokens):
        lp = np.where(banned[None, :], -np.inf, model.next_logprobs(state)).astype(np.float64)
        probs = filtered_distribution(lp, temperature, top_k, top_p)
        # inverse-CDF draw, one uniform per row: the first token whose cdf exceeds u
        # ('<=' so that u == 0 never picks a leading zero-probability token such as <pad>)
        cdf = np.cumsum(probs, axis=1)
        u = rng.random(len(live))[:, None] * cdf[:, -1:]
        toks = np.minimum((cdf <= u).sum(axis=1), lp.shape[1] - 1)
        still = []
        for i, (row, t) in enumerate(zip(live.tolist(), toks.tolist())):
            hyps[row].token_ids.append(t)
            hyps[row].logprobs.append(float(lp[i, t]))
            if t == eos:
                hyps[row].finished = True
            else:
                still.append(i)
        if not still or step == max_tokens - 1:
            break
        keep = np.array(still)
        live = live[keep]
        state = model.advance(model.select(state, keep), toks[keep])
    for h in hyps:
        h.score = h.logprob
    return hyps


def filtered_distribution(
    logprobs: np.ndarray, temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0
) -> np.ndarray:
    """Row-wise probabilities after temperature, top-k and nucleus (top-p) filtering."""
    z = logprobs / temperature
    if top_k and top_k < z.shape[1]:
        kth = np.partition(z, -top_k, axis=1)[:, -top_k][:, None]
        z = np.where(z < kth, -np.inf, z)
    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    if top_p < 1.0:
        order = np.argsort(-p, axis=1, kind="stable")
        sorted_p = np.take_along_axis(p, order, axis=1)
        # keep the smallest prefix whose mass reaches top_p (always at least one token)
        before = np.cumsum(sorted_p, axis=1) - sorted_p
        drop_sorted = before >= top_p
        drop = np.zeros_like(drop_sorted)
        np.put_along_axis(drop, order, drop_sorted, axis=1)
        p = np.where(drop, 0.0, p)
        p /= p.sum(axis=1, keepdims=True)
    return p


# -- many inputs at once ------------------------------------------------------------------
# A model whose ``start`` gives several rows (a seq2seq decoder bound to B sources gives
# one per source) is decoded here row by row, all rows in one model call per step. For a
# model that gives one row these are exactly ``greedy`` and ``beam_search``.


def _limits(max_tokens: int | Sequence[int], rows: int) -> list[int]:
    limits = [int(max_tokens)] * rows if isinstance(max_tokens, (int, np.integer)) else [int(m) for m in max_tokens]
    if len(limits) != rows:
        raise WordseqError(f"max_tokens gives {len(limits)} limits for {rows} rows")
    for m in limits:
        _check(m)
    return limits


def greedy_batch(
    model: LanguageModel,
    prompt_ids: Sequence[int] = (),
    max_tokens: int | Sequence[int] = 50,
    ban: Sequence[int] = (),
) -> list[Hypothesis]:
    """``greedy`` for every row of ``model.start(prompt_ids)`` at once.

    ``max_tokens`` is one limit for all rows or one per row. Finished rows leave the
    batch, so each step costs only the rows still running.
    """
    banned = _banned_mask(model, ban)
    eos = model.vocab.eos_id
    state = model.start(prompt_ids)
    first = model.next_logprobs(state)
    limits = _limits(max_tokens, len(first))
    hyps = [Hypothesis([]) for _ in limits]
    live = np.arange(len(limits))
    lp_all = first
    for step in range(max(limits)):
        lp = np.where(banned[None, :], -np.inf, lp_all)
        toks = np.argmax(lp, axis=1)
        still = []
        for i, (row, tok) in enumerate(zip(live.tolist(), toks.tolist())):
            hyps[row].token_ids.append(tok)
            hyps[row].logprobs.append(float(lp[i, tok]))
            if tok == eos:
                hyps[row].finished = True
            elif step + 1 < limits[row]:
                still.append(i)
        if not still:
            break
        keep = np.array(still)
        live = live[keep]
        state = model.advance(model.select(state, keep), toks[keep])
        lp_all = model.next_logprobs(state)
    for h in hyps:
        h.score = h.logprob
    return hyps


@dataclass
class _Beams:
    """The search of one input: its live beams and finished hypotheses."""

    limit: int
    scores: np.ndarray = field(default_factory=lambda: np.zeros(1))
    histories: list[list[int]] = field(default_factory=lambda: [[]])
    token_lps: list[list[float]] = field(default_factory=lambda: [[]])
    finished: list[Hypothesis] = field(default_factory=list)
    done: bool = False


def _beam_step(b: _Beams, lp: np.ndarray, step: int, beam: int, num: int, alpha: float, eos: int) -> tuple[list[int], list[int]]:
    """One step of ``beam_search``'s logic for one input: the rows (local) and tokens kept."""
    total = b.scores[:, None] + lp
    flat = total.ravel()
    k = min(beam, int(np.isfinite(flat).sum()))
    if k == 0:
        b.done = True
        return [], []
    kth = flat[np.argpartition(-flat, k - 1)[k - 1]]
    top = np.flatnonzero(flat >= kth)
    top = top[np.lexsort((top, -flat[top]))][:k]
    rows, toks = np.divmod(top, lp.shape[1])
    keep_rows, keep_toks, new_hist, new_lps = [], [], [], []
    for r, t in zip(rows.tolist(), toks.tolist()):
        hist = b.histories[r] + [t]
        lps = b.token_lps[r] + [float(lp[r, t])]
        if t == eos:
            raw = b.scores[r] + lp[r, t]
            b.finished.append(Hypothesis(hist, lps, True, float(_normalised(raw, step, alpha))))
        else:
            keep_rows.append(r)
            keep_toks.append(t)
            new_hist.append(hist)
            new_lps.append(lps)
    b.histories, b.token_lps = new_hist, new_lps
    if not keep_rows:
        b.done = True
        return [], []
    rows_arr = np.array(keep_rows)
    b.scores = b.scores[rows_arr] + lp[rows_arr, np.array(keep_toks)]
    if len(b.finished) >= num:
        b.finished.sort(key=lambda h: -h.score)
        best_live = float(_normalised(b.scores.max(), b.limit, alpha))
        if b.finished[num - 1].score >= best_live:
            b.histories = []
            b.done = True
            return [], []
    if step >= b.limit:
        b.done = True
        return [], []
    return keep_rows, keep_toks


def beam_search_batch(
    model: LanguageModel,
    prompt_ids: Sequence[int] = (),
    beam: int = 5,
    max_tokens: int | Sequence[int] = 50,
    length_penalty: float = 1.0,
    num: int = 1,
    ban: Sequence[int] = (),
) -> list[list[Hypothesis]]:
    """``beam_search`` for every row of ``model.start(prompt_ids)`` at once.

    Each row keeps its own beams, finished list and stopping test (the same as
    ``beam_search``, so results per row are the same); the live beams of all rows go
    through the model together. ``max_tokens`` is one limit or one per row.
    """
    if beam < 1:
        raise WordseqError("--beam must be at least 1")
    if num < 1:
        raise WordseqError("--num must be at least 1")
    num = min(num, beam)
    banned = _banned_mask(model, ban)
    eos = model.vocab.eos_id
    state = model.start(prompt_ids)
    lp_all = model.next_logprobs(state)
    searches = [_Beams(limit) for limit in _limits(max_tokens, len(lp_all))]
    owners = list(range(len(searches)))  # the search each state row belongs to
    step = 0
    while owners:
        step += 1
        lp_all = np.where(banned[None, :], -np.inf, lp_all)
        starts = np.flatnonzero(np.r_[True, np.diff(owners) != 0])
        ends = np.r_[starts[1:], len(owners)]
        keep: list[int] = []
        toks: list[int] = []
        new_owners: list[int] = []
        for s, e in zip(starts.tolist(), ends.tolist()):
            owner = owners[s]
            rows, tokens = _beam_step(searches[owner], lp_all[s:e], step, beam, num, length_penalty, eos)
            keep.extend(s + r for r in rows)
            toks.extend(tokens)
            new_owners.extend([owner] * len(rows))
        owners = new_owners
        if owners:
            state = model.advance(model.select(state, np.array(keep)), np.array(toks))
            lp_all = model.next_logprobs(state)
    results = []
    for b in searches:
        for hist, lps, raw in zip(b.histories, b.token_lps, b.scores.tolist() if b.histories else []):
            b.finished.append(Hypothesis(hist, lps, False, float(_normalised(raw, len(hist), length_penalty))))
        b.finished.sort(key=lambda h: -h.score)
        results.append(b.finished[:num])
    return results
