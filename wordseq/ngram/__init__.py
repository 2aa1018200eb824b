"""N-gram language models: streaming counting, smoothing, pruning, ARPA in and out,
querying, and mixtures."""

from wordseq.ngram.model import NgramModel
from wordseq.ngram.storage import load_ngram, load_ngram_lm
from wordseq.ngram.train import NgramConfig, train_ngram

__all__ = ["NgramConfig", "NgramModel", "load_ngram", "load_ngram_lm", "train_ngram"]
