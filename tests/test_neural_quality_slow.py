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
    lines = CORPUS.read_text(encoding="utf-8").splitlines()
    cut = len(lines) * 9 // 10
    train, valid = tmp_path / "train.txt", tmp_path / "valid.txt"
    train.write_text("\n".join(lines[:cut]) + "\n", encoding="utf-8")
    valid.write_text("\n".join(lines[cut:]) + "\n", encoding="utf-8")
    common = ["--min-count", "2"]  # both vocabularies from the same training text
    run(runner, ["ngram", "train", str(train), "--order", "5", "-o", "kn5", *common])
    kn = json.loads(run(runner, ["ngram", "eval", str(HELDOUT), "-m", "kn5", "--json"]))
    run(runner, ["lm", "train", str(train), "--valid", str(valid), "-o", "lm", "--device", "cpu", *common])
    lm = json.loads(run(runner, ["lm", "eval", str(HELDOUT), "-m", "lm", "--json", "--device", "cpu"]))
    assert lm["tokens"] == kn["tokens"] and lm["oov"] == kn["oov"]  # the same vocabulary and text
    assert lm["perplexity"] < kn["perplexity"], (lm["perplexity"], kn["perplexity"])
