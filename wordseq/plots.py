"""Pictures: training curves of saved models, and 2-D maps of word vectors.

matplotlib is an optional extra (``pip install 'wordseq[plot]'``); it is imported only
here, with the non-interactive Agg backend, so pictures are made without a screen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
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
# kinds whose commands call held-out data "dev" (seq2seq train prints dev loss / WER)
_SAYS_DEV = {"seq2seq"}


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


@dataclass
class CurvePlot:
    """What ``plot_training_curves`` drew: its panels, the models on them, and the models
    left out with the reason."""

    panels: list[str]
    drawn: list[str]
    left_out: list[tuple[str, str]] = field(default_factory=list)


_NO_EPOCHS = {"ngram": "an n-gram model is counted, not trained in epochs"}


def _panels(models: Sequence[tuple[str, dict[str, Any]]]) -> tuple[dict[str, list[Any]], CurvePlot]:
    panels: dict[str, list[tuple[str, list[float], list[float]]]] = {}
    result = CurvePlot([], [])
    for label, meta in models:
        history = (meta.get("training") or {}).get("history") or []
        found = False
        for key, (panel, series) in CURVES.items():
            points = curve_points(history, key)
            if points:
                found = True
                shown = "dev" if series == "valid" and meta.get("kind") in _SAYS_DEV else series
                panels.setdefault(panel, []).append((f"{label} {shown}", [e for e, _ in points], [v for _, v in points]))
        if found:
            result.drawn.append(label)
        else:
            result.left_out.append((label, _NO_EPOCHS.get(meta.get("kind", ""), "its meta.json records no per-epoch figures")))
    result.panels = list(panels)
    return panels, result


def _readable_log_axis(ax: Any) -> None:
    """Log scale with plain numbers (200, 300, 500, 1000) rather than powers of ten."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 1.5, 2.0, 3.0, 5.0, 7.0)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())


def curve_figure(models: Sequence[tuple[str, dict[str, Any]]]) -> tuple[Any, list[str]]:
    """The figure of ``plot_training_curves`` (not saved) and its panels, left to right."""
    from matplotlib.ticker import MaxNLocator

    panels, result = _panels(models)
    if not panels:
        raise InputError("these models record no per-epoch figures to draw (train them with wordseq)")
    plt = pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 4), squeeze=False)
    for ax, (panel, lines) in zip(axes[0], panels.items()):
        for name, epochs, values in lines:
            ax.plot(epochs, values, marker="o", label=name)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epoch 1, 2, 3 on a short run, not 1.5
        ax.set_ylabel(panel)
        if panel in _LOG_SCALE:
            _readable_log_axis(ax)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    return fig, result.panels


def plot_training_curves(models: Sequence[tuple[str, dict[str, Any]]], output: str | Path) -> CurvePlot:
    """Per-epoch curves (perplexity, probe loss, accuracy ...) of several models on one
    chart, one panel per kind of figure. ``models`` holds (label, meta.json) pairs.
    Returns the panels drawn, the models on them and those left out (with why).

    Examples
    --------
    >>> plot_training_curves([("news", load("news").meta)], "curves.png").panels  # doctest: +SKIP
    ['perplexity']
    """
    _, result = _panels(models)
    fig, _ = curve_figure(models)
    _save(fig, output)
    pyplot().close(fig)
    return result


def pca_2d(vectors: np.ndarray) -> tuple[np.ndarray, float]:
    """(N, 2) PCA coordinates and the share of the variance the two axes explain."""
    x = np.asarray(vectors, dtype=np.float64)
    centred = x - x.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    total = float(np.sum(s**2))
    explained = float(np.sum(s[:2] ** 2) / total) if total > 0 else 0.0
    if vt.shape[0] >= 2:
        return centred @ vt[:2].T, explained
    return np.column_stack([centred @ vt[:1].T, np.zeros(len(x))]), explained


def project_2d(vectors: np.ndarray, method: str = "pca", seed: int = 1) -> np.ndarray:
    """(N, 2) coordinates of N vectors: PCA (numpy) or t-SNE (scikit-learn, optional)."""
    if method == "pca":
        return pca_2d(vectors)[0]
    if method == "tsne":
        try:
            from sklearn.manifold import TSNE
        except ImportError:
            raise WordseqError("--method tsne needs scikit-learn: pip install scikit-learn (or use --method pca)") from None
        x = np.asarray(vectors, dtype=np.float64)
        return TSNE(n_components=2, random_state=seed, perplexity=min(30.0, max(2.0, (len(x) - 1) / 3))).fit_transform(x)
    raise InputError(f"unknown projection {method!r}; choose pca or tsne")


@dataclass
class EmbeddingMap:
    """What ``plot_embedding_map`` drew: the words, how many frequent entries it passed
    over as punctuation or stopwords, and (PCA) the variance its two axes explain."""

    words: list[str]
    left_out: int = 0
    explained: float | None = None


def is_content_word(word: str) -> bool:
    """Not punctuation (no letter or digit) and not an English stopword."""
    from wordseq.text.stopwords import ENGLISH

    return any(ch.isalnum() for ch in word) and word.lower() not in ENGLISH


def _top_rows(model: Any, top: int, all_words: bool) -> tuple[list[int], int]:
    if all_words:
        return list(range(min(top, len(model.vectors)))), 0
    rows: list[int] = []
    skipped = 0
    for row, word in enumerate(model.vectors.words):
        if len(rows) == top:
            break
        if is_content_word(word):
            rows.append(row)
        else:
            skipped += 1
    return rows, skipped


def _asked_rows(model: Any, words: Sequence[str]) -> list[int]:
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
    return list(dict.fromkeys(rows))


def embedding_figure(xy: np.ndarray, labels: Sequence[str], chosen: Sequence[bool], title: str,
                     plain: str = "their neighbours") -> Any:
    """The labelled scatter; red: the words asked for, blue: the others (named in a legend)."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8, 8))
    mask = np.asarray(chosen, dtype=bool)
    for keep, color, name in ((mask, "tab:red", "words asked for"), (~mask, "tab:blue", plain)):
        if keep.any():
            ax.scatter(xy[keep, 0], xy[keep, 1], s=12, c=color, label=name)
    for (x, y), label in zip(xy, labels):
        ax.annotate(label, (x, y), fontsize=8, xytext=(3, 3), textcoords="offset points")
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.legend(fontsize=8, loc="best")
    return fig


def plot_embedding_map(model: Any, output: str | Path, words: Sequence[str] = (), top: int = 100,
                       method: str = "pca", all_words: bool = False) -> EmbeddingMap:
    """A labelled 2-D map of word vectors: the given ``words`` (and their nearest
    neighbours when only a few are given), or the ``top`` most frequent words, leaving out
    punctuation and stopwords unless ``all_words``. Returns what was drawn."""
    skipped = 0
    if words:
        rows = _asked_rows(model, words)
    else:
        rows, skipped = _top_rows(model, top, all_words)
    if len(rows) < 3:
        raise InputError("a map needs at least 3 words")
    labels = [model.vectors.words[r] for r in rows]
    explained = None
    if method == "pca":
        xy, explained = pca_2d(model.vectors.unit()[rows])
    else:
        xy = project_2d(model.vectors.unit()[rows], method)
    asked = {model.lookup(w) for w in words if w in model.vectors.index} if words else set()
    plain = "their neighbours" if words else f"the {len(rows)} most frequent words" + (
        "" if all_words else " (no punctuation or stopwords)")
    share = f", {explained:.0%} of the variance" if explained is not None else ""
    fig = embedding_figure(xy, labels, [r in asked for r in rows], f"{method.upper()} of {len(rows)} word vectors{share}",
                           plain)
    _save(fig, output)
    pyplot().close(fig)
    return EmbeddingMap(labels, skipped, explained)
