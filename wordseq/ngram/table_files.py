"""The files of an n-gram model's tables: ``vocab.tsv`` (``word<TAB>count`` in id order)
and, per order n, ``prob{n}.npy`` and ``backoff{n}.npy`` (float32 log10, as ARPA) and
``keys{n}.npy`` (the sorted int64 keys of ``tables.py``, n >= 2), each file name
starting with a prefix (``part{i}.`` for a mixture's parts).

Reading maps the arrays instead of reading them and checks every file's size against
meta.json's declaration and its values once (``check_tables``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from wordseq.errors import ModelError
from wordseq.ngram.tables import VALUE_DTYPE, NgramTables
from wordseq.store.meta import checked_before, remember_check
from wordseq.store.payload import open_npy
from wordseq.vocab import Vocabulary

VOCAB_FILE = "vocab.tsv"


def write_tables(tables: NgramTables, folder: Path, prefix: str = "") -> None:
    """Write the tables' files into ``folder`` (names start with ``prefix``)."""
    write_vocab(tables.vocab, folder / f"{prefix}{VOCAB_FILE}")
    for n in range(1, tables.order + 1):
        np.save(folder / f"{prefix}prob{n}.npy", np.asarray(tables.prob[n - 1], dtype=VALUE_DTYPE))
        if n < tables.order:
            np.save(folder / f"{prefix}backoff{n}.npy", np.asarray(tables.backoff[n - 1], dtype=VALUE_DTYPE))
        if n >= 2:
            np.save(folder / f"{prefix}keys{n}.npy", np.asarray(tables.keys[n - 1], dtype=np.int64))


def write_vocab(vocab: Vocabulary, path: Path) -> None:
    """``word<TAB>count`` lines in id order (``Vocabulary.save``'s format), in one write."""
    text = "".join(map("{}\t{}\n".format, vocab.itos, vocab.counts))
    path.write_text(text, encoding="utf-8", newline="\n")


def read_vocab(path: Path) -> Vocabulary:
    """``vocab.tsv`` in a few C calls (words never hold tabs or newlines)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelError(f"{path} cannot be read: {exc}") from None
    fields = text.replace("\t", "\n").split("\n")
    if fields and fields[-1] == "":
        fields.pop()
    if len(fields) % 2:
        raise ModelError(f"{path} is damaged: expected 'word<TAB>count' lines")
    try:
        counts = list(map(int, fields[1::2]))
        return Vocabulary(fields[0::2], counts)
    except ValueError as exc:
        raise ModelError(f"{path} is damaged: {exc}") from None


def _array(path: Path, dtype: Any, length: int | None) -> np.ndarray:
    return open_npy(path, dtype, (length,))


def read_tables(folder: Path, order: int, unseen: str, prefix: str = "", declared: dict[str, Any] | None = None,
                check: bool = True) -> NgramTables:
    """Map a model's table files (written by ``write_tables``) and check them.

    ``declared`` is meta.json's ``tables`` entry for them (vocabulary size and n-grams per
    order; models saved before it existed have none): every file's size must be the one
    declared, so nothing is read beyond what the metadata says. ``check=False`` is for
    tables this process has just written (training in partitions): checking reads every
    page, and a mapped page read stays in the process's memory.
    """
    vocab = read_vocab(folder / f"{prefix}{VOCAB_FILE}")
    sizes = _sizes_of(folder / f"{prefix}{VOCAB_FILE}", declared, order, len(vocab))
    prob, backoff, keys = [], [], [np.zeros(0, dtype=np.int64)]
    for n in range(1, order + 1):
        size = len(vocab) if n == 1 else sizes[n - 1]
        if n >= 2:
            keys.append(_array(folder / f"{prefix}keys{n}.npy", np.int64, size))
            size = len(keys[-1])
        prob.append(_array(folder / f"{prefix}prob{n}.npy", VALUE_DTYPE, size))
        if n < order:
            backoff.append(_array(folder / f"{prefix}backoff{n}.npy", VALUE_DTYPE, size))
        else:
            backoff.append(np.zeros(size or 0, dtype=VALUE_DTYPE))
    tables = NgramTables(vocab, order, prob, backoff, keys, unseen)
    if check:
        check_tables(tables, folder, prefix)
    return tables


def _sizes_of(where: Path, declared: dict[str, Any] | None, order: int, vocab: int) -> list[int | None]:
    """Entries per order as meta.json declares them (None where it does not)."""
    if not declared:
        return [None] * order
    sizes = declared.get("sizes")
    if declared.get("vocab") != vocab:
        raise ModelError(f"{where} is damaged: {vocab:,} entries where meta.json declares {declared.get('vocab')!r}")
    if (not isinstance(sizes, list) or len(sizes) != order
            or not all(isinstance(x, int) and not isinstance(x, bool) and x >= 0 for x in sizes)):
        raise ModelError(f"{where.parent}/meta.json: the n-gram table sizes are damaged")
    if sizes[0] != vocab - 1:  # the header's unigram count leaves out <pad>
        raise ModelError(f"{where} is damaged: {vocab - 1:,} words where meta.json declares {sizes[0]:,}")
    return list(sizes)


def _first_bad(mask: np.ndarray) -> int | None:
    return int(np.argmax(mask)) if mask.any() else None


def _table_fault(tables: NgramTables, n: int) -> str | None:
    """What is wrong with the order-n arrays (None if nothing): cheap vectorised checks
    of what every lookup relies on."""
    prob, backoff = np.asarray(tables.prob[n - 1]), np.asarray(tables.backoff[n - 1])
    i = _first_bad(np.isnan(prob) | (prob > 0))
    if i is not None:
        return f"prob{n}.npy: entry {i} is {prob[i]}, not a log10 probability (<= 0)"
    i = _first_bad(np.isnan(backoff) | (backoff == np.inf))
    if i is not None:
        return f"backoff{n}.npy: entry {i} is {backoff[i]}"
    if n >= 2:
        keys = np.asarray(tables.keys[n - 1])
        bound = len(tables.prob[n - 2]) * tables.vocab_size
        i = _first_bad(keys[1:] <= keys[:-1])
        if i is not None:
            return f"keys{n}.npy: entries {i} and {i + 1} are not in increasing order"
        if len(keys) and (keys[0] < 0 or keys[-1] >= bound):
            return f"keys{n}.npy: a key is outside [0, {bound:,})"
    return None


def check_tables(tables: NgramTables, folder: Path, prefix: str = "") -> None:
    """Refuse tables whose values or keys would give wrong scores silently (a NaN
    probability, keys out of order or range). Each file is checked once: a large one
    keeps the store's verified stamp while it stays unchanged."""
    for n in range(1, tables.order + 1):
        names = [f"{prefix}prob{n}.npy"] + ([f"{prefix}backoff{n}.npy"] if n < tables.order else [])
        names += [f"{prefix}keys{n}.npy"] if n >= 2 else []
        tag = f"ngram-table:{tables.vocab_size}:{len(tables.prob[n - 2]) if n >= 2 else 0}"
        paths = [folder / name for name in names]
        if all(checked_before(path, tag) for path in paths):
            continue
        fault = _table_fault(tables, n)
        if fault is not None:
            raise ModelError(f"{folder}/{prefix}{fault}; the model is damaged (train or import it again)")
        for path in paths:
            remember_check(path, tag)


def unseen_mode(config: dict[str, Any]) -> str:
    """How a saved model scores an unseen word: ``absolute`` (add-k) or ``backoff``."""
    return "absolute" if config.get("smoothing") == "add-k" else "backoff"


def declared_sizes(meta: dict[str, Any], prefix: str) -> dict[str, Any] | None:
    """meta.json's sizes of the tables whose files start with ``prefix``."""
    tables = meta.get("tables")
    if tables is None:
        return None
    entry = tables.get(prefix or "model") if isinstance(tables, dict) else None
    if not isinstance(entry, dict):
        raise ModelError("meta.json: the n-gram table sizes are damaged")
    return entry
