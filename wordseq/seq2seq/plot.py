"""The attention matrix of one transduction as a heat map (matplotlib, an optional extra)."""

from __future__ import annotations

from pathlib import Path

from wordseq.seq2seq.model import AttentionMap

FORMATS = {".pdf": "pdf", ".svg": "svg"}  # anything else is PNG


def plot_attention(attention: AttentionMap, output: Path | str, title: str | None = None) -> None:
    """Write the heat map (output tokens down, source tokens across) to ``output``: a PNG,
    or PDF / SVG by the file's extension; ``-`` is stdout.

    Raises
    ------
    WordseqError
        matplotlib is not installed (``pip install 'wordseq[plot]'``).

    Examples
    --------
    >>> plot_attention(model.attention("phoneme"), "attention.png")   # doctest: +SKIP
    """
    from wordseq.plots import pyplot
    from wordseq.store import output_file

    plt = pyplot()
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
    with output_file(output, binary=True) as fh:
        fig.savefig(fh, format=FORMATS.get(Path(str(output)).suffix.lower(), "png"), dpi=120)
    plt.close(fig)
