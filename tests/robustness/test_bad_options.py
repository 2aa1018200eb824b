"""NaN, infinities, zero, negative and huge option values × every command: a usage error
(exit 2) naming the option, before any work, with the store unchanged; and property tests
that the configs accept exactly the finite, in-range values."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.robustness.conftest import SMALL_CLASSIFIER, SMALL_LM, SMALL_S2S, snapshot
from wordseq.errors import OptionError

# (command, option, bad values)
CASES = [
    (["train-embeddings", "{corpus}", "--min-count", "1"], "--alpha", ["nan", "inf", "0", "-1", "2"]),
    (["train-embeddings", "{corpus}", "--min-count", "1"], "--sample", ["nan", "-inf", "-1", "1e308", "1e13"]),
    (["train-embeddings", "{corpus}", "--min-count", "1"], "--dim", ["0", "-3", "1000000000"]),
    (["train-embeddings", "{corpus}", "--min-count", "1"], "--window", ["0"]),
    (["train-embeddings", "{corpus}", "--min-count", "1"], "--epochs", ["0"]),
    (["train-embeddings", "{corpus}", "--min-count", "1", "--subwords"], "--buckets", ["0", "-1", "nan", "2147483648"]),
    (["train-embeddings", "{corpus}", "--min-count", "1", "--subwords"], "--min-n", ["0", "-2", "101", "7"]),
    (["train-embeddings", "{corpus}", "--min-count", "1", "--subwords", "--min-n", "5"], "--max-n", ["4", "0", "101"]),
    (["train-embeddings", "{corpus}", "--min-count", "1"], "--min-n", ["2"]),  # without --subwords
    (["train-embeddings", "{corpus}", "--min-count", "1"], "--buckets", ["100"]),
    (["embeddings", "import", "{fasttext_bin}"], "--limit", ["5"]),
    (["lm", "train", "{corpus}", *SMALL_LM], "--lr", ["nan", "inf", "0", "-1"]),
    (["lm", "train", "{corpus}", *SMALL_LM], "--clip", ["nan", "inf", "-1"]),
    (["lm", "train", "{corpus}", *SMALL_LM], "--dropout", ["nan", "1", "-0.5"]),
    (["lm", "train", "{corpus}", *SMALL_LM], "--emb", ["0"]),
    (["lm", "train", "{corpus}", *SMALL_LM], "--hidden", ["0", "-5"]),
    (["lm", "train", "{corpus}", *SMALL_LM], "--bptt", ["0"]),
    (["lm", "train", "{corpus}", *SMALL_LM], "--batch-size", ["0"]),
    (["lm", "train", "{corpus}", *SMALL_LM], "--layers", ["0", "1000"]),
    (["lm", "train", "{corpus}", *SMALL_LM], "--threads", ["-1", "100000"]),
    (["generate", "-m", "{lm}"], "--temperature", ["nan", "inf", "0", "-1"]),
    (["generate", "-m", "{lm}"], "--top-p", ["nan", "0", "1.5"]),
    (["generate", "-m", "{lm}", "--beam", "2"], "--length-penalty", ["nan", "-5", "inf"]),
    (["generate", "-m", "{lm}"], "--num", ["0", "100000000"]),
    (["generate", "-m", "{lm}"], "--beam", ["0", "100000000"]),
    (["generate", "-m", "{lm}"], "--max-tokens", ["0", "-1"]),
    (["analogy", "cat", "dog", "mat", "-m", "{emb}"], "--topn", ["0"]),
    (["similar", "cat", "-m", "{emb}"], "--topn", ["-1"]),
    (["eval", "analogies", "-m", "{emb}"], "--restrict", ["-1"]),
    (["vocab", "build", "{corpus}"], "--min-count", ["0"]),
    (["vocab", "build", "{corpus}"], "--max-size", ["0"]),
    (["tokenize", "{corpus}"], "--workers", ["0"]),
    (["seq2seq", "train", "{pairs}", *SMALL_S2S], "--lr", ["nan", "inf", "0", "-1"]),
    (["seq2seq", "train", "{pairs}", *SMALL_S2S], "--dropout", ["nan", "1", "-0.5"]),
    (["seq2seq", "train", "{pairs}", *SMALL_S2S], "--teacher-forcing", ["nan", "-0.1", "1.5"]),
    (["seq2seq", "train", "{pairs}", *SMALL_S2S], "--threads", ["-1", "100000"]),
    (["seq2seq", "train", "{pairs}", *SMALL_S2S], "--clip", ["nan", "-1"]),
    (["seq2seq", "train", "{pairs}", *SMALL_S2S], "--hidden", ["0", "3", "1000000000"]),
    (["seq2seq", "train", "{pairs}", *SMALL_S2S], "--encoder-layers", ["0", "1000"]),
    (["seq2seq", "train", "{pairs}", *SMALL_S2S], "--dev-percent", ["nan", "0", "100"]),
    (["seq2seq", "train", "{pairs}", *SMALL_S2S], "--arch", ["cnn"]),
    (["seq2seq", "train", "{pairs}", *SMALL_S2S, "--arch", "transformer"], "--heads", ["0", "3", "100000"]),
    (["seq2seq", "train", "{pairs}", *SMALL_S2S, "--arch", "transformer"], "--ff", ["-1", "1000000000"]),
    (["seq2seq", "train", "{pairs}", *SMALL_S2S, "--arch", "transformer"], "--teacher-forcing", ["0.5"]),
    (["seq2seq", "train", "{pairs}", *SMALL_S2S], "--label-smoothing", ["nan", "1", "-0.1"]),
    (["seq2seq", "eval", "{pairs}", "-m", "{s2s}"], "--beam", ["0", "100000000"]),
    (["transduce", "{pairs}", "-m", "{s2s}"], "--num", ["0"]),
    (["transduce", "{pairs}", "-m", "{s2s}", "--beam", "2"], "--length-penalty", ["nan", "-5", "inf"]),
    (["transduce", "{pairs}", "-m", "{s2s}"], "--max-tokens", ["0", "-1"]),
    (["classify", "train", "{labelled}", *SMALL_CLASSIFIER], "--dropout", ["nan", "1", "-0.5"]),
    (["classify", "train", "{labelled}", *SMALL_CLASSIFIER], "--lr", ["nan", "inf", "0", "-1"]),
    (["classify", "train", "{labelled}", *SMALL_CLASSIFIER], "--valid-fraction", ["nan", "0", "1", "2"]),
    (["classify", "train", "{labelled}", *SMALL_CLASSIFIER], "--clip", ["nan", "-1"]),
    (["classify", "train", "{labelled}", *SMALL_CLASSIFIER], "--hidden", ["0", "1000000000"]),
    (["classify", "train", "{labelled}", *SMALL_CLASSIFIER], "--cv", ["1", "0"]),
    (["classify", "train", "{labelled}", *SMALL_CLASSIFIER], "--epochs", ["0"]),
    (["classify", "train", "{labelled}", "--encoder", "bow"], "--pool", ["last"]),
    (["classify", "predict", "{corpus}", "-m", "{classifier}"], "--batch-size", ["0"]),
    (["classify", "predict", "{corpus}", "-m", "{classifier}"], "--threshold", ["nan", "-0.1", "1.5", "inf"]),
    (["classify", "predict", "{corpus}", "-m", "{classifier}"], "-k", ["0", "-1"]),
    (["classify", "train", "{labelled}", "--encoder", "nbsvm"], "--pool", ["max"]),
    (["classify", "train", "{labelled}", "--encoder", "nbsvm"], "--emb", ["8"]),
    (["classify", "train", "{labelled}", "--encoder", "fasttext"], "--emb", ["0"]),
    # the vectors were ignored without a word
    (["classify", "train", "{labelled}", "--init-embeddings", "{emb}"], "--encoder", ["nbsvm", "fasttext"]),
    (["ngram", "train", "{corpus}"], "--order", ["10", "0"]),
    (["ngram", "mix", "{ngram}", "{ngram}"], "--weights", ["0.5 0.6", "1.5,-0.5"]),
    (["ngram", "train", "{corpus}"], "--quantize", ["4", "0", "16"]),
    (["ngram", "compact", "{ngram}", "-o", "small"], "--quantize", ["4", "-1"]),
    (["transduce", "{pairs}", "-m", "{s2s}"], "--beam", ["0"]),
    # --lang: an unknown language, or Chinese at word level, on every command of the
    # preprocessing options; a step the language lacks
    *[(args, "--lang", ["tlh", "zh"]) for args in (
        ["tokenize", "{corpus}"], ["vocab", "build", "{corpus}"], ["ngram", "train", "{corpus}"],
        ["lm", "train", "{corpus}", *SMALL_LM], ["train-embeddings", "{corpus}", "--min-count", "1"],
        ["classify", "train", "{labelled}", *SMALL_CLASSIFIER], ["ngram", "eval", "{corpus}", "-m", "{ngram}"],
        ["lm", "eval", "{corpus}", "-m", "{lm}"], ["classify", "predict", "{corpus}", "-m", "{classifier}"])],
    (["tokenize", "{corpus}", "--lemmatize"], "--lang", ["kk"]),
    (["ngram", "train", "{corpus}", "--stem", "snowball"], "--lang", ["bg"]),
    (["lm", "train", "{corpus}", "--stem", "porter", *SMALL_LM], "--lang", ["de"]),
    (["vocab", "build", "{corpus}", "--stopwords", "lang"], "--lang", ["la"]),
]


def _fill(args: list[str], models: dict[str, Path]) -> list[str]:
    return [a.format(corpus=models["corpus"], lm=models["lm"], emb=models["embeddings"], ngram=models["ngram"],
                     pairs=models["pairs"], s2s=models["seq2seq"], labelled=models["labelled"],
                     classifier=models["classifier"], fasttext_bin=models["fasttext_bin"])
            for a in args]


def _command_path(args: list[str]) -> list[str]:
    """The command words at the start of ``args`` (``["ngram", "train"]``)."""
    import click

    from wordseq.cli import cli

    path: list[str] = []
    group: click.Command | None = cli
    for word in args:
        sub = group.get_command(click.Context(group), word) if isinstance(group, click.Group) else None
        if sub is None:
            break
        path.append(word)
        group = sub
    return path


@pytest.mark.parametrize("args,option,value", [(a, o, v) for a, o, vs in CASES for v in vs])
def test_bad_option_value_is_a_usage_error_naming_it(args: list[str], option: str, value: str,
                                                     models: dict[str, Path], wordseq_home: Path) -> None:
    from wordseq.cli import cli

    before = snapshot(wordseq_home)
    result = CliRunner().invoke(cli, [*_fill(args, models), option, *value.split()], catch_exceptions=False)
    assert result.exit_code == 2, result.output
    assert option in result.stderr and "Traceback" not in result.output
    # the usage line of the subcommand, as click's own option errors give, not the top level's
    usage = result.stderr.splitlines()[0]
    assert usage.startswith("Usage: ") and f" {' '.join(_command_path(args))} [OPTIONS]" in usage, result.stderr
    assert "epoch 1" not in result.stderr and "saved" not in result.stderr  # refused before any work
    assert snapshot(wordseq_home) == before


def test_generate_search_modes_are_exclusive(models: dict[str, Path]) -> None:
    from wordseq.cli import cli

    result = CliRunner().invoke(cli, ["generate", "-m", str(models["lm"]), "--greedy", "--beam", "3"])
    assert result.exit_code == 2 and "choose one" in result.stderr


def test_global_flags_work_after_the_command(models: dict[str, Path]) -> None:
    from wordseq.cli import cli

    result = CliRunner().invoke(cli, ["tokenize", str(models["corpus"]), "-q"])
    assert result.exit_code == 0 and result.stderr == ""


finite_or_not = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**6, 10**6))


def _accepts(make: object) -> bool:
    try:
        make()  # type: ignore[operator]
    except OptionError:
        return False
    return True


@settings(max_examples=200, deadline=None)
@given(lr=finite_or_not, clip=finite_or_not, dropout=finite_or_not)
def test_lm_configs_accept_exactly_finite_in_range_values(lr: float, clip: float, dropout: float) -> None:
    from wordseq.neural.config import LMConfig, TrainConfig

    ok = _accepts(lambda: TrainConfig(lr=lr, clip=clip))
    assert ok == (math.isfinite(lr) and 0 < lr <= 1e4 and math.isfinite(clip) and clip >= 0)
    ok = _accepts(lambda: LMConfig(vocab_size=10, dropout=dropout))
    assert ok == (math.isfinite(dropout) and 0 <= dropout < 1)


@settings(max_examples=200, deadline=None)
@given(temperature=finite_or_not, top_p=finite_or_not, penalty=finite_or_not)
def test_generate_config_accepts_exactly_finite_in_range_values(temperature: float, top_p: float, penalty: float) -> None:
    from wordseq.generation import GenerateConfig

    ok = _accepts(lambda: GenerateConfig(temperature=temperature, top_p=top_p, length_penalty=penalty))
    assert ok == (math.isfinite(temperature) and temperature > 0 and math.isfinite(top_p) and 0 < top_p <= 1
                  and math.isfinite(penalty) and penalty >= 0)


@settings(max_examples=200, deadline=None)
@given(alpha=finite_or_not, sample=st.one_of(finite_or_not, st.floats(1e11, 1e14)))
def test_word2vec_config_accepts_exactly_finite_in_range_values(alpha: float, sample: float) -> None:
    from wordseq.embeddings.config import Word2VecConfig

    ok = _accepts(lambda: Word2VecConfig(alpha=alpha, sample=sample, min_alpha=0.0))
    assert ok == (math.isfinite(alpha) and 0 < alpha <= 1 and math.isfinite(sample) and 0 <= sample <= 1e12)
