"""The whole pipeline on the shipped corpus, as a user runs it, through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from tests.conftest import CORPUS, HELDOUT, invoke


def ok(runner: CliRunner, args: list[str], input: str | None = None) -> str:
    result = invoke(runner, ["-q", *args], input=input)
    assert result.exit_code == 0, f"{args}: {result.output}"
    return result.stdout


def test_text_to_vectors_ngrams_neural_lm_and_generation(runner: CliRunner, tmp_path: Path) -> None:
    # the whole shipped corpus for the fast steps; a third of it for the neural LM
    part = tmp_path / "part.txt"
    part.write_text("\n".join(CORPUS.read_text(encoding="utf-8").splitlines()[:100]) + "\n", encoding="utf-8")
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

    ok(runner, ["ngram", "train", str(CORPUS), "--order", "3", "-o", "tri"])
    ngram_eval = json.loads(ok(runner, ["ngram", "eval", str(HELDOUT), "-m", "tri", "--json"]))
    assert 50 < ngram_eval["perplexity"] < 2000 and ngram_eval["oov"] > 0

    ok(runner, ["lm", "train", str(part), "--layers", "1", "--emb", "16", "--hidden", "16", "--epochs", "1", "--bptt", "20"])
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
