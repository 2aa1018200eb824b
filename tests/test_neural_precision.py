"""--precision: bf16 and fp16 (with loss scaling) through autocast, on the CPU here."""

from __future__ import annotations

import math

import pytest
import torch

from wordseq.errors import OptionError
from wordseq.neural.config import LMConfig, TrainConfig
from wordseq.neural.data import build_training_data
from wordseq.neural.network import build_model
from wordseq.neural.precision import autocast, cpu_bf16_rnn_supported
from wordseq.neural.train import Trainer
from wordseq.text.preprocess import PreprocessConfig, Preprocessor
from wordseq.training import train_loop

torch.set_num_threads(1)  # tiny models: threads only wait on each other on a busy machine
CPU = torch.device("cpu")


def data():  # type: ignore[no-untyped-def]
    pre = Preprocessor(PreprocessConfig(pretokenized=True))
    return build_training_data(["the cat sat on the mat", "a dog lay on the rug"] * 10, pre, ["the dog sat on the mat"])


@pytest.mark.parametrize("cell", ["lstm", "transformer"])
def test_bf16_runs_on_cpu_and_its_matrix_products_are_bf16(cell: str) -> None:
    d = data()
    torch.manual_seed(0)
    model = build_model(LMConfig(vocab_size=len(d.vocab), cell=cell, layers=2, emb=16, hidden=16, heads=2, context=6))
    dtypes = []
    for module in model.modules():
        if isinstance(module, (torch.nn.Linear, torch.nn.LSTM)):
            module.register_forward_hook(lambda m, i, o: dtypes.append(
                (type(m).__name__, (o[0] if isinstance(o, tuple) else o).dtype)))
    with autocast(CPU, "bf16"):
        model.features(torch.randint(4, len(d.vocab), (6, 2)), model.init_hidden(2))  # type: ignore[arg-type]  # each its own
    # a processor without bf16 kernels (oneDNN cannot build a bf16 LSTM there) runs the
    # recurrent layers in float32 instead of failing; the matrix products stay bf16
    lstm = torch.bfloat16 if cpu_bf16_rnn_supported() else torch.float32
    assert dtypes and all(t == (lstm if name == "LSTM" else torch.bfloat16) for name, t in dtypes)
    trainer = Trainer(model, d.train, d.valid, TrainConfig(epochs=2, optimizer="adam", lr=0.01, bptt=6, batch_size=2,
                                                           precision="bf16"), CPU)
    assert train_loop(trainer)
    valid = [h["valid_ppl"] for h in trainer.history]
    assert all(math.isfinite(v) for v in valid) and valid[-1] < len(d.vocab)
    assert all(p.dtype == torch.float32 for p in model.parameters())  # weights stay float32


def test_fp16_scales_the_loss_and_the_scale_is_resumed() -> None:
    d = data()
    torch.manual_seed(0)
    config = LMConfig(vocab_size=len(d.vocab), layers=1, emb=8, hidden=8)
    cfg = TrainConfig(epochs=1, bptt=6, batch_size=2, precision="fp16", lr=1.0)
    trainer = Trainer(build_model(config), d.train, d.valid, cfg, CPU)
    assert trainer.scaler.is_enabled()
    losses = [trainer.train_step() for _ in range(3)]
    assert all(math.isfinite(x) for x in losses)
    state = trainer.state_dict()
    assert state["scaler"]["scale"] == trainer.scaler.get_scale() > 1
    resumed = Trainer(build_model(config), d.train, d.valid, cfg, CPU)
    resumed.load_state_dict(state)
    assert resumed.scaler.get_scale() == trainer.scaler.get_scale()
    fp32 = Trainer(build_model(config), d.train, d.valid, TrainConfig(epochs=1, bptt=6, batch_size=2), CPU)
    assert not fp32.scaler.is_enabled()


def test_precision_is_checked_in_the_config() -> None:
    with pytest.raises(OptionError, match="--precision"):
        TrainConfig(precision="fp8")
