"""`models show NAME --card`: a Markdown model card from meta.json, for every kind."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import invoke
from wordseq.export.card import model_card

LEGACY = Path(__file__).parent / "data" / "legacy-0.2"
TEXT = "the cat sat on the mat .\nthe dog sat on the log .\na cat and a dog met .\n" * 30
SECTIONS = ["## Training data", "## Preprocessing", "## Options", "## Metrics", "## Command line", "## Use", "## Files"]


def _card(runner: CliRunner, model: Path | str) -> str:
    result = invoke(runner, ["models", "show", str(model), "--card"])
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("kind", ["lm", "classifier", "seq2seq"])
def test_a_card_says_what_a_torch_model_was_trained_on_and_how(kind: str, runner: CliRunner, tmp_path: Path) -> None:
    model = shutil.copytree(LEGACY / kind, tmp_path / kind)
    meta = json.loads((model / "meta.json").read_text())
    card = _card(runner, model)
    assert card.startswith("---\nlibrary_name: wordseq\n") and f"# {kind}\n\n{meta['summary']}" in card
    assert all(section in card for section in SECTIONS)
    assert meta["corpus"][0]["sha256"][:16] in card  # the data it was trained on
    assert " ".join(meta["command"][3:]) in card  # the command line that made it
    assert f"| `{next(iter(meta['payload']))}` |" in card
    history = meta["training"]["history"]
    assert "### History" in card
    history_rows = card.split("### History")[1].split("\n\n")[1].splitlines()
    assert len(history_rows) == 2 + len(history)


def test_lm_card_shows_its_figures_and_options(runner: CliRunner, tmp_path: Path) -> None:
    card = _card(runner, shutil.copytree(LEGACY / "lm", tmp_path / "lm"))
    assert "| `best_valid_ppl` | 12.1556 |" in card and "| `model.cell` | lstm |" in card
    assert "| `lower` | true |" in card and "- lstm" in card


def test_ngram_and_embeddings_models_get_a_card(runner: CliRunner, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(TEXT)
    assert invoke(runner, ["ngram", "train", str(corpus), "-o", "ng", "--discount-fallback"]).exit_code == 0
    assert invoke(runner, ["train-embeddings", str(corpus), "-o", "vec", "--min-count", "1", "--dim", "8",
                           "--epochs", "1", "--workers", "1"]).exit_code == 0
    for name, use in (("ngram/ng", "wordseq ngram eval TEXT -m ngram/ng"), ("embeddings/vec", "wordseq similar WORD")):
        card = _card(runner, name)
        assert all(section in card for section in SECTIONS) and use in card and str(corpus) in card


def test_a_card_of_sparse_or_odd_metadata_is_still_markdown() -> None:
    meta = {"kind": "embeddings", "summary": "a | b", "corpus": [], "config": {}, "preprocessing": {},
            "training": {"history": [{"epoch": i, "loss": 1.0 / (i + 1)} for i in range(100)]}, "payload": {},
            "command": [], "complete": False}
    card = model_card(meta, "x")
    assert "(not recorded" in card and "interrupted" in card
    assert "70 of 100 rows left out" in card
    assert card.count("\n| ") >= 30


def test_card_of_a_missing_model_is_one_error(runner: CliRunner) -> None:
    result = invoke(runner, ["models", "show", "nothing-here", "--card"])
    assert result.exit_code == 1 and result.stderr.startswith("Error: ")
