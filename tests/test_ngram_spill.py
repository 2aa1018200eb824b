"""Counting within a memory budget: partitions spilled to disk give the in-memory model."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import wordseq.ngram.pipeline as pipeline
from tests.conftest import CORPUS, invoke
from wordseq.errors import InputError, OptionError
from wordseq.ngram.budget import Resources, parse_size
from wordseq.ngram.config import SMOOTHINGS
from wordseq.ngram.partition import window_rows
from wordseq.ngram.spill import plan_partitions
from wordseq.ngram.train import train_ngram
from wordseq.text.preprocess import PreprocessConfig

TINY = "16M"  # under any in-memory estimate: always the partitioned path


def _tables_equal(a, b) -> None:  # type: ignore[no-untyped-def]
    ta, tb = a.tables, b.tables
    assert ta.vocab.itos == tb.vocab.itos and list(ta.vocab.counts) == list(tb.vocab.counts)
    for n in range(ta.order):
        for name in ("prob", "backoff", "keys"):
            x, y = np.asarray(getattr(ta, name)[n]), np.asarray(getattr(tb, name)[n])
            assert x.dtype == y.dtype and x.shape == y.shape, (n + 1, name)
            assert x.tobytes() == y.tobytes(), f"order {n + 1} {name} differs"
    assert a.training["discounts"] == b.training["discounts"]
    assert a.training["ngrams"] == b.training["ngrams"]


def _both(corpus, tmp_path: Path, rows: int, **options):  # type: ignore[no-untyped-def]
    options.setdefault("discount_fallback", True)
    plain = train_ngram(corpus, **options)
    spilled = train_ngram(corpus, resources=Resources(memory=TINY, temp_dir=str(tmp_path), partition_rows=rows), **options)
    assert spilled.staged is not None, "the tiny budget must take the partitioned path"
    return plain, spilled


words = st.sampled_from(["a", "b", "c", "d", "e", "f", "<unk>", "the", "x"])
corpora = st.lists(st.lists(words, min_size=0, max_size=12), min_size=1, max_size=40).filter(lambda c: any(c))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(corpus=corpora, order=st.integers(2, 5), rows=st.integers(1, 60), smoothing=st.sampled_from(SMOOTHINGS),
       min_count=st.integers(1, 2))
def test_spilled_tables_equal_the_in_memory_ones(tmp_path: Path, corpus: list[list[str]], order: int, rows: int,
                                                 smoothing: str, min_count: int) -> None:
    try:
        plain, spilled = _both(corpus, tmp_path, rows, order=order, smoothing=smoothing, min_count=min_count)
    except InputError as exc:  # e.g. every word under --min-count: both paths must refuse alike
        with pytest.raises(InputError, match=str(exc)[:30].replace("(", r"\(").replace(")", r"\)")):
            train_ngram(corpus, order=order, smoothing=smoothing, min_count=min_count, discount_fallback=True,
                        resources=Resources(memory=TINY, temp_dir=str(tmp_path), partition_rows=rows))
        return
    _tables_equal(plain, spilled)
    assert os.listdir(tmp_path) == []  # temporary files gone


@pytest.fixture(scope="module")
def real_text_in_memory():  # type: ignore[no-untyped-def]
    """150 lines of the corpus and their 5-gram model counted in memory (read only)."""
    lines = CORPUS.read_text(encoding="utf-8").splitlines()[:150]
    return lines, train_ngram(lines, order=5, preprocess=PreprocessConfig())


@pytest.mark.parametrize("threads", [1, 3])
def test_real_text_many_partitions_and_arpa_byte_identical(tmp_path: Path, threads: int, real_text_in_memory) -> None:  # type: ignore[no-untyped-def]
    lines, plain = real_text_in_memory
    pre = PreprocessConfig()
    work = tmp_path / "work"
    work.mkdir()
    spilled = train_ngram(lines, order=5, preprocess=pre,
                          resources=Resources(memory=TINY, temp_dir=str(work), partition_rows=2500, threads=threads))
    _tables_equal(plain, spilled)
    import io

    from wordseq.ngram.arpa import write_arpa

    a, b = io.StringIO(), io.StringIO()
    write_arpa(plain.tables, a)
    write_arpa(spilled.tables, b)
    assert a.getvalue() == b.getvalue()
    probe = "the government said on monday"
    assert plain.score(probe) == spilled.score(probe)


def test_saved_model_is_the_same_files(tmp_path: Path) -> None:
    lines = CORPUS.read_text(encoding="utf-8").splitlines()[:60]
    train_ngram(lines, tmp_path / "plain", order=3)
    train_ngram(lines, tmp_path / "spilled", order=3, resources=Resources(memory=TINY, partition_rows=1000))
    for f in sorted(p.name for p in (tmp_path / "plain").iterdir() if p.suffix in (".npy", ".tsv")):
        assert (tmp_path / "plain" / f).read_bytes() == (tmp_path / "spilled" / f).read_bytes(), f


def test_temp_files_removed_on_error_and_interrupt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = ["a b c d", "a b c"] * 5
    with pytest.raises(InputError, match="discount"):  # no fallback: a bad discount ends training
        train_ngram(lines, order=3, resources=Resources(memory=TINY, temp_dir=str(tmp_path)))
    assert os.listdir(tmp_path) == []

    def interrupted(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "order_step", interrupted)
    with pytest.raises(KeyboardInterrupt):
        train_ngram(lines, tmp_path / "model", order=3, discount_fallback=True,
                    resources=Resources(memory=TINY, temp_dir=str(tmp_path)))
    assert os.listdir(tmp_path) == []  # neither temporary files nor a model


def test_refuses_at_once_when_the_disk_is_too_small(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = shutil.disk_usage
    monkeypatch.setattr(shutil, "disk_usage", lambda p: real(p)._replace(free=1000))
    with pytest.raises(InputError, match=r"needs about .* of temporary space .* only 1000 B is free"):
        train_ngram(["a b c"] * 20, order=3, discount_fallback=True, resources=Resources(memory=TINY, temp_dir=str(tmp_path)))


def test_pruning_is_refused_with_spilling() -> None:
    with pytest.raises(InputError, match="--prune, --vocab and --max-vocab are not available"):
        train_ngram(["a b c"] * 20, order=3, prune=(0, 1), discount_fallback=True, resources=Resources(memory=TINY))


def test_threaded_executor_keeps_a_released_input_until_its_readers_finish(tmp_path: Path) -> None:
    import threading

    import numpy as np

    from wordseq.ngram.executors import LocalExecutor

    gate = threading.Event()
    ex = LocalExecutor(tmp_path, threads=2)
    try:
        data = ex.put(np.arange(100_000))  # big enough to be a file
        assert data.path.is_dir()
        total = ex.submit(lambda x: (gate.wait(5), int(x.sum()))[1], data)
        ex.release(data)  # a step still reads it: the files stay
        assert data.path.is_dir()
        gate.set()
        assert ex.fetch(total) == sum(range(100_000))
        assert not data.path.exists()
        failing = ex.submit(lambda x: 1 // 0, 5)
        with pytest.raises(ZeroDivisionError):
            ex.fetch(failing)
    finally:
        ex.close()


@pytest.mark.parametrize("text, expected", [("2G", 2 << 30), ("500M", 500 << 20), ("1.5g", 3 << 29), ("64MB", 64 << 20)])
def test_sizes(text: str, expected: int) -> None:
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["lots", "0", "1K", "150%", "-3G", "nan%"])
def test_bad_sizes(text: str) -> None:
    with pytest.raises(OptionError, match="--memory"):
        parse_size(text)


def test_share_of_memory() -> None:
    assert 0 < parse_size("40%") < parse_size("80%")  # type: ignore[operator]


def test_partitions_follow_the_counts() -> None:
    V = 10
    weights = np.array([0, 5, 50, 0, 3, 3, 3, 3, 3, 1])
    # word 2's 50 bigrams: 20 x (2, 4), 20 x (2, 5), 10 x (2, 9)
    heavy = (np.array([2 * V + 4, 2 * V + 5, 2 * V + 9]), np.array([20, 20, 10]))
    asked = []

    def bigrams(mask: np.ndarray):  # type: ignore[no-untyped-def]
        asked.append(np.flatnonzero(mask).tolist())
        return heavy

    bounds = plan_partitions(weights, 25, bigrams)
    assert asked == [[2]]  # only the heavy word's bigrams are counted
    assert bounds.tolist() == [0, 2 * V, 2 * V + 5, 2 * V + 9, 3 * V]  # word 2 alone, split by its second word
    assert plan_partitions(weights, 100, bigrams).tolist() == [0]


def test_rows_of_a_block() -> None:
    # <s>=2 a=4 b=5 </s>=3 ; two sentences "a b" and "a b"
    tokens = np.array([2, 4, 5, 3, 2, 4, 5, 3])
    positions = np.array([0, 1, 2, 3, 0, 1, 2, 3])
    rows = window_rows(tokens, positions, 0, 8, 3)
    assert rows.tolist() == [[-1, 2, 4, 5], [2, 4, 5, 3], [4, 5, 3, -1]] * 2


def test_cli_memory_and_temp_dir(runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    work = tmp_path / "work"
    work.mkdir()
    r = invoke(runner, ["ngram", "train", str(CORPUS), "--order", "3", "--memory", "16M", "--temp-dir", str(work), "-o", "spilled"])
    assert r.exit_code == 0, r.output
    assert "counting in partitions on disk" in r.output
    r = invoke(runner, ["ngram", "train", str(CORPUS), "--order", "3", "-o", "plain"])
    assert r.exit_code == 0, r.output
    home = Path(os.environ["WORDSEQ_HOME"]) / "ngram"
    assert (home / "plain" / "prob3.npy").read_bytes() == (home / "spilled" / "prob3.npy").read_bytes()
    assert os.listdir(work) == []


@pytest.mark.parametrize("args, message", [
    (["--memory", "lots"], "--memory"),
    (["--temp-dir", "/nonexistent/dir"], "--temp-dir"),
    (["--cluster", "http://x"], "--cluster"),
    (["--cluster", "local:0"], "--cluster"),
])
def test_cli_bad_resources(runner, args: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    r = invoke(runner, ["ngram", "train", str(CORPUS), *args, "-o", "x"])
    assert r.exit_code == 2 and message in r.output


def test_fallback_discounts_reach_python_as_a_warning() -> None:
    from wordseq.errors import WordseqWarning

    with pytest.warns(WordseqWarning, match="fallback discounts used for order"):
        train_ngram(["a b c d", "a b c"] * 5, order=3, discount_fallback=True)
