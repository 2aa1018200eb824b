"""Pictures: training curves of saved models, and 2-D maps of word vectors.

matplotlib is an optional extra (``pip install 'wordseq[plot]'``); it is imported only
here, with the non-interactive Agg backend, so pictures are made without a screen.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from wordseq.errors import InputError, UnknownWordError, WordseqError

# per-epoch figures worth a curve, as the training loops record them in meta.json
CURVES = {
    "train_ppl": ("perplexity", "train"),
    "valid_ppl": ("perplexity", "valid"),
    "probe_loss": ("probe loss", "probe"),
    "train_loss": ("loss", "train"),
    "valid_loss": ("loss", "valid"),
    "valid_accuracy": ("accuracy", "valid"),
    "valid_wer": ("word error rate", "valid"),
}
_LOG_SCALE = {"perplexity"}


def pyplot() -> Any:
    """matplotlib's pyplot on the Agg backend, or a clear error naming the extra."""
    try:
        import matplotlib
    except ImportError:
        raise WordseqError("pictures need matplotlib: pip install 'wordseq[plot]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, output: str | Path) -> None:
    from wordseq.store import output_file

    with output_file(output, binary=True) as fh:
        fig.savefig(fh, format="png", dpi=120, bbox_inches="tight")


def curve_points(history: Sequence[dict[str, Any]], key: str) -> list[tuple[float, float]]:
    """(epoch, value) of one figure along a training history. Language models check
    several times an epoch and record where (``at_epoch``, fractional); others once at
    each epoch's end.

    Examples
    --------
    >>> curve_points([{"epoch": 1, "at_epoch": 0.5, "valid_ppl": 300.0}, {"epoch": 1, "at_epoch": 1.0, "valid_ppl": 250.0}], "valid_ppl")
    [(0.5, 300.0), (1.0, 250.0)]
    """
    points = []
    for i, h in enumerate(history):
        value = h.get(key)
        if isinstance(value, (int, float)) and np.isfinite(value):
            where = h.get("at_epoch", h.get("epoch", i + 1))
            points.append((float(where), float(value)))
    return points


def plot_training_curves(models: Sequence[tuple[str, dict[str, Any]]], output: str | Path) -> list[str]:
    """Per-epoch curves (perplexity, probe loss, accuracy ...) of several models on one
    chart, one panel per kind of figure. ``models`` holds (label, meta.json) pairs.
    Returns the panels drawn.

    Examples
    --------
    >>> plot_training_curves([("news", load("news").meta)], "curves.png")  # doctest: +SKIP
    """
    panels: dict[str, list[tuple[str, list[float], list[float]]]] = {}
    for label, meta in models:
        history = (meta.get("training") or {}).get("history") or []
        for key, (panel, series) in CURVES.items():
            points = curve_points(history, key)
            if points:
                panels.setdefault(panel, []).append((f"{label} {series}", [e for e, _ in points], [v for _, v in points]))
    if not panels:
        raise InputError("these models record no per-epoch figures to draw (train them with wordseq)")
    plt = pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 4), squeeze=False)
    for ax, (panel, lines) in zip(axes[0], panels.items()):
        for name, epochs, values in lines:
            ax.plot(epochs, values, marker="o", label=name)
        ax.set_xlabel("epoch")
        ax.set_ylabel(panel)
        if panel in _LOG_SCALE:
            ax.set_yscale("log")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    _save(fig, output)
    plt.close(fig)
    return list(panels)


def project_2d(vectors: np.ndarray, method: str = "pca", seed: int = 1) -> np.ndarray:
    """(N, 2) coordinates of N vectors: PCA (numpy) or t-SNE (scikit-learn, optional)."""
    x = np.asarray(vectors, dtype=np.float64)
    if method == "pca":
        centred = x - x.mean(axis=0)
        _, _, vt = np.linalg.svd(centred, full_matrices=False)
        return centred @ vt[:2].T if vt.shape[0] >= 2 else np.column_stack([centred @ vt[:1].T, np.zeros(len(x))])
    if method == "tsne":
        try:
            from sklearn.manifold import TSNE
        except ImportError:
            raise WordseqError("--method tsne needs scikit-learn: pip install scikit-learn (or use --method pca)") from None
        return TSNE(n_components=2, random_state=seed, perplexity=min(30.0, max(2.0, (len(x) - 1) / 3))).fit_transform(x)
    raise InputError(f"unknown projection {method!r}; choose pca or tsne")


def plot_embedding_map(model: Any, output: str | Path, words: Sequence[str] = (), top: int = 100,
                       method: str = "pca") -> list[str]:
    """A labelled 2-D map of word vectors: the given ``words`` (and their nearest
    neighbours when only a few are given), or the ``top`` most frequent words. Returns the
    words drawn."""
    if words:
        rows = []
        for word in words:
            try:
                rows.append(model.lookup(word))
            except UnknownWordError:
                continue
        if not rows:
            raise InputError("none of the words is in the model's vocabulary")
        if len(rows) <= 5:  # a few words: show their neighbourhoods too
            for word in list(words):
                try:
                    rows += [model.lookup(w) for w, _ in model.most_similar(word, topn=8)]
                except UnknownWordError:
                    continue
        rows = list(dict.fromkeys(rows))
    else:
        rows = list(range(min(top, len(model.vectors))))
    if len(rows) < 3:
        raise InputError("a map needs at least 3 words")
    labels = [model.vectors.words[r] for r in rows]
    xy = project_2d(model.vectors.unit()[rows], method)
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8, 8))
    chosen = {model.lookup(w) for w in words if w in model.vectors.index} if words else set()
    colors = ["tab:red" if r in chosen else "tab:blue" for r in rows]
    ax.scatter(xy[:, 0], xy[:, 1], s=12, c=colors)
    for (x, y), label in zip(xy, labels):
        ax.annotate(label, (x, y), fontsize=8, xytext=(3, 3), textcoords="offset points")
    ax.set_title(f"{method.upper()} of {len(rows)} word vectors")
    ax.set_xticks([])
    ax.set_yticks([])
    _save(fig, output)
    plt.close(fig)
    return labels
