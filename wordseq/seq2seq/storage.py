"""Seq2seq model directories: what is written, and reading it back without running code.

Payload (beside meta.json):

- ``model.safetensors``: the best weights and the config, a dict of tensors and plain
  values as a safetensors file (``store.tensors``: tensors, and JSON for the rest; no
  objects, no code); an older wordseq's ``model.pt`` is still read (``store.legacy``);
- ``resume.safetensors``: the latest weights and the trainer's state (optimizer, epoch,
  batch position, random generators, history) for ``--resume``; stored the same way;
- ``source_vocab.tsv``, ``target_vocab.tsv``: the vocabularies as text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from wordseq.device import resolve_device
from wordseq.errors import ModelError
from wordseq.seq2seq.architectures import build_network
from wordseq.seq2seq.config import Seq2SeqConfig
from wordseq.seq2seq.model import Seq2SeqModel
from wordseq.store.payload import check_finite_tensors
from wordseq.store.tensors import SUFFIX, payload_file, read_payload, write_tensors
from wordseq.text.preprocess import PreprocessConfig
from wordseq.vocab import Vocabulary

MODEL_STEM, RESUME_STEM = "model", "resume"
MODEL_FILE, RESUME_FILE = MODEL_STEM + SUFFIX, RESUME_STEM + SUFFIX
SOURCE_VOCAB_FILE = "source_vocab.tsv"
TARGET_VOCAB_FILE = "target_vocab.tsv"
MAGIC = "wordseq-seq2seq"
VERSION = 1


def write_payload(
    folder: Path, config: Seq2SeqConfig, source_vocab: Vocabulary, target_vocab: Vocabulary,
    best_state: dict[str, torch.Tensor], resume: dict[str, Any] | None = None,
) -> None:
    """Write the payload files into ``folder`` (``save_model``'s temporary directory)."""
    write_tensors(folder / MODEL_FILE, {"format": MAGIC, "version": VERSION, "config": config.to_dict(), "model": best_state})
    if resume is not None:
        write_tensors(folder / RESUME_FILE, {"format": MAGIC + "-resume", "version": VERSION, **resume})
    source_vocab.save(folder / SOURCE_VOCAB_FILE)
    target_vocab.save(folder / TARGET_VOCAB_FILE)


def read_torch_file(path: Path, magic: str, device: torch.device | str = "cpu") -> dict[str, Any]:
    """A wordseq seq2seq payload file as a dict (safetensors, or an older wordseq's ``.pt``);
    anything else (an object that would run code included) is refused."""
    data = read_payload(path, device)
    if data.get("format") != magic:
        raise ModelError(f"{path} is not a wordseq seq2seq file")
    if data.get("version") != VERSION:
        raise ModelError(f"{path}: format version {data.get('version')} is not supported (expected {VERSION})")
    return data


def load_seq2seq(path: Path, meta: dict[str, Any] | None = None, device: str = "auto") -> Seq2SeqModel:
    """The seq2seq model in directory ``path``: the store's loader for kind "seq2seq".

    Parameters
    ----------
    path
        The model directory.
    meta
        Its meta.json as ``find_model`` read and checked it (payload checksums verified);
        None: read and check it here.
    device
        ``auto`` (CUDA when present), ``cpu`` or ``cuda``.

    Raises
    ------
    ModelError
        A payload file is missing, damaged, holds objects that are not data, or does not fit the config.

    Examples
    --------
    >>> model = load_seq2seq(Path("g2p"))        # doctest: +SKIP
    >>> model = wordseq.load("seq2seq/g2p")      # the same, through the store's registry  # doctest: +SKIP
    """
    path = Path(path)
    if meta is None:
        from wordseq.store import find_model

        path, meta = find_model(str(path), "seq2seq")
    dev = resolve_device(device)
    file = payload_file(path, MODEL_STEM)
    data = read_torch_file(file, MAGIC, dev)
    try:
        config = Seq2SeqConfig.from_dict(data["config"])
        state = data["model"]
    except (KeyError, TypeError) as exc:
        raise ModelError(f"{file} is damaged (missing {exc})") from None
    if not isinstance(state, dict):
        raise ModelError(f"{file} is damaged: no tensors")
    check_finite_tensors(file, state)
    source_vocab = _vocab(path / SOURCE_VOCAB_FILE)
    target_vocab = _vocab(path / TARGET_VOCAB_FILE)
    net = build_network(config, len(source_vocab), len(target_vocab))
    try:
        net.load_state_dict(state)
    except (RuntimeError, TypeError, AttributeError) as exc:
        first = str(exc).strip().splitlines()[0]
        raise ModelError(f"{path}: the weights do not fit the config and vocabularies ({first[:160]})") from None
    pre = meta.get("preprocessing") or {}
    return Seq2SeqModel(
        net, config, source_vocab, target_vocab, dev,
        PreprocessConfig.from_dict(pre["source"]) if "source" in pre else None,
        PreprocessConfig.from_dict(pre["target"]) if "target" in pre else None,
        path=path, meta=meta,
    )


def _vocab(path: Path) -> Vocabulary:
    if not path.is_file():
        raise ModelError(f"{path} is missing; the model directory is incomplete")
    try:
        return Vocabulary.load(path)
    except Exception as exc:  # InputError from a damaged file: it is the model that is broken
        raise ModelError(f"{path} is damaged: {exc}") from None
