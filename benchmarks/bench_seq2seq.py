"""Grapheme-to-phoneme benchmark: wordseq's encoder-decoder on the CMUdict split.

The split is the one ``wordseq seq2seq convert-cmudict`` makes from the shipped
``data/cmudict-0.7a.gz`` (words hashed into train 85 % / dev 5 % / test 10 %, stress
dropped: 39 phonemes). A model is trained on train with early stopping on dev, then
scored on test: WER (share of words with any phoneme wrong; a word with several
pronunciations is right if the output matches any) and PER (phoneme edit distance /
reference phonemes, against the closest reference), greedy and with beam 5. The figures
beside it are the published ones on CMUdict: other splits of the same dictionary, so
they are indicative, not a head-to-head comparison.

    .venv/bin/python benchmarks/bench_seq2seq.py                  # the "base" run (14 min of one core)
    .venv/bin/python benchmarks/bench_seq2seq.py --config large   # a larger model (35 min on 2 CPU cores)
    .venv/bin/python benchmarks/bench_seq2seq.py --config transformer   # the encoder-decoder Transformer
    .venv/bin/python benchmarks/bench_seq2seq.py --smoke          # < 30 s: the pipeline on a slice

The peer, Sequitur G2P (joint-sequence n-gram models, Bisani & Ney 2008; built outside the
repository by ``benchmarks/peers/sequitur.sh``), is trained and scored on the same split
with the same scorer: a first-order model, then ``--sequitur-order`` - 1 ramp-ups, dev as
its held-out data; its best output per test word.

    .venv/bin/python benchmarks/bench_seq2seq.py --peer-only --sequitur-order 6
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from wordseq.progress import SilentReporter  # noqa: E402
from wordseq.seq2seq import train_seq2seq  # noqa: E402
from wordseq.seq2seq.cmudict import convert_cmudict  # noqa: E402
from wordseq.seq2seq.metrics import score  # noqa: E402

CMUDICT = ROOT / "data" / "cmudict-0.7a.gz"
SEQUITUR_HOME = Path(os.environ.get("SEQUITUR_HOME", Path.home() / ".cache" / "wordseq-peers" / "sequitur"))

# name → options of train_seq2seq
CONFIGS: dict[str, dict[str, Any]] = {
    # the defaults of `wordseq seq2seq train`: BiLSTM 256 → LSTM 256, general attention, no input
    # feeding, dropout 0.2, Adam 0.003 on a cosine over 15 epochs, batches of 64
    "base": dict(),
    "large": dict(encoder_layers=2, hidden=384, emb=128, dropout=0.3, epochs=25),
    # a 2-layer Transformer of g2p-seq2seq's width (cmusphinx/g2p-seq2seq: 20.2 % WER): model 256,
    # 4 heads, feed-forward 512; pre-norm, label smoothing 0.1, Adam 0.001 on a cosine.
    # Cost against `large`, timed alike (one thread, 15 batches, same load): ff 512 1.07x
    # large's CPU an epoch, ff 1024 1.57x. `large` took 70 CPU-min for 25 epochs where the
    # README's rows were measured, so ff 512 needs about 60 CPU-min for 20 epochs there (30-35
    # min on two cores), ff 1024 over 40 min. On the machine of December 2026 every config
    # is about 4x slower (the defaults: 3.5 CPU-min an epoch, against 0.92 in the README)
    "transformer": dict(arch="transformer", encoder_layers=2, decoder_layers=2, hidden=256, heads=4, ff=512,
                        dropout=0.2, label_smoothing=0.1, lr=0.001, epochs=20),
    "smoke": dict(hidden=96, emb=32, epochs=3, lr=0.01),
    "smoke-transformer": dict(arch="transformer", hidden=32, heads=2, ff=64, encoder_layers=1, decoder_layers=1,
                              epochs=2, lr=0.003),
}

# Published WER on CMUdict (their own splits of the dictionary: indicative only).
PUBLISHED = [
    ("Yao & Zweig 2015, encoder-decoder LSTM", 28.6),
    ("Yao & Zweig 2015, bidirectional LSTM with alignments", 23.6),
    ("Toshniwal & Livescu 2016, attention encoder-decoder", "about 20"),
    ("Sequitur G2P (cmusphinx/g2p-seq2seq README)", 24.5),
    ("Phonetisaurus (cmusphinx/g2p-seq2seq README)", 24.4),
    ("2-layer Transformer, g2p-seq2seq (its README)", 20.2),
]


def every(path: Path, step: int, out: Path) -> Path:
    """Every ``step``-th line: a slice that spans the alphabet (the file is in word order)."""
    with open(path, encoding="utf-8") as src, open(out, "w", encoding="utf-8") as dst:
        dst.writelines(line for i, line in enumerate(src) if i % step == 0)
    return out


def split(folder: Path, smoke: bool) -> dict[str, Path]:
    with gzip.open(CMUDICT, "rt", encoding="ascii") as fh:
        convert_cmudict(fh, folder, label=str(CMUDICT))  # the split `wordseq seq2seq convert-cmudict` makes
    files = {part: folder / f"{part}.tsv" for part in ("train", "dev", "test")}
    if smoke:
        files = {part: every(p, 15 if part == "train" else 20, folder / f"smoke-{part}.tsv") for part, p in files.items()}
    return files


class EpochLog(SilentReporter):
    """Training lines to stderr, with the machine's load at the end of each epoch."""

    def __init__(self, loads: list[float]) -> None:
        self.loads = loads

    def log(self, message: str) -> None:
        if "end of epoch" in message:
            self.loads.append(os.getloadavg()[0])
            message += f"  load {self.loads[-1]:.1f}"
        print(message, file=sys.stderr, flush=True)

    warn = log


def train_and_score(files: dict[str, Path], options: dict[str, Any], device: str,
                    save: Path | None) -> dict[str, Any]:
    """wordseq's model trained on train (dev for early stopping), scored on test greedy and with beam 5."""
    loads: list[float] = []
    started = time.perf_counter()
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    model = train_seq2seq(str(files["train"]), str(files["dev"]), device=device, output=save, reporter=EpochLog(loads),
                          **options)
    train_seconds = time.perf_counter() - started
    used = resource.getrusage(resource.RUSAGE_SELF)
    result: dict[str, Any] = {"options": options, "device": model.device.type, "train_seconds": train_seconds,
                              "train_cpu_seconds": used.ru_utime + used.ru_stime - cpu.ru_utime - cpu.ru_stime,
                              "epochs": model.training["epochs_done"], "best": model.training["best"],
                              "load_during_training": loads}
    for beam in (1, 5):
        t = time.perf_counter()
        e = model.evaluate(str(files["test"]), beam=beam, batch_size=256)
        result[f"beam{beam}"] = {"wer": e.word_error_rate, "per": e.token_error_rate, "words": e.sources,
                                 "seconds": time.perf_counter() - t}
    return result


def run(args: argparse.Namespace) -> dict[str, Any]:
    torch.set_num_threads(args.threads)
    name = ("smoke-transformer" if args.config == "transformer" else "smoke") if args.smoke else args.config
    options = dict(CONFIGS[name])
    if args.epochs is not None:
        options["epochs"] = args.epochs
    with tempfile.TemporaryDirectory() as tmp:
        files = split(Path(tmp), args.smoke)
        result: dict[str, Any] = {"config": name, "threads": args.threads}
        if not args.peer_only:
            result.update(train_and_score(files, options, args.device, args.save))
        if args.peer_only or args.peer == "sequitur":
            result["sequitur"] = sequitur(files, 1 if args.smoke else args.sequitur_order, Path(tmp),
                                          each=args.sequitur_each)
    return result


def lexicon(tsv: Path, out: Path) -> dict[str, list[list[str]]]:
    """``word<TAB>phonemes`` lines as Sequitur's lexicon (``word ph1 ph2 ...``); each word's references."""
    references: dict[str, list[list[str]]] = {}
    with open(tsv, encoding="utf-8") as src, open(out, "w", encoding="utf-8") as dst:
        for line in src:
            word, phones = line.rstrip("\n").split("\t")
            word = word.lower()  # as wordseq's model sees it
            dst.write(f"{word} {phones}\n")
            if phones.split() not in references.setdefault(word, []):
                references[word].append(phones.split())
    return references


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def sequitur(files: dict[str, Path], order: int, folder: Path, each: bool = False) -> dict[str, Any]:
    """Train Sequitur to ``order`` on train (dev held out) and score its output on test.

    With ``each``, every ramp-up's model is scored on test as soon as it is written (its row
    goes to stderr and into ``by_order``), so a long run leaves figures for the orders it reached.
    """
    g2p = SEQUITUR_HOME / "lib" / "g2p.py"
    if not g2p.is_file():
        raise SystemExit(f"Sequitur is not built in {SEQUITUR_HOME}: run benchmarks/peers/sequitur.sh")
    env = {**os.environ, "PYTHONPATH": str(SEQUITUR_HOME / "lib")}
    train, dev = folder / "train.lex", folder / "dev.lex"
    lexicon(files["train"], train)
    lexicon(files["dev"], dev)
    references = lexicon(files["test"], folder / "test.lex")
    words = folder / "test.words"
    words.write_text("".join(f"{w}\n" for w in references), encoding="utf-8")
    started, cpu = time.perf_counter(), _children_cpu()
    scoring = 0.0, 0.0  # wall and CPU seconds spent scoring the ramp-ups, kept out of training time
    model: Path | None = None
    by_order: list[dict[str, Any]] = []
    for k in range(1, order + 1):
        out = folder / f"model-{k}"
        ramp = ["--model", str(model), "--ramp-up"] if model else []
        subprocess.run([sys.executable, str(g2p), "--train", str(train), "--devel", str(dev), "--write-model", str(out),
                        *ramp], env=env, check=True, capture_output=True)
        model = out
        print(f"sequitur: model-{k} after {(time.perf_counter() - started - scoring[0]) / 60:.1f} min",
              file=sys.stderr, flush=True)
        if each and k < order:
            t, c = time.perf_counter(), _children_cpu()
            row = {"order": k, "train_seconds": t - started - scoring[0], "train_cpu_seconds": c - cpu - scoring[1],
                   "test": _apply_sequitur(g2p, env, model, words, references)}
            scoring = scoring[0] + time.perf_counter() - t, scoring[1] + _children_cpu() - c
            by_order.append(row)
            print(sequitur_row(row), file=sys.stderr, flush=True)
    assert model is not None
    seconds = time.perf_counter() - started - scoring[0]
    cpu_seconds = _children_cpu() - cpu - scoring[1]
    result = {"order": order, "train_seconds": seconds, "train_cpu_seconds": cpu_seconds,
              "test": _apply_sequitur(g2p, env, model, words, references)}
    return {**result, "by_order": by_order} if each else result


def _apply_sequitur(g2p: Path, env: dict[str, str], model: Path, words: Path,
                    references: dict[str, list[list[str]]]) -> dict[str, Any]:
    """Sequitur's best output for each test word, scored against the references."""
    t = time.perf_counter()
    applied = subprocess.run([sys.executable, str(g2p), "--model", str(model), "--apply", str(words)], env=env,
                             capture_output=True, text=True, check=True)
    found = dict(line.split("\t", 1) for line in applied.stdout.splitlines() if "\t" in line)
    hyps = [found.get(w, "").split() for w in references]  # a word it failed on is wrong
    e = score(hyps, list(references.values()))
    return {"wer": e.word_error_rate, "per": e.token_error_rate, "words": e.sources,
            "failed": len(references) - len(found), "seconds": time.perf_counter() - t}


def sequitur_row(r: dict[str, Any]) -> str:
    t = r["test"]
    return (f"| Sequitur G2P, model-{r['order']} (same split, same scorer) | {t['wer']:.1%} | {t['per']:.1%} | "
            f"{r['train_seconds'] / 60:.1f} min ({r['train_cpu_seconds'] / 60:.1f} min CPU), one process |")


def table(r: dict[str, Any]) -> str:
    minutes = r.get("train_seconds", 0.0) / 60
    loads = r.get("load_during_training")
    load = f"load average {min(loads):.1f}-{max(loads):.1f}" if loads else ""
    rows = [
        "| system | test WER | test PER | training |",
        "|---|---|---|---|",
    ]
    for beam in (1, 5) if "beam1" in r else ():
        b = r[f"beam{beam}"]
        rows.append(f"| wordseq `{r['config']}`, {'greedy' if beam == 1 else 'beam 5'} | {b['wer']:.1%} | {b['per']:.1%} | "
                    f"{minutes:.1f} min ({r['train_cpu_seconds'] / 60:.1f} min CPU), {r['epochs']} epochs, "
                    f"{r['threads']} thread(s) on {r['device']}, {load} |")
    if "sequitur" in r:
        rows.extend(sequitur_row(row) for row in [*r["sequitur"].get("by_order", []), r["sequitur"]])
    for name, wer in PUBLISHED:
        rows.append(f"| {name} (published, own split) | {wer}% | | |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", choices=["base", "large", "transformer"], default="base")
    parser.add_argument("--smoke", action="store_true", help="a 7,500-pair slice, 3 epochs: checks the pipeline")
    # On the shared 2-core machine (load ~3) a second intra-op thread made each batch 4-6x
    # slower in CPU time (threads wait for a core); try --threads 2 on an idle machine.
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--epochs", type=int, default=None, help="override the config's epochs")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this file")
    parser.add_argument("--peer", choices=["none", "sequitur"], default="none",
                        help="also train and score Sequitur G2P (built by benchmarks/peers/sequitur.sh) on the split")
    parser.add_argument("--peer-only", action="store_true", help="Sequitur alone (no wordseq model)")
    parser.add_argument("--sequitur-order", type=int, default=6, help="Sequitur's final model order (ramp-ups)")
    parser.add_argument("--sequitur-each", action="store_true",
                        help="score every ramp-up's model on test as it is written (rows to stderr)")
    parser.add_argument("--save", type=Path, default=None, help="keep the trained model in this folder (a wordseq model)")
    args = parser.parse_args()
    result = run(args)
    print(table(result))
    words = result["beam1"]["words"] if "beam1" in result else result["sequitur"]["test"]["words"]
    print("\nWall time depends on the machine's load; the CPU time is about what the training takes "
          "alone on one idle core.")
    print(f"{words:,} test words; split: data/cmudict-0.7a.gz by `wordseq seq2seq convert-cmudict` "
          f"(train 85 % / dev 5 % / test 10 % of words by hash, stress dropped)")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
