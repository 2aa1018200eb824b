"""glibc malloc settings for the n-gram commands.

Scoring and counting build many large temporary numpy arrays, block after block. With
glibc's defaults, freeing them hands the memory back to the kernel, and the next block
takes page faults to get it again: a third of ``ngram eval``'s time went to the kernel.
Raising the trim and mmap thresholds keeps that memory in the process for reuse (it was
in use a moment ago, so the peak does not grow). Only the command line calls this: a
library should not change its host process's allocator.
"""

from __future__ import annotations

import ctypes

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_MMAP_MAX = 32 << 20  # glibc's largest accepted mmap threshold on 64-bit systems
_TRIM = 256 << 20


def keep_freed_memory() -> bool:
    """Ask glibc to keep freed memory for reuse; False where that is not glibc."""
    try:
        libc = _libc()
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return bool(mallopt(_M_MMAP_THRESHOLD, _MMAP_MAX)) and bool(mallopt(_M_TRIM_THRESHOLD, _TRIM))


def _libc() -> ctypes.CDLL:
    """glibc by its usual name; else where ``ctypes.util`` finds the C library (it
    imports subprocess, and may run ldconfig: start-up time spent only where needed)."""
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:
        from ctypes.util import find_library

        return ctypes.CDLL(find_library("c") or "libc.so.6")
