"""Perplexity of a token stream under a neural LM, every predicted token counted once."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from wordseq.neural.data import TokenStream
from wordseq.neural.distributed import Distributed
from wordseq.neural.network import Network
from wordseq.neural.precision import autocast
from wordseq.perplexity import LineScore, PerplexityReport
from wordseq.vocab import Vocabulary


@dataclass
class StreamScores:
    """Perplexity figures of a token stream, and each token's log-probability when asked for."""

    report: PerplexityReport
    token_logprobs: np.ndarray | None = None  # natural log, one per predicted token


@torch.no_grad()
def score_stream(
    model: Network, stream: TokenStream, device: torch.device, *, bptt: int = 35, batch_size: int = 10,
    keep_tokens: bool = False, precision: str = "fp32", dist: Distributed | None = None,
) -> StreamScores:
    """Per-token log-probabilities summed as KenLM's query does (``</s>`` counted).

    The stream is cut into ``batch_size`` contiguous columns that overlap by one token,
    so the last input of a column is the first of the next and no token is lost (the
    example's ``batchify`` drops the tail); padding at the end is ignored. All columns go
    through the model together, ``bptt`` rows at a time; each starts from a zero state, as
    evaluation does in the example. Under torchrun (``dist``) each rank scores its share
    of the columns and the sums are added up. With ``keep_tokens`` the log-probability of
    every predicted token is returned too, in stream order (one process only).
    """
    dist = dist or Distributed()
    report = PerplexityReport(sentences=stream.sequences)
    n = stream.predicted
    if n == 0:
        return StreamScores(report, np.zeros(0) if keep_tokens else None)
    cols = max(1, min(max(batch_size, dist.world), n // bptt))
    rows = math.ceil(n / cols)
    padded = torch.full((cols * rows + 1,), Vocabulary.pad_id, dtype=torch.long)
    padded[: n + 1] = torch.as_tensor(stream.ids)
    mine = torch.arange(dist.rank, cols, dist.world)
    inputs = padded[:-1].view(cols, rows)[mine].t().contiguous().to(device)
    targets = padded[1:].view(cols, rows)[mine].t().contiguous().to(device)

    was_training = model.training
    model.eval()
    # sums stay on the device: one copy to the host at the end, not one per window
    sums = torch.zeros(4, dtype=torch.float64, device=device)  # logprob, oov logprob, tokens, oovs
    kept = torch.empty((rows, len(mine)), dtype=torch.float32, device=device) if keep_tokens else None
    if len(mine):
        hidden: Any = model.init_hidden(len(mine))
        for i in range(0, rows, bptt):
            x, y = inputs[i : i + bptt], targets[i : i + bptt]
            with autocast(device, precision):
                lp, hidden = model.score(x, hidden, y)
            lp = lp.float()
            if kept is not None:
                kept[i : i + len(x)] = lp
            real = y != Vocabulary.pad_id
            is_oov = y == Vocabulary.unk_id
            sums += torch.stack([lp[real].double().sum(), lp[is_oov].double().sum(),
                                 real.sum().double(), is_oov.sum().double()])
    model.train(was_training)
    logprob, oov_logprob, tokens, oovs = dist.sum(sums).tolist()
    report.tokens = int(tokens)
    report.oov = int(oovs)
    report.logprob = float(logprob)
    report.oov_logprob = float(oov_logprob)
    token_lps = kept.t().reshape(-1)[:n].double().cpu().numpy() if kept is not None else None
    return StreamScores(report, token_lps)


def line_scores(stream: TokenStream, token_logprobs: np.ndarray, lines: int) -> list[LineScore]:
    """Per input line: natural-log probability, predicted tokens and OOVs (``</s>`` counted)."""
    ids = stream.ids
    eos = Vocabulary.eos_id
    # the predicted token at stream position p belongs to the sequence its preceding
    # </s> opened (the stream starts with one)
    sequence = np.cumsum(ids[:-1] == eos) - 1
    assert stream.line_of is not None
    line = stream.line_of[sequence]
    logprob = np.bincount(line, weights=token_logprobs, minlength=lines)
    tokens = np.bincount(line, minlength=lines)
    oovs = np.bincount(line, weights=(ids[1:] == Vocabulary.unk_id), minlength=lines)
    return [LineScore(i + 1, float(a), int(b), int(c)) for i, (a, b, c) in enumerate(zip(logprob, tokens, oovs))]
