"""meta.json: one schema for every model kind, checked whenever a model is read.

Every model directory holds ``meta.json`` with

- ``kind`` (one of ``KINDS``) and ``format_version`` (checked on load),
- ``wordseq_version``, ``libraries`` (versions of the engines that made it), ``created``,
  ``command`` (the command line, or the Python call),
- ``summary`` (one line for ``models list``), ``complete`` (false for an interrupted run),
- ``preprocessing`` (the settings applied to the training text, applied again to queries),
- ``config`` (enough to rebuild the model), ``corpus`` (the inputs, with size and sha256),
  ``training`` (figures and history),
- ``payload``: the sha256 of every payload file, checked before a file is used.

Kinds may add keys of their own; the ones above always have these types.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from wordseq import __version__
from wordseq.errors import ModelError
from wordseq.store.paths import KINDS, MARKER_FILE, META_FILE, wordseq_home
from wordseq.text.subword import FORMATS, SubwordTokenizer, made_tokenizer, tokenizer_file

FORMAT_VERSION = 2
_LIBRARIES = ("numpy", "torch", "gensim", "nltk")
# Far beyond any meta.json wordseq writes (training histories included: tens of kB).
MAX_META_BYTES = 1 << 20

_SCHEMA: dict[str, tuple[type, ...]] = {
    "kind": (str,),
    "format_version": (int,),
    "wordseq_version": (str,),
    "libraries": (dict,),
    "created": (str,),
    "command": (list,),
    "summary": (str,),
    "complete": (bool,),
    "preprocessing": (dict,),
    "config": (dict,),
    "corpus": (list,),
    "training": (dict,),
    "payload": (dict,),
}
_TYPE_NAMES = {str: "a string", int: "an integer", dict: "an object", list: "a list", bool: "true or false"}

# The command line of the running CLI (set by its entry point); the Python API leaves it.
command_line: list[str] = []


def new_meta(
    kind: str,
    *,
    summary: str = "",
    preprocessing: dict[str, Any] | None = None,
    config: dict[str, Any] | None = None,
    corpus: list[dict[str, Any]] | None = None,
    training: dict[str, Any] | None = None,
    complete: bool = True,
    **extra: Any,
) -> dict[str, Any]:
    """The meta.json of a new model; ``payload`` is filled in when it is saved."""
    if kind not in KINDS:
        raise ValueError(f"unknown model kind {kind!r}")
    libraries = {}
    for name in _LIBRARIES:
        module = sys.modules.get(name)
        version = getattr(module, "__version__", None)
        if version:
            libraries[name] = str(version)
    meta: dict[str, Any] = {
        "kind": kind,
        "format_version": FORMAT_VERSION,
        "wordseq_version": __version__,
        "libraries": libraries,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": list(command_line) or ["python", "wordseq"],
        "summary": summary,
        "complete": complete,
        "preprocessing": preprocessing or {},
        "config": config or {},
        "corpus": corpus or [],
        "training": training or {},
        "payload": {},
    }
    meta.update(extra)
    return meta


def check_meta(meta: Any, where: Path) -> dict[str, Any]:
    """``meta`` if it follows the schema, else a ModelError naming the first problem."""
    if not isinstance(meta, dict):
        raise ModelError(f"{where} is not a wordseq meta.json (expected an object)")
    if "kind" not in meta:
        raise ModelError(f"{where} is not a wordseq meta.json (no 'kind')")
    if meta["kind"] not in KINDS:
        raise ModelError(f"{where}: unknown model kind {meta['kind']!r} (known: {', '.join(KINDS)})")
    version = meta.get("format_version")
    if version != FORMAT_VERSION:
        if isinstance(version, int) and version < FORMAT_VERSION:
            raise ModelError(
                f"{where.parent} was made by an older wordseq (model format {version}; this wordseq reads "
                f"format {FORMAT_VERSION}); train or import it again"
            )
        raise ModelError(f"{where}: model format {version!r} is not supported (this wordseq reads {FORMAT_VERSION})")
    for key, types in _SCHEMA.items():
        if key not in meta:
            raise ModelError(f"{where}: the field '{key}' is missing; the model is damaged")
        value = meta[key]
        if not isinstance(value, types) or (types == (int,) and isinstance(value, bool)):
            raise ModelError(f"{where}: the field '{key}' should be {_TYPE_NAMES[types[0]]}; the model is damaged")
    for name, digest in meta["payload"].items():
        if not isinstance(name, str) or "/" in name or name.startswith(".") or not _is_sha256(digest):
            raise ModelError(f"{where}: the payload list is damaged")
    return meta


def _is_sha256(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def read_meta(folder: Path) -> dict[str, Any]:
    """The checked meta.json of the model directory ``folder``."""
    path = folder / META_FILE
    if not folder.exists():
        raise ModelError(f"no model at {folder}")
    if not folder.is_dir():
        raise ModelError(f"{folder} is a file, not a model directory")
    if not path.is_file():
        raise ModelError(f"{folder} is not a wordseq model (no {META_FILE})")
    try:
        with open(path, "rb") as fh:
            # read one byte past the cap: a larger file is refused without being read
            data = fh.read(MAX_META_BYTES + 1)
        if len(data) > MAX_META_BYTES:
            raise ModelError(f"{path} is larger than {MAX_META_BYTES >> 20} MB; the model is damaged")
        meta = json.loads(data.decode("utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"{path} is damaged: {exc}") from None
    except RecursionError:
        raise ModelError(f"{path} is damaged: nested too deeply") from None
    return check_meta(meta, path)


def json_safe(value: Any) -> Any:
    """JSON has no NaN or infinity: a figure that is one (a perplexity that overflowed)
    is written as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def write_meta(folder: Path, meta: dict[str, Any]) -> None:
    text = json.dumps(json_safe(meta), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    (folder / META_FILE).write_text(text, encoding="utf-8")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def payload_digests(folder: Path) -> dict[str, str]:
    """sha256 of every payload file of a model directory being written."""
    digests = {}
    for path in sorted(folder.iterdir()):
        if path.name in (META_FILE, MARKER_FILE) or path.name.startswith("."):
            continue
        if not path.is_file() or path.is_symlink():
            raise ModelError(f"{path}: a model's payload holds plain files only")
        digests[path.name] = sha256_file(path)
    return digests


# Files this large are hashed once and then trusted while their inode, size and change time
# (which no user-space tool can set back) stay the same: a 3.6 GB vectors file is not
# read whole for every query, and a 45 MB n-gram model loads 25 ms sooner (a tenth of a
# whole `ngram eval` of a million words). Smaller files cost less to hash than the stamp.
_STAMP_BYTES = 1 << 20


def _stamp(path: Path) -> dict[str, int]:
    st = path.stat()
    return {"ino": st.st_ino, "dev": st.st_dev, "size": st.st_size, "ctime_ns": st.st_ctime_ns, "mtime_ns": st.st_mtime_ns}


def _stamp_file(path: Path) -> Path:
    key = hashlib.sha256(os.fsencode(os.path.realpath(path))).hexdigest()[:32]
    return wordseq_home() / ".verified" / f"{key}.json"


def _read_stamp(path: Path) -> dict[str, Any]:
    try:
        saved = json.loads(_stamp_file(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return saved if isinstance(saved, dict) else {}


def checked_before(path: Path, check: str) -> bool:
    """Whether ``check`` (a name for a content check, with what it depends on) passed on
    this file while it was exactly as it is now."""
    try:
        saved = _read_stamp(path)
        checks = saved.get("checks")
        return bool(saved.get("stamp") == _stamp(path) and isinstance(checks, list) and check in checks)
    except OSError:
        return False


def remember_check(path: Path, check: str) -> None:
    """Record in the file's stamp that ``check`` passed, so that loading it again skips the
    check (small files are checked every time: that costs less than the stamp)."""
    try:
        if path.stat().st_size < _STAMP_BYTES:
            return
        stamp = _stamp_file(path)
        saved = _read_stamp(path)
        if saved.get("stamp") != _stamp(path) or not isinstance(saved.get("checks", []), list):
            saved = {"stamp": _stamp(path)}
        saved["checks"] = sorted({*map(str, saved.get("checks", [])), check})
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.write_text(json.dumps(saved), encoding="utf-8")
    except (OSError, TypeError):
        pass  # a read-only home only costs the next load the check again


def verify_payload(folder: Path, meta: dict[str, Any]) -> None:
    """Check every payload file against its recorded sha256 before anything reads it."""
    for name, digest in meta["payload"].items():
        path = folder / name
        if not path.is_file():
            raise ModelError(f"{path} is missing; the model is damaged (remove it with 'wordseq models rm')")
        if path.stat().st_size >= _STAMP_BYTES and checked_before(path, f"sha256:{digest}"):
            continue
        if sha256_file(path) != digest:
            raise ModelError(
                f"{path} does not match the checksum in {META_FILE}: the file was changed or damaged; "
                "train or import the model again"
            )
        remember_check(path, f"sha256:{digest}")
    read_tokenizers(folder, meta)


def _tokenizers_named(meta: dict[str, Any]) -> list[dict[str, Any]]:
    """The subword tokenizers the model's preprocessing names (a seq2seq model has one
    preprocessing per side)."""
    pre = meta.get("preprocessing") or {}
    found = []
    for settings in [pre, *(v for v in pre.values() if isinstance(v, dict))]:
        stored = settings.get("subword") if isinstance(settings, dict) else None
        if isinstance(stored, dict) and isinstance(stored.get("sha256"), str) and stored.get("format") in FORMATS:
            found.append(stored)
    return found


def write_tokenizers(meta: dict[str, Any], folder: Path) -> None:
    """Write the bytes of each subword tokenizer the model uses beside it, so the model
    keeps its tokenizer when the subword model it came from is removed."""
    for stored in _tokenizers_named(meta):
        tokenizer = made_tokenizer(stored["sha256"])
        if tokenizer is None:
            raise ModelError(f"the subword tokenizer {stored.get('name')!r} of this model is not loaded; cannot save it")
        path = folder / tokenizer.file_name
        if not path.exists():
            path.write_bytes(tokenizer.data)


def read_tokenizers(folder: Path, meta: dict[str, Any]) -> None:
    """Load the subword tokenizers a model's preprocessing names from its (verified)
    payload, so that its PreprocessConfig finds them by digest."""
    for stored in _tokenizers_named(meta):
        if made_tokenizer(stored["sha256"]) is not None:
            continue
        name = tokenizer_file(stored["sha256"], stored["format"])
        if name not in meta["payload"]:
            raise ModelError(f"{folder}: the subword tokenizer {name} is not in the model's payload; the model is damaged")
        SubwordTokenizer((folder / name).read_bytes(), stored["format"], str(stored.get("name") or ""),
                         what=str(folder / name))
