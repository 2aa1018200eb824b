"""The files of an n-gram model's tables: ``vocab.tsv`` (``word<TAB>count`` in id order)
and, per order n, ``prob{n}.npy`` and ``backoff{n}.npy`` (float32 log10, as ARPA) and
``keys{n}.npy`` (the sorted int64 keys of ``tables.py``, n >= 2), each file name
starting with a prefix (``part{i}.`` for a mixture's parts).

The compact form (meta.json's ``tables`` entry says ``"format": "compact"``) stores the
keys of order n as ``keys{n}.first.npy`` (int64) and ``keys{n}.low.npy`` (uint32), and a
quantized value array (``"quantize": 8``) as ``prob{n}.codes.npy`` (uint8) and
``prob{n}.bins.npy`` (float32), likewise ``backoff{n}``; see ``packed.py``.

Reading maps the arrays instead of reading them and checks every file's size against
meta.json's declaration and its values once (``check_tables``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from wordseq.errors import ModelError
from wordseq.ngram.packed import QuantizedValues, SplitKeys
from wordseq.ngram.tables import VALUE_DTYPE, NgramTables
from wordseq.store.meta import checked_before, remember_check
from wordseq.store.payload import open_npy
from wordseq.vocab import Vocabulary

VOCAB_FILE = "vocab.tsv"


def write_tables(tables: NgramTables, folder: Path, prefix: str = "") -> None:
    """Write the tables' files into ``folder`` (names start with ``prefix``), in the form
    their arrays have (plain, or compact: ``packed.py``)."""
    write_vocab(tables.vocab, folder / f"{prefix}{VOCAB_FILE}")
    for n in range(1, tables.order + 1):
        _write_values(tables.prob[n - 1], folder, f"{prefix}prob{n}")
        if n < tables.order:
            _write_values(tables.backoff[n - 1], folder, f"{prefix}backoff{n}")
        if n >= 2:
            keys = tables.keys[n - 1]
            if isinstance(keys, SplitKeys):
                np.save(folder / f"{prefix}keys{n}.first.npy", np.asarray(keys.first, dtype=np.int64))
                np.save(folder / f"{prefix}keys{n}.low.npy", np.asarray(keys.low, dtype=np.uint32))
            else:
                np.save(folder / f"{prefix}keys{n}.npy", np.asarray(keys, dtype=np.int64))


def _write_values(values: Any, folder: Path, stem: str) -> None:
    if isinstance(values, QuantizedValues):
        np.save(folder / f"{stem}.codes.npy", np.asarray(values.codes, dtype=np.uint8))
        np.save(folder / f"{stem}.bins.npy", np.asarray(values.bins, dtype=VALUE_DTYPE))
    else:
        np.save(folder / f"{stem}.npy", np.asarray(values, dtype=VALUE_DTYPE))


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
    form = table_form(declared)
    prob, backoff, keys = [], [], [np.zeros(0, dtype=np.int64)]
    for n in range(1, order + 1):
        size = len(vocab) if n == 1 else sizes[n - 1]
        if n >= 2:
            keys.append(_read_keys(folder, f"{prefix}keys{n}", size, form))
            size = len(keys[-1])
        quantized = bool(form.get("quantize")) and n >= 2
        prob.append(_read_values(folder, f"{prefix}prob{n}", size, quantized))
        if n < order:
            backoff.append(_read_values(folder, f"{prefix}backoff{n}", size, quantized))
        else:
            backoff.append(np.zeros(size or 0, dtype=VALUE_DTYPE))
    tables = NgramTables(vocab, order, prob, backoff, keys, unseen)
    if check:
        check_tables(tables, folder, prefix, form)
    return tables


def table_form(declared: dict[str, Any] | None) -> dict[str, Any]:
    """The form of a model's tables as meta.json declares it (models saved before the
    compact form have none: int64 keys, float32 values)."""
    form = {"format": (declared or {}).get("format", "sorted-keys"), "quantize": (declared or {}).get("quantize")}
    if form["format"] not in ("sorted-keys", "compact") or form["quantize"] not in (None, 8) \
            or (form["quantize"] and form["format"] != "compact"):
        raise ModelError(f"meta.json: unknown n-gram table format {form['format']!r} (quantize {form['quantize']!r}); "
                         "a newer wordseq may have written it")
    return form


def _read_keys(folder: Path, stem: str, size: int | None, form: dict[str, Any]) -> Any:
    if form["format"] != "compact":
        return _array(folder / f"{stem}.npy", np.int64, size)
    return SplitKeys(_array(folder / f"{stem}.first.npy", np.int64, None),
                     _array(folder / f"{stem}.low.npy", np.uint32, size))


def _read_values(folder: Path, stem: str, size: int | None, quantized: bool) -> Any:
    if not quantized:
        return _array(folder / f"{stem}.npy", VALUE_DTYPE, size)
    return QuantizedValues(_array(folder / f"{stem}.codes.npy", np.uint8, size),
                           _array(folder / f"{stem}.bins.npy", VALUE_DTYPE, None))


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


def _bad_value(name: str, values: np.ndarray, probability: bool, what: str) -> str | None:
    """The first entry of ``values`` that no table holds: NaN, a log10 probability above
    0 or an infinite backoff; ``what`` names the file and the entry."""
    i = _first_bad(np.isnan(values) | ((values > 0) if probability else (values == np.inf)))
    if i is None:
        return None
    return f"{name}{what} {i} is {values[i]}" + (", not a log10 probability (<= 0)" if probability else "")


def _small_fault(tables: NgramTables, n: int) -> str | None:
    """What is wrong with the small arrays of the compact form (bins, the keys' first
    level): checked on every load, as they are never stamped."""
    for name, values in ((f"prob{n}", tables.prob[n - 1]), (f"backoff{n}", tables.backoff[n - 1])):
        if isinstance(values, QuantizedValues):
            fault = _bad_value(name, np.asarray(values.bins), name.startswith("prob"), ".bins.npy: bin")
            if fault is not None:
                return fault
    keys = tables.keys[n - 1]
    if isinstance(keys, SplitKeys):
        first = np.asarray(keys.first)
        if len(first) == 0 or first[0] != 0 or first[-1] != len(keys) or bool(np.any(first[1:] < first[:-1])):
            return f"keys{n}.first.npy: not the starts of the {len(keys):,} keys in increasing order"
    return None


def _values_fault(name: str, values: Any, probability: bool) -> str | None:
    if isinstance(values, QuantizedValues):  # the bins are checked on every load
        if len(values) and (len(values.bins) == 0 or int(np.max(values.codes)) >= len(values.bins)):
            return f"{name}.codes.npy: a bin number is beyond the {len(values.bins)} bins"
        return None
    return _bad_value(name, np.asarray(values), probability, ".npy: entry")


def _keys_fault(tables: NgramTables, n: int) -> str | None:
    keys, bound = tables.keys[n - 1], len(tables.prob[n - 2]) * tables.vocab_size
    if isinstance(keys, SplitKeys):  # increasing within each high value (the first level is checked)
        low = np.asarray(keys.low)
        bad = low[1:] <= low[:-1]
        starts = np.asarray(keys.first)[1:-1]
        bad[starts[(starts > 0) & (starts < len(low))] - 1] = False
        i = _first_bad(bad)
        if i is not None:
            return f"keys{n}.low.npy: entries {i} and {i + 1} are not in increasing order"
        if len(low) and int(keys[np.array([len(low) - 1])][0]) >= bound:
            return f"keys{n}.low.npy: a key is outside [0, {bound:,})"
        return None
    keys = np.asarray(keys)
    i = _first_bad(keys[1:] <= keys[:-1])
    if i is not None:
        return f"keys{n}.npy: entries {i} and {i + 1} are not in increasing order"
    if len(keys) and (keys[0] < 0 or keys[-1] >= bound):
        return f"keys{n}.npy: a key is outside [0, {bound:,})"
    return None


def _check_tag(tables: NgramTables, n: int) -> str:
    """What the stamped check of order n depends on besides the files it stamps (the
    sizes, the compact form's small arrays)."""
    tag = f"ngram-table:{tables.vocab_size}:{len(tables.prob[n - 2]) if n >= 2 else 0}"
    keys = tables.keys[n - 1]
    if isinstance(keys, SplitKeys):
        import hashlib

        tag += ":" + hashlib.sha256(np.asarray(keys.first).tobytes()).hexdigest()[:16]
    for values in (tables.prob[n - 1], tables.backoff[n - 1]):
        if isinstance(values, QuantizedValues):
            tag += f":{len(values.bins)}"
    return tag


def _file_checks(tables: NgramTables, n: int, form: dict[str, Any]) -> list[tuple[str, Callable[[], str | None]]]:
    """(file, its check) of each large array of order n."""
    quantized = bool(form.get("quantize")) and n >= 2
    ext = ".codes.npy" if quantized else ".npy"
    checks: list[tuple[str, Callable[[], str | None]]] = [
        (f"prob{n}{ext}", lambda: _values_fault(f"prob{n}", tables.prob[n - 1], True))]
    if n < tables.order:
        checks.append((f"backoff{n}{ext}", lambda: _values_fault(f"backoff{n}", tables.backoff[n - 1], False)))
    if n >= 2:
        checks.append((f"keys{n}.low.npy" if form.get("format") == "compact" else f"keys{n}.npy",
                       lambda: _keys_fault(tables, n)))
    return checks


def check_tables(tables: NgramTables, folder: Path, prefix: str = "", form: dict[str, Any] | None = None) -> None:
    """Refuse tables whose values or keys would give wrong scores silently (a NaN
    probability, keys out of order or range). Each file is checked once: a large one
    keeps the store's verified stamp while it stays unchanged (with what its check
    depends on: sizes, the compact form's small arrays, which are checked on every load)."""
    form = form or {"format": "sorted-keys"}
    for n in range(1, tables.order + 1):
        fault = _small_fault(tables, n)
        if fault is not None:
            raise ModelError(f"{folder}/{prefix}{fault}; the model is damaged (train or import it again)")
        tag = _check_tag(tables, n)
        for name, check in _file_checks(tables, n, form):
            path = folder / f"{prefix}{name}"
            if checked_before(path, tag):
                continue
            fault = check()
            if fault is not None:
                raise ModelError(f"{folder}/{prefix}{fault}; the model is damaged (train or import it again)")
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
