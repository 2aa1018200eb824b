"""Model directories: where a NAME lives, meta.json, atomic saves, listing.

A model is a directory holding ``meta.json`` and its payload files. ``-o`` / ``-m`` take
either a PATH (contains ``/`` or starts with ``.``) or a bare NAME that lives in
``$WORDSEQ_HOME/<kind>/<NAME>/``.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from wordseq import __version__
from wordseq.errors import ModelError

FORMAT_VERSION = 1
DEFAULT_NAME = "default"

# Model kinds and the folder each lives in under $WORDSEQ_HOME.
KINDS = ("embeddings", "ngram", "lm", "classifier", "seq2seq")


def wordseq_home() -> Path:
    env = os.environ.get("WORDSEQ_HOME")
    if env:
        return Path(env).expanduser()
    return Path("~/.local/share/wordseq").expanduser()


def is_path(name_or_path: str) -> bool:
    return "/" in name_or_path or name_or_path.startswith(".") or os.sep in name_or_path


def model_dir(name_or_path: str | None, kind: str) -> Path:
    """Where a model named NAME (or at PATH) of this kind lives; it may not exist yet."""
    if kind not in KINDS:
        raise ValueError(f"unknown model kind {kind!r}")
    name = name_or_path or DEFAULT_NAME
    if is_path(name):
        return Path(name)
    if not _valid_name(name):
        raise ModelError(
            f"invalid model name {name!r}: use letters, digits, '-', '_' and '.' "
            "or give a path containing '/'"
        )
    return wordseq_home() / kind / name


def _valid_name(name: str) -> bool:
    return bool(name) and all(c.isalnum() or c in "-_." for c in name)


def read_meta(path: Path) -> dict[str, Any]:
    meta_path = path / "meta.json"
    if not path.exists():
        raise ModelError(f"no model at {path}")
    if not meta_path.is_file():
        raise ModelError(f"{path} is not a wordseq model (no meta.json)")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"{meta_path} is damaged: {exc}") from None
    if not isinstance(meta, dict) or "kind" not in meta:
        raise ModelError(f"{meta_path} is not a wordseq meta.json (no 'kind')")
    return meta


def find_model(name_or_path: str | None, kind: str | tuple[str, ...]) -> tuple[Path, dict[str, Any]]:
    """Locate an existing model and read its meta.json.

    ``kind`` may be a tuple: a bare NAME is then looked up under each kind in turn (this is
    how ``generate -m NAME`` finds either a neural or an n-gram model).
    """
    kinds = (kind,) if isinstance(kind, str) else kind
    name = name_or_path or DEFAULT_NAME
    candidates = [Path(name)] if is_path(name) else [model_dir(name, k) for k in kinds]
    for path in candidates:
        if path.exists():
            meta = read_meta(path)
            if meta["kind"] not in kinds:
                raise ModelError(
                    f"{path} holds a {meta['kind']} model, expected {' or '.join(kinds)}"
                )
            return path, meta
    what = " or ".join(kinds)
    if is_path(name):
        raise ModelError(f"no model at {name}")
    hint = {
        "embeddings": "wordseq train-embeddings CORPUS",
        "ngram": "wordseq ngram train CORPUS",
        "lm": "wordseq lm train CORPUS",
        "classifier": "wordseq classify train DATA",
        "seq2seq": "wordseq seq2seq train PAIRS",
    }
    how = " or ".join(f"'{hint[k]} -o {name}'" for k in kinds)
    raise ModelError(f"no {what} model named {name!r}; train one with {how}")


def new_meta(kind: str, **fields: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "kind": kind,
        "format_version": FORMAT_VERSION,
        "wordseq_version": __version__,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    meta.update(fields)
    return meta


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


@contextmanager
def atomic_model_dir(target: Path) -> Iterator[Path]:
    """Yield a temporary directory beside ``target``; on success it replaces ``target``.

    If the body raises (or is interrupted), the temporary directory is removed and any
    previous model at ``target`` is untouched.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists() and not (target / "meta.json").exists() and any(target.iterdir()):
        raise ModelError(f"{target} exists and is not a wordseq model; refusing to overwrite it")
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        yield tmp
        old = None
        if target.exists():
            old = target.parent / f".{target.name}.old-{os.getpid()}"
            os.replace(target, old)
        os.replace(tmp, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def save_model(target: Path, meta: dict[str, Any], write_payload: Callable[[Path], None]) -> Path:
    """Write payload files and meta.json into ``target`` atomically."""
    with atomic_model_dir(target) as tmp:
        write_payload(tmp)
        write_json(tmp / "meta.json", meta)
    return Path(target)


@dataclass
class ModelInfo:
    kind: str
    name: str
    path: Path
    size_bytes: int
    created_at: str
    summary: str


def _dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def list_models() -> list[ModelInfo]:
    found = []
    home = wordseq_home()
    for kind in KINDS:
        folder = home / kind
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.name.startswith(".") or not (path / "meta.json").is_file():
                continue
            try:
                meta = read_meta(path)
            except ModelError:
                continue
            found.append(
                ModelInfo(
                    kind=kind,
                    name=path.name,
                    path=path,
                    size_bytes=_dir_size(path),
                    created_at=str(meta.get("created_at", "")),
                    summary=str(meta.get("summary", "")),
                )
            )
    return found


def remove_model(name_or_path: str) -> Path:
    path, _ = find_model(name_or_path, KINDS)
    shutil.rmtree(path)
    return path


@contextmanager
def atomic_file(target: Path | str, mode: str = "w") -> Iterator[Any]:
    """Open a temporary file beside ``target``; it replaces ``target`` only on success."""
    target = Path(target)
    if target.is_dir():
        raise ModelError(f"{target} is a directory, expected a file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.tmp-", dir=target.parent)
    try:
        encoding = None if "b" in mode else "utf-8"
        with os.fdopen(fd, mode, encoding=encoding, newline=None if "b" in mode else "\n") as fh:
            yield fh
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
