"""The CMU Pronouncing Dictionary → grapheme-to-phoneme pairs with a fixed split.

Reads both spellings of the dictionary: the original (``WORD  PH1 PH2``, variants written
``WORD(1)``, comments ``;;;``) and NLTK's (``WORD N PH1 PH2``, N numbering the variants).
Each word goes to train, dev or test by a hash of the word itself, so all pronunciations
of a word land in one part, and the split is the same on every machine and Python
version (no random generator, no dependence on the order of lines).

By default stress digits are dropped (``AH0`` → ``AH``: the 39 phonemes that the G2P
results on CMUdict are reported on) and entries whose word holds anything but letters,
apostrophes, periods and hyphens are left out (``&AMPERSAND``, ``A42128``: punctuation
and number readings, not spellings).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from wordseq.config_checks import within
from wordseq.errors import InputError, OptionError
from wordseq.seq2seq.pairs import hash_percent

PARTS = ("train", "dev", "test")
_VARIANT = re.compile(r"^(.+)\((\d+)\)$")
_STRESS = re.compile(r"\d$")
_PHONE = re.compile(r"^[A-Z]+[0-2]?$")


@dataclass(frozen=True)
class Entry:
    """One pronunciation: the word (lowercased) and its phonemes."""

    word: str
    phonemes: tuple[str, ...]


@dataclass(frozen=True)
class SplitSettings:
    """How the dictionary becomes pairs.

    Parameters
    ----------
    stress
        Keep the stress digits (``AH0``); by default they are dropped.
    all_words
        Keep entries whose word is not a spelling (``&AMPERSAND``).
    dev_percent, test_percent
        Shares of the words in dev and test (the rest is train).
    """

    stress: bool = False
    all_words: bool = False
    dev_percent: float = 5.0
    test_percent: float = 10.0

    def __post_init__(self) -> None:
        within("--dev-percent", self.dev_percent, 0.0, 100.0, high_open=True)
        within("--test-percent", self.test_percent, 0.0, 100.0, high_open=True)
        if self.dev_percent + self.test_percent >= 100:
            raise OptionError("--test-percent", f"with --dev-percent {self.dev_percent:g} leaves nothing to train on")


@dataclass
class SplitSummary:
    """What a conversion wrote: words and pairs per part, and the entries left out."""

    words: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PARTS, 0))
    pairs: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PARTS, 0))
    skipped_words: int = 0
    files: dict[str, str] = field(default_factory=dict)


def parse_line(line: str, where: str) -> Entry | None:
    """One dictionary line → an Entry (None for comments and blank lines).

    Examples
    --------
    >>> parse_line("NATURAL 1 N AE1 CH ER0 AH0 L", "x")
    Entry(word='natural', phonemes=('N', 'AE1', 'CH', 'ER0', 'AH0', 'L'))
    >>> parse_line("TOMATO(1)  T AH0 M AA1 T OW2", "x").word
    'tomato'
    """
    if not line.strip() or line.startswith(";;;"):
        return None
    parts = line.split()
    word, rest = parts[0], parts[1:]
    if rest and rest[0].isdigit():
        rest = rest[1:]  # NLTK's variant counter
    else:
        variant = _VARIANT.match(word)
        if variant:
            word = variant.group(1)
    if not rest:
        raise InputError(f"{where}: expected 'WORD PHONEME...', found no phonemes")
    for ph in rest:
        if not _PHONE.match(ph):
            raise InputError(f"{where}: {ph!r} is not a CMUdict phoneme (letters, then an optional stress digit 0-2)")
    return Entry(word.lower(), tuple(rest))


def read_entries(lines: Iterable[str], label: str = "cmudict") -> Iterator[Entry]:
    """The entries of CMUdict lines (comments and blank lines skipped)."""
    for lineno, line in enumerate(lines, 1):
        entry = parse_line(line, f"{label}: line {lineno}")
        if entry is not None:
            yield entry


def part_of(word: str, dev_percent: float = 5.0, test_percent: float = 10.0) -> str:
    """Which part a word belongs to, by a stable hash of the word (``hash_percent``).

    Examples
    --------
    >>> part_of("pronunciation")
    'train'
    """
    bucket = hash_percent(word)
    if bucket < test_percent:
        return "test"
    if bucket < test_percent + dev_percent:
        return "dev"
    return "train"


def is_spelling(word: str) -> bool:
    """Letters with apostrophes, periods or hyphens inside: a word to learn to pronounce."""
    return any(c.isalpha() for c in word) and all(c.isalpha() or c in "'.-" for c in word)


def split_dictionary(
    entries: Iterable[Entry], settings: SplitSettings = SplitSettings()
) -> tuple[dict[str, list[tuple[str, str]]], SplitSummary]:
    """Group pronunciations by word and assign each word to train, dev or test.

    Returns the ``(word, "PH1 PH2 ...")`` pairs of each part, words in dictionary order
    and each word's pronunciations in their order, duplicates (after dropping stress)
    removed, and a summary.
    """
    pronunciations: dict[str, list[str]] = {}
    skipped: set[str] = set()
    for entry in entries:
        if not settings.all_words and not is_spelling(entry.word):
            skipped.add(entry.word)
            continue
        phones = entry.phonemes if settings.stress else tuple(_STRESS.sub("", p) for p in entry.phonemes)
        known = pronunciations.setdefault(entry.word, [])
        text = " ".join(phones)
        if text not in known:
            known.append(text)
    parts: dict[str, list[tuple[str, str]]] = {p: [] for p in PARTS}
    summary = SplitSummary(skipped_words=len(skipped))
    for word, prons in pronunciations.items():
        part = part_of(word, settings.dev_percent, settings.test_percent)
        parts[part].extend((word, p) for p in prons)
        summary.words[part] += 1
        summary.pairs[part] += len(prons)
    return parts, summary


def convert_cmudict(
    lines: Iterable[str], out_dir: Path, *, label: str = "cmudict", settings: SplitSettings = SplitSettings()
) -> SplitSummary:
    """Write ``train.tsv``, ``dev.tsv`` and ``test.tsv`` (``word<TAB>PH1 PH2 ...``) to ``out_dir``.

    Parameters
    ----------
    lines
        The dictionary's lines (original or NLTK layout).
    out_dir
        Folder for the three files (created if missing); each file is replaced only
        when complete.
    label
        The input's name in error messages.
    settings
        Stress, which entries, and the shares of dev and test.

    Examples
    --------
    >>> with gzip.open("data/cmudict-0.7a.gz", "rt") as fh:            # doctest: +SKIP
    ...     convert_cmudict(fh, Path("g2p")).words
    {'train': 104895, 'dev': 6118, 'test': 12348}
    """
    from wordseq.store import output_file

    parts, summary = split_dictionary(read_entries(lines, label), settings)
    if not any(parts.values()):
        raise InputError(f"{label}: no dictionary entries found")
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create {out_dir}: {exc.strerror}") from None
    for part, pairs in parts.items():
        path = out_dir / f"{part}.tsv"
        with output_file(path) as fh:
            fh.writelines(f"{word}\t{phones}\n" for word, phones in pairs)
        summary.files[part] = str(path)
    return summary
