"""word2vec text and binary formats, as written by the original tool, gensim and fastText,
and TensorBoard's projector files.

Text: a header ``<count> <dim>`` then ``word v1 v2 ...`` per line (fastText's .vec is the
same; GloVe files lack the header). Binary: the same header, then per word the UTF-8 word,
a space, ``dim`` little-endian float32 values and a newline (word2vec.c writes the
newline, gensim's reader skips it). Files may be compressed (.gz/.bz2/.xz, recognised by
their bytes). Reading never trusts the header's count for memory: rows are read in blocks
as they come, so a header that claims a billion words costs nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np

from wordseq.embeddings.storage import WordVectors
from wordseq.errors import InputError, ModelError
from wordseq.text.reader import BOM, check_readable, label_of, open_input

FORMATS = ("word2vec-text", "word2vec-bin")
EXPORT_FORMATS = (*FORMATS, "projector")
_ROWS_PER_WRITE = 4096
_ROWS_PER_BLOCK = 8192
_HEAD_BYTES = 1 << 20


def export_vectors(vectors: WordVectors, out: str | Path, fmt: str = "word2vec-text") -> None:
    """Write vectors in word2vec text / binary format to ``out`` ('-' for stdout), or
    TensorBoard projector files (``vectors.tsv`` and ``metadata.tsv``) into folder ``out``."""
    from wordseq.store import output_file

    if fmt not in EXPORT_FORMATS:
        raise InputError(f"unknown format {fmt!r}; choose {', '.join(EXPORT_FORMATS)}")
    if fmt == "projector":
        _export_projector(vectors, Path(out))
        return
    bad = next((w for w in vectors.words if not w or any(c.isspace() for c in w)), None)
    if bad is not None:
        raise ModelError(f"the word {bad!r} contains whitespace; the word2vec format cannot hold it")
    n, dim = len(vectors), vectors.dim
    with output_file(out, binary=True) as fh:
        fh.write(f"{n} {dim}\n".encode())
        # %.9g gives back the exact float32 value when read again.
        row_format = " ".join(["%.9g"] * dim)
        for start in range(0, n, _ROWS_PER_WRITE):
            block = np.asarray(vectors.vectors[start:start + _ROWS_PER_WRITE], dtype="<f4")
            words = vectors.words[start:start + _ROWS_PER_WRITE]
            if fmt == "word2vec-bin":
                fh.write(b"".join(w.encode("utf-8") + b" " + row.tobytes() + b"\n" for w, row in zip(words, block)))
            else:
                lines = [f"{w} {row_format % tuple(row.tolist())}\n" for w, row in zip(words, block)]
                fh.write("".join(lines).encode("utf-8"))


def _export_projector(vectors: WordVectors, folder: Path) -> None:
    from wordseq.store import output_file

    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder} is a file; --format projector writes two files into a folder")
    folder.mkdir(parents=True, exist_ok=True)
    bad = next((w for w in vectors.words if "\t" in w), None)
    if bad is not None:
        raise ModelError(f"the word {bad!r} contains a tab; the projector's metadata.tsv cannot hold it")
    with output_file(folder / "vectors.tsv") as fh:
        for start in range(0, len(vectors), _ROWS_PER_WRITE):
            block = np.asarray(vectors.vectors[start:start + _ROWS_PER_WRITE], dtype=np.float32)
            fh.write("".join("\t".join(f"{x:.9g}" for x in row) + "\n" for row in block.tolist()))
    with output_file(folder / "metadata.tsv") as fh:
        fh.write("".join(w + "\n" for w in vectors.words))


@dataclass
class ImportReport:
    """What ``import_vectors`` read, and what it had to say about the file."""

    format: str
    header_count: int | None
    rows: int = 0  # rows read (duplicates included)
    duplicates: list[str] = field(default_factory=list)  # later rows of a word already read (dropped)
    stopped_at_limit: bool = False
    trailing_bytes: int = 0  # binary: bytes after the rows the header announces

    def warnings(self) -> list[str]:
        """What a user should know about the file, one line each."""
        out = []
        if self.duplicates:
            shown = ", ".join(repr(w) for w in self.duplicates[:5])
            out.append(f"{len(self.duplicates):,} word(s) appear twice ({shown}{' ...' if len(self.duplicates) > 5 else ''}); "
                       "the first vector of each is kept")
        if self.header_count is not None and not self.stopped_at_limit and self.rows != self.header_count:
            out.append(f"the header announces {self.header_count:,} vectors but the file holds {self.rows:,}")
        if self.trailing_bytes:
            out.append(f"{self.trailing_bytes:,} bytes after the {self.rows:,} vectors the header announces were ignored")
        return out


def _detect(head: bytes, label: str) -> tuple[str, bool]:
    """(format, has_header) from the first bytes of the file."""
    first, _, rest = head.partition(b"\n")
    if not first.strip():
        raise InputError(f"{label}: empty file, expected word2vec vectors")
    fields = first.split()
    has_header = len(fields) == 2 and all(f.isdigit() for f in fields)
    if not has_header:
        return "word2vec-text", False
    second = rest.split(b"\n", 1)[0]
    # A text line decodes as UTF-8 and holds no control characters; packed float32
    # values almost never do both.
    try:
        text = second.decode("utf-8")
    except UnicodeDecodeError:
        return "word2vec-bin", True
    if all(c.isprintable() or c.isspace() for c in text):
        return "word2vec-text", True
    return "word2vec-bin", True


class _Bytes:
    """A read buffer over a stream, for the binary format's variable-length rows."""

    def __init__(self, head: bytes, stream: BinaryIO) -> None:
        self.buf = bytearray(head)
        self.pos = 0
        self.stream = stream

    def _fill(self, need: int) -> bool:
        while len(self.buf) - self.pos < need:
            chunk = self.stream.read(max(1 << 20, need))
            if not chunk:
                return False
            if self.pos:
                del self.buf[: self.pos]
                self.pos = 0
            self.buf += chunk
        return True

    def until(self, byte: bytes, limit: int) -> bytes | None:
        while True:
            i = self.buf.find(byte, self.pos, self.pos + limit)
            if i >= 0:
                out = bytes(self.buf[self.pos:i])
                self.pos = i + 1
                return out
            if len(self.buf) - self.pos >= limit or not self._fill(len(self.buf) - self.pos + 1):
                return None

    def take(self, n: int) -> bytes | None:
        if not self._fill(n):
            return None
        out = bytes(self.buf[self.pos:self.pos + n])
        self.pos += n
        return out

    def rest_size(self) -> int:
        size = len(self.buf) - self.pos
        while True:
            chunk = self.stream.read(1 << 20)
            if not chunk:
                return size
            size += len(chunk)


def import_vectors(path: str | Path, fmt: str = "auto", limit: int | None = None,
                   encoding_errors: str = "strict") -> tuple[WordVectors, ImportReport]:
    """Read word2vec-format vectors (text or binary, compressed or not).

    Parameters
    ----------
    path
        The file; '-' for stdin.
    fmt
        ``auto`` (detected from the bytes), ``word2vec-text`` or ``word2vec-bin``.
    limit
        Keep only the first ``limit`` vectors (files are in frequency order).

    Returns the vectors (a later row of a word already read is dropped) and a report of
    duplicates, a count that differs from the header and bytes after the last vector.
    """
    name = str(path)
    check_readable(name)
    label = label_of(name)
    if fmt not in ("auto", *FORMATS):
        raise InputError(f"unknown format {fmt!r}; choose auto, {' or '.join(FORMATS)}")
    if limit is not None and limit < 1:
        raise InputError("--limit must be at least 1")
    stream, kind, owned = open_input(name)
    try:
        try:
            head = stream.read(_HEAD_BYTES).removeprefix(BOM)  # an editor's byte-order mark
        except Exception as exc:  # decompression errors of the three formats
            raise InputError(f"{label}: damaged {kind or ''} file: {exc}") from None
        _refuse_fasttext_stream(head, kind, label, name == "-")
        detected, has_header = _detect(head, label)
        fmt = detected if fmt == "auto" else fmt
        if fmt == "word2vec-bin" and not has_header:
            raise InputError(f"{label}: a binary word2vec file starts with a '<count> <dim>' line; this one does not")
        reader = _read_binary if fmt == "word2vec-bin" else _read_text
        try:
            return reader(_Bytes(head, stream), label, has_header, limit, encoding_errors, fmt)
        except InputError:
            raise
        except Exception as exc:  # decompression errors surface while reading rows
            raise InputError(f"{label}: damaged {kind or fmt} file: {exc}") from None
    finally:
        if owned is not None:
            owned.close()


def _refuse_fasttext_stream(head: bytes, compression: str, label: str, stdin: bool) -> None:
    """A fastText .bin reaches the word2vec readers compressed, from stdin, or with a
    word2vec ``--format`` given."""
    from wordseq.embeddings.fasttext_bin import is_fasttext_bin

    if not is_fasttext_bin(head):
        return
    if compression or stdin:
        how = f"decompress it first ({compression})" if compression else "give its file name, not stdin"
        raise InputError(f"{label}: a fastText .bin is read from a plain file: {how}")
    raise InputError(f"{label}: a fastText .bin, not word2vec: leave --format out (or give --format fasttext-bin)")


def _header(data: _Bytes, label: str) -> tuple[int, int]:
    line = data.until(b"\n", 1 << 10) or b""
    count, dim = (int(x) for x in line.split())
    if count < 1 or dim < 1:
        raise InputError(f"{label}: the header says {count} vectors of {dim} values; nothing to read")
    return count, dim


class _Collector:
    """Rows gathered block by block (memory follows what the file holds, not its header)."""

    def __init__(self, report: ImportReport, limit: int | None) -> None:
        self.report = report
        self.limit = limit
        self.words: list[str] = []
        self.index: set[str] = set()
        self.blocks: list[np.ndarray] = []
        self.keep: list[bool] = []

    @property
    def full(self) -> bool:
        return self.limit is not None and len(self.words) >= self.limit

    def add_word(self, word: str) -> None:
        self.report.rows += 1
        if word in self.index:
            self.report.duplicates.append(word)
            self.keep.append(False)
            return
        self.index.add(word)
        self.words.append(word)
        self.keep.append(True)

    def add_values(self, block: np.ndarray) -> None:
        keep = np.asarray(self.keep[-len(block):], dtype=bool)
        self.blocks.append(block[keep] if not keep.all() else block)

    def vectors(self, label: str, dim: int) -> WordVectors:
        if not self.words:
            raise InputError(f"{label}: holds no vectors (expected lines 'word v1 v2 ...')")
        matrix = np.concatenate(self.blocks) if len(self.blocks) > 1 else self.blocks[0]
        return WordVectors(self.words, np.ascontiguousarray(matrix.reshape(-1, dim), dtype=np.float32))


def _read_text(data: _Bytes, label: str, has_header: bool, limit: int | None, errors: str,
               fmt: str) -> tuple[WordVectors, ImportReport]:
    count, dim = _header(data, label) if has_header else (None, 0)
    report = ImportReport(fmt, count)
    rows = _Collector(report, limit)
    lineno = 1 if has_header else 0
    for block, first in _text_blocks(data, lineno):
        words, values = [], []
        for i, raw in enumerate(block):
            line = raw.decode("utf-8", errors=errors).rstrip()
            if not line:
                continue
            word, _, rest = line.partition(" ")
            parts = rest.split()
            if not dim:
                dim = len(parts)
                if dim == 0:
                    raise InputError(f"{label}: line {first + i}: a word without values")
            if len(parts) != dim:
                raise InputError(f"{label}: line {first + i}: {len(parts)} values where the file has {dim}")
            words.append(word)
            values.append(rest)
        for word in words:
            rows.add_word(word)
        try:
            matrix = np.array(" ".join(values).split(), dtype=np.float32).reshape(-1, dim)
        except ValueError as exc:
            raise InputError(f"{label}: lines {first}-{first + len(block) - 1}: a value is not a number ({exc})") from None
        _check_finite(matrix, label, first)
        rows.add_values(matrix)
        if rows.full:
            report.stopped_at_limit = True
            break
    vectors = rows.vectors(label, dim)
    if limit is not None and len(vectors) > limit:
        vectors = WordVectors(vectors.words[:limit], vectors.vectors[:limit])
    return vectors, report


def _text_blocks(data: _Bytes, lineno: int) -> Iterator[tuple[list[bytes], int]]:
    block: list[bytes] = []
    first = lineno + 1
    while True:
        line = data.until(b"\n", 1 << 24)
        if line is None:
            tail = data.take(len(data.buf) - data.pos) or b""
            if tail.strip():
                block.append(tail)
            break
        block.append(line)
        if len(block) >= _ROWS_PER_BLOCK:
            yield block, first
            first += len(block)
            block = []
    if block:
        yield block, first


def _read_binary(data: _Bytes, label: str, has_header: bool, limit: int | None, errors: str,
                 fmt: str) -> tuple[WordVectors, ImportReport]:
    count, dim = _header(data, label)
    report = ImportReport(fmt, count)
    rows = _Collector(report, limit)
    row_bytes = dim * 4
    values: list[bytes] = []
    for row in range(count):
        word_bytes = data.until(b" ", 1 << 16)
        if word_bytes is None:
            if row == 0:
                raise InputError(f"{label}: no vectors after the header")
            break  # fewer rows than the header says: reported below
        raw = data.take(row_bytes)
        if raw is None:
            raise InputError(f"{label}: vector {row + 1} ({word_bytes[:40]!r}) is cut short; the file is truncated")
        try:
            word = word_bytes.lstrip(b"\n").decode("utf-8", errors=errors)
        except UnicodeDecodeError:
            raise InputError(f"{label}: vector {row + 1}: the word is not valid UTF-8; use --encoding-errors replace") from None
        rows.add_word(word)
        values.append(raw)
        if len(values) >= _ROWS_PER_BLOCK:
            _add_binary_block(rows, values, dim, label, row)
            values = []
        if rows.full:
            report.stopped_at_limit = True
            break
    if values:
        _add_binary_block(rows, values, dim, label, report.rows)
    if not report.stopped_at_limit and report.rows == count:
        newline = data.buf[data.pos:data.pos + 1] == b"\n"  # word2vec.c ends the last row with one
        report.trailing_bytes = max(0, data.rest_size() - newline)
    return rows.vectors(label, dim), report


def _add_binary_block(rows: _Collector, values: list[bytes], dim: int, label: str, last_row: int) -> None:
    matrix = np.frombuffer(b"".join(values), dtype="<f4").reshape(-1, dim)
    _check_finite(matrix, label, last_row - len(values) + 2, unit="vector")
    rows.add_values(matrix)


def _check_finite(matrix: np.ndarray, label: str, first: int, unit: str = "line") -> None:
    bad = ~np.isfinite(matrix).all(axis=1)
    if bad.any():
        raise InputError(f"{label}: {unit} {first + int(np.argmax(bad))}: a value is not a finite number (nan or inf)")
