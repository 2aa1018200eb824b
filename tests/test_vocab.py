from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from wordseq.errors import InputError, OptionError
from wordseq.vocab import SPECIALS, Vocabulary

SEQS = [["b", "a", "c", "a"], ["c", "a", "d"], ["e"]]


def test_order_is_count_then_word_after_specials() -> None:
    v = Vocabulary.build(SEQS)
    assert v.itos == list(SPECIALS) + ["a", "c", "b", "d", "e"]
    assert v.counts[4:] == [3, 2, 1, 1, 1]
    assert (v.pad_id, v.unk_id, v.bos_id, v.eos_id) == (0, 1, 2, 3)
    assert v.counts[v.bos_id] == v.counts[v.eos_id] == 3


def test_min_count_and_max_size_send_the_rest_to_unk() -> None:
    v = Vocabulary.build(SEQS, min_count=2)
    assert v.words() == ["a", "c"]
    assert v.counts[v.unk_id] == 3
    assert v.coverage().ratio == pytest.approx(5 / 8)
    assert Vocabulary.build(SEQS, max_size=1).words() == ["a"]
    assert v.encode(["a", "zzz"]) == [4, v.unk_id]


def test_tsv_round_trip(tmp_path: Path) -> None:
    v = Vocabulary.build(SEQS, min_count=2)
    v.save(tmp_path / "v.tsv")
    w = Vocabulary.load(tmp_path / "v.tsv")
    assert w.itos == v.itos and w.counts == v.counts


def test_plain_word_list_gets_specials(tmp_path: Path) -> None:
    (tmp_path / "w.tsv").write_text("x\t5\ny\t2\n")
    assert Vocabulary.load(tmp_path / "w.tsv").itos == list(SPECIALS) + ["x", "y"]


def test_malformed_tsv_names_the_line(tmp_path: Path) -> None:
    (tmp_path / "bad.tsv").write_text("x\t5\ny two\n")
    with pytest.raises(InputError, match="line 2"):
        Vocabulary.load(tmp_path / "bad.tsv")


def test_bad_limits() -> None:
    with pytest.raises(OptionError, match="--min-count"):
        Vocabulary.from_counter(Counter(a=1), min_count=0)
