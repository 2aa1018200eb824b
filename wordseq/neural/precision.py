"""``--precision fp32|bf16|fp16``: mixed precision through torch's autocast.

Weights, optimizer state and the loss stay float32; matrix products run in the lower
precision. fp16 has a narrow range, so its gradients are scaled (``torch.amp.GradScaler``)
to keep small values from flushing to zero; bf16 has float32's range and needs no scaling.
On a CPU bf16 runs (it is how the tests exercise these paths); fp16 is for GPUs.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext

import torch

from wordseq.neural.config import PRECISIONS

DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def autocast(device: torch.device, precision: str) -> AbstractContextManager[object]:
    """The context that runs forward passes in ``precision`` on ``device``."""
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}")
    if precision == "fp32":
        return nullcontext()
    return torch.autocast(device_type=device.type, dtype=DTYPES[precision])


def grad_scaler(device: torch.device, precision: str) -> torch.amp.GradScaler:
    """Loss scaling for fp16; a pass-through scaler otherwise (one code path for all)."""
    return torch.amp.GradScaler(device.type, enabled=precision == "fp16")


def fp16_unsupported_here(x: torch.Tensor) -> bool:
    """True inside a CPU fp16 autocast region: oneDNN has no fp16 recurrent kernels, so the
    recurrent layers run in float32 there."""
    return (x.device.type == "cpu" and torch.is_autocast_enabled("cpu")
            and torch.get_autocast_dtype("cpu") == torch.float16)
