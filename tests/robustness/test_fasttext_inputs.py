"""Hostile fastText .bin files for `embeddings import`, and doctored subword models: one
clear line each, the store unchanged, no hang (gensim's own reader loops forever on a
dictionary cut short, and trusts every size in the header)."""

from __future__ import annotations

import gzip
import json
import struct
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from tests.robustness.conftest import snapshot
from tests.robustness.test_bad_inputs import _run, assert_one_clear_error
from tests.robustness.test_hostile_tables import _doctor, _edit, _npz, _set, _write

_ARGS = 8  # dim ws epoch minCount neg wordNgrams loss model bucket minn maxn lrUpdateRate: int32 from here
_DICT = 64  # size nwords nlabels (int32), ntokens pruneidx_size (int64), then the entries


def _field(name: str) -> int:
    names = ["dim", "ws", "epoch", "min_count", "neg", "word_ngrams", "loss", "model", "bucket", "minn", "maxn"]
    return _ARGS + 4 * names.index(name)


def _layout(data: bytes) -> dict[str, int]:
    """Offsets of a .bin's parts: the first entry, the input matrix (its quantized flag),
    its values, and the output matrix."""
    size = struct.unpack_from("<i", data, _DICT)[0]
    pos = _DICT + 28
    for _ in range(size):
        pos = data.index(b"\0", pos) + 1 + 9
    rows, dim = struct.unpack_from("<2q", data, pos + 1)
    return {"entries": _DICT + 28, "input": pos, "values": pos + 17, "output": pos + 17 + rows * dim * 4}


def _put(fmt: str, where: Callable[[bytes], int], value: object) -> Callable[[bytes], bytes]:
    def change(data: bytes) -> bytes:
        out = bytearray(data)
        struct.pack_into(fmt, out, where(data), value)
        return bytes(out)

    return change


BIN_CASES: dict[str, tuple[Callable[[bytes], bytes], str]] = {
    "header-only": (lambda d: d[:20], "the file ends inside the settings"),
    "cut-in-dictionary": (lambda d: d[:_layout(d)["entries"] + 3], "the fastText .bin is truncated"),
    "cut-in-input-matrix": (lambda d: d[:_layout(d)["values"] + 10], "the file ends inside the input matrix"),
    "cut-in-output-matrix": (lambda d: d[:-3], "the file ends inside the output matrix"),
    "bytes-after": (lambda d: d + b"\0" * 7, "7 bytes after the model"),
    "version-13": (_put("<i", lambda d: 4, 13), "not a fastText .bin of version 11 or 12"),
    "supervised": (_put("<i", lambda d: _field("model"), 3), "supervised (classifier)"),
    "labels": (_put("<i", lambda d: _DICT + 8, 2), "supervised (classifier)"),
    "no-subwords": (_put("<i", lambda d: _field("maxn"), 0), "has no subwords"),
    "minn-above-maxn": (_put("<i", lambda d: _field("minn"), 9), "impossible n-gram lengths 9 to 3"),
    "huge-dim": (_put("<i", lambda d: _field("dim"), 2**30), "impossible settings"),
    "huge-bucket": (_put("<i", lambda d: _field("bucket"), -5), "impossible settings"),
    "huge-dictionary": (lambda d: _put("<i", lambda _: _DICT + 4, 2**31 - 1)(_put("<i", lambda _: _DICT, 2**31 - 1)(d)),
                        "a dictionary of 2,147,483,647 entries"),
    "word-never-ends": (lambda d: d[:_layout(d)["entries"]] + b"x" * (1 << 17), "never ends"),
    "label-entry": (lambda d: _put("<b", lambda x: x.index(b"\0", _layout(x)["entries"]) + 9, 1)(d), "a label"),
    "quantized": (_put("<b", lambda d: _layout(d)["input"], 1), "quantized fastText model (.ftz)"),
    "rows-wrong": (_put("<q", lambda d: _layout(d)["input"] + 1, 3), "the input matrix is 3 ×"),
    "nan-value": (_put("<f", lambda d: _layout(d)["values"] + 8, float("nan")), "holds a value that is not finite"),
    "gzipped": (gzip.compress, "decompress it first (gzip)"),
}


@pytest.mark.parametrize("case", list(BIN_CASES))
def test_a_hostile_fasttext_bin_is_one_clear_line(case: str, models: dict[str, Path], tmp_path: Path,
                                                  wordseq_home: Path) -> None:
    change, says = BIN_CASES[case]
    f = tmp_path / "model.bin"
    f.write_bytes(change(models["fasttext_bin"].read_bytes()))
    before = snapshot(wordseq_home)
    for fmt in ("auto", "fasttext-bin"):
        result = _run(["embeddings", "import", "{f}", "-o", "ft", "--format", fmt], models, f)
        assert_one_clear_error(result)
        # a gzipped .bin read as --format fasttext-bin is no fastText .bin at all
        expected = "not a fastText .bin" if case == "gzipped" and fmt == "fasttext-bin" else says
        assert expected in result.stderr, result.stderr  # type: ignore[attr-defined]
    assert snapshot(wordseq_home) == before


def test_a_fasttext_bin_from_stdin_or_a_text_file_as_bin_is_one_clear_line(models: dict[str, Path], tmp_path: Path) -> None:
    from click.testing import CliRunner

    from wordseq.cli import cli

    piped = CliRunner().invoke(cli, ["embeddings", "import", "-"], input=models["fasttext_bin"].read_bytes())
    assert_one_clear_error(piped)
    assert "give its file name, not stdin" in piped.stderr
    text = tmp_path / "vectors.vec"
    text.write_text("2 2\na 0.1 0.2\nb 0.3 0.4\n")
    result = _run(["embeddings", "import", "{f}", "--format", "fasttext-bin"], models, text)
    assert_one_clear_error(result)
    assert "not a fastText .bin" in result.stderr  # type: ignore[attr-defined]


def _settings(**changes: object) -> Callable[[Path], None]:
    def change(folder: Path) -> None:
        settings = json.loads((folder / "subwords.json").read_text())
        (folder / "subwords.json").write_text(json.dumps({**settings, **changes}))

    return change


SUBWORD_CASES: dict[str, tuple[Callable[[Path], object], str]] = {
    "other-hashing": (_settings(hashing="md5"), "unknown n-gram hashing scheme"),
    "not-json": (_write("subwords.json", b"{"), "subwords.json is damaged"),
    "other-buckets": (_settings(buckets=499), "ngrams.npy is damaged: expected float32 of shape 499x8"),
    "min-above-max": (_settings(min_n=7, max_n=3), "cannot be; the model is damaged"),
    "text-buckets": (_settings(buckets="500"), "must be whole numbers"),
    "nan": (_edit("ngrams.npy", _set(4, np.nan)), "ngrams.npy is damaged: row 4"),
    "npz": (_npz("ngrams.npy"), "ngrams.npy is a zip archive"),
}


@pytest.mark.parametrize("case", list(SUBWORD_CASES))
def test_a_doctored_subword_model_is_refused(case: str, models: dict[str, Path], tmp_path: Path) -> None:
    change, says = SUBWORD_CASES[case]
    folder = _doctor(models, "subwords", tmp_path, change)
    result = _run(["similar", "catz", "-m", str(folder)], models)
    assert_one_clear_error(result)
    assert says in result.stderr, result.stderr  # type: ignore[attr-defined]
