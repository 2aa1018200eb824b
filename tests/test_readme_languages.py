"""The README's German walk-through (Commands, "Other languages") runs as written and
prints what the README shows ('...' stands for lines left out)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.readme_runs import section, user_folder


def walk_through() -> list[tuple[str, list[str]]]:
    """(command, the lines the README shows after it) of each '$ ' line of the block."""
    block = re.findall(r"```sh\n(.*?)```", section("Commands").split("### Other languages", 1)[1], flags=re.S)[0]
    steps: list[tuple[str, list[str]]] = []
    for line in block.splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        else:
            steps[-1][1].append(line)
    return steps


def test_the_walk_through_is_german_on_shipped_text() -> None:
    commands = [command for command, _ in walk_through()]
    assert all("--lang de" in c or "-m udhr-de" in c for c in commands) and "data/udhr-de.txt" in commands[0]


@pytest.mark.docs
def test_the_german_walk_through_prints_what_the_readme_shows(tmp_path: Path) -> None:
    env = user_folder(tmp_path / "user", tmp_path / "home")
    for command, shown in walk_through():
        proc = subprocess.run(["bash", "-c", command], cwd=tmp_path / "user", env=env, capture_output=True, text=True,
                              timeout=300)
        assert proc.returncode == 0, (command, proc.stderr)
        printed = proc.stdout.splitlines()
        for line in shown:
            if line != "...":
                assert line in printed, (command, line, printed)
