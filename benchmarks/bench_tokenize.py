"""wordseq tokenize vs a naive per-token NLTK loop, on the same real text.

Corpus: the Brown corpus from ../shared/corpora/brown.zip (tags stripped, one sentence per
line), repeated until it reaches --tokens (default 5 M). If that file is absent, the
shipped Lee corpus is repeated instead (say so in the output).

wordseq runs as a user runs it (the CLI in a subprocess, output to /dev/null, start-up
included) with --stem porter --lemmatize, on one worker and on two. The naive loop does
what a script gluing NLTK together does: for every line, tokenize, then stem and
lemmatize every token; it runs on the first --naive-tokens of the same text and its rate
is per token (it has no cache, so its rate does not depend on length).
Peak memory is the largest summed PSS (proportional set size: shared pages counted once)
of the wordseq process tree, polled every 100 ms.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BROWN = ROOT.parent / "shared" / "corpora" / "brown.zip"


def brown_lines() -> list[str]:
    lines = []
    with zipfile.ZipFile(BROWN) as zf:
        for name in sorted(zf.namelist()):
            base = name.rsplit("/", 1)[-1]
            if not (len(base) == 4 and base[0] == "c" and base[2:].isdigit()):
                continue
            for raw in zf.read(name).decode("utf-8").splitlines():
                words = [t.rsplit("/", 1)[0] for t in raw.split()]
                if words:
                    lines.append(" ".join(words))
    return lines


def build_corpus(target_tokens: int, path: Path) -> tuple[int, str]:
    if BROWN.exists():
        lines, source = brown_lines(), "Brown corpus"
    else:
        lines, source = (ROOT / "data" / "lee_background.txt").read_text().splitlines(), "Lee corpus (Brown absent)"
    words_per_pass = sum(len(l.split()) for l in lines)
    passes = max(1, -(-target_tokens // words_per_pass))
    with open(path, "w", encoding="utf-8") as fh:
        for _ in range(passes):
            fh.write("\n".join(lines) + "\n")
    return words_per_pass * passes, f"{source} x{passes}"


def tree_pss_kb(pid: int) -> int:
    total = 0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
        for c in children:
            grand = Path(f"/proc/{c}/task/{c}/children")
            if grand.exists():
                pids += [int(g) for g in grand.read_text().split()]
    except OSError:
        pass
    for p in pids:
        try:
            # PSS: pages shared between the processes (forked workers) count once in all
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def run_wordseq(corpus: Path, workers: int, poll_memory: bool = False) -> tuple[float, float, int]:
    """(seconds, peak MB or 0, tokens written) for one CLI run.

    Memory is polled in separate runs: the polling thread's CPU would otherwise be taken
    from a 2-worker run on a 2-core machine and bias the timing."""
    cmd = [sys.executable, "-m", "wordseq", "tokenize", str(corpus), "--stem", "porter", "--lemmatize", "--workers", str(workers)]
    start = time.perf_counter()
    with open(os.devnull, "w") as sink:
        proc = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.PIPE, text=True)
        peak = 0
        done = threading.Event()

        def poll() -> None:
            nonlocal peak
            while poll_memory and not done.is_set():
                peak = max(peak, tree_pss_kb(proc.pid))
                time.sleep(0.1)

        t = threading.Thread(target=poll)
        t.start()
        _, err = proc.communicate()
        done.set()
        t.join()
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"wordseq failed: {err}")
    # the summary line on stderr: "N lines, M tokens (R tokens/s)"
    tokens = int(err.strip().splitlines()[-1].split(", ")[1].split()[0].replace(",", ""))
    return elapsed, peak / 1024, tokens


def naive_loop(corpus: Path, max_tokens: int) -> tuple[int, float]:
    import simplemma
    from nltk.stem import PorterStemmer
    from nltk.tokenize.destructive import NLTKWordTokenizer

    tokenizer, stemmer = NLTKWordTokenizer(), PorterStemmer()
    n = 0
    start = time.perf_counter()
    with open(corpus, encoding="utf-8") as fh:
        for line in fh:
            out = []
            for tok in tokenizer.tokenize(line.lower()):
                out.append(stemmer.stem(simplemma.lemmatize(tok, lang="en")))
            n += len(out)
            if n >= max_tokens:
                break
    return n, time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tokens", type=int, default=5_000_000, help="corpus size in whitespace tokens")
    ap.add_argument("--naive-tokens", type=int, default=300_000, help="tokens the naive loop processes")
    ap.add_argument("--quick", action="store_true", help="1 M tokens, 100 k for the naive loop")
    args = ap.parse_args()
    if args.quick:
        args.tokens, args.naive_tokens = 1_000_000, 100_000

    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus.txt"
        words, source = build_corpus(args.tokens, corpus)
        size_mb = corpus.stat().st_size / 1e6
        print(f"corpus: {source}: {words:,} whitespace tokens, {size_mb:.0f} MB")

        # timing: best of two runs each, alternating, so drift on a shared machine hits
        # both; memory: one more run each, polled
        runs = [run_wordseq(corpus, w) for w in (1, 2, 1, 2)]
        t1, _, out_tokens = min(runs[0], runs[2])
        t2, _, _ = min(runs[1], runs[3])
        mem1 = run_wordseq(corpus, 1, poll_memory=True)[1]
        mem2 = run_wordseq(corpus, 2, poll_memory=True)[1]
        n_naive, t_naive = naive_loop(corpus, args.naive_tokens)

    # each side's rate counts the tokens it produced (same tokenizer rules)
    r1, r2, rn = out_tokens / t1, out_tokens / t2, n_naive / t_naive
    print(f"wordseq tokenize --stem porter --lemmatize, 1 worker : {t1:7.1f} s  {r1:12,.0f} tokens/s  peak {mem1:6.0f} MB")
    print(f"wordseq tokenize --stem porter --lemmatize, 2 workers: {t2:7.1f} s  {r2:12,.0f} tokens/s  peak {mem2:6.0f} MB")
    print(f"naive NLTK loop (tokenize + lemmatize + stem per token): {n_naive:,} tokens in {t_naive:.1f} s  {rn:12,.0f} tokens/s")
    print(f"ratio wordseq 1 worker / naive : {r1 / rn:6.1f}x  (target >= 5x)   {'OK' if r1 / rn >= 5 else 'MISSED'}")
    print(f"ratio 2 workers / 1 worker     : {r2 / r1:6.2f}x  (target >= 1.6x) {'OK' if r2 / r1 >= 1.6 else 'MISSED'}")
    print(f"peak memory                    : {max(mem1, mem2):6.0f} MB (target < 300 MB) {'OK' if max(mem1, mem2) < 300 else 'MISSED'}")
    print(f"cores available: {os.cpu_count()}")


if __name__ == "__main__":
    main()
