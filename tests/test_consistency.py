"""One convention across commands (issue 20, item 16): analogy order and gensim's
--positive / --negative, option ranges in --help, held-out shares as percentages (the old
--valid-fraction still works, with a warning), one default seed."""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np
import pytest
from click.testing import CliRunner

from tests.conftest import invoke, save_vectors_model

WORDS = ["king", "man", "woman", "queen", "apple"]
VECTORS = [[1.0, 1.0, 0.0], [0.0, 1.0, 0.0], [0.0, 1.0, 1.0], [1.0, 1.0, 1.0], [-1.0, 0.0, 0.2]]


def _command(*path: str) -> click.Command:
    from wordseq.cli import cli

    ctx = click.Context(cli)
    command: click.Command = cli
    for name in path:
        found = command.get_command(ctx, name)  # type: ignore[attr-defined]
        assert found is not None
        command = found
    return command


def test_positive_negative_is_the_same_query_as_a_b_c(runner: CliRunner) -> None:
    save_vectors_model("toy", WORDS, VECTORS)
    abc = invoke(runner, ["analogy", "king", "man", "woman", "-m", "toy", "--topn", "2"])
    gensim_style = invoke(runner, ["analogy", "--positive", "king", "--positive", "woman", "--negative", "man",
                                   "-m", "toy", "--topn", "2"])
    assert abc.exit_code == 0 and gensim_style.exit_code == 0, gensim_style.output
    assert abc.stdout.startswith("queen\t") and gensim_style.stdout == abc.stdout
    only_plus = invoke(runner, ["analogy", "--positive", "king", "--positive", "woman", "-m", "toy", "--topn", "1"])
    assert only_plus.exit_code == 0 and only_plus.stdout.startswith("queen\t")
    mul = [invoke(runner, ["analogy", *q, "-m", "toy", "--method", "mul", "--topn", "2"]).stdout
           for q in (["king", "man", "woman"], ["-p", "king", "-p", "woman", "-n", "man"])]
    assert mul[0] == mul[1]


def test_positive_negative_matches_gensim_most_similar() -> None:
    gensim = pytest.importorskip("gensim")
    from wordseq.embeddings.storage import WordVectors

    kv = gensim.models.KeyedVectors(3)
    kv.add_vectors(WORDS, np.asarray(VECTORS, dtype=np.float32))
    path = save_vectors_model("toy2", WORDS, VECTORS)
    from wordseq.embeddings.model import load_embeddings

    model = load_embeddings(str(path))
    assert isinstance(model.vectors, WordVectors)
    ours = model.most_similar_to(positive=["king", "woman"], negative=["man"], topn=2)
    theirs = kv.most_similar(positive=["king", "woman"], negative=["man"], topn=2)
    assert [w for w, _ in ours] == [w for w, _ in theirs]
    assert [s for _, s in ours] == pytest.approx([s for _, s in theirs], abs=1e-5)


@pytest.mark.parametrize("args, message", [
    (["king", "man", "woman", "--positive", "queen"], "either A B C or --positive"),
    (["king", "man"], "A B C"),
    (["--negative", "man"], "--positive"),
])
def test_analogy_refuses_mixed_or_partial_queries(runner: CliRunner, args: list[str], message: str) -> None:
    save_vectors_model("toy", WORDS, VECTORS)
    result = invoke(runner, ["analogy", *args, "-m", "toy"])
    assert result.exit_code == 2 and message in result.stderr


@pytest.mark.parametrize("path", [("seq2seq", "train"), ("seq2seq", "eval"), ("transduce",)])
def test_seq2seq_and_transduce_options_show_their_ranges(path: tuple[str, ...]) -> None:
    unranged = [p.name for p in _command(*path).params
                if isinstance(p, click.Option) and p.type in (click.INT, click.FLOAT)]
    assert unranged == []


def test_held_out_shares_are_percentages_everywhere() -> None:
    names = {p.name for p in _command("classify", "train").params if isinstance(p, click.Option) and not p.hidden}
    assert "valid_percent" in names and "valid_fraction" not in names
    assert "dev_percent" in {p.name for p in _command("seq2seq", "train").params}


def test_valid_fraction_still_works_with_a_warning(runner: CliRunner, tmp_path: Path) -> None:
    from wordseq.classify.config import TrainingConfig

    assert TrainingConfig(valid_percent=25).valid_percent == 25
    with pytest.warns(FutureWarning, match="--valid-fraction is deprecated"):
        assert TrainingConfig(valid_fraction=0.25).valid_percent == 25
    tsv = tmp_path / "d.tsv"
    tsv.write_text("".join(f"{'pos' if i % 2 else 'neg'}\t{'good' if i % 2 else 'bad'} film {i}\n" for i in range(40)))
    result = invoke(runner, ["classify", "train", str(tsv), "-o", "c", "--encoder", "bow", "--emb", "8", "--epochs", "1",
                             "--valid-fraction", "0.25", "--json"])
    assert result.exit_code == 0, result.output
    assert "Warning: --valid-fraction is deprecated: use --valid-percent 25" in result.stderr
    bad = invoke(runner, ["classify", "train", str(tsv), "--valid-percent", "100"])
    assert bad.exit_code == 2 and "--valid-percent" in bad.stderr


def test_one_default_seed_across_commands() -> None:
    from wordseq.classify.config import TrainingConfig
    from wordseq.config_checks import DEFAULT_SEED
    from wordseq.embeddings.config import Word2VecConfig
    from wordseq.neural.config import TrainConfig
    from wordseq.seq2seq.config import Seq2SeqTrainConfig

    assert {TrainConfig().seed, Seq2SeqTrainConfig().seed, TrainingConfig().seed, Word2VecConfig().seed} == {DEFAULT_SEED}
    for path in [("lm", "train"), ("seq2seq", "train"), ("classify", "train"), ("train-embeddings",)]:
        (seed,) = [p for p in _command(*path).params if p.name == "seed"]
        assert seed.default in (None, DEFAULT_SEED), path
        assert seed.default == DEFAULT_SEED or f"Default: {DEFAULT_SEED}." in (seed.help or ""), path
