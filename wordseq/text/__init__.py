"""Reading corpora and turning raw text into token sequences."""

from wordseq.text.preprocess import PreprocessConfig, Preprocessor
from wordseq.text.reader import CorpusReader

__all__ = ["CorpusReader", "PreprocessConfig", "Preprocessor"]
