"""Choosing the torch device from ``--device auto|cpu|cuda``."""

from __future__ import annotations

import torch

from wordseq.config_checks import DEVICES
from wordseq.errors import InputError


def resolve_device(name: str) -> torch.device:
    """The torch device ``auto``, ``cpu`` or ``cuda`` names; ``cuda`` without a usable GPU is an InputError."""
    if name not in DEVICES:
        raise InputError(f"unknown device {name!r}; choose auto, cpu or cuda")
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise InputError(
            "--device cuda: no CUDA GPU is usable here (torch.cuda.is_available() is False; "
            f"torch {torch.__version__}); use --device cpu or --device auto"
        )
    return torch.device(name)
