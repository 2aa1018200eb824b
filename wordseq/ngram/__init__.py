"""N-gram language models: streaming counting, smoothing, ARPA in and out, querying."""

from wordseq.ngram.model import NgramModel
from wordseq.ngram.storage import load_ngram_lm
from wordseq.ngram.train import NgramConfig, train_ngram

__all__ = ["NgramConfig", "NgramModel", "load_ngram_lm", "train_ngram"]
