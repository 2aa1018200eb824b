"""Issue 23's acceptance for subword units, on the movie reviews shipped in data/ (1.5 M
words): BPE 8 k trains within 60 s, detokenized units give back every line of the corpus,
and an n-gram model and an LSTM over the units score held-out text with no OOV, reporting
perplexity per word beside per unit."""

from __future__ import annotations

import gzip
import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.conftest import DATA

pytestmark = pytest.mark.slow


def ok(*args: object) -> Result:
    from wordseq.cli import cli

    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def reviews(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The corpus, and a split: the last 10 % of the lines held out (6,472)."""
    root = tmp_path_factory.mktemp("reviews")
    lines = gzip.decompress((DATA / "movie_reviews.txt.gz").read_bytes()).decode("utf-8").splitlines()
    files = {"all": root / "all.txt", "train": root / "train.txt", "test": root / "test.txt"}
    files["all"].write_text("\n".join(lines) + "\n")
    cut = len(lines) - len(lines) // 10
    files["train"].write_text("\n".join(lines[:cut]) + "\n")
    files["test"].write_text("\n".join(lines[cut:]) + "\n")
    return files


def test_bpe_8k_trains_in_a_minute_and_gives_every_line_back(reviews: dict[str, Path], tmp_path: Path) -> None:
    start = time.perf_counter()
    ok("subword", "train", reviews["all"], "-o", "bpe8k", "--vocab", 8000, "--type", "bpe")
    assert time.perf_counter() - start <= 60
    lines = reviews["all"].read_text().splitlines()
    assert all(line == " ".join(line.split()) for line in lines)  # so "equal" below is exact
    ok("tokenize", reviews["all"], "--level", "subword", "--subword", "bpe8k", "--no-lower", "-o", tmp_path / "units.txt")
    import wordseq

    tok = wordseq.load("subword/bpe8k")
    units = (tmp_path / "units.txt").read_text().splitlines()
    assert len(units) == len(lines) == 64_720
    assert [i for i, (u, line) in enumerate(zip(units, lines)) if tok.decode(u.split()) != line] == []


def test_ngram_and_lstm_over_units_have_no_oov_and_report_per_word(reviews: dict[str, Path]) -> None:
    ok("subword", "train", reviews["train"], "-o", "bpe8k", "--vocab", 8000)
    words = sum(len(line.split()) for line in reviews["test"].read_text().splitlines())
    ok("ngram", "train", reviews["train"], "--level", "subword", "--subword", "bpe8k", "--order", 4, "-o", "units4")
    ok("lm", "train", reviews["train"], "--level", "subword", "--subword", "bpe8k", "-o", "units-lstm",
       "--layers", 1, "--emb", 32, "--hidden", 32, "--epochs", 1, "--batch-size", 128)
    for command in (["ngram", "eval", reviews["test"], "-m", "units4"], ["lm", "eval", reviews["test"], "-m", "units-lstm"]):
        doc = json.loads(ok(*command, "--json").stdout)
        assert doc["oov"] == 0 and doc["words"] == words
        assert doc["perplexity"] < doc["perplexity_per_word"] < 10 * doc["perplexity"]
