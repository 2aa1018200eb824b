"""wordseq train-embeddings / eval analogies against raw gensim on the Brown corpus.

Same tokens file (Brown, tags stripped, lowercased, one sentence per line), same
hyper-parameters, one run:
  - training words/s: wordseq's train_word2vec (gensim corpus_file inside, plus its probe
    loss and callbacks) vs gensim Word2Vec(corpus_file=...) build_vocab + train;
  - analogy accuracy on the Google set (restrict 30000): wordseq's model scored by
    wordseq vs gensim's model scored by gensim's evaluate_word_analogies;
  - evaluation speed: wordseq's evaluate_analogies vs gensim's evaluate_word_analogies on
    the same vectors, and their accuracies.
  - fastText subword vectors (``--subwords``): wordseq's train_embeddings(subwords=True),
    saved to a store and loaded back, vs gensim FastText(corpus_file=...), same settings,
    threads and epochs, each side in its own process: analogy accuracy (Google set,
    restrict 30000; each side scored by its own code), peak memory (the process's
    ru_maxrss over training and saving), and the share of corpus words below --min-count
    (never in the vocabulary) that get a vector.
Run: .venv/bin/python benchmarks/bench_embeddings.py [--quick] [--only-fasttext]
``--smoke`` (CI) runs the same code on the shipped Lee corpus, one epoch, one run per
side: it checks that the benchmark works, and its figures mean nothing.
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpora import DATA, corpora_dir  # noqa: E402

BROWN = corpora_dir() / "brown.zip"


def write_brown_tokens(out: Path) -> int:
    tokens = 0
    with zipfile.ZipFile(BROWN) as zf, open(out, "w", encoding="utf-8") as fh:
        for name in sorted(zf.namelist()):
            base = name.rsplit("/", 1)[-1]
            if not (len(base) == 4 and base[0] == "c" and base[2:].isdigit()):
                continue
            for raw in zf.read(name).decode("utf-8").splitlines():
                words = [t.rsplit("/", 1)[0].lower() for t in raw.split()]
                if words:
                    tokens += len(words)
                    fh.write(" ".join(words) + "\n")
    return tokens


def write_lee_tokens(out: Path) -> int:
    """The smoke run's corpus: the shipped Lee corpus, lowercased, split on spaces."""
    tokens = 0
    with open(out, "w", encoding="utf-8") as fh:
        for raw in (DATA / "lee_background.txt").read_text(encoding="utf-8").splitlines():
            words = raw.lower().split()
            tokens += len(words)
            fh.write(" ".join(words) + "\n")
    return tokens


def peak_mb(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident memory so far (ru_maxrss is in KB on Linux): this process's, or
    (RUSAGE_CHILDREN) that of its largest child, the tokenizing workers of wordseq."""
    return resource.getrusage(who).ru_maxrss / 1024


def fasttext_side(side: str, corpus: Path, settings: dict[str, Any], out: Path) -> None:
    """One side of the fastText comparison, in a process of its own (so that its peak
    memory is its own): train, note the peak, then score the Google analogies."""
    from wordseq.embeddings.config import Word2VecConfig
    from wordseq.embeddings.evaluation import ANALOGY_SETS, dataset_path

    config = Word2VecConfig(subwords=True, **settings)
    questions = str(dataset_path("google", ANALOGY_SETS))
    t0 = time.perf_counter()
    if side == "gensim":
        from gensim.models import FastText

        g = FastText(**config.gensim_kwargs())
        g.build_vocab(corpus_file=str(corpus))
        g.train(corpus_file=str(corpus), total_words=g.corpus_total_words, epochs=config.epochs)
        seconds, peak = time.perf_counter() - t0, peak_mb()
        accuracy, _ = g.wv.evaluate_word_analogies(questions, restrict_vocab=30000)
        result = {"vocab": len(g.wv), "accuracy": 100 * accuracy}
    else:
        from wordseq.embeddings.model import load_embeddings
        from wordseq.embeddings.train import train_embeddings
        from wordseq.text.preprocess import PreprocessConfig

        train_embeddings(str(corpus), out.parent / "wordseq-ft", model=config, preprocess=PreprocessConfig(pretokenized=True))
        seconds, peak = time.perf_counter() - t0, peak_mb()
        model = load_embeddings(str(out.parent / "wordseq-ft"))
        report = model.evaluate_analogies(questions, restrict=30000)
        # corpus tokens below --min-count that a query names as one token ('"after' of the
        # Lee corpus, split on spaces, is two: the quote and the word)
        rare = [w for w in _rare_words(corpus, set(model.vectors.words)) if model.normalize(w) == w]
        covered = sum(1 for w in rare if _has_vector(model, w))
        result = {"vocab": len(model.vectors), "accuracy": 100 * (report.accuracy or 0.0),
                  "unseen": len(rare), "unseen_with_vector": covered}
    out.write_text(json.dumps({**result, "seconds": seconds, "peak_mb": peak,
                               "child_peak_mb": peak_mb(resource.RUSAGE_CHILDREN)}))


def _rare_words(corpus: Path, vocabulary: set[str]) -> list[str]:
    words: set[str] = set()
    with open(corpus, encoding="utf-8") as fh:
        for line in fh:
            words.update(line.split())
    return sorted(words - vocabulary)


def _has_vector(model: Any, word: str) -> bool:
    try:
        model.vector(word)
    except Exception:  # noqa: BLE001 -- any failure is a word without a vector
        return False
    return True


def compare_fasttext(args: argparse.Namespace, corpus: Path, results: list[tuple[str, bool]]) -> None:
    """gensim, wordseq, wordseq, gensim (each run a fresh process); the best time counts,
    and each side's lowest peak memory."""
    settings = {"epochs": 1 if args.smoke else 3 if args.quick else 5, "workers": args.workers, "seed": 1,
                "buckets": 20_000 if args.smoke else args.buckets}
    print(f"\n== fastText subword vectors (skip-gram, dim 100, n-grams 3-6, {settings['buckets']:,} buckets, "
          f"epochs {settings['epochs']}, workers {settings['workers']}) ==")
    order = ["gensim", *["wordseq"] * args.repeat, *["gensim"] * (args.repeat - 1)]
    runs: dict[str, list[dict[str, Any]]] = {"gensim": [], "wordseq": []}
    for i, side in enumerate(order):
        out = corpus.parent / f"ft-{i}" / "result.json"
        out.parent.mkdir()
        subprocess.run([sys.executable, __file__, "--fasttext-side", side, "--corpus", str(corpus),
                        "--settings", json.dumps(settings), "--out", str(out)], check=True)
        runs[side].append(json.loads(out.read_text()))
    for side, rs in runs.items():
        print(f"{side:7}: " + "; ".join(f"{r['seconds']:.1f} s, peak {r['peak_mb']:,.0f} MB, analogies {r['accuracy']:.2f}%"
                                        for r in rs))
    g, w = runs["gensim"][0], runs["wordseq"][0]
    g_peak, w_peak = min(r["peak_mb"] for r in runs["gensim"]), min(r["peak_mb"] for r in runs["wordseq"])
    g_time, w_time = min(r["seconds"] for r in runs["gensim"]), min(r["seconds"] for r in runs["wordseq"])
    print(f"vocab: gensim {g['vocab']:,}, wordseq {w['vocab']:,}; time (train + save for wordseq): "
          f"gensim {g_time:.1f} s, wordseq {w_time:.1f} s")
    print(f"analogies: wordseq {w['accuracy']:.2f}%, gensim {g['accuracy']:.2f}%: "
          f"difference {abs(w['accuracy'] - g['accuracy']):.2f} points (target <= 1)")
    print(f"peak memory: wordseq {w_peak:,.0f} MB, gensim {g_peak:,.0f} MB (target: wordseq <= gensim); "
          f"wordseq's largest tokenizing worker {w['child_peak_mb']:,.0f} MB (it ends before training begins)")
    print(f"corpus words below --min-count (never in the vocabulary; one token as a query) with a vector: "
          f"{w['unseen_with_vector']:,} of {w['unseen']:,}")
    results.append(("fastText analogy accuracy within 1 point of gensim", abs(w["accuracy"] - g["accuracy"]) <= 1.0))
    results.append(("fastText peak memory <= gensim's", w_peak <= g_peak))
    results.append(("every unseen word gets a vector", w["unseen_with_vector"] == w["unseen"]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="3 epochs instead of 5")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=2, help="runs per side; the best counts")
    parser.add_argument("--smoke", action="store_true", help="a seconds-long run on the shipped Lee corpus (CI)")
    parser.add_argument("--only-fasttext", action="store_true", help="only the fastText comparison")
    parser.add_argument("--buckets", type=int, default=2_000_000, help="fastText n-gram buckets (gensim's default)")
    parser.add_argument("--fasttext-side", choices=["gensim", "wordseq"], help=argparse.SUPPRESS)
    parser.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--settings", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    if args.fasttext_side:
        fasttext_side(args.fasttext_side, args.corpus, json.loads(args.settings), args.out)
        return
    if args.smoke:
        args.repeat = 1
    results: list[tuple[str, bool]] = []
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus.txt"
        n_tokens = (write_lee_tokens if args.smoke else write_brown_tokens)(corpus)
        print(f"corpus: {'Lee (smoke run)' if args.smoke else 'Brown'}, {n_tokens:,} tokens")
        if not args.only_fasttext:
            compare_word2vec(args, corpus, results)
        compare_fasttext(args, corpus, results)
    report(results, args.smoke)


def report(results: list[tuple[str, bool]], smoke: bool) -> None:
    print("\n== targets ==" + (" (smoke run: a tiny corpus, not judged)" if smoke else ""))
    for name, ok in results:
        print(f"{'MET    ' if ok else 'NOT MET'}  {name}")


def compare_word2vec(args: argparse.Namespace, corpus: Path, results: list[tuple[str, bool]]) -> None:
    """Word2Vec: training speed, analogy accuracy and evaluation speed against gensim."""
    from gensim.models import Word2Vec

    from wordseq.embeddings.config import Word2VecConfig
    from wordseq.embeddings.evaluation import ANALOGY_SETS, dataset_path, evaluate_analogies
    from wordseq.embeddings.model import EmbeddingModel
    from wordseq.embeddings.train import train_word2vec
    from wordseq.text.preprocess import PreprocessConfig
    from wordseq.text.reader import CorpusReader

    config = Word2VecConfig(epochs=1 if args.smoke else 3 if args.quick else 5, workers=args.workers, seed=1)
    questions = dataset_path("google", ANALOGY_SETS)
    print(f"word2vec: {config.architecture}, dim {config.dim}, window {config.window}, "
          f"negative {config.negative}, min-count {config.min_count}, epochs {config.epochs}, workers {config.workers}")

    # The machine is shared and timings drift: run in the order gensim, wordseq,
    # wordseq, gensim and keep each side's best run.
    def run_gensim() -> tuple[Any, float, float]:
        t0 = time.perf_counter()
        g = Word2Vec(**config.gensim_kwargs())
        g.build_vocab(corpus_file=str(corpus))
        t1 = time.perf_counter()
        _, raw = g.train(corpus_file=str(corpus), total_words=g.corpus_total_words, epochs=config.epochs)
        t2 = time.perf_counter()
        return g, raw / (t2 - t1), raw / (t2 - t0)

    def run_wordseq() -> tuple[Any, float, float]:
        t3 = time.perf_counter()
        res = train_word2vec(CorpusReader([str(corpus)]), PreprocessConfig(pretokenized=True), config)
        return res, res.words_per_second, res.raw_words / (time.perf_counter() - t3)

    runs_g = [run_gensim()]
    runs_w = [run_wordseq() for _ in range(args.repeat)]
    runs_g += [run_gensim() for _ in range(args.repeat - 1)]
    g, g_train_wps, g_total_wps = max(runs_g, key=lambda r: r[1])
    res, w_train_wps, w_total_wps = max(runs_w, key=lambda r: r[1])

    print("\n== training ==")
    print(f"runs (train words/s): gensim {[round(r[1]) for r in runs_g]}, wordseq {[round(r[1]) for r in runs_w]}")
    print(f"gensim : vocab {len(g.wv):,}, {g_train_wps:,.0f} words/s training; {g_total_wps:,.0f} words/s with vocabulary")
    print(f"wordseq: vocab {res.vocab_size:,}, {w_train_wps:,.0f} words/s training; "
          f"{w_total_wps:,.0f} words/s with tokens file and vocabulary")
    ratio = w_train_wps / g_train_wps
    print(f"training words/s ratio wordseq/gensim: {ratio:.3f} (target >= 0.9); end to end: {w_total_wps / g_total_wps:.3f}")
    results.append(("training words/s >= 0.9x gensim", ratio >= 0.9))

    w_model = EmbeddingModel(path=Path("."), meta={}, vectors=res.vectors,
                             preprocess=PreprocessConfig(pretokenized=True))
    print("\n== analogy accuracy (Google set, restrict 30000, 3CosAdd) ==")
    w_report = evaluate_analogies(w_model, questions, restrict=30000, method="add")
    g_score, _ = g.wv.evaluate_word_analogies(str(questions), restrict_vocab=30000)
    w_acc, g_acc = 100 * (w_report.accuracy or 0.0), 100 * g_score
    print(f"wordseq model (wordseq eval): {w_acc:.2f}% of {w_report.attempted:,} questions")
    print(f"gensim model  (gensim eval) : {g_acc:.2f}%")
    print(f"difference: {abs(w_acc - g_acc):.2f} points (target <= 1)")
    results.append(("analogy accuracy within 1 point of gensim", abs(w_acc - g_acc) <= 1.0))

    print("\n== evaluation speed (same vectors: the wordseq model) ==")
    kv = res.keyed_vectors
    w_times, g_times = [], []
    for _ in range(args.repeat):
        t5 = time.perf_counter()
        report = evaluate_analogies(w_model, questions, restrict=30000, method="add")
        t6 = time.perf_counter()
        gs_score, _ = kv.evaluate_word_analogies(str(questions), restrict_vocab=30000)
        t7 = time.perf_counter()
        w_times.append(t6 - t5)
        g_times.append(t7 - t6)
    ours, theirs = 100 * (report.accuracy or 0.0), 100 * gs_score
    speedup = min(g_times) / min(w_times)
    print(f"wordseq eval analogies   : {min(w_times):.2f} s (best of {args.repeat}), accuracy {ours:.2f}%")
    print(f"gensim evaluate_word_analogies: {min(g_times):.2f} s (best of {args.repeat}), accuracy {theirs:.2f}%")
    print(f"speed-up: {speedup:.1f}x (target >= 3); accuracy difference {abs(ours - theirs):.3f} points (target <= 0.1)")
    results.append(("eval analogies >= 3x faster than gensim", speedup >= 3))
    results.append(("eval accuracy equal to gensim's within 0.1 point", abs(ours - theirs) <= 0.1))
    t8 = time.perf_counter()
    mul = evaluate_analogies(w_model, questions, restrict=30000, method="mul")
    print(f"wordseq 3CosMul: {time.perf_counter() - t8:.2f} s, accuracy {100 * (mul.accuracy or 0):.2f}%")


if __name__ == "__main__":
    main()
