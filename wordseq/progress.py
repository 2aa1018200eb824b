"""How long-running library functions report progress, lines and warnings.

A function that reads a corpus or trains takes ``reporter: Reporter = SILENT``. The CLI
passes a ``ConsoleReporter``: rich progress bars in a terminal, plain periodic lines
elsewhere (``wordseq/cli/console.py``). From Python the default draws no bars and prints
nothing itself; as gensim does, its lines go to the ``wordseq`` logger (INFO) and its
warnings through ``warnings`` (``WordseqWarning``); ``progress=True`` on a public function
gives it the CLI's ``ConsoleReporter`` (bars in a notebook too).
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol, TypeVar

T = TypeVar("T")
DEFAULT_LOG_INTERVAL = 200


class Task(Protocol):
    """One bar: a phase of the work (reading, an epoch ...)."""

    def advance(self, n: float = 1) -> None: ...

    def update(self, *, completed: float | None = None, total: float | None = None,
               description: str | None = None, info: str | None = None) -> None: ...


class Reporter(Protocol):
    """Where a long run reports: progress bars for phases, and log lines."""

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


class MuteReporter:
    """Says nothing at all (the ranks of a distributed run other than rank 0)."""

    def task(self, description: str, total: float | None = None, unit: str = "") -> AbstractContextManager[Task]:
        return _silent_task()

    def log(self, message: str) -> None:
        pass

    def warn(self, message: str) -> None:
        pass

    def every(self, batches: int) -> bool:
        return False


class SilentReporter(MuteReporter):
    """The default of every library function: no bars and nothing printed; lines go to the
    ``wordseq`` logger and warnings through ``warnings``, so Python sees what the CLI says."""

    def log(self, message: str) -> None:
        import logging  # here: a tenth of the start-up of a command that never logs

        logging.getLogger("wordseq").info(message)

    def warn(self, message: str) -> None:
        from wordseq.errors import WordseqWarning

        warnings.warn(message, WordseqWarning, stacklevel=3)


@contextmanager
def _silent_task() -> Iterator[Task]:
    yield _SilentTask()


SILENT = SilentReporter()
MUTE = MuteReporter()


def track(task: Task, items: Iterable[T]) -> Iterator[T]:
    """Pass items through, advancing ``task`` by one for each."""
    for item in items:
        yield item
        task.advance()


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
    """The reporter a CLI command hands to the library (and ``progress=True`` in Python):
    rich bars on stderr when ``interactive``, else plain lines every ``log_interval``
    batches; ``warn`` always shows, each text once."""

    def __init__(self, *, quiet: bool, interactive: bool, log_interval: int = DEFAULT_LOG_INTERVAL) -> None:
        self.quiet = quiet
        self.interactive = interactive and not quiet
        self.log_interval = log_interval
        self._progress: Any = None
        self._warned: set[str] = set()

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
            print(message, file=sys.stderr, flush=True)

    def log(self, message: str) -> None:
        if not self.quiet:
            self._print(message)

    def warn(self, message: str) -> None:
        if message not in self._warned:  # the library and the command may both say it
            self._warned.add(message)
            self._print(f"Warning: {message}")

    def every(self, batches: int) -> bool:
        return (not self.interactive and not self.quiet and self.log_interval > 0
                and batches > 0 and batches % self.log_interval == 0)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
