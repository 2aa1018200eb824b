from __future__ import annotations

import bz2
import gzip
import io
import lzma
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wordseq.errors import InputError
from wordseq.text.reader import CorpusReader


def write(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


@pytest.mark.parametrize("opener", [gzip.compress, bz2.compress, lzma.compress, lambda b: b])
def test_reads_plain_and_compressed_files_alike(tmp_path: Path, opener) -> None:  # type: ignore[no-untyped-def]
    name = write(tmp_path / "c.anything", opener("héllo world\nsecond line\r\n".encode()))
    assert list(CorpusReader([name])) == ["héllo world", "second line"]


def test_many_files_and_stdin_in_order(tmp_path: Path) -> None:
    a = write(tmp_path / "a.txt", b"one\n")
    b = write(tmp_path / "b.txt", b"three")
    reader = CorpusReader([a, "-", b], stdin=io.BytesIO(b"two\n"))
    assert list(reader) == ["one", "two", "three"]
    assert [s.name for s in reader.sources] == [a, "-", b]
    assert [s.lines for s in reader.sources] == [1, 1, 1]


def test_records_size_and_sha256(tmp_path: Path) -> None:
    import hashlib

    data = b"a b c\nd e\n"
    reader = CorpusReader([write(tmp_path / "a.txt", data)])
    list(reader)
    assert reader.sources[0].bytes == len(data)
    assert reader.sources[0].sha256 == hashlib.sha256(data).hexdigest()


def test_invalid_utf8_names_file_and_line(tmp_path: Path) -> None:
    name = write(tmp_path / "bad.txt", b"fine\nbad \xff byte\n")
    with pytest.raises(InputError, match=r"bad.txt: line 2: invalid UTF-8 byte 0xff.*--encoding-errors replace"):
        list(CorpusReader([name]))


def test_replace_goes_on_and_counts_bytes(tmp_path: Path) -> None:
    name = write(tmp_path / "bad.txt", b"fine\nbad \xff\xfe byte\nok \xc3\n")
    reader = CorpusReader([name], encoding_errors="replace")
    lines = list(reader)
    assert lines[1] == "bad \ufffd\ufffd byte"
    assert reader.replaced == 3


def test_binary_missing_and_directory_inputs_are_refused(tmp_path: Path) -> None:
    binary = write(tmp_path / "x.bin", b"\x7fELF\x00\x00\x01")
    with pytest.raises(InputError, match="binary"):
        list(CorpusReader([binary]))
    with pytest.raises(InputError, match="no such file"):
        CorpusReader([str(tmp_path / "missing.txt")])
    with pytest.raises(InputError, match="is a directory"):
        CorpusReader([str(tmp_path)])


def test_damaged_gzip_is_an_input_error(tmp_path: Path) -> None:
    name = write(tmp_path / "c.gz", gzip.compress(b"hello\n" * 1000)[:40])
    with pytest.raises(InputError, match="damaged compressed file"):
        list(CorpusReader([name]))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(blacklist_characters="\n\r\x00", blacklist_categories=["Cs"])), max_size=8))
def test_any_unicode_lines_round_trip(tmp_path_factory: pytest.TempPathFactory, lines: list[str]) -> None:
    path = tmp_path_factory.mktemp("rt") / "t.txt"
    path.write_bytes("".join(line + "\n" for line in lines).encode("utf-8"))
    assert list(CorpusReader([str(path)])) == lines
