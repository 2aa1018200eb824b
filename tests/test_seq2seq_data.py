"""Pairs files and the CMUdict converter: parsing, bad lines, a deterministic split."""

from __future__ import annotations

import gzip
import random
from pathlib import Path

import pytest

from tests.conftest import DATA
from wordseq.errors import InputError, OptionError
from wordseq.seq2seq.cmudict import (
    SplitSettings,
    convert_cmudict,
    parse_line,
    part_of,
    read_entries,
    split_dictionary,
)
from wordseq.seq2seq.config import Seq2SeqConfig, Seq2SeqTrainConfig, split_options
from wordseq.seq2seq.pairs import hash_percent, tokenize_pairs
from wordseq.text.preprocess import Preprocessor

G2P = Seq2SeqConfig()
SRC, TGT = Preprocessor(G2P.source_preprocess()), Preprocessor(G2P.target_preprocess())

NLTK_LAYOUT = """\
A 1 AH0
A 2 EY1
ABLE-BODIED 1 EY1 B AH0 L B AA1 D IY0 D
&AMPERSAND 1 AE1 M P ER0 S AE2 N D
TOMATO 1 T AH0 M EY1 T OW2
TOMATO 2 T AH0 M AA1 T OW2
READ 1 R EH1 D
READ 2 R IY1 D
"""
ORIGINAL_LAYOUT = """\
;;; # CMUdict  --  Major Version: 0.07
A  AH0
A(1)  EY1
ABLE-BODIED  EY1 B AH0 L B AA1 D IY0 D
&AMPERSAND  AE1 M P ER0 S AE2 N D
TOMATO  T AH0 M EY1 T OW2
TOMATO(1)  T AH0 M AA1 T OW2
READ  R EH1 D
READ(1)  R IY1 D
"""


def write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


# -- pairs -------------------------------------------------------------------------------


def test_pairs_file_gives_character_sources_and_phoneme_targets(tmp_path: Path) -> None:
    f = write(tmp_path / "p.tsv", "Hello\tHH AH0 L OW1\n\nab c\tAE B\n")
    data = tokenize_pairs(f, SRC, TGT)
    assert [(p.source, p.target) for p in data.pairs] == [
        (list("hello"), ["HH", "AH0", "L", "OW1"]),  # source lowercased, target kept as written
        (["a", "b", "▁", "c"], ["AE", "B"]),
    ]
    assert data.pairs[1].where.endswith("line 3")  # the blank line 2 is skipped, still counted
    assert data.sources[0].sha256


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ab\tAE B\nno tab here\n", r"p\.tsv: line 2: expected 'source<TAB>target', found no tab"),
        ("ab\tAE B\n\tAE B\n", r"p\.tsv: line 2: the source \(before the tab\) is empty"),
        ("ab\tAE B\n   \tAE B\n", r"p\.tsv: line 2: the source \(before the tab\) is empty"),
        ("ab\t\n", r"p\.tsv: line 1: the target \(after the tab\) is empty"),
        ("a\tb\tc\n", r"p\.tsv: line 1: expected 'source<TAB>target', found 2 tabs"),
        ("\n\n", r"no pairs \(every line is blank\)"),
    ],
)
def test_bad_pair_lines_are_named_with_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    f = write(tmp_path / "p.tsv", text)
    with pytest.raises(InputError, match=message):
        tokenize_pairs(f, SRC, TGT)


def test_line_numbers_restart_in_each_file(tmp_path: Path) -> None:
    empty = write(tmp_path / "empty.tsv", "")
    first = write(tmp_path / "a.tsv", "ab\tA B\n" * 3)
    second = write(tmp_path / "b.tsv", "ab\tA B\n\nno tab\n")
    with pytest.raises(InputError, match=r"b\.tsv: line 3: expected"):
        tokenize_pairs([empty, first, second], SRC, TGT)
    ok = tokenize_pairs([first, empty, first], SRC, TGT)
    assert [p.where.rsplit(": ", 1)[1] for p in ok.pairs] == ["line 1", "line 2", "line 3"] * 2


def test_pairs_can_come_from_memory_and_bad_ones_are_numbered() -> None:
    data = tokenize_pairs([("ab", "A B"), ("c", "C")], SRC, TGT)
    assert [p.target for p in data.pairs] == [["A", "B"], ["C"]]
    with pytest.raises(InputError, match="pair 2: expected a \\(source, target\\) pair"):
        tokenize_pairs([("ab", "A B"), ("c",)], SRC, TGT)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="pair 1: the source"):
        tokenize_pairs([("", "A")], SRC, TGT)


def test_word_level_sources_split_on_spaces() -> None:
    cfg = Seq2SeqConfig(source_level="word", target_level="char")
    data = tokenize_pairs([("Guten  Tag", "good day")], Preprocessor(cfg.source_preprocess()),
                          Preprocessor(cfg.target_preprocess()))
    assert data.pairs[0].source == ["guten", "tag"]
    assert data.pairs[0].target == list("good") + ["▁"] + list("day")


# -- configs -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"dropout": float("nan")}, "--dropout: must be a finite number"),
        ({"dropout": 1.0}, r"--dropout: must be in \[0, 1\)"),
        ({"hidden": 33}, "--hidden: must be even with a bidirectional encoder"),
        ({"attention": "luong"}, "--attention: choose one of dot, general, additive, none"),
        ({"encoder_layers": 0}, "--encoder-layers: must be between 1 and 100"),
    ],
)
def test_model_config_rejects_bad_values_naming_the_option(kwargs: dict, message: str) -> None:
    with pytest.raises(OptionError, match=message):
        Seq2SeqConfig(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lr": float("inf")}, "--lr: must be a finite number"),
        ({"lr": 0.0}, r"--lr: must be in \(0, 10000\]"),
        ({"teacher_forcing": 1.5}, r"--teacher-forcing: must be in \[0, 1\]"),
        ({"clip": -1.0}, "--clip: must be at least 0"),
        ({"epochs": 0}, "--epochs: must be between 1 and 100000"),
        ({"lr_schedule": "step"}, "--lr-schedule: choose one of plateau, cosine"),
    ],
)
def test_train_config_rejects_bad_values_naming_the_option(kwargs: dict, message: str) -> None:
    with pytest.raises(OptionError, match=message):
        Seq2SeqTrainConfig(**kwargs)


def test_no_input_feeding_without_attention_and_unknown_options_are_named() -> None:
    assert Seq2SeqConfig(attention="none").input_feeding is False
    with pytest.raises(TypeError, match="unknown option\\(s\\) for train_seq2seq: hiden"):
        split_options({"hiden": 3})
    with pytest.raises(OptionError, match="--test-percent: with --dev-percent 50 leaves nothing to train on"):
        SplitSettings(dev_percent=50, test_percent=50)


# -- CMUdict -----------------------------------------------------------------------------


def test_both_dictionary_layouts_parse_to_the_same_entries() -> None:
    nltk = list(read_entries(NLTK_LAYOUT.splitlines()))
    original = list(read_entries(ORIGINAL_LAYOUT.splitlines()))
    assert nltk == original
    assert nltk[0].word == "a" and nltk[0].phonemes == ("AH0",)
    assert parse_line("TOMATO(1)  T AH0 M AA1 T OW2", "x") == parse_line("TOMATO 2 T AH0 M AA1 T OW2", "x")


def test_a_bad_dictionary_line_is_named() -> None:
    with pytest.raises(InputError, match="dict: line 2: expected 'WORD PHONEME...'"):
        list(read_entries(["A 1 AH0", "LONELY"], "dict"))
    with pytest.raises(InputError, match="dict: line 1: 'ah0' is not a CMUdict phoneme"):
        list(read_entries(["A 1 ah0"], "dict"))


def test_split_keeps_all_pronunciations_of_a_word_together_and_drops_stress() -> None:
    parts, summary = split_dictionary(read_entries(NLTK_LAYOUT.splitlines()), SplitSettings(dev_percent=30, test_percent=30))
    where = {w: part for part, pairs in parts.items() for w, _ in pairs}
    for part, pairs in parts.items():
        for word, _phones in pairs:
            assert where[word] == part == part_of(word, 30, 30)
    everything = [pair for pairs in parts.values() for pair in pairs]
    assert ("tomato", "T AH M EY T OW") in everything and ("tomato", "T AH M AA T OW") in everything
    assert ("able-bodied", "EY B AH L B AA D IY D") in everything
    assert summary.skipped_words == 1 and "&ampersand" not in where  # not a spelling
    kept, _ = split_dictionary(read_entries(NLTK_LAYOUT.splitlines()), SplitSettings(stress=True, all_words=True))
    assert ("&ampersand", "AE1 M P ER0 S AE2 N D") in [p for ps in kept.values() for p in ps]


def test_the_split_is_a_fixed_function_of_the_word() -> None:
    # sha256-based: these never change across machines, Python versions or line orders
    assert hash_percent("pronunciation") == 45.57
    assert [part_of(w) for w in ("aardvark", "ab", "a")] == ["test", "dev", "train"]


def test_converting_twice_or_in_another_line_order_gives_the_same_split(tmp_path: Path) -> None:
    with gzip.open(DATA / "cmudict-0.7a.gz", "rt", encoding="ascii") as fh:
        lines = [next(fh) for _ in range(3000)]
    a = convert_cmudict(lines, tmp_path / "a")
    convert_cmudict(lines, tmp_path / "b")
    shuffled = lines[:]
    random.Random(0).shuffle(shuffled)
    convert_cmudict(shuffled, tmp_path / "c")
    for part in ("train", "dev", "test"):
        first = (tmp_path / "a" / f"{part}.tsv").read_bytes()
        assert first == (tmp_path / "b" / f"{part}.tsv").read_bytes()
        assert sorted(first.splitlines()) == sorted((tmp_path / "c" / f"{part}.tsv").read_bytes().splitlines())
    assert a.words["train"] > 5 * a.words["test"] > 0 and a.words["dev"] > 0
    assert sum(a.pairs.values()) >= sum(a.words.values())
