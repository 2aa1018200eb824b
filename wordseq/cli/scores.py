"""Printing perplexity reports and per-line scores, the same way for every model kind."""

from __future__ import annotations

from typing import Any

import click

from wordseq.cli.console import echo_json, log, warn
from wordseq.perplexity import LineScore, PerplexityReport, check_scorable
from wordseq.text.preprocess import PreprocessConfig


def print_scores(report: PerplexityReport, lines: list[LineScore], preprocess: PreprocessConfig, *, model: str,
                 per_line: bool = False, nl: bool = False, as_json: bool = False,
                 extra: dict[str, Any] | None = None) -> None:
    """stdout: the report (text or --json), or one line per input line (--per-line: TSV
    'log10prob perplexity tokens oov'; --nl: one JSON object each) with the report on stderr."""
    warning = check_scorable(report, preprocess.describe())
    char = preprocess.level == "char"
    summary = report.lines() + ([f"bits_per_char\t{report.bits_per_token:.4f}"] if char else [])
    if as_json:
        doc: dict[str, Any] = {"model": model, "level": preprocess.level, **(extra or {}), **report.to_dict()}
        if char:
            doc["bits_per_char"] = report.bits_per_token
        if per_line or nl:
            doc["per_line"] = [s.to_dict() for s in lines]
        echo_json(doc)
    elif nl:
        for s in lines:
            echo_json(s.to_dict(), indent=None)
        log("\n".join(summary))
    elif per_line:
        for s in lines:
            click.echo(s.tsv())
        log("\n".join(summary))
    else:
        for line in summary:
            click.echo(line)
    if warning:
        warn(warning)
    if report.oov:
        log(f"{report.oov:,} of {report.tokens:,} tokens ({report.oov_rate:.2%}) are not in the model's vocabulary")
