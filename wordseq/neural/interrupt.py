"""Ctrl-C during training: the first one asks for a clean stop, a second one interrupts.

Shared by the language-model and encoder-decoder loops, which both check a
``stop_requested`` flag after each batch and leave a resumable run when it is set.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol


class Stoppable(Protocol):
    """Something a first Ctrl-C asks to stop (it sets ``stop_requested``)."""

    stop_requested: bool


@contextmanager
def stop_on_interrupt(loop: Stoppable, *, sigterm: bool = False) -> Iterator[None]:
    """While inside, SIGINT (and SIGTERM with ``sigterm``) sets ``loop.stop_requested``.

    The handler restores the previous one at once, so a second signal acts as usual.
    Under torchrun the launcher answers Ctrl-C by sending SIGTERM to every process, which
    is why the distributed loop also asks for ``sigterm``. Signal handlers can only be set
    from the main thread; elsewhere (a notebook's worker thread) this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    signals = [signal.SIGINT] + ([signal.SIGTERM] if sigterm else [])
    previous: dict[int, Any] = {int(sig): signal.getsignal(sig) for sig in signals}

    def request_stop(signum: int, frame: Any) -> None:
        loop.stop_requested = True
        signal.signal(signum, previous[signum])

    for sig in signals:
        signal.signal(sig, request_stop)
    try:
        yield
    finally:
        for sig in signals:
            signal.signal(sig, previous[int(sig)])
