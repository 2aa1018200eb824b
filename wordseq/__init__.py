"""wordseq: word embeddings and language models from the command line."""

__version__ = "0.1.0"

# The Python API, loaded on first use so that `import wordseq` stays light.
_API = {
    "train_seq2seq": "wordseq.seq2seq.train",
    "load_seq2seq": "wordseq.seq2seq.storage",
}


def __getattr__(name: str):  # type: ignore[no-untyped-def]
    if name in _API:
        import importlib

        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'wordseq' has no attribute {name!r}")
