"""Neural language models: LSTM / GRU / RNN and a causal Transformer, trained with
truncated BPTT (torch), on one device or many (DistributedDataParallel under torchrun).

``load_neural_lm(path)`` gives a model that implements ``wordseq.lm_interface.LanguageModel``.
torch is imported only when one of these names is used, so option lists (``config``)
stay cheap to import.
"""

from wordseq.lazy import lazy_attributes

__all__ = ["NeuralLM", "load_neural_lm"]

__getattr__ = lazy_attributes(__name__, {name: "wordseq.neural.model" for name in __all__})
