"""The store through the commands: every item of the "never lose data, never run code" report."""

from __future__ import annotations

import io
import json
import os
import pickle
import resource
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import CORPUS, assert_golden, invoke, plant_model, save_vectors_model

ROOT = Path(__file__).resolve().parent.parent
SMALL_LM = ["--layers", "1", "--emb", "8", "--hidden", "8", "--bptt", "8", "--batch-size", "4", "--seed", "1"]
TEXT = "the cat sat on the mat .\nthe dog sat on the log .\na cat and a dog .\n" * 20


class Explode:
    """Unpickling this runs a command that leaves a file behind: proof that code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.system, (f"touch {self.marker}",))


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    path = tmp_path / "corpus.txt"
    path.write_text(TEXT)
    return path


def _pickled_npy(marker: Path) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.array([Explode(marker)], dtype=object), allow_pickle=True)
    return buf.getvalue()


def _pickled_npz(marker: Path) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, words=np.array([Explode(marker)], dtype=object))
    return buf.getvalue()


def _pickled_torch(marker: Path) -> bytes:
    import torch

    buf = io.BytesIO()
    torch.save({"format": "wordseq-lm-checkpoint", "version": 1, "model": Explode(marker)}, buf)
    return buf.getvalue()


CLASSIFIER_CONFIG = {"encoder": "bow", "labels": ["a", "b"], "vocab_size": 5, "emb": 4}


def test_planted_pickles_in_any_payload_never_run(runner: CliRunner, tmp_path: Path, corpus: Path) -> None:
    marker = tmp_path / "code-ran"
    emb = plant_model(tmp_path / "emb", "embeddings", {"vectors.npy": _pickled_npy(marker), "words.txt": b"a\n"})
    ngram = plant_model(tmp_path / "ng", "ngram", {"model.npz": _pickled_npz(marker)}, config={"smoothing": ""})
    lm = plant_model(tmp_path / "lm", "lm", {"model.pt": _pickled_torch(marker), "resume.pt": _pickled_torch(marker)})
    # today's names: read by safetensors only, whatever the bytes
    lm_new = plant_model(tmp_path / "lm-new", "lm", {"model.safetensors": _pickled_torch(marker),
                                                     "resume.safetensors": _pickled_torch(marker)})
    other_kinds = [plant_model(tmp_path / f"{kind}-{stem}", kind, {f"model{stem}": _pickled_torch(marker)},
                               config=config)
                   for kind, config in (("classifier", CLASSIFIER_CONFIG), ("seq2seq", {}))
                   for stem in (".pt", ".safetensors")]
    old_kv = plant_model(tmp_path / "kv", "embeddings", {"vectors.kv": pickle.dumps(Explode(marker))})
    commands = [
        ["similar", "a", "-m", str(emb)],
        ["analogy", "a", "b", "c", "-m", str(emb)],
        ["eval", "similarity", "-m", str(emb)],
        ["eval", "analogies", "-m", str(emb)],
        ["embeddings", "export", str(emb), str(tmp_path / "out.vec")],
        ["lm", "train", str(corpus), "-o", str(tmp_path / "new"), "--init-embeddings", str(emb), *SMALL_LM],
        ["similar", "a", "-m", str(old_kv)],
        ["ngram", "eval", str(corpus), "-m", str(ngram)],
        ["generate", "-m", str(ngram)],
        ["generate", "-m", str(lm)],
        ["lm", "eval", str(corpus), "-m", str(lm)],
        ["lm", "train", str(corpus), "-o", str(lm), "--resume", *SMALL_LM],
        ["generate", "-m", str(lm_new)],
        ["lm", "eval", str(corpus), "-m", str(lm_new)],
        ["lm", "train", str(corpus), "-o", str(lm_new), "--resume", *SMALL_LM],
        ["models", "upgrade", str(lm)],
        *[["classify", "predict", str(corpus), "-m", str(m)] for m in other_kinds[:2]],
        *[["transduce", str(corpus), "-m", str(m)] for m in other_kinds[2:]],
        *[["models", "upgrade", str(m)] for m in other_kinds[::2]],
    ]
    for args in commands:
        result = invoke(runner, args)
        assert result.exit_code == 1, (args, result.output)
        assert result.stderr.startswith("Error: ") and "internal error" not in result.stderr, (args, result.stderr)
        assert not marker.exists(), args


def test_output_dir_that_wordseq_did_not_make_is_never_replaced(runner: CliRunner, tmp_path: Path, corpus: Path) -> None:
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    (project / "important.txt").write_text("keep me")
    (project / "meta.json").write_text('{"kind": "ngram"}')
    for args in (["ngram", "train", str(corpus), "--discount-fallback"], ["train-embeddings", str(corpus), "--min-count", "1"],
                 ["lm", "train", str(corpus), *SMALL_LM, "--epochs", "1"]):
        result = invoke(runner, [*args, "-o", str(project)])
        assert result.exit_code == 1 and "not a wordseq model" in result.stderr, result.output
    assert (project / "important.txt").read_text() == "keep me" and (project / "src").is_dir()
    rm = invoke(runner, ["models", "rm", str(project), "--yes"])
    assert rm.exit_code == 1 and "not a model directory wordseq made" in rm.stderr
    assert project.is_dir()


def test_models_rm_refuses_an_empty_name_and_asks_first(runner: CliRunner, corpus: Path, wordseq_home: Path) -> None:
    assert invoke(runner, ["ngram", "train", str(corpus), "--discount-fallback"]).exit_code == 0
    empty = invoke(runner, ["models", "rm", "", "--yes"])
    assert empty.exit_code == 1 and "empty" in empty.stderr
    unasked = invoke(runner, ["models", "rm", "default"])
    assert unasked.exit_code == 1 and "needs --yes" in unasked.stderr
    assert (wordseq_home / "ngram" / "default" / "meta.json").is_file()
    assert invoke(runner, ["models", "rm", "default", "--yes"]).exit_code == 0
    assert not (wordseq_home / "ngram" / "default").exists()


def test_models_rm_removes_a_damaged_model(runner: CliRunner, corpus: Path, wordseq_home: Path) -> None:
    invoke(runner, ["ngram", "train", str(corpus), "--discount-fallback", "-o", "broken"])
    (wordseq_home / "ngram" / "broken" / "meta.json").write_text("{")
    listed = invoke(runner, ["models", "list"]).stdout
    assert "broken" in listed and "damaged" in listed
    assert invoke(runner, ["models", "rm", "broken", "--yes"]).exit_code == 0
    assert "broken" not in invoke(runner, ["models", "list"]).stdout


def test_load_show_and_rm_resolve_a_name_alike(runner: CliRunner, wordseq_home: Path) -> None:
    """One resolution of a name: an unknown or ambiguous one is the same error text from
    the library's load and from `models show` and `models rm`."""
    from wordseq.errors import ModelError
    from wordseq.store import load

    plant_model(wordseq_home / "lm" / "both", "lm", {"x.txt": b"1"})
    plant_model(wordseq_home / "ngram" / "both", "ngram", {"x.txt": b"1"})
    for name in ("nothing", "both"):
        with pytest.raises(ModelError) as raised:
            load(name)
        for command in (["models", "show", name], ["models", "rm", name, "--yes"]):
            result = invoke(runner, command)
            assert result.exit_code == 1 and str(raised.value) in result.stderr, result.stderr
    assert "several kinds (ngram/both, lm/both); say which, e.g. ngram/both" in str(raised.value)


def test_generate_names_the_kinds_of_an_ambiguous_name(runner: CliRunner, corpus: Path) -> None:
    invoke(runner, ["ngram", "train", str(corpus), "--discount-fallback", "-o", "both"])
    invoke(runner, ["lm", "train", str(corpus), "-o", "both", *SMALL_LM, "--epochs", "1"])
    ambiguous = invoke(runner, ["generate", "-m", "both"])
    assert ambiguous.exit_code == 1 and "lm/both, ngram/both" in ambiguous.stderr
    assert invoke(runner, ["generate", "-m", "ngram/both", "--greedy"]).exit_code == 0
    assert invoke(runner, ["generate", "-m", "lm/both", "--greedy"]).exit_code == 0


def test_an_arpa_file_in_the_current_folder_is_a_path(runner: CliRunner, corpus: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    invoke(runner, ["ngram", "train", str(corpus), "--discount-fallback", "-o", "lee5"])
    monkeypatch.chdir(tmp_path)
    assert invoke(runner, ["ngram", "export", "lee5", "lee5.arpa"]).exit_code == 0
    result = invoke(runner, ["ngram", "eval", str(corpus), "-m", "lee5.arpa"])
    assert result.exit_code == 0 and result.stdout.startswith("perplexity\t")


def test_embeddings_export_dash_writes_stdout(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    save_vectors_model("v", ["a", "b"], np.eye(2))
    monkeypatch.chdir(tmp_path)
    result = invoke(runner, ["embeddings", "export", "v", "-"])
    assert result.exit_code == 0
    assert_golden("embeddings_export_eye2.vec", result.stdout)
    assert not (tmp_path / "-").exists()


def test_tokenize_output_through_process_substitution(tmp_path: Path) -> None:
    out = tmp_path / "x.gz"
    script = f"{sys.executable} -m wordseq tokenize {CORPUS} --pretokenized -o >(gzip > {out})"  # no nltk in the child
    proc = subprocess.run(["bash", "-c", script + "; sleep 0.5"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    import gzip

    assert len(gzip.decompress(out.read_bytes()).splitlines()) == len(CORPUS.read_text().splitlines())


def _interrupt_after_first_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    from wordseq.neural.train import Trainer

    original = Trainer.train_step

    def step(self: Trainer) -> float:
        loss = original(self)
        self.stop_requested = True  # what the first Ctrl-C does
        return loss

    monkeypatch.setattr(Trainer, "train_step", step)


def test_ctrl_c_never_replaces_a_finished_model(runner: CliRunner, corpus: Path, wordseq_home: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    args = ["lm", "train", str(corpus), "-o", "news", *SMALL_LM, "--epochs", "2"]
    assert invoke(runner, args).exit_code == 0
    finished = (wordseq_home / "lm" / "news" / "model.safetensors").read_bytes()
    with monkeypatch.context() as patch:
        _interrupt_after_first_batch(patch)
        stopped = invoke(runner, args)
    assert stopped.exit_code == 130 and "the finished model" in stopped.stderr
    assert (wordseq_home / "lm" / "news" / "model.safetensors").read_bytes() == finished
    listed = invoke(runner, ["models", "list", "--all"]).stdout
    assert "complete" in listed and "interrupted" in listed and "--resume" in listed
    resumed = invoke(runner, [*args, "--resume"])
    assert resumed.exit_code == 0, resumed.stderr
    assert "resuming from" in resumed.stderr and ".news.partial" in resumed.stderr
    assert "interrupted" not in invoke(runner, ["models", "list", "--all"]).stdout


def test_ctrl_c_on_a_new_name_saves_the_model_marked_interrupted(runner: CliRunner, corpus: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    _interrupt_after_first_batch(monkeypatch)
    stopped = invoke(runner, ["lm", "train", str(corpus), "-o", "fresh", *SMALL_LM])
    assert stopped.exit_code == 130 and "marked interrupted" in stopped.stderr
    assert "\tinterrupted\t" in invoke(runner, ["models", "list"]).stdout
    assert invoke(runner, ["generate", "-m", "fresh", "--greedy"]).exit_code == 0


@pytest.mark.processes
def test_a_killed_retrain_keeps_the_finished_model(runner: CliRunner, corpus: Path, wordseq_home: Path) -> None:
    args = ["lm", "train", str(corpus), "-o", "news", *SMALL_LM, "--epochs", "2"]
    assert invoke(runner, args).exit_code == 0
    cmd = [sys.executable, "-m", "wordseq", *args]
    env = {**os.environ, "WORDSEQ_HOME": str(wordseq_home)}
    meta_before = (wordseq_home / "lm" / "news" / "meta.json").read_text()
    killed = subprocess.run(cmd, env={**env, "WORDSEQ_TEST_FAULT": "partial-saved"}, capture_output=True)
    assert killed.returncode == -signal.SIGKILL
    assert (wordseq_home / "lm" / "news" / "meta.json").read_text() == meta_before
    assert json.loads(meta_before)["complete"] is True


def test_two_writers_to_one_name_the_second_fails_at_once(runner: CliRunner, corpus: Path) -> None:
    from wordseq.store import ModelWriter, model_dir

    with ModelWriter(model_dir("busy", "ngram"), "ngram"):
        result = invoke(runner, ["ngram", "train", str(corpus), "--discount-fallback", "-o", "busy"])
    assert result.exit_code == 1 and "another wordseq process" in result.stderr


def test_an_unwritable_store_fails_before_training(runner: CliRunner, corpus: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the store's folder should be")
    monkeypatch.setenv("WORDSEQ_HOME", str(blocker / "home"))
    result = invoke(runner, ["lm", "train", str(corpus), *SMALL_LM])
    assert result.exit_code == 1 and result.stderr.startswith("Error: cannot create")
    assert "epoch" not in result.stderr


@pytest.mark.processes
def test_a_full_disk_is_one_line_and_the_previous_model_stays(runner: CliRunner, corpus: Path, wordseq_home: Path) -> None:
    args = ["lm", "train", str(corpus), "-o", "news", *SMALL_LM, "--epochs", "1"]
    assert invoke(runner, args).exit_code == 0
    cmd = [sys.executable, "-m", "wordseq", *args]
    env = {**os.environ, "WORDSEQ_HOME": str(wordseq_home)}
    before = (wordseq_home / "lm" / "news" / "model.safetensors").read_bytes()

    def small_files() -> None:  # files stop growing at 4 KB, as on a full disk
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, preexec_fn=small_files)
    assert proc.returncode == 1
    errors = [line for line in proc.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "could not write the model" in errors[0] and "previous model is kept" in errors[0]
    assert (wordseq_home / "lm" / "news" / "model.safetensors").read_bytes() == before


def test_damaged_payloads_with_valid_checksums_are_clear_errors(runner: CliRunner, tmp_path: Path, corpus: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("order.npy", b"truncated")
    npz = plant_model(tmp_path / "ng", "ngram", {"model.npz": buf.getvalue()}, config={"smoothing": ""})
    result = invoke(runner, ["ngram", "eval", str(corpus), "-m", str(npz)])
    assert result.exit_code == 1 and "internal error" not in result.stderr, result.stderr

    invoke(runner, ["lm", "train", str(corpus), "-o", str(tmp_path / "lm"), *SMALL_LM, "--epochs", "1"])
    import torch

    from wordseq.neural.storage import load_checkpoint, save_checkpoint

    ckpt = load_checkpoint(tmp_path / "lm" / "resume.safetensors")
    ckpt.trainer_state = None
    save_checkpoint(tmp_path / "no-trainer.safetensors", ckpt)
    plant_model(tmp_path / "lm2", "lm", {"resume.safetensors": (tmp_path / "no-trainer.safetensors").read_bytes(),
                                         "model.safetensors": (tmp_path / "lm" / "model.safetensors").read_bytes()},
                preprocessing=json.loads((tmp_path / "lm" / "meta.json").read_text())["preprocessing"])
    result = invoke(runner, ["lm", "train", str(corpus), "-o", str(tmp_path / "lm2"), "--resume", *SMALL_LM])
    assert result.exit_code == 1 and "holds no trainer state" in result.stderr, result.stderr
    del torch


def test_meta_with_wrong_types_is_one_clear_error(runner: CliRunner, corpus: Path, wordseq_home: Path) -> None:
    invoke(runner, ["ngram", "train", str(corpus), "--discount-fallback", "-o", "m"])
    path = wordseq_home / "ngram" / "m" / "meta.json"
    meta = json.loads(path.read_text())
    meta["training"] = "lots"
    path.write_text(json.dumps(meta))
    result = invoke(runner, ["ngram", "eval", str(corpus), "-m", "m"])
    assert result.exit_code == 1 and "'training' should be an object" in result.stderr


def test_no_temporary_files_are_left_in_the_system_temp_folder(runner: CliRunner, corpus: Path, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    scratch = tmp_path / "systmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    assert invoke(runner, ["train-embeddings", str(corpus), "--min-count", "1", "--epochs", "1"]).exit_code == 0
    assert invoke(runner, ["ngram", "train", str(corpus), "--discount-fallback"]).exit_code == 0
    assert list(scratch.iterdir()) == []
