"""`models export --format hf` and `models import`: a folder other tools read, and back."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from tests.conftest import invoke
from tests.robustness.conftest import snapshot

LEGACY = Path(__file__).parent / "data" / "legacy-0.2"
TEXT = "the cat sat on the mat .\nthe dog sat on the log .\na cat and a dog met .\n" * 30
PAIRS = "".join(f"{w}\t{' '.join(reversed(w))}\n" for w in ("cat", "dog", "mat", "log", "sat", "met", "and", "the") * 8)
EVAL = {"lm": ["lm", "eval", "{corpus}"], "classifier": ["classify", "eval", "{labelled}"],
        "seq2seq": ["seq2seq", "eval", "{pairs}"]}


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("hf")
    paths = {"corpus": root / "corpus.txt", "labelled": root / "labelled.tsv", "pairs": root / "pairs.tsv"}
    paths["corpus"].write_text(TEXT)
    paths["labelled"].write_text("".join(f"{'pos' if 'dog' in s else 'neg'}\t{s}\n" for s in TEXT.splitlines()))
    paths["pairs"].write_text(PAIRS)
    runner = CliRunner()
    for kind, args in (("lm", ["lm", "train", str(paths["corpus"]), "--layers", "2", "--emb", "8", "--hidden", "8",
                               "--bptt", "8", "--batch-size", "4", "--epochs", "1"]),
                       ("classifier", ["classify", "train", str(paths["labelled"]), "--encoder", "bow", "--emb", "8",
                                       "--epochs", "2"]),
                       ("seq2seq", ["seq2seq", "train", str(paths["pairs"]), "--emb", "8", "--hidden", "8",
                                    "--batch-size", "8", "--epochs", "1", "--dev-percent", "30"])):
        paths[kind] = root / kind
        result = invoke(runner, [*args, "-o", str(paths[kind]), "-q"])
        assert result.exit_code == 0, result.output
    return paths


def _figures(runner: CliRunner, kind: str, model: str, models: dict[str, Path]) -> dict:
    args = [a.format(**{k: str(v) for k, v in models.items()}) for a in EVAL[kind]]
    result = invoke(runner, [*args, "-m", model, "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    figures.pop("model")
    return figures


@pytest.mark.parametrize("kind", list(EVAL))
def test_export_then_import_gives_identical_eval_figures(kind: str, models: dict[str, Path], tmp_path: Path,
                                                         runner: CliRunner) -> None:
    out = tmp_path / f"{kind}-hf"
    result = invoke(runner, ["models", "export", str(models[kind]), "--format", "hf", "-o", str(out)])
    assert result.exit_code == 0, result.output
    files = {p.name for p in out.iterdir()}
    assert {"model.safetensors", "config.json", "README.md"} <= files and not any(f.startswith("resume") for f in files)
    config = json.loads((out / "config.json").read_text())
    assert config["library_name"] == "wordseq" and config["model_type"] == f"wordseq-{kind}"
    assert (out / "README.md").read_text().startswith("---\nlibrary_name: wordseq")

    result = invoke(runner, ["models", "import", str(out), "-o", "back"])
    assert result.exit_code == 0, result.output
    assert _figures(runner, kind, f"{kind}/back", models) == _figures(runner, kind, str(models[kind]), models)


def test_the_weights_carry_state_dict_names_for_other_tools(models: dict[str, Path], tmp_path: Path,
                                                             runner: CliRunner) -> None:
    from safetensors.torch import load_file

    import wordseq

    out = tmp_path / "lm-hf"
    assert invoke(runner, ["models", "export", str(models["lm"]), "--format", "hf", "-o", str(out)]).exit_code == 0
    weights = load_file(str(out / "model.safetensors"))
    state = wordseq.load(str(models["lm"]), device="cpu").model.state_dict()
    assert set(weights) <= set(state) and len(weights) >= len(state) - 1  # a tied output matrix is stored once
    for name, tensor in weights.items():
        assert torch.equal(tensor, state[name])


def test_tokenizer_json_gives_wordseqs_ids(models: dict[str, Path], tmp_path: Path, runner: CliRunner) -> None:
    import wordseq

    Tokenizer = pytest.importorskip("tokenizers").Tokenizer  # not a wordseq dependency: a reader's

    out = tmp_path / "c-hf"
    assert invoke(runner, ["models", "export", str(models["classifier"]), "--format", "hf", "-o", str(out)]).exit_code == 0
    tokenizer = Tokenizer.from_file(str(out / "tokenizer.json"))
    clf = wordseq.load(str(models["classifier"]), device="cpu")
    text = "The dog sat on the unseen-word mat ."
    assert tokenizer.encode("the dog sat on the zebra mat .").ids == clf.vocab.encode("the dog sat on the zebra mat .".split())
    assert tokenizer.encode(text).tokens[:3] == ["the", "dog", "sat"]


def test_a_model_of_wordseq_0_2_exports_too(tmp_path: Path, runner: CliRunner) -> None:
    model = shutil.copytree(LEGACY / "lm", tmp_path / "old")
    result = invoke(runner, ["models", "export", str(model), "--format", "hf", "-o", str(tmp_path / "hf")])
    assert result.exit_code == 0, result.output
    assert invoke(runner, ["models", "import", str(tmp_path / "hf")]).exit_code == 0


def test_export_refuses_what_it_did_not_write(models: dict[str, Path], tmp_path: Path, runner: CliRunner) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "notes.txt").write_text("keep me")
    a_file = tmp_path / "file"
    a_file.write_text("x")
    before = snapshot(tmp_path)
    for target, says in ((project, "not a wordseq export"), (a_file, "is not a folder"),
                         (tmp_path / "missing" / "out", "does not exist")):
        result = invoke(runner, ["models", "export", str(models["lm"]), "--format", "hf", "-o", str(target)])
        assert result.exit_code == 1 and says in result.stderr, result.output
    assert snapshot(tmp_path) == before
    out = tmp_path / "hf"
    for _ in range(2):  # an earlier export is replaced
        assert invoke(runner, ["models", "export", str(models["lm"]), "--format", "hf", "-o", str(out)]).exit_code == 0
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def _exported(models: dict[str, Path], tmp_path: Path, runner: CliRunner) -> Path:
    tmp_path.mkdir(exist_ok=True)
    out = tmp_path / "hf"
    assert invoke(runner, ["models", "export", str(models["lm"]), "--format", "hf", "-o", str(out)]).exit_code == 0
    return out


def test_import_refuses_a_doctored_folder_and_stores_nothing(models: dict[str, Path], tmp_path: Path,
                                                             runner: CliRunner, wordseq_home: Path) -> None:
    from wordseq.store.tensors import read_tensors, write_tensors

    cases = {}
    out = _exported(models, tmp_path, runner)
    data = read_tensors(out / "model.safetensors")
    next(v for v in data["model"].values() if v.numel() > 1).view(-1)[0] = float("nan")
    write_tensors(out / "model.safetensors", data, plain_names=True)
    cases["nan"] = (out, "not finite")
    bad_list = Path(shutil.copytree(_exported(models, tmp_path / "b", runner), tmp_path / "list"))
    config = json.loads((bad_list / "config.json").read_text())
    config["wordseq"]["files"] = ["../../etc/passwd"]
    (bad_list / "config.json").write_text(json.dumps(config))
    cases["list"] = (bad_list, "file list is damaged")
    garbage = tmp_path / "garbage"
    garbage.mkdir()
    (garbage / "config.json").write_text("{not json")
    cases["json"] = (garbage, "cannot be read as JSON")
    cases["empty"] = (tmp_path / "missing-config", "has no config.json")
    cases["empty"][0].mkdir()
    pickled = Path(shutil.copytree(_exported(models, tmp_path / "p", runner), tmp_path / "pickled"))
    (pickled / "model.safetensors").write_bytes(b"\x80\x04\x95" + b"\x00" * 64)
    cases["pickle"] = (pickled, "not a safetensors file")
    for name, (folder, says) in cases.items():
        result = invoke(runner, ["models", "import", str(folder), "-o", "x"])
        assert result.exit_code == 1 and says in result.stderr, (name, result.output)
        assert len([line for line in result.stderr.splitlines() if line.startswith("Error:")]) == 1
    assert not (wordseq_home / "lm").exists()
