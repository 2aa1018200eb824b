"""``torchrun --nproc_per_node 2 -m wordseq lm train``: DistributedDataParallel on CPU (gloo).

Two processes that each train half of the batch columns take the same steps as one
process with the whole batch: the same losses, the same weights; only rank 0 writes and
logs, and --resume continues a distributed run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner
from conftest import invoke

SENTENCES = ["the cat sat on the mat .", "the dog sat on the rug .", "a cat saw a dog on the mat .",
             "the dog saw the cat ."]
# no dropout of any kind: every rank draws its own masks, one process draws others
OPTIONS = ["--layers", "2", "--emb", "12", "--hidden", "12", "--tie", "--bptt", "6", "--batch-size", "4",
           "--optimizer", "adam", "--lr", "0.01", "--dropout", "0", "--dropout-input", "0", "--dropout-between", "0",
           "--dropout-embedding", "0", "--weight-drop", "0", "--softmax", "full", "--valid-every", "5",
           "--device", "cpu", "--seed", "3"]


def torchrun(args: list[str], home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "WORDSEQ_HOME": str(home), "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           "-m", "wordseq", "lm", "train", *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)


def history(meta_path: Path) -> list[tuple[float, float]]:
    meta = json.loads(meta_path.read_text())
    return [(h["train_ppl"], h["valid_ppl"]) for h in meta["training"]["history"]]


@pytest.mark.processes
@pytest.mark.skipif(not torch.distributed.is_available(), reason="torch without distributed")
def test_two_gloo_processes_train_as_one_process_with_the_same_global_batch(tmp_path: Path, wordseq_home: Path) -> None:
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(SENTENCES * 12) + "\n", encoding="utf-8")
    ddp = torchrun([str(corpus), "-o", "ddp", *OPTIONS, "--epochs", "1"], wordseq_home)
    assert ddp.returncode == 0, ddp.stderr[-3000:]
    resumed = torchrun([str(corpus), "-o", "ddp", *OPTIONS, "--epochs", "2", "--resume"], wordseq_home)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    single = invoke(CliRunner(), ["lm", "train", str(corpus), "-o", "single", *OPTIONS, "--epochs", "2"])
    assert single.exit_code == 0, single.output

    one, two = history(wordseq_home / "lm" / "single" / "meta.json"), history(wordseq_home / "lm" / "ddp" / "meta.json")
    assert len(one) == len(two) >= 6  # checks every 5 batches and at the ends of both epochs
    for (train_1, valid_1), (train_2, valid_2) in zip(one, two):
        assert train_2 == pytest.approx(train_1, rel=1e-4)
        assert valid_2 == pytest.approx(valid_1, rel=1e-4)
    from wordseq.neural.storage import load_checkpoint

    a = load_checkpoint(wordseq_home / "lm" / "single" / "model.safetensors").model_state
    b = load_checkpoint(wordseq_home / "lm" / "ddp" / "model.safetensors").model_state
    assert all(torch.allclose(a[k], b[k], atol=1e-4) for k in a)
    meta = json.loads((wordseq_home / "lm" / "ddp" / "meta.json").read_text())
    assert meta["training"]["processes"] == 2
    # rank 0 alone logs: each line of the run appears once
    assert ddp.stderr.count("end of epoch   1") == 1 and ddp.stderr.count("saved ") == 1
