"""Where ``wordseq ngram eval``'s time goes: CPU seconds per phase, in fresh processes.

    .venv/bin/python benchmarks/bench_ngram_phases.py                  # Brown, order 5
    .venv/bin/python benchmarks/bench_ngram_phases.py --smoke          # data/ only, seconds
    .venv/bin/python benchmarks/bench_ngram_phases.py --model M --text T --rounds 7

Each round is a new Python process that does what the command does, step by step, and
reads its own CPU time (user + sys) after each: the interpreter's start, the imports of
the command's path (numpy, click, the ngram command's modules), loading the model, reading
the text and mapping it to ids (all of it, held), the table lookups and the totals. The
whole process of ``wordseq ngram eval`` on the same files is timed beside it, and KenLM's
``query`` on its probing binary when ``--kenlm-binary`` names one. Medians of the rounds.
Default corpus: the Brown split of ``benchmarks/corpora.py`` (train 1.04 M tokens, scored:
the whole corpus, 1.22 M tokens), an order-5 model trained on its training part.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_ngram import _pretokenize, compiled_wordseq, run  # noqa: E402
from corpora import brown_split, lee_split  # noqa: E402

WORDSEQ = [sys.executable, "-m", "wordseq"]

# what `wordseq ngram eval TEXT -m MODEL` does, with a CPU reading after each phase
_PHASES = """
import resource, sys, json
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
marks = {"interpreter": cpu()}
import numpy as np
import wordseq.cli, wordseq.cli.ngram, wordseq.cli.scores
from wordseq.ngram.evaluate import add_to_report, evaluate
from wordseq.ngram.malloc import keep_freed_memory
from wordseq.perplexity import PerplexityReport, checked_report
from wordseq.store import load
from wordseq.text.reader import CorpusReader
marks["imports"] = cpu()
keep_freed_memory()
model = load(sys.argv[1], "ngram")
marks["load"] = cpu()
blocks = list(evaluate(model, CorpusReader([sys.argv[2]])).blocks)
marks["read and map"] = cpu()
report = PerplexityReport()
for block in blocks:
    add_to_report(report, model.score_block(block), len(block.lengths))
marks["lookups"] = cpu()
print(json.dumps({"marks": marks, "perplexity": checked_report(report, "").perplexity, "tokens": report.tokens}))
"""


def phase_round(model: Path, text: Path) -> dict:
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")  # as the command starts (cli/startup.py)
    out = subprocess.run([sys.executable, "-c", _PHASES, str(model), str(text)], env=env, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def report(model: Path, text: Path, rounds: int, kenlm_binary: Path | None) -> None:
    compiled_wordseq()
    results, whole, theirs = [], [], []
    for _ in range(rounds):
        results.append(phase_round(model, text))
        whole.append(run(WORDSEQ + ["-q", "ngram", "eval", str(text), "-m", str(model), "--json"]))
        if kenlm_binary is not None:
            theirs.append(run([str(kenlm_bin()), "-v", "summary", str(kenlm_binary)], stdin=text))
    names = list(results[0]["marks"])
    print(f"ngram eval, {results[0]['tokens']:,} tokens, perplexity {results[0]['perplexity']:.4f}; "
          f"CPU seconds, median of {rounds} fresh processes ({os.getloadavg()[0]:.1f} load on {os.cpu_count()} cores):")
    before = 0.0
    for name in names:
        at = statistics.median(r["marks"][name] for r in results)
        print(f"   {name:14s} {at - before:6.3f} s   (at {at:6.3f} s)")
        before = at
    w = statistics.median(r.cpu for r in whole), statistics.median(r.wall for r in whole)
    print(f"   whole process: wordseq ngram eval {w[0]:.3f} s CPU {w[1]:.3f} s wall")
    if theirs:
        q = statistics.median(r.cpu for r in theirs), statistics.median(r.wall for r in theirs)
        print(f"                  query (probing)    {q[0]:.3f} s CPU {q[1]:.3f} s wall; "
              f"ratio {w[0] / q[0]:.2f}x CPU, {w[1] / q[1]:.2f}x wall")


def kenlm_bin() -> Path:
    home = Path(os.environ.get("KENLM_HOME", Path.home() / ".cache" / "wordseq-peers" / "kenlm"))
    return home / "bin" / "query"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true", help="data/ only, an order-3 model (CI)")
    ap.add_argument("--model", type=Path, default=None, help="a wordseq n-gram model (default: trained here)")
    ap.add_argument("--text", type=Path, default=None, help="the text to score (default: the whole corpus)")
    ap.add_argument("--kenlm-binary", type=Path, default=None, help="KenLM binary of the same model, for query")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-phases-") as tmp_name:
        tmp = Path(tmp_name)
        os.environ["WORDSEQ_HOME"] = str(tmp / "home")
        model, text = args.model, args.text
        if model is None or text is None:
            if args.smoke:
                split = lee_split(tmp / "lee")
                train = _pretokenize(split.train, tmp / "train.txt")
                parts = [train, _pretokenize(split.valid, tmp / "valid.txt"), _pretokenize(split.test, tmp / "test.txt")]
            else:
                split = brown_split(tmp / "brown")
                train, parts = split.train, [split.train, split.valid, split.test]
            if text is None:  # the whole corpus, as bench_ngram.py scores it
                text = tmp / "all.txt"
                text.write_bytes(b"".join(p.read_bytes() for p in parts))
            if model is None:
                model = tmp / "model"
                started = time.perf_counter()
                run(WORDSEQ + ["-q", "ngram", "train", str(train), "--pretokenized", "--no-lower",
                               "--order", "3" if args.smoke else "5", "-o", str(model)])
                print(f"(trained {model.name} in {time.perf_counter() - started:.1f} s)")
        report(model, text, 1 if args.smoke else args.rounds, args.kenlm_binary)


if __name__ == "__main__":
    main()
