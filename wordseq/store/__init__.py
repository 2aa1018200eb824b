"""The model store: paths, meta.json, safe writes and removals, the registry.

A model is a directory holding ``meta.json`` (one schema for every kind, see ``meta``),
a marker file, and payload files that are data, never code. ``-o`` / ``-m`` take a PATH,
``kind/NAME`` or a bare NAME living in ``$WORDSEQ_HOME/<kind>/NAME/`` (``paths``); the
``registry`` resolves such a value to an existing model, for loading and removing alike.
Writes hold a per-name lock and replace the old model in one step (``transaction``);
every other file wordseq writes goes through ``output_file`` (``output``).

Torch weights are safetensors files (``tensors``: the tensors, and JSON for the rest);
an older wordseq's ``.pt`` files are read in one place (``legacy``) and rewritten by
``upgrade``.

Layers, lowest first: ``paths`` and ``output``; ``meta``; ``legacy``, ``tensors``,
``payload`` and ``transaction``; ``upgrade``, ``listing`` and ``registry``.
"""

from wordseq.store.listing import ModelInfo, list_models
from wordseq.store.meta import FORMAT_VERSION, check_meta, new_meta, read_meta, verify_payload
from wordseq.store.output import output_file
from wordseq.store.paths import DEFAULT_NAME, KINDS, MARKER_FILE, META_FILE, is_path, model_dir, partial_dir, wordseq_home
from wordseq.store.registry import find_model, load, removal_target, remove_model, resolve
from wordseq.store.transaction import ModelWriter, save_model, writing

__all__ = [
    "DEFAULT_NAME", "FORMAT_VERSION", "KINDS", "MARKER_FILE", "META_FILE", "ModelInfo", "ModelWriter",
    "check_meta", "find_model", "is_path", "list_models", "load", "model_dir", "new_meta", "output_file",
    "partial_dir", "read_meta", "removal_target", "remove_model", "resolve", "save_model", "verify_payload",
    "wordseq_home", "writing",
]
