"""Counting on a Dask cluster; estimation's small global steps on the client.

The corpus is a list of files (globs expanded here), each one shard, read by the workers
from a filesystem they share with the client, each read once: its token ids stay on its
worker after the word pass. Three things travel: each shard's word counts (to the
client, which fixes the vocabulary exactly as one process would), each shard's map from
its ids to the vocabulary's, and each shard's *windows* per partition (rows of word ids,
``partition.window_rows``: never text; counting them is the partition's job, so nothing
is sorted twice). From there ``pipeline.estimate_partitions`` runs
with a ``DaskExecutor``: partitions are counted and estimated on the workers, the
suffix requests are a shuffle of futures between them, and the client appends each
order's slices to the model's files in partition order. The model is the one a single
process trains on the same text, table for table.

Dask is an optional extra (``pip install 'wordseq[cluster]'``).
"""

from __future__ import annotations

import glob
import logging
import operator
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from wordseq.errors import InputError, OptionError, WordseqError
from wordseq.ngram.counting import FirstPass, refuse_no_words, vocabulary_of
from wordseq.ngram.encode import Corpus, GrowingIds, id_blocks, reader_chunks
from wordseq.ngram.partition import concat_rows, split_rows, window_rows
from wordseq.ngram.pipeline import Estimation, estimate_partitions
from wordseq.ngram.smoothing import SmoothingReport
from wordseq.ngram.spill import bigram_counts, merge_counts, partition_target, plan_partitions, rows_per_word, unigram_counts
from wordseq.progress import Reporter
from wordseq.text.preprocess import PreprocessConfig
from wordseq.text.reader import CorpusReader
from wordseq.vocab import SPECIALS, Vocabulary

CONNECT_TIMEOUT = "15s"
PARTS_PER_WORKER = 4
EXTRA = "pip install 'wordseq[cluster]'"


@dataclass
class ClusterResult:
    """What a partitioned (cluster) run built: vocabulary, smoothing figures, table sizes."""

    vocab: Vocabulary
    report: SmoothingReport
    sizes: list[int]
    sentences: int = 0
    tokens: int = 0
    skipped: int = 0
    replaced: int = 0
    sources: list[Any] = field(default_factory=list)


# -- on the workers ---------------------------------------------------------------------------------


def shard_tokens(path: str, preprocess: PreprocessConfig, encoding_errors: str) -> tuple[dict[str, Any], tuple[np.ndarray, np.ndarray]]:
    """One shard's word counts (``<unk>`` as given), sentences and markers skipped, and
    its token ids (provisional: ``GrowingIds``' order, the shard's words after the
    specials) with their places in their sentences, kept on the worker for the windows."""
    reader = CorpusReader([path], encoding_errors)
    ids = GrowingIds()
    counts = np.zeros(len(ids.words), dtype=np.int64)
    tokens, places = [], []
    sentences = skipped = 0
    for block in id_blocks(reader_chunks(reader, preprocess), ids, keep_empty=False):
        if len(ids.words) > len(counts):
            counts = np.concatenate([counts, np.zeros(2 * len(ids.words) - len(counts), dtype=np.int64)])
        counts[: len(ids.words)] += np.bincount(block.ids, minlength=len(ids.words))
        tokens.append(block.ids.astype(np.int32))
        places.append(np.minimum(block.positions, 255).astype(np.uint8))  # only 0 (<s>) matters
        sentences += len(block.lengths)
        skipped += block.skipped_markers
    summary = {"words": ids.words[len(SPECIALS):], "counts": counts[len(SPECIALS): len(ids.words)],
               "unk": int(counts[1]), "sentences": sentences, "skipped": skipped, "replaced": reader.replaced,
               "sources": [s.to_dict() for s in reader.sources]}
    return summary, (_joined(tokens, np.int32), _joined(places, np.uint8))


def _joined(parts: list[np.ndarray], dtype: Any) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)


def shard_words(path: str, preprocess: PreprocessConfig, encoding_errors: str) -> dict[str, Any]:
    """One shard's word counts (``vocab build``)."""
    return shard_tokens(path, preprocess, encoding_errors)[0]


def shard_remap(summary: dict[str, Any], vocab: Vocabulary) -> np.ndarray:
    """A shard's provisional ids → the vocabulary's (words under ``--min-count``: <unk>)."""
    remap = np.empty(len(SPECIALS) + len(summary["words"]), dtype=np.int32)
    remap[: len(SPECIALS)] = [vocab.pad_id, vocab.unk_id, vocab.bos_id, vocab.eos_id]
    remap[len(SPECIALS):] = [vocab.stoi.get(w, vocab.unk_id) for w in summary["words"]]
    return remap


SHARD_BLOCK = 1 << 20  # positions turned into rows at a time


def _blocks(tokens: tuple[np.ndarray, np.ndarray], remap: np.ndarray, order: int) -> Iterator[tuple[np.ndarray, np.ndarray, int, int]]:
    """(ids, places, lo, hi) of a shard, ``SHARD_BLOCK`` positions at a time with the
    context ``window_rows`` needs on both sides (as ``spill.token_blocks``)."""
    ids, places = tokens
    n = len(ids)
    for a in range(0, n, SHARD_BLOCK):
        start, stop = max(0, a - 1), min(n, a + SHARD_BLOCK + order - 1)
        yield remap[ids[start:stop]], places[start:stop], a - start, min(a + SHARD_BLOCK, n) - start


def shard_rows(tokens: tuple[np.ndarray, np.ndarray], remap: np.ndarray, order: int, bounds: np.ndarray,
               vocab_size: int) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """One shard's windows, per partition (as rows: counting them where they are sent
    costs the same sorts as counting them here, and counting twice would cost double)."""
    held: list[list[tuple[np.ndarray, np.ndarray | None]]] = [[] for _ in bounds]
    for t, p, lo, hi in _blocks(tokens, remap, order):
        for part, (r, _) in enumerate(split_rows(window_rows(t, p, lo, hi, order), None, bounds, vocab_size)):
            if len(r):
                held[part].append((r, None))
    out = []
    for part in range(len(bounds)):
        out.append(concat_rows(held[part], order))
        held[part] = []
    return out


def shard_bigrams(tokens: tuple[np.ndarray, np.ndarray], remap: np.ndarray, heavy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One shard's counts of the bigrams that start with a word marked in ``heavy``."""
    # overlapping blocks: a bigram across a block's end is counted in the block before
    return bigram_counts(((t[lo : hi + 1], p[lo : hi + 1]) for t, p, lo, hi in _blocks(tokens, remap, 2)), heavy)


# -- the executor -----------------------------------------------------------------------------------


class DaskExecutor:
    """``executors.Executor`` over a ``distributed.Client``: handles are futures."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def submit(self, fn: Any, *args: Any) -> Any:
        return self.client.submit(fn, *args, pure=False)

    def submit_split(self, fn: Any, parts: int, *args: Any) -> list[Any]:
        whole = self.client.submit(fn, *args, pure=False)
        return [self.client.submit(operator.getitem, whole, i, pure=False) for i in range(parts)]

    def put(self, value: Any) -> Any:
        return self.client.scatter([value], broadcast=True)[0]

    def fetch(self, handle: Any) -> Any:
        return handle.result()

    def release(self, handles: Any) -> None:
        if isinstance(handles, (list, tuple)):
            for h in handles:
                self.release(h)
        elif hasattr(handles, "release") and hasattr(handles, "key"):
            handles.release()


# -- on the client ----------------------------------------------------------------------------------


def shard_paths(corpus: Corpus) -> list[str]:
    """Absolute paths of the shards: files or glob patterns, in the order given."""
    items = [corpus] if isinstance(corpus, (str, Path)) else list(corpus or [])  # type: ignore[arg-type]
    if not items or not all(isinstance(x, (str, Path)) for x in items):
        raise InputError("--cluster needs the corpus as files (or glob patterns), each one shard; not stdin")
    paths: list[str] = []
    for item in map(str, items):
        if item == "-":
            raise InputError("--cluster reads files, not stdin: give the corpus as files or globs")
        found = sorted(glob.glob(item)) if glob.has_magic(item) else [item]
        if not found:
            raise InputError(f"no file matches {item!r}")
        for f in found:
            if not Path(f).is_file():
                raise InputError(f"{f}: no such file")
            paths.append(str(Path(f).resolve()))
    return paths


def local_settings() -> dict[str, Any]:
    """Dask's settings for a ``local:N`` cluster (the README gives them for ``dask worker``).

    Dask's dashboard bookkeeping (a profiler sampling every thread 100 times a second,
    system and memory monitors, a 20 ms tick) cost a third of a 10 M-token run's CPU beyond
    the steps themselves; and the ``MALLOC_TRIM_THRESHOLD_`` Dask gives its workers turns
    off glibc's adaptive threshold, so every array of the steps is fresh pages from the
    kernel (twice the system time). Measured in ``bench_ngram.py --cluster-pairs``."""
    import dask

    environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ", {}), MALLOC_TRIM_THRESHOLD_=None)  # None: unset
    return {"distributed.nanny.pre-spawn-environ": environ,
            "distributed.worker.profile.enabled": False,
            "distributed.admin.system-monitor.interval": "5s",
            "distributed.worker.memory.monitor-interval": "1s",
            "distributed.admin.tick.interval": "1s"}


@contextmanager
def connect(address: str) -> Iterator[Any]:
    """A client of the scheduler at ``address``, or of a local cluster for ``local:N``."""
    # the workers' own logs too (they read Dask's settings from the environment): a
    # failure reaches the user as one line (_guarded), and a worker's heartbeat to a
    # scheduler that is shutting down is no failure at all
    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "critical")
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise OptionError("--cluster", f"needs Dask's distributed scheduler: {EXTRA}") from None
    quiet = logging.getLogger("distributed")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)
    cluster = None
    try:
        if address.startswith("local:"):
            import dask

            with dask.config.set(local_settings()):
                cluster = LocalCluster(n_workers=int(address[6:]), threads_per_worker=1, processes=True,
                                       host="127.0.0.1", dashboard_address=":0")
            target: Any = cluster
        else:
            target = address
        try:
            client = Client(target, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError) as exc:
            raise InputError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
        try:
            yield client
        finally:
            client.close()
    finally:
        if cluster is not None:
            cluster.close()
        quiet.setLevel(level)


def _vocabulary(summaries: list[dict[str, Any]], min_count: int) -> tuple[Vocabulary, FirstPass]:
    """The vocabulary one process would build from all shards' counts."""
    merged: dict[str, int] = {}
    for s in summaries:
        for word, c in zip(s["words"], s["counts"].tolist()):
            merged[word] = merged.get(word, 0) + c
    sentences = sum(s["sentences"] for s in summaries)
    words = list(SPECIALS) + list(merged)
    counts = np.array([0, sum(s["unk"] for s in summaries), sentences, sentences] + list(merged.values()), dtype=np.int64)
    first = FirstPass(words, counts, sentences, sum(s["skipped"] for s in summaries))
    if sentences == 0:
        raise InputError("the corpus has no tokens")
    vocab, _ = vocabulary_of(first, min_count)
    refuse_no_words(vocab, min_count, int(counts[1:].sum()) - 2 * sentences, "the corpus")
    return vocab, first


def cluster_estimate(corpus: Corpus, address: str, est: Estimation, min_count: int, preprocess: PreprocessConfig,
                     encoding_errors: str, out: Path, reporter: Reporter, partition_rows: int | None = None,
                     budget: int | None = None, temp: Path | None = None) -> ClusterResult:
    """Count on the cluster and write the model's tables into ``out``; the workers hand
    their slices of the tables over as files in a folder made in ``temp`` (default:
    ``out``'s parent), which on a cluster of several machines must be shared."""
    paths = shard_paths(corpus)
    slices = Path(tempfile.mkdtemp(prefix="slices-", dir=temp or out.parent))
    try:
        with connect(address) as client:
            return _guarded(address, lambda: _run(client, paths, est, min_count, preprocess, encoding_errors, out,
                                                   slices, reporter, partition_rows, budget), slices)
    finally:  # after the client is gone: no step still writes a slice
        shutil.rmtree(slices, ignore_errors=True)


def _can_write(folder: str) -> None:
    """On a worker: a file can be made and removed in ``folder`` (the slices' folder)."""
    probe = Path(folder) / f"probe-{os.getpid()}-{threading.get_ident()}"
    probe.write_bytes(b"")
    probe.unlink()


def check_slices_folder(client: Any, slices: Path) -> None:
    """One line, before any work, when a worker cannot write the folder of the slices."""
    try:
        client.run(_can_write, str(slices))
    except OSError as exc:
        raise OptionError("--temp-dir", f"a worker cannot write {slices} ({type(exc).__name__}: {exc.strerror or exc}): "
                          "on a cluster, --temp-dir must be a folder every worker can write at the same path "
                          "(a shared filesystem)") from None


def _guarded(address: str, work: Any, slices: Path | None = None) -> Any:
    """``work()``, with the cluster's failures turned into one line (``slices``: the
    folder of the tables' slices, which a worker may fail to write)."""
    try:
        return work()
    except WordseqError:
        raise
    except FileNotFoundError as exc:
        if slices is not None and str(exc.filename or "").startswith(str(slices)):  # the folder went while running
            raise InputError(f"a worker cannot write {exc.filename}: on a cluster, --temp-dir must be a folder every "
                             "worker can write at the same path (a shared filesystem)") from None
        raise InputError(f"a worker cannot read shard {exc.filename or exc}: every worker must see the corpus "
                         "files at the same path as this machine") from None
    except Exception as exc:  # a worker died, the scheduler went away: one line, nothing saved
        raise WordseqError(f"counting on the cluster at {address} failed: {type(exc).__name__}: {exc}") from None


def word_pass(client: Any, paths: list[str], preprocess: PreprocessConfig, encoding_errors: str,
              reporter: Reporter, keep_tokens: bool = False) -> tuple[list[dict[str, Any]], list[Any]]:
    """Every shard's word counts, counted by the workers (shared by ``vocab build`` and
    ``ngram train``), and with ``keep_tokens`` futures of each shard's token ids, left on
    the worker that read it (the windows are made there without reading the text again)."""
    with reporter.task("shards: words counted", total=len(paths), unit="shards") as task:
        if keep_tokens:
            whole = [client.submit(shard_tokens, p, preprocess, encoding_errors, pure=False) for p in paths]
            futures = [client.submit(operator.getitem, w, 0, pure=False) for w in whole]
            tokens = [client.submit(operator.getitem, w, 1, pure=False) for w in whole]
        else:
            futures = [client.submit(shard_words, p, preprocess, encoding_errors, pure=False) for p in paths]
            tokens = []
        summaries = []
        for f, path in zip(futures, paths):
            summaries.append(_result(f, path))
            task.advance(1)
    return summaries, tokens


def cluster_vocabulary(corpus: Corpus, address: str, preprocess: PreprocessConfig, *, min_count: int = 1,
                       max_size: int | None = None, encoding_errors: str = "strict",
                       reporter: Reporter | None = None) -> tuple[Vocabulary, int]:
    """``vocab build`` on a cluster: the vocabulary and the bytes replaced in decoding."""
    from collections import Counter

    from wordseq.progress import SILENT

    paths = shard_paths(corpus)
    with connect(address) as client:
        summaries, _ = _guarded(address, lambda: word_pass(client, paths, preprocess, encoding_errors, reporter or SILENT))
    counts: Counter[str] = Counter()
    for s in summaries:
        counts.update(dict(zip(s["words"], s["counts"].tolist())))
        counts["<unk>"] += s["unk"]
    if sum(counts.values()) == 0:
        raise InputError("the corpus has no tokens")
    vocab = Vocabulary.from_counter(counts, min_count=min_count, max_size=max_size,
                                    num_sequences=sum(s["sentences"] for s in summaries))
    if vocab.num_words == 0:
        raise InputError(f"no word occurs --min-count {min_count} times or more; lower --min-count")
    return vocab, sum(s["replaced"] for s in summaries)


def _run(client: Any, paths: list[str], est: Estimation, min_count: int, preprocess: PreprocessConfig,
         encoding_errors: str, out: Path, slices: Path, reporter: Reporter, partition_rows: int | None,
         budget: int | None) -> ClusterResult:
    ex = DaskExecutor(client)
    check_slices_folder(client, slices)
    summaries, shard_ids = word_pass(client, paths, preprocess, encoding_errors, reporter, keep_tokens=True)
    vocab, first = _vocabulary(summaries, min_count)
    weights = rows_per_word(vocab)
    remaps = [shard_remap(s, vocab) for s in summaries]
    workers = max(1, len(client.scheduler_info().get("workers", {})))
    # at least PARTS_PER_WORKER partitions a worker (a phase ends with its slowest worker:
    # with fewer, one worker waits while the other does one more), each within one
    # process's budget
    target = partition_rows or max(1, min(int(weights.sum()) // (PARTS_PER_WORKER * workers) + 1,
                                          partition_target(budget or 1 << 30)))

    def heavy_bigrams(heavy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        parts = [_result(client.submit(shard_bigrams, t, r, heavy, pure=False), p) for t, r, p in zip(shard_ids, remaps, paths)]
        k, c = merge_counts([k for k, _ in parts], [c for _, c in parts])
        return k[0], c[0]

    bounds = plan_partitions(weights, target, heavy_bigrams)
    with reporter.task("shards: windows counted", total=len(paths), unit="shards") as task:
        per_shard = [ex.submit_split(shard_rows, len(bounds), t, r, est.order, bounds, len(vocab))
                     for t, r in zip(shard_ids, remaps)]
        for handles, path in zip(per_shard, paths):
            _result(handles[0], path)
            task.advance(1)
    ex.release(shard_ids)
    blocks = [[per_shard[s][p] for s in range(len(paths))] for p in range(len(bounds))]
    with reporter.task("partitions", unit="steps") as task:
        def tick(phase: str, done: int, total: int) -> None:
            task.update(completed=done, total=total, description=phase)
        report, sizes = estimate_partitions(ex, blocks, vocab, bounds, est, unigram_counts(vocab), out, slices, tick)
    tokens = int(unigram_counts(vocab).sum()) - first.sentences
    return ClusterResult(vocab, report, sizes, first.sentences, tokens, first.skipped,
                         sum(s["replaced"] for s in summaries))


def _result(future: Any, path: str) -> Any:
    try:
        return future.result()
    except FileNotFoundError:
        raise InputError(f"a worker cannot read shard {path}: every worker must see the corpus files at the same "
                         "path as this machine") from None
    except WordseqError as exc:
        raise type(exc)(f"shard {path}: {exc}") from None
