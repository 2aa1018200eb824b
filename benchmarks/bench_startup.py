"""Start-up time of the CLI: `wordseq --help` must answer in under 0.3 s.

Not a comparison with a peer: it sets the time against Python's own start and against
importing the heavy libraries that wordseq keeps out of start-up (torch, gensim, nltk),
to show what the lazy imports save. --smoke: one run each (CI).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time


def best_of(cmd: list[str], runs: int = 7) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def main() -> None:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--smoke", action="store_true", help="one run each")
    args = ap.parse_args()
    py = sys.executable
    rows = [
        ("python -c pass", [py, "-c", "pass"]),
        ("wordseq --help", [py, "-m", "wordseq", "--help"]),
        ("python -c 'import wordseq'", [py, "-c", "import wordseq"]),
        ("wordseq tokenize --help", [py, "-m", "wordseq", "tokenize", "--help"]),
        ("wordseq generate --help", [py, "-m", "wordseq", "generate", "--help"]),
        ("import torch, gensim, nltk", [py, "-c", "import torch, gensim, nltk"]),
    ]
    results = {}
    for name, cmd in rows:
        best, median = best_of(cmd, runs=1 if args.smoke else 3 if "import" in name else 7)
        results[name] = best
        print(f"{name:28s} best {best * 1000:7.0f} ms   median {median * 1000:7.0f} ms")
    help_time = results["wordseq --help"]
    print(f"wordseq --help: {help_time:.3f} s (target < 0.3 s) {'OK' if help_time < 0.3 else 'MISSED'}")
    print(f"heavy imports avoided at start-up: {results['import torch, gensim, nltk'] / help_time:.0f}x the help time")


if __name__ == "__main__":
    main()
