"""Torch payloads as safetensors files: the tensors in the file, everything else as JSON.

A payload is a nested structure of dicts, lists, tuples, tensors and plain values (a
checkpoint: config, vocabulary, state dicts, an optimizer's state, counters, random
generator states). ``write_tensors`` stores every tensor once under a path-like name
("model/encoder.weight") and the structure, with each tensor replaced by a reference,
as JSON in the file's header (``__metadata__["wordseq"]``); ``read_tensors`` rebuilds it.
Nothing in such a file is code, and any tool that reads safetensors reads its weights.

The JSON keeps what a state dict needs and JSON lacks: tuples (``{"__tuple__": [...]}``)
and dicts whose keys are not all strings, such as an optimizer's per-parameter state
keyed by ints (``{"__items__": [[key, value], ...]}``). Tensors that share memory (tied
embeddings) are written once and read back as one tensor.

Files written by wordseq before safetensors (``model.pt``, ``resume.pt``) are read by
``wordseq.store.legacy`` only; ``payload_file`` says which of the two a folder holds.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wordseq.errors import ModelError
from wordseq.store.legacy import LEGACY_SUFFIX, read_legacy_payload

if TYPE_CHECKING:
    import torch

SUFFIX = ".safetensors"
HEADER_KEY = "wordseq"
_TENSOR, _TUPLE, _ITEMS = "__tensor__", "__tuple__", "__items__"
_MARKERS = (_TENSOR, _TUPLE, _ITEMS)


class _Encoder:
    """Turns a payload into (JSON-ready structure, named tensors), each tensor stored once."""

    def __init__(self, plain_names: bool = False) -> None:
        self.plain_names = plain_names
        self.tensors: dict[str, torch.Tensor] = {}
        self._names: dict[tuple[Any, ...], str] = {}
        self._storages: set[int] = set()

    def encode(self, value: Any, where: str) -> Any:
        import torch

        if isinstance(value, torch.Tensor):
            return {_TENSOR: self._tensor(value, where)}
        if isinstance(value, Mapping):
            items = list(value.items())
            if all(isinstance(k, str) and k not in _MARKERS for k, _ in items):
                return {k: self.encode(v, f"{where}/{k}") for k, v in items}
            return {_ITEMS: [[self.encode(k, where), self.encode(v, f"{where}/{k}")] for k, v in items]}
        if isinstance(value, tuple):
            return {_TUPLE: [self.encode(v, f"{where}/{i}") for i, v in enumerate(value)]}
        if isinstance(value, list):
            return [self.encode(v, f"{where}/{i}") for i, v in enumerate(value)]
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if hasattr(value, "item") and getattr(value, "ndim", None) == 0:  # a numpy scalar
            return value.item()
        raise TypeError(f"{where}: a {type(value).__name__} cannot be stored in a wordseq payload")

    def _tensor(self, tensor: torch.Tensor, where: str) -> str:
        tensor = tensor.detach()
        key = (tensor.device, tensor.data_ptr(), tuple(tensor.shape), tensor.stride(), tensor.dtype)
        if key in self._names and tensor.numel() > 0:
            return self._names[key]  # the same tensor again (tied weights, best = current)
        name = where.lstrip("/") or "tensor"
        if self.plain_names and "/" in name:
            name = name.split("/", 1)[1]  # "model/encoder.weight" -> "encoder.weight", as a state dict names it
        while name in self.tensors:
            name += "_"
        stored = tensor.to("cpu").contiguous()
        storage = stored.untyped_storage().data_ptr()
        if storage in self._storages or stored.untyped_storage().nbytes() != stored.numel() * stored.element_size():
            stored = stored.clone()  # a view of another tensor: safetensors stores whole tensors only
        self._storages.add(stored.untyped_storage().data_ptr())
        self.tensors[name] = stored
        self._names[key] = name
        return name


def write_tensors(path: Path, payload: Mapping[str, Any], plain_names: bool = False) -> None:
    """Write ``payload`` (see the module docstring) to the safetensors file ``path``.

    ``plain_names``: name each tensor without the payload key it sits under, so that a
    model's weights carry their state-dict names (``encoder.weight``) for other tools."""
    from safetensors.torch import save_file

    encoder = _Encoder(plain_names)
    structure = encoder.encode(payload, "")
    try:
        save_file(encoder.tensors, str(path), metadata={HEADER_KEY: json.dumps(structure, ensure_ascii=False)})
    except Exception as exc:  # safetensors' own error type wraps the OS's: give the OS's back
        found = re.search(r"os error (\d+)", str(exc))
        if found is None:
            raise
        code = int(found.group(1))
        raise OSError(code, os.strerror(code), str(path)) from None


def read_tensors(path: Path, device: Any = "cpu") -> dict[str, Any]:
    """The payload in the safetensors file ``path``; a foreign or damaged file is a ModelError."""
    from safetensors import safe_open

    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path} is missing; the model directory is incomplete")
    try:
        with safe_open(str(path), framework="pt", device=str(device)) as fh:
            header = (fh.metadata() or {}).get(HEADER_KEY)
            tensors = {name: fh.get_tensor(name) for name in fh.keys()}  # noqa: SIM118 (not a dict)
    except Exception as exc:  # safetensors raises its own error (and others) for a foreign file
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ModelError(f"{path} is not a safetensors file ({first[:160]}); the model is damaged") from None
    if header is None:
        raise ModelError(f"{path} is a safetensors file but not a wordseq payload (no '{HEADER_KEY}' header)")
    try:
        data = _decode(json.loads(header), tensors)
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"{path} is damaged: its '{HEADER_KEY}' header does not fit its tensors ({exc})") from None
    if not isinstance(data, dict):
        raise ModelError(f"{path} is damaged: its '{HEADER_KEY}' header is not an object")
    return data


def _decode(value: Any, tensors: dict[str, Any]) -> Any:
    if isinstance(value, list):
        return [_decode(v, tensors) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        (key, inner), = value.items()
        if key == _TENSOR:
            return tensors[inner]
        if key == _TUPLE:
            return tuple(_decode(v, tensors) for v in inner)
        if key == _ITEMS:
            return {_decode(k, tensors): _decode(v, tensors) for k, v in inner}
    return {k: _decode(v, tensors) for k, v in value.items()}


def payload_file(folder: Path, stem: str) -> Path:
    """``folder``'s ``stem`` payload: ``stem.safetensors``, else the ``stem.pt`` an older
    wordseq wrote, else (neither there) the safetensors name, for the error to show."""
    current = Path(folder) / f"{stem}{SUFFIX}"
    legacy = Path(folder) / f"{stem}{LEGACY_SUFFIX}"
    return legacy if not current.exists() and legacy.exists() else current


def read_payload(path: Path, device: Any = "cpu") -> dict[str, Any]:
    """The payload in ``path``: a safetensors file, or a ``.pt`` file of an older wordseq."""
    path = Path(path)
    if path.suffix == LEGACY_SUFFIX:
        return read_legacy_payload(path, device)
    return read_tensors(path, device)
