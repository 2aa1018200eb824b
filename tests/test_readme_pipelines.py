"""The README's "In pipelines" examples run as they are, in bash, on the shipped data."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def pipelines() -> list[tuple[str, str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## In pipelines", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"<!-- pipeline: (.*?) -->\n```sh\n(.*?)```", section, flags=re.S)


def test_the_readme_has_three_pipelines() -> None:
    assert len(pipelines()) == 3


@pytest.mark.skipif(shutil.which("jq") is None, reason="jq is not installed")
def test_readme_pipelines_run(tmp_path: Path, wordseq_home: Path) -> None:
    (tmp_path / "data").symlink_to(ROOT / "data")
    bindir = Path(sys.executable).parent
    env = {**os.environ, "WORDSEQ_HOME": str(wordseq_home), "PATH": f"{bindir}:{os.environ['PATH']}"}
    outputs = []
    for title, script in pipelines():
        proc = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, (title, proc.stderr)
        outputs.append(proc.stdout)
    similar, scores, gensim = outputs
    assert len(similar.splitlines()) == 3 and all("\t" in line for line in similar.splitlines())
    lines = scores.splitlines()
    assert len(lines) >= 2 and all(x.isdigit() for x in lines[:-1])  # the hard lines' numbers, then the most surprising line
    assert "\t" in lines[-1]
    assert gensim.startswith("[(") and gensim.splitlines()[-1].count("\t") == 1
