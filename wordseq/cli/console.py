"""stderr output for commands: one reporter per command, progress bars or plain lines.

stdout is for data only and never depends on whether it is a terminal. On stderr, in a
terminal, a command gets one rich ``Progress`` and every log line is printed through its
console, above the bars; elsewhere (nohup, CI, a batch job) there are no bars, and long
loops write plain lines every ``--log-interval`` batches. ``--quiet`` silences both;
warnings always show.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import click

from wordseq.progress import SILENT, Reporter, Task

DEFAULT_LOG_INTERVAL = 200


def _root_obj() -> dict[str, Any]:
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return {}
    root = ctx.find_root()
    if root.obj is None:
        root.obj = {}
    return root.obj  # type: ignore[no-any-return]


def quiet() -> bool:
    return bool(_root_obj().get("quiet"))


class _RichTask:
    def __init__(self, bar: Any, task_id: Any) -> None:
        self._bar = bar
        self._id = task_id

    def advance(self, n: float = 1) -> None:
        self._bar.advance(self._id, n)

    def update(self, *, completed: float | None = None, total: float | None = None,
               description: str | None = None, info: str | None = None) -> None:
        fields: dict[str, Any] = {}
        if completed is not None:
            fields["completed"] = completed
        if total is not None:
            fields["total"] = total
        if description is not None:
            fields["description"] = description
        if info is not None:
            fields["info"] = info
        self._bar.update(self._id, **fields)


class ConsoleReporter:
    """The reporter a CLI command hands to the library."""

    def __init__(self, *, quiet: bool, interactive: bool, log_interval: int = DEFAULT_LOG_INTERVAL) -> None:
        self.quiet = quiet
        self.interactive = interactive and not quiet
        self.log_interval = log_interval
        self._progress: Any = None

    def _bars(self) -> Any:
        if self._progress is None:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[info]}"), TimeElapsedColumn(),
                console=Console(stderr=True), transient=True,
            )
            self._progress.start()
        return self._progress

    @contextmanager
    def _task(self, description: str, total: float | None) -> Iterator[Task]:
        bars = self._bars()
        task_id = bars.add_task(description, total=total, info="")
        try:
            yield _RichTask(bars, task_id)
        finally:
            bars.remove_task(task_id)

    def task(self, description: str, total: float | None = None, unit: str = "") -> AbstractContextManager[Task]:
        if not self.interactive:
            return SILENT.task(description, total, unit)
        return self._task(description, total)

    def _print(self, message: str) -> None:
        if self._progress is not None:
            self._progress.console.print(message, markup=False, highlight=False, soft_wrap=True)
        else:
            click.echo(message, err=True)

    def log(self, message: str) -> None:
        if not self.quiet:
            self._print(message)

    def warn(self, message: str) -> None:
        self._print(f"Warning: {message}")

    def every(self, batches: int) -> bool:
        return (not self.interactive and not self.quiet and self.log_interval > 0
                and batches > 0 and batches % self.log_interval == 0)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


def reporter(log_interval: int | None = None) -> Reporter:
    """This command's reporter (made once, closed when the command ends)."""
    obj = _root_obj()
    rep = obj.get("reporter")
    if rep is None:
        rep = ConsoleReporter(quiet=bool(obj.get("quiet")), interactive=sys.stderr.isatty(),
                              log_interval=DEFAULT_LOG_INTERVAL if log_interval is None else log_interval)
        obj["reporter"] = rep
        ctx = click.get_current_context(silent=True)
        if ctx is not None:
            ctx.find_root().call_on_close(rep.close)
    elif log_interval is not None:
        rep.log_interval = log_interval
    return rep  # type: ignore[no-any-return]


def log(message: str) -> None:
    reporter().log(message)


def warn(message: str) -> None:
    """Warnings show even with --quiet: they change what the result means."""
    reporter().warn(message)


def echo_json(data: Any, indent: int | None = 2) -> None:
    """One JSON document (or, with ``indent=None``, one line): standard JSON that jq reads,
    so a figure that is not finite is null."""
    from wordseq.store.meta import json_safe

    click.echo(json.dumps(json_safe(data), ensure_ascii=False, indent=indent, allow_nan=False))


class Stopwatch:
    def __init__(self) -> None:
        self.start = time.perf_counter()

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.start
