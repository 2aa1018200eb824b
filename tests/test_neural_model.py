"""RNNModel, the training loop, checkpoints and resuming."""

from __future__ import annotations

import math
import pickle
from pathlib import Path

import pytest
import torch

from wordseq.errors import ModelError, OptionError
from wordseq.neural.config import LMConfig, TrainConfig
from wordseq.neural.data import build_training_data
from wordseq.neural.network import RNNModel
from wordseq.neural.storage import Checkpoint, load_checkpoint, save_checkpoint
from wordseq.neural.train import MIN_GAIN, Trainer
from wordseq.text.preprocess import PreprocessConfig, Preprocessor
from wordseq.training import train_loop
from wordseq.vocab import Vocabulary

PRE = Preprocessor(PreprocessConfig(pretokenized=True))
CPU = torch.device("cpu")


def tiny_data(repeats: int = 30):  # type: ignore[no-untyped-def]
    lines = ["the cat sat on the mat"] * repeats
    return build_training_data(lines, PRE, ["the cat sat on the mat"])


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("softmax", ["full", "adaptive"])
def test_forward_shapes_and_never_predicted_tokens(cell: str, softmax: str) -> None:
    V = 3100 if softmax == "adaptive" else 10
    model = RNNModel(LMConfig(vocab_size=V, cell=cell, layers=2, emb=8, hidden=6, softmax=softmax))
    idx = torch.randint(3, V, (5, 3))
    loss, _ = model(idx, model.init_hidden(3), idx)
    assert math.isfinite(loss.item())
    model.eval()
    logprobs, hidden = model.next_logprobs(idx, model.init_hidden(3))
    assert logprobs.shape == (3, V)
    assert torch.isinf(logprobs[:, Vocabulary.pad_id]).all() and torch.isinf(logprobs[:, Vocabulary.bos_id]).all()
    assert torch.allclose(logprobs.exp().sum(-1), torch.ones(3), atol=1e-5)
    assert [layer[0].shape for layer in hidden] == [(1, 3, 6), (1, 3, 6)]
    # score() gives exactly the log-probabilities of the targets under that distribution
    scores, _ = model.score(idx, model.init_hidden(3), idx)
    full = model.decoder.log_probs(model.features(idx, model.init_hidden(3))[0])
    assert torch.allclose(scores, full.gather(-1, idx.unsqueeze(-1)).squeeze(-1), atol=1e-5)


def test_adaptive_softmax_training_loss_equals_its_exact_distribution() -> None:
    torch.manual_seed(0)
    model = RNNModel(LMConfig(vocab_size=3200, layers=1, emb=8, hidden=8, softmax="adaptive", dropout=0.0))
    assert model.config.cutoffs == (2000,)
    idx = torch.randint(3, 3200, (6, 2))
    loss, _ = model(idx, model.init_hidden(2), idx)
    out, _ = model.features(idx, model.init_hidden(2))
    # training leaves <pad> and <s> in the softmax: compare with the unmasked head
    exact = -model.decoder.target_logprobs(out, idx, mask=False).mean()
    assert loss.item() == pytest.approx(exact.item(), rel=1e-6)


def test_tie_with_unequal_sizes_is_a_clear_error_for_one_layer() -> None:
    with pytest.raises(OptionError, match="--emb .*must equal --hidden"):
        LMConfig(vocab_size=10, layers=1, emb=8, hidden=6, tie=True)


def test_tied_model_shares_one_weight_matrix_and_its_last_layer_has_emb_units() -> None:
    model = RNNModel(LMConfig(vocab_size=10, emb=8, hidden=12, tie=True))
    assert model.decoder.weight is model.encoder.weight
    assert [(r.input_size, r.hidden_size) for r in model.rnns] == [(8, 12), (12, 8)]


def test_weights_of_checkpoint_format_1_load_into_todays_model(tmp_path: Path) -> None:
    """Format 1 kept one multi-layer nn.LSTM under 'rnn'; today each layer is 'rnns.K'."""
    torch.manual_seed(0)
    config = LMConfig(vocab_size=12, layers=2, emb=6, hidden=6, dropout=0.0)
    old = torch.nn.LSTM(6, 6, 2)
    model = RNNModel(config)
    state = {k: v for k, v in model.state_dict().items() if not k.startswith("rnns.")}
    state.update({f"rnn.{k}": v for k, v in old.state_dict().items()})
    data = {"format": "wordseq-lm-checkpoint", "version": 1, "config": config.to_dict(),
            "vocab": {"words": ["<pad>", "<unk>", "<s>", "</s>", *"abcdefgh"], "counts": [0] * 12}, "model": state}
    torch.save(data, tmp_path / "old.pt")
    loaded = load_checkpoint(tmp_path / "old.pt")
    model.load_state_dict(loaded.model_state)
    x = torch.randn(4, 2, 6)
    expected, _ = old(x)
    got = model.rnns[1](model.rnns[0](x)[0])[0]
    assert torch.allclose(got, expected, atol=1e-6)


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
        train_loop(trainer)
        return [{k: v for k, v in h.items() if k not in ("tokens_per_s", "seconds")} for h in trainer.history]

    assert run() == run()


def test_lr_is_divided_by_4_on_plateau_and_patience_stops_training() -> None:
    torch.manual_seed(0)
    data = tiny_data(10)
    model = RNNModel(LMConfig(vocab_size=len(data.vocab), layers=1, emb=8, hidden=8))
    # lr so large that validation cannot improve after the first epoch's weights are kept
    trainer = Trainer(model, data.train, data.valid, TrainConfig(epochs=10, lr=1000.0, clip=0, patience=2, bptt=5, batch_size=2), CPU)
    trainer.best_valid_loss = -1.0  # nothing can beat it: every epoch is a plateau
    assert train_loop(trainer)
    assert trainer.stopped_early and len(trainer.history) == 2
    assert [h["lr"] for h in trainer.history] == [1000.0, 250.0]
    assert [h["end_of_epoch"] for h in trainer.history] == [True, True]
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
    save_checkpoint(tmp_path / "resume.safetensors", _checkpoint_of(trainer, data, config))
    expected = [trainer.train_step() for _ in range(3)]

    loaded = load_checkpoint(tmp_path / "resume.safetensors")
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

    def stop_after_three(loss: float) -> None:
        if trainer.batches_done == 3:
            trainer.stop_requested = True

    assert train_loop(trainer, stop_after_three) is False
    assert trainer.epoch == 1 and trainer.position == 12 and trainer.history == []
    trainer.stop_requested = False
    assert train_loop(trainer) is True
    assert len(trainer.history) == 2


def test_loading_refuses_files_that_are_not_wordseq_checkpoints(tmp_path: Path) -> None:
    for suffix in (".pt", ".safetensors"):  # an older wordseq's file, today's
        garbage = tmp_path / f"garbage{suffix}"
        garbage.write_bytes(b"this is not a checkpoint at all\n")
        with pytest.raises(ModelError, match="not a (wordseq|safetensors)"):
            load_checkpoint(garbage)

        raw_pickle = tmp_path / f"raw{suffix}"
        raw_pickle.write_bytes(pickle.dumps(Path("x")))
        with pytest.raises(ModelError, match="not a (wordseq|safetensors)"):
            load_checkpoint(raw_pickle)

    plain = tmp_path / "plain.pt"
    torch.save({"weights": torch.zeros(3)}, plain)
    with pytest.raises(ModelError, match="not a wordseq language-model checkpoint"):
        load_checkpoint(plain)

    # a pickled module (code, not data) is refused by weights_only loading
    pickled = tmp_path / "module.pt"
    torch.save(torch.nn.Linear(2, 2), pickled)
    with pytest.raises(ModelError, match="not a wordseq payload"):
        load_checkpoint(pickled)

    # a safetensors file of another tool: tensors, but no wordseq header
    from safetensors.torch import save_file

    foreign = tmp_path / "foreign.safetensors"
    save_file({"weights": torch.zeros(3)}, str(foreign))
    with pytest.raises(ModelError, match="not a wordseq payload"):
        load_checkpoint(foreign)


def test_with_anneal_after_2_one_bad_check_keeps_the_rate_and_two_in_a_row_cut_it() -> None:
    torch.manual_seed(0)
    data = tiny_data(10)
    model = RNNModel(LMConfig(vocab_size=len(data.vocab), layers=1, emb=8, hidden=8))
    trainer = Trainer(model, data.train, data.valid, TrainConfig(epochs=10, lr=1.0, anneal_after=2, patience=4, bptt=5, batch_size=2), CPU)
    trainer.best_valid_loss = -1.0  # nothing can beat it: every check is a bad one
    lrs = []
    for _ in range(4):
        trainer.check(end_of_epoch=False)
        lrs.append(trainer.lr)
    assert lrs == [1.0, 0.25, 0.25, 0.0625]
    assert trainer.stopped_early  # patience 4: the fourth bad check ends the run


def test_gains_under_min_gain_count_as_stalls_so_the_run_ends_on_its_curve() -> None:
    """Reported (issue 24): at a rate annealed to almost nothing, each check still gained a
    hair, which reset patience, and runs went on to the epoch cap. Tiny gains keep the
    weights (best) but cut the rate and count towards patience."""
    torch.manual_seed(0)
    data = tiny_data(10)
    model = RNNModel(LMConfig(vocab_size=len(data.vocab), layers=1, emb=8, hidden=8))
    trainer = Trainer(model, data.train, data.valid, TrainConfig(epochs=100, lr=1.0, patience=3, bptt=5, batch_size=2), CPU)
    losses = iter([5.0, 4.0, 4.0 - MIN_GAIN / 2, 4.0 - MIN_GAIN, 4.0 - 1.4 * MIN_GAIN])
    trainer.evaluate = lambda stream: next(losses)  # type: ignore[method-assign]
    records = [trainer.check(end_of_epoch=True) for _ in range(5)]
    assert [r.best for r in records] == [True] * 5  # every lower loss keeps its weights
    assert [r.lr for r in records] == [1.0, 1.0, 1.0, 0.25, 0.0625]  # the rate in force at each check
    assert trainer.stopped_early and trainer.epoch < trainer.config.epochs
    assert trainer.best_valid_loss == 4.0 - 1.4 * MIN_GAIN


def _final_anneal_run(epochs: int) -> list[dict]:  # type: ignore[type-arg]
    torch.manual_seed(0)
    data = tiny_data(10)
    model = RNNModel(LMConfig(vocab_size=len(data.vocab), layers=1, emb=8, hidden=8))
    config = TrainConfig(epochs=epochs, lr=1.0, final_anneal=True, valid_every=2, patience=None, bptt=5, batch_size=2)
    trainer = Trainer(model, data.train, data.valid, config, CPU)
    trainer.best_valid_loss = -1.0  # no check improves: only the final rule can move the rate...
    trainer.config = TrainConfig(**{**config.to_dict(), "anneal_after": 1000})  # ...not the plateau rule
    assert train_loop(trainer)
    return trainer.history


def test_final_anneal_cuts_the_rate_at_every_check_of_the_last_quarter_only() -> None:
    history = _final_anneal_run(epochs=4)
    early = [h["lr"] for h in history if h["at_epoch"] <= 3.0]
    last = [h["lr"] for h in history if h["at_epoch"] > 3.0]
    assert set(early) == {1.0} and len(last) >= 2
    assert last == [1.0 / 4**i for i in range(len(last))]  # the rate in force at each check of epoch 4


def test_final_anneal_on_a_one_epoch_run_leaves_the_first_three_quarters_at_the_full_rate() -> None:
    """Reported: `lm train --epochs 1` on 1.3 M words divided the rate at every check from
    the first one (0.003 to 1e-5 within the epoch), ending at perplexity 325 against the
    5-gram's 150."""
    history = _final_anneal_run(epochs=1)
    assert len(history) >= 4
    assert {h["lr"] for h in history if h["at_epoch"] <= 0.75} == {1.0}
    assert history[-1]["lr"] < 1.0  # the last quarter still anneals


def test_a_tied_model_is_saved_with_one_copy_of_its_embedding(tmp_path: Path) -> None:
    """Reported: the Tour's tied 1×256 LSTM (27 k words) wrote a 58 MB model.pt holding the
    input and output embeddings as two equal 28 MB tensors."""
    from wordseq.neural.session import train_lm

    corpus = tmp_path / "c.txt"
    corpus.write_text("the cat sat on the mat .\nthe dog sat on the log .\n" * 30, encoding="utf-8")
    train_lm(corpus, output=tmp_path / "m", layers=1, emb=8, hidden=8, tie=True, epochs=2, softmax="full")
    state = load_checkpoint(tmp_path / "m" / "model.safetensors").model_state
    assert torch.equal(state["encoder.weight"], state["decoder.weight"])
    assert state["encoder.weight"].data_ptr() == state["decoder.weight"].data_ptr()  # one tensor in the file
    from safetensors import safe_open

    with safe_open(str(tmp_path / "m" / "model.safetensors"), "pt") as fh:
        assert len([k for k in fh.keys() if k.endswith("coder.weight")]) == 1  # noqa: SIM118
