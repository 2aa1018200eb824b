"""The one corpus reader: files, '-' / no file for stdin, pipes, .gz/.bz2/.xz, strict UTF-8.

Each input is opened exactly once and read in blocks: compression is recognised from the
first bytes already read (so a pipe, a FIFO, ``/dev/stdin`` or ``<(...)`` loses nothing),
a UTF-8 byte-order mark is dropped, a NUL byte is caught in the block that holds it, and
a line may be long (up to ``MAX_LINE_BYTES``) without reading time growing faster than
the input. A bad byte is reported with its file and line number; memory stays flat
whatever the input size.
"""

from __future__ import annotations

import hashlib
import os
import stat
import sys
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from wordseq.errors import InputError

ENCODING_ERRORS = ("strict", "replace")
BLOCK_BYTES = 1 << 16
# Far beyond any sentence or article; a longer "line" is a binary or a one-line dump.
MAX_LINE_BYTES = 256 << 20
BOM = b"\xef\xbb\xbf"
_MAGIC: tuple[tuple[bytes, str], ...] = ((b"\x1f\x8b", "gzip"), (b"BZh", "bzip2"), (b"\xfd7zXZ\x00", "xz"))


def _decompress_errors() -> tuple[type[BaseException], ...]:
    """What reading a damaged compressed input raises (called only when something is
    raised: the compression modules are imported only for compressed inputs)."""
    import lzma

    return (OSError, EOFError, zlib.error, lzma.LZMAError, ValueError)


@dataclass
class SourceStats:
    """What was read from one input: shown to users and stored in meta.json."""

    name: str
    bytes: int = 0
    lines: int = 0
    sha256: str = ""

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "bytes": self.bytes, "lines": self.lines, "sha256": self.sha256}


def label_of(name: str) -> str:
    """How messages name an input: ``<stdin>`` for ``-``."""
    return "<stdin>" if name == "-" else name


class _Prefixed:
    """A binary stream whose first bytes were already read (to sniff the format)."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self.head = head
        self.rest = rest

    def read(self, size: int = -1) -> bytes:
        if self.head:
            if size < 0:
                data, self.head = self.head + self.rest.read(), b""
                return data
            data, self.head = self.head[:size], self.head[size:]
            if len(data) < size:
                data += self.rest.read(size - len(data))
            return data
        return self.rest.read(size)

    def close(self) -> None:
        pass


def open_input(name: str, stdin: BinaryIO | None = None) -> tuple[BinaryIO, str, BinaryIO | None]:
    """One input as a binary stream (decompressed if need be), opened once: (stream with
    the sniffed bytes put back, compression or '', the file to close when done, None for
    stdin). ``stdin``: what '-' reads (default: the process's)."""
    if name == "-":
        fh: BinaryIO = stdin if stdin is not None else sys.stdin.buffer
        owned = None
    else:
        try:
            fh = owned = open(name, "rb")
        except OSError as exc:
            raise InputError(f"{name}: cannot read: {exc.strerror}") from None
    try:
        head = fh.read(6)
    except OSError as exc:
        if owned is not None:
            owned.close()
        raise InputError(f"{label_of(name)}: cannot read: {exc.strerror}") from None
    stream: BinaryIO = _Prefixed(head, fh)  # type: ignore[assignment]
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return _decompressing(kind, stream), kind, owned
    return stream, "", owned


def _decompressing(kind: str, stream: BinaryIO) -> BinaryIO:
    if kind == "gzip":
        import gzip

        return gzip.GzipFile(fileobj=stream)  # type: ignore[return-value]
    if kind == "bzip2":
        import bz2

        return bz2.BZ2File(stream)  # type: ignore[return-value]
    import lzma

    return lzma.LZMAFile(stream)  # type: ignore[return-value]


def _blocks(name: str, stdin: BinaryIO | None, stats: SourceStats) -> Iterator[tuple[int, bytes]]:
    """(number of the block's first line, whole lines as bytes) of one input."""
    label = label_of(name)
    stream, kind, owned = open_input(name, stdin)
    digest = hashlib.sha256()
    pending: list[bytes] = []  # pieces of a line that has not ended yet
    pending_bytes = 0
    first = True
    try:
        while True:
            try:
                chunk = stream.read(BLOCK_BYTES)
            except _decompress_errors() as exc:
                if not kind:
                    raise InputError(f"{label}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
                raise InputError(
                    f"{label}: damaged compressed file ({kind}) after {stats.bytes:,} bytes of text: {exc}"
                ) from None
            if not chunk:
                break
            stats.bytes += len(chunk)
            digest.update(chunk)
            if first:
                first = False
                if chunk.startswith(BOM):
                    chunk = chunk[len(BOM):]
            if b"\x00" in chunk:
                line = stats.lines + 1 + (b"".join(pending) + chunk[: chunk.index(b"\x00")]).count(b"\n")
                raise InputError(f"{label}: line {line}: NUL byte; this looks like a binary file, not text")
            cut = chunk.rfind(b"\n") + 1
            if cut == 0:
                pending.append(chunk)
                pending_bytes += len(chunk)
                if pending_bytes > MAX_LINE_BYTES:
                    raise InputError(
                        f"{label}: line {stats.lines + 1} is longer than {MAX_LINE_BYTES >> 20} MB; "
                        "is this text with line breaks?"
                    )
                continue
            data = b"".join(pending) + chunk[:cut] if pending else chunk[:cut]
            pending = [chunk[cut:]] if cut < len(chunk) else []
            pending_bytes = len(chunk) - cut
            start = stats.lines + 1
            stats.lines += data.count(b"\n")
            yield start, data
        if pending:
            stats.lines += 1
            yield stats.lines, b"".join(pending)
    finally:
        if owned is not None:
            owned.close()
    stats.sha256 = digest.hexdigest()


@dataclass
class CorpusReader:
    """Iterate over the lines (without line ends) of one or more inputs.

    ``paths`` may contain '-' for stdin; no path at all means stdin. Compressed inputs are
    recognised by their first bytes, not their names. After iteration, ``sources`` holds
    size / line count / sha256 of each input and ``replaced`` the number of invalid bytes
    replaced (with ``encoding_errors="replace"``).
    """

    paths: Sequence[str] = ()
    encoding_errors: str = "strict"
    stdin: BinaryIO | None = None
    sources: list[SourceStats] = field(default_factory=list)
    replaced: int = 0

    def __post_init__(self) -> None:
        if self.encoding_errors not in ENCODING_ERRORS:
            raise InputError(f"--encoding-errors must be one of {', '.join(ENCODING_ERRORS)}")
        self.paths = [str(p) for p in self.paths] or ["-"]
        if self.paths.count("-") > 1:
            raise InputError("stdin ('-') can be read only once")
        for p in self.paths:
            check_readable(p)

    @property
    def label(self) -> str:
        return ", ".join(label_of(p) for p in self.paths)

    @property
    def total_lines(self) -> int:
        return sum(s.lines for s in self.sources)

    def __iter__(self) -> Iterator[str]:
        for label, first, data in self.byte_blocks():
            lines, replaced = decode_block(label, first, data, self.encoding_errors)
            self.replaced += replaced
            yield from lines

    def byte_blocks(self) -> Iterator[tuple[str, int, bytes]]:
        """Whole lines in blocks: (input label, number of the block's first line, raw
        bytes). Decode them with ``decode_block`` (in any process); ``sources`` is filled
        as by plain iteration, ``replaced`` is left to the caller."""
        self.sources = []
        self.replaced = 0
        for name in self.paths:
            stats = SourceStats(name=name)
            self.sources.append(stats)
            for first, data in _blocks(name, self.stdin, stats):
                yield label_of(name), first, data


def decode_line(label: str, lineno: int, raw: bytes, encoding_errors: str) -> tuple[str, int]:
    """One line (bytes, line end included or not) as text, and how many bytes were replaced."""
    if b"\x00" in raw:
        raise InputError(f"{label}: line {lineno}: NUL byte; this looks like a binary file, not text")
    try:
        line = raw.decode("utf-8")
        replaced = 0
    except UnicodeDecodeError as exc:
        if encoding_errors == "strict":
            raise InputError(
                f"{label}: line {lineno}: invalid UTF-8 byte 0x{raw[exc.start]:02x} "
                f"at column {exc.start + 1}; use --encoding-errors replace to go on"
            ) from None
        line = raw.decode("utf-8", errors="replace")
        replaced = _count_invalid_bytes(raw)
    return line.rstrip("\r\n"), replaced


def decode_block(label: str, first_line: int, data: bytes, encoding_errors: str) -> tuple[list[str], int]:
    """The lines of a ``byte_blocks`` block, with the errors ``decode_line`` gives."""
    if b"\x00" not in data:
        try:
            # the common case in one C call; only a bad block goes line by line
            lines = data.decode("utf-8").split("\n")
            if data.endswith(b"\n"):
                lines.pop()
            return [line[:-1] if line.endswith("\r") else line for line in lines], 0
        except UnicodeDecodeError:
            pass
    raws = data.split(b"\n")
    if data.endswith(b"\n"):
        raws.pop()
    out, replaced = [], 0
    for i, raw in enumerate(raws):
        line, n = decode_line(label, first_line + i, raw, encoding_errors)
        out.append(line)
        replaced += n
    return out, replaced


def check_readable(name: str) -> None:
    """Fail early, with the file's name, for an input that cannot be text."""
    if name == "-":
        return
    try:
        st = os.stat(name)
    except FileNotFoundError:
        raise InputError(f"{name}: no such file") from None
    except OSError as exc:
        raise InputError(f"{name}: cannot read: {exc.strerror}") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"{name}: is a directory, expected a text file")


def _count_invalid_bytes(raw: bytes) -> int:
    count = 0
    pos = 0
    while pos < len(raw):
        try:
            raw[pos:].decode("utf-8")
            break
        except UnicodeDecodeError as exc:
            count += exc.end - exc.start
            pos += exc.end
    return count


class TextLines:
    """Lines given from Python (a list, a generator): the reader's interface without files."""

    def __init__(self, lines: Iterable[str], name: str = "<python>") -> None:
        self._lines = lines
        self.sources = [SourceStats(name=name)]
        self.replaced = 0
        self.label = name
        self.encoding_errors = "strict"

    @property
    def total_lines(self) -> int:
        return self.sources[0].lines

    def __iter__(self) -> Iterator[str]:
        stats = self.sources[0]
        stats.lines = 0
        for line in self._lines:
            if not isinstance(line, str):
                raise InputError(f"lines of text are expected, got {type(line).__name__}")
            stats.lines += 1
            stats.bytes += len(line.encode("utf-8")) + 1
            yield line.rstrip("\r\n")


Corpus = str | Path | Sequence[Path] | Iterable[str]


def open_corpus(corpus: Corpus | CorpusReader | TextLines | None, encoding_errors: str = "strict") -> CorpusReader | TextLines:
    """What the library's training functions accept as a corpus.

    A ``str`` or ``Path`` is one file ('-' is stdin); a list of ``Path`` is several files;
    any other iterable of strings is the lines themselves. None means stdin.
    """
    if isinstance(corpus, (CorpusReader, TextLines)):
        return corpus
    if corpus is None:
        return CorpusReader([], encoding_errors)
    if isinstance(corpus, (str, Path)):
        return CorpusReader([str(corpus)], encoding_errors)
    if isinstance(corpus, (list, tuple)) and corpus and all(isinstance(p, Path) for p in corpus):
        return CorpusReader([str(p) for p in corpus], encoding_errors)
    return TextLines(corpus)  # type: ignore[arg-type]
