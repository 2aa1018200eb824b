"""Perplexity of a token stream under an RNN model, every predicted token counted once."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from wordseq.neural.data import TokenStream
from wordseq.neural.model import RNNModel
from wordseq.perplexity import LineScore, PerplexityReport
from wordseq.vocab import Vocabulary


@dataclass
class StreamScores:
    report: PerplexityReport
    token_logprobs: np.ndarray | None = None  # natural log, one per predicted token


@torch.no_grad()
def score_stream(
    model: RNNModel, stream: TokenStream, device: torch.device, *, bptt: int = 35, batch_size: int = 10,
    keep_tokens: bool = False,
) -> StreamScores:
    """Per-token log-probabilities summed as KenLM's query does (``</s>`` counted).

    The stream is cut into ``batch_size`` contiguous columns that overlap by one token,
    so the last input of a column is the first of the next and no token is lost (the
    example's ``batchify`` drops the tail); padding at the end is ignored. Each column
    starts from a zero state, as evaluation does in the example. With ``keep_tokens`` the
    log-probability of every predicted token is returned too, in stream order.
    """
    report = PerplexityReport(sentences=stream.sequences)
    n = stream.predicted
    if n == 0:
        return StreamScores(report, np.zeros(0) if keep_tokens else None)
    cols = max(1, min(batch_size, n // bptt))
    rows = math.ceil(n / cols)
    padded = torch.full((cols * rows + 1,), Vocabulary.pad_id, dtype=torch.long)
    padded[: n + 1] = torch.as_tensor(stream.ids)
    inputs = padded[:-1].view(cols, rows).t().to(device)
    targets = padded[1:].view(cols, rows).t().to(device)

    was_training = model.training
    model.eval()
    hidden = model.init_hidden(cols)
    total = torch.zeros((), dtype=torch.float64, device=device)
    oov_total = torch.zeros((), dtype=torch.float64, device=device)
    counted = torch.zeros((), dtype=torch.long, device=device)
    oov = torch.zeros((), dtype=torch.long, device=device)
    kept = torch.empty((rows, cols), dtype=torch.float32, device=device) if keep_tokens else None
    for i in range(0, rows, bptt):
        x, y = inputs[i : i + bptt], targets[i : i + bptt]
        logits, hidden, _ = model(x, hidden)
        lp = F.log_softmax(logits.float(), dim=-1).gather(-1, y.unsqueeze(-1)).squeeze(-1)
        if kept is not None:
            kept[i : i + len(x)] = lp
        real = y != Vocabulary.pad_id
        is_oov = y == Vocabulary.unk_id
        total += lp[real].double().sum()
        oov_total += lp[is_oov].double().sum()
        counted += real.sum()
        oov += is_oov.sum()
    model.train(was_training)
    report.tokens = int(counted)
    report.oov = int(oov)
    report.logprob = float(total)
    report.oov_logprob = float(oov_total)
    tokens = kept.t().reshape(-1)[:n].double().cpu().numpy() if kept is not None else None
    return StreamScores(report, tokens)


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
