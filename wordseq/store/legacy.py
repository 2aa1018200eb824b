"""Payloads of wordseq before safetensors, read without running code.

Up to 0.2, the torch families saved ``model.pt`` and ``resume.pt`` with ``torch.save``: a
pickle container. This module is the one place such a file is opened, always with
``torch.load(weights_only=True)`` (torch's restricted unpickler: tensors and plain
containers only, so a planted object is refused, never run). ``store.upgrade`` (``wordseq
models upgrade``) rewrites such files as safetensors.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from wordseq.errors import ModelError, WordseqWarning

LEGACY_SUFFIX = ".pt"


def read_legacy_payload(path: Path, device: Any = "cpu") -> dict[str, Any]:
    """The dict in a ``.pt`` file an older wordseq wrote; anything else is a ModelError."""
    import torch

    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path} is missing; the model directory is incomplete")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch warns about foreign pickle protocols
            data = torch.load(path, map_location=device, weights_only=True)
    except Exception as exc:  # the restricted unpickler raises many kinds for a foreign file
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ModelError(f"{path} is not a wordseq payload: it holds more than tensors and plain values "
                         f"or is damaged ({first[:160]})") from None
    if not isinstance(data, dict):
        raise ModelError(f"{path} is a torch file but not a wordseq payload")
    folder = path.parent
    if str(data.get("format", "")).startswith("wordseq"):  # a foreign file gets its error from the caller
        warnings.warn(f"{folder} was saved by an older wordseq ({path.name}); 'wordseq models upgrade {folder}' "
                      "rewrites it as safetensors", WordseqWarning, stacklevel=3)
    return data


def legacy_files(folder: Path) -> list[str]:
    """The payload files of ``folder`` an older wordseq wrote with torch.save."""
    try:
        return sorted(p.name for p in Path(folder).iterdir() if p.suffix == LEGACY_SUFFIX and p.is_file())
    except OSError:
        return []
