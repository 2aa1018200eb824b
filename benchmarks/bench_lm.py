"""Neural LM benchmark: quality against the 5-gram, speed against PyTorch's example loop.

1. Quality on the shared Brown split (``benchmarks/corpora.py``; the Lee corpus with
   --smoke), every model with the same vocabulary (pre-tokenized, --min-count 2): the
   order-5 modified Kneser-Ney n-gram (``wordseq ngram``) and ``wordseq lm train`` with
   no options at all (the settings it chooses for the corpus's size), each with its test
   perplexity and minutes. Target: the default LM at most 0.8× the 5-gram's perplexity
   within 15 minutes on 2 CPU cores. With --device cuda also the large regularised LSTM
   and the Transformer (targets: LSTM ≤ 0.5× the 5-gram).
2. Training speed: wordseq's Trainer against a loop written like pytorch/examples'
   word_language_model main.py (its RNNModel / TransformerModel, the same ids), at the
   same size and precision, rounds interleaved so machine noise hits both. The wordseq
   rows carry their regularisers (AWD-LSTM dropouts, weight drop); the adaptive-softmax
   row is an ablation of wordseq against itself.
3. Beam search (beam 5): one batched forward per step against one forward per beam.

    .venv/bin/python benchmarks/bench_lm.py                 # CPU: about 30 minutes (the default LM trains ~12)
    .venv/bin/python benchmarks/bench_lm.py --device cuda   # adds the GPU rows
    .venv/bin/python benchmarks/bench_lm.py --smoke         # data/ only, under 30 s
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn as nn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from corpora import Split, brown_split, brown_zip, lee_split, sized_splits  # noqa: E402

from wordseq import decoding  # noqa: E402
from wordseq.neural.config import LMConfig, TrainConfig  # noqa: E402
from wordseq.neural.data import build_training_data  # noqa: E402
from wordseq.neural.model import NeuralLM  # noqa: E402
from wordseq.neural.network import build_model  # noqa: E402
from wordseq.neural.precision import autocast, cpu_bf16_rnn_supported, grad_scaler  # noqa: E402
from wordseq.neural.train import Trainer  # noqa: E402
from wordseq.text.preprocess import PreprocessConfig, Preprocessor  # noqa: E402
from wordseq.text.reader import CorpusReader  # noqa: E402

WORDSEQ = [sys.executable, "-m", "wordseq"]
COMMON = ["--pretokenized", "--min-count", "2"]  # one vocabulary for every model of the quality table


# -- the peer: written like pytorch/examples word_language_model (model.py + main.py) -----

class ExampleRNNModel(nn.Module):
    def __init__(self, ntoken, ninp, nhid, nlayers, dropout=0.5, tie_weights=False):  # type: ignore[no-untyped-def]
        super().__init__()
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = nn.LSTM(ninp, nhid, nlayers, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        if tie_weights:
            self.decoder.weight = self.encoder.weight
        self.nhid, self.nlayers, self.ntoken = nhid, nlayers, ntoken
        initrange = 0.1
        nn.init.uniform_(self.encoder.weight, -initrange, initrange)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -initrange, initrange)

    def forward(self, input, hidden):  # type: ignore[no-untyped-def]
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        output = self.drop(output)
        decoded = self.decoder(output).view(-1, self.ntoken)
        return nn.functional.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz):  # type: ignore[no-untyped-def]
        weight = next(self.parameters())
        return (weight.new_zeros(self.nlayers, bsz, self.nhid), weight.new_zeros(self.nlayers, bsz, self.nhid))


class ExamplePositionalEncoding(nn.Module):
    def __init__(self, d_model, dropout=0.1, max_len=5000):  # type: ignore[no-untyped-def]
        super().__init__()
        self.dropout = nn.Dropout(p=dropout)
        pe = torch.zeros(max_len, d_model)
        position = torch.arange(0, max_len, dtype=torch.float).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2).float() * (-math.log(10000.0) / d_model))
        pe[:, 0::2] = torch.sin(position * div_term)
        pe[:, 1::2] = torch.cos(position * div_term)
        self.register_buffer("pe", pe.unsqueeze(0).transpose(0, 1))

    def forward(self, x):  # type: ignore[no-untyped-def]
        return self.dropout(x + self.pe[: x.size(0), :])  # type: ignore[index]


class ExampleTransformerModel(nn.Module):
    def __init__(self, ntoken, ninp, nhead, nhid, nlayers, dropout=0.5):  # type: ignore[no-untyped-def]
        super().__init__()
        self.pos_encoder = ExamplePositionalEncoding(ninp, dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        layer = nn.TransformerEncoderLayer(ninp, nhead, nhid, dropout)
        self.transformer_encoder = nn.TransformerEncoder(layer, nlayers)
        self.ninp = ninp
        self.decoder = nn.Linear(ninp, ntoken)
        self.src_mask = None
        nn.init.uniform_(self.encoder.weight, -0.1, 0.1)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -0.1, 0.1)

    def forward(self, src, hidden=None):  # type: ignore[no-untyped-def]
        if self.src_mask is None or self.src_mask.size(0) != len(src):
            self.src_mask = nn.Transformer.generate_square_subsequent_mask(len(src)).to(src.device)
        src = self.encoder(src) * math.sqrt(self.ninp)
        src = self.pos_encoder(src)
        output = self.transformer_encoder(src, self.src_mask)
        return nn.functional.log_softmax(self.decoder(output), dim=-1).view(-1, self.decoder.out_features), None

    def init_hidden(self, bsz):  # type: ignore[no-untyped-def]
        return None


def example_batchify(data, bsz):  # type: ignore[no-untyped-def]
    nbatch = data.size(0) // bsz
    data = data.narrow(0, 0, nbatch * bsz)
    return data.view(bsz, -1).t().contiguous()


def example_get_batch(source, i, bptt):  # type: ignore[no-untyped-def]
    seq_len = min(bptt, len(source) - 1 - i)
    return source[i : i + seq_len], source[i + 1 : i + 1 + seq_len].view(-1)


def repackage_hidden(h):  # type: ignore[no-untyped-def]
    if h is None:
        return None
    if isinstance(h, torch.Tensor):
        return h.detach()
    return tuple(repackage_hidden(v) for v in h)


@dataclass(frozen=True)
class Size:
    """One row of the speed table: the network both loops train."""

    name: str
    cell: str
    layers: int
    emb: int
    hidden: int
    heads: int = 2
    tie: bool = False
    batch: int = 20
    bptt: int = 35
    precision: str = "fp32"


class ExampleLoop:
    """main.py's train(): plain SGD by hand, clip, detach (autocast added for precision)."""

    def __init__(self, ids: np.ndarray, ntokens: int, size: Size, device: torch.device) -> None:
        self.size, self.device = size, device
        self.train_data = example_batchify(torch.as_tensor(ids), size.batch).to(device)
        if size.cell == "transformer":
            self.model: ExampleTransformerModel | ExampleRNNModel = ExampleTransformerModel(ntokens, size.emb, size.heads, size.hidden, size.layers, 0.2).to(device)
        else:
            self.model = ExampleRNNModel(ntokens, size.emb, size.hidden, size.layers, 0.2, size.tie).to(device)
        self.criterion = nn.NLLLoss()
        self.scaler = grad_scaler(device, size.precision)
        self.hidden = self.model.init_hidden(size.batch)
        self.i, self.lr, self.clip = 0, 20.0, 0.25

    def step(self) -> int:
        if self.i >= self.train_data.size(0) - 1:
            self.i, self.hidden = 0, self.model.init_hidden(self.size.batch)
        self.model.train()
        data, targets = example_get_batch(self.train_data, self.i, self.size.bptt)
        self.hidden = repackage_hidden(self.hidden)
        self.model.zero_grad()
        with autocast(self.device, self.size.precision):
            output, self.hidden = self.model(data, self.hidden)
            loss = self.criterion(output.float(), targets)
        self.scaler.scale(loss).backward()
        self.scaler.unscale_(self._sgd)
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.clip)
        self.scaler.step(self._sgd)
        self.scaler.update()
        self.total_loss = loss.item()
        self.i += self.size.bptt
        return targets.numel()

    @property
    def _sgd(self) -> torch.optim.Optimizer:
        # main.py updates p.data by hand; an SGD object is the same update and lets the
        # scaler skip steps with inf gradients under fp16
        if not hasattr(self, "_opt"):
            self._opt = torch.optim.SGD(self.model.parameters(), lr=self.lr)
        return self._opt


class WordseqLoop:
    def __init__(self, data, size: Size, device: torch.device, softmax: str = "full", regularised: bool = True) -> None:  # type: ignore[no-untyped-def]
        regs: dict[str, Any] = ({"dropout": 0.2, "dropout_input": 0.2, "dropout_between": 0.2, "dropout_embedding": 0.05,
                 "weight_drop": 0.2 if size.cell != "transformer" else 0.0} if regularised else {"dropout": 0.2})
        config = LMConfig(vocab_size=len(data.vocab), cell=size.cell, layers=size.layers, emb=size.emb, hidden=size.hidden,
                          heads=size.heads, tie=size.tie, context=size.bptt, softmax=softmax, **regs)
        self.model = build_model(config).to(device)
        self.trainer = Trainer(self.model, data.train, data.valid,
                               TrainConfig(bptt=size.bptt, batch_size=size.batch, precision=size.precision), device)

    def step(self) -> int:
        t = self.trainer
        if t.epoch_over:  # go round the text again, as the loop's end-of-epoch check would
            t.position, t.hidden = 0, self.model.init_hidden(t.local_batch)
        before = t.tokens
        t.train_step()
        return t.tokens - before


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def interleaved(loops: Mapping[str, ExampleLoop | WordseqLoop], device: torch.device, batches: int, rounds: int = 4) -> dict[str, float]:
    """tokens/s of each loop, timed in alternating rounds after a warm-up."""
    for loop in loops.values():
        for _ in range(3):
            loop.step()
    tokens = {k: 0 for k in loops}
    seconds = {k: 0.0 for k in loops}
    per_round = max(1, batches // rounds)
    for r in range(rounds):
        for name in (list(loops) if r % 2 == 0 else list(loops)[::-1]):
            sync(device)
            start = time.perf_counter()
            for _ in range(per_round):
                tokens[name] += loops[name].step()
            sync(device)
            seconds[name] += time.perf_counter() - start
    return {k: tokens[k] / seconds[k] for k in loops}


def speed_rows(data, device: torch.device, sizes: list[Size], batches: int) -> None:  # type: ignore[no-untyped-def]
    print(f"\n== training speed: wordseq Trainer vs the PyTorch example's loop (same size, same precision; {batches} batches each) ==")
    print("| network | precision | example loop tokens/s | wordseq tokens/s | ratio |")
    print("|---|---|---|---|---|")
    for size in sizes:
        torch.manual_seed(0)
        loops: dict[str, ExampleLoop | WordseqLoop] = {"example": ExampleLoop(data.train.ids, len(data.vocab), size, device), "wordseq": WordseqLoop(data, size, device)}
        speed = interleaved(loops, device, batches)
        print(f"| {size.name} | {size.precision} | {speed['example']:,.0f} | {speed['wordseq']:,.0f} | "
              f"{speed['wordseq'] / speed['example']:.2f} |", flush=True)
    size = sizes[0]
    torch.manual_seed(0)
    ablation = {"full": WordseqLoop(data, size, device, "full"), "adaptive": WordseqLoop(data, size, device, "adaptive")} \
        if len(data.vocab) > 3000 else {}
    if ablation:
        speed = interleaved(ablation, device, batches)
        print(f"ablation (wordseq against itself), {size.name}: full softmax {speed['full']:,.0f} tokens/s, "
              f"adaptive softmax {speed['adaptive']:,.0f} tokens/s ({speed['adaptive'] / speed['full']:.2f}×)")


class PerBeamLM:
    """The same model, but stepping each beam with its own forward pass."""

    def __init__(self, lm: NeuralLM) -> None:
        self.lm = lm
        self.vocab = lm.vocab
        self.preprocess = lm.preprocess

    def start(self, prompt_ids):  # type: ignore[no-untyped-def]
        return [self.lm.start(prompt_ids)]

    def next_logprobs(self, state):  # type: ignore[no-untyped-def]
        return torch.cat([self.lm.next_logprobs(s) for s in state])

    def advance(self, state, token_ids):  # type: ignore[no-untyped-def]
        return [self.lm.advance(s, np.array([t])) for s, t in zip(state, token_ids.tolist())]

    def select(self, state, rows):  # type: ignore[no-untyped-def]
        return [state[r] for r in rows.tolist()]


def bench_beam(data, device: torch.device, n_prompts: int, max_tokens: int = 30) -> None:  # type: ignore[no-untyped-def]
    torch.manual_seed(0)
    model = build_model(LMConfig(vocab_size=len(data.vocab), cell="lstm", layers=2, emb=200, hidden=200, dropout=0.2))
    lm = NeuralLM(model, data.vocab, PreprocessConfig(), device)
    rng = np.random.default_rng(0)
    prompts = [rng.integers(4, len(data.vocab), size=3).tolist() for _ in range(n_prompts)]
    seconds, results = {}, {}
    for name, m in (("batched", lm), ("per-beam", PerBeamLM(lm))):
        decoding.beam_search(m, [prompts[0]], beam=5, max_tokens=3)  # warm-up
        sync(device)
        start = time.perf_counter()
        results[name] = [decoding.beam_search(m, [p], beam=5, max_tokens=max_tokens, ban=[1])[0][0].token_ids for p in prompts]
        sync(device)
        seconds[name] = time.perf_counter() - start
    print(f"\n== beam search, beam 5, LSTM 2×200 ==\none forward per beam: {seconds['per-beam']:.3f}s   batched beams: "
          f"{seconds['batched']:.3f}s   ({n_prompts} prompts, up to {max_tokens} tokens, same results: "
          f"{results['batched'] == results['per-beam']})   speed-up {seconds['per-beam'] / seconds['batched']:.2f}×")


# -- quality ------------------------------------------------------------------------------

def run_cli(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(WORDSEQ + args, capture_output=True, text=True, cwd=ROOT)


def timed_cli(args: list[str]) -> tuple[subprocess.CompletedProcess, float]:
    start = time.perf_counter()
    r = run_cli(args)
    return r, (time.perf_counter() - start) / 60


def test_ppl(model: str, test: Path, kind: str) -> dict:  # type: ignore[type-arg]
    r = run_cli([kind, "eval", str(test), "-m", model, "--json"] + (["--device", "auto"] if kind == "lm" else []))
    if r.returncode != 0:
        raise SystemExit(f"wordseq {kind} eval failed: {r.stderr.strip()}")
    return json.loads(r.stdout)


def quality(split: Split, tmp: Path, device: str, lm_rows: list[tuple[str, list[str]]]) -> None:
    print(f"\n== quality: test perplexity on {split.description}; every model {' '.join(COMMON)} (one vocabulary) ==")
    print(f"machine: {os.cpu_count()} CPUs, torch threads {torch.get_num_threads()}, load {os.getloadavg()[0]:.1f}, device {device}")
    print("| model | test perplexity | excl. OOV | ratio to MKN-5 | minutes |")
    print("|---|---|---|---|---|")
    kn, minutes = kn5_perplexity(split, tmp)
    print(f"| order-5 modified Kneser-Ney | {kn['perplexity']:.1f} | {kn['perplexity_excl_oov']:.1f} | 1.00 | {minutes:.1f} |", flush=True)
    for label, options in lm_rows:
        out = str(tmp / label.split()[0])
        r, minutes = timed_cli(["lm", "train", str(split.train), "--valid", str(split.valid), "-o", out,
                                "--device", device, *COMMON, *options])
        if r.returncode != 0:
            print(f"| {label} | failed: {r.stderr.strip().splitlines()[-1]} | | | |")
            continue
        lm = test_ppl(out, split.test, "lm")
        print(f"| {label} | {lm['perplexity']:.1f} | {lm['perplexity_excl_oov']:.1f} | "
              f"{lm['perplexity'] / kn['perplexity']:.2f} | {minutes:.1f} |", flush=True)
        meta = json.loads((Path(out) / "meta.json").read_text())
        print(f"    {meta['summary']}; {meta['training']['epochs_done']} epochs, "
              f"{len(meta['training']['history'])} checks, last lr {meta['training']['history'][-1]['lr']:g}")


def kn5_perplexity(split: Split, tmp: Path) -> tuple[dict, float]:  # type: ignore[type-arg]
    """MKN-5 on ``split`` with the vocabulary every model of the tables uses; its minutes."""
    kn_model = str(tmp / f"kn5-{split.train.stem}")
    r, minutes = timed_cli(["--quiet", "ngram", "train", str(split.train), "-o", kn_model, "--order", "5",
                            "--smoothing", "modified-kneser-ney", *COMMON])
    if r.returncode != 0:
        raise SystemExit(f"wordseq ngram train failed: {r.stderr.strip()}")
    return test_ppl(kn_model, split.test, "ngram"), minutes


def _children_cpu() -> float:
    """CPU seconds (user + system) of the finished child processes."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def default_row(split: Split, tmp: Path, options: list[str], log_dir: Path | None) -> None:
    """One row of --defaults-table: ``lm train`` with no options (``options`` only for
    --smoke) against MKN-5 on the same split; whether the run ended on its validation
    curve (early stopping) or on the epoch cap, and the validation perplexity at each check."""
    kn, _ = kn5_perplexity(split, tmp)
    out = str(tmp / f"lm-{split.train.stem}")
    log = (log_dir or tmp) / f"lm-{split.train.stem}.log"
    start, cpu = time.perf_counter(), _children_cpu()
    with log.open("w", encoding="utf-8") as err:  # written as it trains: the curve can be watched
        r = subprocess.run(WORDSEQ + ["lm", "train", str(split.train), "--valid", str(split.valid), "-o", out,
                                      "--device", "cpu", *COMMON, *options], stdout=subprocess.PIPE, stderr=err,
                           text=True, cwd=ROOT)
    minutes, cpu_minutes = (time.perf_counter() - start) / 60, (_children_cpu() - cpu) / 60
    r.stderr = log.read_text(encoding="utf-8")
    tokens = split.description.split()[0]
    if r.returncode != 0:
        print(f"| {tokens} | | {kn['perplexity']:.1f} | failed: {r.stderr.strip().splitlines()[-1]} | | | |", flush=True)
        return
    lm = test_ppl(out, split.test, "lm")
    meta = json.loads((Path(out) / "meta.json").read_text())
    train, cfg = meta["training"], meta["config"]
    ended = "curve" if train["stopped_early"] else "epoch cap"
    print(f"| {tokens} | {cfg['defaults']['tier']} | {kn['perplexity']:.1f} | {lm['perplexity']:.1f} | "
          f"{lm['perplexity'] / kn['perplexity']:.2f} | {minutes:.1f} ({cpu_minutes:.1f} CPU, load "
          f"{os.getloadavg()[0]:.1f}) | {train['epochs_done']} of "
          f"{cfg['train']['epochs']}, {ended} |", flush=True)
    curve = " ".join(f"{h['valid_ppl']:.0f}" for h in train["history"])
    print(f"    valid ppl by check: {curve}; last lr {train['history'][-1]['lr']:.2g}", flush=True)


def defaults_table(sizes: list[int], tmp: Path, smoke: bool, log_dir: Path | None) -> None:
    """``lm train`` with no options on corpora of each size against MKN-5 (target: at most
    0.75x its perplexity, 15 minutes, the run ending on its validation curve)."""
    if smoke:
        splits, options = [lee_split(tmp / "split")], ["--epochs", "1", "--emb", "32", "--hidden", "32"]
    else:
        splits, options = sized_splits(tmp / "sized", sizes), []
    print(f"\n== lm train defaults by corpus size: {splits[0].description.split(' (')[1].rstrip(')') if not smoke else 'Lee'}; "
          f"every model {' '.join(COMMON)} ==")
    print(f"machine: {os.cpu_count()} CPUs, torch threads {torch.get_num_threads()}, load {os.getloadavg()[0]:.1f}")
    print("| training tokens | tier | MKN-5 test ppl | lm train test ppl | ratio | minutes (CPU minutes, load) | epochs, ended on |")
    print("|---|---|---|---|---|---|---|")
    for split in splits:
        default_row(split, tmp, options, log_dir)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true", help="data/ only, tiny settings: under 30 s")
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--batches", type=int, default=80, help="training batches timed per loop")
    ap.add_argument("--no-quality", action="store_true")
    ap.add_argument("--no-speed", action="store_true")
    ap.add_argument("--brown", type=Path, default=None, help="brown.zip, if not in $WORDSEQ_CORPORA or ../shared/corpora")
    ap.add_argument("--defaults-table", action="store_true",
                    help="only the table of `lm train` with no options on corpora of --sizes tokens against MKN-5")
    ap.add_argument("--sizes", default="100000,300000,1000000,3000000",
                    help="training tokens of the --defaults-table corpora (Brown + movie reviews; 2.4 M at most)")
    ap.add_argument("--log-dir", type=Path, default=None, help="keep each --defaults-table run's log here")
    ap.add_argument("--threads", type=int, default=None, help="torch threads here and in the commands run (default: torch's; 1 with --smoke)")
    args = ap.parse_args()
    threads = args.threads or (1 if args.smoke else None)
    if threads:
        torch.set_num_threads(threads)
        os.environ["OMP_NUM_THREADS"] = str(threads)
    warnings.filterwarnings("ignore", message=".*(enable_nested_tensor|non-zero dropout expects).*")
    device = torch.device(args.device)
    cuda = device.type == "cuda"

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        os.environ["WORDSEQ_HOME"] = str(tmp / "home")
        if args.smoke or brown_zip(args.brown) is None:
            if not args.smoke:
                print("brown.zip not found: the Lee corpus stands in (figures do not compare with the README's)")
            split = lee_split(tmp / "split")
        else:
            split = brown_split(tmp / "split", args.brown)
        if args.defaults_table:
            defaults_table([int(x) for x in args.sizes.split(",")], tmp, args.smoke, args.log_dir)
            return
        pre = Preprocessor(PreprocessConfig(pretokenized=True))
        data = build_training_data(CorpusReader([str(split.train)]), pre, CorpusReader([str(split.valid)]), min_count=2)
        print(f"data: {split.description}; {data.train.predicted:,} training tokens, vocabulary {len(data.vocab):,}; "
              f"device {device.type}, torch {torch.__version__}, threads {torch.get_num_threads()}")

        if not args.no_quality:
            rows: list[tuple[str, list[str]]] = [("default lm train (no options)", [])]
            if args.smoke:
                rows = [("small lm train", ["--epochs", "1", "--emb", "32", "--hidden", "32", "--layers", "1"])]
            elif cuda:
                rows += [("LSTM 3×1150, emb 400, AWD-LSTM regularisers (NT-ASGD)",
                          ["--layers", "3", "--emb", "400", "--hidden", "1150", "--tie", "--dropout", "0.4",
                           "--dropout-input", "0.65", "--dropout-between", "0.25", "--dropout-embedding", "0.1",
                           "--weight-drop", "0.5", "--optimizer", "nt-asgd", "--lr", "30", "--batch-size", "40",
                           "--epochs", "60", "--softmax", "full", "--precision", "bf16"]),
                         ("Transformer 6×512, 8 heads, ff 2048", ["--cell", "transformer", "--layers", "6", "--emb", "512",
                          "--hidden", "2048", "--heads", "8", "--bptt", "128", "--batch-size", "32", "--epochs", "30",
                          "--dropout", "0.3", "--precision", "bf16"])]
            else:
                print("(the large regularised LSTM and the Transformer rows need a GPU: run with --device cuda)")
            quality(split, tmp, args.device, rows)
            if args.smoke:
                defaults_table([], tmp, True, None)

        if not args.no_speed:
            if args.smoke:
                sizes = [Size("LSTM 2×32", "lstm", 2, 32, 32, batch=8, bptt=10),
                         Size("Transformer 2×32", "transformer", 2, 32, 64, batch=8, bptt=10),
                         Size("LSTM 2×32", "lstm", 2, 32, 32, batch=8, bptt=10, precision="bf16")]
                batches = 8
            elif cuda:
                sizes = [Size("LSTM 2×650", "lstm", 2, 650, 650, tie=True, batch=64),
                         Size("LSTM 2×650", "lstm", 2, 650, 650, tie=True, batch=64, precision="bf16"),
                         Size("Transformer 6×512", "transformer", 6, 512, 2048, heads=8, batch=64),
                         Size("Transformer 6×512", "transformer", 6, 512, 2048, heads=8, batch=64, precision="bf16")]
                batches = args.batches * 4
            else:
                sizes = [Size("LSTM 2×200", "lstm", 2, 200, 200),
                         Size("Transformer 2×200, 2 heads, ff 200", "transformer", 2, 200, 200),
                         Size("LSTM 2×200", "lstm", 2, 200, 200, precision="bf16")]
                batches = args.batches
            if not cuda and not cpu_bf16_rnn_supported():
                # the example's own LSTM cannot run bf16 on a processor without bf16 kernels
                # (oneDNN builds no primitive): no like-for-like row to show
                print("(this processor has no bf16 LSTM kernels: the bf16 rows are left out)")
                sizes = [z for z in sizes if not (z.precision == "bf16" and z.cell == "lstm")]
            speed_rows(data, device, sizes, batches)
            bench_beam(data, device, n_prompts=2 if args.smoke else 10, max_tokens=8 if args.smoke else 30)


if __name__ == "__main__":
    main()
