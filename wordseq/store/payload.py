"""Array payloads (``.npy``) opened without trusting their bytes.

A payload's header is read and checked before any data: its dtype, its number of
dimensions and every size meta.json (or a file read before it) declares, and that the file
holds exactly the bytes the header announces. Only then is it memory-mapped, so memory
follows what the metadata declares, never what a header claims; an empty file, a zip
archive (``torch.save``, ``np.savez``) or an object array is one ModelError line. Torch payloads
(safetensors, ``tensors``) get their weights checked for NaN and infinities.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from wordseq.errors import ModelError

_ZIP = b"PK\x03\x04"


def npy_header(path: Path) -> tuple[tuple[int, ...], bool, np.dtype[Any], int]:
    """(shape, fortran order, dtype, data offset) from a .npy file's header."""
    fmt = np.lib.format
    with open(path, "rb") as fh:
        head = fh.read(len(_ZIP))
        if head.startswith(_ZIP):
            raise ModelError(f"{path} is a zip archive (torch.save or np.savez), not a plain .npy array; "
                             "the model is damaged")
        if not head:
            raise ModelError(f"{path} is empty; the model is damaged")
        fh.seek(0)
        try:
            version = fmt.read_magic(fh)
            if version == (1, 0):
                shape, fortran, dtype = fmt.read_array_header_1_0(fh)
            else:
                shape, fortran, dtype = fmt.read_array_header_2_0(fh)
        except (ValueError, EOFError, OSError, SyntaxError, TypeError) as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise ModelError(f"{path} is not a .npy array ({first[:160]}); the model is damaged") from None
        return tuple(shape), bool(fortran), dtype, fh.tell()


def open_npy(path: Path, dtype: Any, shape: Sequence[int | None], memmap: bool = False) -> np.ndarray:
    """The array in ``path``, memory-mapped read-only, after checking its header.

    ``shape`` gives each dimension's declared size, or None where any size goes (then the
    size is bounded by the file's bytes, which the caller checks against what it declares).
    ``memmap`` returns the ``np.memmap`` itself rather than a plain array over its pages.
    """
    path = Path(path)
    try:
        found, fortran, found_dtype, offset = npy_header(path)
        size = path.stat().st_size
    except OSError as exc:
        raise ModelError(f"{path} cannot be read: {exc.strerror}") from None
    want = np.dtype(dtype)
    shown = "x".join("?" if s is None else f"{s:,}" for s in shape)
    if (found_dtype != want or fortran or len(found) != len(shape)
            or any(s is not None and s != f for s, f in zip(shape, found))):
        raise ModelError(f"{path} is damaged: expected {want.name} of shape {shown}, "
                         f"its header says {found_dtype} of shape {found}")
    data_bytes = math.prod(found) * want.itemsize
    if offset + data_bytes != size:
        raise ModelError(f"{path} is damaged: its header announces {data_bytes:,} bytes of data, "
                         f"the file holds {size - offset:,}")
    if data_bytes == 0:
        return np.zeros(found, dtype=want)
    try:
        arr = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise ModelError(f"{path} is damaged: {exc}") from None
    # a plain ndarray over the same mapped pages: np.memmap's Python-level __getitem__
    # costs more than the n-gram lookups themselves
    return arr if memmap else arr.view(np.ndarray)


def check_finite_tensors(path: Path, tensors: Mapping[str, Any]) -> None:
    """Refuse a torch payload whose weights hold a NaN or an infinity (the model would
    score NaN, or silently wrong); checked once per file, as ``check_tables``."""
    import torch

    from wordseq.store.meta import checked_before, remember_check

    if checked_before(path, "finite-tensors"):
        return
    for name, tensor in tensors.items():
        if isinstance(tensor, torch.Tensor) and tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            raise ModelError(f"{path} is damaged: {name} holds a value that is not finite")
    remember_check(path, "finite-tensors")
