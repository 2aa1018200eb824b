"""Seq2seq model directories: what is written, and reading it back without running code.

Payload (beside meta.json):

- ``model.pt``: the best weights and the config, a dict of tensors and plain values
  written with ``torch.save`` and read with ``torch.load(weights_only=True)``, which
  refuses anything but tensors and plain containers (no pickled objects, no code);
- ``resume.pt``: the latest weights and the trainer's state (optimizer, epoch, batch
  position, random generators, history) for ``--resume``; read the same way;
- ``source_vocab.tsv``, ``target_vocab.tsv``: the vocabularies as text.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import torch

from wordseq.device import resolve_device
from wordseq.errors import ModelError
from wordseq.seq2seq.architectures import build_network
from wordseq.seq2seq.config import Seq2SeqConfig
from wordseq.seq2seq.model import Seq2SeqModel
from wordseq.store.payload import check_finite_tensors
from wordseq.text.preprocess import PreprocessConfig
from wordseq.vocab import Vocabulary

MODEL_FILE = "model.pt"
RESUME_FILE = "resume.pt"
SOURCE_VOCAB_FILE = "source_vocab.tsv"
TARGET_VOCAB_FILE = "target_vocab.tsv"
MAGIC = "wordseq-seq2seq"
VERSION = 1


def write_payload(
    folder: Path, config: Seq2SeqConfig, source_vocab: Vocabulary, target_vocab: Vocabulary,
    best_state: dict[str, torch.Tensor], resume: dict[str, Any] | None = None,
) -> None:
    """Write the payload files into ``folder`` (``save_model``'s temporary directory)."""
    torch.save({"format": MAGIC, "version": VERSION, "config": config.to_dict(), "model": best_state}, folder / MODEL_FILE)
    if resume is not None:
        torch.save({"format": MAGIC + "-resume", "version": VERSION, **resume}, folder / RESUME_FILE)
    source_vocab.save(folder / SOURCE_VOCAB_FILE)
    target_vocab.save(folder / TARGET_VOCAB_FILE)


def read_torch_file(path: Path, magic: str, device: torch.device | str = "cpu") -> dict[str, Any]:
    """A wordseq torch file as a dict; anything else (a pickled object included) is refused."""
    if not path.is_file():
        raise ModelError(f"{path} is missing; the model directory is incomplete")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            data = torch.load(path, map_location=device, weights_only=True)
    except Exception as exc:  # the restricted unpickler raises many kinds for a foreign file
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"{path} is not a wordseq seq2seq file: it holds more than tensors and plain values "
                         f"or is damaged ({first[:160]})") from None
    if not isinstance(data, dict) or data.get("format") != magic:
        raise ModelError(f"{path} is a torch file but not a wordseq seq2seq file")
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
        A payload file is missing, damaged, holds pickled objects, or does not fit the config.

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
    data = read_torch_file(path / MODEL_FILE, MAGIC, dev)
    try:
        config = Seq2SeqConfig.from_dict(data["config"])
        state = data["model"]
    except (KeyError, TypeError) as exc:
        raise ModelError(f"{path / MODEL_FILE} is damaged (missing {exc})") from None
    if not isinstance(state, dict):
        raise ModelError(f"{path / MODEL_FILE} is damaged: no tensors")
    check_finite_tensors(path / MODEL_FILE, state)
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
