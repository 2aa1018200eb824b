"""Inputs that never end or explode: every reader stops on a bound, under a 1 GB address
space, with one clear error line and no hang.

/dev/zero and /dev/urandom are read through symlinks (never written to); a compression
bomb is a gzip stream of concatenated members (1.5 GB of text from 1.5 MB). Each case runs
the CLI in a subprocess with RLIMIT_AS at 1 GB and a time limit.
"""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.robustness.conftest import TEXT

LIMIT_AS = 1 << 30
BOMB_MB = 1536  # more text than the address space allows
ARPA_HEAD = b"\\data\\\nngram 1=3\n\n\\1-grams:\n-1\t<s>\t0\n-1\t</s>\n-1\tcat\n"

_RUNNER = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
from wordseq.cli import main
sys.argv = ["wordseq", *sys.argv[1:]]
main()
"""


def _gzip_bomb(path: Path, head: bytes, filler: bytes) -> Path:
    """``head`` then BOMB_MB megabytes of ``filler``, gzipped: members of 1 MB each."""
    member = gzip.compress(filler * ((1 << 20) // len(filler)), compresslevel=9)
    with open(path, "wb") as fh:
        fh.write(gzip.compress(head))
        for _ in range(BOMB_MB):
            fh.write(member)
    return path


def _inputs(tmp_path: Path) -> dict[str, Path]:
    zero, rnd = tmp_path / "zero.arpa", tmp_path / "urandom.arpa"
    zero.symlink_to("/dev/zero")
    rnd.symlink_to("/dev/urandom")
    return {
        "dev-zero": zero,
        "dev-urandom": rnd,
        "bomb-blank-lines": _gzip_bomb(tmp_path / "blank.arpa.gz", ARPA_HEAD, b"\n"),
        "bomb-one-line": _gzip_bomb(tmp_path / "line.arpa.gz", ARPA_HEAD, b"a"),
        "bomb-zeros": _gzip_bomb(tmp_path / "zeros.arpa.gz", ARPA_HEAD, b"\x00"),
        "bomb-repeated-lines": _gzip_bomb(tmp_path / "lines.arpa.gz", ARPA_HEAD, b"-1\tdog\n"),
    }


def run_limited(args: list[str], timeout: float = 25, flags: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    """The CLI in a subprocess under a 1 GB address space (``flags`` for the interpreter);
    a hang fails the test."""
    code = _RUNNER.format(limit=LIMIT_AS)
    return subprocess.run([sys.executable, *flags, "-c", code, *args], capture_output=True, text=True, timeout=timeout)


def imported_torch(importtime_stderr: str) -> bool:
    """Whether ``python -X importtime`` wrote a line for the torch package."""
    return any(re.search(r"\| +torch$", line.rstrip()) for line in importtime_stderr.splitlines())


def assert_clean(result: subprocess.CompletedProcess[str], code: int = 1, says: str = "") -> None:
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert result.returncode == code, result.stderr[-2000:]
    assert len(errors) == 1, result.stderr[-2000:]
    assert "internal error" not in errors[0] and "Traceback" not in result.stderr
    assert says in errors[0], errors[0]


READERS = {
    "ngram-import": ["ngram", "import", "{f}", "-o", "{out}"],
    "ngram-eval-arpa": ["ngram", "eval", "{corpus}", "-m", "{f}"],
    "embeddings-import": ["embeddings", "import", "{f}", "-o", "{out}"],
}
INPUTS = ["dev-zero", "dev-urandom", "bomb-blank-lines", "bomb-one-line", "bomb-zeros", "bomb-repeated-lines"]


@pytest.fixture(scope="module")
def hostile_inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return _inputs(tmp_path_factory.mktemp("hostile"))


@pytest.mark.parametrize("kind", INPUTS)
@pytest.mark.parametrize("reader", list(READERS))
def test_endless_and_exploding_inputs_stop_on_a_bound(reader: str, kind: str, hostile_inputs: dict[str, Path],
                                                      tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(TEXT)
    args = [a.format(f=hostile_inputs[kind], out=tmp_path / "out", corpus=corpus) for a in READERS[reader]]
    assert_clean(run_limited(args))
    assert not (tmp_path / "out").exists()


def test_an_arpa_bomb_names_the_bound_it_hit(hostile_inputs: dict[str, Path], tmp_path: Path) -> None:
    blank = run_limited(["ngram", "import", str(hostile_inputs["bomb-blank-lines"]), "-o", str(tmp_path / "o")])
    assert_clean(blank, says="blank lines")
    line = run_limited(["ngram", "import", str(hostile_inputs["bomb-one-line"]), "-o", str(tmp_path / "o")])
    assert_clean(line, says="longer than 1 MB")
    lines = run_limited(["ngram", "import", str(hostile_inputs["bomb-repeated-lines"]), "-o", str(tmp_path / "o")])
    assert_clean(lines, says="line 8: expected \\end\\ after the 1-grams")


# -- model folders whose files explode ------------------------------------------------------


def _rehash(folder: Path) -> None:
    """Update meta.json's digests, as anyone sharing a doctored model can."""
    from wordseq.store.meta import META_FILE, sha256_file

    meta = json.loads((folder / META_FILE).read_text())
    meta["payload"] = {name: sha256_file(folder / name) for name in meta["payload"]}
    (folder / META_FILE).write_text(json.dumps(meta))


def _copy(models: dict[str, Path], kind: str, tmp_path: Path) -> Path:
    import shutil

    return Path(shutil.copytree(models[kind], tmp_path / kind))


LOADING = {
    "ngram": ["ngram", "eval", "{corpus}", "-m", "{m}"],
    "embeddings": ["similar", "cat", "-m", "{m}"],
    "lm": ["lm", "eval", "{corpus}", "-m", "{m}"],
    "classifier": ["classify", "predict", "{corpus}", "-m", "{m}"],
    "seq2seq": ["transduce", "{corpus}", "-m", "{m}"],
}


def _load_limited(kind: str, folder: Path, corpus: Path, flags: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    return run_limited([a.format(corpus=corpus, m=folder) for a in LOADING[kind]], timeout=60, flags=flags)


@pytest.mark.parametrize("kind", list(LOADING))
def test_a_huge_sparse_meta_json_is_refused_unread(kind: str, models: dict[str, Path], tmp_path: Path) -> None:
    folder = _copy(models, kind, tmp_path)
    with open(folder / "meta.json", "r+b") as fh:
        fh.seek(0, 2)
        fh.truncate(3 << 30)  # sparse: 3 GB that take no disk
    result = _load_limited(kind, folder, models["corpus"], flags=("-X", "importtime"))
    assert_clean(result, says="meta.json")
    assert "larger than" in result.stderr
    # refused before torch is loaded (classify predict and transduce paid its seconds first)
    assert not imported_torch(result.stderr)


@pytest.mark.parametrize("kind", ["ngram", "embeddings"])
def test_deeply_nested_meta_json_is_a_damaged_model(kind: str, models: dict[str, Path], tmp_path: Path) -> None:
    folder = _copy(models, kind, tmp_path)
    (folder / "meta.json").write_text("[" * 200_000 + "]" * 200_000)
    assert_clean(_load_limited(kind, folder, models["corpus"]), says="meta.json")


def test_a_vectors_file_that_is_a_zip_bomb_is_refused_unread(models: dict[str, Path], tmp_path: Path) -> None:
    import zipfile

    folder = _copy(models, "embeddings", tmp_path)
    with zipfile.ZipFile(folder / "vectors.npy", "w", compression=zipfile.ZIP_DEFLATED) as z:
        with z.open("vectors.npy", "w", force_zip64=True) as member:
            for _ in range(256):  # 256 MB of zeros in 256 kB: refused by its first bytes
                member.write(b"\0" * (1 << 20))
    _rehash(folder)
    assert_clean(_load_limited("embeddings", folder, models["corpus"]), says="vectors.npy")


@pytest.mark.parametrize("name", ["keys2.npy", "prob1.npy"])
def test_an_npy_header_declaring_a_huge_shape_is_refused(name: str, models: dict[str, Path], tmp_path: Path) -> None:
    import numpy as np

    folder = _copy(models, "ngram", tmp_path)
    path = folder / name
    dtype = np.load(path).dtype
    with open(path, "wb") as fh:
        np.lib.format.write_array_header_1_0(fh, {"descr": dtype.str, "fortran_order": False, "shape": (1 << 26,)})
        fh.truncate(fh.tell() + (1 << 26) * dtype.itemsize)  # sparse: the bytes do hold it
    _rehash(folder)
    result = _load_limited("ngram", folder, models["corpus"])
    assert_clean(result, says=name)
    assert "its header says" in result.stderr
