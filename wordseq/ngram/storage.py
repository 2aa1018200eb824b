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
    """The payload writer for ``store.save_model``."""
    write_tables(model.tables, folder)


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
    try:
        arr = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise ModelError(f"{path} is missing or damaged: {exc}") from None
    if arr.dtype != dtype or arr.ndim != 1 or (length is not None and len(arr) != length):
        raise ModelError(f"{path} is damaged: expected {length if length is not None else 'a'} {np.dtype(dtype).name} values, "
                         f"found {arr.shape} {arr.dtype}")
    # a plain ndarray over the same mapped pages: np.memmap's Python-level __getitem__
    # costs more than the lookups themselves
    return arr.view(np.ndarray)


def read_tables(folder: Path, order: int, unseen: str, prefix: str = "") -> NgramTables:
    """Map a model's table files (written by ``write_tables``)."""
    vocab = read_vocab(folder / f"{prefix}{VOCAB_FILE}")
    prob, backoff, keys = [], [], [np.zeros(0, dtype=np.int64)]
    for n in range(1, order + 1):
        size = len(vocab) if n == 1 else None
        if n >= 2:
            keys.append(_array(folder / f"{prefix}keys{n}.npy", np.int64, None))
            size = len(keys[-1])
        prob.append(_array(folder / f"{prefix}prob{n}.npy", VALUE_DTYPE, size))
        if n < order:
            backoff.append(_array(folder / f"{prefix}backoff{n}.npy", VALUE_DTYPE, size))
        else:
            backoff.append(np.zeros(size or 0, dtype=VALUE_DTYPE))
    return NgramTables(vocab, order, prob, backoff, keys, unseen)


def unseen_mode(config: dict[str, Any]) -> str:
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

        model: Any = read_mixture(path, config, preprocess)
    elif (path / VOCAB_FILE).is_file():
        if "order" not in config:
            raise ModelError(f"{path}/meta.json has no config.order")
        tables = read_tables(path, int(config["order"]), unseen_mode(config))
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
    if getattr(model, "is_mixture", False):
        weights = " ".join(f"{w:.3g}" for w in model.weights)
        return f"mixture of {len(model.parts)} models (weights {weights}), {model.vocab.num_words:,} words"
    smoothing = model.smoothing or "ARPA import"
    return f"order-{model.order} {smoothing}, {model.vocab.num_words:,} words, {model.preprocess.describe()}"


def ngram_meta(model: Any, corpus: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The meta.json of a model (or mixture) about to be saved."""
    from wordseq.store import new_meta

    return new_meta("ngram", summary=summary_of(model), preprocessing=model.preprocess.to_dict(),
                    config=model.config, corpus=corpus or [], training=model.training)


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
    return " ".join(f"{n}-grams={c:,}" for n, c in enumerate(sizes, 1))
