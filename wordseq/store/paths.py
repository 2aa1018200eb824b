"""Where models live: the store's home, its kinds, and the folders a NAME or PATH means.

``-o`` / ``-m`` take a PATH (contains ``/``, starts with ``.``, or names an existing file),
``kind/NAME``, or a bare NAME that lives in ``$WORDSEQ_HOME/<kind>/NAME/``. This module
only computes places; what a name means among the models that exist is the registry's.
"""

from __future__ import annotations

import os
from pathlib import Path

from wordseq.errors import ModelError

KINDS = ("embeddings", "ngram", "lm", "classifier", "seq2seq", "subword")
DEFAULT_NAME = "default"
META_FILE = "meta.json"
# Written into every model directory wordseq creates; -o and models rm on a PATH act only
# on directories that hold it.
MARKER_FILE = ".wordseq-model"
MARKER_TEXT = "This directory is a wordseq model; wordseq may replace or remove it.\n"
PARTIAL = "partial"

NameOrPath = str | os.PathLike[str]


def wordseq_home() -> Path:
    env = os.environ.get("WORDSEQ_HOME")
    if env:
        return Path(env).expanduser()
    return Path("~/.local/share/wordseq").expanduser()


def partial_dir(target: Path) -> Path:
    """Where an unfinished run's checkpoints for ``target`` are kept."""
    return target.with_name(f".{target.name}.{PARTIAL}")


def as_value(name_or_path: NameOrPath | None) -> str | None:
    """A -m / -o value given from Python, as the CLI would see it: a str as it is, and a
    ``pathlib.Path`` always as a path (``Path("news")`` is the folder ./news, not a NAME)."""
    if name_or_path is None or isinstance(name_or_path, str):
        return name_or_path
    if isinstance(name_or_path, os.PathLike):
        text = os.fsdecode(os.fspath(name_or_path))
        return text if os.path.isabs(text) or text.startswith(".") else os.path.join(".", text)
    raise ModelError(f"a model is given as a NAME, kind/NAME or PATH (a str or pathlib.Path), "
                     f"not {type(name_or_path).__name__}")


def check_kinds(kinds: str | tuple[str, ...]) -> tuple[str, ...]:
    """``kinds`` as a tuple, each one a kind wordseq knows."""
    kinds = (kinds,) if isinstance(kinds, str) else tuple(kinds)
    for kind in kinds:
        if kind not in KINDS:
            raise ModelError(f"unknown model kind {kind!r} (known: {', '.join(KINDS)})")
    return kinds


def is_path(name_or_path: str) -> bool:
    """A value with '/' or a leading '.', or naming an existing file, is a path."""
    if "/" in name_or_path or name_or_path.startswith(".") or os.sep in name_or_path:
        return kind_prefix(name_or_path) is None
    return Path(name_or_path).is_file()


def kind_prefix(value: str) -> tuple[str, str] | None:
    """('lm', 'news') for 'lm/news' when no such path exists here."""
    kind, sep, name = value.partition("/")
    if sep and kind in KINDS and ".." in Path(name).parts:
        # 'ngram/../../x' reads as kind/NAME but would land outside the store
        raise ModelError(f"'{value}': '..' is not allowed in a kind/NAME model name; "
                         "to use a folder elsewhere, give its path (e.g. ../x)")
    if sep and kind in KINDS and valid_name(name) and not Path(value).exists():
        return kind, name
    return None


def valid_name(name: str) -> bool:
    return bool(name) and not name.startswith(".") and all(c.isalnum() or c in "-_." for c in name)


def check_name(name: str) -> None:
    if not name:
        raise ModelError("the model name is empty (an unset shell variable?); give a NAME or a PATH")
    if not valid_name(name):
        raise ModelError(
            f"invalid model name {name!r}: use letters, digits, '-', '_' and '.' (not first), "
            "or give a path containing '/'"
        )


def article(kind: str) -> str:
    return "an" if kind in ("embeddings", "lm", "ngram") else "a"  # an en-gram, an el-em


def model_dir(name_or_path: NameOrPath | None, kind: str) -> Path:
    """Where a model named NAME (or at PATH) of this kind lives; it may not exist yet."""
    check_kinds(kind)
    value = as_value(name_or_path)
    name = DEFAULT_NAME if value is None else value
    prefixed = kind_prefix(name)
    if prefixed is not None:
        if prefixed[0] != kind:
            raise ModelError(f"'{name}' names {article(prefixed[0])} {prefixed[0]} model; this command writes {kind} models")
        return wordseq_home() / kind / prefixed[1]
    if name and is_path(name):
        return Path(name)
    check_name(name)
    return wordseq_home() / kind / name


def in_store(path: Path) -> bool:
    """Whether ``path`` is a model folder inside $WORDSEQ_HOME (wordseq's own territory)."""
    try:
        return path.parent.resolve() in {(wordseq_home() / k).resolve() for k in KINDS}
    except OSError:
        return False


def made_by_wordseq(path: Path) -> bool:
    """A directory wordseq may replace or remove: it holds the marker wordseq writes, or
    it is a model folder of the store (models saved before the marker existed)."""
    if not path.is_dir() or path.is_symlink():
        return False
    if (path / MARKER_FILE).is_file():
        return True
    return in_store(path) and (path / META_FILE).is_file()
