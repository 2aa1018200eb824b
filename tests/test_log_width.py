"""Every training log line fits an 80-column terminal (issue 20, item 14): the formats
with large but realistic figures, and the lines real runs print."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import invoke

WIDTH = 80


def _fits(lines: list[str]) -> list[str]:
    return [line for line in lines if len(line) > WIDTH]


def test_lm_batch_and_check_lines_fit_80_columns() -> None:
    from wordseq.neural.session import batch_line, check_line
    from wordseq.neural.train import CheckRecord

    lines = [batch_line(epoch=40, done=12345, total=12345, lr=1.23457e-05, ms=9999.9, loss=7.1)]
    for end, best, averaged in [(True, True, True), (False, True, True), (True, False, False)]:
        rec = CheckRecord(epoch=40, batches=12345, end_of_epoch=end, at_epoch=39.37, train_ppl=1234.56,
                          valid_ppl=1234.56, lr=1.23457e-05, tokens_per_s=1_234_567, seconds=9999.9, best=best,
                          averaged=averaged)
        lines.append(check_line(rec))
    assert _fits(lines) == [], lines


def test_seq2seq_batch_and_epoch_lines_fit_80_columns() -> None:
    from wordseq.seq2seq.train import EpochRecord, batch_line, epoch_line

    rec = EpochRecord(epoch=40, train_loss=2.5579, valid_loss=2.5737, valid_wer=1.0, valid_ter=5.2222,
                      lr=1.23457e-05, tokens_per_s=1_234_567, seconds=9999.9, best=True)
    lines = [epoch_line(rec), batch_line(epoch=40, done=12345, total=12345, lr=1.23457e-05, loss=10.123)]
    assert _fits(lines) == [], lines


def test_classify_epoch_and_fold_lines_fit_80_columns() -> None:
    from wordseq.classify.crossval import FoldResult, fold_line
    from wordseq.classify.train import EpochRecord, batch_line, epoch_line

    rec = EpochRecord(epoch=40, train_loss=0.7106, train_accuracy=0.9999, valid_loss=0.7002, valid_accuracy=1.0,
                      seconds=9999.9, examples_per_s=1_234_567, best=True, fold=10)
    fold = FoldResult(fold=10, train_examples=999_999, valid_examples=99_999, test_examples=123_456, accuracy=1.0,
                      macro_f1=1.0, best_epoch=40, epochs=40, seconds=9999.9, cpu_seconds=99999.9)
    lines = [epoch_line(rec), fold_line(fold), batch_line(epoch=40, done=12345, total=12345, loss=0.7287)]
    assert _fits(lines) == [], lines


@pytest.fixture
def texts(tmp_path: Path) -> Path:
    (tmp_path / "t.txt").write_text("the cat sat on the mat .\nthe dog sat on the log .\na cat and a dog met .\n" * 30)
    (tmp_path / "p.tsv").write_text("".join(f"{w}\t{' '.join(reversed(w))}\n"
                                            for w in ("cat", "dog", "mat", "log", "sat", "met", "and", "the") * 8))
    (tmp_path / "c.tsv").write_text("".join(f"{'pos' if i % 2 else 'neg'}\t{'good' if i % 2 else 'bad'} film {i}\n"
                                            for i in range(60)))
    return tmp_path


def _stderr_lines(result, home: Path, folder: Path) -> list[str]:  # type: ignore[no-untyped-def]
    assert result.exit_code == 0, result.output
    # a path is the user's to choose: measured as written, not as a temporary folder's name
    return result.stderr.replace(str(home), "~").replace(str(folder), ".").splitlines()


@pytest.mark.parametrize("command", [
    ["lm", "train", "t.txt", "-o", "l", "--layers", "1", "--emb", "8", "--hidden", "8", "--bptt", "8",
     "--batch-size", "4", "--epochs", "1", "--log-interval", "5", "--test", "t.txt"],
    ["seq2seq", "train", "p.tsv", "-o", "s", "--emb", "8", "--hidden", "8", "--batch-size", "8", "--epochs", "1",
     "--dev-percent", "30", "--log-interval", "2"],
    ["classify", "train", "c.tsv", "-o", "c", "--encoder", "bow", "--emb", "8", "--epochs", "2", "--log-interval", "1"],
    ["classify", "train", "c.tsv", "--cv", "3", "--encoder", "bow", "--emb", "8", "--epochs", "1"],
], ids=["lm", "seq2seq", "classify", "classify-cv"])
def test_training_runs_print_lines_that_fit_80_columns(command: list[str], texts: Path, wordseq_home: Path,
                                                        runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(texts)
    lines = _stderr_lines(invoke(runner, command), wordseq_home, texts)
    assert len(lines) >= 3
    assert _fits(lines) == [], lines
