"""Fixtures for the robustness suite: trained models to point commands at, a timeout, and
a snapshot of the store to prove a failed command changed nothing."""

from __future__ import annotations

import hashlib
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

TEXT = "the cat sat on the mat .\nthe dog sat on the log .\na cat and a dog met .\n" * 30
SMALL_CLASSIFIER = ["--encoder", "bow", "--emb", "8", "--epochs", "1"]
SMALL_LM = ["--layers", "1", "--emb", "8", "--hidden", "8", "--bptt", "8", "--batch-size", "4", "--epochs", "1"]
PAIRS = "".join(f"{w}\t{' '.join(reversed(w))}\n" for w in ("cat", "dog", "mat", "log", "sat", "met", "and", "the") * 8)
SMALL_S2S = ["--emb", "8", "--hidden", "8", "--batch-size", "8", "--epochs", "1", "--dev-percent", "30"]


@pytest.fixture(autouse=True)
def no_hang() -> Iterator[None]:
    """Every case ends within 30 s or fails (a hang is a bug, not a slow test)."""

    def timeout(signum: int, frame: object) -> None:
        raise TimeoutError("the command did not end within 30 s")

    previous = signal.signal(signal.SIGALRM, timeout)
    signal.alarm(30)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="session")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One small model of each kind, trained once, outside any test's store."""
    from wordseq.cli import cli

    root = tmp_path_factory.mktemp("models")
    corpus = root / "corpus.txt"
    corpus.write_text(TEXT)
    runner = CliRunner()
    labelled = root / "labelled.tsv"
    labelled.write_text("".join(f"{'pos' if i % 2 else 'neg'}\t{line}\n" for i, line in enumerate(TEXT.splitlines())))
    pairs = root / "pairs.tsv"
    pairs.write_text(PAIRS)
    paths = {"corpus": corpus, "ngram": root / "ngram", "lm": root / "lm", "embeddings": root / "emb",
             "char": root / "char", "pairs": pairs, "seq2seq": root / "s2s", "labelled": labelled,
             "classifier": root / "classifier", "subwords": root / "ft", "fasttext_bin": root / "fasttext.bin"}
    for args in (["ngram", "train", str(corpus), "-o", str(paths["ngram"]), "--discount-fallback"],
                 ["lm", "train", str(corpus), "-o", str(paths["lm"]), *SMALL_LM],
                 ["lm", "train", str(corpus), "-o", str(paths["char"]), "--level", "char", *SMALL_LM],
                 ["train-embeddings", str(corpus), "-o", str(paths["embeddings"]), "--min-count", "1",
                  "--dim", "8", "--epochs", "1", "--workers", "1"],
                 ["train-embeddings", str(corpus), "-o", str(paths["subwords"]), "--min-count", "1", "--subwords",
                  "--buckets", "500", "--dim", "8", "--epochs", "1", "--workers", "1"],
                 ["seq2seq", "train", str(pairs), "-o", str(paths["seq2seq"]), *SMALL_S2S],
                 ["classify", "train", str(labelled), "-o", str(paths["classifier"]), *SMALL_CLASSIFIER]):
        result = runner.invoke(cli, args, catch_exceptions=False)
        assert result.exit_code == 0, result.output
    paths["fasttext_bin"].write_bytes(FASTTEXT_BIN.read_bytes())
    return paths


# A small Facebook fastText .bin (1.4 KB), written once by gensim's ``save_facebook_model``
# (the layout fastText's own ``save_model`` writes) from TEXT: FastText(vector_size=4,
# min_count=1, bucket=50, min_n=2, max_n=3, epochs=1, workers=1), trained one epoch on
# TEXT's lines split on spaces. Kept as a file: importing gensim to write it cost each
# test worker 2 s. tests/test_embeddings_subwords.py reads files of the fastText package.
FASTTEXT_BIN = Path(__file__).resolve().parent.parent / "data" / "fasttext" / "small.bin"


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with its content hash (lock files aside)."""
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.name.endswith(".lock")}
