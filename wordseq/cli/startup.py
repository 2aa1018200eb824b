"""Start-up costs the CLI process can avoid (the library never touches import state)."""

from __future__ import annotations

import sys

from wordseq.text.preprocess import PreprocessConfig


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
