"""Start-up costs the CLI process can avoid (the library never touches import state)."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # not imported at start-up: single_threaded_blas runs before numpy is
    from wordseq.text.preprocess import PreprocessConfig

# commands whose numpy work is sorting, searching and gathering: never a matrix product
_NO_BLAS = {("ngram", "eval")}


def single_threaded_blas(argv: Sequence[str]) -> None:
    """Start OpenBLAS with one thread for the commands that never multiply matrices.

    Importing numpy starts OpenBLAS's pool of a thread per core: 60 ms of CPU time and
    twice that of wall time on a busy two-core machine, a tenth of ``ngram eval`` on a
    million tokens, for threads that never run. It must be said before numpy is
    imported; a value the user set stays.
    """
    command = tuple(word for word in argv if not word.startswith("-"))[:2]
    if command in _NO_BLAS:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def import_nltk_quickly(config: PreprocessConfig) -> None:
    """Import NLTK without the scipy.stats and scikit-learn it loads for features
    wordseq never uses.

    ``import nltk`` imports all of NLTK, and with it scipy.stats (collocation statistics)
    and scikit-learn (a classifier wrapper): 0.4 s of its 0.55 s on a quiet machine, more
    where scipy is already loaded (a linear classifier's sparse matrices), since then
    scikit-learn imports too. Every one of those imports is guarded by ``try / except
    ImportError``, so the modules not yet loaded are masked only while NLTK imports, and
    anything imported later (gensim, scikit-learn for nbsvm) gets them as usual. Nothing
    happens when NLTK is not needed or already loaded.
    """
    needs_nltk = not config.pretokenized and config.level == "word" and config.lang == "en"
    if not needs_nltk or "nltk" in sys.modules:
        return
    masked = [name for name in _NLTK_EXTRAS if name not in sys.modules]
    for name in masked:
        sys.modules[name] = None  # type: ignore[assignment]  # 'import scipy.stats' raises ImportError
    try:
        import nltk  # noqa: F401
    finally:
        for name in masked:
            del sys.modules[name]


# what NLTK imports when it can, for features wordseq does not use
_NLTK_EXTRAS = ("scipy", "scipy.stats", "sklearn")
