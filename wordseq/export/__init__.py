"""Models leaving wordseq: model cards, ONNX files, Hugging Face style folders.

``card`` writes a model's Markdown card from its meta.json (every kind); ``onnx_export``
writes the neural LM and the classifiers as ONNX graphs (the optional ``wordseq[export]``
extra); ``hf`` writes a folder with ``model.safetensors``, ``config.json``, the vocabulary
and the card, and reads such a folder back into the store. Each reaches the models
through the store only.
"""
