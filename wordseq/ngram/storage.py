"""Model directories of kind "ngram": ``model.arpa`` plus ``model.npz`` for fast loading.

``model.npz`` holds the tables as arrays (no pickles); ``model.arpa`` is the portable
copy that KenLM and SRILM read. Add-k has no exact ARPA form, so its directory holds
``model.npz`` only. A bare ``.arpa`` file (plain or compressed) loads too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from wordseq.errors import ModelError, WordseqError
from wordseq.ngram.arpa import read_arpa, write_arpa
from wordseq.ngram.model import NgramModel
from wordseq.ngram.tables import UNSEEN_MODES, NgramTables
from wordseq.text.preprocess import PreprocessConfig
from wordseq.vocab import Vocabulary

ARPA_FILE = "model.arpa"
ARRAYS_FILE = "model.npz"


def arpa_exportable(model: NgramModel) -> bool:
    return model.tables.unseen == "backoff"


def check_exportable(model: NgramModel) -> None:
    if not arpa_exportable(model):
        raise WordseqError(
            f"a {model.smoothing or 'add-k'} model is not a backoff model: ARPA cannot hold it exactly "
            "(every unseen word of a context gets one fixed probability); train with --smoothing "
            "witten-bell or modified-kneser-ney to get an ARPA file"
        )


def write_payload(model: NgramModel, folder: Path) -> None:
    t = model.tables
    arrays: dict[str, np.ndarray] = {
        "words": np.frombuffer("\n".join(t.vocab.itos).encode("utf-8"), dtype=np.uint8),
        "counts": np.asarray(t.vocab.counts, dtype=np.int64),
        "order": np.array(t.order),
        "unseen": np.array(UNSEEN_MODES.index(t.unseen)),
    }
    for n in range(1, t.order + 1):
        arrays[f"prob{n}"] = t.prob[n - 1]
        arrays[f"backoff{n}"] = t.backoff[n - 1]
        arrays[f"keys{n}"] = t.keys[n - 1]
    np.savez(folder / ARRAYS_FILE, **arrays)
    if arpa_exportable(model):
        with open(folder / ARPA_FILE, "w", encoding="utf-8", newline="\n") as out:
            write_arpa(t, out)


def _read_arrays(path: Path) -> NgramTables:
    try:
        with np.load(path, allow_pickle=False) as z:
            words = bytes(z["words"]).decode("utf-8").split("\n")
            vocab = Vocabulary(words, z["counts"].tolist())
            order = int(z["order"])
            return NgramTables(
                vocab,
                order,
                [z[f"prob{n}"] for n in range(1, order + 1)],
                [z[f"backoff{n}"] for n in range(1, order + 1)],
                [z[f"keys{n}"] for n in range(1, order + 1)],
                UNSEEN_MODES[int(z["unseen"])],
            )
    except (OSError, KeyError, ValueError) as exc:
        raise ModelError(f"{path} is damaged: {exc}") from None


def load_arpa_file(path: Path, meta: dict[str, Any] | None = None) -> NgramModel:
    """An ARPA file (KenLM, SRILM, wordseq; compressed too) as a model: the store's file
    loader for kind "ngram"."""
    return NgramModel(read_arpa(str(path)), PreprocessConfig(), "")


def load_ngram_lm(path: Path, meta: dict[str, Any] | None = None) -> NgramModel:
    """An n-gram model from a model directory (the store's loader for kind "ngram") or an
    ARPA file."""
    path = Path(path)
    if path.is_file():
        return load_arpa_file(path)
    if meta is None:
        from wordseq.store import find_model

        path, meta = find_model(str(path), "ngram")
    preprocess = PreprocessConfig.from_dict(meta.get("preprocessing") or {})
    smoothing = str(meta["config"].get("smoothing", ""))
    if (path / ARRAYS_FILE).is_file():
        tables = _read_arrays(path / ARRAYS_FILE)
    elif (path / ARPA_FILE).is_file():
        tables = read_arpa(str(path / ARPA_FILE))
    else:
        raise ModelError(f"{path} has neither {ARRAYS_FILE} nor {ARPA_FILE}")
    return NgramModel(tables, preprocess, smoothing)
