"""Neural language models: RNN / LSTM / GRU trained with truncated BPTT (torch).

``load_neural_lm(path)`` gives a model that implements ``wordseq.lm_interface.LanguageModel``.
torch is imported only when one of these names is used, so option lists (``config``)
stay cheap to import.
"""

from typing import Any

__all__ = ["NeuralLM", "load_neural_lm"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from wordseq.neural import lm

        return getattr(lm, name)
    raise AttributeError(f"module 'wordseq.neural' has no attribute {name!r}")
