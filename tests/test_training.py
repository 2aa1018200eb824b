"""The one training run (wordseq.training) that the neural LM, seq2seq and the classifier share."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from classify_toy import TINY, sentiment_pairs

import wordseq
from tests.ctrl_c import CtrlCAfter
from wordseq.training import Interrupted

LIBRARY = Path(wordseq.__file__).parent


def _definitions() -> dict[str, list[str]]:
    """Where each function and class of the library is defined (module paths); a loop
    ``while ... finished`` counts as a definition of "a run loop"."""
    found: dict[str, list[str]] = {}
    for path in LIBRARY.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.While) and "finished" in ast.unparse(node.test):
                found.setdefault("a run loop", []).append(str(path.relative_to(LIBRARY)))
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                found.setdefault(node.name, []).append(str(path.relative_to(LIBRARY)))
    return found


def test_the_loop_ctrl_c_and_the_training_errors_are_defined_once_in_training() -> None:
    found = _definitions()
    for name in ("a run loop", "train_loop", "stop_on_interrupt", "Interrupted", "TrainingDiverged", "previous_run",
                 "TrainingRun"):
        assert found[name] == ["training.py"], (name, found[name])
    for name in ("_interrupted", "_resume_source", "_train_loop", "_batch_logger"):  # what each family had
        assert set(found.get(name, [])) <= {"training.py"}, (name, found[name])


def test_seq2seq_and_classify_import_nothing_of_the_neural_lm_s_training() -> None:
    for family in ("seq2seq", "classify"):
        for path in (LIBRARY / family).glob("*.py"):
            text = path.read_text(encoding="utf-8")
            for module in ("wordseq.neural.session", "wordseq.neural.train", "wordseq.neural.interrupt"):
                assert module not in text, (path, module)


def test_ctrl_c_stops_a_classifier_after_the_batch_and_saves_nothing(wordseq_home: Path) -> None:
    from wordseq.classify.train import train_classifier

    with pytest.raises(Interrupted, match="interrupted in epoch 1; nothing saved"):
        train_classifier(sentiment_pairs(120), output="stopped", epochs=3, reporter=CtrlCAfter(2), **TINY)
    assert not (wordseq_home / "classifier" / "stopped").exists()
