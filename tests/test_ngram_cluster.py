"""Counting on a Dask cluster: real scheduler and workers on 127.0.0.1, the same model."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

import wordseq.ngram.cluster as cluster
import wordseq.ngram.pipeline as pipeline
from tests.conftest import CORPUS, invoke
from wordseq.errors import InputError
from wordseq.ngram.budget import Resources
from wordseq.ngram.train import train_ngram


@pytest.fixture(autouse=True, scope="module")
def _distributed() -> None:
    """Skip without Dask's scheduler; imported when a test here runs, not at collection
    (every xdist worker collects every module)."""
    pytest.importorskip("distributed")


LINES = CORPUS.read_text(encoding="utf-8").splitlines()[:120]


def _shards(folder: Path, parts: int = 4) -> list[Path]:
    folder.mkdir()
    size = -(-len(LINES) // parts)
    paths = []
    for i in range(parts):
        path = folder / f"part{i}.txt"
        path.write_text("\n".join(LINES[i * size : (i + 1) * size]) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def _assert_same(a, b) -> None:  # type: ignore[no-untyped-def]
    assert a.tables.vocab.itos == b.tables.vocab.itos
    for n in range(a.order):
        for name in ("prob", "backoff", "keys"):
            assert np.asarray(getattr(a.tables, name)[n]).tobytes() == np.asarray(getattr(b.tables, name)[n]).tobytes(), (n, name)
    assert a.training["discounts"] == b.training["discounts"]


@pytest.fixture(params=["threads", pytest.param("processes", marks=pytest.mark.processes)])
def local_workers(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """``local:N`` as wordseq starts it (worker processes: make test-processes) and, in the
    fast suite, the same cluster with its workers as threads of this process: the same
    shards, tasks and merge without seconds of process start-up."""
    if request.param == "threads":
        import distributed

        real = distributed.LocalCluster

        def in_process(**options: object) -> object:
            options.pop("host", None)  # a host is for TCP; threads talk over inproc://
            return real(**{**options, "processes": False})

        monkeypatch.setattr(distributed, "LocalCluster", in_process)
    return str(request.param)


def test_local_cluster_of_two_equals_one_process(tmp_path: Path, local_workers: str) -> None:
    paths = _shards(tmp_path / "shards")
    one = train_ngram(paths, order=3)
    many = train_ngram([str(tmp_path / "shards" / "part*.txt")], order=3, resources=Resources(cluster="local:2", partition_rows=4000))
    _assert_same(one, many)
    assert many.training["sentences"] == one.training["sentences"] and many.training["tokens"] == one.training["tokens"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _dask(*args: str) -> subprocess.Popen:  # type: ignore[type-arg]
    env = dict(os.environ, DASK_LOGGING__DISTRIBUTED="error")
    return subprocess.Popen([sys.executable, "-m", "distributed.cli." + args[0], *args[1:]], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def _wait_for(port: int, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"no scheduler on 127.0.0.1:{port} after {seconds} s")


@pytest.mark.processes
def test_real_scheduler_and_two_workers(tmp_path: Path, runner) -> None:  # type: ignore[no-untyped-def]
    paths = _shards(tmp_path / "shards")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs = [_dask("dask_scheduler", "--host", "127.0.0.1", "--port", str(port), "--dashboard-address", ":0", "--no-show")]
    try:
        _wait_for(port, 60)
        for i in range(2):
            procs.append(_dask("dask_worker", address, "--host", "127.0.0.1", "--nthreads", "1", "--nworkers", "1",
                               "--dashboard-address", ":0", "--local-directory", str(tmp_path / f"w{i}"), "--no-nanny"))
        r = invoke(runner, ["ngram", "train", *map(str, paths), "--order", "3", "--cluster", address, "-o", "on-cluster"])
        assert r.exit_code == 0, r.output
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=10)
    from wordseq.ngram.table_files import read_tables

    home = Path(os.environ["WORDSEQ_HOME"]) / "ngram" / "on-cluster"
    one = train_ngram(paths, order=3)
    got = read_tables(home, 3, "backoff")
    for n in range(3):
        assert np.asarray(got.prob[n]).tobytes() == np.asarray(one.tables.prob[n]).tobytes()


def test_unreachable_scheduler_is_one_line_and_saves_nothing(tmp_path: Path, runner, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", "0.3s")  # nothing listens: refused at once
    paths = _shards(tmp_path / "shards", 2)
    address = f"tcp://127.0.0.1:{_free_port()}"
    r = invoke(runner, ["ngram", "train", *map(str, paths), "--cluster", address, "-o", "never"])
    assert r.exit_code == 1
    assert f"cannot reach the Dask scheduler at {address}" in r.output and "Traceback" not in r.output
    assert not (Path(os.environ["WORDSEQ_HOME"]) / "ngram" / "never").exists()


def test_shards_must_be_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no file matches"):
        cluster.shard_paths([str(tmp_path / "none*.txt")])
    with pytest.raises(InputError, match="not stdin"):
        cluster.shard_paths(["-"])
    with pytest.raises(InputError, match="no such file"):
        cluster.shard_paths([str(tmp_path / "missing.txt")])


def test_a_shard_a_worker_cannot_read_is_named() -> None:
    class Failed:
        def result(self) -> None:
            raise FileNotFoundError(2, "No such file or directory", "/data/part7.txt")

    with pytest.raises(InputError, match="cannot read shard /data/part7.txt"):
        cluster._result(Failed(), "/data/part7.txt")


def test_without_dask_the_extra_is_named(runner, monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import builtins

    real = builtins.__import__

    def no_distributed(name, *args, **kwargs):  # type: ignore[no-untyped-def]
        if name == "distributed" or name.startswith("distributed."):
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_distributed)
    paths = _shards(tmp_path / "shards", 1)
    r = invoke(runner, ["ngram", "train", str(paths[0]), "--cluster", "local:2", "-o", "x"])
    assert r.exit_code == 2 and "pip install 'wordseq[cluster]'" in r.output


def test_vocab_build_on_the_cluster_shares_the_word_pass(tmp_path: Path, runner, local_workers: str) -> None:  # type: ignore[no-untyped-def]
    paths = _shards(tmp_path / "shards", 3)
    one, many = tmp_path / "one.tsv", tmp_path / "many.tsv"
    r = invoke(runner, ["vocab", "build", *map(str, paths), "--min-count", "2", "-o", str(one)])
    assert r.exit_code == 0, r.output
    r = invoke(runner, ["vocab", "build", str(tmp_path / "shards" / "*.txt"), "--min-count", "2", "--cluster", "local:1", "-o", str(many)])
    assert r.exit_code == 0, r.output
    assert one.read_text(encoding="utf-8") == many.read_text(encoding="utf-8")


# -- the tables' slices handed over as files --------------------------------------------------------


@contextmanager
def _threads_cluster(address: str):  # type: ignore[no-untyped-def]
    """``cluster.connect`` over workers in this process (no process started): the steps
    see this test's patches."""
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as lc, \
            Client(lc) as client:
        yield client


def _watch_slices(monkeypatch) -> list[tuple[str, bool]]:  # type: ignore[no-untyped-def]
    """Every slice file the client appends: (name, whether it is gone afterwards)."""
    seen: list[tuple[str, bool]] = []
    real = pipeline._append_slice

    def append(writers, path: Path) -> None:  # type: ignore[no-untyped-def]
        files = sorted(path.parent.glob(path.name + ".*.npy"))
        assert files, f"no slice file for {path.name}"
        real(writers, path)
        seen.extend((f.name, not f.exists()) for f in files)

    monkeypatch.setattr(pipeline, "_append_slice", append)
    return seen


def _slices_of_a_run(tmp_path: Path, monkeypatch) -> list[tuple[str, bool]]:  # type: ignore[no-untyped-def]
    """Trains on the cluster, checks the model equals one process's and that the temporary
    folder is empty; the slice files the client appended."""
    seen = _watch_slices(monkeypatch)
    paths = _shards(tmp_path / "shards")
    temp = tmp_path / "temp"
    temp.mkdir()
    many = train_ngram(paths, order=3, resources=Resources(cluster="local:2", partition_rows=3000, temp_dir=str(temp)))
    _assert_same(train_ngram(paths, order=3), many)
    assert list(temp.iterdir()) == []
    return seen


def test_slices_travel_as_files_and_are_removed(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(cluster, "connect", _threads_cluster)
    seen = _slices_of_a_run(tmp_path, monkeypatch)
    assert {name.split("-")[0] for name, _ in seen} == {"order2", "order3"} and len(seen) > 10
    assert all(gone for _, gone in seen)


def test_a_worker_failure_is_one_line_and_leaves_no_slice(tmp_path: Path, monkeypatch, runner) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(cluster, "connect", _threads_cluster)
    real = pipeline.order_step

    def dies_at_order_3(*args):  # type: ignore[no-untyped-def]
        out = real(*args)  # its slice is written first: the failure must still clear it
        if args[2] == 3:
            raise RuntimeError("worker lost")
        return out

    monkeypatch.setattr(pipeline, "order_step", dies_at_order_3)
    paths = _shards(tmp_path / "shards")
    temp = tmp_path / "temp"
    temp.mkdir()
    r = invoke(runner, ["ngram", "train", *map(str, paths), "--order", "4", "--cluster", "local:2", "--temp-dir", str(temp),
                        "-o", "never"])
    assert r.exit_code == 1
    assert "counting on the cluster at local:2 failed: RuntimeError: worker lost" in r.output
    assert "Traceback" not in r.output and len(r.output.strip().splitlines()) == 1, r.output
    assert not (Path(os.environ["WORDSEQ_HOME"]) / "ngram" / "never").exists()
    assert list(temp.iterdir()) == []


def test_a_temp_dir_the_workers_cannot_write_is_one_line(tmp_path: Path, monkeypatch, runner) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(cluster, "connect", _threads_cluster)

    def cannot(folder: str) -> None:
        raise PermissionError(13, "Permission denied", folder)

    monkeypatch.setattr(cluster, "_can_write", cannot)
    paths = _shards(tmp_path / "shards", 2)
    temp = tmp_path / "temp"
    temp.mkdir()
    r = invoke(runner, ["ngram", "train", *map(str, paths), "--cluster", "local:2", "--temp-dir", str(temp), "-o", "never"])
    assert r.exit_code == 2, r.output
    assert "a worker cannot write" in r.output and "every worker can write at the same path" in r.output
    assert "Traceback" not in r.output and [line for line in r.output.splitlines() if "Error" in line] == \
        [r.output.strip().splitlines()[-1]], r.output  # click's usage lines, then the one error line
    assert not (Path(os.environ["WORDSEQ_HOME"]) / "ngram" / "never").exists()
    assert list(temp.iterdir()) == []


def test_the_workers_write_probe(tmp_path: Path) -> None:
    cluster._can_write(str(tmp_path))
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(FileNotFoundError):
        cluster._can_write(str(tmp_path / "not-shared"))


@pytest.mark.processes
def test_worker_processes_hand_slices_over_as_files(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    seen = _slices_of_a_run(tmp_path, monkeypatch)
    assert seen and all(gone for _, gone in seen)


def _worker_settings() -> tuple[str | None, bool]:
    import dask

    return os.environ.get("MALLOC_TRIM_THRESHOLD_"), bool(dask.config.get("distributed.worker.profile.enabled"))


@pytest.mark.processes
def test_local_workers_run_without_malloc_trim_and_profiler() -> None:
    with cluster.connect("local:1") as client:
        assert list(client.run(_worker_settings).values()) == [(None, False)]


def test_a_slice_a_worker_cannot_write_is_not_called_a_shard(tmp_path: Path, monkeypatch, runner) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(cluster, "connect", _threads_cluster)

    def lost_folder(path: str, piece) -> int:  # type: ignore[no-untyped-def]
        raise FileNotFoundError(2, "No such file or directory", path + ".keys.npy")

    monkeypatch.setattr(pipeline, "write_slice", lost_folder)
    paths = _shards(tmp_path / "shards", 2)
    r = invoke(runner, ["ngram", "train", *map(str, paths), "--cluster", "local:2", "--temp-dir", str(tmp_path), "-o", "never"])
    assert r.exit_code == 1
    assert "a worker cannot write" in r.output and "order2-part0.keys.npy" in r.output and "shard" not in r.output
    assert not (Path(os.environ["WORDSEQ_HOME"]) / "ngram" / "never").exists()
