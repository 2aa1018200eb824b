"""RNNModel, the training loop, checkpoints and resuming."""

from __future__ import annotations

import math
import pickle
from pathlib import Path

import pytest
import torch

from wordseq.errors import InputError, OptionError, ModelError
from wordseq.neural.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from wordseq.neural.config import LMConfig
from wordseq.neural.data import build_training_data
from wordseq.neural.model import RNNModel
from wordseq.neural.train import TrainConfig, Trainer
from wordseq.text.preprocess import PreprocessConfig, Preprocessor
from wordseq.vocab import Vocabulary

PRE = Preprocessor(PreprocessConfig(pretokenized=True))
CPU = torch.device("cpu")


def tiny_data(repeats: int = 30):  # type: ignore[no-untyped-def]
    lines = ["the cat sat on the mat"] * repeats
    return build_training_data(lines, PRE, ["the cat sat on the mat"])


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_forward_shapes_and_never_predicted_tokens(cell: str) -> None:
    model = RNNModel(LMConfig(vocab_size=10, cell=cell, layers=2, emb=8, hidden=6))
    idx = torch.randint(3, 10, (5, 3))
    _, _, loss = model(idx, model.init_hidden(3), idx)
    assert loss is not None and math.isfinite(loss.item())
    logits, hidden, _ = model(idx, model.init_hidden(3))
    assert logits.shape == (5, 3, 10)
    assert torch.isinf(logits[..., Vocabulary.pad_id]).all() and torch.isinf(logits[..., Vocabulary.bos_id]).all()
    h = hidden[0] if isinstance(hidden, tuple) else hidden
    assert h.shape == (2, 3, 6)


def test_tie_with_unequal_sizes_is_a_clear_error() -> None:
    with pytest.raises(OptionError, match="--emb .*must equal --hidden"):
        LMConfig(vocab_size=10, emb=8, hidden=6, tie=True)


def test_tied_model_shares_one_weight_matrix() -> None:
    model = RNNModel(LMConfig(vocab_size=10, emb=8, hidden=8, tie=True))
    assert model.decoder.weight is model.encoder.weight


def test_overfits_a_tiny_corpus_to_near_zero_loss() -> None:
    torch.manual_seed(0)
    data = tiny_data()
    model = RNNModel(LMConfig(vocab_size=len(data.vocab), layers=1, emb=16, hidden=32, dropout=0.0))
    trainer = Trainer(model, data.train, data.valid, TrainConfig(epochs=1, optimizer="adam", lr=0.02, bptt=10, batch_size=2), CPU)
    losses = []
    for _ in range(60):
        trainer.position = 0
        trainer.hidden = model.init_hidden(2)
        while trainer.position < len(trainer.train_data) - 1:
            losses.append(trainer.train_step())
    assert losses[0] > 1.5
    assert losses[-1] < 0.05


def test_training_with_a_seed_is_deterministic_on_cpu() -> None:
    def run() -> list[dict]:
        torch.manual_seed(7)
        data = tiny_data(10)
        model = RNNModel(LMConfig(vocab_size=len(data.vocab), layers=1, emb=8, hidden=8))
        trainer = Trainer(model, data.train, data.valid, TrainConfig(epochs=2, bptt=5, batch_size=2), CPU)
        trainer.run()
        return [{k: v for k, v in h.items() if k not in ("tokens_per_s", "seconds")} for h in trainer.history]

    assert run() == run()


def test_lr_is_divided_by_4_on_plateau_and_patience_stops_training() -> None:
    torch.manual_seed(0)
    data = tiny_data(10)
    model = RNNModel(LMConfig(vocab_size=len(data.vocab), layers=1, emb=8, hidden=8))
    # lr so large that validation cannot improve after the first epoch's weights are kept
    trainer = Trainer(model, data.train, data.valid, TrainConfig(epochs=10, lr=1000.0, clip=0, patience=2, bptt=5, batch_size=2), CPU)
    trainer.best_valid_loss = -1.0  # nothing can beat it: every epoch is a plateau
    assert trainer.run()
    assert trainer.stopped_early and len(trainer.history) == 2
    assert [h["lr"] for h in trainer.history] == [1000.0, 250.0]
    assert trainer.lr == pytest.approx(62.5)


def _checkpoint_of(trainer: Trainer, data, config: LMConfig) -> Checkpoint:  # type: ignore[no-untyped-def]
    state = {k: v.detach().clone() for k, v in trainer.model.state_dict().items()}
    return Checkpoint(config, data.vocab, state, trainer.state_dict())


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_checkpoint_save_and_resume_gives_the_same_next_loss(tmp_path: Path, optimizer: str) -> None:
    torch.manual_seed(3)
    data = tiny_data(20)
    config = LMConfig(vocab_size=len(data.vocab), layers=2, emb=8, hidden=8, dropout=0.3)
    train_cfg = TrainConfig(epochs=3, optimizer=optimizer, bptt=4, batch_size=3)
    trainer = Trainer(RNNModel(config), data.train, data.valid, train_cfg, CPU)
    for _ in range(5):
        trainer.train_step()
    save_checkpoint(tmp_path / "resume.pt", _checkpoint_of(trainer, data, config))
    expected = [trainer.train_step() for _ in range(3)]

    loaded = load_checkpoint(tmp_path / "resume.pt")
    assert loaded.trainer_state is not None
    model = RNNModel(loaded.config)
    model.load_state_dict(loaded.model_state)
    resumed = Trainer(model, data.train, data.valid, train_cfg, CPU)
    resumed.load_state_dict(loaded.trainer_state)
    assert [resumed.train_step() for _ in range(3)] == expected


def test_stop_request_leaves_a_resumable_mid_epoch_state() -> None:
    torch.manual_seed(1)
    data = tiny_data(20)
    model = RNNModel(LMConfig(vocab_size=len(data.vocab), layers=1, emb=8, hidden=8))
    trainer = Trainer(model, data.train, data.valid, TrainConfig(epochs=2, bptt=4, batch_size=2), CPU)

    def stop_after_three(done: int, total: int, loss: float) -> None:
        if done == 3:
            trainer.stop_requested = True

    assert trainer.run(on_batch=stop_after_three) is False
    assert trainer.epoch == 1 and trainer.position == 12 and trainer.history == []
    trainer.stop_requested = False
    assert trainer.run() is True
    assert len(trainer.history) == 2


def test_loading_refuses_files_that_are_not_wordseq_checkpoints(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"this is not a checkpoint at all\n")
    with pytest.raises(ModelError, match="not a wordseq language-model checkpoint"):
        load_checkpoint(garbage)

    plain = tmp_path / "plain.pt"
    torch.save({"weights": torch.zeros(3)}, plain)
    with pytest.raises(ModelError, match="not a wordseq language-model checkpoint"):
        load_checkpoint(plain)

    # a pickled module (code, not data) is refused by weights_only loading
    pickled = tmp_path / "module.pt"
    torch.save(torch.nn.Linear(2, 2), pickled)
    with pytest.raises(ModelError, match="not a wordseq language-model checkpoint"):
        load_checkpoint(pickled)

    raw_pickle = tmp_path / "raw.pt"
    raw_pickle.write_bytes(pickle.dumps(Path("x")))
    with pytest.raises(ModelError, match="not a wordseq language-model checkpoint"):
        load_checkpoint(raw_pickle)
