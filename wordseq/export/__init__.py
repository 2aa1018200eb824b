"""Models leaving wordseq: model cards, ONNX files, Hugging Face style folders.

``card`` writes a model's Markdown card from its meta.json (every kind); ``onnx_export``
writes the neural LM and the classifiers as ONNX graphs (the optional ``wordseq[export]``
extra); ``hf`` writes a folder with ``model.safetensors``, ``config.json``, the vocabulary
and the card, and reads such a folder back into the store. Each reaches the models
through the store only.
"""

from wordseq.errors import ModelError


def refuse_linear(encoder: object, fmt: str) -> None:
    """A linear classifier (nbsvm, fasttext) is plain ``.npy`` arrays, not a network:
    say so in one line rather than fail inside the exporter."""
    if encoder in ("nbsvm", "fasttext"):
        raise ModelError(f"--format {fmt} exports neural models; this {encoder} classifier is plain .npy arrays "
                         "already (weights or embeddings, bias.npy, vocab.tsv in its folder: numpy reads them)")
