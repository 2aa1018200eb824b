"""wordseq n-gram models vs nltk.lm on the Brown corpus (1.16 M tokens), in one run.

    .venv/bin/python benchmarks/bench_ngram.py [--quick] [--corpus ../shared/corpora/brown.zip]

Corpus: the 500 Brown files, one sentence per line, ``word/TAG`` with the tag stripped,
lowercased. Every 20th sentence is held out for evaluation, the rest is training text.
Both tools get the same token lists (no tokenizer in the timings).

1. Order-3 modified Kneser-Ney train + perplexity, wordseq vs nltk.lm
   ``KneserNeyInterpolated`` fit + perplexity. nltk.lm cannot do the full corpus in
   reasonable time (each score walks all n-grams of the next order for its continuation
   counts), so both tools run on the same subset (the first S training sentences, the
   first E held-out ones) and the ratio is taken there. For scale, nltk's subset time is
   also extrapolated to the full corpus linearly in tokens, which favours nltk (its
   scoring cost grows with the number of n-grams, i.e. faster than linearly).
   Target: wordseq >= 50x faster.
2. Order-5 modified Kneser-Ney on the full training text, streamed from the zip file, in
   a child process so its peak memory (ru_maxrss, the whole process) is its own.
   Targets: train < 30 s, peak memory < 2 GB, evaluation >= 300 k tokens/s.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpora" / "brown.zip"
sys.path.insert(0, str(ROOT))


def brown_sentences(path: Path, held_out: bool) -> Iterator[list[str]]:
    """Training (held_out=False) or held-out sentences, streamed from the zip."""
    with zipfile.ZipFile(path) as z:
        names = sorted(n for n in z.namelist() if n.startswith("brown/c") and len(n) == len("brown/ca01"))
        i = 0
        for name in names:
            for line in z.read(name).decode("utf-8").splitlines():
                toks = [t.rsplit("/", 1)[0].lower() for t in line.split()]
                if not toks:
                    continue
                if (i % 20 == 19) == held_out:
                    yield toks
                i += 1


def run_wordseq(train: list[list[str]], test: list[list[str]], order: int) -> dict:
    from wordseq.ngram import NgramConfig, train_ngram

    t0 = time.perf_counter()
    model, _ = train_ngram(train, NgramConfig(order=order, discount_fallback=True))
    t1 = time.perf_counter()
    report, _ = model.perplexity(test)
    t2 = time.perf_counter()
    return {"train_s": t1 - t0, "eval_s": t2 - t1, "perplexity": report.perplexity, "tokens": report.tokens}


def run_nltk(train: list[list[str]], test: list[list[str]], order: int) -> dict:
    from nltk.lm import KneserNeyInterpolated
    from nltk.lm.preprocessing import pad_both_ends, padded_everygram_pipeline
    from nltk.util import ngrams

    t0 = time.perf_counter()
    lm = KneserNeyInterpolated(order)
    grams, vocab = padded_everygram_pipeline(order, train)
    lm.fit(grams, vocab)
    t1 = time.perf_counter()
    test_grams = [g for s in test for g in ngrams(list(pad_both_ends(s, n=order)), order)]
    ppl = lm.perplexity(test_grams)
    t2 = time.perf_counter()
    return {"train_s": t1 - t0, "eval_s": t2 - t1, "perplexity": ppl, "tokens": len(test_grams)}


def order5_child(corpus: Path) -> None:
    from wordseq.ngram import NgramConfig, train_ngram
    from wordseq.ngram.storage import write_payload
    import tempfile

    t0 = time.perf_counter()
    model, fig = train_ngram(brown_sentences(corpus, False), NgramConfig(order=5))
    t1 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        write_payload(model, Path(tmp))
        arpa_mb = (Path(tmp) / "model.arpa").stat().st_size / 1e6
    t2 = time.perf_counter()
    train_text = list(brown_sentences(corpus, False))
    test_text = list(brown_sentences(corpus, True))
    t3 = time.perf_counter()
    report, _ = model.perplexity(train_text)
    t4 = time.perf_counter()
    held, _ = model.perplexity(test_text)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({
        "train_s": t1 - t0, "save_s": t2 - t1, "arpa_mb": arpa_mb, "tokens": fig.tokens, "ngrams": fig.ngrams,
        "discounts": fig.discounts, "eval_tokens": report.tokens, "eval_s": t4 - t3,
        "heldout_perplexity": held.perplexity, "heldout_perplexity_excl_oov": held.perplexity_excl_oov,
        "heldout_oov_rate": held.oov_rate, "peak_mb": peak_kb / 1024,
    }))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--quick", action="store_true", help="smaller nltk subset (about a minute in all)")
    ap.add_argument("--subset-sentences", type=int, default=None, help="training sentences for the nltk comparison")
    ap.add_argument("--order5-child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if not args.corpus.is_file():
        sys.exit(f"no corpus at {args.corpus}")
    if args.order5_child:
        order5_child(args.corpus)
        return

    train = list(brown_sentences(args.corpus, False))
    test = list(brown_sentences(args.corpus, True))
    n_train = sum(len(s) for s in train)
    n_test = sum(len(s) for s in test)
    print(f"Brown: {n_train:,} training tokens in {len(train):,} sentences, {n_test:,} held-out tokens")

    sub_n = args.subset_sentences or (1000 if args.quick else 3000)
    sub_train, sub_test = train[:sub_n], test[: max(50, sub_n // 20)]
    sub_tokens = sum(len(s) for s in sub_train)
    print(f"\n1. order-3 modified Kneser-Ney, subset: {sub_n:,} sentences ({sub_tokens:,} tokens), "
          f"{len(sub_test)} held-out sentences")
    ws_sub = run_wordseq(sub_train, sub_test, 3)
    nl_sub = run_nltk(sub_train, sub_test, 3)
    ws_full = run_wordseq(train, test, 3)
    ws_sub_total = ws_sub["train_s"] + ws_sub["eval_s"]
    nl_sub_total = nl_sub["train_s"] + nl_sub["eval_s"]
    ratio_subset = nl_sub_total / ws_sub_total
    nl_full_est = nl_sub["train_s"] * n_train / sub_tokens + nl_sub["eval_s"] * (n_test + len(test)) / nl_sub["tokens"]
    ws_full_total = ws_full["train_s"] + ws_full["eval_s"]
    ratio_full = nl_full_est / ws_full_total
    print(f"   wordseq subset: train {ws_sub['train_s']:.3f} s, eval {ws_sub['eval_s']:.3f} s, perplexity {ws_sub['perplexity']:.1f}")
    print(f"   nltk.lm subset: fit {nl_sub['train_s']:.3f} s, perplexity {nl_sub['eval_s']:.3f} s "
          f"(perplexity {nl_sub['perplexity']:.1f}; fixed discount 0.1, different padding, so values differ)")
    print(f"   speed-up on the same subset: {ratio_subset:,.0f}x  (target >= 50x: {'MET' if ratio_subset >= 50 else 'NOT MET'})")
    print(f"   wordseq full corpus: train {ws_full['train_s']:.2f} s, eval {ws_full['eval_s']:.2f} s, "
          f"held-out perplexity {ws_full['perplexity']:.1f}")
    print(f"   nltk.lm full corpus, extrapolated linearly (favours nltk): {nl_full_est:,.0f} s "
          f"→ speed-up {ratio_full:,.0f}x")

    print("\n2. order-5 modified Kneser-Ney on the full training text (child process, streamed from the zip)")
    out = subprocess.run([sys.executable, __file__, "--corpus", str(args.corpus), "--order5-child"],
                         capture_output=True, text=True, check=True)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    rate = r["eval_tokens"] / r["eval_s"]
    print(f"   {r['tokens']:,} tokens; n-grams per order {r['ngrams']}")
    print(f"   train {r['train_s']:.2f} s (target < 30 s: {'MET' if r['train_s'] < 30 else 'NOT MET'}); "
          f"save npz + ARPA ({r['arpa_mb']:.0f} MB) {r['save_s']:.2f} s")
    print(f"   peak memory of the process {r['peak_mb']:.0f} MB (target < 2048 MB: {'MET' if r['peak_mb'] < 2048 else 'NOT MET'})")
    print(f"   eval {r['eval_tokens']:,} tokens in {r['eval_s']:.2f} s = {rate:,.0f} tokens/s "
          f"(target >= 300,000: {'MET' if rate >= 300_000 else 'NOT MET'})")
    print(f"   held-out perplexity {r['heldout_perplexity']:.1f} (excl. OOV {r['heldout_perplexity_excl_oov']:.1f}, "
          f"OOV rate {r['heldout_oov_rate']:.2%})")


if __name__ == "__main__":
    main()
