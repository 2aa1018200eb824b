"""The registry: each kind's loader, and the one resolution of a -m value to a model.

``resolve`` is the only place a NAME, kind/NAME or PATH becomes an existing model folder;
``load``, ``find_model`` (``models show``, ``models plot``) and ``remove_model``
(``models rm``) all go through it, so a name that means nothing, or models of several
kinds, is the same error everywhere.
"""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path
from typing import Any

from wordseq.errors import ModelError
from wordseq.spelling import spelled_close
from wordseq.store.meta import read_meta, verify_payload
from wordseq.store.paths import (
    DEFAULT_NAME,
    KINDS,
    META_FILE,
    PARTIAL,
    NameOrPath,
    article,
    as_value,
    check_kinds,
    check_name,
    is_path,
    kind_prefix,
    made_by_wordseq,
    model_dir,
    partial_dir,
    valid_name,
    wordseq_home,
)
from wordseq.store.transaction import recover, remove_dir

# kind -> (module, function): function(path, meta, **options) returns the loaded model.
# Imported only when a model of that kind is loaded, so the CLI starts fast.
LOADERS: dict[str, tuple[str, str]] = {
    "embeddings": ("wordseq.embeddings.model", "load_embedding_model"),
    "ngram": ("wordseq.ngram.storage", "load_ngram_lm"),
    "lm": ("wordseq.neural.model", "load_neural_lm"),
    "classifier": ("wordseq.classify.storage", "load_classifier"),
    "seq2seq": ("wordseq.seq2seq.storage", "load_seq2seq"),
    "subword": ("wordseq.subwords", "load_subword_model"),
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
    "subword": "wordseq subword train CORPUS",
}


def candidates(name: str | None, kinds: tuple[str, ...]) -> list[tuple[str | None, Path]]:
    """Existing places a -m value may mean: [(kind or None for a path, path)].

    A replace that died between its two renames (filesystems without an atomic
    exchange) is undone here first, so the name resolves to the model it held.
    """
    name = DEFAULT_NAME if name is None else name
    prefixed = kind_prefix(name)
    if prefixed is not None:
        kind, bare = prefixed
        if kind not in kinds:
            raise ModelError(f"'{name}' names {article(kind)} {kind} model; this command takes {' or '.join(kinds)} models")
        places: list[tuple[str | None, Path]] = [(kind, wordseq_home() / kind / bare)]
    elif name and is_path(name):
        places = [(None, Path(name))]
    else:
        check_name(name)
        places = [(k, wordseq_home() / k / name) for k in kinds]
    for _, path in places:
        recover(path)
    return [(kind, path) for kind, path in places if path.exists()]


def resolve(name_or_path: NameOrPath | None, kinds: str | tuple[str, ...] = KINDS,
            unfinished: bool = False) -> tuple[str | None, Path]:
    """(kind, or None for a PATH; folder) of the one existing model a -m value means.

    With ``unfinished``, a NAME whose only folder is an unfinished run's checkpoint
    means that checkpoint (what ``models rm`` removes).
    """
    kinds = check_kinds(kinds)
    value = as_value(name_or_path)
    found = candidates(value, kinds)
    if not found and unfinished and value is not None and not is_path(value):
        prefix = value.partition("/")[0]  # kind/NAME: only that kind's checkpoint
        found = [(k, partial_dir(model_dir(value, k))) for k in kinds if prefix in (k, value)]
        found = [(k, p) for k, p in found if p.is_dir()]
    if not found:
        raise not_found(value, kinds)
    if len(found) > 1:
        shown = DEFAULT_NAME if value is None else value
        listed = ", ".join(f"{k}/{shown}" for k, _ in found)
        raise ModelError(f"'{shown}' names models of several kinds ({listed}); say which, e.g. {found[0][0]}/{shown}")
    return found[0]


def not_found(name_or_path: str | None, kinds: tuple[str, ...]) -> ModelError:
    """The error for a -m value naming nothing: what the name is if it is a model of
    another kind, else the store's names spelled like it, else (for 'default') the models
    there are, else how to make one."""
    name = DEFAULT_NAME if name_or_path is None else name_or_path
    if is_path(name):
        return ModelError(f"no model at {name}")
    bare = kind_prefix(name)
    shown = bare[1] if bare else name
    wanted = (bare[0],) if bare else kinds
    what = " or ".join(wanted) if set(wanted) != set(KINDS) else "wordseq"
    elsewhere = [k for k in KINDS if k not in wanted and (wordseq_home() / k / shown).is_dir()]
    if elsewhere:
        return ModelError(f"'{shown}' is {article(elsewhere[0])} {elsewhere[0]} model; "
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


def _store_names(kinds: tuple[str, ...]) -> list[tuple[str, str]]:
    """(kind, name) of the model folders in the store, kind by kind, name by name."""
    found = []
    for kind in kinds:
        folder = wordseq_home() / kind
        if folder.is_dir():
            found += [(kind, p.name) for p in sorted(folder.iterdir())
                      if valid_name(p.name) and (p / META_FILE).is_file()]
    return found


def find_model(name_or_path: NameOrPath | None, kind: str | tuple[str, ...] = KINDS) -> tuple[Path, dict[str, Any]]:
    """Locate an existing model, read its checked meta.json and verify its payload files."""
    kinds = check_kinds(kind)
    _, path = resolve(name_or_path, kinds)
    meta = read_meta(path)
    if meta["kind"] not in kinds:
        raise ModelError(f"{path} holds a {meta['kind']} model; this command takes {' or '.join(kinds)} models")
    verify_payload(path, meta)
    return path, meta


def load(name_or_path: NameOrPath | None = None, kinds: str | tuple[str, ...] = KINDS, **options: Any) -> Any:
    """The model a -m value names, loaded by its kind's loader.

    ``options`` (``device`` ...) go to loaders that take them. A single file (an ARPA
    file) is loaded by the file loader of a kind that reads files. A ``pathlib.Path`` is
    always a path; a str is a NAME, kind/NAME or PATH as on the command line.
    """
    kinds = check_kinds(kinds)
    name_or_path = as_value(name_or_path)
    if name_or_path and Path(name_or_path).is_file() and kind_prefix(name_or_path) is None:
        for kind in kinds:
            if kind in FILE_LOADERS:
                return _call(FILE_LOADERS[kind], Path(name_or_path), None, options)
        raise ModelError(f"{name_or_path} is a file; a {' or '.join(kinds)} model is a directory")
    path, meta = find_model(name_or_path, kinds)
    if meta["kind"] not in LOADERS:
        raise ModelError(f"this wordseq cannot load {meta['kind']} models")
    return _call(LOADERS[meta["kind"]], path, meta, options)


def load_folder(path: Path, meta: dict[str, Any], **options: Any) -> Any:
    """The model in ``path`` as its kind's loader reads it, with ``meta`` given rather
    than read from the folder (an import checks a folder before it enters the store)."""
    if meta["kind"] not in LOADERS:
        raise ModelError(f"this wordseq cannot load {meta['kind']} models")
    return _call(LOADERS[meta["kind"]], Path(path), meta, options)


def _call(spec: tuple[str, str], path: Path, meta: dict[str, Any] | None, options: dict[str, Any]) -> Any:
    loader = getattr(importlib.import_module(spec[0]), spec[1])
    accepted = inspect.signature(loader).parameters
    return loader(path, meta, **{k: v for k, v in options.items() if k in accepted})


def removal_target(name_or_path: str | None, kinds: tuple[str, ...] = KINDS) -> tuple[str, Path]:
    """(kind, directory) that ``models rm`` would remove: a model (damaged ones too) or,
    when only that is left under a name, an unfinished run's checkpoint."""
    kind, path = resolve(name_or_path, kinds, unfinished=True)
    if path.name.endswith(f".{PARTIAL}"):
        return str(kind), path
    if not made_by_wordseq(path):
        raise ModelError(f"{path} is not a model directory wordseq made (no marker); refusing to remove it")
    if kind is None:
        try:
            kind = read_meta(path)["kind"]
        except ModelError:
            kind = "damaged"
    return str(kind), path


def remove_model(name_or_path: str | None, kinds: tuple[str, ...] = KINDS) -> list[Path]:
    """Remove a model (damaged ones too) and its unfinished-run checkpoint, each in one step.

    A PATH must be a directory wordseq made; a NAME held by several kinds is an error.
    """
    _, path = removal_target(name_or_path, kinds)
    remove_dir(path)
    return [path]
