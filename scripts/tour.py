"""The Tour: every capability of wordseq on the shipped data, as `make demo` runs it.

Runs each step's command as a user would (bash, `wordseq` on the PATH, models in
OUT/home), prints it with what it printed, and writes OUT/tour.md: the same commands
and their real output, plus a table of what each model reached. `--readme` copies that
file into README.md between the tour markers, so the README's numbers are always the
ones this script produced (`make readme`). `--reduced` runs the same commands on slices
of the data with tiny models, in seconds (the test suite runs it).

    python scripts/tour.py                 # the full tour into out/ (make demo)
    python scripts/tour.py --readme        # then copy out/tour.md into README.md
    python scripts/tour.py --reduced --out /tmp/tour
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
BEGIN = "<!-- tour:begin (written by scripts/tour.py: make demo && make readme) -->"
END = "<!-- tour:end -->"
NEW_WORDS = ["selfie", "blockchain", "hashtag", "smartphone"]  # none of them is in CMUdict 0.7a
REVIEW = "not good , but i liked it"
# the pictures, as `--readme` copies them into the repository for the README to show
PICTURES = {"attention.png": "docs/tour-attention.png", "curves.png": "docs/tour-curves.png"}


@dataclass(frozen=True)
class Scale:
    """What the commands read and how big the models are."""

    reviews: str
    mr_pos: str
    mr_neg: str
    cmudict: str
    emb: str
    lm: str
    classify: str
    g2p: str


# make demo: a few minutes on 2 cores
FULL = Scale(reviews="data/movie_reviews.txt.gz", mr_pos="data/rt-polarity.pos.gz", mr_neg="data/rt-polarity.neg.gz",
             cmudict="data/cmudict-0.7a.gz", emb="--epochs 5",
             lm="--layers 1 --emb 256 --hidden 256 --epochs 3 --batch-size 64", classify="--epochs 4",
             g2p="--emb 64 --hidden 128 --epochs 4")
# the test suite: the same commands on slices of the data, tiny models
REDUCED = Scale(reviews="{out}/small/reviews.txt.gz", mr_pos="{out}/small/pos.txt", mr_neg="{out}/small/neg.txt",
                cmudict="{out}/small/cmudict.gz", emb="--epochs 1 --dim 16 --min-count 2",
                lm="--layers 1 --emb 16 --hidden 16 --epochs 1", classify="--epochs 1 --emb 16 --hidden 16",
                g2p="--emb 8 --hidden 16 --epochs 1")


@dataclass
class Step:
    command: str  # bash, formatted with the Scale's fields and {out}
    show: str = "stdout"  # stdout | log (the last `tail` lines of stderr: a training summary) | none
    tail: int = 1
    lines: str = ""  # with show="log": only the log lines matching this pattern (and the last one)
    note: str = ""
    keep: str = ""  # keep the step's stdout (a JSON document) under this name for the tables


@dataclass
class Section:
    heading: str
    text: str
    steps: list[Step] = field(default_factory=list)


SECTIONS = [
    Section("Word vectors from 1.5 M words of movie reviews",
            "Skip-gram on in-domain text (the review corpus in `data/`); queries go through the model's own "
            "preprocessing.", [
                Step("wordseq train-embeddings {reviews} --pretokenized -o movies {emb}", "log"),
                Step("wordseq similar film -m movies --topn 5"),
                Step("wordseq similar terrible -m movies --topn 5",
                     note="Analogies such as king − man + woman need about 100 M words of text, far more than "
                          "any shipped corpus; for them, import pretrained vectors: `wordseq embeddings import "
                          "GoogleNews-vectors-negative300.bin.gz -o google --limit 500000`."),
            ]),
    Section("An n-gram and an LSTM on the same held-out text",
            "Every 20th review sentence is held out for testing and the next one for validation; both models "
            "learn from the rest, with the same vocabulary (the words it holds twice or more).", [
                Step("gzip -cdf {reviews} | awk 'NR % 20 == 0' > {out}/reviews.test.txt && "
                     "gzip -cdf {reviews} | awk 'NR % 20 == 1' > {out}/reviews.valid.txt && "
                     "gzip -cdf {reviews} | awk 'NR % 20 > 1' > {out}/reviews.train.txt", "none"),
                Step("wordseq ngram train {out}/reviews.train.txt --pretokenized --min-count 2 --order 5 -o reviews5",
                     "log", tail=2),
                Step("wordseq lm train {out}/reviews.train.txt --valid {out}/reviews.valid.txt --pretokenized "
                     "--min-count 2 -o reviews-lstm {lm}", "log", tail=4, lines=r"^\| end of epoch",
                     note="Validation checks run five times an epoch; the learning rate falls when they stop "
                          "improving and at each check of the run's last quarter."),
                Step("wordseq ngram eval {out}/reviews.test.txt -m reviews5 --json", "none", keep="ngram"),
                Step("wordseq lm eval {out}/reviews.test.txt -m reviews-lstm --json", "none", keep="lstm"),
                Step("wordseq generate -m reviews5 --prompt 'the movie' --beam 5 --max-tokens 30"),
                Step("wordseq generate -m reviews5 --prompt 'the movie' --beam 5 --max-tokens 30 --no-repeat-ngram 3"),
                Step("wordseq generate -m reviews-lstm --prompt 'the film is' --top-p 0.9 --repetition-penalty 1.3 "
                     "--num 3 --seed 1 --max-tokens 20",
                     note="Beam search follows what is likely, and after one `.` another is likely; "
                          "`--no-repeat-ngram N` forbids any N-gram twice in a text, and sampling's "
                          "`--repetition-penalty P` gives every word already used the probability p^P. Both work "
                          "for every kind of language model."),
            ]),
    Section("Sentiment with a bidirectional LSTM",
            "Trained on the sentence polarity data (5,331 positive and 5,331 negative snippets); early "
            "stopping on a held-out tenth.", [
                Step("wordseq classify train --class pos={mr_pos} --class neg={mr_neg} -o mr {classify}", "log"),
                Step(f"echo '{REVIEW}' | wordseq classify predict -m mr --explain",
                     note="The label depends on words on both sides of \"but\"; `--explain` shows how much "
                          "each word moved the decision."),
            ]),
    Section("Pronouncing new words: an encoder-decoder with attention",
            "Trained on the CMU Pronouncing Dictionary (spelling to phonemes), then asked about words the "
            "dictionary does not hold.", [
                Step("wordseq seq2seq convert-cmudict {cmudict} -o {out}/g2p/", "none"),
                Step("wordseq seq2seq train {out}/g2p/train.tsv --dev {out}/g2p/dev.tsv -o g2p {g2p}", "log", tail=6, lines=r"^\| end of epoch|^best"),
                Step("wordseq seq2seq eval {out}/g2p/test.tsv -m g2p --json", "none", keep="g2p"),
                Step(f"printf '%s\\n' {' '.join(NEW_WORDS)} > {{out}}/new-words.txt && "
                     "wordseq transduce {out}/new-words.txt -m g2p --beam 5 | paste {out}/new-words.txt -"),
                Step("wordseq transduce -m g2p --plot-attention smartphone -o {out}/attention.png", "none"),
            ]),
    Section("Training curves", "Every model keeps its per-epoch figures in its meta.json.", [
        Step("wordseq models plot reviews-lstm g2p -o {out}/curves.png", "none"),
    ]),
]


def prepare_reduced(out: Path) -> None:
    """Slices of the shipped data, so that the reduced tour runs in seconds."""
    small = out / "small"
    small.mkdir(parents=True, exist_ok=True)
    reviews = gzip.open(DATA / "movie_reviews.txt.gz", "rt", encoding="utf-8").read().splitlines()
    with gzip.open(small / "reviews.txt.gz", "wt", encoding="utf-8") as fh:
        fh.write("\n".join(reviews[:3000]) + "\n")
    for name in ("pos", "neg"):
        lines = gzip.open(DATA / f"rt-polarity.{name}.gz", "rt", encoding="latin-1").read().splitlines()
        (small / f"{name}.txt").write_text("\n".join(lines[:200]) + "\n", encoding="utf-8")
    entries = gzip.open(DATA / "cmudict-0.7a.gz", "rt", encoding="latin-1").read().splitlines()
    with gzip.open(small / "cmudict.gz", "wt", encoding="latin-1") as fh:
        fh.write("\n".join(entries[::200]) + "\n")


def run_tour(out: Path, reduced: bool) -> int:
    out.mkdir(parents=True, exist_ok=True)
    if reduced:
        prepare_reduced(out)
    scale = {k: v.format(out=out) for k, v in vars(REDUCED if reduced else FULL).items()}
    env = {**os.environ, "WORDSEQ_HOME": str(out / "home"),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    # the README shows paths as a user in the repository's root types them
    shown = "out" if out == ROOT / "out" else str(out)
    md: list[str] = []
    kept: dict[str, Any] = {}
    started = time.perf_counter()
    for section in SECTIONS:
        md += [f"### {section.heading}", "", section.text, ""]
        print(f"\n== {section.heading} ==", flush=True)
        for step in section.steps:
            command = step.command.format(out=out, **scale)
            display = command.replace(str(out), shown)
            print(f"$ {display}", flush=True)
            t0 = time.perf_counter()
            code, stdout, log = run_step(command, env)
            if code != 0:
                print(stdout, file=sys.stderr)
                print(f"tour: this step failed (exit {code}); models so far are in {out / 'home'}", file=sys.stderr)
                return 1
            if step.keep:
                kept[step.keep] = json.loads(stdout)
            if step.lines:
                log = [line for line in log[:-1] if re.search(step.lines, line)] + log[-1:]
            text = {"stdout": stdout.rstrip("\n"), "none": "", "log": "\n".join(log[-step.tail:])}[step.show]
            text = text.replace(str(out), shown)
            if step.show == "stdout" and text:
                print(text)
            print(f"   [{time.perf_counter() - t0:.0f} s]", flush=True)
            if step.show != "none":
                md += ["```console", f"$ {display}"] + ([text] if text else []) + ["```", ""]
            if step.note:
                md += [step.note, ""]
        if section.heading.startswith("An n-gram"):
            md += lm_table(kept) + [""]
        if section.heading.startswith("Pronouncing"):
            md += [f"![attention of the G2P model on 'smartphone']({PICTURES['attention.png']})", ""]
    md += [f"![training curves of the LSTM and the G2P model]({PICTURES['curves.png']})", ""]
    minutes = (time.perf_counter() - started) / 60
    md += ["### What each model reached", ""] + results_table(kept, out / "home") + [""]
    md += [f"The tour took {minutes:.1f} minutes on {os.cpu_count()} CPU cores"
           f"{' (reduced)' if reduced else ''}.", ""]
    (out / "tour.md").write_text("\n".join(md), encoding="utf-8")
    print("\n" + "\n".join(results_table(kept, out / "home")))
    print(f"\nDone in {minutes:.1f} min. The tour with its output: {out / 'tour.md'}; models: {out / 'home'}; "
          f"pictures: {out / 'attention.png'}, {out / 'curves.png'}.")
    print(f"Next, try:\n  export WORDSEQ_HOME={out / 'home'} PATH={Path(sys.executable).parent}:$PATH\n"
          "  wordseq similar actor -m movies\n"
          "  wordseq generate -m reviews-lstm --prompt 'a great' --beam 5 --no-repeat-ngram 2\n"
          "  echo 'a waste of two hours' | wordseq classify predict -m mr --explain\n"
          "  echo gigabyte | wordseq transduce -m g2p\n"
          "  wordseq models list")
    return 0


def run_step(command: str, env: dict[str, str]) -> tuple[int, str, list[str]]:
    """Run one bash command; its log (stderr) is shown as it comes, so long steps show
    their progress, and kept, with its output, for the README."""
    proc = subprocess.Popen(["bash", "-o", "pipefail", "-c", command], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    chunks: list[str] = []
    reader = threading.Thread(target=lambda: chunks.append(proc.stdout.read() if proc.stdout else ""))
    reader.start()
    log = []
    for line in proc.stderr or []:
        log.append(line.rstrip("\n"))
        print("  " + log[-1], flush=True)
    reader.join()
    return proc.wait(), "".join(chunks), [line for line in log if line.strip()]


def lm_table(kept: dict[str, Any]) -> list[str]:
    rows = [("5-gram, modified Kneser-Ney", kept["ngram"]), ("LSTM", kept["lstm"])]
    return (["| model | test perplexity | OOV words |", "|---|---|---|"]
            + [f"| {name} | {r['perplexity']:.1f} | {r['oov_rate']:.1%} |" for name, r in rows]
            + ["", "Given a quarter of an hour, `lm train` with no options (a tied 2×400 LSTM for a corpus of "
                   "this size) goes further: 0.72× the 5-gram's perplexity on the Brown corpus (see Benchmarks)."])


def results_table(kept: dict[str, Any], home: Path) -> list[str]:
    def meta(kind: str, name: str) -> dict[str, Any]:
        return dict(json.loads((home / kind / name / "meta.json").read_text(encoding="utf-8")))

    emb = meta("embeddings", "movies")
    mr = meta("classifier", "mr")
    rows = [
        ("word vectors (skip-gram)", emb["summary"]),
        ("5-gram, modified Kneser-Ney", f"held-out perplexity {kept['ngram']['perplexity']:.1f}"),
        ("LSTM language model", f"held-out perplexity {kept['lstm']['perplexity']:.1f}"),
        ("BiLSTM sentiment classifier", mr["summary"]),
        ("G2P encoder-decoder", f"test WER {kept['g2p']['word_error_rate']:.1%}, "
                                f"phoneme error rate {kept['g2p']['token_error_rate']:.1%}"),
    ]
    return ["| model | reached |", "|---|---|"] + [f"| {a} | {b} |" for a, b in rows]


def update_readme(out: Path) -> None:
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        raise SystemExit("tour: README.md has no tour markers")
    if not (out / "tour.md").is_file():
        raise SystemExit(f"tour: no {out / 'tour.md'}: run the tour first (make demo)")
    tour = (out / "tour.md").read_text(encoding="utf-8").strip()
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(f"{head}{BEGIN}\n{tour}\n{END}{tail}", encoding="utf-8")
    for made, kept in PICTURES.items():
        (ROOT / kept).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(out / made, ROOT / kept)
    print(f"README.md: the tour section now holds {out / 'tour.md'}; pictures copied to "
          f"{', '.join(PICTURES.values())}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=ROOT / "out", help="where models, pictures and tour.md go")
    ap.add_argument("--reduced", action="store_true", help="slices of the data and tiny models (seconds)")
    ap.add_argument("--readme", action="store_true", help="copy OUT/tour.md into README.md and stop")
    args = ap.parse_args()
    if args.readme:
        update_readme(args.out.resolve())
        return 0
    return run_tour(args.out.resolve(), args.reduced)


if __name__ == "__main__":
    sys.exit(main())
