"""Streaming corpus reader: many files, '-' for stdin, .gz/.bz2/.xz, strict UTF-8.

Lines are read as bytes and decoded one at a time, so a bad byte is reported with its
file and line number, and memory stays flat whatever the input size.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import lzma
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from wordseq.errors import InputError

ENCODING_ERRORS = ("strict", "replace")

_MAGIC = {
    b"\x1f\x8b": gzip.open,
    b"BZh": bz2.open,
    b"\xfd7zXZ\x00": lzma.open,
}


@dataclass
class SourceStats:
    """What was read from one input: shown to users and stored in meta.json."""

    name: str
    bytes: int = 0
    lines: int = 0
    sha256: str = ""

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "bytes": self.bytes, "lines": self.lines, "sha256": self.sha256}


@dataclass
class CorpusReader:
    """Iterate over the lines (without newline) of one or more inputs.

    ``paths`` may contain '-' for stdin. Compressed files are recognised by their magic
    bytes, not their names. After iteration, ``sources`` holds size / line count / sha256
    of each input and ``replaced`` the number of invalid bytes replaced.
    """

    paths: list[str]
    encoding_errors: str = "strict"
    stdin: BinaryIO | None = None
    sources: list[SourceStats] = field(default_factory=list)
    replaced: int = 0

    def __post_init__(self) -> None:
        if self.encoding_errors not in ENCODING_ERRORS:
            raise InputError(f"--encoding-errors must be one of {', '.join(ENCODING_ERRORS)}")
        if not self.paths:
            self.paths = ["-"]
        for p in self.paths:
            check_readable(p)

    def __iter__(self) -> Iterator[str]:
        self.sources = []
        self.replaced = 0
        for p in self.paths:
            yield from self._read_one(p)

    @property
    def total_lines(self) -> int:
        return sum(s.lines for s in self.sources)

    def _read_one(self, name: str) -> Iterator[str]:
        stats = SourceStats(name=name)
        self.sources.append(stats)
        digest = hashlib.sha256()
        label = "<stdin>" if name == "-" else name
        with _open_binary(name, self.stdin) as fh:
            lineno = 0
            for raw in fh:
                lineno += 1
                stats.bytes += len(raw)
                digest.update(raw)
                line, replaced = decode_line(label, lineno, raw, self.encoding_errors)
                self.replaced += replaced
                stats.lines = lineno
                yield line
        stats.sha256 = digest.hexdigest()

    def byte_blocks(self, block_bytes: int = 1 << 15) -> Iterator[tuple[str, int, bytes]]:
        """Whole lines in blocks of about ``block_bytes``: (input label, number of the
        block's first line, raw bytes). Decode them with ``decode_block`` (in any process);
        ``sources`` is filled as by plain iteration, ``replaced`` is left to the caller."""
        self.sources = []
        self.replaced = 0
        for name in self.paths:
            stats = SourceStats(name=name)
            self.sources.append(stats)
            digest = hashlib.sha256()
            label = "<stdin>" if name == "-" else name
            with _open_binary(name, self.stdin) as fh:
                rest = b""
                while True:
                    chunk = fh.read(block_bytes)
                    if not chunk:
                        break
                    stats.bytes += len(chunk)
                    digest.update(chunk)
                    data = rest + chunk
                    cut = data.rfind(b"\n") + 1
                    if cut == 0:
                        rest = data
                        continue
                    rest = data[cut:]
                    first = stats.lines + 1
                    stats.lines += data.count(b"\n", 0, cut)
                    yield label, first, data[:cut]
                if rest:
                    stats.lines += 1
                    yield label, stats.lines, rest
            stats.sha256 = digest.hexdigest()


def decode_line(label: str, lineno: int, raw: bytes, encoding_errors: str) -> tuple[str, int]:
    """One line (bytes, newline included or not) as text, and how many bytes were replaced."""
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
            return [line.rstrip("\r") for line in lines], 0
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
    if name == "-":
        return
    path = Path(name)
    if not path.exists():
        raise InputError(f"{name}: no such file")
    if path.is_dir():
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


class _Unclosable:
    """Wrap stdin so leaving ``with`` does not close the process's stdin."""

    def __init__(self, fh: BinaryIO) -> None:
        self.fh = fh

    def __enter__(self) -> BinaryIO:
        return self.fh

    def __exit__(self, *exc: object) -> None:
        return None


def _open_binary(name: str, stdin: BinaryIO | None = None):  # type: ignore[no-untyped-def]
    if name == "-":
        fh = stdin if stdin is not None else sys.stdin.buffer
        return _Unclosable(fh)
    try:
        with open(name, "rb") as probe:
            head = probe.read(6)
    except OSError as exc:
        raise InputError(f"{name}: cannot read: {exc.strerror}") from None
    for magic, opener in _MAGIC.items():
        if head.startswith(magic):
            return _CheckedCompressed(opener(name, "rb"), name)
    return open(name, "rb")


class _CheckedCompressed:
    """A compressed stream whose decoding errors become InputError."""

    def __init__(self, fh: BinaryIO, name: str) -> None:
        self.fh = fh
        self.name = name

    def __enter__(self) -> "_CheckedCompressed":
        return self

    def __exit__(self, *exc: object) -> None:
        self.fh.close()

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self.fh
        except (OSError, EOFError, lzma.LZMAError) as exc:
            raise InputError(f"{self.name}: damaged compressed file: {exc}") from None

    def read(self, size: int = -1) -> bytes:
        try:
            return self.fh.read(size)
        except (OSError, EOFError, lzma.LZMAError) as exc:
            raise InputError(f"{self.name}: damaged compressed file: {exc}") from None
