"""Model directories of kind "ngram": the tables as .npy files, memory-mapped on load.

A directory holds ``vocab.tsv`` (``word<TAB>count`` in id order) and, per order n,
``prob{n}.npy`` and ``backoff{n}.npy`` (float32 log10, as ARPA) and ``keys{n}.npy`` (the
sorted int64 keys of ``tables.py``, n >= 2). Loading maps the arrays instead of reading
them, so a model is ready in milliseconds whatever its size and only the pages a query
touches are read. No ARPA text is kept: ``wordseq ngram export`` writes one. A mixture
(``mix.py``) stores each part's files with a ``part{i}.`` prefix.

A bare ARPA file (plain or compressed) loads too, and a directory written by an earlier
wordseq (``model.npz``) still loads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from wordseq.errors import ModelError
from wordseq.ngram.model import NgramModel
from wordseq.ngram.tables import UNSEEN_MODES, VALUE_DTYPE, NgramTables
from wordseq.text.preprocess import PreprocessConfig
from wordseq.vocab import Vocabulary

VOCAB_FILE = "vocab.tsv"
LEGACY_ARRAYS = "model.npz"


def check_exportable(model: Any) -> None:
    """Raise unless an ARPA file can hold the model exactly."""
    from wordseq.errors import WordseqError

    if getattr(model, "is_mixture", False):
        raise WordseqError(
            "a mixture is a linear interpolation of its parts; an ARPA file cannot hold it exactly. "
            "Export the parts, or evaluate and generate with the mixture itself"
        )
    if not model.exportable:
        raise WordseqError(
            f"a {model.smoothing or 'add-k'} model is not a backoff model: ARPA cannot hold it exactly "
            "(every unseen word of a context gets one fixed probability); train with --smoothing "
            "witten-bell or modified-kneser-ney to get an ARPA file"
        )


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


def write_payload(model: NgramModel, folder: Path) -> None:
    """The payload writer for ``store.save_model``: the tables, or the files that counting
    in partitions already wrote (copied, never read into memory)."""
    staged = getattr(model, "staged", None)
    if staged is None:
        write_tables(model.tables, folder)
        return
    import shutil

    for path in sorted(Path(staged).iterdir()):
        shutil.copyfile(path, folder / path.name)


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
    from wordseq.store.payload import open_npy

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
    from wordseq.store.meta import checked_before, remember_check

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


def _read_legacy(path: Path) -> NgramTables:
    try:
        with np.load(path, allow_pickle=False) as z:
            words = bytes(z["words"]).decode("utf-8").split("\n")
            vocab = Vocabulary(words, z["counts"].tolist())
            order = int(z["order"])
            return NgramTables(
                vocab, order,
                [z[f"prob{n}"] for n in range(1, order + 1)],
                [z[f"backoff{n}"] for n in range(1, order + 1)],
                [z[f"keys{n}"] for n in range(1, order + 1)],
                UNSEEN_MODES[int(z["unseen"])],
            ).as_float32()
    except (OSError, KeyError, ValueError) as exc:
        raise ModelError(f"{path} is damaged: {exc}") from None


def declared_sizes(meta: dict[str, Any], prefix: str) -> dict[str, Any] | None:
    """meta.json's sizes of the tables whose files start with ``prefix``."""
    tables = meta.get("tables")
    if tables is None:
        return None
    entry = tables.get(prefix or "model") if isinstance(tables, dict) else None
    if not isinstance(entry, dict):
        raise ModelError("meta.json: the n-gram table sizes are damaged")
    return entry


def model_config(meta: dict[str, Any]) -> dict[str, Any]:
    """The model's config (``hyper_parameters`` in directories of earlier versions)."""
    return dict(meta.get("config") or meta.get("hyper_parameters") or {})


def load_ngram(path: Path, meta: dict[str, Any]) -> Any:
    """Load a model directory of kind "ngram" whose meta.json has been read and checked.

    Returns an ``NgramModel``, or a ``MixedNgramModel`` for a mixture.
    """
    path = Path(path)
    if meta.get("kind") != "ngram":
        raise ModelError(f"{path} holds a {meta.get('kind')} model, expected an ngram model")
    preprocess = PreprocessConfig.from_dict(meta.get("preprocessing") or {})
    config = model_config(meta)
    if config.get("mixture"):
        from wordseq.ngram.mix import read_mixture

        model: Any = read_mixture(path, config, preprocess, meta)
    elif (path / VOCAB_FILE).is_file():
        if "order" not in config:
            raise ModelError(f"{path}/meta.json has no config.order")
        tables = read_tables(path, int(config["order"]), unseen_mode(config), declared=declared_sizes(meta, ""))
        model = NgramModel(tables, preprocess, str(config.get("smoothing", "")), config)
    elif (path / LEGACY_ARRAYS).is_file():
        model = NgramModel(_read_legacy(path / LEGACY_ARRAYS), preprocess, str(config.get("smoothing", "")), config)
    else:
        raise ModelError(f"{path} has no {VOCAB_FILE}: not a complete n-gram model")
    model.training = dict(meta.get("training") or {})
    model.path = path
    return model


def load_arpa_file(path: Path, meta: dict[str, Any] | None = None) -> NgramModel:
    """An ARPA file (KenLM, SRILM, wordseq; .gz, .bz2, .xz too) as a model: the store's
    file loader for kind "ngram"."""
    from wordseq.ngram.arpa import read_arpa

    model = NgramModel(read_arpa(str(path)), PreprocessConfig(), "")
    model.path = Path(path)
    return model


def load_ngram_lm(path: Path, meta: dict[str, Any] | None = None) -> Any:
    """An n-gram model from a model directory (the store's loader for kind "ngram") or an
    ARPA file."""
    path = Path(path)
    if path.is_file():
        return load_arpa_file(path)
    if meta is None:
        from wordseq.store import find_model

        path, meta = find_model(str(path), "ngram")
    return load_ngram(path, meta)


def open_ngram(name_or_path: str | None) -> Any:
    """The model a -m value names (NAME, kind/NAME, PATH or an ARPA file), loaded."""
    from wordseq.store import load

    return load(name_or_path, "ngram")


def summary_of(model: Any) -> str:
    """One line about a model (``models show``)."""
    if getattr(model, "is_mixture", False):
        weights = " ".join(f"{w:.3g}" for w in model.weights)
        return f"mixture of {len(model.parts)} models (weights {weights}), {model.vocab.num_words:,} words"
    smoothing = model.smoothing or "ARPA import"
    return f"order-{model.order} {smoothing}, {model.vocab.num_words:,} words, {model.preprocess.describe()}"


def ngram_meta(model: Any, corpus: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The meta.json of a model (or mixture) about to be saved."""
    from wordseq.store import new_meta

    parts = [(f"part{i}.", p.tables) for i, p in enumerate(model.parts, 1)] if getattr(model, "is_mixture", False) \
        else [("model", model.tables)]
    # the sizes every table file must have: loading checks them before mapping a file
    tables = {prefix: {"vocab": t.vocab_size, "sizes": t.sizes()} for prefix, t in parts}
    return new_meta("ngram", summary=summary_of(model), preprocessing=model.preprocess.to_dict(),
                    config=model.config, corpus=corpus or [], training=model.training, tables=tables)


def write_any(model: Any, folder: Path) -> None:
    """The payload of a model or a mixture."""
    if getattr(model, "is_mixture", False):
        from wordseq.ngram.mix import write_mixture

        write_mixture(model, folder)
    else:
        write_payload(model, folder)


def save_ngram(model: Any, output: str | Path, corpus: list[dict[str, Any]] | None = None) -> Path:
    """Save a model (or mixture) as NAME or at PATH; returns where it went."""
    from wordseq.store import writing

    with writing(output, "ngram") as writer:
        assert writer is not None
        target = writer.commit(ngram_meta(model, corpus), lambda folder: write_any(model, folder))
    model.path = target
    return target


def import_arpa(arpa_file: str, output: str | None, preprocess: PreprocessConfig) -> tuple[Path, NgramModel]:
    """Store an ARPA file as a model (``wordseq ngram import``)."""
    import time

    from wordseq.ngram.arpa import read_arpa
    from wordseq.store import DEFAULT_NAME, writing
    from wordseq.text.reader import SourceStats, check_readable, label_of

    check_readable(arpa_file)
    with writing(output or DEFAULT_NAME, "ngram") as writer:
        assert writer is not None
        start = time.perf_counter()
        tables = read_arpa(arpa_file)
        seconds = time.perf_counter() - start
        model = NgramModel(tables, preprocess, "", {"order": tables.order, "smoothing": "", "imported_from": arpa_file})
        model.training = {"ngrams": tables.sizes(), "vocab_size": tables.vocab.num_words, "read_seconds": seconds}
        source = SourceStats(name=label_of(arpa_file), bytes=_regular_file_size(arpa_file)).to_dict()
        target = writer.commit(ngram_meta(model, [source]), lambda folder: write_payload(model, folder))
    return target, model


def _regular_file_size(name: str) -> int:
    """The size of a regular file; 0 (not known) for stdin, a pipe or a FIFO."""
    import os
    import stat

    if name == "-":
        return 0
    st = os.stat(name)
    return st.st_size if stat.S_ISREG(st.st_mode) else 0


def size_line(sizes: list[int]) -> str:
    """``1-grams=N 2-grams=M ...``: the entries per order."""
    return " ".join(f"{n}-grams={c:,}" for n, c in enumerate(sizes, 1))
