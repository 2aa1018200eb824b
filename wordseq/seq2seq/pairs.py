"""Training and evaluation pairs: ``source<TAB>target`` lines, or (source, target) tuples.

Files go through the one ``CorpusReader`` (stdin, .gz/.bz2/.xz, strict UTF-8); each
side then goes through its own ``Preprocessor`` (characters or space-separated words).
A malformed line stops the run with its file and line number: a line without a tab,
with more than one, or whose source or target has no tokens. Blank lines are skipped.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wordseq.errors import InputError
from wordseq.text.preprocess import Preprocessor
from wordseq.text.reader import CorpusReader, SourceStats, label_of

# A file, several files, or (source, target) pairs already in memory.
PairsInput = str | Path | Sequence[str | Path] | Iterable[tuple[str, str]]


@dataclass(frozen=True)
class TokenPair:
    """One pair after preprocessing; ``where`` names its origin for messages."""

    source: list[str]
    target: list[str]
    where: str = ""


@dataclass
class PairSet:
    """Tokenized pairs and what they were read from (for meta.json)."""

    pairs: list[TokenPair]
    sources: list[SourceStats] = field(default_factory=list)
    name: str = ""

    def __len__(self) -> int:
        return len(self.pairs)


def hash_percent(text: str) -> float:
    """A number in [0, 100) fixed by the text alone (sha256): splits that every machine
    and Python version reproduce, whatever the order of the lines.

    Examples
    --------
    >>> hash_percent("pronunciation")
    45.57
    """
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big") % 10_000 / 100


def split_pair_line(line: str, where: str) -> tuple[str, str]:
    """``source<TAB>target`` → (source, target), or an InputError naming ``where``."""
    parts = line.split("\t")
    if len(parts) == 1:
        raise InputError(f"{where}: expected 'source<TAB>target', found no tab")
    if len(parts) > 2:
        raise InputError(f"{where}: expected 'source<TAB>target', found {len(parts) - 1} tabs")
    return parts[0], parts[1]


def _raw_pairs_from_reader(reader: CorpusReader) -> Iterator[tuple[str, str, str]]:
    files_started, lineno = 0, 0
    for line in reader:
        # the reader adds an input's stats when it opens it (and counts lines a block at a
        # time), so a new entry means this line is the first of the next input
        if len(reader.sources) != files_started:
            files_started, lineno = len(reader.sources), 0
        lineno += 1
        if not line.strip():
            continue
        where = f"{label_of(reader.sources[-1].name)}: line {lineno}"
        source, target = split_pair_line(line, where)
        yield source, target, where


def _raw_pairs_from_tuples(items: Iterable[tuple[str, str]]) -> Iterator[tuple[str, str, str]]:
    for i, item in enumerate(items, 1):
        if not (isinstance(item, (tuple, list)) and len(item) == 2 and all(isinstance(s, str) for s in item)):
            raise InputError(f"pair {i}: expected a (source, target) pair of strings, got {item!r:.80}")
        yield item[0], item[1], f"pair {i}"


def _is_path(item: object) -> bool:
    return isinstance(item, (str, Path))


def tokenize_pairs(
    data: PairsInput, source_pre: Preprocessor, target_pre: Preprocessor, encoding_errors: str = "strict"
) -> PairSet:
    """Read and tokenize pairs from files (``'-'`` is stdin) or (source, target) tuples.

    Parameters
    ----------
    data
        A path, a list of paths, or an iterable of ``(source, target)`` string pairs.
    source_pre, target_pre
        The preprocessors of the two sides.

    Returns
    -------
    PairSet
        The tokenized pairs, with size and sha256 of each file read.

    Raises
    ------
    InputError
        A line without exactly one tab, or a side with no tokens (file and line named).
    """
    reader: CorpusReader | None = None
    items: Iterator[Any] = iter([data] if _is_path(data) else data)  # type: ignore[list-item,arg-type]
    first = next(items, None)
    if first is None:
        raise InputError("no pairs given")
    items = itertools.chain([first], items)
    if _is_path(first):
        paths = [str(p) for p in items]  # type: ignore[union-attr]
        if not all(_is_path(p) for p in paths):
            raise InputError("give either file names or (source, target) pairs, not both")
        reader = CorpusReader(paths, encoding_errors)
        raw = _raw_pairs_from_reader(reader)
        name = ", ".join(paths)
    else:
        raw = _raw_pairs_from_tuples(items)  # type: ignore[arg-type]
        name = "pairs given in memory"
    pairs = []
    for source, target, where in raw:
        src = source_pre.tokens(source)
        if not src:
            raise InputError(f"{where}: the source (before the tab) is empty")
        tgt = target_pre.tokens(target)
        if not tgt:
            raise InputError(f"{where}: the target (after the tab) is empty")
        pairs.append(TokenPair(src, tgt, where))
    if not pairs:
        raise InputError(f"{name}: no pairs (every line is blank)")
    return PairSet(pairs, list(reader.sources) if reader else [], name)
