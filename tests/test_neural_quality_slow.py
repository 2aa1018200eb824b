"""Neural LM quality with the settings chosen by corpus size (minutes): `make test-slow`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import CORPUS, HELDOUT, invoke

pytestmark = pytest.mark.slow


def run(runner: CliRunner, args: list[str]) -> str:
    result = invoke(runner, ["-q", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_default_lm_train_beats_the_5_gram_on_the_shipped_news_corpus(runner: CliRunner, tmp_path: Path) -> None:
    """No model options at all: a small corpus gets a small, strongly regularised model."""
    common = ["--min-count", "2"]
    run(runner, ["ngram", "train", str(CORPUS), "--order", "5", "-o", "kn5", *common])
    kn = json.loads(run(runner, ["ngram", "eval", str(HELDOUT), "-m", "kn5", "--json"]))
    run(runner, ["lm", "train", str(CORPUS), "-o", "lm", "--device", "cpu", *common])
    lm = json.loads(run(runner, ["lm", "eval", str(HELDOUT), "-m", "lm", "--json", "--device", "cpu"]))
    assert lm["tokens"] == kn["tokens"] and lm["oov"] == kn["oov"]  # the same vocabulary and text
    assert lm["perplexity"] < kn["perplexity"]
