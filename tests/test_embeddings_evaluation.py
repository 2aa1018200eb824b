"""Analogy and similarity evaluation on tiny hand-made files and vectors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from wordseq.embeddings.evaluation import (
    SIMILARITY_SETS,
    dataset_path,
    evaluate_analogies,
    evaluate_similarity,
    read_analogy_file,
)
from wordseq.embeddings.model import EmbeddingModel
from wordseq.embeddings.storage import WordVectors
from wordseq.errors import InputError

# Frequency order: a b c x y; with b - a + c, 3CosAdd answers y and 3CosMul answers x.
WORDS = ["a", "b", "c", "x", "y"]
VECTORS = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [-0.9, 0.2, 0.2], [0, 0.7, 0.7]], dtype=np.float32)


def _model() -> EmbeddingModel:
    return EmbeddingModel(path=Path("."), meta={}, vectors=WordVectors(list(WORDS), VECTORS))


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "questions.txt"
    path.write_text(text, encoding="utf-8")
    return path


def test_sections_accuracy_and_oov_counts(tmp_path: Path) -> None:
    path = _write(tmp_path, ": first\nA B C Y\nA B C X\n: second\nA B C nowhere\nb a c y\n")
    report = evaluate_analogies(_model(), path, restrict=None, method="add")
    first, second = report.sections
    assert (first.name, first.correct, first.attempted, first.skipped_oov) == ("first", 1, 2, 0)
    assert (second.name, second.attempted, second.skipped_oov) == ("second", 1, 1)
    assert report.questions == 4 and report.skipped_oov == 1
    assert report.accuracy == pytest.approx((first.correct + second.correct) / 3)
    assert report.to_dict()["total"]["attempted"] == 3


def test_method_mul_changes_the_answers(tmp_path: Path) -> None:
    path = _write(tmp_path, ": s\na b c y\n")
    assert evaluate_analogies(_model(), path, restrict=None, method="add").correct == 1
    assert evaluate_analogies(_model(), path, restrict=None, method="mul").correct == 0


def test_restrict_skips_questions_with_rare_words(tmp_path: Path) -> None:
    path = _write(tmp_path, ": s\na b c y\na b c x\n")
    report = evaluate_analogies(_model(), path, restrict=4, method="add")
    # y is the 5th word: its question is skipped, and y cannot be an answer either
    assert report.sections[0].skipped_oov == 1
    assert report.sections[0].attempted == 1 and report.sections[0].correct == 1


def test_malformed_lines_are_reported_with_line_numbers_not_fatal(tmp_path: Path) -> None:
    path = _write(tmp_path, ": s\na b c\na b c y\n:\na b c y extra\n")
    sections, malformed = read_analogy_file(path)
    assert [m.line for m in malformed] == [2, 4, 5]
    report = evaluate_analogies(_model(), path, restrict=None)
    assert report.attempted == 1 and len(report.malformed) == 3


def test_file_without_questions_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no analogy questions"):
        evaluate_analogies(_model(), _write(tmp_path, ": empty\n\n"), restrict=None)


def test_similarity_spearman_and_skipped_pairs(tmp_path: Path) -> None:
    path = tmp_path / "pairs.tsv"
    # cosines: b-y .71, a-x -.95, b-c 0; human scores in the same order give rho = 1
    path.write_text("# header\nb\ty\t9\na\tx\t1\nb\tc\t5\na\tmissing\t3\nbad line\n", encoding="utf-8")
    report = evaluate_similarity(_model(), path)
    assert report.spearman == pytest.approx(1.0)
    assert (report.pairs, report.used, report.skipped_oov) == (4, 3, 1)
    assert [m.line for m in report.malformed] == [6]


def test_similarity_needs_two_known_pairs(tmp_path: Path) -> None:
    path = tmp_path / "pairs.tsv"
    path.write_text("a\tb\t1\nq\tr\t2\n", encoding="utf-8")
    with pytest.raises(InputError, match="at least 2"):
        evaluate_similarity(_model(), path)


def test_builtin_sets_are_found_in_gensim() -> None:
    assert dataset_path(None, SIMILARITY_SETS).name == "wordsim353.tsv"
    assert dataset_path("simlex999", SIMILARITY_SETS).name == "simlex999.txt"
    with pytest.raises(InputError, match="no such file"):
        dataset_path("nope.txt", SIMILARITY_SETS)
