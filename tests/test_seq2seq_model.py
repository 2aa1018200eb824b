"""The encoder-decoder network, its decoder as a LanguageModel, and its saved files."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.seq2seq_toy import loss_by_decoding, one_thread  # noqa: F401  (autouse fixture)
from wordseq import decoding
from wordseq.errors import ModelError, WordseqError
from wordseq.lm_interface import LanguageModel
from wordseq.seq2seq.config import Seq2SeqConfig
from wordseq.seq2seq.decoder_lm import SourceConditionedLM, pad_batch
from wordseq.seq2seq.model import Seq2SeqModel
from wordseq.seq2seq.network import Seq2SeqNet
from wordseq.seq2seq.storage import MODEL_FILE, load_seq2seq, write_payload
from wordseq.vocab import SPECIALS, Vocabulary

SOURCE_VOCAB = Vocabulary(list(SPECIALS) + list("abcdef"), [0] * 10)
TARGET_VOCAB = Vocabulary(list(SPECIALS) + ["A", "B", "C", "D", "E"], [0] * 9)
SOURCES = [[4, 5, 6], [7, 8, 9, 4, 5], [6], [9, 9, 8, 7]]




def tiny_net(seed: int = 0, **kwargs: object) -> Seq2SeqNet:
    torch.manual_seed(seed)
    config = Seq2SeqConfig(**{"emb": 8, "hidden": 12, "dropout": 0.0, **kwargs})  # type: ignore[arg-type]
    net = Seq2SeqNet(config, len(SOURCE_VOCAB), len(TARGET_VOCAB))
    with torch.no_grad():
        net.decoder.out.weight.mul_(30)  # peaked distributions, so greedy and beams differ
    return net.eval()


def bound(net: Seq2SeqNet, sources: list[list[int]]) -> SourceConditionedLM:
    model = Seq2SeqModel(net, net.config, SOURCE_VOCAB, TARGET_VOCAB, torch.device("cpu"))
    return SourceConditionedLM(model.net, TARGET_VOCAB, model.target_preprocess, model.device, sources)


@pytest.mark.parametrize(("attention", "feeding"), [("dot", False), ("general", True), ("additive", False)])
def test_attention_sums_to_one_over_real_positions_and_ignores_padding(attention: str, feeding: bool) -> None:
    net = tiny_net(attention=attention, input_feeding=feeding)
    lm = bound(net, SOURCES)
    state = lm.advance(lm.start([]), np.array([4, 5, 6, 7]))
    weights = state.attention
    assert weights is not None and weights.shape == (4, 5)
    lengths = torch.tensor([len(s) for s in SOURCES])
    assert torch.allclose(weights.sum(dim=1), torch.ones(4))
    padding = torch.arange(5)[None, :] >= lengths[:, None]
    assert torch.all(weights[padding] == 0)
    # a source decoded beside longer ones (padded) gets what it gets alone (no padding)
    for i, source in enumerate(SOURCES):
        alone = bound(net, [source])
        s = alone.advance(alone.start([]), np.array([4 + i]))
        assert torch.allclose(s.logprobs[0], state.logprobs[i], atol=1e-5)
        assert s.attention is not None and torch.allclose(s.attention[0], weights[i, : len(source)], atol=1e-6)


def test_padding_symbols_in_the_batch_do_not_change_the_encoding() -> None:
    net = tiny_net()
    src, lengths = pad_batch(SOURCES, torch.device("cpu"))
    garbage = src.clone()
    garbage[garbage == 0] = 5  # real tokens where the padding is: masked lengths must hide them
    a, b = net.encode(src, lengths), net.encode(garbage, lengths)
    assert torch.allclose(a.final, b.final) and torch.allclose(a.memory, b.memory)


def test_decoder_is_a_language_model_for_the_shared_searches() -> None:
    lm = bound(tiny_net(), [SOURCES[1]])
    assert isinstance(lm, LanguageModel)
    lp = lm.next_logprobs(lm.start([]))
    assert lp.shape == (1, len(TARGET_VOCAB))
    assert np.all(np.isneginf(lp[0, [0, 1, 2]]))  # <pad>, <unk>, <s> are never emitted
    assert np.isclose(np.logaddexp.reduce(lp[0]), 0.0, atol=1e-5)
    # greedy, beam and sampling from decoding.py run on it unchanged
    assert decoding.greedy(lm, [[]], max_tokens=8)[0].token_ids
    assert len(decoding.beam_search(lm, [[]], beam=3, num=2, max_tokens=8)[0]) == 2
    assert len(decoding.sample(lm, [[]], num=3, max_tokens=8, sampling=decoding.Sampling(seed=1))[0]) == 3


@pytest.mark.parametrize("seed", range(4))
def test_beam_of_one_equals_greedy(seed: int) -> None:
    net = tiny_net(seed)
    for source in SOURCES:
        lm = bound(net, [source])
        (g,) = decoding.greedy(lm, [[]], max_tokens=12)
        b = decoding.beam_search(lm, [[]], beam=1, max_tokens=12)[0][0]
        assert b.token_ids == g.token_ids
    many = bound(net, SOURCES)
    greedy_rows = decoding.greedy(many, [[]], 12)
    beam_rows = decoding.beam_search(many, [[]], 1, 12)
    assert [b[0].token_ids for b in beam_rows] == [g.token_ids for g in greedy_rows]


@pytest.mark.parametrize("seed", range(3))
def test_batched_searches_give_each_source_what_it_gets_alone(seed: int) -> None:
    net = tiny_net(seed, attention="additive", decoder="gru", encoder="gru", input_feeding=True)
    limits = [3, 12, 7, 12]
    many = bound(net, SOURCES)
    greedy_rows = decoding.greedy(many, [[]], limits)
    beam_rows = decoding.beam_search(many, [[]], 4, limits, num=3)
    for source, limit, g, beams in zip(SOURCES, limits, greedy_rows, beam_rows):
        alone = bound(net, [source])
        assert decoding.greedy(alone, [[]], max_tokens=limit)[0].token_ids == g.token_ids
        (expected,) = decoding.beam_search(alone, [[]], beam=4, max_tokens=limit, num=3)
        assert [h.token_ids for h in beams] == [h.token_ids for h in expected]
        assert np.allclose([h.score for h in beams], [h.score for h in expected], atol=1e-5)


@pytest.mark.parametrize(("attention", "feeding"), [("general", False), ("none", False), ("additive", True)])
def test_training_loss_matches_step_by_step_decoding(attention: str, feeding: bool) -> None:
    # the one-call path (no input feeding), the step loop and decoding compute the same thing
    net = tiny_net(attention=attention, input_feeding=feeding)
    with torch.no_grad():
        net.decoder.out.bias[[0, 1, 2]] = -1e4  # tokens decoding masks: no mass in training either
    src, lengths = pad_batch(SOURCES, torch.device("cpu"))
    targets = [[4, 5], [6, 7, 8], [4], [8, 8, 5, 6]]
    tgt_in, _ = pad_batch([[2, *t] for t in targets], torch.device("cpu"))
    tgt_out, _ = pad_batch([[*t, 3] for t in targets], torch.device("cpu"))
    fast = net(src, lengths, tgt_in, tgt_out).item()
    stepwise = net(src, lengths, tgt_in, tgt_out, teacher_forcing=0.999999, generator=torch.Generator().manual_seed(0)).item()
    by_lm = loss_by_decoding(bound(net, SOURCES), targets)
    assert fast == pytest.approx(stepwise, rel=1e-5)
    assert fast == pytest.approx(by_lm, rel=1e-5)


def test_saved_model_loads_back_and_transduces_the_same(tmp_path: Path) -> None:
    net = tiny_net(attention="additive")
    model = Seq2SeqModel(net, net.config, SOURCE_VOCAB, TARGET_VOCAB, torch.device("cpu"))
    write_payload(tmp_path, net.config, SOURCE_VOCAB, TARGET_VOCAB, net.state_dict())
    again = load_seq2seq(tmp_path, {}, device="cpu")
    texts = ["abc", "", "fed", "zz a"]
    first = [t.to_dict() for t in model.transduce(texts, beam=3, num=2)]
    assert [t.to_dict() for t in again.transduce(texts, beam=3, num=2)] == first
    assert first[1]["outputs"] == []  # no tokens, no output


class Planted:
    """Unpickling this runs code: it must never happen when a model loads."""

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (Path.touch, (Path(PLANTED_FLAG[0]),))


PLANTED_FLAG: list[str] = [""]


def test_a_planted_pickle_in_the_payload_is_refused(tmp_path: Path) -> None:
    net = tiny_net()
    write_payload(tmp_path, net.config, SOURCE_VOCAB, TARGET_VOCAB, net.state_dict())
    flag = tmp_path / "code-ran"
    PLANTED_FLAG[0] = str(flag)
    data = {"format": "wordseq-seq2seq", "version": 1, "config": net.config.to_dict(), "model": net.state_dict(),
            "extra": Planted()}
    for name in (MODEL_FILE, "model.pt"):  # today's name, then an older wordseq's (read when alone)
        torch.save(data, tmp_path / name)
        with pytest.raises(ModelError, match=f"{name} is not a (safetensors file|wordseq payload)"):
            load_seq2seq(tmp_path, {}, device="cpu")
        (tmp_path / name).write_bytes(pickle.dumps(Planted()))
        with pytest.raises(ModelError, match=f"{name} is not a (safetensors file|wordseq payload)"):
            load_seq2seq(tmp_path, {}, device="cpu")
        (tmp_path / MODEL_FILE).unlink(missing_ok=True)
    assert not flag.exists()


def test_damaged_or_mismatched_payloads_are_model_errors(tmp_path: Path) -> None:
    net = tiny_net()
    write_payload(tmp_path, net.config, SOURCE_VOCAB, TARGET_VOCAB, net.state_dict())
    (tmp_path / "target_vocab.tsv").write_text("<pad>\t0\n<unk>\t0\n<s>\t0\n</s>\t0\nA\t1\n")
    with pytest.raises(ModelError, match="weights do not fit"):
        load_seq2seq(tmp_path, {}, device="cpu")
    (tmp_path / "source_vocab.tsv").unlink()
    with pytest.raises(ModelError, match="source_vocab.tsv is missing"):
        load_seq2seq(tmp_path, {}, device="cpu")


def test_a_model_without_attention_has_no_attention_picture() -> None:
    net = tiny_net(attention="none")
    model = Seq2SeqModel(net, net.config, SOURCE_VOCAB, TARGET_VOCAB, torch.device("cpu"))
    with pytest.raises(WordseqError, match="--attention none"):
        model.attention("abc")
    att = Seq2SeqModel(tiny_net(), tiny_net().config, SOURCE_VOCAB, TARGET_VOCAB, torch.device("cpu")).attention("abc")
    assert att.weights.shape == (len(att.target_tokens), 3)
    assert np.allclose(att.weights.sum(axis=1), 1.0, atol=1e-5)
