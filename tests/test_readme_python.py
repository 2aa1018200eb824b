"""The README's "From Python" blocks run as they are, in order, in one interpreter (as a
notebook runs them), from a folder holding the shipped data."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## From Python", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


def test_the_readme_shows_every_kind_of_model_from_python() -> None:
    code = "\n".join(blocks())
    for call in ("train_embeddings", "train_ngram", "train_lm", "train_classifier", "wordseq.load", "generate"):
        assert call in code


def test_readme_python_blocks_run(tmp_path: Path, wordseq_home: Path) -> None:
    (tmp_path / "data").symlink_to(ROOT / "data")
    script = tmp_path / "readme_blocks.py"
    script.write_text("\n".join(blocks()), encoding="utf-8")
    env = {**os.environ, "WORDSEQ_HOME": str(wordseq_home)}
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.splitlines()
    neighbours = eval(out[0])  # noqa: S307 - our own printed list of (word, similarity)
    assert len(neighbours) == 3 and all(isinstance(w, str) and -1 <= s <= 1 for w, s in neighbours)
    assert float(out[1]) < 0  # a log10 probability
    assert 1 < float(out[2]) < float("inf")
    assert out[-3] == "pos"
    assert out[-1] == "['embeddings/news', 'ngram/news3', 'lm/news-lstm', 'classifier/mr']"
