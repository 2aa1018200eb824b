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
from typing import Any

import click

from wordseq.progress import DEFAULT_LOG_INTERVAL, ConsoleReporter, Reporter

__all__ = ["ConsoleReporter", "reporter", "log", "warn", "echo_json", "quiet"]


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


def echo_report(report: Any, as_json: bool, **fields: Any) -> None:
    """An evaluation on stdout: its ``to_dict()`` as JSON after ``fields``, or its lines."""
    if as_json:
        echo_json({**fields, **report.to_dict()})
    else:
        for line in report.lines():
            click.echo(line)

