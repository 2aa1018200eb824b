"""Checkpoint files: tensors, the config, the vocabulary and training counters only.

A checkpoint is a dict of state dicts and plain values, written as a safetensors file
(``store.tensors``: the tensors in the file, the rest as JSON in its header), so loading
a model file never runs code from it. ``model.safetensors`` holds the best weights (what
``generate`` and ``lm eval`` use); ``resume.safetensors`` adds the trainer's state
(optimizer, epoch, position, RNG) for ``--resume``. The ``model.pt`` / ``resume.pt`` of
an older wordseq are still read (``store.legacy``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from wordseq.errors import ModelError
from wordseq.neural.config import LMConfig
from wordseq.neural.network import upgrade_state_dict
from wordseq.store.payload import check_finite_tensors
from wordseq.store.tensors import SUFFIX, read_payload, write_tensors
from wordseq.vocab import Vocabulary

MAGIC = "wordseq-lm-checkpoint"
VERSION = 2  # 2: one recurrent module per layer (rnns.K), regularisers, transformer
READABLE = (1, 2)
MODEL_STEM, RESUME_STEM = "model", "resume"
MODEL_FILE, RESUME_FILE = MODEL_STEM + SUFFIX, RESUME_STEM + SUFFIX
VOCAB_FILE = "vocab.tsv"


@dataclass
class Checkpoint:
    """What a checkpoint file holds: config, vocabulary, weights, and the trainer's state to resume."""

    config: LMConfig
    vocab: Vocabulary
    model_state: dict[str, torch.Tensor]
    trainer_state: dict[str, Any] | None = None


def save_checkpoint(path: Path, ckpt: Checkpoint) -> None:
    """Write ``ckpt`` to the safetensors file ``path``."""
    data: dict[str, Any] = {
        "format": MAGIC,
        "version": VERSION,
        "config": ckpt.config.to_dict(),
        "vocab": {"words": ckpt.vocab.itos, "counts": ckpt.vocab.counts},
        "model": ckpt.model_state,
    }
    if ckpt.trainer_state is not None:
        data["trainer"] = ckpt.trainer_state
    write_tensors(path, data)


def load_checkpoint(path: Path, map_location: str | torch.device = "cpu") -> Checkpoint:
    """Read a checkpoint (safetensors, or an older wordseq's ``.pt``); a missing, foreign
    or damaged file is a ModelError."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"no checkpoint at {path}")
    data = read_payload(path, map_location)
    if data.get("format") != MAGIC:
        raise ModelError(f"{path} is not a wordseq language-model checkpoint")
    if data.get("version") not in READABLE:
        raise ModelError(f"{path}: checkpoint format version {data.get('version')} is not supported (expected {VERSION})")
    try:
        config = LMConfig.from_dict(data["config"])
        vocab = Vocabulary(data["vocab"]["words"], data["vocab"]["counts"])
        model_state = data["model"] if data["version"] == VERSION else upgrade_state_dict(data["model"])
    except (KeyError, TypeError) as exc:
        raise ModelError(f"{path} is a damaged wordseq checkpoint (missing {exc})") from None
    if not isinstance(model_state, dict):
        raise ModelError(f"{path} is a damaged wordseq checkpoint (no tensors)")
    check_finite_tensors(path, model_state)
    if len(vocab) != config.vocab_size:
        raise ModelError(f"{path} is damaged: vocabulary of {len(vocab)} for a model of {config.vocab_size}")
    return Checkpoint(config, vocab, model_state, data.get("trainer"))
