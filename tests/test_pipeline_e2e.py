"""The whole pipeline on the shipped corpus, as a user runs it, through the CLI. The
trigram and the LSTM are the README's (`lee3` of its pipelines, trained by `wordseq ngram
train`, and `news-lstm` of its Python blocks), trained once a session for both."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import CORPUS, HELDOUT, invoke
from tests.readme_runs import Run


def ok(runner: CliRunner, args: list[str], input: str | None = None) -> str:
    result = invoke(runner, ["-q", *args], input=input)
    assert result.exit_code == 0, f"{args}: {result.output}"
    return result.stdout


@pytest.mark.docs
@pytest.mark.xdist_group("readme")
def test_text_to_vectors_ngrams_neural_lm_and_generation(runner: CliRunner, tmp_path: Path, wordseq_home: Path,
                                                         readme_python_run: Run, readme_pipelines_run: Run) -> None:
    tokens = tmp_path / "tokens.txt"
    ok(runner, ["tokenize", str(CORPUS), "--lemmatize", "-o", str(tokens)])
    assert len(tokens.read_text().splitlines()) == len(CORPUS.read_text().splitlines())

    vocab = tmp_path / "vocab.tsv"
    ok(runner, ["vocab", "build", str(tokens), "--pretokenized", "-o", str(vocab)])
    assert json.loads(ok(runner, ["vocab", "show", str(vocab), "--json", "--top", "1"]))["top"][0]["word"] == "the"

    # embeddings from the lemmatized tokens: queries go through the same settings
    ok(runner, ["train-embeddings", str(CORPUS), "--lemmatize", "--dim", "16", "--epochs", "1", "--workers", "1", "--min-count", "3"])
    answer = json.loads(ok(runner, ["analogy", "Kings", "man", "women", "--topn", "3", "--json"]))
    # the query went through the model's lemmatizer; answers exclude the query words and
    # come best first (their quality needs a corpus far bigger than 60 k words)
    assert answer["query"] == {"plus": ["king", "woman"], "minus": "man"}
    words = [r["word"] for r in answer["results"]]
    scores = [r["score"] for r in answer["results"]]
    assert len(words) == 3 and not {"king", "woman", "man"} & set(words) and scores == sorted(scores, reverse=True)
    assert ok(runner, ["similar", "Governments", "--topn", "3"]).count("\n") == 3

    # `wordseq ngram train data/lee_background.txt --order 3 -o lee3` and the README's
    # train_lm(..., "news-lstm", ...), copied into this test's store under its own names
    shutil.copytree(readme_pipelines_run.home / "ngram" / "lee3", wordseq_home / "ngram" / "tri")
    shutil.copytree(readme_python_run.home / "lm" / "news-lstm", wordseq_home / "lm" / "default")
    ngram_eval = json.loads(ok(runner, ["ngram", "eval", str(HELDOUT), "-m", "tri", "--json"]))
    assert ngram_eval["perplexity"] == pytest.approx(689.3326, rel=1e-6) and ngram_eval["oov"] == 598  # deterministic

    lm_eval = json.loads(ok(runner, ["lm", "eval", str(HELDOUT), "--json"]))
    assert lm_eval["perplexity"] > 1 and lm_eval["tokens"] == ngram_eval["tokens"]  # the same tokens scored

    for model in ("default", "tri"):
        beams = json.loads(ok(runner, ["generate", "-m", model, "--beam", "3", "--num", "2", "--prompt", "The", "--json"]))
        assert len(beams["results"]) == 2
        assert beams["results"][0]["score"] >= beams["results"][1]["score"]
        text = ok(runner, ["generate", "-m", model, "--prompt", "the", "--seed", "3", "--max-tokens", "8"])
        assert text.startswith("the") and text == ok(runner, ["generate", "-m", model, "--prompt", "the", "--seed", "3", "--max-tokens", "8"])

    listed = json.loads(ok(runner, ["models", "list", "--json"]))
    assert sorted((m["kind"], m["name"]) for m in listed) == [("embeddings", "default"), ("lm", "default"), ("ngram", "tri")]
