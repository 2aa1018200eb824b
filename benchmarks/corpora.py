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
