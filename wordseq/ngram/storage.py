"""Model directories of kind "ngram": loading, saving and importing models and mixtures.

The tables' files are ``table_files.py``'s (mapped on load, so a model is ready in
milliseconds whatever its size). No ARPA text is kept: ``wordseq ngram export`` writes
one. A mixture (``mix.py``) stores each part's files with a ``part{i}.`` prefix.

A bare ARPA file (plain or compressed) loads too, and a directory written by an earlier
wordseq (``model.npz``) still loads.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from wordseq.errors import InputError, ModelError
from wordseq.ngram.compact import compact_model, table_format
from wordseq.ngram.model import NgramModel
from wordseq.ngram.table_files import VOCAB_FILE, declared_sizes, read_tables, unseen_mode, write_tables
from wordseq.ngram.tables import UNSEEN_MODES, NgramTables
from wordseq.text.preprocess import PreprocessConfig
from wordseq.vocab import Vocabulary

if TYPE_CHECKING:
    from wordseq.ngram.mix import MixedNgramModel, TuningResult

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
        from wordseq.ngram.mix import read_mixture  # only mixtures need it: scoring starts sooner

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
    tables = {prefix: {"vocab": t.vocab_size, "sizes": t.sizes(), **table_format(t)} for prefix, t in parts}
    return new_meta("ngram", summary=summary_of(model), preprocessing=model.preprocess.to_dict(),
                    config=model.config, corpus=corpus or [], training=model.training, tables=tables)


def write_any(model: Any, folder: Path) -> None:
    """The payload of a model or a mixture."""
    if getattr(model, "is_mixture", False):
        from wordseq.ngram.mix import write_mixture

        write_mixture(model, folder)
    else:
        write_payload(model, folder)


def import_arpa(arpa_file: str, output: str | None, preprocess: PreprocessConfig, *, compact: bool = False,
                quantize: int | None = None) -> tuple[Path, NgramModel]:
    """Store an ARPA file as a model (``wordseq ngram import``); ``compact`` /
    ``quantize`` store it in the compact form (``compact.py``)."""
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
        if compact or quantize is not None:
            compact_model(model, quantize)
        source = SourceStats(name=label_of(arpa_file), bytes=_regular_file_size(arpa_file)).to_dict()
        target = writer.commit(ngram_meta(model, [source]), lambda folder: write_payload(model, folder))
    return target, model


def compact_to_store(name: str, output: str, quantize: int | None = None) -> tuple[Path, Any]:
    """Store a model (NAME, PATH or ARPA file; a mixture too) anew in the compact form,
    its values quantized with ``quantize`` (``wordseq ngram compact``)."""
    from wordseq.store import writing

    if quantize is not None:
        from wordseq.ngram.config import check_quantize

        check_quantize(quantize)
    with writing(output, "ngram") as writer:
        assert writer is not None
        model = compact_model(open_ngram(name), quantize)
        corpus = _stored_corpus(model)
        target = writer.commit(ngram_meta(model, corpus), lambda folder: write_any(model, folder))
    return target, model


def _stored_corpus(model: Any) -> list[dict[str, Any]]:
    """meta.json's corpus entries of a loaded model (kept when it is stored anew); none
    for a model read from an ARPA file. The store's reader: bounded and checked."""
    if model.path is None or not Path(model.path).is_dir():
        return []
    from wordseq.store.meta import read_meta

    return list(read_meta(Path(model.path)).get("corpus") or [])


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


def mix_to_store(
    names: Sequence[str], output: str | None, weights: Sequence[float] | None, tune: str | None, *,
    encoding_errors: str = "strict",
) -> tuple[Path, MixedNgramModel, TuningResult | None]:
    """Load models (NAMEs, PATHs or ARPA files), mix them and save the mixture
    (``wordseq ngram mix``): ``weights`` as given, or fitted on the ``tune`` file."""
    from wordseq.ngram.mix import stored_mixture, tune_weights
    from wordseq.store import DEFAULT_NAME, writing
    from wordseq.text.reader import CorpusReader

    if (weights is None) == (tune is None):
        raise InputError("give either --weights or --tune FILE (to fit the weights on held-out text)")
    with writing(output or DEFAULT_NAME, "ngram") as writer:
        assert writer is not None
        parts = [open_ngram(n) for n in names]
        if len(parts) < 2:
            raise InputError("a mixture needs at least two models")
        tuning = None
        if tune is not None:
            tuning = tune_weights(parts, CorpusReader([tune], encoding_errors), encoding_errors=encoding_errors)
        mix = stored_mixture(names, parts, weights, tuning, tune)
        target = writer.commit(ngram_meta(mix), lambda folder: write_any(mix, folder))
    return target, mix, tuning
