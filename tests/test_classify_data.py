"""Reading labelled data for classifiers: TSV columns, folders, --class files, and the
one-line errors for bad input; stratified folds and validation splits."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from wordseq.classify.data import DataSpec, TableFormat, as_labelled_data, parse_class_option
from wordseq.classify.folds import split_validation, stratified_folds
from wordseq.errors import InputError


def write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_tsv_label_first_text_second_by_default(tmp_path: Path) -> None:
    f = write(tmp_path / "d.tsv", "pos\ta fine film\nneg\ta dull film\n")
    data = DataSpec((f,)).read()
    assert [(e.label, e.text) for e in data.examples] == [("pos", "a fine film"), ("neg", "a dull film")]
    assert data.labels == ["neg", "pos"] and data.sources[0]["lines"] == 2


def test_tsv_label_last_and_extra_columns_joined_as_text(tmp_path: Path) -> None:
    f = write(tmp_path / "d.tsv", "a fine\tfilm\tpos\n")
    (e,) = DataSpec((f,), table=TableFormat("last")).read().examples
    assert (e.label, e.text) == ("pos", "a fine film")


def test_tsv_columns_by_header_name(tmp_path: Path) -> None:
    f = write(tmp_path / "d.tsv", "id\treview\tsentiment\n1\tgreat\tpos\n2\tawful\tneg\n")
    data = DataSpec((f,), table=TableFormat("sentiment", "review")).read()
    assert [(e.label, e.text) for e in data.examples] == [("pos", "great"), ("neg", "awful")]


def test_unknown_label_column_names_the_file_and_the_header(tmp_path: Path) -> None:
    f = write(tmp_path / "d.tsv", "id\treview\tsentiment\n1\tgreat\tpos\n")
    with pytest.raises(InputError, match=r"d\.tsv: line 1: unknown label column 'stars'; the header has: 'id', 'review', 'sentiment'"):
        DataSpec((f,), table=TableFormat("stars", "review")).read()


def test_label_column_beyond_the_line_names_file_and_line(tmp_path: Path) -> None:
    f = write(tmp_path / "d.tsv", "pos\tgood\nneg\tbad\n")
    with pytest.raises(InputError, match=r"d\.tsv: line 1: --label-col 3 asks for column 3 but the line has 2"):
        DataSpec((f,), table=TableFormat("3")).read()


def test_line_without_a_tab_names_file_and_line(tmp_path: Path) -> None:
    f = write(tmp_path / "d.tsv", "pos\tgood\nneg bad\n")
    with pytest.raises(InputError, match=r"d\.tsv: line 2: no tab; expected label<TAB>text"):
        DataSpec((f,)).read()


def test_empty_text_names_file_line_and_label(tmp_path: Path) -> None:
    f = write(tmp_path / "d.tsv", "pos\tgood\nneg\t  \n")
    with pytest.raises(InputError, match=r"d\.tsv: line 2: empty text \(label 'neg'\)"):
        DataSpec((f,)).read()
    g = write(tmp_path / "neg.txt", "bad\n\nworse\n")
    with pytest.raises(InputError, match=r"neg\.txt: line 2: empty text \(label 'neg'\)"):
        DataSpec(classes=(("neg", g),)).read()


def test_one_class_only_is_refused_with_the_reason(tmp_path: Path) -> None:
    f = write(tmp_path / "d.tsv", "pos\tgood\npos\tfine\n")
    with pytest.raises(InputError, match="every text has the label 'pos'; a classifier needs at least two classes"):
        DataSpec((f,)).read().check_trainable()


def test_class_files_gzipped_and_stdin(tmp_path: Path) -> None:
    pos = tmp_path / "p.gz"
    with gzip.open(pos, "wt", encoding="utf-8") as fh:
        fh.write("good\nfine\n")
    neg = write(tmp_path / "n.txt", "bad\n")
    data = DataSpec(classes=(("pos", str(pos)), ("neg", neg))).read()
    assert [(e.label, e.text) for e in data.examples] == [("pos", "good"), ("pos", "fine"), ("neg", "bad")]
    assert data.sources[0]["label"] == "pos"
    import io

    got = DataSpec(("-",)).read(stdin=io.BytesIO(b"a\tx\nb\ty\n"))
    assert [e.where for e in got.examples] == ["<stdin>: line 1", "<stdin>: line 2"]


def test_one_folder_per_label(tmp_path: Path) -> None:
    for label, texts in {"neg": ["bad\nreally", "dull"], "pos": ["good"]}.items():
        (tmp_path / "reviews" / label).mkdir(parents=True)
        for i, t in enumerate(texts):
            write(tmp_path / "reviews" / label / f"{i}.txt", t + "\n")
    data = DataSpec((str(tmp_path / "reviews"),)).read()
    assert [(e.label, e.text) for e in data.examples] == [("neg", "bad really"), ("neg", "dull"), ("pos", "good")]
    assert data.sources[0]["files"] == 3 and len(data.sources[0]["sha256"]) == 64
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no sub-folders"):
        DataSpec((str(tmp_path / "empty"),)).read()


def test_python_forms_of_data(tmp_path: Path) -> None:
    assert len(as_labelled_data([("pos", "good"), ("neg", "bad")]).examples) == 2
    assert as_labelled_data(["good", "bad"], labels=["pos", "neg"]).labels == ["neg", "pos"]
    assert as_labelled_data({"pos": ["good", "fine"], "neg": ["bad"]}).counts() == {"pos": 2, "neg": 1}
    f = write(tmp_path / "d.tsv", "pos\tgood\n")
    assert as_labelled_data(f).examples[0].text == "good"
    with pytest.raises(InputError, match="item 2: expected a \\(label, text\\) pair"):
        as_labelled_data([("pos", "good"), "bad"])
    with pytest.raises(InputError, match="2 texts but 1 labels"):
        as_labelled_data(["good", "bad"], labels=["pos"])


def test_class_option_and_column_options_are_checked() -> None:
    assert parse_class_option("pos=a=b.txt") == ("pos", "a=b.txt")
    with pytest.raises(InputError, match="expected NAME=FILE"):
        parse_class_option("pos")
    with pytest.raises(InputError, match="columns are numbered from 1"):
        TableFormat("0")
    with pytest.raises(InputError, match="both name column 2"):
        TableFormat("2", "2")
    with pytest.raises(InputError, match="no data"):
        DataSpec()
    with pytest.raises(InputError, match="stdin"):
        DataSpec(("-",), classes=(("a", "-"),))


@pytest.mark.parametrize("k", [2, 3, 10])
def test_folds_are_disjoint_cover_the_data_and_keep_class_shares(k: int) -> None:
    y = np.array([0] * 37 + [1] * 23 + [2] * 11)
    folds = stratified_folds(y, k, seed=4)
    joined = np.concatenate(folds)
    assert len(joined) == len(y) and set(joined.tolist()) == set(range(len(y)))
    assert max(len(f) for f in folds) - min(len(f) for f in folds) <= 1
    for f in folds:
        for cls, total in ((0, 37), (1, 23), (2, 11)):
            assert abs(np.sum(y[f] == cls) - total / k) <= 1
    assert [f.tolist() for f in stratified_folds(y, k, seed=4)] == [f.tolist() for f in folds]
    assert [f.tolist() for f in stratified_folds(y, k, seed=5)] != [f.tolist() for f in folds]


def test_folds_need_enough_examples() -> None:
    with pytest.raises(InputError, match="--cv 5 needs at least 5 examples"):
        stratified_folds([0, 1, 0], 5)


def test_validation_split_is_disjoint_and_per_class() -> None:
    y = np.array([0] * 50 + [1] * 30)
    rows = np.arange(10, 80)
    train, valid = split_validation(rows, y, 0.2, seed=1)
    assert set(train) | set(valid) == set(rows) and not set(train) & set(valid)
    assert np.sum(y[valid] == 0) == 8 and np.sum(y[valid] == 1) == 6


def test_fasttext_lines_give_labels_and_text_several_labels_kept_in_order(tmp_path: Path) -> None:
    f = write(tmp_path / "d.txt", "__label__pos a fine film\n__label__neg __label__negated not a fine film\n"
                                   "__label__pos\t__label__pos  tabs and  spaces\n")
    data = DataSpec((f,)).read()
    assert [(e.label, e.more, e.text) for e in data.examples] == [
        ("pos", (), "a fine film"), ("neg", ("negated",), "not a fine film"), ("pos", (), "tabs and spaces")]
    assert data.labels == ["neg", "negated", "pos"] and data.counts()["negated"] == 1
    with pytest.raises(InputError, match=r"d\.txt: line 2: 2 labels \(neg, negated\); train with --multi-label"):
        data.check_single_label()


def test_bad_fasttext_lines_name_file_and_line(tmp_path: Path) -> None:
    for second, message in (("neg bad", "no __label__ word at the start"), ("__label__neg", r"empty text \(label 'neg'\)"),
                            ("__label__ bad", "empty label")):
        f = write(tmp_path / "d.txt", f"__label__pos good\n{second}\n")
        with pytest.raises(InputError, match=r"d\.txt: line 2: " + message):
            DataSpec((f,)).read()


def test_a_tsv_whose_text_mentions_label_prefixes_stays_a_tsv(tmp_path: Path) -> None:
    f = write(tmp_path / "d.tsv", "pos\t__label__x is a word here\n")
    (e,) = DataSpec((f,)).read().examples
    assert (e.label, e.text) == ("pos", "__label__x is a word here")


def test_blank_lines_of_a_fasttext_file_are_skipped_as_fasttext_does(tmp_path: Path) -> None:
    """Found by review: a blank line (even a trailing one) was refused: 'no __label__ word'."""
    f = write(tmp_path / "d.txt", "__label__pos good\n\n__label__neg bad\n   \n\n")
    data = DataSpec((f,)).read()
    assert [(e.label, e.text, e.where) for e in data.examples] == [
        ("pos", "good", f"{f}: line 1"), ("neg", "bad", f"{f}: line 3")]


def test_a_fasttext_line_inside_a_tsv_is_named_not_made_a_label(tmp_path: Path) -> None:
    """Found by review: '__label__pos<TAB>text' in a TSV silently made a class '__label__pos'."""
    f = write(tmp_path / "d.tsv", "pos\tgood\n__label__neg\tbad\n")
    with pytest.raises(InputError, match=r"d\.tsv: line 2: the label '__label__neg' starts with __label__"):
        DataSpec((f,)).read()


def test_a_label_holding_a_tab_or_a_line_break_is_refused(tmp_path: Path) -> None:
    """Found by review: a sub-folder named 'neg<TAB>x' became a label, and predict's
    label<TAB>prob lines could no longer be read back."""
    for label in ("neg\tx", "pos"):
        (tmp_path / "reviews" / label).mkdir(parents=True)
        write(tmp_path / "reviews" / label / "1.txt", "text\n")
    data = DataSpec((str(tmp_path / "reviews"),)).read()
    with pytest.raises(InputError, match=r"the label 'neg\\tx' holds a tab or a line break"):
        data.check_trainable()
    with pytest.raises(InputError, match=r"item 1: the label 'a\\nb' holds a tab or a line break"):
        as_labelled_data([("a\nb", "good"), ("c", "bad")]).check_trainable()


def test_columns_given_for_a_fasttext_file_are_refused(tmp_path: Path) -> None:
    """Found by review: --label-col / --text-col were ignored on fastText lines."""
    f = write(tmp_path / "d.txt", "__label__pos good\n__label__neg bad\n")
    for table in (TableFormat(label_col="2"), TableFormat(text_col="2")):
        with pytest.raises(InputError, match=r"d\.txt: fastText lines have no columns: leave --label-col and --text-col out"):
            DataSpec((f,), table=table).read()
    assert len(DataSpec((f,), table=TableFormat(label_col="1")).read().examples) == 2  # the default, said again
