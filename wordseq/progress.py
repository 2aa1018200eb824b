"""How long-running library functions report progress without printing anything.

A function that reads a corpus or trains takes ``reporter: Reporter = SILENT``. The CLI
passes one that draws rich progress bars in a terminal or writes plain periodic lines
elsewhere (``wordseq/cli/console.py``); the Python API stays silent unless given one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol, TypeVar

T = TypeVar("T")


class Task(Protocol):
    """One bar: a phase of the work (reading, an epoch ...)."""

    def advance(self, n: float = 1) -> None: ...

    def update(self, *, completed: float | None = None, total: float | None = None,
               description: str | None = None, info: str | None = None) -> None: ...


class Reporter(Protocol):
    def task(self, description: str, total: float | None = None, unit: str = "") -> AbstractContextManager[Task]:
        """A bar for one phase; it ends when the ``with`` block does."""
        ...

    def log(self, message: str) -> None:
        """A line about the work (silenced by --quiet)."""
        ...

    def warn(self, message: str) -> None:
        """Something that changes what the result means (shown even with --quiet)."""
        ...

    def every(self, batches: int) -> bool:
        """Whether a periodic progress line is due after this many batches (plain logs)."""
        ...


class _SilentTask:
    def advance(self, n: float = 1) -> None:
        pass

    def update(self, *, completed: float | None = None, total: float | None = None,
               description: str | None = None, info: str | None = None) -> None:
        pass


class SilentReporter:
    """Reports nothing: the default of every library function."""

    def task(self, description: str, total: float | None = None, unit: str = "") -> AbstractContextManager[Task]:
        return _silent_task()

    def log(self, message: str) -> None:
        pass

    def warn(self, message: str) -> None:
        pass

    def every(self, batches: int) -> bool:
        return False


@contextmanager
def _silent_task() -> Iterator[Task]:
    yield _SilentTask()


SILENT = SilentReporter()


def track(task: Task, items: Iterable[T]) -> Iterator[T]:
    """Pass items through, advancing ``task`` by one for each."""
    for item in items:
        yield item
        task.advance()
