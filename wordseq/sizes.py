"""Byte counts as people read them (``1.5 GB``): one format for every message."""

from __future__ import annotations


def human_size(n: float) -> str:
    """``n`` bytes in B, KB, MB or GB (binary units).

    >>> human_size(512), human_size(3 << 20), human_size(5 << 40)
    ('512 B', '3.0 MB', '5120.0 GB')
    """
    size = float(n)
    for unit in ("B", "KB", "MB"):
        if abs(size) < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"
