"""The attention matrix of one transduction as a heat map (matplotlib, an optional extra)."""

from __future__ import annotations

from pathlib import Path

from wordseq.errors import InputError
from wordseq.seq2seq.transducer import AttentionMap

FORMATS = (".png", ".pdf", ".svg")


def plot_attention(attention: AttentionMap, path: Path | str, title: str | None = None) -> Path:
    """Write the heat map (output tokens down, source tokens across) to a .png/.pdf/.svg file.

    Raises
    ------
    InputError
        matplotlib is not installed (``pip install 'wordseq[plot]'``), or the file name
        has another extension.
    """
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise InputError(f"{path}: the picture format comes from the extension; use one of {', '.join(FORMATS)}")
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only: no display needed
        import matplotlib.pyplot as plt
    except ImportError:
        raise InputError("attention pictures need matplotlib: pip install 'wordseq[plot]'") from None
    from wordseq.store import atomic_file

    rows, cols = attention.weights.shape
    fig, ax = plt.subplots(figsize=(1.2 + 0.45 * max(cols, 3), 1.0 + 0.4 * max(rows, 3)))
    image = ax.imshow(attention.weights, cmap="Blues", vmin=0.0, vmax=1.0, aspect="auto")
    ax.set_xticks(range(cols), attention.source_tokens)
    ax.set_yticks(range(rows), attention.target_tokens)
    ax.xaxis.tick_top()
    ax.set_xlabel("source")
    ax.set_ylabel("output")
    if title:
        ax.set_title(title, pad=24)
    fig.colorbar(image, ax=ax, fraction=0.05)
    fig.tight_layout()
    with atomic_file(path, "wb") as fh:
        fig.savefig(fh, format=path.suffix.lower().lstrip("."), dpi=120)
    plt.close(fig)
    return path
