"""Fixtures and helpers for every test.

Golden files: `assert_golden(name, text)` compares a command's data output exactly with
tests/data/golden/NAME. After a deliberate change of output, rewrite them with
`WORDSEQ_UPDATE_GOLDEN=1 make test` (or the same variable on one pytest run) and read
`git diff tests/data/golden` before committing it.
"""

from __future__ import annotations

import os
from pathlib import Path

# Tests train tiny models: one torch thread is many times faster for them than two
# contending threads on a 2-core machine (subprocess tests inherit this too).
os.environ.setdefault("OMP_NUM_THREADS", "1")

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
CORPUS = DATA / "lee_background.txt"
HELDOUT = DATA / "lee_test.txt"
GOLDEN = Path(__file__).resolve().parent / "data" / "golden"


def assert_golden(name: str, text: str) -> None:
    """TEXT equals the golden file tests/data/golden/NAME, byte for byte; with
    WORDSEQ_UPDATE_GOLDEN=1 in the environment the file is written instead."""
    path = GOLDEN / name
    if os.environ.get("WORDSEQ_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
        return
    assert path.is_file(), f"no golden file {path}: run the test once with WORDSEQ_UPDATE_GOLDEN=1"
    assert text == path.read_bytes().decode("utf-8"), f"output differs from {path}"


@pytest.fixture(autouse=True)
def wordseq_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own empty $WORDSEQ_HOME."""
    home = tmp_path_factory.mktemp("wordseq_home")
    monkeypatch.setenv("WORDSEQ_HOME", str(home))
    return home


@pytest.fixture
def thread_settings(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every ``torch.set_num_threads`` call of the test, in order (still carried out)."""
    import torch

    calls: list[int] = []
    real = torch.set_num_threads

    def spy(n: int) -> None:
        calls.append(n)
        real(n)

    monkeypatch.setattr(torch, "set_num_threads", spy)
    return calls


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def invoke(runner: CliRunner, args: list[str], input: str | bytes | None = None):  # type: ignore[no-untyped-def]
    from wordseq.cli import cli

    return runner.invoke(cli, args, input=input, catch_exceptions=False)


def plant_model(folder: Path, kind: str, files: dict[str, bytes], **meta_fields: object) -> Path:
    """A model directory as wordseq writes it (meta.json with the payload checksums,
    the marker) around payload files a test chooses: a planted pickle, a damaged file."""
    import hashlib
    import json

    from wordseq.store import MARKER_FILE, new_meta

    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    meta = new_meta(kind, **meta_fields)  # type: ignore[arg-type]
    meta["payload"] = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    (folder / "meta.json").write_text(json.dumps(meta))
    (folder / MARKER_FILE).write_text("wordseq model\n")
    return folder


def save_vectors_model(name_or_path: str, words: list[str], vectors: object, **preprocess: object) -> Path:
    """An embeddings model with the given vectors, saved through the store."""
    import numpy as np

    from wordseq.embeddings.storage import WordVectors
    from wordseq.store import model_dir, new_meta, save_model
    from wordseq.text.preprocess import PreprocessConfig

    wv = WordVectors(list(words), np.asarray(vectors, dtype=np.float32))
    meta = new_meta("embeddings", preprocessing=PreprocessConfig(**preprocess).to_dict())  # type: ignore[arg-type]
    return save_model(model_dir(name_or_path, "embeddings"), meta, wv.save)


# The README's examples, each run once a session (`docs` tests only: make test-docs puts
# the tests that share them in one xdist group (--dist loadgroup), so one worker runs each once).
@pytest.fixture(scope="session")
def readme_python_run(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from tests.readme_runs import run_python_blocks

    folder = tmp_path_factory.mktemp("readme_python")
    return run_python_blocks(folder / "repo", folder / "home")


@pytest.fixture(scope="session")
def readme_pipelines_run(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from tests.readme_runs import run_pipelines

    folder = tmp_path_factory.mktemp("readme_pipelines")
    return run_pipelines(folder / "repo", folder / "home")
