"""Perplexity of a token stream under an RNN model, every predicted token counted once."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from wordseq.neural.data import TokenStream
from wordseq.neural.model import RNNModel
from wordseq.perplexity import PerplexityReport
from wordseq.vocab import Vocabulary


@torch.no_grad()
def score_stream(
    model: RNNModel, stream: TokenStream, device: torch.device, *, bptt: int = 35, batch_size: int = 10
) -> PerplexityReport:
    """Per-token log-probabilities summed as KenLM's query does (``</s>`` counted).

    The stream is cut into ``batch_size`` contiguous columns that overlap by one token,
    so the last input of a column is the first of the next and no token is lost (the
    example's ``batchify`` drops the tail); padding at the end is ignored. Each column
    starts from a zero state, as evaluation does in the example.
    """
    report = PerplexityReport(sentences=stream.sequences)
    n = stream.predicted
    if n == 0:
        return report
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
    for i in range(0, rows, bptt):
        x, y = inputs[i : i + bptt], targets[i : i + bptt]
        logits, hidden, _ = model(x, hidden)
        lp = F.log_softmax(logits.float(), dim=-1).gather(-1, y.unsqueeze(-1)).squeeze(-1)
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
    return report
