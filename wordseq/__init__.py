"""wordseq: word embeddings and language models from the command line."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

# The Python API, imported on first use so that `import wordseq` (and the CLI's start)
# stays light: name → "module:attribute".
_LAZY = {
    "train_classifier": "wordseq.classify.train:train_classifier",
    "cross_validate_classifier": "wordseq.classify.train:cross_validate",
    "load_classifier": "wordseq.classify.model:load_classifier",
    "open_classifier": "wordseq.classify.model:open_classifier",
}


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'wordseq' has no attribute {name!r}")
    import importlib

    module, attribute = target.split(":")
    return getattr(importlib.import_module(module), attribute)


def __dir__() -> list[str]:
    return sorted(list(globals()) + list(_LAZY))
