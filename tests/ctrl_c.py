"""A reporter that presses Ctrl-C: it sends this process SIGINT when training reaches a batch."""

from __future__ import annotations

import os
import signal
from contextlib import nullcontext
from typing import Any

from wordseq.progress import SilentReporter


class CtrlCAfter(SilentReporter):
    """Sends the process a SIGINT (what Ctrl-C sends) when training reaches a batch."""

    def __init__(self, batch: int) -> None:
        self.batch = batch

    def task(self, description: str, total: float | None = None, unit: str = "") -> Any:
        reporter = self

        class Bar:
            def advance(self, n: float = 1) -> None:
                pass

            def update(self, *, completed: float | None = None, **fields: Any) -> None:
                if description.startswith("epoch") and completed == reporter.batch:
                    os.kill(os.getpid(), signal.SIGINT)

        return nullcontext(Bar())
