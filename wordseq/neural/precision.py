"""``--precision fp32|bf16|fp16``: mixed precision through torch's autocast.

Weights, optimizer state and the loss stay float32; matrix products run in the lower
precision. fp16 has a narrow range, so its gradients are scaled (``torch.amp.GradScaler``)
to keep small values from flushing to zero; bf16 has float32's range and needs no scaling.
On a CPU bf16 runs (it is how the tests exercise these paths); fp16 is for GPUs.
"""

from __future__ import annotations

import functools
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
    """True inside a CPU autocast region whose dtype oneDNN has no recurrent kernels for:
    fp16 always, bf16 on processors without bf16 support (oneDNN then cannot build the
    LSTM primitive at all). The recurrent layers run in float32 there."""
    if x.device.type != "cpu" or not torch.is_autocast_enabled("cpu"):
        return False
    dtype = torch.get_autocast_dtype("cpu")
    return dtype == torch.float16 or (dtype == torch.bfloat16 and not cpu_bf16_rnn_supported())


@functools.cache
def cpu_bf16_rnn_supported() -> bool:
    """Whether this processor runs a bf16 LSTM (asked once: a one-step LSTM in bf16)."""
    probe = torch.nn.LSTM(4, 4)
    try:
        with torch.autocast("cpu", dtype=torch.bfloat16), torch.no_grad():
            probe(torch.zeros(1, 1, 4))
    except RuntimeError:
        return False
    return True
