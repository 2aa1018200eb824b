"""The encoder-decoder Transformer: the same decoder interface, searches, training and files as the RNN."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from tests.conftest import invoke
from tests.seq2seq_toy import loss_by_decoding, one_thread, random_strings, reverse_pairs, write_pairs  # noqa: F401  (autouse fixture)
from wordseq import decoding
from wordseq.errors import OptionError
from wordseq.seq2seq import train_seq2seq
from wordseq.seq2seq.architectures import build_network
from wordseq.seq2seq.config import Seq2SeqConfig
from wordseq.seq2seq.decoder_lm import SourceConditionedLM, pad_batch
from wordseq.seq2seq.model import Seq2SeqModel
from wordseq.seq2seq.storage import load_seq2seq, write_payload
from wordseq.seq2seq.transformer import TransformerNet
from wordseq.vocab import SPECIALS, Vocabulary

SOURCE_VOCAB = Vocabulary(list(SPECIALS) + list("abcdef"), [0] * 10)
TARGET_VOCAB = Vocabulary(list(SPECIALS) + ["A", "B", "C", "D", "E"], [0] * 9)
SOURCES = [[4, 5, 6], [7, 8, 9, 4, 5], [6], [9, 9, 8, 7]]
CPU = torch.device("cpu")


def tiny_net(seed: int = 0, layers: int = 2) -> TransformerNet:
    torch.manual_seed(seed)
    config = Seq2SeqConfig(arch="transformer", hidden=16, heads=2, ff=24, dropout=0.0, encoder_layers=layers,
                           decoder_layers=layers)
    net = build_network(config, len(SOURCE_VOCAB), len(TARGET_VOCAB))
    assert isinstance(net, TransformerNet)
    with torch.no_grad():
        net.tgt_embed.weight.mul_(6)  # peaked distributions, so greedy and beams differ
    return net.eval()


def bound(net: TransformerNet, sources: list[list[int]]) -> SourceConditionedLM:
    model = Seq2SeqModel(net, net.config, SOURCE_VOCAB, TARGET_VOCAB, CPU)
    return SourceConditionedLM(model.net, TARGET_VOCAB, model.target_preprocess, model.device, sources)


@pytest.mark.parametrize("layers", [1, 2])
def test_training_loss_matches_incremental_decoding(layers: int) -> None:
    """All positions at once under the causal mask = one position at a time on the cache."""
    net = tiny_net(layers=layers)
    with torch.no_grad():
        net.out.bias[[0, 1, 2]] = -1e4  # tokens decoding masks: no mass in training either
    src, lengths = pad_batch(SOURCES, CPU)
    targets = [[4, 5], [6, 7, 8], [4], [8, 8, 5, 6]]
    tgt_in, _ = pad_batch([[2, *t] for t in targets], CPU)
    tgt_out, _ = pad_batch([[*t, 3] for t in targets], CPU)
    whole = net(src, lengths, tgt_in, tgt_out).item()
    by_lm = loss_by_decoding(bound(net, SOURCES), targets)
    assert whole == pytest.approx(by_lm, rel=1e-4)


@pytest.mark.parametrize("seed", range(3))
def test_beam_of_one_equals_greedy_and_batches_give_what_each_source_gets_alone(seed: int) -> None:
    net = tiny_net(seed)
    many = bound(net, SOURCES)
    greedy_rows = decoding.greedy(many, [[]], 10)
    assert [b[0].token_ids for b in decoding.beam_search(many, [[]], 1, 10)] == [g.token_ids for g in greedy_rows]
    beam_rows = decoding.beam_search(many, [[]], 3, 10, num=2)
    for source, g, beams in zip(SOURCES, greedy_rows, beam_rows):
        alone = bound(net, [source])
        assert decoding.greedy(alone, [[]], max_tokens=10)[0].token_ids == g.token_ids
        (expected,) = decoding.beam_search(alone, [[]], beam=3, max_tokens=10, num=2)
        assert [h.token_ids for h in beams] == [h.token_ids for h in expected]
        assert np.allclose([h.score for h in beams], [h.score for h in expected], atol=1e-4)


def test_cross_attention_sums_to_one_over_the_real_source_positions() -> None:
    lm = bound(tiny_net(), SOURCES)
    weights = lm.advance(lm.start([]), np.array([4, 5, 6, 7])).attention
    assert weights is not None and weights.shape == (4, 5)
    assert torch.allclose(weights.sum(dim=1), torch.ones(4), atol=1e-5)
    padding = torch.arange(5)[None, :] >= torch.tensor([len(s) for s in SOURCES])[:, None]
    assert torch.all(weights[padding] == 0)


def test_saved_transformer_loads_back_and_transduces_the_same(tmp_path: Path) -> None:
    net = tiny_net()
    model = Seq2SeqModel(net, net.config, SOURCE_VOCAB, TARGET_VOCAB, CPU)
    write_payload(tmp_path, net.config, SOURCE_VOCAB, TARGET_VOCAB, net.state_dict())
    again = load_seq2seq(tmp_path, {}, device="cpu")
    assert isinstance(again.net, TransformerNet)
    assert again.net.out.weight is again.net.tgt_embed.weight  # still tied after loading
    texts = ["abc", "fed", "zz a"]
    assert [t.to_dict() for t in again.transduce(texts, beam=3, num=2)] == \
        [t.to_dict() for t in model.transduce(texts, beam=3, num=2)]


@pytest.mark.slow
def test_transformer_learns_to_reverse_strings() -> None:
    """A few minutes on a loaded machine (dev WER 0.29 after 12 epochs of these settings)."""
    pairs = reverse_pairs(random_strings(600, 2, 6, seed=1))
    dev = reverse_pairs(random_strings(60, 2, 6, seed=2))
    model = train_seq2seq(pairs, dev, arch="transformer", hidden=32, heads=2, ff=64, encoder_layers=1,
                          decoder_layers=1, dropout=0.0, epochs=25, batch_size=16, lr=0.01, seed=0)
    assert model.training["best"]["valid_wer"] <= 0.2, model.training["history"][-1]
    assert model.transduce(["abcd"], beam=3)[0].text == "d c b a"


def test_configs_refuse_what_the_transformer_cannot_do() -> None:
    with pytest.raises(OptionError, match="--hidden.*multiple of --heads"):
        Seq2SeqConfig(arch="transformer", hidden=30, heads=4)
    with pytest.raises(OptionError, match="--arch"):
        Seq2SeqConfig(arch="cnn")
    with pytest.raises(OptionError, match="--teacher-forcing"):
        train_seq2seq([("ab", "b a")], [("ab", "b a")], arch="transformer", teacher_forcing=0.5)
    assert Seq2SeqConfig.from_dict({"hidden": 64}).arch == "rnn"  # models saved before the option


def test_an_odd_hidden_size_is_a_transformers_own_business() -> None:
    """Found by review: --arch transformer --hidden 33 --heads 3 was refused by the
    bidirectional recurrent encoder's rule ('must be even'), which it does not have."""
    assert Seq2SeqConfig(arch="transformer", hidden=33, heads=3).hidden == 33
    with pytest.raises(OptionError, match="must be even"):
        Seq2SeqConfig(hidden=33)


def test_decoding_stops_at_the_transformers_last_position() -> None:
    """Found by review: a limit past its 1,024 positions (the default one of a long source,
    or --max-tokens) crashed with an internal IndexError; the default limit now stops at
    the last position, and a larger --max-tokens is refused in one line."""
    net = tiny_net()
    with torch.no_grad():  # never emits </s>: every search runs to its limit
        net.out.bias[TARGET_VOCAB.eos_id] = -1e4
    model = Seq2SeqModel(net, net.config, SOURCE_VOCAB, TARGET_VOCAB, CPU)
    (long,) = model.transduce(["ab" * 300], beam=2)  # default limit 2 * 600 + 10
    assert len(long.candidates[0].tokens) == 1023
    (short,) = model.transduce(["abc"], max_tokens=1023)
    assert len(short.candidates[0].tokens) == 1023
    with pytest.raises(OptionError, match="--max-tokens: a transformer model writes at most 1,023 tokens"):
        model.transduce(["abc"], max_tokens=1100)


def test_a_training_pair_longer_than_the_transformers_positions_is_named(tmp_path: Path) -> None:
    """Found by review: a 1,100-token pair crashed training with an internal RuntimeError."""
    from wordseq.errors import InputError

    pairs = [("ab", "b a"), ("ba", "a b"), ("a" * 1100, " ".join(["a"] * 1100))]
    train = write_pairs(tmp_path / "train.tsv", pairs)
    with pytest.raises(InputError, match=r"train.tsv: line 3: the source has 1,100 tokens; the transformer reads at most 1,024"):
        train_seq2seq(str(train), [("ab", "b a")], arch="transformer", hidden=8, heads=2, epochs=1)


def test_cli_trains_a_transformer_and_transduces_with_beams(tmp_path: Path, wordseq_home: Path) -> None:
    train = write_pairs(tmp_path / "train.tsv", reverse_pairs(random_strings(40, 2, 5, seed=3)))
    runner = CliRunner()
    r = invoke(runner, ["seq2seq", "train", str(train), "-o", "rev", "--arch", "transformer", "--hidden", "16",
                             "--heads", "2", "--ff", "32", "--encoder-layers", "1", "--decoder-layers", "1",
                             "--label-smoothing", "0.1", "--epochs", "1", "--device", "cpu"])
    assert r.exit_code == 0, r.stderr
    assert "Transformer 1+1 layers × 16, 2 heads, ff 32" in r.stderr
    meta = json.loads((wordseq_home / "seq2seq" / "rev" / "meta.json").read_text())
    assert meta["config"]["arch"] == "transformer"
    r = invoke(runner, ["transduce", "-m", "rev", "--beam", "3", "--device", "cpu"], input="abc\n")
    assert r.exit_code == 0, r.stderr
    r = invoke(runner, ["seq2seq", "train", str(train), "--arch", "transformer", "--hidden", "30"])
    assert r.exit_code == 2 and "--hidden" in r.stderr
