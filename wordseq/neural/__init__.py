"""Neural language models: RNN / LSTM / GRU trained with truncated BPTT (torch).

``load_neural_lm(path)`` gives a model that implements ``wordseq.lm_interface.LanguageModel``.
"""

from wordseq.neural.lm import NeuralLM, load_neural_lm

__all__ = ["NeuralLM", "load_neural_lm"]
