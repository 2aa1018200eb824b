"""The README's runnable examples, read from README.md and run as a user runs them.

conftest.py runs each once per test session (fixtures `readme_python_run` and
`readme_pipelines_run`, marked `docs`); the README tests check their output and the
end-to-end test reuses the models they trained instead of training the same ones again.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Run:
    """What one README section printed, and the store its models went to."""

    home: Path
    outputs: list[str]


def section(title: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return text.split(f"## {title}", 1)[1].split("\n## ", 1)[0]


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", section("From Python"), flags=re.S)


def pipelines() -> list[tuple[str, str]]:
    """(title, bash script) of each pipeline of the README's "In pipelines"."""
    return re.findall(r"<!-- pipeline: (.*?) -->\n```sh\n(.*?)```", section("In pipelines"), flags=re.S)


def user_folder(folder: Path, home: Path) -> dict[str, str]:
    """FOLDER made to look like the repository's root (data/ in it); the environment
    with HOME as the store and this interpreter's `wordseq` on the PATH."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "data").symlink_to(ROOT / "data")
    bindir = Path(sys.executable).parent
    return {**os.environ, "WORDSEQ_HOME": str(home), "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}"}


def run_python_blocks(folder: Path, home: Path) -> Run:
    """The "From Python" blocks in order, in one interpreter, as a notebook runs them."""
    env = user_folder(folder, home)
    script = folder / "readme_blocks.py"
    script.write_text("\n".join(python_blocks()), encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script)], cwd=folder, env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr
    return Run(home, proc.stdout.splitlines())


def run_pipelines(folder: Path, home: Path) -> Run:
    """Each "In pipelines" script in bash with -euo pipefail; one output per script."""
    env = user_folder(folder, home)
    outputs = []
    for title, script in pipelines():
        proc = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=folder, env=env,
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, (title, proc.stderr)
        outputs.append(proc.stdout)
    return Run(home, outputs)
