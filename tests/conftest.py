from __future__ import annotations

from pathlib import Path

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
