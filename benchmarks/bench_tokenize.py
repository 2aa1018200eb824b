"""wordseq tokenize against NLTK scripts doing the same work, on one pass of real text.

Corpus: the Brown corpus (tags stripped, one sentence per line, ~1.16 M tokens), read
once: repeating it would measure cache hits, not tokenizing. With --smoke, the shipped Lee
corpus.

Every side runs as a process of its own on the same file, output to /dev/null, start-up
included, and does the same work: NLTK's word tokenizer, lowercase, lemmatize
(simplemma), Porter stem.
- peer "NLTK, cached per type": the script a careful user writes: NLTK tokenizes every
  line, and lemma + stem are cached per distinct token (a dict).
- peer "NLTK, naive": lemma + stem recomputed for every token (what most scripts do).
wordseq runs with 1 and 2 workers; 2 against 1 is an ablation (wordseq against itself).
Peak memory is the largest summed PSS of the process tree (shared pages counted once).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpora import DATA, brown_sentences, brown_zip  # noqa: E402

PEER = r"""
import sys
import simplemma
from nltk.stem import PorterStemmer
from nltk.tokenize.destructive import NLTKWordTokenizer

cached = sys.argv[2] == "cached"
tokenizer, stemmer = NLTKWordTokenizer(), PorterStemmer()
memo = {}
out = open("/dev/null", "w")
n = 0
with open(sys.argv[1], encoding="utf-8") as fh:
    for line in fh:
        words = []
        for tok in tokenizer.tokenize(line):
            norm = memo.get(tok) if cached else None
            if norm is None:
                norm = stemmer.stem(simplemma.lemmatize(tok, lang="en").lower())
                if cached:
                    memo[tok] = norm
            words.append(norm)
        n += len(words)
        out.write(" ".join(words) + "\n")
print(n, file=sys.stderr)
"""


def tree_pss_kb(pid: int) -> int:
    total = 0
    pids = [pid]
    try:
        for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
            pids.append(int(c))
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def run(cmd: list[str], poll_memory: bool = False) -> tuple[float, float, str]:
    """(seconds, peak MB or 0, stderr) of one process; memory is polled in separate runs so
    the polling thread's CPU never biases a timing."""
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

        thread = threading.Thread(target=poll)
        thread.start()
        _, err = proc.communicate()
        done.set()
        thread.join()
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[:4]} failed: {err}")
    return time.perf_counter() - start, peak / 1024, err


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true", help="the shipped Lee corpus, one run each (CI)")
    ap.add_argument("--repeat", type=int, default=2, help="runs per side, interleaved; the best counts")
    args = ap.parse_args()
    repeat = 1 if args.smoke else args.repeat

    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus.txt"
        if args.smoke or brown_zip() is None:
            corpus.write_bytes((DATA / "lee_background.txt").read_bytes())
            source = "Lee corpus (shipped)" + ("" if args.smoke else ": brown.zip not found")
        else:
            corpus.write_text("\n".join(brown_sentences(lower=False)) + "\n", encoding="utf-8")
            source = "Brown corpus, one pass"
        words = sum(len(line.split()) for line in corpus.read_text(encoding="utf-8").splitlines())
        print(f"corpus: {source}: {words:,} whitespace tokens, {corpus.stat().st_size / 1e6:.1f} MB, {os.cpu_count()} cores")

        wordseq = [sys.executable, "-m", "wordseq", "tokenize", str(corpus), "--stem", "porter", "--lemmatize"]
        sides = {
            "wordseq, 1 worker": wordseq + ["--workers", "1"],
            "wordseq, 2 workers": wordseq + ["--workers", "2"],
            "NLTK script, cached per type": [sys.executable, "-c", PEER, str(corpus), "cached"],
            "NLTK script, naive": [sys.executable, "-c", PEER, str(corpus), "naive"],
        }
        best = {name: float("inf") for name in sides}
        for _ in range(repeat):  # interleaved, so drift on a shared machine hits every side
            for name, cmd in sides.items():
                best[name] = min(best[name], run(cmd)[0])
        memory = {name: run(cmd, poll_memory=True)[1] for name, cmd in sides.items() if not args.smoke}

    print(f"{'side':32s} {'seconds':>8s} {'tokens/s':>12s} {'peak MB':>8s}")
    for name, seconds in best.items():
        print(f"{name:32s} {seconds:8.2f} {words / seconds:12,.0f} {memory.get(name, 0):8.0f}")
    one = best["wordseq, 1 worker"]
    print("vs a peer (same work, whole process):")
    print(f"  wordseq 1 worker vs NLTK cached per type : {best['NLTK script, cached per type'] / one:5.2f}x")
    print(f"  wordseq 1 worker vs NLTK naive           : {best['NLTK script, naive'] / one:5.2f}x")
    print("ablation (wordseq against itself):")
    print(f"  2 workers vs 1 worker                    : {one / best['wordseq, 2 workers']:5.2f}x")


if __name__ == "__main__":
    main()
