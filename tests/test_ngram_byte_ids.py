"""Scoring pre-tokenized files from their bytes (``byte_ids.py``) gives exactly the id
blocks of the ``str`` path (``reader_chunks`` + ``id_blocks``) on every kind of input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from wordseq.errors import InputError
from wordseq.ngram import encode
from wordseq.ngram.encode import id_blocks, reader_chunks, reader_id_blocks
from wordseq.ngram.evaluate import evaluate
from wordseq.ngram.train import train_ngram
from wordseq.text import reader as reader_module
from wordseq.text.preprocess import PreprocessConfig
from wordseq.text.reader import CorpusReader

LONG = "antidisestablishmentarianism"  # past the 16 bytes read as two words
WORDS = ["the", "a", "cat", "sat", "on", "mat", "dog", "12345678", "1234567890abcdef", "1234567890abcdefg",
         LONG, "été", "straße", "İstanbul", "日本語", "x\x01y", "\u2019s"]
TRAIN = [" ".join(WORDS), "the cat sat on the mat", "a dog sat", "été straße 日本語 the", f"{LONG} the cat"]

TEXTS = {
    "plain": "the cat sat\non the mat\n",
    "no final newline": "the cat\na dog",
    "blank lines": "\n\nthe cat\n\n\na\n",
    "empty": "",
    "only spaces": "   \n \t \n",
    "unknown words": "the zebra sat on the sofa\nqqq\n",
    "widths": "12345678 1234567 123456789 1234567890abcdef 1234567890abcdefg 1234567890abcdefgh\n",
    "long words": f"{LONG} {LONG}x the {LONG[:17]}\n",
    "markers": "<s> the cat </s>\n<pad> <unk> a\n<s>\n",
    "whitespace kinds": "the\tcat\x0bsat\x0con\rthe\x1cmat\x1d \x1e\x1fa\r\n",
    "control bytes": "x\x01y the x\x02y\n",
    "non-ascii": "été straße 日本語 the\n\u2019s cat\n",
    "wide spaces": "the\u00a0cat sat\u2003on\u3000the\n",
    "bom": "\ufeffthe cat\nthe\n",
    "cased": "The CAT Été İstanbul STRASSE\n",
    "crlf": "the cat\r\na dog\r\n",
}


@pytest.fixture(scope="module")
def models() -> dict[bool, object]:
    return {lower: train_ngram(TRAIN, order=3, discount_fallback=True,
                               preprocess=PreprocessConfig(pretokenized=True, lower=lower)) for lower in (False, True)}


def blocks_both_ways(model: object, paths: list[str], lower: bool) -> tuple[list, list]:
    pre = PreprocessConfig(pretokenized=True, lower=lower)
    ids = model.scoring_ids()  # type: ignore[attr-defined]
    fast = list(reader_id_blocks(CorpusReader(paths), pre, ids))
    slow = list(id_blocks(reader_chunks(CorpusReader(paths), pre), ids, keep_empty=True))
    return fast, slow


def assert_same(fast: list, slow: list) -> None:
    assert len(fast) == len(slow)
    for f, s in zip(fast, slow):
        for name in ("ids", "positions", "lengths", "sequence_lines"):
            np.testing.assert_array_equal(getattr(f, name), getattr(s, name), err_msg=name)
        assert (f.first_line, f.lines, f.skipped_markers) == (s.first_line, s.lines, s.skipped_markers)


@pytest.mark.parametrize("lower", [False, True])
@pytest.mark.parametrize("name", sorted(TEXTS))
def test_bytes_give_the_str_paths_ids(tmp_path: Path, models: dict, name: str, lower: bool) -> None:
    path = tmp_path / "t.txt"
    path.write_bytes(TEXTS[name].encode("utf-8"))
    assert_same(*blocks_both_ways(models[lower], [str(path)], lower))


def test_several_files_and_blocks(tmp_path: Path, models: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(encode, "BLOCK_BYTES", 64)  # many blocks per file
    monkeypatch.setattr(reader_module, "BLOCK_BYTES", 16)
    paths = []
    for i, name in enumerate(sorted(TEXTS)):
        (tmp_path / f"{i}.txt").write_bytes((TEXTS[name] * 7).encode("utf-8"))
        paths.append(str(tmp_path / f"{i}.txt"))
    for lower in (False, True):
        fast, slow = blocks_both_ways(models[lower], paths, lower)
        assert_same(fast, slow)
        assert len(fast) > len(paths)


def test_bad_bytes_are_named_or_replaced_as_before(tmp_path: Path, models: dict) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(b"the cat\nthe \xff dog\n")
    pre = PreprocessConfig(pretokenized=True, lower=False)
    with pytest.raises(InputError, match="line 2: invalid UTF-8 byte 0xff"):
        list(reader_id_blocks(CorpusReader([str(path)]), pre, models[False].scoring_ids()))
    reader = CorpusReader([str(path)], "replace")
    fast = list(reader_id_blocks(reader, pre, models[False].scoring_ids()))
    assert reader.replaced == 1
    assert_same(fast, list(id_blocks(reader_chunks(CorpusReader([str(path)], "replace"), pre),
                                     models[False].scoring_ids(), keep_empty=True)))
    path.write_bytes(b"the cat\nthe \x00 dog\n")
    with pytest.raises(InputError, match="line 2: NUL byte"):
        list(reader_id_blocks(CorpusReader([str(path)]), pre, models[False].scoring_ids()))


def test_evaluate_scores_the_same_through_either_path(tmp_path: Path, models: dict) -> None:
    path = tmp_path / "t.txt"
    path.write_text("".join(TEXTS.values()), encoding="utf-8")
    model = models[True]
    fast = evaluate(model, CorpusReader([str(path)]), per_line=True)  # bytes
    slow = evaluate(model, CorpusReader([str(path)]), per_line=True, on_chunk=lambda chunk: None)  # str
    assert [x.to_dict() for x in fast.lines()] == [x.to_dict() for x in slow.lines()]
    assert fast.finish() == slow.finish()


def test_words_no_token_can_be_are_left_out() -> None:
    from wordseq.ngram.byte_ids import ByteVocabulary, token_ids

    ids_of = {"a": 5, "a\x00": 6, "": 7, "\x00": -1, "b": 8}  # "a\x00" reads as "a" in two words
    vocab = ByteVocabulary(ids_of)
    ids, line, lines = token_ids(b"a b c\n", vocab, ids_of, missing=1)
    assert ids.tolist() == [5, 8, 1] and line.tolist() == [0, 0, 0] and lines == 1


def test_a_vocabulary_word_with_a_lone_surrogate_is_no_tokens(tmp_path: Path) -> None:
    """A model trained in memory from Python tokens may hold a word no UTF-8 file can
    spell (a lone surrogate): the byte table raised UnicodeEncodeError on it (review)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = train_ngram([["a", "b\udcff", "c"], ["a", "c"]] * 3, order=2, discount_fallback=True)
    text = tmp_path / "s.txt"
    text.write_text("a c\na b\n")
    report = model.evaluate(str(text), preprocess=PreprocessConfig(pretokenized=True))[0]
    assert report.oov == 1 and report.perplexity == pytest.approx(2.8061551918344594, rel=1e-12)
