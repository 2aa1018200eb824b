"""Neural LM benchmark: wordseq vs plain PyTorch word_language_model-style code.

1. Training speed: wordseq's Trainer vs a plain loop written like pytorch/examples'
   main.py (same ids, 2-layer LSTM 200/200, bptt 35, batch 20, dropout 0.2, SGD lr 20,
   clip 0.25), rounds interleaved so machine noise hits both. Target: ratio >= 0.95.
2. Beam search (beam 5): decoding.beam_search batched over the beams (one forward per
   step) vs the same search where the model runs one forward per beam. Target: >= 3x.
3. Quality: test perplexity of a wordseq LSTM vs the order-5 modified-KN n-gram model
   (``wordseq ngram``), both trained on the same train/valid/test split of the Brown corpus
   (../shared/corpora/brown.zip; the Lee corpus if absent) with the same vocabulary.

    .venv/bin/python benchmarks/bench_lm.py            # a few minutes on CPU
    .venv/bin/python benchmarks/bench_lm.py --quick    # speed sections only, fewer batches
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from wordseq import decoding  # noqa: E402
from wordseq.neural.config import LMConfig  # noqa: E402
from wordseq.neural.data import build_training_data  # noqa: E402
from wordseq.neural.lm import NeuralLM  # noqa: E402
from wordseq.neural.model import RNNModel  # noqa: E402
from wordseq.neural.train import TrainConfig, Trainer  # noqa: E402
from wordseq.text.preprocess import PreprocessConfig, Preprocessor  # noqa: E402
from wordseq.text.reader import CorpusReader  # noqa: E402

CORPUS = ROOT / "data" / "lee_background.txt"
TEST = ROOT / "data" / "lee_test.txt"
WORDSEQ = [sys.executable, "-m", "wordseq"]


# -- the peer: written like pytorch/examples word_language_model (model.py + main.py) -----

class ExampleRNNModel(nn.Module):
    def __init__(self, ntoken, ninp, nhid, nlayers, dropout=0.5):  # type: ignore[no-untyped-def]
        super().__init__()
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = nn.LSTM(ninp, nhid, nlayers, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
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


def example_batchify(data, bsz):  # type: ignore[no-untyped-def]
    nbatch = data.size(0) // bsz
    data = data.narrow(0, 0, nbatch * bsz)
    return data.view(bsz, -1).t().contiguous()


def example_get_batch(source, i, bptt):  # type: ignore[no-untyped-def]
    seq_len = min(bptt, len(source) - 1 - i)
    return source[i : i + seq_len], source[i + 1 : i + 1 + seq_len].view(-1)


def repackage_hidden(h):  # type: ignore[no-untyped-def]
    if isinstance(h, torch.Tensor):
        return h.detach()
    return tuple(repackage_hidden(v) for v in h)


class ExampleLoop:
    def __init__(self, ids: np.ndarray, ntokens: int, device: torch.device) -> None:
        self.train_data = example_batchify(torch.as_tensor(ids), 20).to(device)
        self.model = ExampleRNNModel(ntokens, 200, 200, 2, 0.2).to(device)
        self.criterion = nn.NLLLoss()
        self.hidden = self.model.init_hidden(20)
        self.i = 0
        self.lr, self.clip, self.bptt = 20.0, 0.25, 35

    def step(self) -> int:
        if self.i >= self.train_data.size(0) - 1:
            self.i, self.hidden = 0, self.model.init_hidden(20)
        self.model.train()
        data, targets = example_get_batch(self.train_data, self.i, self.bptt)
        self.hidden = repackage_hidden(self.hidden)
        self.model.zero_grad()
        output, self.hidden = self.model(data, self.hidden)
        loss = self.criterion(output, targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.clip)
        for p in self.model.parameters():
            p.data.add_(p.grad, alpha=-self.lr)
        self.total_loss = loss.item()
        self.i += self.bptt
        return targets.numel()


class WordseqLoop:
    def __init__(self, data, device: torch.device) -> None:  # type: ignore[no-untyped-def]
        config = LMConfig(vocab_size=len(data.vocab), cell="lstm", layers=2, emb=200, hidden=200, dropout=0.2)
        self.model = RNNModel(config).to(device)
        self.trainer = Trainer(self.model, data.train, data.valid, TrainConfig(bptt=35, batch_size=20), device)

    def step(self) -> int:
        t = self.trainer
        if t.position >= len(t.train_data) - 1:
            t.position, t.hidden = 0, self.model.init_hidden(20)
        before = t._tokens
        t.train_step()
        return t._tokens - before


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def bench_training(data, device: torch.device, batches: int, rounds: int = 4) -> dict[str, float]:  # type: ignore[no-untyped-def]
    torch.manual_seed(0)
    loops = {"wordseq": WordseqLoop(data, device), "example": ExampleLoop(data.train.ids, len(data.vocab), device)}
    for loop in loops.values():  # warm-up
        for _ in range(3):
            loop.step()
    tokens = {k: 0 for k in loops}
    seconds = {k: 0.0 for k in loops}
    per_round = max(1, batches // rounds)
    for r in range(rounds):
        order = list(loops) if r % 2 == 0 else list(reversed(loops))
        for name in order:
            loop = loops[name]
            sync(device)
            start = time.perf_counter()
            for _ in range(per_round):
                tokens[name] += loop.step()
            sync(device)
            seconds[name] += time.perf_counter() - start
    return {k: tokens[k] / seconds[k] for k in loops}


class PerBeamLM:
    """The same model, but stepping each beam with its own forward pass."""

    def __init__(self, lm: NeuralLM) -> None:
        self.lm = lm
        self.vocab = lm.vocab
        self.preprocess = lm.preprocess

    def start(self, prompt_ids):  # type: ignore[no-untyped-def]
        return [self.lm.start(prompt_ids)]

    def next_logprobs(self, state):  # type: ignore[no-untyped-def]
        return np.concatenate([self.lm.next_logprobs(s) for s in state])

    def advance(self, state, token_ids):  # type: ignore[no-untyped-def]
        return [self.lm.advance(s, np.array([t])) for s, t in zip(state, token_ids.tolist())]

    def select(self, state, rows):  # type: ignore[no-untyped-def]
        return [state[r] for r in rows.tolist()]


def bench_beam(data, device: torch.device, prompts: list[list[int]], max_tokens: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    torch.manual_seed(0)
    model = RNNModel(LMConfig(vocab_size=len(data.vocab), cell="lstm", layers=2, emb=200, hidden=200, dropout=0.2))
    lm = NeuralLM(model, data.vocab, PreprocessConfig(), device)
    out: dict[str, float] = {}
    results = {}
    # length_penalty 0 and no early </s> stop differences: both searches see the same numbers
    for name, m in (("batched", lm), ("per-beam", PerBeamLM(lm))):
        decoding.beam_search(m, prompts[0], beam=5, max_tokens=3)  # warm-up
        sync(device)
        start = time.perf_counter()
        results[name] = [decoding.beam_search(m, p, beam=5, max_tokens=max_tokens, ban=[1])[0].token_ids for p in prompts]
        sync(device)
        out[name] = time.perf_counter() - start
    out["same_results"] = float(results["batched"] == results["per-beam"])
    return out


def run_cli(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(WORDSEQ + args, capture_output=True, text=True, cwd=ROOT)


BROWN = ROOT.parent / "shared" / "corpora" / "brown.zip"


def brown_sentences(path: Path) -> list[str]:
    """Brown corpus sentences, tags stripped, lowercased, one per line (pretokenized)."""
    import zipfile

    out = []
    with zipfile.ZipFile(path) as zf:
        for name in sorted(zf.namelist()):
            base = name.rsplit("/", 1)[-1]
            if len(base) == 4 and base[0] == "c" and base[2:].isdigit():
                for raw in zf.read(name).decode("utf-8").splitlines():
                    words = [t.rsplit("/", 1)[0].lower() for t in raw.split()]
                    if words:
                        out.append(" ".join(words))
    return out


def quality_split(name: str, tmp: Path, brown: Path) -> tuple[Path, Path, Path, list[str], str]:
    """train / valid / test files and the options both models are trained with."""
    train, valid, test = tmp / "train.txt", tmp / "valid.txt", tmp / "test.txt"
    if name == "brown":
        sents = brown_sentences(brown)
        # every 20th sentence to test, the one after it to valid: all genres in each part
        parts: dict[int, list[str]] = {0: [], 1: [], 2: []}
        for i, s in enumerate(sents):
            parts[0 if i % 20 == 0 else 1 if i % 20 == 1 else 2].append(s)
        test.write_text("\n".join(parts[0]) + "\n", encoding="utf-8")
        valid.write_text("\n".join(parts[1]) + "\n", encoding="utf-8")
        train.write_text("\n".join(parts[2]) + "\n", encoding="utf-8")
        # one vocabulary for both models: singletons become <unk>, so both learn p(<unk>)
        desc = f"Brown corpus sentences: train {len(parts[2]):,}, valid {len(parts[1]):,}, test {len(parts[0]):,} (every 20th)"
        return train, valid, test, ["--pretokenized", "--min-count", "2"], desc
    lines = CORPUS.read_text(encoding="utf-8").splitlines()
    cut = int(len(lines) * 0.9)
    train.write_text("\n".join(lines[:cut]) + "\n", encoding="utf-8")
    valid.write_text("\n".join(lines[cut:]) + "\n", encoding="utf-8")
    test.write_bytes(TEST.read_bytes())
    return train, valid, test, ["--min-count", "2"], f"Lee: train {cut} articles, valid {len(lines) - cut}, test {TEST.name}"


def quality(device: str, epochs: int, tmp: Path, corpus: str, hidden: int, brown: Path) -> None:
    print("\n== quality: test perplexity, LSTM vs order-5 modified Kneser-Ney (same split, same vocabulary) ==")
    train, valid, test, common, desc = quality_split(corpus, tmp, brown)
    print(f"split: {desc}; both models: {' '.join(common)}")
    lm_model = str(tmp / "lstm")
    start = time.perf_counter()
    r = run_cli(["--quiet", "lm", "train", str(train), "--valid", str(valid), "-o", lm_model, "--epochs", str(epochs),
                 "--emb", str(hidden), "--hidden", str(hidden), "--tie", "--dropout", "0.5" if hidden > 200 else "0.3",
                 "--device", device, "--patience", "3", *common])
    if r.returncode != 0:
        print("wordseq lm train failed:", r.stderr.strip())
        return
    r = run_cli(["lm", "eval", str(test), "-m", lm_model, "--json", "--device", device])
    lstm = json.loads(r.stdout)
    print(f"wordseq LSTM (2x{hidden}, tied, up to {epochs} epochs, {time.perf_counter() - start:.0f}s): "
          f"test perplexity {lstm['perplexity']:.1f} (excl. OOV {lstm['perplexity_excl_oov']:.1f}, OOV rate {lstm['oov_rate']:.2%})")

    if run_cli(["ngram", "--help"]).returncode != 0:
        print("n-gram comparison skipped: this build has no 'wordseq ngram' command")
        return
    ng_model = str(tmp / "kn5")
    start = time.perf_counter()
    r = run_cli(["--quiet", "ngram", "train", str(train), "-o", ng_model, "--order", "5", "--smoothing", "modified-kneser-ney", *common])
    if r.returncode != 0:
        print("wordseq ngram train failed:", r.stderr.strip())
        return
    r = run_cli(["ngram", "eval", str(test), "-m", ng_model, "--json"])
    if r.returncode != 0:
        print("wordseq ngram eval failed:", r.stderr.strip())
        return
    kn = json.loads(r.stdout)
    print(f"order-5 modified-KN n-gram ({time.perf_counter() - start:.0f}s): test perplexity {kn['perplexity']:.1f} "
          f"(excl. OOV {kn['perplexity_excl_oov']:.1f}, OOV rate {kn['oov_rate']:.2%})")
    ratio = lstm["perplexity"] / kn["perplexity"]
    print(f"LSTM / KN perplexity ratio {ratio:.3f}  target < 1: {'MET' if ratio < 1 else 'NOT MET'}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer batches and beams, no quality section")
    ap.add_argument("--batches", type=int, default=120, help="training batches timed per implementation")
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--epochs", type=int, default=6, help="epochs for the quality section")
    ap.add_argument("--no-quality", action="store_true")
    ap.add_argument("--quality-corpus", choices=["brown", "lee"], default="brown" if BROWN.exists() or "--brown" in sys.argv else "lee",
                    help="brown: ../shared/corpora/brown.zip (default when present); lee: the shipped corpus")
    ap.add_argument("--brown", type=Path, default=None, help="where brown.zip is, if not in ../shared/corpora")
    ap.add_argument("--quality-hidden", type=int, default=200, help="LSTM size for the quality section")
    ap.add_argument("--corpus", type=Path, default=CORPUS, help="training text for the speed sections")
    ap.add_argument("--pretokenized", action="store_true", help="--corpus is already space-separated tokens")
    args = ap.parse_args()
    device = torch.device(args.device)
    batches = 40 if args.quick else args.batches

    pre = Preprocessor(PreprocessConfig(pretokenized=args.pretokenized))
    data = build_training_data(CorpusReader([str(args.corpus)]), pre)
    print(f"data: {args.corpus.name}, {data.train.predicted:,} training tokens, vocabulary {len(data.vocab):,}; "
          f"device {device.type}, torch {torch.__version__}, threads {torch.get_num_threads()}")

    print("\n== training speed: 2-layer LSTM 200/200, bptt 35, batch 20, dropout 0.2, SGD ==")
    speed = bench_training(data, device, batches)
    ratio = speed["wordseq"] / speed["example"]
    print(f"plain example loop: {speed['example']:,.0f} tokens/s")
    print(f"wordseq Trainer:    {speed['wordseq']:,.0f} tokens/s")
    print(f"ratio {ratio:.3f}  target >= 0.95: {'MET' if ratio >= 0.95 else 'NOT MET'}  ({batches} batches each)")

    print("\n== beam search, beam 5 ==")
    rng = np.random.default_rng(0)
    n_prompts = 4 if args.quick else 10
    prompts = [rng.integers(4, len(data.vocab), size=3).tolist() for _ in range(n_prompts)]
    beam = bench_beam(data, device, prompts, max_tokens=30)
    speedup = beam["per-beam"] / beam["batched"]
    print(f"one forward per beam: {beam['per-beam']:.3f}s   batched beams: {beam['batched']:.3f}s   "
          f"({n_prompts} prompts, up to 30 tokens, same results: {bool(beam['same_results'])})")
    print(f"speed-up {speedup:.2f}x  target >= 3x: {'MET' if speedup >= 3 else 'NOT MET'}")

    if not (args.quick or args.no_quality):
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["WORDSEQ_HOME"] = str(Path(tmp) / "home")
            quality(args.device, args.epochs, Path(tmp), args.quality_corpus, args.quality_hidden, args.brown or BROWN)


if __name__ == "__main__":
    main()
