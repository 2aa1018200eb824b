"""Greedy search, beam search and sampling over any ``LanguageModel``, each written once.

Every search takes a batch of prompts (a single prompt is a batch of one) and returns one
entry per row of ``model.start``: one row per prompt, joined by ``model.join_states``
when there are several, or the rows one prompt gives (a seq2seq decoder bound to B
sources gives B). Every step asks the model once for the log-probabilities of all rows
(rows, beams and samples together), so a neural model runs one batched forward pass per
step, and each row comes out as if it had been searched alone.

The searches run on whatever array the model returns: numpy for the n-gram models, a
torch tensor on the model's device for the neural ones. On a GPU the distributions stay
there: greedy search and sampling copy nothing to the host but the rows that are done,
every ``SYNC_EVERY`` steps, and beam search copies only its best 2·beam candidates per
step, which its bookkeeping needs.

Two settings against repetition (``Repetition``) apply to all three searches, on the
history of each row (its prompt and what was generated so far):

- ``no_repeat_ngram=N`` forbids any token that would complete an N-gram already in the
  history (as ``no_repeat_ngram_size`` in fairseq and transformers): no N-gram occurs
  twice in the output.
- ``penalty=P`` multiplies the log-probability of every token already in the history by
  P (CTRL, Keskar et al. 2019, applied to log-probabilities): its probability p becomes
  p**P before normalising, so with P > 1 a repeat is less likely.

Reported token log-probabilities are always the model's own; the searches rank and draw
by the adjusted ones. Every setting is checked once, by the config that holds it
(``Repetition``, ``Sampling``) or by ``check_sizes``, with an ``OptionError`` naming the
command-line option: ``GenerateConfig`` and the CLI raise the very same errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from wordseq.config_checks import at_least, count, finite, within
from wordseq.errors import OptionError, WordseqError
from wordseq.lm_interface import LanguageModel

SYNC_EVERY = 8  # steps between looks for finished rows when the arrays live on a GPU
MAX_TOKENS = 100_000
# torch's Generator.manual_seed takes seeds below 2**64 and numpy's default_rng any size;
# the training configs already stop at 2**63 - 1, so every --seed in wordseq does.
MAX_SEED = 2**63 - 1


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
        count("--no-repeat-ngram", self.no_repeat_ngram, 0, 100)
        at_least("--repetition-penalty", self.penalty, 1.0)

    @property
    def active(self) -> bool:
        return self.no_repeat_ngram > 0 or self.penalty != 1.0


@dataclass(frozen=True)
class Sampling:
    """How ``sample`` draws: temperature, then top-k and nucleus (top-p) filtering."""

    temperature: float = 1.0
    top_k: int = 0  # 0: off
    top_p: float = 1.0  # 1: off
    seed: int | None = None  # None: a fresh draw every time

    def __post_init__(self) -> None:
        if finite("--temperature", self.temperature) <= 0:
            raise OptionError("--temperature", "must be greater than 0 (use --greedy for the most probable tokens)")
        count("--top-k", self.top_k, 0)
        within("--top-p", self.top_p, 0.0, 1.0, low_open=True)
        if self.seed is not None:
            count("--seed", self.seed, 0, MAX_SEED)


def check_sizes(*, beam: int | None = None, num: int | None = None, max_tokens: int | None = None,
                length_penalty: float | None = None) -> None:
    """The checks of the searches' own arguments (those given), made by the searches and,
    up front, by ``GenerateConfig``."""
    if beam is not None:
        count("--beam", beam, 1)
    if num is not None:
        count("--num", num, 1)
    if max_tokens is not None:
        count("--max-tokens", max_tokens, 1, MAX_TOKENS)
    if length_penalty is not None:
        # the beam's early stop assumes a live beam's score can only fall as it grows
        at_least("--length-penalty", length_penalty, 0.0)


NO_REPETITION = Repetition()
PLAIN_SAMPLING = Sampling()


def _limits(max_tokens: int | Sequence[int], rows: int) -> np.ndarray:
    """One length limit per row, from one for all or one each."""
    each = [max_tokens] * rows if isinstance(max_tokens, (int, np.integer)) else list(max_tokens)
    if len(each) != rows:
        raise WordseqError(f"max_tokens gives {len(each)} limits for {rows} rows")
    limits = [int(m) if isinstance(m, np.integer) else m for m in each]
    for m in limits:
        check_sizes(max_tokens=m)
    return np.array(limits, dtype=np.int64)


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

    def finished(self, done: np.ndarray) -> np.ndarray:
        return np.asarray(done)

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

    def finished(self, done: Any) -> np.ndarray:
        """The rows done, on the host: the one copy a greedy or sampling step waits for."""
        return done.cpu().numpy()

    def stuck(self, lp: Any) -> Any:
        return ~self.torch.isfinite(lp).any(dim=1)

    def only(self, lp: Any, rows: Any, token: int) -> Any:
        certain = self.torch.full_like(lp[:1], float("-inf"))
        certain[0, token] = 0.0
        return self.torch.where(rows[:, None], certain, lp)


def _ops(lp: Any) -> _NumpyOps | _TorchOps:
    return _NumpyOps(lp) if isinstance(lp, np.ndarray) else _TorchOps(lp)


def _adjusted(ops: Any, lp: Any, banned: Any, history: Any, rep: Repetition) -> Any:
    """The log-probabilities a search ranks by: bans, then the repetition settings.

    ``history`` is left-padded with ``len(vocab)`` (a column past the vocabulary, dropped
    from every count), so rows with prompts of different lengths share one array: a pad
    never matches a token, and the only windows a prefix with pads matches are all pads.
    """
    lp = ops.where_banned(lp, banned)
    if not rep.active or history.shape[1] == 0:
        return lp
    vocab = lp.shape[1]
    n = rep.no_repeat_ngram
    if n == 1:
        lp = ops.where_banned(lp, ops.counts(history, vocab + 1)[:, :vocab] > 0)
    elif n > 1 and history.shape[1] >= n:
        grams = ops.windows(history, n)  # (B, W, n)
        prefix = history[:, history.shape[1] - (n - 1):]
        match = (grams[:, :, :-1] == prefix[:, None, :]).all(-1)
        lp = ops.where_banned(lp, ops.counts(grams[:, :, -1], vocab + 1, match)[:, :vocab] > 0)
    if rep.penalty != 1.0:
        seen = ops.counts(history, vocab + 1)[:, :vocab] > 0
        lp = lp * (1 + (rep.penalty - 1) * seen)  # -inf stays -inf
    return lp


@dataclass
class _Rows:
    """The rows being searched: model state, next-token log-probs, each row's history."""

    model: LanguageModel
    ops: Any
    state: Any
    lp: Any
    history: Any  # (rows, T) prompt and tokens so far, left-padded with len(vocab)
    banned: Any  # (V,) tokens never produced

    def keep(self, rows: np.ndarray) -> None:
        """Only these rows (repeats allowed) from now on."""
        self.state = self.model.select(self.state, rows)
        self.history = self.ops.rows(self.history, rows)

    def advance(self, tokens: Any) -> None:
        self.history = self.ops.concat_column(self.history, tokens)
        self.state = self.model.advance(self.state, tokens)
        self.lp = self.model.next_logprobs(self.state)


def _start(model: LanguageModel, prompts: Sequence[Sequence[int]], ban: Sequence[int]) -> _Rows:
    given = [list(p) for p in prompts]
    if not given:
        raise WordseqError("no prompt to continue (give [[]] for none)")
    states = [model.start(p) for p in given]
    state = states[0] if len(states) == 1 else model.join_states(states)  # type: ignore[attr-defined]
    lp = model.next_logprobs(state)
    rows = int(lp.shape[0])
    if len(given) > 1 and len(given) != rows:
        raise WordseqError(f"{len(given)} prompts gave {rows} rows: with several prompts each gives one row")
    each = given if len(given) > 1 else given * rows
    pad = len(model.vocab)
    width = max(len(p) for p in each)
    history = np.array([[pad] * (width - len(p)) + p for p in each], dtype=np.int64).reshape(rows, width)
    banned = np.zeros(len(model.vocab), dtype=bool)
    banned[list(ban)] = True
    ops = _ops(lp)
    return _Rows(model, ops, state, lp, ops.asarray(history), ops.mask(banned))


def greedy(
    model: LanguageModel, prompts: Sequence[Sequence[int]], max_tokens: int | Sequence[int] = 50,
    ban: Sequence[int] = (), repetition: Repetition = NO_REPETITION,
) -> list[Hypothesis]:
    """The most probable token at every step until ``</s>`` or ``max_tokens`` (one limit
    for all rows or one per row): one hypothesis per row."""
    rows = _start(model, prompts, ban)
    return _run_rows(rows, _limits(max_tokens, rows.lp.shape[0]), repetition, None)


def sample(
    model: LanguageModel,
    prompts: Sequence[Sequence[int]],
    num: int = 1,
    max_tokens: int | Sequence[int] = 50,
    sampling: Sampling = PLAIN_SAMPLING,
    ban: Sequence[int] = (),
    repetition: Repetition = NO_REPETITION,
) -> list[list[Hypothesis]]:
    """``num`` drawn continuations per row, all drawn together (one model call a step)."""
    check_sizes(num=num)
    rows = _start(model, prompts, ban)
    limits = _limits(max_tokens, rows.lp.shape[0])
    if num > 1:
        rows.keep(np.repeat(np.arange(len(limits)), num))
        rows.lp = model.next_logprobs(rows.state)
    hyps = _run_rows(rows, np.repeat(limits, num), repetition, sampling)
    return [hyps[i : i + num] for i in range(0, len(hyps), num)]


def _run_rows(rows: _Rows, limits: np.ndarray, rep: Repetition, sampling: Sampling | None) -> list[Hypothesis]:
    """Greedy search (``sampling`` None) or sampling, every row one token a step.

    A row that is done (``</s>``, its limit, or every token forbidden) repeats ``</s>``
    until the next look at the host (every step there, every ``SYNC_EVERY`` on a GPU).
    Greedy search then drops the done rows from the batch; sampling keeps every row to
    the end, so that no row's draws depend on when the others finish.
    """
    ops, eos = rows.ops, rows.model.vocab.eos_id
    rng = ops.generator(sampling.seed) if sampling is not None else None
    out = _Tokens(limits, eos)
    live = np.arange(len(limits))  # the result row of each batch row
    done = ops.asarray(np.zeros(len(live), dtype=bool))
    for step in range(out.steps):
        adjusted = _adjusted(ops, rows.lp, rows.banned, rows.history, rep)
        adjusted = ops.only(adjusted, done | ops.stuck(adjusted), eos)
        if sampling is None:
            toks = ops.argmax(adjusted)
        else:
            toks = ops.draw(ops.filtered(adjusted, sampling.temperature, sampling.top_k, sampling.top_p), rng)
        out.add(toks, ops.take(rows.lp, toks))
        done = done | (toks == eos)
        if (limits[live] == step + 1).any():
            done = done | ops.asarray(limits[live] == step + 1)
        if step + 1 == out.steps:
            break
        if (step + 1) % ops.sync_every == 0:
            finished = ops.finished(done)
            if finished.all():
                break
            if sampling is None and finished.any():
                keep = np.flatnonzero(~finished)
                out.flush(ops, live)
                live, done, toks = live[keep], ops.rows(done, keep), ops.rows(toks, keep)
                rows.keep(keep)
        rows.advance(toks)
    out.flush(ops, live)
    return out.hypotheses()


class _Tokens:
    """The tokens and log-probs of every row and step, gathered to the host at the end
    (or when rows leave the batch)."""

    def __init__(self, limits: np.ndarray, eos: int) -> None:
        self.limits, self.eos, self.steps = limits, eos, int(limits.max())
        self.tokens = np.full((len(limits), self.steps), eos, dtype=np.int64)
        self.logprobs = np.zeros((len(limits), self.steps))
        self.first = 0  # the step the pending ones start at
        self.pending: list[tuple[Any, Any]] = []

    def add(self, toks: Any, logprobs: Any) -> None:
        self.pending.append((toks, logprobs))

    def flush(self, ops: Any, live: np.ndarray) -> None:
        if not self.pending:
            return
        end = self.first + len(self.pending)
        self.tokens[live, self.first : end] = np.stack([ops.host(t) for t, _ in self.pending], axis=1)
        self.logprobs[live, self.first : end] = np.stack([ops.host(x) for _, x in self.pending], axis=1)
        self.first, self.pending = end, []

    def hypotheses(self) -> list[Hypothesis]:
        hyps = []
        for row_toks, row_lps, limit in zip(self.tokens, self.logprobs, self.limits.tolist()):
            ends = np.flatnonzero(row_toks[:limit] == self.eos)
            n = int(ends[0]) + 1 if len(ends) else limit
            h = Hypothesis(row_toks[:n].tolist(), row_lps[:n].tolist(), finished=bool(len(ends)))
            h.score = h.logprob
            hyps.append(h)
        return hyps


def beam_search(
    model: LanguageModel,
    prompts: Sequence[Sequence[int]],
    beam: int = 5,
    max_tokens: int | Sequence[int] = 50,
    length_penalty: float = 1.0,
    num: int = 1,
    ban: Sequence[int] = (),
    repetition: Repetition = NO_REPETITION,
) -> list[list[Hypothesis]]:
    """Beam search for every row at once; the ``num`` best hypotheses of each.

    At each step the ``beam`` best extensions of a row's live beams are kept; those that
    end in ``</s>`` are finished and leave the beam (so with ``beam=1`` this is greedy
    search). Hypotheses are ranked by ``score / length ** length_penalty``, where the
    score is the sum of the (repetition-adjusted) log-probabilities. A row's search stops
    when no finished-list entry can be overtaken: a live beam's score only falls as it
    grows, so its best reachable score is ``score / max_tokens ** length_penalty``. The
    live beams of all rows go through the model together.
    """
    check_sizes(beam=beam, num=num, length_penalty=length_penalty)
    rows = _start(model, prompts, ban)
    searches = [_Beams(int(limit)) for limit in _limits(max_tokens, rows.lp.shape[0])]
    num, eos, ops = min(num, beam), model.vocab.eos_id, rows.ops
    groups = [(i, 1) for i in range(len(searches))]  # (search, its live beams) for the batch rows in order
    step = 0
    while groups:
        step += 1
        adjusted = _adjusted(ops, rows.lp, rows.banned, rows.history, repetition)
        keep: list[int] = []
        toks: list[int] = []
        live: list[tuple[int, int]] = []
        s = 0
        for owner, n in groups:
            kept, tokens = searches[owner].step(ops, rows.lp[s : s + n], adjusted[s : s + n], step, beam, num,
                                                length_penalty, eos)
            keep.extend(s + r for r in kept)
            toks.extend(tokens)
            if kept:
                live.append((owner, len(kept)))
            s += n
        groups = live
        if groups:
            rows.keep(np.array(keep))
            rows.advance(np.array(toks))
    return [b.best(num, length_penalty) for b in searches]


@dataclass
class _Beams:
    """The search of one row: its live beams and finished hypotheses."""

    limit: int
    scores: np.ndarray = field(default_factory=lambda: np.zeros(1))  # adjusted log-prob of each live beam
    histories: list[list[int]] = field(default_factory=lambda: [[]])
    token_lps: list[list[float]] = field(default_factory=lambda: [[]])
    finished: list[Hypothesis] = field(default_factory=list)

    def step(self, ops: Any, lp: Any, adjusted: Any, step: int, beam: int, num: int, alpha: float,
             eos: int) -> tuple[list[int], list[int]]:
        """One step: the live beams (rows of ``lp``) and tokens kept; none when done."""
        total = ops.floats(self.scores[:, None]) + adjusted
        top = ops.beam_candidates(total, beam)
        if len(top) == 0:
            return [], []
        rows, toks = np.divmod(top, lp.shape[1])
        keep_rows, keep_toks, scores, histories, token_lps = [], [], [], [], []
        for r, t, tot, tok_lp in zip(rows.tolist(), toks.tolist(), ops.gather_flat(total, top).tolist(),
                                     ops.gather_flat(lp, top).tolist()):
            hist, lps = self.histories[r] + [t], self.token_lps[r] + [tok_lp]
            if t == eos:
                self.finished.append(Hypothesis(hist, lps, True, float(_normalised(tot, step, alpha))))
            else:
                keep_rows.append(r)
                keep_toks.append(t)
                scores.append(tot)
                histories.append(hist)
                token_lps.append(lps)
        self.scores, self.histories, self.token_lps = np.array(scores), histories, token_lps
        if not keep_rows or self.settled(num, alpha) or step >= self.limit:
            return [], []
        return keep_rows, keep_toks

    def settled(self, num: int, alpha: float) -> bool:
        """Whether no live beam can overtake the ``num``-th finished one (then they go)."""
        if len(self.finished) < num:
            return False
        self.finished.sort(key=lambda h: -h.score)
        if self.finished[num - 1].score < float(_normalised(self.scores.max(), self.limit, alpha)):
            return False
        self.histories = []
        return True

    def best(self, num: int, alpha: float) -> list[Hypothesis]:
        for hist, lps, raw in zip(self.histories, self.token_lps, self.scores.tolist() if self.histories else []):
            self.finished.append(Hypothesis(hist, lps, False, float(_normalised(raw, len(hist), alpha))))
        self.finished.sort(key=lambda h: -h.score)
        return self.finished[:num]


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
