"""Corpus streams, vocabulary from training text only, batchify / get_batch for BPTT."""

from __future__ import annotations

import pytest
import torch

from wordseq.errors import InputError
from wordseq.neural.data import batchify, build_training_data, encode_text, get_batch
from wordseq.text.preprocess import PreprocessConfig, Preprocessor
from wordseq.vocab import Vocabulary

PRE = Preprocessor(PreprocessConfig(pretokenized=True))


def test_batchify_matches_hand_made_columns() -> None:
    # the stream 0..25 in 4 columns: 26 // 4 = 6 rows, the last 2 tokens dropped
    data = batchify(torch.arange(26), 4)
    expected = torch.tensor(
        [
            [0, 6, 12, 18],
            [1, 7, 13, 19],
            [2, 8, 14, 20],
            [3, 9, 15, 21],
            [4, 10, 16, 22],
            [5, 11, 17, 23],
        ]
    )
    assert torch.equal(data, expected)


def test_get_batch_windows_and_targets_shifted_by_one() -> None:
    data = batchify(torch.arange(26), 4)
    x, y = get_batch(data, 0, 4)
    assert torch.equal(x, data[0:4]) and torch.equal(y, data[1:5])
    # the last window is shorter: rows 4 and 5 remain, one input row with its target
    x, y = get_batch(data, 4, 4)
    assert x.tolist() == [[4, 10, 16, 22]] and y.tolist() == [[5, 11, 17, 23]]
    # windows tile the rows so each target is seen exactly once per epoch
    seen = []
    for i in range(0, len(data) - 1, 3):
        seen.extend(get_batch(data, i, 3)[1].flatten().tolist())
    assert sorted(seen) == sorted(data[1:].flatten().tolist())


def test_batchify_refuses_text_too_short_for_one_batch() -> None:
    with pytest.raises(InputError, match="too short"):
        batchify(torch.arange(7), 4)


def test_stream_puts_eos_before_and_after_each_sequence() -> None:
    data = build_training_data(["a b", "b c a"], PRE, ["a x"])
    v = data.vocab
    assert v.decode(data.train.ids.tolist()) == ["</s>", "a", "b", "</s>", "b", "c", "a", "</s>"]
    assert data.train.sequences == 2 and data.train.predicted == 7
    # x appears only in validation text: it is <unk>, not a vocabulary word
    assert "x" not in v
    assert v.decode(data.valid.ids.tolist()) == ["</s>", "a", "<unk>", "</s>"]


def test_held_out_tail_is_deterministic_and_excluded_from_the_vocabulary() -> None:
    lines = [f"w{i} common" for i in range(20)]
    first = build_training_data(lines, PRE)
    again = build_training_data(lines, PRE)
    assert first.valid_is_held_out
    assert first.train.sequences == 18 and first.valid.sequences == 2
    assert first.train.ids.tolist() == again.train.ids.tolist()
    assert "w17" in first.vocab and "w18" not in first.vocab and "w19" not in first.vocab
    assert first.vocab.decode(first.valid.ids.tolist()) == ["</s>", "<unk>", "common", "</s>", "<unk>", "common", "</s>"]


def test_literal_marker_tokens_in_text_are_not_markers() -> None:
    data = build_training_data(["a <pad> <s> b"], PRE, ["a"])
    ids = data.train.ids.tolist()
    assert Vocabulary.pad_id not in ids and Vocabulary.bos_id not in ids


def test_encode_text_uses_the_given_vocabulary() -> None:
    vocab = build_training_data(["a b c"], PRE, ["a"]).vocab
    stream = encode_text(["c z a"], PRE, vocab)
    assert vocab.decode(stream.ids.tolist()) == ["</s>", "c", "<unk>", "a", "</s>"]
