"""scripts/tour.py (what `make demo` runs) in its reduced mode: every step runs, tour.md
holds each command with its output and the tables, and --readme copies it between the
markers."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "tour.py"


@pytest.mark.docs
def test_the_reduced_tour_runs_every_step_and_writes_its_markdown(tmp_path: Path) -> None:
    out = tmp_path / "tour"
    env = {**os.environ, "WORDSEQ_HOME": str(tmp_path / "unused")}
    proc = subprocess.run([sys.executable, str(SCRIPT), "--reduced", "--out", str(out)], env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    md = (out / "tour.md").read_text(encoding="utf-8")
    for command in ("train-embeddings", "similar film", "ngram train", "lm train", "generate", "classify predict",
                    "--explain", "seq2seq train", "transduce"):
        assert f"wordseq {command}" in md or command in md, command
    assert "| 5-gram, modified Kneser-Ney |" in md and "held-out perplexity" in md and "test WER" in md
    for picture in ("attention.png", "curves.png"):
        assert (out / picture).stat().st_size > 1000
    assert not (tmp_path / "unused").exists()  # models went to OUT/home
    assert {p.name for p in (out / "home").iterdir() if not p.name.startswith(".")} >= {
        "embeddings", "ngram", "lm", "classifier", "seq2seq"}
    assert "Next, try:" in proc.stdout


def test_readme_mode_replaces_only_what_is_between_the_markers(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("tour", SCRIPT)
    assert spec and spec.loader
    tour = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "tour", tour)  # dataclasses look their module up
    spec.loader.exec_module(tour)
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\nbefore\n{tour.BEGIN}\nold tour\n{tour.END}\nafter\n", encoding="utf-8")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "tour.md").write_text("### new tour\n\n| a | 1 |\n", encoding="utf-8")
    for made in tour.PICTURES:
        (tmp_path / "out" / made).write_bytes(made.encode())
    monkeypatch.setattr(tour, "ROOT", tmp_path)
    tour.update_readme(tmp_path / "out")
    assert readme.read_text(encoding="utf-8") == f"# x\nbefore\n{tour.BEGIN}\n### new tour\n\n| a | 1 |\n{tour.END}\nafter\n"
    for made, kept in tour.PICTURES.items():  # the README's pictures live in the repository
        assert (tmp_path / kept).read_bytes() == made.encode()


def test_the_readme_has_the_tour_markers() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert text.count("<!-- tour:begin") == 1 and text.count("<!-- tour:end -->") == 1
