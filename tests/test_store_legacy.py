"""Models saved by wordseq 0.2 (torch.save payloads, in tests/data/legacy-0.2, made by that
version) keep loading, give the figures they gave then, and `models upgrade` rewrites
them as safetensors without changing a figure."""

from __future__ import annotations

import errno
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import invoke
from tests.robustness.conftest import snapshot

LEGACY = Path(__file__).parent / "data" / "legacy-0.2"
TEXT = "the cat sat on the mat .\nthe dog sat on the log .\na cat and a dog met .\n" * 30
PAIRS = "".join(f"{w}\t{' '.join(reversed(w))}\n" for w in ("cat", "dog", "mat", "log", "sat", "met", "and", "the") * 8)
# what wordseq 0.2 printed for `lm eval corpus.txt -m lm --json`
PERPLEXITY_0_2 = 12.077478515902998
# float32 sums differ in their last bits between CPUs (torch picks AVX2 or AVX-512
# kernels): 1.7e-8 apart on an AVX-512 machine. The before/after comparisons stay exact.
ACROSS_CPUS = 1e-6


@pytest.fixture
def data(tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "corpus.txt").write_text(TEXT)
    (tmp_path / "labelled.tsv").write_text(
        "".join(f"{'pos' if i % 2 else 'neg'}\t{line}\n" for i, line in enumerate(TEXT.splitlines())))
    (tmp_path / "pairs.tsv").write_text(PAIRS)
    return {"lm": tmp_path / "corpus.txt", "classifier": tmp_path / "labelled.tsv", "seq2seq": tmp_path / "pairs.tsv"}


EVAL = {"lm": ["lm", "eval"], "classifier": ["classify", "eval"], "seq2seq": ["seq2seq", "eval"]}


def _eval(runner: CliRunner, kind: str, model: Path, data: dict[str, Path]) -> tuple[dict, str]:
    result = invoke(runner, [*EVAL[kind], str(data[kind]), "-m", str(model), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout), result.stderr


@pytest.mark.parametrize("kind", list(EVAL))
def test_a_model_of_wordseq_0_2_loads_and_upgrades_with_the_same_figures(
        kind: str, runner: CliRunner, tmp_path: Path, data: dict[str, Path]) -> None:
    model = Path(shutil.copytree(LEGACY / kind, tmp_path / kind))
    before, said = _eval(runner, kind, model, data)
    assert "models upgrade" in said  # the warning says how to rewrite it
    if kind == "lm":
        assert before["perplexity"] == pytest.approx(PERPLEXITY_0_2, rel=ACROSS_CPUS)

    result = invoke(runner, ["models", "upgrade", str(model)])
    assert result.exit_code == 0, result.output
    assert "model.pt" in result.stderr and "rewritten as safetensors" in result.stderr
    files = {p.name for p in model.iterdir()}
    assert "model.safetensors" in files and not any(name.endswith(".pt") for name in files)
    meta = json.loads((model / "meta.json").read_text())
    assert set(meta["payload"]) == files - {"meta.json", ".wordseq-model"}

    after, said = _eval(runner, kind, model, data)
    assert after == before and "models upgrade" not in said
    again = invoke(runner, ["models", "upgrade", str(model)])
    assert again.exit_code == 0 and "nothing to do" in again.stderr


def test_an_upgraded_lm_and_its_unfinished_run_resume(runner: CliRunner, tmp_path: Path, data: dict[str, Path]) -> None:
    model = Path(shutil.copytree(LEGACY / "lm", tmp_path / "lm"))
    partial = Path(shutil.copytree(LEGACY / "lm", tmp_path / ".lm.partial"))
    result = invoke(runner, ["models", "upgrade", str(model)])
    assert result.exit_code == 0, result.output
    assert (partial / "resume.safetensors").is_file() and not (partial / "resume.pt").exists()
    resumed = invoke(runner, ["lm", "train", str(data["lm"]), "-o", str(model), "--resume", "--epochs", "3"])
    assert resumed.exit_code == 0, resumed.output
    assert "resuming from" in resumed.stderr and "models upgrade" not in resumed.stderr
    history = json.loads((model / "meta.json").read_text())["training"]["history"]
    assert [h["epoch"] for h in history] == [1, 2, 3]


def test_a_failed_upgrade_leaves_the_old_model_as_it_was(runner: CliRunner, tmp_path: Path, data: dict[str, Path],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    model = Path(shutil.copytree(LEGACY / "lm", tmp_path / "lm"))
    before = snapshot(tmp_path)

    def full_disk(path: Path, payload: object) -> None:
        path.write_bytes(b"half a file")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("wordseq.store.upgrade.write_tensors", full_disk)
    result = invoke(runner, ["models", "upgrade", str(model)])
    assert result.exit_code == 1 and "could not write the model" in result.stderr and "kept" in result.stderr
    assert snapshot(tmp_path) == before
    monkeypatch.undo()
    figures, _ = _eval(runner, "lm", model, data)
    assert figures["perplexity"] == pytest.approx(PERPLEXITY_0_2, rel=ACROSS_CPUS)


def test_upgrade_of_a_model_without_torch_files_changes_nothing(runner: CliRunner, tmp_path: Path,
                                                                data: dict[str, Path]) -> None:
    out = tmp_path / "ng"
    assert invoke(runner, ["ngram", "train", str(data["lm"]), "-o", str(out), "--discount-fallback"]).exit_code == 0
    before = snapshot(out)
    result = invoke(runner, ["models", "upgrade", str(out)])
    assert result.exit_code == 0 and "nothing to do" in result.stderr
    assert snapshot(out) == before


def test_torch_load_is_called_in_one_place_and_nothing_unpickles() -> None:
    """The store holds data: torch.load (restricted) only in the legacy reader; no pickle
    module anywhere; numpy only ever with allow_pickle=False."""
    import re

    root = Path(__file__).parent.parent / "wordseq"
    for path in root.rglob("*.py"):
        code = path.read_text(encoding="utf-8")
        where = path.relative_to(root).as_posix()
        if "torch.load(" in code:
            assert where == "store/legacy.py", where
            assert all("weights_only=True" in line for line in code.splitlines() if "torch.load(" in line)
        assert not re.search(r"^\s*(import pickle|from pickle|import cloudpickle|import dill)", code, re.M), where
        assert "allow_pickle=True" not in code and "pickle.load" not in code, where
