"""Where a model lives, and the registry every command loads models through.

``-o`` / ``-m`` take a PATH (contains ``/``, starts with ``.``, or names an existing file),
``kind/NAME``, or a bare NAME that lives in ``$WORDSEQ_HOME/<kind>/NAME/``. A bare NAME
that several kinds hold is an error that lists them, where a command takes several kinds.
"""

from __future__ import annotations

import importlib
import inspect
import os
from pathlib import Path
from typing import Any

from wordseq.errors import ModelError
from wordseq.spelling import spelled_close
from wordseq.store.meta import KINDS, MARKER_FILE, META_FILE, read_meta, verify_payload

DEFAULT_NAME = "default"

# kind -> (module, function): function(path, meta, **options) returns the loaded model.
# Imported only when a model of that kind is loaded, so the CLI starts fast.
LOADERS: dict[str, tuple[str, str]] = {
    "embeddings": ("wordseq.embeddings.model", "load_embedding_model"),
    "ngram": ("wordseq.ngram.storage", "load_ngram_lm"),
    "lm": ("wordseq.neural.lm", "load_neural_lm"),
    "classifier": ("wordseq.classify.model", "load_classifier"),
    "seq2seq": ("wordseq.seq2seq.storage", "load_seq2seq"),
}
# kinds that can also be read from a single file (-m model.arpa)
FILE_LOADERS: dict[str, tuple[str, str]] = {
    "ngram": ("wordseq.ngram.storage", "load_arpa_file"),
}
HOW_TO_MAKE = {
    "embeddings": "wordseq train-embeddings CORPUS",
    "ngram": "wordseq ngram train CORPUS",
    "lm": "wordseq lm train CORPUS",
    "classifier": "wordseq classify train DATA",
    "seq2seq": "wordseq seq2seq train PAIRS",
}


def wordseq_home() -> Path:
    env = os.environ.get("WORDSEQ_HOME")
    if env:
        return Path(env).expanduser()
    return Path("~/.local/share/wordseq").expanduser()


NameOrPath = str | os.PathLike[str]


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
        return _kind_prefix(name_or_path) is None
    return Path(name_or_path).is_file()


def _kind_prefix(value: str) -> tuple[str, str] | None:
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


def _check_name(name: str) -> None:
    if not name:
        raise ModelError("the model name is empty (an unset shell variable?); give a NAME or a PATH")
    if not valid_name(name):
        raise ModelError(
            f"invalid model name {name!r}: use letters, digits, '-', '_' and '.' (not first), "
            "or give a path containing '/'"
        )


def model_dir(name_or_path: NameOrPath | None, kind: str) -> Path:
    """Where a model named NAME (or at PATH) of this kind lives; it may not exist yet."""
    check_kinds(kind)
    value = as_value(name_or_path)
    name = DEFAULT_NAME if value is None else value
    prefixed = _kind_prefix(name)
    if prefixed is not None:
        if prefixed[0] != kind:
            raise ModelError(f"'{name}' names {_article(prefixed[0])} {prefixed[0]} model; this command writes {kind} models")
        return wordseq_home() / kind / prefixed[1]
    if name and is_path(name):
        return Path(name)
    _check_name(name)
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


def candidates(name_or_path: str | None, kinds: tuple[str, ...]) -> list[tuple[str | None, Path]]:
    """Existing places a -m value may mean: [(kind or None for a path, path)].

    A replace that died between its two renames (filesystems without an atomic
    exchange) is undone here first, so the name resolves to the model it held.
    """
    from wordseq.store.transaction import recover

    name = DEFAULT_NAME if name_or_path is None else name_or_path
    prefixed = _kind_prefix(name)
    if prefixed is not None:
        kind, bare = prefixed
        if kind not in kinds:
            raise ModelError(f"'{name}' names {_article(kind)} {kind} model; this command takes {' or '.join(kinds)} models")
        path = wordseq_home() / kind / bare
        recover(path)
        return [(kind, path)] if path.exists() else []
    if name and is_path(name):
        recover(Path(name))
        return [(None, Path(name))] if Path(name).exists() else []
    _check_name(name)
    for k in kinds:
        recover(wordseq_home() / k / name)
    return [(k, wordseq_home() / k / name) for k in kinds if (wordseq_home() / k / name).exists()]


def not_found(name_or_path: str | None, kinds: tuple[str, ...]) -> ModelError:
    """The error for a -m value naming nothing: what the name is if it is a model of
    another kind, else the store's names spelled like it, else (for 'default') the models
    there are, else how to make one."""
    name = DEFAULT_NAME if name_or_path is None else name_or_path
    if is_path(name):
        return ModelError(f"no model at {name}")
    bare = _kind_prefix(name)
    shown = bare[1] if bare else name
    wanted = (bare[0],) if bare else kinds
    what = " or ".join(wanted) if set(wanted) != set(KINDS) else "wordseq"
    elsewhere = [k for k in KINDS if k not in wanted and (wordseq_home() / k / shown).is_dir()]
    if elsewhere:
        return ModelError(f"'{shown}' is {_article(elsewhere[0])} {elsewhere[0]} model; "
                          f"this command takes {what} models")
    names = _store_names(wanted)
    close = spelled_close(shown, [n for _, n in names])
    if close:
        return ModelError(f"no {what} model named {shown!r}; did you mean {', '.join(close)}?")
    if shown == DEFAULT_NAME and names:
        listed = [f"{k}/{n}" if len(wanted) > 1 else n for k, n in names]
        more = f" and {len(listed) - 20} more" if len(listed) > 20 else ""
        return ModelError(f"no {what} model named 'default'; name one of {', '.join(listed[:20])}{more}")
    if what == "wordseq":
        return ModelError(f"no wordseq model named {shown!r}; 'wordseq models list' shows the models there are")
    how = " or ".join(f"'{HOW_TO_MAKE[k]} -o {shown}'" for k in wanted)
    return ModelError(f"no {what} model named {shown!r}; make one with {how}")


def _article(kind: str) -> str:
    return "an" if kind in ("embeddings", "lm", "ngram") else "a"  # an en-gram, an el-em


def _store_names(kinds: tuple[str, ...]) -> list[tuple[str, str]]:
    """(kind, name) of the model folders in the store, kind by kind, name by name."""
    found = []
    for kind in kinds:
        folder = wordseq_home() / kind
        if folder.is_dir():
            found += [(kind, p.name) for p in sorted(folder.iterdir())
                      if valid_name(p.name) and (p / META_FILE).is_file()]
    return found


def find_model(name_or_path: NameOrPath | None, kind: str | tuple[str, ...]) -> tuple[Path, dict[str, Any]]:
    """Locate an existing model, read its checked meta.json and verify its payload files."""
    kinds = check_kinds(kind)
    name_or_path = as_value(name_or_path)
    found = candidates(name_or_path, kinds)
    if not found:
        raise not_found(name_or_path, kinds)
    if len(found) > 1:
        shown = DEFAULT_NAME if name_or_path is None else name_or_path
        listed = ", ".join(f"{k}/{shown}" for k, _ in found)
        raise ModelError(f"'{shown}' names models of several kinds ({listed}); say which, e.g. -m {found[0][0]}/{shown}")
    _, path = found[0]
    meta = read_meta(path)
    if meta["kind"] not in kinds:
        raise ModelError(f"{path} holds a {meta['kind']} model; this command takes {' or '.join(kinds)} models")
    verify_payload(path, meta)
    return path, meta


def _function(spec: tuple[str, str]) -> Any:
    module, name = spec
    return getattr(importlib.import_module(module), name)


def load(name_or_path: NameOrPath | None = None, kinds: str | tuple[str, ...] = KINDS, **options: Any) -> Any:
    """The model a -m value names, loaded by its kind's loader.

    ``options`` (``device`` ...) go to loaders that take them. A single file (an ARPA
    file) is loaded by the file loader of a kind that reads files. A ``pathlib.Path`` is
    always a path; a str is a NAME, kind/NAME or PATH as on the command line.
    """
    kinds = check_kinds(kinds)
    name_or_path = as_value(name_or_path)
    if name_or_path and Path(name_or_path).is_file() and _kind_prefix(name_or_path) is None:
        for kind in kinds:
            if kind in FILE_LOADERS:
                return _call(_function(FILE_LOADERS[kind]), Path(name_or_path), None, options)
        raise ModelError(f"{name_or_path} is a file; a {' or '.join(kinds)} model is a directory")
    path, meta = find_model(name_or_path, kinds)
    if meta["kind"] not in LOADERS:
        raise ModelError(f"this wordseq cannot load {meta['kind']} models")
    return _call(_function(LOADERS[meta["kind"]]), path, meta, options)


def _call(loader: Any, path: Path, meta: dict[str, Any] | None, options: dict[str, Any]) -> Any:
    accepted = inspect.signature(loader).parameters
    return loader(path, meta, **{k: v for k, v in options.items() if k in accepted})
