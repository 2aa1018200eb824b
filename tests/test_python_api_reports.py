"""The Python API reports what the CLI reports (issue 20, item 10): warnings through
``warnings`` (WordseqWarning), lines through the ``wordseq`` logger, as gensim does, and
the CLI's progress with ``progress=True``."""

from __future__ import annotations

import inspect
import logging
import warnings
from pathlib import Path

import pytest

import wordseq
from tests.conftest import CORPUS
from wordseq.errors import WordseqWarning


def test_a_high_oov_rate_is_a_python_warning(tmp_path: Path) -> None:
    model = wordseq.train_ngram(["the cat sat", "the dog sat"], str(tmp_path / "m"), order=2, discount_fallback=True)
    with pytest.warns(WordseqWarning, match="are not in the model's vocabulary"):
        model.perplexity(["the zebra ate quinoa", "a yak slept"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.perplexity(["the cat sat"])  # nothing to say


class _Records(logging.Handler):
    """The records a logger hands on (the suite runs without pytest's logging plugin,
    whose per-test set-up visits every logger torch makes)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_library_warnings_and_lines_reach_python(tmp_path: Path) -> None:
    text = tmp_path / "bad.txt"
    text.write_bytes(b"the cat sat on the mat \xff\n" * 20)
    logger = logging.getLogger("wordseq")
    seen, level = _Records(), logger.level
    logger.addHandler(seen)
    logger.setLevel(logging.INFO)
    try:
        with pytest.warns(WordseqWarning, match=r"replaced 20 invalid UTF-8 byte\(s\)"):
            wordseq.train_embeddings(str(text), str(tmp_path / "v"), dim=8, epochs=1, min_count=1, workers=1,
                                     encoding_errors="replace")
    finally:
        logger.removeHandler(seen)
        logger.setLevel(level)
    assert any("epoch 1/1" in r.getMessage() for r in seen.records)


def test_progress_true_shows_the_clis_progress(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert "progress" in inspect.signature(wordseq.train_embeddings).parameters
    wordseq.train_embeddings(str(CORPUS), str(tmp_path / "v"), dim=8, epochs=1, min_count=5, workers=1, progress=True)
    err = capsys.readouterr().err
    assert "epoch 1/1" in err and "words × 8" in err
    with pytest.raises(TypeError, match="progress=True or reporter"):
        wordseq.train_embeddings(str(CORPUS), str(tmp_path / "w"), progress=True, reporter=object())


def test_functions_without_a_reporter_are_unchanged() -> None:
    assert "progress" not in inspect.signature(wordseq.load).parameters
