"""stderr output for commands: log lines and progress bars, silent with --quiet.

stdout is for data only and never depends on whether it is a terminal; rich's tables and
progress bars go to stderr, and only when stderr is a terminal.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")

import click


def quiet() -> bool:
    ctx = click.get_current_context(silent=True)
    return bool(ctx and ctx.find_root().obj and ctx.find_root().obj.get("quiet"))


def log(message: str) -> None:
    if not quiet():
        click.echo(message, err=True)


def warn(message: str) -> None:
    """Warnings show even with --quiet: they change what the result means."""
    click.echo(f"Warning: {message}", err=True)


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def stderr_console():  # type: ignore[no-untyped-def]
    from rich.console import Console

    return Console(stderr=True)


class Progress:
    """A task on a rich progress bar, or nothing when stderr is not a terminal."""

    def __init__(self, bar: Any = None, task: Any = None) -> None:
        self._bar = bar
        self._task = task
        self.start = time.perf_counter()

    def advance(self, n: float = 1) -> None:
        if self._bar is not None:
            self._bar.advance(self._task, n)

    def track(self, items: Iterable[T]) -> Iterator[T]:
        """Pass items through, advancing the bar by one for each."""
        for item in items:
            yield item
            self.advance()

    def update(self, **fields: Any) -> None:
        if self._bar is not None:
            self._bar.update(self._task, **fields)

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.start


@contextmanager
def progress(description: str, total: float | None = None, unit: str = "lines") -> Iterator[Progress]:
    if quiet() or not sys.stderr.isatty():
        yield Progress()
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress as RichProgress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns: list[Any] = [TextColumn("[bold]{task.description}"), BarColumn()]
    columns.append(MofNCompleteColumn() if total else TextColumn("{task.completed:,.0f} " + unit))
    columns += [TextColumn("{task.fields[info]}"), TimeElapsedColumn()]
    if total:
        columns.append(TimeRemainingColumn())
    with RichProgress(*columns, console=stderr_console(), transient=False) as bar:
        task = bar.add_task(description, total=total, info="")
        yield Progress(bar, task)
