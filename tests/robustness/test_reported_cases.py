"""Each case of the pipeline / bad-input report that the input and option matrices do not
already cover, as a test that failed before its fix."""

from __future__ import annotations

import gzip
import json
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result

from tests.robustness.conftest import SMALL_LM, TEXT, snapshot


def run(args: Sequence[str | Path], input: str | None = None) -> Result:
    from wordseq.cli import cli

    return CliRunner().invoke(cli, [str(a) for a in args], input=input, catch_exceptions=False)


def _vectors_file(tmp_path: Path, body: str, name: str = "v.vec") -> Path:
    path = tmp_path / name
    path.write_text(body)
    return path


def test_vectors_import_reads_compressed_files(tmp_path: Path) -> None:
    text = "3 2\nthe 0.1 0.2\ncat 0.3 0.4\ndog 0.5 0.6\n"
    gz = tmp_path / "v.vec.gz"
    gz.write_bytes(gzip.compress(text.encode()))
    assert run(["embeddings", "import", gz, "-o", "t"]).exit_code == 0
    assert run(["embeddings", "export", "t", tmp_path / "b.bin", "--format", "word2vec-bin"]).exit_code == 0
    bgz = tmp_path / "v.bin.gz"
    bgz.write_bytes(gzip.compress((tmp_path / "b.bin").read_bytes()))
    result = run(["embeddings", "import", bgz, "-o", "b"])
    assert result.exit_code == 0, result.output
    assert run(["similar", "cat", "-m", "b", "--topn", "1"]).stdout.startswith("dog\t")


def test_vectors_import_reports_duplicates_and_count_mismatch(tmp_path: Path) -> None:
    f = _vectors_file(tmp_path, "2 2\nthe 0.1 0.2\ncat 0.3 0.4\nthe 9 9\n")
    result = run(["embeddings", "import", f, "-o", "d"])
    assert result.exit_code == 0
    assert "1 word(s) appear twice ('the')" in result.stderr
    assert "the header announces 2 vectors but the file holds 3" in result.stderr
    assert run(["embeddings", "export", "d", "-"]).stdout == "2 2\nthe 0.100000001 0.200000003\ncat 0.300000012 0.400000006\n"


def test_vectors_import_limit_keeps_the_first_vectors(tmp_path: Path) -> None:
    f = _vectors_file(tmp_path, "3 2\nthe 0.1 0.2\ncat 0.3 0.4\ndog 0.5 0.6\n")
    assert run(["embeddings", "import", f, "-o", "l", "--limit", "2"]).exit_code == 0
    assert run(["embeddings", "export", "l", "-"]).stdout.splitlines()[0] == "2 2"


def test_a_header_claiming_a_billion_vectors_costs_nothing(tmp_path: Path) -> None:
    import resource

    f = _vectors_file(tmp_path, "1000000000 300\n" + "".join(f"w{i} " + " ".join(["0.5"] * 300) + "\n" for i in range(50)))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = run(["embeddings", "import", f, "-o", "h"])
    grew_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert result.exit_code == 0 and "announces 1,000,000,000 vectors but the file holds 50" in result.stderr
    assert grew_mb < 200  # gensim preallocated 7.9 GB from this header


def test_vocab_show_refuses_negative_counts_and_empty_files(tmp_path: Path) -> None:
    neg = tmp_path / "neg.tsv"
    neg.write_text("<pad>\t0\n<unk>\t0\n<s>\t1\n</s>\t1\nthe\t-5\n")
    result = run(["vocab", "show", neg])
    assert result.exit_code == 1 and "line 5" in result.stderr
    empty = tmp_path / "empty.tsv"
    empty.write_text("")
    assert run(["vocab", "show", empty]).exit_code == 1


def test_an_empty_vocabulary_is_an_error_not_a_model(tmp_path: Path, wordseq_home: Path) -> None:
    corpus = tmp_path / "c.txt"
    corpus.write_text(TEXT)
    result = run(["vocab", "build", corpus, "--min-count", "100000"])
    assert result.exit_code == 1 and "lower --min-count" in result.stderr
    result = run(["lm", "train", corpus, "--min-count", "100000", *SMALL_LM])
    assert result.exit_code == 1 and "lower --min-count" in result.stderr
    assert not (wordseq_home / "lm" / "default").exists()


def test_an_empty_test_file_is_refused_before_training(tmp_path: Path, models: dict[str, Path]) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n")
    result = run(["lm", "train", models["corpus"], "--test", empty, *SMALL_LM])
    assert result.exit_code == 1 and "test text has no tokens" in result.stderr and "epoch" not in result.stderr


def test_text_the_model_cannot_read_is_an_error_for_every_model_kind(tmp_path: Path, models: dict[str, Path]) -> None:
    cjk = tmp_path / "cjk.txt"
    cjk.write_text("日本語の文章です\n中文句子\n")
    cyrillic = tmp_path / "ru.txt"
    cyrillic.write_text("Все люди рождаются свободными\n")
    cases: list[tuple[str, list[str | Path]]] = [("lm", ["lm", "eval", cjk, "-m", models["char"]]),
                                                 ("lm-word", ["lm", "eval", cyrillic, "-m", models["lm"]]),
                                                 ("ngram", ["ngram", "eval", cyrillic, "-m", models["ngram"]])]
    for kind, args in cases:
        result = run(args)
        assert result.exit_code == 1 and "is in the model's vocabulary" in result.stderr, (kind, result.output)
    # text without spaces between words has no word tokens at all: word models say so (--lang)
    for model in ("lm", "ngram"):
        result = run([model, "eval", cjk, "-m", models[model]])
        assert result.exit_code == 1 and result.stderr.count("\n") == 1, result.output
        assert "text in Japanese is written without spaces" in result.stderr and "--level char" in result.stderr


def test_a_high_oov_rate_warns_with_what_the_model_expects(tmp_path: Path, models: dict[str, Path]) -> None:
    text = tmp_path / "t.txt"
    text.write_text("the zebra ate the giraffe quickly .\n")
    result = run(["lm", "eval", text, "-m", models["lm"]])
    assert result.exit_code == 0
    assert "Warning:" in result.stderr and "expects word, lower" in result.stderr


def test_eval_commands_take_the_preprocessing_options(tmp_path: Path, models: dict[str, Path]) -> None:
    text = tmp_path / "t.txt"
    text.write_text("THE CAT SAT .\n")
    lowered = json.loads(run(["lm", "eval", text, "-m", models["lm"], "--json"]).stdout)
    cased = json.loads(run(["lm", "eval", text, "-m", models["lm"], "--json", "--no-lower"]).stdout)
    assert lowered["oov"] == 0 and cased["oov"] == 3


def test_lm_eval_per_line_keeps_one_line_per_input_line(models: dict[str, Path]) -> None:
    result = run(["lm", "eval", "-", "-m", models["lm"], "--per-line"], input="the cat\n\nthe dog sat\n")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 3 and lines[1].split("\t")[2] == "1"  # the blank line: </s> alone
    nl = run(["lm", "eval", "-", "-m", models["lm"], "--nl"], input="the cat\n\nthe dog sat\n")
    assert [json.loads(line)["line"] for line in nl.stdout.splitlines()] == [1, 2, 3]


def test_pretokenized_with_a_step_it_cannot_apply_is_a_usage_error(models: dict[str, Path]) -> None:
    result = run(["ngram", "train", models["corpus"], "--pretokenized", "--stem", "porter"])
    assert result.exit_code == 2 and "--pretokenized" in result.stderr


def test_a_diverging_training_saves_nothing(tmp_path: Path, models: dict[str, Path], wordseq_home: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    # before: NaN weights were saved as the model, and generate --beam then failed
    import torch

    from wordseq.neural.network import RNNModel

    forward = RNNModel.forward

    def nan_loss(self, idx, hidden, targets):  # type: ignore[no-untyped-def]
        loss, hidden = forward(self, idx, hidden, targets)
        return loss * torch.tensor(float("nan")), hidden

    monkeypatch.setattr(RNNModel, "forward", nan_loss)
    result = run(["lm", "train", models["corpus"], "-o", "nan", *SMALL_LM])
    assert result.exit_code == 1 and "training diverged" in result.stderr
    assert not (wordseq_home / "lm" / "nan").exists()


def test_figures_that_overflow_are_written_as_null(tmp_path: Path) -> None:
    from wordseq.store import new_meta, read_meta, save_model

    path = save_model(tmp_path / "m", new_meta("lm", training={"history": [{"valid_ppl": float("inf")}]}), lambda d: None)
    assert read_meta(path)["training"]["history"][0]["valid_ppl"] is None


def test_library_warnings_become_one_warning_line(capsys: pytest.CaptureFixture[str]) -> None:
    from wordseq.cli import _warnings_as_lines

    saved = warnings.showwarning
    try:
        _warnings_as_lines()
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            np.log(np.zeros(1))
            np.log(np.zeros(1))
    finally:
        warnings.showwarning = saved
    err = capsys.readouterr().err
    assert err == "Warning: divide by zero encountered in log\n"


def test_a_failed_command_leaves_the_store_as_it_was(models: dict[str, Path], wordseq_home: Path) -> None:
    run(["ngram", "train", models["corpus"], "-o", "keep", "--discount-fallback"])
    before = snapshot(wordseq_home)
    assert run(["ngram", "train", models["corpus"], "-o", "keep", "--order", "12"]).exit_code == 2
    assert snapshot(wordseq_home) == before
