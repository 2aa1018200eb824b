"""Where the partitioned pipeline's steps run: one process spilling every result to a
temporary folder (``LocalExecutor``), or a Dask cluster (``cluster.DaskExecutor``).

A step is a plain function of arrays; ``submit`` runs it on the results of earlier steps
(handles, also inside lists) and gives back a handle to its own result. The local
executor keeps nothing in memory between steps: each result is written to a folder as
soon as it is made (its arrays as ``.npy`` files, the rest as JSON: never a pickle) and
mapped back only by the steps that take it, so the memory of a run is that of the steps
running at once (``threads`` of them), and a step reads only the pages of the arrays it
uses.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np


class Executor(Protocol):
    """Where partitioned training runs its steps: one process spilling results to disk, or a Dask cluster."""

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any: ...

    def submit_split(self, fn: Callable[..., Any], parts: int, *args: Any) -> list[Any]: ...

    def put(self, value: Any) -> Any: ...

    def fetch(self, handle: Any) -> Any: ...

    def release(self, handles: Any) -> None: ...


C = TypeVar("C", bound=type)
SPILLABLE: dict[str, type] = {}  # the dataclasses a step may return, by name


def spillable(cls: C) -> C:
    """Mark a dataclass as one the local executor may write to disk and read back."""
    SPILLABLE[cls.__name__] = cls
    return cls


class LocalHandle:
    """A result in a folder on disk, or (``value``) a small one kept in memory as it is;
    ``future`` while the step that makes it may still be running."""

    __slots__ = ("path", "value", "small", "future", "users", "released")

    def __init__(self, path: Path) -> None:
        self.path = path
        self.value: Any = None
        self.small = False
        self.future: Future[None] | None = None
        self.users = 0  # steps submitted that read it and have not finished
        self.released = False


SMALL = 1 << 16  # results whose arrays hold fewer bytes stay in memory (a partition's requests to another)
MAP_FROM = 1 << 20  # arrays from this size are mapped, smaller ones read


def _encode(value: Any, arrays: list[np.ndarray]) -> Any:
    """``value`` as JSON, its arrays appended to ``arrays`` and named by their index."""
    if isinstance(value, np.ndarray):
        arrays.append(value)
        return {"a": len(arrays) - 1}
    if isinstance(value, (list, tuple)):
        return {"t" if isinstance(value, tuple) else "l": [_encode(v, arrays) for v in value]}
    if isinstance(value, dict):
        return {"d": [[_encode(k, arrays), _encode(v, arrays)] for k, v in value.items()]}
    if dataclasses.is_dataclass(value) and type(value).__name__ in SPILLABLE:
        return {"c": type(value).__name__,
                "f": {f.name: _encode(getattr(value, f.name), arrays) for f in dataclasses.fields(value)}}
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"a step's result cannot hold a {type(value).__name__}")


def _decode(tree: Any, arrays: Callable[[int], np.ndarray]) -> Any:
    if not isinstance(tree, dict):
        return tree
    if "a" in tree:
        return arrays(tree["a"])
    if "l" in tree:
        return [_decode(v, arrays) for v in tree["l"]]
    if "t" in tree:
        return tuple(_decode(v, arrays) for v in tree["t"])
    if "d" in tree:
        return {_decode(k, arrays): _decode(v, arrays) for k, v in tree["d"]}
    cls = SPILLABLE[tree["c"]]
    return cls(**{name: _decode(v, arrays) for name, v in tree["f"].items()})


def _handles(value: Any) -> list[LocalHandle]:
    if isinstance(value, LocalHandle):
        return [value]
    if isinstance(value, (list, tuple)):
        return [h for v in value for h in _handles(v)]
    return []


class LocalExecutor:
    """Runs the steps in this process, ``threads`` at a time (numpy's sorts, gathers and
    arithmetic release the GIL), and spills each result to ``folder``.

    Steps start in the order they were submitted, and a step's inputs were submitted
    before it, so a step that waits for an input never waits for one not yet started. A
    released result is deleted once no step still to finish reads it."""

    def __init__(self, folder: Path, threads: int = 1) -> None:
        self.folder = folder
        self._next = 0
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="ngram") if threads > 1 else None

    def _handle(self) -> LocalHandle:
        with self._lock:
            self._next += 1
            return LocalHandle(self.folder / f"r{self._next}")

    def _store(self, handle: LocalHandle, value: Any) -> None:
        arrays: list[np.ndarray] = []
        tree = _encode(value, arrays)
        if sum(a.nbytes for a in arrays) < SMALL:
            handle.value, handle.small = value, True
            return
        handle.path.mkdir()
        for i, a in enumerate(arrays):
            np.save(handle.path / f"{i}.npy", a, allow_pickle=False)
        (handle.path / "tree.json").write_text(json.dumps(tree), encoding="utf-8")

    def _resolve(self, value: Any) -> Any:
        if isinstance(value, LocalHandle):
            return self.fetch(value)
        if isinstance(value, list):
            return [self._resolve(v) for v in value]
        if isinstance(value, tuple):
            return tuple(self._resolve(v) for v in value)
        return value

    def _run(self, fn: Callable[..., Any], args: tuple[Any, ...], outputs: list[LocalHandle], split: bool) -> None:
        inputs = _handles(args)
        with self._lock:
            for h in inputs:
                h.users += 1

        def step() -> None:
            try:
                value = fn(*[self._resolve(a) for a in args])
                values = value if split else [value]
                if len(values) != len(outputs):
                    raise AssertionError(f"{fn.__name__} gave {len(values)} parts, not {len(outputs)}")
                for h, v in zip(outputs, values):
                    self._store(h, v)
            finally:
                for h in inputs:
                    self._done_with(h)

        if self._pool is None:
            step()
            return
        future = self._pool.submit(step)
        for h in outputs:
            h.future = future

    def submit(self, fn: Callable[..., Any], *args: Any) -> LocalHandle:
        handle = self._handle()
        self._run(fn, args, [handle], split=False)
        return handle

    def submit_split(self, fn: Callable[..., Any], parts: int, *args: Any) -> list[LocalHandle]:
        handles = [self._handle() for _ in range(parts)]
        self._run(fn, args, handles, split=True)
        return handles

    def put(self, value: Any) -> LocalHandle:
        handle = self._handle()
        self._store(handle, value)
        return handle

    def wait(self, handle: LocalHandle) -> None:
        """Until the step that makes ``handle`` has finished (its error raised here)."""
        if handle.future is not None:
            handle.future.result()

    def fetch(self, handle: LocalHandle) -> Any:
        self.wait(handle)
        if handle.small:
            return handle.value
        # our own files in our own temporary folder (mode 0700), never a user's

        def array(i: int) -> np.ndarray:
            path = handle.path / f"{i}.npy"
            mapped = path.stat().st_size >= MAP_FROM
            return np.load(path, mmap_mode="r" if mapped else None, allow_pickle=False)

        return _decode(json.loads((handle.path / "tree.json").read_text(encoding="utf-8")), array)

    def release(self, handles: Any) -> None:
        for h in _handles(handles):
            with self._lock:
                h.released = True
                gone = h.users == 0
            if gone:
                self._delete(h)

    def _done_with(self, handle: LocalHandle) -> None:
        with self._lock:
            handle.users -= 1
            gone = handle.released and handle.users == 0
        if gone:
            self._delete(handle)

    def _delete(self, handle: LocalHandle) -> None:
        if handle.future is not None and not handle.future.done():
            handle.future.add_done_callback(lambda _: self._delete(handle))
            return
        handle.value = None
        shutil.rmtree(handle.path, ignore_errors=True)

    def close(self) -> None:
        """Stop: steps not started are dropped, running ones finish."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
