"""The corpora the benchmarks read, found in one place.

The Brown corpus may not be shipped (its licence allows non-commercial use only), so it is
read from ``brown.zip`` beside the checkout: ``$WORDSEQ_CORPORA/brown.zip`` if that is set,
else ``../shared/corpora/brown.zip`` relative to the repository. Every benchmark uses the
same split, so figures from different benchmarks compare: every 20th sentence goes to
test, the one after it to validation, the rest (90 %, 1.04 M tokens) to training, so each
part holds all genres.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"


def corpora_dir() -> Path:
    env = os.environ.get("WORDSEQ_CORPORA")
    return Path(env) if env else ROOT.parent / "shared" / "corpora"


def brown_zip(path: Path | None = None) -> Path | None:
    """Where brown.zip is (``path`` if given), or None when it is not on this machine."""
    candidate = path or corpora_dir() / "brown.zip"
    return candidate if candidate.is_file() else None


def brown_sentences(path: Path | None = None, lower: bool = True) -> list[str]:
    """Brown sentences in corpus order, tags stripped, one pre-tokenized line each."""
    zpath = brown_zip(path)
    if zpath is None:
        raise FileNotFoundError(f"brown.zip not found in {corpora_dir()} (set WORDSEQ_CORPORA)")
    out = []
    with zipfile.ZipFile(zpath) as zf:
        for name in sorted(zf.namelist()):
            base = name.rsplit("/", 1)[-1]
            if not (len(base) == 4 and base[0] == "c" and base[2:].isdigit()):
                continue
            for raw in zf.read(name).decode("utf-8").splitlines():
                words = [t.rsplit("/", 1)[0] for t in raw.split()]
                if words:
                    line = " ".join(words)
                    out.append(line.lower() if lower else line)
    return out


@dataclass(frozen=True)
class Split:
    train: Path
    valid: Path
    test: Path
    description: str


def brown_split(folder: Path, path: Path | None = None, lower: bool = True) -> Split:
    """Write train / valid / test files of the shared Brown split into ``folder``."""
    sents = brown_sentences(path, lower)
    parts: dict[str, list[str]] = {"test": [], "valid": [], "train": []}
    for i, s in enumerate(sents):
        parts["test" if i % 20 == 0 else "valid" if i % 20 == 1 else "train"].append(s)
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for name, lines in parts.items():
        files[name] = folder / f"brown.{name}.txt"
        files[name].write_text("\n".join(lines) + "\n", encoding="utf-8")
    desc = (f"Brown corpus sentences: train {len(parts['train']):,}, valid {len(parts['valid']):,}, "
            f"test {len(parts['test']):,} (every 20th to test, the next to valid)")
    return Split(files["train"], files["valid"], files["test"], desc)


def lee_split(folder: Path) -> Split:
    """The shipped Lee corpus (for --smoke runs): 90 % of the articles to train, the rest
    to validation; the held-out articles to test."""
    lines = (DATA / "lee_background.txt").read_text(encoding="utf-8").splitlines()
    cut = int(len(lines) * 0.9)
    folder.mkdir(parents=True, exist_ok=True)
    train, valid, test = folder / "lee.train.txt", folder / "lee.valid.txt", folder / "lee.test.txt"
    train.write_text("\n".join(lines[:cut]) + "\n", encoding="utf-8")
    valid.write_text("\n".join(lines[cut:]) + "\n", encoding="utf-8")
    test.write_bytes((DATA / "lee_test.txt").read_bytes())
    return Split(train, valid, test, f"Lee corpus: train {cut} articles, valid {len(lines) - cut}, test lee_test.txt")


def movie_review_sentences() -> list[str]:
    """The 2,000 movie reviews' sentences (Pang & Lee 2004), one tokenized, lower-cased line each."""
    zpath = corpora_dir() / "movie_reviews.zip"
    if not zpath.is_file():
        raise FileNotFoundError(f"movie_reviews.zip not found in {corpora_dir()} (set WORDSEQ_CORPORA)")
    out: list[str] = []
    with zipfile.ZipFile(zpath) as zf:
        for name in sorted(n for n in zf.namelist() if n.endswith(".txt")):
            out.extend(line.strip() for line in zf.read(name).decode("utf-8").splitlines() if line.strip())
    return out


def _spread(lines: list[str], tokens: int) -> list[str]:
    """About ``tokens`` tokens of ``lines``, taken evenly from all of it (every genre and review)."""
    total = sum(len(line.split()) for line in lines)
    share = min(1.0, tokens / total)
    return [line for j, line in enumerate(lines) if int((j + 1) * share) > int(j * share)]


def sized_splits(folder: Path, sizes: list[int], path: Path | None = None) -> list[Split]:
    """Training texts of about ``sizes`` tokens from Brown and the movie reviews together,
    with one validation and one test text for all: every 20th sentence of the two goes to
    test, every 40th after it to validation, training subsets are spread evenly over the
    rest (2.4 M tokens at most)."""
    sents = brown_sentences(path) + movie_review_sentences()
    test = [s for i, s in enumerate(sents) if i % 20 == 0]
    valid = [s for i, s in enumerate(sents) if i % 40 == 1]
    rest = [s for i, s in enumerate(sents) if i % 20 != 0 and i % 40 != 1]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "mixed.test.txt").write_text("\n".join(test) + "\n", encoding="utf-8")
    (folder / "mixed.valid.txt").write_text("\n".join(valid) + "\n", encoding="utf-8")
    splits = []
    for size in sizes:
        train = _spread(rest, size)
        file = folder / f"mixed.train.{size}.txt"
        file.write_text("\n".join(train) + "\n", encoding="utf-8")
        count = sum(len(s.split()) for s in train)
        splits.append(Split(file, folder / "mixed.valid.txt", folder / "mixed.test.txt",
                            f"{count:,} training tokens of Brown + movie reviews (valid {len(valid):,}, "
                            f"test {len(test):,} sentences)"))
    return splits
