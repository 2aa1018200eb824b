"""wordseq seq2seq train / eval / convert-cmudict and wordseq transduce, through the CLI."""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.conftest import DATA, assert_golden, invoke, plant_model
from tests.ctrl_c import CtrlCAfter
from tests.seq2seq_toy import one_thread, random_strings, reverse_pairs, write_pairs  # noqa: F401

TINY = ["--emb", "8", "--hidden", "16", "--batch-size", "16", "--dropout", "0", "--seed", "3"]


@pytest.fixture(scope="module")
def pairs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pairs")
    write_pairs(folder / "train.tsv", reverse_pairs(random_strings(120, 2, 5, seed=1, alphabet="abcd")))
    write_pairs(folder / "dev.tsv", reverse_pairs(random_strings(20, 2, 5, seed=2, alphabet="abcd")))
    return folder


@pytest.fixture(scope="module")
def trained(pairs_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("s2s") / "rev"
    result = invoke(CliRunner(), ["seq2seq", "train", str(pairs_dir / "train.tsv"), "--dev", str(pairs_dir / "dev.tsv"),
                                  "-o", str(out), *TINY, "--epochs", "2"])
    assert result.exit_code == 0, result.output
    return out


def test_train_writes_a_model_directory_with_history(trained: Path) -> None:
    assert {p.name for p in trained.iterdir()} >= {"meta.json", "model.safetensors", "resume.safetensors", "source_vocab.tsv",
                                                    "target_vocab.tsv"}
    meta = json.loads((trained / "meta.json").read_text())
    assert meta["kind"] == "seq2seq" and meta["complete"] is True
    assert set(meta["payload"]) == {"model.safetensors", "resume.safetensors", "source_vocab.tsv", "target_vocab.tsv"}
    assert meta["config"]["attention"] == "general" and meta["config"]["hidden"] == 16
    assert meta["preprocessing"]["source"]["level"] == "char" and meta["preprocessing"]["target"]["pretokenized"]
    history = meta["training"]["history"]
    assert [r["epoch"] for r in history] == [1, 2]
    assert history[1]["valid_loss"] < history[0]["valid_loss"]  # it learns
    assert {"train_loss", "valid_loss", "valid_wer", "valid_ter", "lr", "tokens_per_s"} <= set(history[0])
    assert meta["corpus"][0]["sha256"] and meta["training"]["dev"]["pairs"] == 20


def test_train_shows_epochs_on_stderr_and_nothing_on_stdout(pairs_dir: Path, runner: CliRunner) -> None:
    result = invoke(runner, ["seq2seq", "train", str(pairs_dir / "train.tsv"), "-o", "r", *TINY, "--epochs", "1",
                             "--attention", "additive", "--encoder", "gru", "--decoder", "gru", "--dev-percent", "20"])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "| epoch   1 | train loss" in result.stderr and "WER" in result.stderr and "held-out 20%" in result.stderr


def test_eval_prints_named_figures_and_json(trained: Path, pairs_dir: Path, runner: CliRunner) -> None:
    result = invoke(runner, ["seq2seq", "eval", str(pairs_dir / "dev.tsv"), "-m", str(trained)])
    assert result.exit_code == 0
    names = [line.split("\t")[0] for line in result.stdout.splitlines()]
    assert names == ["sources", "pairs", "exact_match", "word_error_rate", "token_error_rate", "bleu"]
    doc = json.loads(invoke(runner, ["seq2seq", "eval", str(pairs_dir / "dev.tsv"), "-m", str(trained), "--beam", "3",
                                     "--json"]).stdout)
    assert doc["pairs"] == 20 and doc["beam"] == 3 and doc["model"] == str(trained)
    assert doc["word_error_rate"] == pytest.approx(1 - doc["exact_match"])


def test_transduce_gives_one_line_per_input_line_blank_lines_included(trained: Path, runner: CliRunner) -> None:
    text = "abc\n\n   \ndcba\nzz\n"
    result = invoke(runner, ["transduce", "-m", str(trained), "--batch-size", "2"], input=text)
    assert result.exit_code == 0
    lines = result.stdout.split("\n")
    assert len(lines) == 6 and lines[-1] == ""  # five lines, each ended by a newline
    assert lines[1] == "" and lines[2] == ""
    assert all(lines[i] for i in (0, 3, 4))  # unknown characters still give an output
    streamed = invoke(runner, ["transduce", "-m", str(trained), "--batch-size", "1"], input=text)
    assert streamed.stdout == result.stdout


def test_transduce_n_best_and_json(trained: Path, tmp_path: Path, runner: CliRunner) -> None:
    f = tmp_path / "in.txt"
    f.write_text("abc\n\nbd\n")
    result = invoke(runner, ["transduce", str(f), "-m", str(trained), "--beam", "3", "--num", "2"])
    lines = result.stdout.splitlines()
    assert len(lines) == 3 and len(lines[0].split("\t")) == 2 and lines[1] == ""
    nl = [json.loads(line) for line in invoke(runner, ["transduce", str(f), "-m", str(trained), "--nl"]).stdout.splitlines()]
    assert [d["source"] for d in nl] == ["abc", "", "bd"] and nl[1]["outputs"] == []
    assert {"text", "tokens", "logprob", "score", "finished"} == set(nl[0]["outputs"][0])
    doc = json.loads(invoke(runner, ["transduce", str(f), "-m", str(trained), "--json", "--beam", "2"]).stdout)
    assert doc["beam"] == 2 and len(doc["results"]) == 3


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("ab\tb a\nab b a\n", "line 2: expected 'source<TAB>target', found no tab"),
        ("ab\tb a\n\tb a\n", "line 2: the source (before the tab) is empty"),
    ],
)
def test_bad_pairs_give_one_error_line_with_file_and_line(content: str, message: str, tmp_path: Path,
                                                          runner: CliRunner, trained: Path) -> None:
    bad = tmp_path / "bad.tsv"
    bad.write_text(content)
    for args in (["seq2seq", "train", str(bad), "-o", "x", *TINY], ["seq2seq", "eval", str(bad), "-m", str(trained)]):
        result = invoke(runner, args)
        assert result.exit_code == 1
        assert result.stderr == f"Error: {bad}: {message}\n"


def test_interrupted_training_keeps_its_state_and_resume_finishes_it(pairs_dir: Path, tmp_path: Path,
                                                                      runner: CliRunner) -> None:
    from wordseq.seq2seq import train_seq2seq
    from wordseq.training import Interrupted

    out = tmp_path / "interrupted"
    args = dict(epochs=2, emb=8, hidden=16, batch_size=16, seed=3)
    with pytest.raises(Interrupted, match="interrupted in epoch 1: saved to"):
        train_seq2seq(str(pairs_dir / "train.tsv"), str(pairs_dir / "dev.tsv"), output=out, reporter=CtrlCAfter(3),
                      **args)
    meta = json.loads((out / "meta.json").read_text())
    assert meta["complete"] is False and meta["training"]["history"] == []
    result = invoke(runner, ["seq2seq", "train", str(pairs_dir / "train.tsv"), "--dev", str(pairs_dir / "dev.tsv"),
                             "-o", str(out), "--resume", "--epochs", "2", "--seed", "3", "--batch-size", "16"])
    assert result.exit_code == 0, result.output
    assert "resuming" in result.stderr
    meta = json.loads((out / "meta.json").read_text())
    assert meta["complete"] is True and len(meta["training"]["history"]) == 2
    # a second interrupted run keeps the finished model and puts its state beside it
    with pytest.raises(Interrupted, match="the finished model at .* is kept"):
        train_seq2seq(str(pairs_dir / "train.tsv"), str(pairs_dir / "dev.tsv"), output=out, reporter=CtrlCAfter(2),
                      **args)
    assert json.loads((out / "meta.json").read_text())["complete"] is True
    assert (tmp_path / ".interrupted.partial" / "resume.safetensors").is_file()


def test_resume_without_a_saved_training_is_an_error(pairs_dir: Path, runner: CliRunner) -> None:
    result = invoke(runner, ["seq2seq", "train", str(pairs_dir / "train.tsv"), "-o", "never", "--resume"])
    assert result.exit_code == 1 and "nothing to resume" in result.stderr


def test_plot_attention_writes_a_picture(trained: Path, tmp_path: Path, runner: CliRunner) -> None:
    pytest.importorskip("matplotlib")
    picture = tmp_path / "attn.png"
    result = invoke(runner, ["transduce", "-m", str(trained), "--plot-attention", "abcd", "-o", str(picture)])
    assert result.exit_code == 0, result.output
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert result.stdout == "" and "abcd → " in result.stderr
    svg = tmp_path / "attn.svg"
    invoke(runner, ["transduce", "-m", str(trained), "--plot-attention", "abcd", "-o", str(svg)])
    assert b"<svg" in svg.read_bytes()[:500]


def test_plot_attention_without_matplotlib_names_the_extra(trained: Path, tmp_path: Path, runner: CliRunner,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # 'import matplotlib' raises ImportError
    result = invoke(runner, ["transduce", "-m", str(trained), "--plot-attention", "abcd", "-o", str(tmp_path / "a.png")])
    assert result.exit_code == 1
    assert result.stderr == "Error: pictures need matplotlib: pip install 'wordseq[plot]'\n"


def test_plot_attention_draws_one_text(trained: Path, runner: CliRunner, tmp_path: Path) -> None:
    result = invoke(runner, ["transduce", "in.txt", "-m", str(trained), "--plot-attention", "abcd"])
    assert result.exit_code == 2 and "give no FILES" in result.stderr


def test_transduce_writes_to_a_file_with_dash_o(trained: Path, runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    result = invoke(runner, ["transduce", "-m", str(trained), "-o", str(out)], input="abc\n\nbd\n")
    assert result.exit_code == 0 and result.stdout == ""
    assert out.read_text().count("\n") == 3


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["seq2seq", "train", "{train}", "-o", "bad"], ["--dropout", "nan"]),
        (["seq2seq", "train", "{train}", "-o", "bad"], ["--lr", "0"]),
        (["seq2seq", "train", "{train}", "-o", "bad"], ["--teacher-forcing", "1.5"]),
        (["seq2seq", "train", "{train}", "-o", "bad"], ["--hidden", "0"]),
        (["seq2seq", "train", "{train}", "-o", "bad"], ["--encoder-layers", "1000"]),
        (["seq2seq", "eval", "{train}", "-m", "{model}"], ["--beam", "0"]),
        (["transduce", "-m", "{model}"], ["--beam", "100000000"]),
        (["transduce", "-m", "{model}"], ["--length-penalty", "nan"]),
        (["transduce", "-m", "{model}"], ["--max-tokens", "0"]),
        (["seq2seq", "convert-cmudict", "{train}", "-o", "{tmp}"], ["--test-percent", "100"]),
    ],
)
def test_bad_option_values_are_usage_errors_naming_the_option(args: list[str], option: list[str], trained: Path,
                                                              pairs_dir: Path, tmp_path: Path, runner: CliRunner,
                                                              wordseq_home: Path) -> None:
    filled = [a.format(train=pairs_dir / "train.tsv", model=trained, tmp=tmp_path / "g2p") for a in args]
    result = invoke(runner, [*filled, *option], input="abc\n")
    assert result.exit_code == 2, result.output
    assert option[0] in result.stderr and "Traceback" not in result.output
    assert not (wordseq_home / "seq2seq").exists() and not (tmp_path / "g2p").exists()


def test_a_planted_pickle_with_matching_checksums_is_refused(trained: Path, tmp_path: Path, runner: CliRunner) -> None:
    import pickle

    class Planted:
        def __reduce__(self):  # type: ignore[no-untyped-def]
            return (Path.touch, (tmp_path / "code-ran",))

    files = {p.name: p.read_bytes() for p in trained.iterdir() if p.name in
             ("source_vocab.tsv", "target_vocab.tsv", "resume.safetensors")}
    files["model.safetensors"] = pickle.dumps(Planted())
    meta = json.loads((trained / "meta.json").read_text())
    planted = plant_model(tmp_path / "planted", "seq2seq", files, preprocessing=meta["preprocessing"],
                          config=meta["config"])
    result = invoke(runner, ["transduce", "-m", str(planted)], input="abc\n")
    assert result.exit_code == 1
    assert "model.safetensors is not a safetensors file" in result.stderr and not (tmp_path / "code-ran").exists()
    # a payload changed after saving is caught by its checksum before anything reads it
    (planted / "model.safetensors").write_bytes((trained / "model.safetensors").read_bytes())
    result = invoke(runner, ["transduce", "-m", str(planted)], input="abc\n")
    assert result.exit_code == 1 and "does not match the checksum" in result.stderr


def test_convert_cmudict_prints_the_parts_it_wrote(tmp_path: Path, runner: CliRunner) -> None:
    small = tmp_path / "cmu.gz"
    with gzip.open(DATA / "cmudict-0.7a.gz", "rb") as fh:
        head = b"".join(next(fh) for _ in range(400))
    small.write_bytes(gzip.compress(head))
    result = invoke(runner, ["seq2seq", "convert-cmudict", str(small), "-o", str(tmp_path / "g2p")])
    assert result.exit_code == 0
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert [r[0] for r in rows] == ["train", "dev", "test"]
    assert sum(int(r[2]) for r in rows) == sum(1 for _ in open(tmp_path / "g2p" / "train.tsv")) + sum(
        1 for _ in open(tmp_path / "g2p" / "dev.tsv")) + sum(1 for _ in open(tmp_path / "g2p" / "test.tsv"))
    first = (tmp_path / "g2p" / "train.tsv").read_text().splitlines()[0]
    assert first == "a\tAH"
    assert_golden("cmudict400_parts.tsv", result.stdout.replace(str(tmp_path), "OUT"))
    for part in ("train", "dev", "test"):
        assert_golden(f"cmudict400_{part}.tsv", (tmp_path / "g2p" / f"{part}.tsv").read_text())


def test_python_api_trains_from_memory_and_loads_by_name(pairs_dir: Path) -> None:
    import wordseq
    from wordseq.store import find_model

    pairs = reverse_pairs(random_strings(60, 2, 4, seed=5, alphabet="abc"))
    model = wordseq.train_seq2seq(pairs, pairs[:10], output="api", epochs=1, emb=8, hidden=16, batch_size=16)
    assert [t.source for t in model.transduce(["abc", "ba"])] == ["abc", "ba"]
    assert model.path == find_model("api", "seq2seq")[0] and model.training["epochs_done"] == 1
    for again in (wordseq.load_seq2seq(*find_model("api", "seq2seq"), device="cpu"), wordseq.load("api"),
                  wordseq.load("seq2seq/api")):
        assert again.transduce("abc")[0].text == model.transduce("abc")[0].text
    with pytest.raises(TypeError, match="unknown option"):
        wordseq.train_seq2seq(pairs, epochs=1, hiden=3)


def test_cosine_schedule_runs_the_learning_rate_down_to_zero(pairs_dir: Path) -> None:
    from wordseq.seq2seq import train_seq2seq

    model = train_seq2seq(str(pairs_dir / "train.tsv"), str(pairs_dir / "dev.tsv"), epochs=2, patience=0, emb=8,
                          hidden=16, batch_size=16, lr=0.01, lr_schedule="cosine")
    first, last = (r["lr"] for r in model.training["history"])
    assert first == pytest.approx(0.005, rel=0.25)  # half-way through the cosine after one of two epochs
    assert last < 0.001


def test_same_seed_same_model_and_teacher_forcing_below_one_trains(pairs_dir: Path) -> None:
    import torch

    from wordseq.seq2seq import train_seq2seq

    def weights(**options: Any) -> dict[str, torch.Tensor]:
        model = train_seq2seq(str(pairs_dir / "train.tsv"), str(pairs_dir / "dev.tsv"), epochs=1, emb=8, hidden=16,
                              batch_size=16, **options)
        return model.net.state_dict()

    a, b = weights(seed=7, teacher_forcing=0.5), weights(seed=7, teacher_forcing=0.5)
    assert all(torch.equal(a[k], b[k]) for k in a)
    c = weights(seed=8, teacher_forcing=0.5)
    assert not all(torch.equal(a[k], c[k]) for k in a)


def test_plot_attention_without_o_writes_a_file_not_the_terminal(trained: Path, tmp_path: Path, runner: CliRunner,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("matplotlib")
    monkeypatch.chdir(tmp_path)
    result = invoke(runner, ["transduce", "-m", str(trained), "--plot-attention", "abcd"])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""  # no PNG bytes where a terminal may be
    assert (tmp_path / "attention.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "attention drawn to attention.png" in result.stderr


def test_plot_attention_refuses_a_terminal_as_output(trained: Path, runner: CliRunner,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from wordseq.cli import seq2seq as cli_seq2seq

    monkeypatch.setattr(cli_seq2seq, "_stdout_is_terminal", lambda: True)
    result = invoke(runner, ["transduce", "-m", str(trained), "--plot-attention", "abcd", "-o", "-"])
    assert result.exit_code == 2 and "a picture is not sent to a terminal" in result.stderr
    assert result.stdout == ""


def test_threads_sets_torchs_threads_for_the_run(pairs_dir: Path, runner: CliRunner, thread_settings: list[int]) -> None:
    result = invoke(runner, ["seq2seq", "train", str(pairs_dir / "train.tsv"), "-o", "t", *TINY, "--epochs", "1",
                             "--threads", "1"])
    assert result.exit_code == 0, result.output
    assert thread_settings == [1, 1]  # the run's, then back to the tests' one thread
