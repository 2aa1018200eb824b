"""Greedy search, beam search and sampling over any ``LanguageModel``.

Every step asks the model once for the log-probabilities of all rows (beams or samples)
together, so a neural model runs one batched forward pass per step.

The searches run on whatever array the model returns: numpy for the n-gram models, a
torch tensor on the model's device for the neural ones. On a GPU the distributions stay
there: greedy search and sampling copy nothing to the host until they end (they look for
``</s>`` every ``SYNC_EVERY`` steps), and beam search copies only its best 2·beam
candidates per step, which its bookkeeping needs.

Two settings against repetition apply to all three searches, on the history of each row
(the prompt and what was generated so far):

- ``no_repeat_ngram=N`` forbids any token that would complete an N-gram already in the
  history (as ``no_repeat_ngram_size`` in fairseq and transformers): no N-gram occurs
  twice in the output.
- ``repetition_penalty=P`` multiplies the log-probability of every token already in the
  history by P (CTRL, Keskar et al. 2019, applied to log-probabilities): its probability
  p becomes p**P before normalising, so with P > 1 a repeat is less likely.

Reported token log-probabilities are always the model's own; the searches rank and draw
by the adjusted ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from wordseq.errors import WordseqError
from wordseq.lm_interface import LanguageModel

SYNC_EVERY = 8  # steps between checks for </s> when the arrays live on a GPU


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


@dataclass(frozen=True)
class Repetition:
    """The settings against repetition (see the module's docstring)."""

    no_repeat_ngram: int = 0  # 0: off
    penalty: float = 1.0  # 1: off

    def __post_init__(self) -> None:
        if isinstance(self.no_repeat_ngram, bool) or not isinstance(self.no_repeat_ngram, int) or self.no_repeat_ngram < 0:
            raise WordseqError(f"--no-repeat-ngram must be 0 (off) or a positive whole number, got {self.no_repeat_ngram!r}")
        if not np.isfinite(self.penalty) or self.penalty < 1.0:
            raise WordseqError(f"--repetition-penalty must be a finite number of at least 1, got {self.penalty!r}")

    @property
    def active(self) -> bool:
        return self.no_repeat_ngram > 0 or self.penalty != 1.0


def _banned_mask(model: LanguageModel, ban: Sequence[int]) -> np.ndarray:
    mask = np.zeros(len(model.vocab), dtype=bool)
    mask[list(ban)] = True
    return mask


def _check(max_tokens: int) -> None:
    if max_tokens < 1:
        raise WordseqError("--max-tokens must be at least 1")


def _normalised(logprob: float | np.ndarray, length: int, alpha: float):  # type: ignore[no-untyped-def]
    return logprob / (length**alpha) if alpha else logprob


# -- array back ends: the same few operations on numpy arrays and on torch tensors --------


class _NumpyOps:
    """Operations on host arrays (n-gram models and any model returning numpy)."""

    sync_every = 1

    def __init__(self, like: Any) -> None:
        pass

    def asarray(self, x: Any) -> np.ndarray:
        return np.asarray(x)

    def floats(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(x, dtype=np.float64)

    def host(self, x: Any) -> np.ndarray:
        return np.asarray(x)

    def mask(self, banned: np.ndarray) -> np.ndarray:
        return banned

    def where_banned(self, lp: np.ndarray, banned: np.ndarray) -> np.ndarray:
        return np.where(banned, -np.inf, lp)

    def counts(self, history: np.ndarray, vocab: int, weights: np.ndarray | None = None) -> np.ndarray:
        """(B, V) how often each token occurs in each row (weighted)."""
        out = np.zeros((history.shape[0], vocab))
        rows = np.repeat(np.arange(history.shape[0]), history.shape[1])
        np.add.at(out, (rows, history.reshape(-1)), 1.0 if weights is None else weights.reshape(-1))
        return out

    def windows(self, history: np.ndarray, n: int) -> np.ndarray:
        return np.lib.stride_tricks.sliding_window_view(history, n, axis=1)

    def concat_column(self, history: np.ndarray, toks: np.ndarray) -> np.ndarray:
        return np.concatenate([history, np.asarray(toks, dtype=history.dtype)[:, None]], axis=1)

    def argmax(self, lp: np.ndarray) -> np.ndarray:
        return np.argmax(lp, axis=1)

    def take(self, lp: np.ndarray, toks: np.ndarray) -> np.ndarray:
        return lp[np.arange(len(toks)), toks]

    def rows(self, x: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return x[rows]

    def generator(self, seed: int | None) -> np.random.Generator:
        return np.random.default_rng(seed)

    def draw(self, probs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        # inverse-CDF draw, one uniform per row: the first token whose cdf exceeds u
        # ('<=' so that u == 0 never picks a leading zero-probability token such as <pad>)
        cdf = np.cumsum(probs, axis=1)
        u = rng.random(len(probs))[:, None] * cdf[:, -1:]
        return np.minimum((cdf <= u).sum(axis=1), probs.shape[1] - 1)

    def filtered(self, lp: np.ndarray, temperature: float, top_k: int, top_p: float) -> np.ndarray:
        return filtered_distribution(lp.astype(np.float64), temperature, top_k, top_p)

    def beam_candidates(self, total: np.ndarray, k: int) -> np.ndarray:
        """Flat indices of the k best entries, ties to the lowest index (as np.argmax)."""
        flat = total.ravel()
        k = min(k, int(np.isfinite(flat).sum()))
        if k == 0:
            return np.zeros(0, dtype=np.int64)
        kth = flat[np.argpartition(-flat, k - 1)[k - 1]]
        top = np.flatnonzero(flat >= kth)
        return top[np.lexsort((top, -flat[top]))][:k]

    def gather_flat(self, x: np.ndarray, flat_idx: np.ndarray) -> np.ndarray:
        return x.ravel()[flat_idx]

    def any_false(self, done: np.ndarray) -> bool:
        return not bool(np.all(done))

    def stuck(self, lp: np.ndarray) -> np.ndarray:
        return ~np.isfinite(lp).any(axis=1)

    def only(self, lp: np.ndarray, rows: np.ndarray, token: int) -> np.ndarray:
        """``lp`` with the given rows (a bool mask) certain to produce ``token``."""
        if not rows.any():
            return lp
        lp = lp.copy()
        lp[rows] = -np.inf
        lp[rows, token] = 0.0
        return lp


class _TorchOps:
    """The same operations on torch tensors, on the model's device."""

    def __init__(self, like: Any) -> None:
        import torch

        self.torch = torch
        self.device = like.device
        self.sync_every = SYNC_EVERY if like.device.type != "cpu" else 1

    def asarray(self, x: Any) -> Any:
        """A host array (or a tensor) as a tensor on the device: ints as int64, bools as bool."""
        if isinstance(x, self.torch.Tensor):
            return x.to(self.device)
        x = np.asarray(x)
        return self.torch.as_tensor(x.astype(np.int64) if x.dtype.kind in "iu" else x, device=self.device)

    def floats(self, x: np.ndarray) -> Any:
        # beam totals in float64, as on the host, so scores agree to the last digits
        return self.torch.as_tensor(np.asarray(x, dtype=np.float64), device=self.device)

    def host(self, x: Any) -> np.ndarray:
        return x.detach().cpu().numpy() if hasattr(x, "detach") else np.asarray(x)

    def mask(self, banned: np.ndarray) -> Any:
        return self.torch.as_tensor(banned, device=self.device)

    def where_banned(self, lp: Any, banned: Any) -> Any:
        return lp.masked_fill(banned, float("-inf"))

    def counts(self, history: Any, vocab: int, weights: Any = None) -> Any:
        t = self.torch
        out = t.zeros(history.shape[0], vocab, device=self.device)
        src = t.ones(history.shape, device=self.device) if weights is None else weights.float()
        return out.scatter_add_(1, history, src)

    def windows(self, history: Any, n: int) -> Any:
        return history.unfold(1, n, 1)

    def concat_column(self, history: Any, toks: Any) -> Any:
        return self.torch.cat([history, self.asarray(toks).view(-1, 1)], dim=1)

    def argmax(self, lp: Any) -> Any:
        return lp.argmax(dim=1)

    def take(self, lp: Any, toks: Any) -> Any:
        return lp.gather(1, toks.view(-1, 1)).squeeze(1)

    def rows(self, x: Any, rows: Any) -> Any:
        return x.index_select(0, self.asarray(rows))

    def generator(self, seed: int | None) -> Any:
        g = self.torch.Generator(device=self.device)
        if seed is None:
            g.seed()
        else:
            g.manual_seed(seed)
        return g

    def draw(self, probs: Any, rng: Any) -> Any:
        cdf = probs.cumsum(dim=1)
        u = self.torch.rand(probs.shape[0], 1, generator=rng, device=self.device, dtype=cdf.dtype) * cdf[:, -1:]
        return (cdf <= u).sum(dim=1).clamp(max=probs.shape[1] - 1)

    def filtered(self, lp: Any, temperature: float, top_k: int, top_p: float) -> Any:
        t = self.torch
        z = lp.float() / temperature
        if top_k and top_k < z.shape[1]:
            kth = t.topk(z, top_k, dim=1).values[:, -1:]
            z = z.masked_fill(z < kth, float("-inf"))
        p = t.softmax(z, dim=1)
        if top_p < 1.0:
            sorted_p, order = t.sort(p, dim=1, descending=True, stable=True)
            drop_sorted = (sorted_p.cumsum(dim=1) - sorted_p) >= top_p
            drop = t.zeros_like(drop_sorted).scatter_(1, order, drop_sorted)
            p = p.masked_fill(drop, 0.0)
            p = p / p.sum(dim=1, keepdim=True)
        return p

    def beam_candidates(self, total: Any, k: int) -> np.ndarray:
        """As ``_NumpyOps.beam_candidates``; only the top candidates come to the host."""
        t = self.torch
        flat = total.reshape(-1)
        k = min(k, flat.numel())
        values, index = t.topk(flat, k)
        tied = (flat >= values[-1]).sum()
        host = t.cat([values.double(), index.double(), tied.double().view(1)]).cpu().numpy()
        values_h, index_h, n_tied = host[:k], host[k : 2 * k].astype(np.int64), int(host[-1])
        if n_tied > k:  # entries tied with the k-th lie beyond topk's cut: take them all
            index_h = t.nonzero(flat >= values[-1]).view(-1).cpu().numpy()
            values_h = flat[t.as_tensor(index_h, device=self.device)].double().cpu().numpy()
        finite = np.isfinite(values_h)
        index_h, values_h = index_h[finite], values_h[finite]
        return index_h[np.lexsort((index_h, -values_h))][:k]

    def gather_flat(self, x: Any, flat_idx: np.ndarray) -> np.ndarray:
        return x.reshape(-1)[self.asarray(flat_idx)].double().cpu().numpy()

    def any_false(self, done: Any) -> bool:
        return not bool(done.all())

    def stuck(self, lp: Any) -> Any:
        return ~self.torch.isfinite(lp).any(dim=1)

    def only(self, lp: Any, rows: Any, token: int) -> Any:
        certain = self.torch.full_like(lp[:1], float("-inf"))
        certain[0, token] = 0.0
        return self.torch.where(rows[:, None], certain, lp)


def _ops(lp: Any) -> _NumpyOps | _TorchOps:
    return _NumpyOps(lp) if isinstance(lp, np.ndarray) else _TorchOps(lp)


def _adjusted(ops: Any, lp: Any, banned: Any, history: Any, rep: Repetition) -> Any:
    """The log-probabilities a search ranks by: bans, then the repetition settings."""
    lp = ops.where_banned(lp, banned)
    if not rep.active or history.shape[1] == 0:
        return lp
    vocab = lp.shape[1]
    n = rep.no_repeat_ngram
    if n == 1:
        lp = ops.where_banned(lp, ops.counts(history, vocab) > 0)
    elif n > 1 and history.shape[1] >= n:
        grams = ops.windows(history, n)  # (B, W, n)
        prefix = history[:, history.shape[1] - (n - 1):]
        match = (grams[:, :, :-1] == prefix[:, None, :]).all(-1)
        lp = ops.where_banned(lp, ops.counts(grams[:, :, -1], vocab, match) > 0)
    if rep.penalty != 1.0:
        seen = ops.counts(history, vocab) > 0
        lp = lp * (1 + (rep.penalty - 1) * seen)  # -inf stays -inf
    return lp


def greedy(
    model: LanguageModel, prompt_ids: Sequence[int], max_tokens: int = 50, ban: Sequence[int] = (),
    no_repeat_ngram: int = 0, repetition_penalty: float = 1.0,
) -> Hypothesis:
    """Pick the most probable token at every step until ``</s>`` or ``max_tokens``."""
    _check(max_tokens)
    return _run_rows(model, prompt_ids, 1, max_tokens, ban, Repetition(no_repeat_ngram, repetition_penalty), None)[0]


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
    no_repeat_ngram: int = 0,
    repetition_penalty: float = 1.0,
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
    return _run_rows(model, prompt_ids, num, max_tokens, ban, Repetition(no_repeat_ngram, repetition_penalty),
                     (temperature, top_k, top_p, seed))


def _run_rows(model: LanguageModel, prompt_ids: Sequence[int], num: int, max_tokens: int, ban: Sequence[int],
              rep: Repetition, sampling: tuple[float, int, float, int | None] | None) -> list[Hypothesis]:
    """Greedy search (``sampling`` None) or sampling for ``num`` rows that stay in the
    batch to the end (a finished row's later tokens are dropped), so nothing has to go to
    the host at each step."""
    eos = model.vocab.eos_id
    state = model.start(prompt_ids)
    if num > 1:
        state = model.select(state, np.zeros(num, dtype=np.int64))
    lp = model.next_logprobs(state)
    ops = _ops(lp)
    banned = ops.mask(_banned_mask(model, ban))
    history = ops.asarray(np.tile(np.asarray(list(prompt_ids), dtype=np.int64), (num, 1)).reshape(num, -1))
    rng: Any = ops.generator(sampling[3]) if sampling is not None else None
    done = ops.asarray(np.zeros(num, dtype=bool))
    tokens, logprobs = [], []
    for step in range(max_tokens):
        # a finished row repeats </s> (its tokens after the first are dropped); a row whose
        # every token is forbidden ends there too
        adjusted = _adjusted(ops, lp, banned, history, rep)
        adjusted = ops.only(adjusted, done | ops.stuck(adjusted), eos)
        if sampling is None:
            toks = ops.argmax(adjusted)
        else:
            temperature, top_k, top_p, _ = sampling
            toks = ops.draw(ops.filtered(adjusted, temperature, top_k, top_p), rng)
        tokens.append(toks)
        logprobs.append(ops.take(lp, toks))
        done = done | (toks == eos)
        if step == max_tokens - 1 or ((step + 1) % ops.sync_every == 0 and not ops.any_false(done)):
            break
        history = ops.concat_column(history, toks)
        state = model.advance(state, toks)
        lp = model.next_logprobs(state)
    return _hypotheses(ops, tokens, logprobs, eos)


def _hypotheses(ops: Any, tokens: list[Any], logprobs: list[Any], eos: int) -> list[Hypothesis]:
    toks = np.stack([ops.host(t) for t in tokens], axis=1).astype(np.int64)  # (rows, steps)
    lps = np.stack([ops.host(x) for x in logprobs], axis=1).astype(np.float64)
    hyps = []
    for row_toks, row_lps in zip(toks, lps):
        ends = np.flatnonzero(row_toks == eos)
        n = int(ends[0]) + 1 if len(ends) else len(row_toks)
        h = Hypothesis(row_toks[:n].tolist(), row_lps[:n].tolist(), finished=bool(len(ends)))
        h.score = h.logprob
        hyps.append(h)
    return hyps


def beam_search(
    model: LanguageModel,
    prompt_ids: Sequence[int],
    beam: int = 5,
    max_tokens: int = 50,
    length_penalty: float = 1.0,
    num: int = 1,
    ban: Sequence[int] = (),
    no_repeat_ngram: int = 0,
    repetition_penalty: float = 1.0,
) -> list[Hypothesis]:
    """Beam search, batched over the live beams; returns the ``num`` best hypotheses.

    At each step the ``beam`` best extensions of all live beams are kept; those that end
    in ``</s>`` are finished and leave the beam (so with ``beam=1`` this is greedy search).
    Hypotheses are ranked by ``score / length ** length_penalty``, where the score is the
    sum of the (repetition-adjusted) log-probabilities. The search stops when no
    finished-list entry can be overtaken: a live beam's score only falls as it grows, so
    its best reachable score is ``score / max_tokens ** length_penalty``.
    """
    if beam < 1:
        raise WordseqError("--beam must be at least 1")
    if num < 1:
        raise WordseqError("--num must be at least 1")
    _check(max_tokens)
    rep = Repetition(no_repeat_ngram, repetition_penalty)
    num = min(num, beam)
    eos = model.vocab.eos_id
    alpha = length_penalty

    state = model.start(prompt_ids)
    lp = model.next_logprobs(state)
    ops = _ops(lp)
    banned = ops.mask(_banned_mask(model, ban))
    history = ops.asarray(np.asarray(list(prompt_ids), dtype=np.int64).reshape(1, -1))
    scores = np.zeros(1)  # adjusted log-prob of each live beam
    histories: list[list[int]] = [[]]
    token_lps: list[list[float]] = [[]]
    finished: list[Hypothesis] = []

    for step in range(1, max_tokens + 1):
        adjusted = _adjusted(ops, lp, banned, history, rep)
        total = ops.floats(scores[:, None]) + adjusted
        top = ops.beam_candidates(total, beam)
        if len(top) == 0:
            break
        top_total = ops.gather_flat(total, top)
        top_lp = ops.gather_flat(lp, top)
        rows, toks = np.divmod(top, lp.shape[1])

        keep_rows, keep_toks, keep_scores = [], [], []
        new_hist, new_lps = [], []
        for r, t, tot, tok_lp in zip(rows.tolist(), toks.tolist(), top_total.tolist(), top_lp.tolist()):
            hist = histories[r] + [t]
            lps = token_lps[r] + [tok_lp]
            if t == eos:
                finished.append(Hypothesis(hist, lps, True, float(_normalised(tot, step, alpha))))
            else:
                keep_rows.append(r)
                keep_toks.append(t)
                keep_scores.append(tot)
                new_hist.append(hist)
                new_lps.append(lps)
        histories, token_lps = new_hist, new_lps
        if not keep_rows:
            break  # every kept extension ended in </s>: no live beam is left
        rows_arr = np.array(keep_rows)
        scores = np.array(keep_scores)
        if len(finished) >= num:
            finished.sort(key=lambda h: -h.score)
            best_live = float(_normalised(scores.max(), max_tokens, alpha))
            if finished[num - 1].score >= best_live:
                histories = []
                break
        if step < max_tokens:
            toks_arr = np.array(keep_toks)
            history = ops.concat_column(ops.rows(history, rows_arr), toks_arr)
            state = model.advance(model.select(state, rows_arr), toks_arr)
            lp = model.next_logprobs(state)

    for hist, lps, raw in zip(histories, token_lps, scores.tolist() if histories else []):
        finished.append(Hypothesis(hist, lps, False, float(_normalised(raw, len(hist), alpha))))
    finished.sort(key=lambda h: -h.score)
    return finished[:num]


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
