"""The model store: names and paths, meta.json, safe writes and removals, the registry.

A model is a directory holding ``meta.json`` (one schema for every kind, see ``meta``),
a marker file, and payload files that are data, never code. ``-o`` / ``-m`` take a PATH,
``kind/NAME`` or a bare NAME living in ``$WORDSEQ_HOME/<kind>/NAME/`` (see ``names``).
Writes hold a per-name lock and replace the old model in one step (``transaction``);
every other file wordseq writes goes through ``output_file`` (``output``).
"""

from wordseq.store.listing import ModelInfo, list_models, remove_model
from wordseq.store.meta import (
    FORMAT_VERSION,
    KINDS,
    MARKER_FILE,
    META_FILE,
    check_meta,
    new_meta,
    read_meta,
    verify_payload,
)
from wordseq.store.names import DEFAULT_NAME, find_model, is_path, load, model_dir, wordseq_home
from wordseq.store.output import output_file
from wordseq.store.transaction import ModelWriter, partial_dir, save_model, writing

__all__ = [
    "DEFAULT_NAME", "FORMAT_VERSION", "KINDS", "MARKER_FILE", "META_FILE", "ModelInfo", "ModelWriter",
    "check_meta", "find_model", "is_path", "list_models", "load", "model_dir", "new_meta", "output_file",
    "partial_dir", "read_meta", "remove_model", "save_model", "verify_payload", "wordseq_home", "writing",
]
