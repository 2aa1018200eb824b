"""Loading a classifier from its model directory, torch only where its kind needs it.

The store reads and checks meta.json first, then calls ``load_classifier``: a linear
model (``nbsvm``, ``fasttext``) is plain arrays and loads without torch, so ``classify
predict`` with one starts in a fraction of a second; an RNN or bow model loads through
``model.load_network_classifier``. A damaged meta.json is refused before either.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from wordseq.classify.config import LINEAR
from wordseq.classify.labelling import KIND, Labeller

__all__ = ["load_classifier", "open_classifier"]


def load_classifier(path: Path, meta: dict[str, Any] | None = None, device: Any = "cpu") -> Labeller:
    """Rebuild a classifier from its model directory (as found by ``find_model``): a
    ``TextClassifier``, or a ``LinearClassifier`` for ``nbsvm`` / ``fasttext``.

    Parameters
    ----------
    path : Path
        The model directory.
    meta : dict or None
        Its meta.json as ``find_model`` read and checked it (payload checksums verified);
        None: read and check it here.
    device : str or torch.device
        ``cpu``, ``cuda`` or ``auto`` (a linear model always runs on the CPU).

    Returns
    -------
    TextClassifier or LinearClassifier
    """
    if meta is None:
        from wordseq.store import find_model

        path, meta = find_model(str(path), KIND)
    if isinstance(meta.get("config"), dict) and meta["config"].get("encoder") in LINEAR:
        from wordseq.classify.linear import load_linear

        return load_linear(Path(path), meta)
    from wordseq.classify.model import load_network_classifier

    return load_network_classifier(Path(path), meta, device)


def open_classifier(name_or_path: str | None, device: str = "auto") -> Labeller:
    """A classifier by NAME (in $WORDSEQ_HOME/classifier), ``classifier/NAME`` or PATH,
    loaded through the store (meta.json and payload checksums checked first).

    Examples
    --------
    >>> model = open_classifier("mr")  # doctest: +SKIP
    >>> model.predict(["a gorgeous , witty film"])[0].label  # doctest: +SKIP
    'pos'
    """
    from wordseq.store import load

    model: Labeller = load(name_or_path, KIND, device=device)
    return model
