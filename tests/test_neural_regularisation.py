"""The AWD-LSTM regularisers and NT-ASGD: each is off at evaluation and changes training."""

from __future__ import annotations

import math
from typing import Any

import pytest
import torch

from wordseq.errors import OptionError
from wordseq.neural.config import LMConfig, TrainConfig
from wordseq.neural.data import build_training_data
from wordseq.neural.network import RNNModel
from wordseq.neural.regularisation import embedding_dropout, locked_dropout
from wordseq.neural.train import Trainer
from wordseq.text.preprocess import PreprocessConfig, Preprocessor

torch.set_num_threads(1)  # tiny models: threads only wait on each other on a busy machine

OFF: dict[str, Any] = {"dropout": 0.0, "dropout_input": 0.0, "dropout_between": 0.0, "dropout_embedding": 0.0, "weight_drop": 0.0}
REGULARISERS = ["dropout", "dropout_input", "dropout_between", "dropout_embedding", "weight_drop"]
CPU = torch.device("cpu")


def twin_models(name: str, cell: str = "lstm") -> tuple[RNNModel, RNNModel]:
    """The same weights, without and with one regulariser."""
    torch.manual_seed(0)
    plain = RNNModel(LMConfig(vocab_size=40, cell=cell, layers=2, emb=8, hidden=10, **OFF))
    regularised = RNNModel(LMConfig(vocab_size=40, cell=cell, layers=2, emb=8, hidden=10, **{**OFF, name: 0.5}))
    regularised.load_state_dict(plain.state_dict())
    return plain, regularised


def batch() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    return torch.randint(4, 40, (7, 3), generator=g), torch.randint(4, 40, (7, 3), generator=g)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("name", REGULARISERS)
def test_each_regulariser_is_off_at_evaluation(name: str, cell: str) -> None:
    plain, regularised = twin_models(name, cell)
    x, y = batch()
    plain.eval()
    regularised.eval()
    with torch.no_grad():
        a, _ = plain.score(x, plain.init_hidden(3), y)
        b, _ = regularised.score(x, regularised.init_hidden(3), y)
    assert torch.equal(a, b)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("name", REGULARISERS)
def test_each_regulariser_changes_training(name: str, cell: str) -> None:
    plain, regularised = twin_models(name, cell)
    x, y = batch()
    torch.manual_seed(5)
    loss_plain, _ = plain(x, plain.init_hidden(3), y)
    torch.manual_seed(5)
    loss_reg, _ = regularised(x, regularised.init_hidden(3), y)
    assert loss_reg.item() != loss_plain.item()
    # and the gradient it gives differs too (it is the training signal that changes)
    loss_plain.backward()
    loss_reg.backward()
    assert plain.encoder.weight.grad is not None and regularised.encoder.weight.grad is not None
    assert not torch.allclose(plain.encoder.weight.grad, regularised.encoder.weight.grad)


def test_weight_drop_trains_the_parameter_through_the_fused_module() -> None:
    _, model = twin_models("weight_drop")
    x, y = batch()
    weight = model.rnns[0].weight_hh_l0
    assert isinstance(weight, torch.Tensor)
    before = weight.detach().clone()
    loss, _ = model(x, model.init_hidden(3), y)
    loss.backward()
    assert weight.grad is not None and weight.grad.abs().sum() > 0
    # DropConnect zeroes entries only for the forward pass: the parameter is untouched
    assert torch.equal(weight.detach(), before)
    assert isinstance(model.rnns[0], torch.nn.LSTM)  # the fused module, not a Python cell
    assert {k for k in model.state_dict() if "rnns.0" in k} == {
        "rnns.0.weight_ih_l0", "rnns.0.weight_hh_l0", "rnns.0.bias_ih_l0", "rnns.0.bias_hh_l0"}


def test_locked_dropout_drops_the_same_units_at_every_time_step() -> None:
    x = torch.ones(20, 4, 30)
    out = locked_dropout(x, 0.5, training=True)
    zero = out == 0
    assert torch.equal(zero, zero[:1].expand_as(zero))  # one mask per column, shared over time
    assert 0 < zero[0].float().mean() < 1
    assert torch.equal(locked_dropout(x, 0.5, training=False), x)


def test_embedding_dropout_drops_whole_words() -> None:
    torch.manual_seed(3)
    idx = torch.tensor([[5, 6, 5, 7, 6, 5, 8, 9, 5, 6]]).t().repeat(1, 3)  # (T, B): every word many times
    embedded = torch.ones(10, 3, 4)
    out = embedding_dropout(embedded, idx, 12, 0.5, training=True)
    for word in (5, 6):
        rows = out[idx == word]
        assert (rows == 0).all() or (rows == 2.0).all()  # a word is dropped everywhere or nowhere
    assert torch.equal(embedding_dropout(embedded, idx, 12, 0.5, training=False), embedded)


@pytest.mark.parametrize("name", ["--dropout-input", "--weight-drop", "--dropout-embedding"])
def test_regulariser_values_are_checked_once_in_the_config(name: str) -> None:
    key = name[2:].replace("-", "_")
    for bad in (1.0, -0.1, math.nan, math.inf):
        with pytest.raises(OptionError, match=name):
            LMConfig(vocab_size=10, **{key: bad})  # type: ignore[arg-type]


def test_dropout_input_and_between_default_to_dropout_and_are_stored() -> None:
    config = LMConfig(vocab_size=10, dropout=0.35)
    assert config.dropout_input == 0.35 and config.dropout_between == 0.35
    assert LMConfig.from_dict(config.to_dict()) == config


def tiny_data():  # type: ignore[no-untyped-def]
    pre = Preprocessor(PreprocessConfig(pretokenized=True))
    lines = ["the cat sat on the mat", "a dog lay on the rug", "the dog saw a cat"] * 8
    return build_training_data(lines, pre, ["the cat saw a dog on the mat"])


def test_nt_asgd_switches_to_averaging_when_validation_stalls_and_scores_the_average() -> None:
    torch.manual_seed(0)
    data = tiny_data()
    model = RNNModel(LMConfig(vocab_size=len(data.vocab), layers=1, emb=8, hidden=8))
    trainer = Trainer(model, data.train, data.valid,
                      TrainConfig(epochs=8, optimizer="nt-asgd", lr=1.0, nonmono=2, patience=None, bptt=5, batch_size=2), CPU)
    # validation losses that stop improving: the third check is worse than the best before the last two
    trainer.valid_losses = [1.0, 2.0, 3.0]
    trainer.best_valid_loss = 0.5
    trainer.check(end_of_epoch=True)
    assert trainer.average is not None and trainer.lr == 1.0  # averaging, the rate untouched
    before = {k: v.clone() for k, v in trainer.average.mean.items()}
    trainer.train_step()
    trainer.train_step()
    # the average moves by 1/n of each step, so it differs from the weights themselves
    name = "rnns.0.weight_hh_l0"
    assert not torch.equal(trainer.average.mean[name], before[name])
    assert not torch.allclose(trainer.average.mean[name], dict(model.named_parameters())[name])
    own = {k: v.clone() for k, v in model.state_dict().items()}
    with trainer.average.applied(model):
        assert torch.equal(dict(model.named_parameters())[name], trainer.average.mean[name])
    assert all(torch.equal(own[k], v) for k, v in model.state_dict().items())
    record = trainer.check(end_of_epoch=True)
    assert record.averaged


def test_nt_asgd_is_resumable_with_its_average() -> None:
    torch.manual_seed(0)
    data = tiny_data()
    config = LMConfig(vocab_size=len(data.vocab), layers=1, emb=8, hidden=8, dropout=0.0)
    train_cfg = TrainConfig(epochs=8, optimizer="nt-asgd", lr=1.0, nonmono=1, bptt=5, batch_size=2)
    trainer = Trainer(RNNModel(config), data.train, data.valid, train_cfg, CPU)
    trainer.valid_losses = [0.1, 5.0]
    trainer.best_valid_loss = 0.0
    trainer.check(end_of_epoch=False)
    trainer.train_step()
    state = trainer.state_dict()
    model = RNNModel(config)
    model.load_state_dict(trainer.model.state_dict())
    resumed = Trainer(model, data.train, data.valid, train_cfg, CPU)
    resumed.load_state_dict(state)
    assert resumed.average is not None and trainer.average is not None
    assert resumed.average.count == trainer.average.count
    trainer.train_step()
    resumed.train_step()
    for k in trainer.average.mean:
        assert torch.allclose(trainer.average.mean[k], resumed.average.mean[k])
