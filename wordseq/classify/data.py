"""Labelled text for classifiers: TSV files, fastText lines, one folder per label, or one
file per label.

Every text is read through ``CorpusReader`` (files, ``-``, .gz/.bz2/.xz, strict UTF-8)
and every problem is reported with its file and line: a line without a tab, a column
that is not there, an empty text, a single class.

- TSV: ``label<TAB>text`` by default. ``label_col`` / ``text_col`` pick columns by
  number (1 is the first), ``last``, or by NAME, which makes the first line of each
  file a header. Without ``text_col`` the text is every other column, joined by spaces.
- fastText lines: a file whose first line starts with ``__label__`` is read as fastText's
  ``supervised`` input, ``__label__pos __label__negated text ...``: the leading
  ``__label__`` words are the labels (several: a multi-label text), the rest the text;
  blank lines are skipped, as fastText skips them. In a TSV a label starting with
  ``__label__`` is refused (a fastText line in a file read as TSV).
- A folder: one sub-folder per label, each file in it one text (scikit-learn's
  ``load_files`` layout, e.g. ``movie_reviews/pos/*.txt``).
- ``label=FILE`` pairs: each line of FILE one text of that label (``rt-polarity.pos``).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from wordseq.errors import InputError
from wordseq.text.reader import CorpusReader

LABEL_PREFIX = "__label__"


@dataclass(frozen=True)
class Example:
    """One labelled text; ``where`` names its file and line for messages; ``more`` holds
    the further labels of a multi-label text (fastText lines with several labels)."""

    label: str
    text: str
    where: str = ""
    more: tuple[str, ...] = ()

    @property
    def all_labels(self) -> tuple[str, ...]:
        return (self.label, *self.more)


@dataclass(frozen=True)
class TableFormat:
    """Which TSV columns hold the label and the text.

    Parameters
    ----------
    label_col : str
        A column number (1 is the first), ``last``, or a column NAME from a header line.
    text_col : str or None
        As ``label_col``; None means every column but the label's, joined by spaces.
    """

    label_col: str = "1"
    text_col: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "label_col", str(self.label_col).strip())
        if self.text_col is not None:
            object.__setattr__(self, "text_col", str(self.text_col).strip())
        for option, value in (("--label-col", self.label_col), ("--text-col", self.text_col)):
            if value is None:
                continue
            if not value:
                raise InputError(f"{option} is empty; give a column number, 'last' or a column name")
            if value.lstrip("-").isdigit() and int(value) < 1:
                raise InputError(f"{option} {value}: columns are numbered from 1 (or use 'last')")
        if self.text_col is not None and self.text_col == self.label_col:
            raise InputError(f"--label-col and --text-col both name column {self.label_col}")

    @property
    def has_header(self) -> bool:
        return any(c is not None and not _is_position(c) for c in (self.label_col, self.text_col))


def _is_position(column: str) -> bool:
    return column.isdigit() or column == "last"


@dataclass
class LabelledData:
    """Examples in input order, and what was read (for meta.json's ``corpus``)."""

    examples: list[Example]
    sources: list[dict[str, Any]] = field(default_factory=list)

    @property
    def labels(self) -> list[str]:
        """The classes, sorted by name: the order of a model's outputs."""
        return sorted({label for e in self.examples for label in e.all_labels})

    def counts(self) -> Counter[str]:
        return Counter(label for e in self.examples for label in e.all_labels)

    def check_single_label(self) -> None:
        """One label per text, as a softmax classifier needs: a text with several is named."""
        for e in self.examples:
            if e.more:
                raise InputError(f"{e.where}: {len(e.all_labels)} labels ({', '.join(e.all_labels)}); "
                                 "train with --multi-label for texts with several labels")

    def check_trainable(self) -> None:
        """At least two classes, each with a text, and labels that predict's
        ``label<TAB>prob`` lines can hold: what any classifier needs."""
        bad = {label for label in self.counts() if "\t" in label or "\n" in label or "\r" in label}
        if bad:
            e = next(e for e in self.examples if bad & set(e.all_labels))
            label = next(label for label in e.all_labels if label in bad)
            raise InputError(f"{e.where}: the label {label!r} holds a tab or a line break; rename it")
        if not self.examples:
            where = ", ".join(str(s.get("name")) for s in self.sources) or "the data"
            raise InputError(f"{where}: no labelled texts found")
        counts = self.counts()
        if len(counts) < 2:
            (only,) = counts
            where = ", ".join(str(s.get("name")) for s in self.sources) or "the data"
            raise InputError(
                f"{where}: every text has the label '{only}'; a classifier needs at least two classes "
                "(check --label-col, or give one --class NAME=FILE per class)"
            )


def read_table(name: str, table: TableFormat, encoding_errors: str = "strict",
               stdin: BinaryIO | None = None) -> tuple[list[Example], dict[str, Any]]:
    """Examples of one TSV file (``-``: stdin) and its source record."""
    reader = CorpusReader([name], encoding_errors, stdin=stdin)
    label = "<stdin>" if name == "-" else name
    examples: list[Example] = []
    positions: tuple[int | str, int | str | None] | None = None
    fasttext = None
    for lineno, line in enumerate(reader, 1):
        if fasttext is None:
            fasttext = line.startswith(LABEL_PREFIX)
            if fasttext and table != TableFormat():
                raise InputError(f"{label}: fastText lines have no columns: leave --label-col and --text-col out")
        if fasttext:
            if line.strip():  # fastText skips blank lines
                examples.append(fasttext_example(line, f"{label}: line {lineno}"))
            continue
        if positions is None and table.has_header:
            positions = _header_positions(label, line, table)
            continue
        if positions is None:
            positions = (_position(table.label_col), None if table.text_col is None else _position(table.text_col))
        where = f"{label}: line {lineno}"
        if "\t" not in line:
            what = "an empty line" if not line.strip() else "no tab"
            raise InputError(f"{where}: {what}; expected label<TAB>text (tab-separated columns)")
        cells = line.split("\t")
        label_at = _index(positions[0], cells, where, "--label-col")
        if positions[1] is None:
            text = " ".join(c for i, c in enumerate(cells) if i != label_at)
        else:
            text = cells[_index(positions[1], cells, where, "--text-col")]
        if cells[label_at].startswith(LABEL_PREFIX):
            raise InputError(f"{where}: the label {cells[label_at]!r} starts with {LABEL_PREFIX}; a file is read as "
                             f"fastText lines only when its first line is one ({LABEL_PREFIX}pos text ...)")
        examples.append(_example(cells[label_at], text, where))
    return examples, reader.sources[0].to_dict()


def fasttext_example(line: str, where: str) -> Example:
    """``__label__a __label__b text``: the leading ``__label__`` words, then the text."""
    words = line.split()
    labels: list[str] = []
    while words and words[0].startswith(LABEL_PREFIX):
        labels.append(words.pop(0)[len(LABEL_PREFIX):])
    if not labels:
        raise InputError(f"{where}: no {LABEL_PREFIX} word at the start; in a fastText file every line starts "
                         f"with its labels ({LABEL_PREFIX}pos text ...)")
    unique = list(dict.fromkeys(labels))
    if not all(unique):
        raise InputError(f"{where}: empty label ('{LABEL_PREFIX}' with no name)")
    example = _example(unique[0], " ".join(words), where)
    return Example(example.label, example.text, where, tuple(unique[1:]))


def _position(column: str) -> int | str:
    return "last" if column == "last" else int(column) - 1


def _header_positions(label: str, header: str, table: TableFormat) -> tuple[int | str, int | str | None]:
    names = header.split("\t")
    found: list[int | str | None] = []
    for option, column in (("--label-col", table.label_col), ("--text-col", table.text_col)):
        if column is None:
            found.append(None)
        elif _is_position(column):
            found.append(_position(column))
        elif column in names:
            found.append(names.index(column))
        else:
            raise InputError(
                f"{label}: line 1: unknown {option.removeprefix('--').replace('-col', '')} column '{column}'; "
                f"the header has: {', '.join(repr(n) for n in names)} (a column name makes line 1 a header; "
                "give a number to read files without one)"
            )
    return found[0], found[1]  # type: ignore[return-value]


def _index(position: int | str, cells: list[str], where: str, option: str) -> int:
    if position == "last":
        return len(cells) - 1
    assert isinstance(position, int)
    if position >= len(cells):
        raise InputError(f"{where}: {option} {position + 1} asks for column {position + 1} but the line has {len(cells)}")
    return position


def _example(label: str, text: str, where: str) -> Example:
    label = label.strip()
    if not label:
        raise InputError(f"{where}: empty label")
    if not text.strip():
        raise InputError(f"{where}: empty text (label '{label}'); every training or test example needs text")
    return Example(label, text, where)


def read_class_file(label: str, name: str, encoding_errors: str = "strict",
                    stdin: BinaryIO | None = None) -> tuple[list[Example], dict[str, Any]]:
    """One text a line, all of class ``label`` (``--class NAME=FILE``)."""
    label = label.strip()
    if not label or "\t" in label or "\n" in label:
        raise InputError(f"--class {label!r}={name}: a class name must be non-empty, without tabs or newlines")
    reader = CorpusReader([name], encoding_errors, stdin=stdin)
    shown = "<stdin>" if name == "-" else name
    examples = [_example(label, line, f"{shown}: line {n}") for n, line in enumerate(reader, 1)]
    source = reader.sources[0].to_dict()
    source["label"] = label
    return examples, source


def read_folder(folder: str, encoding_errors: str = "strict") -> tuple[list[Example], dict[str, Any]]:
    """One sub-folder per label, each file in it one text (lines joined by spaces)."""
    root = Path(folder)
    subfolders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not subfolders:
        raise InputError(f"{folder}: no sub-folders; expected one folder per label holding one file per text")
    examples: list[Example] = []
    digest = hashlib.sha256()
    size = files = 0
    for sub in subfolders:
        for path in sorted(p for p in sub.iterdir() if p.is_file() and not p.name.startswith(".")):
            reader = CorpusReader([str(path)], encoding_errors)
            text = " ".join(line.strip() for line in reader if line.strip())
            stats = reader.sources[0]
            if not text:
                raise InputError(f"{path}: empty text (label '{sub.name}'); every example needs text")
            examples.append(Example(sub.name, text, str(path)))
            digest.update(f"{sub.name}/{path.name}\t{stats.sha256}\n".encode())
            size += stats.bytes
            files += 1
    if not examples:
        raise InputError(f"{folder}: the label folders hold no files")
    return examples, {"name": folder, "files": files, "bytes": size, "sha256": digest.hexdigest()}


@dataclass(frozen=True)
class DataSpec:
    """Where labelled data comes from, as the command line gives it.

    Parameters
    ----------
    paths : sequence of str
        TSV files (``-``: stdin) and folders with one sub-folder per label.
    classes : sequence of (label, file)
        ``--class NAME=FILE`` pairs.
    table : TableFormat
        Columns of the TSV files.
    encoding_errors : str
        ``strict`` or ``replace``.
    """

    paths: tuple[str, ...] = ()
    classes: tuple[tuple[str, str], ...] = ()
    table: TableFormat = TableFormat()
    encoding_errors: str = "strict"

    def __post_init__(self) -> None:
        object.__setattr__(self, "paths", tuple(str(p) for p in self.paths))
        object.__setattr__(self, "classes", tuple((str(k), str(v)) for k, v in self.classes))
        if not self.paths and not self.classes:
            raise InputError("no data: give TSV files, folders with one sub-folder per label, or --class NAME=FILE pairs")
        if sum(1 for p in self.paths if p == "-") + sum(1 for _, f in self.classes if f == "-") > 1:
            raise InputError("stdin ('-') can be read only once")

    def read(self, stdin: BinaryIO | None = None) -> LabelledData:
        examples: list[Example] = []
        sources: list[dict[str, Any]] = []
        for path in self.paths:
            if path != "-" and Path(path).is_dir():
                got, source = read_folder(path, self.encoding_errors)
            else:
                got, source = read_table(path, self.table, self.encoding_errors, stdin)
            examples += got
            sources.append(source)
        for label, path in self.classes:
            got, source = read_class_file(label, path, self.encoding_errors, stdin)
            examples += got
            sources.append(source)
        return LabelledData(examples, sources)


def parse_class_option(value: str) -> tuple[str, str]:
    """``NAME=FILE`` → (NAME, FILE)."""
    name, sep, path = value.partition("=")
    if not sep or not name.strip() or not path:
        raise InputError(f"--class {value!r}: expected NAME=FILE, e.g. --class pos=rt-polarity.pos")
    return name.strip(), path


def as_labelled_data(data: Any, labels: Sequence[str] | None = None, table: TableFormat | None = None,
                     encoding_errors: str = "strict") -> LabelledData:
    """Labelled examples from any form the Python API takes.

    Parameters
    ----------
    data
        A ``DataSpec``; a path or list of paths (TSV files, label folders); a mapping
        ``{label: file or list of texts}``; an iterable of ``(label, text)`` pairs; or an
        iterable of texts with ``labels`` beside it.
    labels : sequence of str, optional
        The label of each text, when ``data`` holds texts only.
    table : TableFormat, optional
        TSV columns for files given as paths.

    Returns
    -------
    LabelledData
    """
    table = table or TableFormat()
    if isinstance(data, DataSpec):
        return data.read()
    if isinstance(data, (str, Path)):
        data = [data]
    if isinstance(data, Mapping):
        return _from_mapping(data, table, encoding_errors)
    items = list(data)
    if labels is not None:
        labels = list(labels)
        if len(labels) != len(items):
            raise InputError(f"{len(items)} texts but {len(labels)} labels")
        return LabelledData([_example(str(lab), _text(t, i), f"item {i}") for i, (lab, t) in enumerate(zip(labels, items), 1)],
                            [{"name": "<python>", "examples": len(items)}])
    if items and all(isinstance(x, Path) or (isinstance(x, str) and _looks_like_path(x)) for x in items):
        return DataSpec(paths=tuple(str(x) for x in items), table=table, encoding_errors=encoding_errors).read()
    examples = []
    for i, item in enumerate(items, 1):
        if isinstance(item, str) or not isinstance(item, Sequence) or len(item) != 2:
            raise InputError(
                f"item {i}: expected a (label, text) pair; pass texts with labels=[...], "
                "or file names of existing files"
            )
        examples.append(_example(str(item[0]), _text(item[1], i), f"item {i}"))
    return LabelledData(examples, [{"name": "<python>", "examples": len(examples)}])


def _text(value: Any, i: int) -> str:
    if not isinstance(value, str):
        raise InputError(f"item {i}: the text is a {type(value).__name__}, expected a string")
    return value


def _looks_like_path(value: str) -> bool:
    return value == "-" or Path(value).exists()


def _from_mapping(data: Mapping[str, Any], table: TableFormat, encoding_errors: str) -> LabelledData:
    examples: list[Example] = []
    sources: list[dict[str, Any]] = []
    for label, value in data.items():
        if isinstance(value, (str, Path)):
            got, source = read_class_file(str(label), str(value), encoding_errors)
            examples += got
            sources.append(source)
        else:
            texts = list(value)
            examples += [_example(str(label), _text(t, i), f"{label}: item {i}") for i, t in enumerate(texts, 1)]
            sources.append({"name": "<python>", "label": str(label), "examples": len(texts)})
    return LabelledData(examples, sources)


def iter_texts(data: Iterable[str]) -> Iterator[str]:
    """Texts to classify: strings only, with a clear message for anything else."""
    for i, text in enumerate(data, 1):
        if not isinstance(text, str):
            raise InputError(f"text {i} is a {type(text).__name__}, expected a string")
        yield text
