"""Where the partitioned pipeline's steps run: one process spilling every result to a
temporary folder (``LocalExecutor``), or a Dask cluster (``cluster.DaskExecutor``).

A step is a plain function of arrays; ``submit`` runs it on the results of earlier steps
(handles, also inside lists) and gives back a handle to its own result. The local
executor keeps nothing in memory between steps: each result is written to a folder as
soon as it is made (its arrays as ``.npy`` files, the rest as JSON: never a pickle) and
mapped back only by the steps that take it, so the memory of a run is that of its
largest step, and a step reads only the pages of the arrays it uses.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np


class Executor(Protocol):
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
    """A result in a folder on disk, or (``value``) a small one kept in memory as it is."""

    __slots__ = ("path", "value", "small")

    def __init__(self, path: Path, value: Any = None, small: bool = False) -> None:
        self.path = path
        self.value = value
        self.small = small


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


class LocalExecutor:
    """Runs each step at once, in this process, and spills its result to ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._next = 0

    def _save(self, value: Any) -> LocalHandle:
        self._next += 1
        path = self.folder / f"r{self._next}"
        arrays: list[np.ndarray] = []
        tree = _encode(value, arrays)
        if sum(a.nbytes for a in arrays) < SMALL:
            return LocalHandle(path, value, small=True)
        path.mkdir()
        for i, a in enumerate(arrays):
            np.save(path / f"{i}.npy", a, allow_pickle=False)
        (path / "tree.json").write_text(json.dumps(tree), encoding="utf-8")
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
        if handle.small:
            return handle.value
        # our own files in our own temporary folder (mode 0700), never a user's

        def array(i: int) -> np.ndarray:
            path = handle.path / f"{i}.npy"
            mapped = path.stat().st_size >= MAP_FROM
            return np.load(path, mmap_mode="r" if mapped else None, allow_pickle=False)

        return _decode(json.loads((handle.path / "tree.json").read_text(encoding="utf-8")), array)

    def release(self, handles: Any) -> None:
        if isinstance(handles, LocalHandle):
            handles.value = None
            if not handles.small:
                shutil.rmtree(handles.path, ignore_errors=True)
        elif isinstance(handles, (list, tuple)):
            for h in handles:
                self.release(h)
