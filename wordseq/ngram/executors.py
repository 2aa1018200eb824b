"""Where the partitioned pipeline's steps run: one process spilling every result to a
temporary folder (``LocalExecutor``), or a Dask cluster (``cluster.DaskExecutor``).

A step is a plain function of arrays; ``submit`` runs it on the results of earlier steps
(handles, also inside lists) and gives back a handle to its own result. The local
executor keeps nothing in memory between steps: each result is written to a file as soon
as it is made and read back only by the steps that take it, so the memory of a run is
that of its largest step.
"""

from __future__ import annotations

import pickle
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol


class Executor(Protocol):
    """Where partitioned training runs its steps: one process spilling results to disk, or a Dask cluster."""

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any: ...

    def submit_split(self, fn: Callable[..., Any], parts: int, *args: Any) -> list[Any]: ...

    def put(self, value: Any) -> Any: ...

    def fetch(self, handle: Any) -> Any: ...

    def release(self, handles: Any) -> None: ...


class LocalHandle:
    """A result on disk, or (``data``) a small one kept pickled in memory."""

    __slots__ = ("path", "data")

    def __init__(self, path: Path, data: bytes | None = None) -> None:
        self.path = path
        self.data = data


SMALL = 1 << 16  # results this small stay in memory (a partition's requests to another, say)


class LocalExecutor:
    """Runs each step at once, in this process, and spills its result to ``folder``.

    The results read most recently stay in memory up to ``cache_bytes`` (a partition's
    counts are read by a dozen steps in a row)."""

    def __init__(self, folder: Path, cache_bytes: int = 0) -> None:
        self.folder = folder
        self._next = 0
        self.cache_bytes = cache_bytes
        self._cache: OrderedDict[Path, tuple[Any, int]] = OrderedDict()
        self._cached = 0

    def _save(self, value: Any) -> LocalHandle:
        self._next += 1
        path = self.folder / f"r{self._next}.pkl"
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        if len(data) <= SMALL:
            return LocalHandle(path, data)
        with open(path, "wb") as fh:
            fh.write(data)
        return LocalHandle(path)

    def _resolve(self, value: Any) -> Any:
        if isinstance(value, LocalHandle):
            return self.fetch(value)
        if isinstance(value, list):
            return [self._resolve(v) for v in value]
        if isinstance(value, tuple):
            return tuple(self._resolve(v) for v in value)
        return value

    def submit(self, fn: Callable[..., Any], *args: Any) -> LocalHandle:
        return self._save(fn(*[self._resolve(a) for a in args]))

    def submit_split(self, fn: Callable[..., Any], parts: int, *args: Any) -> list[LocalHandle]:
        values = fn(*[self._resolve(a) for a in args])
        if len(values) != parts:
            raise AssertionError(f"{fn.__name__} gave {len(values)} parts, not {parts}")
        return [self._save(v) for v in values]

    def put(self, value: Any) -> LocalHandle:
        return self._save(value)

    def fetch(self, handle: LocalHandle) -> Any:
        if handle.data is not None:
            return pickle.loads(handle.data)
        hit = self._cache.get(handle.path)
        if hit is not None:
            self._cache.move_to_end(handle.path)
            return hit[0]
        # our own files in our own temporary folder (mode 0700), never a user's
        with open(handle.path, "rb") as fh:
            value = pickle.load(fh)
        size = handle.path.stat().st_size
        if size <= self.cache_bytes // 2:
            self._cache[handle.path] = (value, size)
            self._cached += size
            while self._cached > self.cache_bytes:
                _, (_, dropped) = self._cache.popitem(last=False)
                self._cached -= dropped
        return value

    def release(self, handles: Any) -> None:
        if isinstance(handles, LocalHandle):
            if handles.data is not None:
                handles.data = None
                return
            hit = self._cache.pop(handles.path, None)
            if hit is not None:
                self._cached -= hit[1]
            handles.path.unlink(missing_ok=True)
        elif isinstance(handles, (list, tuple)):
            for h in handles:
                self.release(h)
