"""What the store holds: models with their state, and leftovers of killed runs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from wordseq.errors import ModelError
from wordseq.store.meta import read_meta
from wordseq.store.output import leftover_pid, pid_alive
from wordseq.store.paths import KINDS, PARTIAL, wordseq_home

# states a listed entry can be in
COMPLETE, INTERRUPTED, DAMAGED, LEFTOVER, RUNNING = "complete", "interrupted", "damaged", "leftover", "in use"


@dataclass
class ModelInfo:
    kind: str
    name: str
    path: Path
    size_bytes: int
    created: str
    summary: str
    state: str


def _dir_size(path: Path) -> int:
    total = 0
    for p in path.rglob("*"):
        try:
            if p.is_file():
                total += p.stat().st_size
        except OSError:
            pass
    return total


def _describe(kind: str, name: str, path: Path) -> ModelInfo:
    try:
        meta = read_meta(path)
    except ModelError as exc:
        return ModelInfo(kind, name, path, _dir_size(path), "", str(exc), DAMAGED)
    state = COMPLETE if meta["complete"] else INTERRUPTED
    return ModelInfo(kind, name, path, _dir_size(path), meta["created"], meta["summary"], state)


def _leftover(kind: str, path: Path) -> ModelInfo | None:
    """A hidden entry of the store: an unfinished run's checkpoint or a temporary folder."""
    name = path.name[1:]
    if name.endswith(f".{PARTIAL}"):
        model = name[: -len(PARTIAL) - 1]
        info = _describe(kind, model, path)
        if info.state != DAMAGED:
            info.state = INTERRUPTED
            info.summary = f"unfinished run (continue with --resume -o {kind}/{model}): {info.summary}"
        return info
    pid = leftover_pid(name)
    if pid is None or name.endswith(".lock"):
        return None
    model = name.split(".")[0]
    state = RUNNING if pid_alive(pid) else LEFTOVER
    why = "being written by process" if state == RUNNING else "left by killed process"
    return ModelInfo(kind, model, path, _dir_size(path) if path.is_dir() else 0, "", f"{why} {pid}", state)


def list_models(home: Path | None = None, show_all: bool = False) -> list[ModelInfo]:
    """Models in the store, kind by kind, name by name; with ``show_all`` also the
    checkpoints of unfinished runs and the temporary folders of killed ones."""
    home = wordseq_home() if home is None else home
    found = []
    for kind in KINDS:
        folder = home / kind
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.name.startswith("."):
                if show_all:
                    info = _leftover(kind, path)
                    if info is not None:
                        found.append(info)
                continue
            if path.is_dir():
                found.append(_describe(kind, path.name, path))
    return found

