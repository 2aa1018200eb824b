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


@pytest.fixture(autouse=True)
def wordseq_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own empty $WORDSEQ_HOME."""
    home = tmp_path_factory.mktemp("wordseq_home")
    monkeypatch.setenv("WORDSEQ_HOME", str(home))
    return home


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

    from wordseq.embeddings.vectors import WordVectors
    from wordseq.store import model_dir, new_meta, save_model
    from wordseq.text.preprocess import PreprocessConfig

    wv = WordVectors(list(words), np.asarray(vectors, dtype=np.float32))
    meta = new_meta("embeddings", preprocessing=PreprocessConfig(**preprocess).to_dict())  # type: ignore[arg-type]
    return save_model(model_dir(name_or_path, "embeddings"), meta, wv.save)
