"""Did-you-mean hints: the entries of a list spelled closest to what was typed.

One rule for every hint wordseq gives (a query word outside the vocabulary, a model name
not in the store), so hints read and rank the same way everywhere.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence


def spelled_close(typed: str, known: Sequence[str], n: int = 5) -> list[str]:
    """Up to ``n`` entries of ``known`` spelled like ``typed``, closest first
    (``difflib``'s ratio of at least 0.6, as ``get_close_matches``)."""
    return difflib.get_close_matches(typed, known, n=n, cutoff=0.6)
