"""wordseq n-gram models against nltk.lm and KenLM, in one run.

    .venv/bin/python benchmarks/bench_ngram.py            # Brown split; KenLM if built
    .venv/bin/python benchmarks/bench_ngram.py --smoke    # data/ only, under ~30 s
    .venv/bin/python benchmarks/bench_ngram.py --big 0    # without the 10 M-token run
    .venv/bin/python benchmarks/bench_ngram.py --scoring --rounds 5   # only scoring and sizes
    .venv/bin/python benchmarks/bench_ngram.py --cluster-pairs 4      # only --cluster local:2 against one process

Corpus: the shared Brown split of ``benchmarks/corpora.py`` (train 1.04 M tokens;
lowercased, pre-tokenized: no tokenizer in any timing); ``--smoke`` uses the Lee corpus
in ``data/``.

1. Same algorithm as nltk.lm, perplexities asserted equal. nltk.lm's Kneser-Ney is not
   wordseq's (nltk's lowest level is the undiscounted continuation distribution, which
   gives unseen words 0, and it pads sentences with n-1 markers), so the row that can be
   asserted equal is order-3 add-k: wordseq ``--smoothing add-k --k 0.1`` vs nltk.lm
   ``Lidstone(0.1, 3)``, trained on the same sentences and scored on them (nltk gives a
   context it never saw the uniform distribution where wordseq shortens it, so only
   seen contexts define both models the same way; nltk's extra prediction of its second
   ``</s>`` pad is left out). nltk cannot do the whole split in reasonable time, so both
   run on the same subset.
2. Order-5 modified Kneser-Ney, wordseq against KenLM (``benchmarks/peers/kenlm.sh``
   builds lmplz, query and build_binary outside the repository): training as whole
   processes on the same tokens (wall time, CPU time, peak memory of the process;
   lmplz ``-S 20%`` as KenLM's documentation suggests setting it, its threads running on
   the same cores), then evaluation of the whole corpus (1.22 M tokens, loading included)
   by ``wordseq ngram eval`` on its model in each form (sorted int64 keys, ``compact``,
   ``compact --quantize 8``) and by ``query`` on KenLM's binaries of the same ARPA file
   (``build_binary`` probing, trie, trie ``-q 8 -b 8``), then of the corpus repeated
   ``--times`` (10) times; wall, CPU, peak memory, the median of interleaved rounds;
   perplexities asserted equal. Then bytes per n-gram of every form, and the test
   perplexity of the quantized model against the unquantized. Also: reading KenLM's ARPA
   file (``wordseq ngram import``, n-grams/s).
4. ``--scale``: counting within a memory budget and on a Dask cluster. Spliced corpora
   (as in 3.) of 10 M and 100 M tokens (``--scale-tokens``), order 5: ``ngram train
   --memory 1G`` against ``lmplz -o 5 -S 1G`` on the same file (wall, peak memory; test
   perplexity asserted equal); order 3 on Brown repeated 10 times against Brown once
   (memory, the default in-memory path); ``--cluster local:2`` on the 10 M corpus in 4
   shards against one process (tables asserted equal, wall).
3. ``--big N``: an N-token run for scale (default 10 M). The corpus is made of new
   sentences spliced from random pieces of the Brown training sentences, so that distinct
   n-grams keep growing with the corpus as in real text; it reports time, peak memory,
   bytes per distinct n-gram and the corpus size that fits in 24 GB (and lmplz on it).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from corpora import brown_split, brown_zip, lee_split  # noqa: E402

WORDSEQ = [str(Path(sys.executable).parent / "wordseq")]
if not Path(WORDSEQ[0]).exists():
    WORDSEQ = [sys.executable, "-m", "wordseq"]
KENLM_HOME = Path(os.environ.get("KENLM_HOME", Path.home() / ".cache" / "wordseq-peers" / "kenlm"))


@dataclass
class Run:
    wall: float
    cpu: float
    peak_mb: float
    stdout: str
    stderr: str


# Peak memory of a child is measured from a small launcher: a process forked from this
# one would carry this process's own high-water mark into its ru_maxrss.
_LAUNCHER = """
import json, os, sys, time
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
_, status, ru = os.wait4(pid, 0)
wall = time.perf_counter() - start
with open(sys.argv[1], "w") as fh:
    json.dump({"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "peak_kb": ru.ru_maxrss}, fh)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run(cmd: list[str], stdin: Path | None = None) -> Run:
    """A whole process: wall time, CPU time (user + sys, all threads) and peak RSS."""
    with open(stdin, "rb") if stdin else open(os.devnull, "rb") as inp, \
            tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile(suffix=".json") as figures:
        code = subprocess.call([sys.executable, "-S", "-c", _LAUNCHER, figures.name, *cmd], stdin=inp, stdout=out, stderr=err)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
        if code != 0:
            raise SystemExit(f"{' '.join(cmd)} failed:\n{stderr[-2000:]}")
        f = json.loads(Path(figures.name).read_text())
    return Run(f["wall"], f["cpu"], f["peak_kb"] / 1024, stdout, stderr)


def best(runs: list[Run]) -> Run:
    return min(runs, key=lambda r: r.wall)


def load() -> str:
    return f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


# -- 1. nltk.lm, same algorithm ----------------------------------------------------------------


def nltk_section(train_file: Path, sentences: int) -> None:
    from nltk.lm import Lidstone
    from nltk.lm.preprocessing import pad_both_ends, padded_everygram_pipeline
    from nltk.util import ngrams

    from wordseq.ngram import NgramConfig, train_ngram

    lines = train_file.read_text(encoding="utf-8").splitlines()[:sentences]
    sents = [line.split() for line in lines if line.split()]
    tokens = sum(len(s) for s in sents)
    print(f"\n1. order-3 add-k (k 0.1), wordseq vs nltk.lm Lidstone: {len(sents):,} sentences, {tokens:,} tokens")

    t0 = time.perf_counter()
    model = train_ngram(sents, model=NgramConfig(order=3, smoothing="add-k", k=0.1))
    report, _ = model.evaluate(sents)
    ws = time.perf_counter() - t0

    t0 = time.perf_counter()
    lm = Lidstone(0.1, 3)
    grams, _ = padded_everygram_pipeline(3, sents)
    # nltk's vocabulary without its <s> pad (which becomes <UNK>, never seen otherwise):
    # the same predictable words as wordseq's (the words, </s>, <unk>)
    lm.fit(grams, [w for s in sents for w in s] + ["</s>"])
    test = [g for s in sents for g in list(ngrams(pad_both_ends(s, n=3), 3))[:-1]]
    nltk_ppl = lm.perplexity(test)
    nl = time.perf_counter() - t0

    assert abs(report.perplexity / nltk_ppl - 1) < 1e-5, (report.perplexity, nltk_ppl)
    assert report.tokens == len(test)
    print(f"   wordseq train + score {ws:.3f} s, nltk.lm fit + score {nl:.2f} s: {nl / ws:,.0f}x; "
          f"perplexity {report.perplexity:.4f} = {nltk_ppl:.4f} (asserted equal)")


# -- 2. KenLM -------------------------------------------------------------------------------------


def kenlm_bin(name: str) -> Path:
    return KENLM_HOME / "bin" / name


def kenlm_available() -> bool:
    return all(kenlm_bin(b).exists() for b in ("lmplz", "query", "build_binary"))


def query_perplexity(stdout: str) -> float:
    for line in stdout.splitlines():
        if line.startswith("Perplexity including OOVs:"):
            return float(line.split()[-1])
    raise SystemExit("query printed no perplexity")


def wordseq_train(corpus: Path, model: Path, order: int) -> Run:
    shutil.rmtree(model, ignore_errors=True)
    return run(WORDSEQ + ["-q", "ngram", "train", str(corpus), "--pretokenized", "--no-lower", "--order", str(order),
                          "-o", str(model)])


def lmplz_train(corpus: Path, arpa: Path, order: int, tmp: Path) -> Run:
    return run([str(kenlm_bin("lmplz")), "-o", str(order), "-S", "20%", "-T", str(tmp), "--text", str(corpus),
                "--arpa", str(arpa)])


def wordseq_eval(text: Path, model: Path) -> tuple[Run, dict]:
    r = run(WORDSEQ + ["-q", "ngram", "eval", str(text), "-m", str(model), "--json"])
    return r, json.loads(r.stdout)


def verdict(ok: bool, target: str) -> str:
    return f" (target {target}: {'MET' if ok else 'NOT MET'})" if TARGETS else ""


TARGETS = True  # the targets are for the Brown split; --smoke only shows the mechanics


def kenlm_section(train: Path, everything: Path, test: Path, tmp: Path, rounds: int, order: int = 5,
                  train_rounds: int | None = None, times: int = 10) -> None:
    print(f"\n2. order-{order} modified Kneser-Ney, wordseq vs KenLM ({load()})")
    if not kenlm_available():
        print(f"   KenLM not found in {KENLM_HOME}/bin: build it with benchmarks/peers/kenlm.sh "
              "(or set KENLM_HOME); skipped")
        return
    model, arpa = tmp / "ws", tmp / "kenlm.arpa"
    ws_runs, km_runs = [], []
    train_rounds = rounds if train_rounds is None else train_rounds
    for _ in range(train_rounds):
        ws_runs.append(wordseq_train(train, model, order))
        km_runs.append(lmplz_train(train, arpa, order, tmp))
    ws, km = best(ws_runs), best(km_runs)
    tokens = sum(len(line.split()) for line in train.open(encoding="utf-8"))
    print(f"   train {tokens:,} tokens, whole process, best of {train_rounds}:")
    print(f"     wordseq ngram train  {ws.wall:6.2f} s wall {ws.cpu:6.2f} s CPU {ws.peak_mb:7.0f} MB peak")
    print(f"     lmplz -S 20%         {km.wall:6.2f} s wall {km.cpu:6.2f} s CPU {km.peak_mb:7.0f} MB peak")
    print(f"     wordseq / lmplz: wall {ws.wall / km.wall:.2f}x{verdict(ws.wall <= km.wall, '<= 1.0')}, "
          f"memory {ws.peak_mb / km.peak_mb:.2f}x{verdict(ws.peak_mb <= km.peak_mb, '<= 1.0')}")
    scoring_section(everything, test, model, arpa, tmp, rounds, times)
    import_section(arpa, tmp)


def median(runs: list[Run]) -> Run:
    """The median wall time, CPU time and peak memory of repeated runs (each on its own)."""
    def mid(values: list[float]) -> float:
        return statistics.median(values)
    return Run(mid([r.wall for r in runs]), mid([r.cpu for r in runs]), mid([r.peak_mb for r in runs]), runs[0].stdout, "")


def bytes_per_ngram(folder: Path) -> float:
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    return sum(f.stat().st_size for f in folder.glob("*.npy")) / sum(meta["tables"]["model"]["sizes"])


def scoring_models(model: Path, arpa: Path, tmp: Path) -> tuple[dict[str, Path], dict[str, Path], int]:
    """wordseq's model in its three forms and KenLM's binaries of the same ARPA file."""
    ours = {"sorted keys": model}
    for name, extra in (("compact", []), ("compact -q 8", ["--quantize", "8"])):
        ours[name] = tmp / name.replace(" ", "")
        shutil.rmtree(ours[name], ignore_errors=True)
        run(WORDSEQ + ["-q", "ngram", "compact", str(model), "-o", str(ours[name]), *extra])
    theirs = {}
    for name, args in (("probing", ["probing"]), ("trie", ["trie"]), ("trie -q 8 -b 8", ["-q", "8", "-b", "8", "trie"])):
        theirs[name] = tmp / f"kenlm.{name.replace(' ', '')}"
        run([str(kenlm_bin("build_binary")), *args[:-1], args[-1], str(arpa), str(theirs[name])])
    ngrams = sum(json.loads((model / "meta.json").read_text(encoding="utf-8"))["tables"]["model"]["sizes"])
    return ours, theirs, ngrams


def score_rounds(text: Path, ours: dict[str, Path], theirs: dict[str, Path], rounds: int) -> tuple[dict, dict, dict]:
    """Whole processes, interleaved (load on the machine hits every row alike)."""
    runs: dict[str, list[Run]] = {k: [] for k in [*ours, *theirs]}
    docs: dict[str, dict] = {}
    for _ in range(rounds):
        for name, folder in ours.items():
            r, docs[name] = wordseq_eval(text, folder)
            runs[name].append(r)
        for name, binary in theirs.items():
            runs[name].append(run([str(kenlm_bin("query")), "-v", "summary", str(binary)], stdin=text))
    return {k: median(v) for k, v in runs.items()}, docs, {k: query_perplexity(runs[k][0].stdout) for k in theirs}


def compiled_wordseq() -> None:
    """Bytecode for every wordseq module, as an installed package has: a checkout run with
    PYTHONDONTWRITEBYTECODE=1 would otherwise compile ~50 modules in every timed process."""
    import compileall

    import wordseq

    compileall.compile_dir(str(Path(wordseq.__file__).parent), quiet=1)


def scoring_section(everything: Path, test: Path, model: Path, arpa: Path, tmp: Path, rounds: int,
                    times: int = 10) -> None:
    """Scoring: wordseq's forms against query on KenLM's binaries, sizes, quantization."""
    compiled_wordseq()
    ours, theirs, ngrams = scoring_models(model, arpa, tmp)
    big = tmp / f"all-x{times}.txt"
    texts = [(everything, "the whole corpus")]
    if times > 1:  # (--smoke: 1)
        big.write_text(everything.read_text(encoding="utf-8") * times, encoding="utf-8")
        texts.append((big, f"the corpus {times} times"))
    for text, label in texts:
        med, docs, ppl = score_rounds(text, ours, theirs, rounds)
        n = docs["sorted keys"]["tokens"]
        for name in ours:
            assert abs(docs[name]["perplexity"] / ppl["probing"] - 1) < (1e-2 if "q 8" in name else 1e-5), (name, docs[name])
        print(f"   scoring {n:,} tokens ({label}, loading included), whole processes, median of {rounds} "
              f"interleaved rounds; perplexity {docs['sorted keys']['perplexity']:.4f} = query's {ppl['probing']:.4f} "
              f"(asserted equal):")
        for name, r in med.items():
            who = "wordseq ngram eval" if name in ours else "query on KenLM's"
            print(f"     {who} {name:16s} {r.wall:6.2f} s wall {r.cpu:6.2f} s CPU {n / r.wall:>11,.0f} tokens/s "
                  f"{r.peak_mb:5.0f} MB peak")
        best_ours = min((ours_name for ours_name in ours), key=lambda k: med[k].wall)
        w, b = med[best_ours], med["probing"]
        target = 1.0 if text is everything else 0.8
        print(f"     wordseq ({best_ours}) / query on probing: wall {w.wall / b.wall:.2f}x, CPU {w.cpu / b.cpu:.2f}x"
              f"{verdict(w.wall <= target * b.wall and w.cpu <= target * b.cpu, f'<= {target}x')}")
    big.unlink(missing_ok=True)
    size_rows(ours, theirs, ngrams, test, ppl_of=lambda m: wordseq_eval(test, m)[1]["perplexity"])


def size_rows(ours: dict[str, Path], theirs: dict[str, Path], ngrams: int, test: Path, ppl_of: Any) -> None:
    print(f"   size on disk, {ngrams:,} n-grams (bytes per n-gram):")
    for name, folder in ours.items():
        print(f"     wordseq {name:16s} {bytes_per_ngram(folder):5.1f}")
    for name, binary in theirs.items():
        print(f"     KenLM {name:18s} {binary.stat().st_size / ngrams:5.1f}")
    plain, q8 = ppl_of(ours["compact"]), ppl_of(ours["compact -q 8"])
    compact_ok = bytes_per_ngram(ours["compact"]) <= 12
    q8_ok = bytes_per_ngram(ours["compact -q 8"]) <= 7 and abs(q8 / plain - 1) <= 0.005
    print(f"     compact{verdict(compact_ok, '<= 12')}; -q 8: test perplexity {q8:.3f} vs {plain:.3f} "
          f"({q8 / plain - 1:+.2%}){verdict(q8_ok, '<= 7 bytes, within 0.5 %')}")


def import_section(arpa: Path, tmp: Path) -> None:
    from wordseq.ngram.arpa import read_arpa

    start, cpu = time.perf_counter(), time.process_time()
    tables = read_arpa(str(arpa))
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    ngrams = sum(tables.sizes())
    r = run(WORDSEQ + ["-q", "ngram", "import", str(arpa), "-o", str(tmp / "imported"), "--pretokenized", "--no-lower"])
    print(f"   reading KenLM's ARPA ({arpa.stat().st_size / 1e6:.0f} MB, {ngrams:,} n-grams): {seconds:.2f} s = "
          f"{ngrams / seconds:,.0f} n-grams/s{verdict(ngrams / seconds >= 1e6, '>= 1 M')} "
          f"({ngrams / cpu:,.0f} per CPU-second); "
          f"'wordseq ngram import' whole process {r.wall:.2f} s, {r.peak_mb:.0f} MB")


def mkn_row(train: Path, test: Path, tmp: Path, order: int) -> None:
    """Modified Kneser-Ney as its own row: what wordseq does on the split, no peer."""
    r = wordseq_train(train, tmp / "mkn", order)
    _, doc = wordseq_eval(test, tmp / "mkn")
    print(f"   order-{order} modified Kneser-Ney: train {r.wall:.2f} s, {r.peak_mb:.0f} MB; held-out perplexity "
          f"{doc['perplexity']:.1f} (excl. OOV {doc['perplexity_excl_oov']:.1f}, OOV rate {doc['oov_rate']:.2%})")


# -- 3. scale ---------------------------------------------------------------------------------------


def scale_corpus(train: Path, out: Path, tokens: int) -> int:
    """New sentences spliced from random pieces (3 to 8 words) of the training sentences:
    the pieces keep the text's word statistics, the joins keep adding new n-grams, and
    the counts of counts stay those of natural text (repeating the corpus would not)."""
    sents = [line.split() for line in train.read_text(encoding="utf-8").splitlines()]
    sents = [s for s in sents if len(s) >= 3]
    rng = random.Random(1)
    written = 0
    with open(out, "w", encoding="utf-8") as fh:
        while written < tokens:
            words: list[str] = []
            target = rng.randint(8, 30)
            while len(words) < target:
                s = sents[rng.randrange(len(sents))]
                a = rng.randrange(len(s) - 2)
                words.extend(s[a : a + rng.randint(3, 8)])
            fh.write(" ".join(words) + "\n")
            written += len(words)
    return written


def big_section(train: Path, tmp: Path, tokens: int, order: int = 5) -> None:
    corpus = tmp / "big.txt"
    written = scale_corpus(train, corpus, tokens)
    print(f"\n3. scale: order-{order} modified Kneser-Ney on {written:,} tokens (sentences spliced from pieces of "
          f"Brown train sentences; {load()})")
    r = wordseq_train(corpus, tmp / "big", order)
    meta = json.loads((tmp / "big" / "meta.json").read_text(encoding="utf-8"))
    ngrams = sum(meta["training"]["ngrams"])
    per = r.peak_mb * 2**20 / ngrams
    fits = 24 * 2**30 / per
    print(f"   wordseq: {r.wall:.1f} s wall, {r.peak_mb:,.0f} MB peak, {ngrams:,} distinct n-grams "
          f"({ngrams / written:.2f} per token): {per:.0f} bytes per n-gram at peak")
    print(f"   24 GB holds about {fits / 1e6:,.0f} M distinct n-grams: about {fits / (ngrams / written) / 1e6:,.0f} M tokens "
          f"of text like this (memory grows with distinct n-grams; the temporary token files, "
          f"{(4 + 1 + 8 * (order - 2))} bytes a token, go to disk)")
    if kenlm_available():
        k = lmplz_train(corpus, tmp / "big.arpa", order, tmp)
        print(f"   lmplz -S 20%: {k.wall:.1f} s wall, {k.peak_mb:,.0f} MB peak (wordseq / lmplz: {r.wall / k.wall:.2f}x time, "
              f"{r.peak_mb / k.peak_mb:.2f}x memory)")


# -- 4. past one machine's memory -------------------------------------------------------------------


def spill_train(corpus: list[Path], model: Path, order: int, memory: str, *extra: str) -> Run:
    shutil.rmtree(model, ignore_errors=True)
    # spliced text's unigram counts of counts can give modified Kneser-Ney an invalid D2:
    # both tools take the same fallback discounts then
    return run(WORDSEQ + ["-q", "ngram", "train", *map(str, corpus), "--pretokenized", "--no-lower", "--order", str(order),
                          "--memory", memory, "--discount-fallback", *extra, "-o", str(model)])


def scale_row(train: Path, test: Path, tmp: Path, tokens: int, memory: str, order: int = 5) -> Path:
    corpus = tmp / f"scale{tokens}.txt"
    written = scale_corpus(train, corpus, tokens)
    r = spill_train([corpus], tmp / "scale-ws", order, memory)
    ngrams = sum(json.loads((tmp / "scale-ws" / "meta.json").read_text(encoding="utf-8"))["training"]["ngrams"])
    print(f"   {written:,} tokens, {ngrams:,} distinct n-grams: wordseq --memory {memory} {r.wall:.1f} s wall, "
          f"{r.cpu:.1f} s CPU, {r.peak_mb:,.0f} MB peak" + verdict(r.peak_mb <= 1.2 * 1024, "<= 1.2 GB"))
    if kenlm_available() and TARGETS:  # (lmplz needs more than --smoke's budget for its vocabulary alone)
        arpa = tmp / "scale.arpa"
        k = run([str(kenlm_bin("lmplz")), "-o", str(order), "-S", memory, "-T", str(tmp), "--discount_fallback",
                 "--text", str(corpus), "--arpa", str(arpa)])
        print(f"   lmplz -S {memory}: {k.wall:.1f} s wall, {k.cpu:.1f} s CPU, {k.peak_mb:,.0f} MB peak; wordseq / lmplz: "
              f"{r.wall / k.wall:.2f}x time" + verdict(r.wall <= k.wall, "<= 1.0x"))
        _, ours = wordseq_eval(test, tmp / "scale-ws")
        q = run([str(kenlm_bin("query")), "-v", "summary", str(arpa)], stdin=test)
        theirs = query_perplexity(q.stdout)
        assert abs(ours["perplexity"] / theirs - 1) < 1e-4, (ours["perplexity"], theirs)
        print(f"   test perplexity {ours['perplexity']:.3f} = query's {theirs:.3f} (asserted equal)")
        arpa.unlink()
    return corpus


def repeat_row(train: Path, tmp: Path, times: int = 10) -> None:
    repeated = tmp / "repeated.txt"
    text = train.read_text(encoding="utf-8")
    repeated.write_text(text * times, encoding="utf-8")
    once = run(WORDSEQ + ["-q", "ngram", "train", str(train), "--pretokenized", "--order", "3", "--discount-fallback", "-o", str(tmp / "r1")])
    many = run(WORDSEQ + ["-q", "ngram", "train", str(repeated), "--pretokenized", "--order", "3", "--discount-fallback", "-o", str(tmp / "r10")])
    ratio = many.peak_mb / once.peak_mb
    print(f"   order 3, in memory: the training text once {once.peak_mb:,.0f} MB peak, {times} times {many.peak_mb:,.0f} MB "
          f"({ratio:.2f}x)" + verdict(ratio <= 1.2, "<= 1.2x"))
    repeated.unlink()


def cluster_shards(corpus: Path, tmp: Path, parts: int = 4) -> list[Path]:
    shards = tmp / "shards"
    shutil.rmtree(shards, ignore_errors=True)
    shards.mkdir()
    lines = corpus.read_text(encoding="utf-8").splitlines(keepends=True)
    size = -(-len(lines) // parts)
    paths = []
    for i in range(parts):
        paths.append(shards / f"part{i}.txt")
        paths[-1].write_text("".join(lines[i * size : (i + 1) * size]), encoding="utf-8")
    return paths


def cluster_row(corpus: Path, tmp: Path, memory: str, order: int = 5, rounds: int = 1) -> None:
    """``--cluster local:2`` against one process, ``rounds`` interleaved pairs (this
    machine's speed drifts: each pair is measured back to back), tables asserted equal."""
    paths = cluster_shards(corpus, tmp)
    ratios = []
    for i in range(rounds):
        one = spill_train(paths, tmp / "one", order, memory)
        two = spill_train(paths, tmp / "two", order, memory, "--cluster", "local:2")
        for f in sorted((tmp / "one").glob("*.npy")):
            assert f.read_bytes() == (tmp / "two" / f.name).read_bytes(), f.name
        ratios.append(two.wall / one.wall)
        print(f"   pair {i + 1}: --cluster local:2, 4 shards: {two.wall:.1f} s wall ({two.cpu:.1f} s CPU) vs one process "
              f"{one.wall:.1f} s ({one.cpu:.1f} s CPU): {ratios[-1]:.2f}x; tables asserted equal ({load()})", flush=True)
    ratio = statistics.median(ratios)
    print(f"   --cluster local:2 / one process, median of {rounds}: {ratio:.2f}x" + verdict(ratio <= 1.3, "<= 1.3x"))


def scale_section(train: Path, test: Path, tmp: Path, sizes: list[int], memory: str) -> None:
    print(f"\n4. past one machine's memory: order-5 modified Kneser-Ney within --memory {memory} ({load()})")
    first = None  # the smallest corpus, kept for the cluster row
    for tokens in sorted(sizes):
        corpus = scale_row(train, test, tmp, tokens, memory)
        if first is None:
            first = corpus
        else:
            corpus.unlink()
    repeat_row(train, tmp)
    if first is not None:
        cluster_row(first, tmp, memory)


# -- main -------------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true", help="data/ only, small settings (CI)")
    ap.add_argument("--brown", type=Path, default=None, help="brown.zip (default: benchmarks/corpora.py's place)")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds of the KenLM comparison")
    ap.add_argument("--nltk-sentences", type=int, default=3000)
    ap.add_argument("--big", type=int, default=10_000_000, metavar="TOKENS", help="tokens of the scale run (0: none)")
    ap.add_argument("--scale", action="store_true", help="only section 4: --memory and --cluster (minutes)")
    ap.add_argument("--scale-tokens", default="10000000,100000000", help="corpus sizes of section 4")
    ap.add_argument("--cluster-pairs", type=int, default=0, metavar="K",
                    help="only the cluster row of section 4: K interleaved pairs (one process, cluster) on the "
                         "smallest --scale-tokens corpus")
    ap.add_argument("--scoring", action="store_true", help="only section 2, training once: scoring and sizes")
    ap.add_argument("--times", type=int, default=10, help="the large scoring file is the corpus this many times")
    args = ap.parse_args()
    global TARGETS
    TARGETS = not args.smoke
    with tempfile.TemporaryDirectory(prefix="bench-ngram-") as tmp_name:
        tmp = Path(tmp_name)
        os.environ["WORDSEQ_HOME"] = str(tmp / "home")
        if args.smoke or brown_zip(args.brown) is None:
            if not args.smoke:
                print("brown.zip not found: running on the Lee corpus in data/ (see benchmarks/corpora.py)")
            split = lee_split(tmp / "lee")
            train, test = _pretokenize(split.train, tmp / "train.txt"), _pretokenize(split.test, tmp / "test.txt")
            rounds, sentences, args.times = 1, 120, 1
        else:
            split = brown_split(tmp / "brown", args.brown)
            train, test = split.train, split.test
            rounds, sentences = args.rounds, args.nltk_sentences
        print(split.description)
        if args.cluster_pairs:
            corpus = tmp / "cluster.txt"
            scale_corpus(train, corpus, 200_000 if args.smoke else min(int(x) for x in args.scale_tokens.split(",")))
            cluster_row(corpus, tmp, "16M" if args.smoke else "1G", rounds=args.cluster_pairs)
            return
        if args.scale or args.smoke:
            sizes = [200_000] if args.smoke else [int(x) for x in args.scale_tokens.split(",")]
            scale_section(train, test, tmp, sizes, "16M" if args.smoke else "1G")
            if args.scale:
                return
        everything = tmp / "all.txt"
        everything.write_text(train.read_text(encoding="utf-8") + split.valid.read_text(encoding="utf-8")
                              + test.read_text(encoding="utf-8") if not args.smoke else
                              train.read_text(encoding="utf-8") + test.read_text(encoding="utf-8"), encoding="utf-8")
        if args.scoring:
            kenlm_section(train, everything, test, tmp, rounds, order=5, train_rounds=1, times=args.times)
            return
        nltk_section(train, sentences)
        kenlm_section(train, everything, test, tmp, rounds, order=3 if args.smoke else 5, times=args.times)
        mkn_row(train, test, tmp, order=3 if args.smoke else 5)
        if args.big and not args.smoke:
            big_section(train, tmp, args.big)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\n(benchmark process peak {peak:.0f} MB; {load()})")


def _pretokenize(raw: Path, out: Path) -> Path:
    """The Lee corpus as the Brown split comes: lowercased words separated by spaces."""
    from wordseq.text.preprocess import PreprocessConfig, Preprocessor

    pre = Preprocessor(PreprocessConfig())
    lines = raw.read_text(encoding="utf-8", errors="replace").splitlines()
    out.write_text("\n".join(" ".join(pre.tokens(line)) for line in lines) + "\n", encoding="utf-8")
    return out


if __name__ == "__main__":
    main()
