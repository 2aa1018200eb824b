"""wordseq classify train / eval / predict through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from classify_toy import sentiment_pairs
from click.testing import CliRunner
from conftest import invoke

SMALL = ["--emb", "16", "--hidden", "16", "--batch-size", "16", "--threads", "1", "--lr", "0.01"]


@pytest.fixture(scope="module")
def tsv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cls") / "train.tsv"
    path.write_text("".join(f"{label}\t{text}\n" for label, text in sentiment_pairs(200, seed=1)), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def model(tsv: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("clsmodel") / "m"
    result = invoke(CliRunner(), ["classify", "train", str(tsv), "-o", str(out), "--encoder", "bow", "--epochs", "5",
                                  "--patience", "0", *SMALL])
    assert result.exit_code == 0, result.output
    return out


def test_train_prints_validation_accuracy_and_logs_epochs(model: Path, tsv: Path, runner: CliRunner) -> None:
    result = invoke(runner, ["classify", "train", str(tsv), "-o", "named", "--encoder", "gru", "--epochs", "2", *SMALL])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("valid_accuracy\t") and len(result.stdout.splitlines()) == 1
    assert "epoch  1" in result.stderr and "valid loss" in result.stderr and "saved" in result.stderr
    meta = json.loads((model / "meta.json").read_text())
    assert meta["kind"] == "classifier" and meta["config"]["labels"] == ["neg", "pos"]
    assert meta["corpus"][0]["sha256"] and len(meta["training"]["history"]) == 5


def test_predict_keeps_one_line_per_input_line_blank_lines_included(model: Path, tmp_path: Path, runner: CliRunner) -> None:
    lines = ["a lovely film", "", "the plot was dull", "   ", "superb", ""]
    text = tmp_path / "in.txt"
    text.write_text("\n".join(lines) + "\n")
    result = invoke(runner, ["classify", "predict", str(text), "-m", str(model), "--batch-size", "4"])
    assert result.exit_code == 0, result.output
    out = result.stdout.splitlines()
    assert len(out) == len(lines)
    assert [o.split("\t")[0] for o in out[:5:2]] == ["pos", "neg", "pos"]
    assert all(len(o.split("\t")) == 2 and 0.5 <= float(o.split("\t")[1]) <= 1 for o in out)
    assert out[1] == out[3] == out[5]  # blank lines: the prediction for an empty text


def test_predict_nl_all_probs_and_explain(model: Path, runner: CliRunner) -> None:
    result = invoke(runner, ["classify", "predict", "-m", str(model), "--nl", "--all-probs", "--explain"],
                    input="good\n\nthe cast was awful\n")
    docs = [json.loads(line) for line in result.stdout.splitlines()]
    assert [d["line"] for d in docs] == [1, 2, 3] and docs[0]["file"] == "-"
    assert set(docs[0]["probabilities"]) == {"neg", "pos"}
    assert docs[2]["explanation"]["tokens"] == ["the", "cast", "was", "awful"]
    assert docs[1]["explanation"]["tokens"] == []
    plain = invoke(runner, ["classify", "predict", "-m", str(model), "--all-probs", "--explain"], input="awful\n")
    label, prob, neg, pos, why = plain.stdout.rstrip("\n").split("\t")
    assert label == "neg" and neg.startswith("neg=") and pos.startswith("pos=") and why.startswith("awful=+")


def test_eval_prints_figures_table_and_confusion(model: Path, tsv: Path, runner: CliRunner) -> None:
    result = invoke(runner, ["classify", "eval", str(tsv), "-m", str(model)])
    lines = result.stdout.splitlines()
    assert lines[0] == "examples\t200" and lines[1].startswith("accuracy\t") and lines[2].startswith("macro_f1\t")
    assert lines[3] == "class\tprecision\trecall\tf1\tsupport" and lines[4].startswith("neg\t")
    assert lines[6] == "true\\predicted\tneg\tpos" and len(lines) == 9
    doc = json.loads(invoke(runner, ["classify", "eval", str(tsv), "-m", str(model), "--json"]).stdout)
    assert doc["accuracy"] > 0.8 and sum(map(sum, doc["confusion"]["rows_true_columns_predicted"])) == 200


def test_cross_validation_prints_folds_and_mean(tsv: Path, runner: CliRunner) -> None:
    result = invoke(runner, ["classify", "train", str(tsv), "--cv", "3", "--encoder", "bow", "--epochs", "1", *SMALL])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "fold\taccuracy\tmacro_f1\tbest_epoch\tseconds\tcpu_seconds" and lines[4].startswith("mean\t")
    assert "3-fold cross-validation" in result.stderr


def test_class_pairs_train(tmp_path: Path, runner: CliRunner) -> None:
    pos, neg = tmp_path / "pos.txt", tmp_path / "neg.txt"
    pos.write_text("good\nfine film\ngreat\nlovely\n")
    neg.write_text("bad\ndull film\nawful\npoor\n")
    result = invoke(runner, ["-q", "classify", "train", "--class", f"pos={pos}", "--class", f"neg={neg}",
                             "--encoder", "bow", "--epochs", "1", "--valid-fraction", "0.25", *SMALL])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("content,args,message", [
    ("id\ttext\tlabel\n1\tgood\tpos\n", ["--label-col", "stars", "--text-col", "text"],
     "train.tsv: line 1: unknown label column 'stars'; the header has: 'id', 'text', 'label'"),
    ("pos\tgood\npos\tfine\n", [], "every text has the label 'pos'; a classifier needs at least two classes"),
    ("pos\tgood\nneg\t\n", [], "train.tsv: line 2: empty text (label 'neg')"),
    ("pos\tgood\nneg bad\n", [], "train.tsv: line 2: no tab; expected label<TAB>text"),
])
def test_bad_training_data_gives_one_error_line(content: str, args: list[str], message: str, tmp_path: Path,
                                                runner: CliRunner) -> None:
    data = tmp_path / "train.tsv"
    data.write_text(content)
    result = invoke(runner, ["classify", "train", str(data), *args])
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error: ") and message in result.stderr


def test_usage_errors_and_unknown_labels(model: Path, tmp_path: Path, runner: CliRunner) -> None:
    assert invoke(runner, ["classify", "train", "x.tsv", "--dropout", "1.5"]).exit_code == 2
    assert invoke(runner, ["classify", "train", "x.tsv", "--encoder", "cnn"]).exit_code == 2
    result = invoke(runner, ["classify", "train", "x.tsv", "--workers", "2"])
    assert result.exit_code == 2 and "--workers" in result.stderr and "--cv" in result.stderr
    data = tmp_path / "t.tsv"
    data.write_text("pos\tgood\nmeh\tso so\n")
    result = invoke(runner, ["classify", "eval", str(data), "-m", str(model)])
    assert result.exit_code == 1 and "t.tsv: line 2: label 'meh' is not one the model knows (neg, pos)" in result.stderr
    result = invoke(runner, ["classify", "predict", "-m", "nothing-here"], input="x\n")
    assert result.exit_code == 1 and "no classifier model named 'nothing-here'" in result.stderr


def test_predict_empty_input_gives_no_lines_and_bad_input_one_error(model: Path, tmp_path: Path, runner: CliRunner) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    result = invoke(runner, ["classify", "predict", str(empty), "-m", str(model)])
    assert result.exit_code == 0 and result.stdout == ""
    binary = tmp_path / "bin.txt"
    binary.write_bytes(b"good\n\x00\x01ELF\n")
    result = invoke(runner, ["classify", "predict", str(binary), "-m", str(model)])
    assert result.exit_code == 1 and result.stderr.startswith("Error: ") and "line 2: NUL byte" in result.stderr


def test_predict_reads_pretokenized_text_when_told(model: Path, runner: CliRunner) -> None:
    result = invoke(runner, ["classify", "predict", "-m", str(model), "--pretokenized", "--nl", "--explain"],
                    input="LOVELY,film\n")
    doc = json.loads(result.stdout)
    assert doc["explanation"]["tokens"] == ["lovely,film"]  # split on spaces only, lowercased


@pytest.fixture(scope="module")
def tagged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from classify_toy import negated_lines

    path = tmp_path_factory.mktemp("tagged") / "train.txt"
    path.write_text("\n".join(negated_lines(300, seed=1)) + "\n", encoding="utf-8")
    return path


def test_nbsvm_multi_label_on_fasttext_lines_and_predict_k_threshold(tagged: Path, tmp_path: Path,
                                                                       runner: CliRunner) -> None:
    out = tmp_path / "tags"
    result = invoke(runner, ["classify", "train", str(tagged), "--encoder", "nbsvm", "--multi-label", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "fitted again on all 300 texts" in result.stderr
    text = "the plot was never dull\na superb story\n\n"
    lines = invoke(runner, ["classify", "predict", "-m", str(out)], input=text).stdout.split("\n")[:-1]
    assert len(lines) == 3
    cells = lines[0].split("\t")  # every label at least 0.5 probable, most probable first
    assert len(cells) == 4 and "negated" in cells[::2] and all(float(p) >= 0.5 for p in cells[1::2])
    assert lines[1].split("\t")[0] == "pos" and len(lines[1].split("\t")) == 2
    top = invoke(runner, ["classify", "predict", "-m", str(out), "-k", "1", "--threshold", "0"], input=text).stdout
    assert [len(line.split("\t")) for line in top.splitlines()] == [2, 2, 2]
    none = invoke(runner, ["classify", "predict", "-m", str(out), "--threshold", "1"], input=text).stdout
    assert none == "\n\n\n"  # one line per input line, with no label that probable
    doc = json.loads(invoke(runner, ["classify", "predict", "-m", str(out), "--nl", "-k", "2"], input="superb\n").stdout)
    assert [label for label, _ in doc["labels"]][0] == doc["label"] == "pos" and len(doc["labels"]) <= 2
    figures = invoke(runner, ["classify", "eval", str(tagged), "-m", str(out)]).stdout.splitlines()
    assert figures[0] == "examples\t300" and figures[1].startswith("exact_match\t") and figures[3].startswith("micro_f1\t")


def test_single_label_predict_k_prints_label_probability_pairs(model: Path, runner: CliRunner) -> None:
    result = invoke(runner, ["classify", "predict", "-m", str(model), "-k", "2"], input="lovely\n")
    label1, p1, label2, p2 = result.stdout.rstrip("\n").split("\t")
    assert (label1, label2) == ("pos", "neg") and float(p1) + float(p2) == pytest.approx(1, abs=1e-3)


@pytest.mark.parametrize("encoder", ["nbsvm", "fasttext"])
def test_linear_encoders_cross_validate_and_explain_from_the_cli(encoder: str, tsv: Path, tmp_path: Path,
                                                                 runner: CliRunner) -> None:
    result = invoke(runner, ["classify", "train", str(tsv), "--cv", "3", "--encoder", encoder, "--threads", "1"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[4].startswith("mean\t") and f"cross-validation of {encoder}" in result.stderr
    out = tmp_path / encoder
    assert invoke(runner, ["classify", "train", str(tsv), "--encoder", encoder, "-o", str(out), "--threads", "1"]).exit_code == 0
    doc = json.loads(invoke(runner, ["classify", "predict", "-m", str(out), "--nl", "--explain"], input="a superb film\n").stdout)
    assert doc["label"] == "pos" and doc["explanation"]["method"] == "linear" and "bias" in doc["explanation"]
    # a linear model predicts from its arrays alone: no torch loaded (seconds a call), nor
    # the scipy.stats and scikit-learn NLTK would load (seconds more)
    import subprocess
    import sys

    code = ("import runpy, sys\nsys.argv = ['wordseq', 'classify', 'predict', '-m', sys.argv[1], '--nl']\n"
            "try:\n    runpy.run_module('wordseq', run_name='__main__')\nexcept SystemExit:\n    pass\n"
            "print([m for m in ('torch', 'scipy.stats', 'sklearn') if sys.modules.get(m) is not None], file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", code, str(out)], input="a superb film , it's true .\n", capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0 and json.loads(proc.stdout)["label"] == "pos", proc.stderr[-2000:]
    assert proc.stderr.splitlines()[-1] == "[]", proc.stderr[-2000:]
