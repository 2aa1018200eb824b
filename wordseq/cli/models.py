"""wordseq models list / show / rm."""

from __future__ import annotations

import json

import click

from wordseq.cli.console import echo_json, log
from wordseq.cli.options import json_option


@click.group()
def models() -> None:
    """List, inspect and remove saved models (in $WORDSEQ_HOME)."""


@models.command("list")
@json_option
def list_(as_json: bool) -> None:
    """One line per saved model: kind, name, size, created."""
    from wordseq.store import list_models, wordseq_home

    found = list_models()
    if as_json:
        echo_json(
            [
                {"kind": m.kind, "name": m.name, "path": str(m.path), "bytes": m.size_bytes, "created_at": m.created_at, "summary": m.summary}
                for m in found
            ]
        )
        return
    for m in found:
        click.echo(f"{m.kind}\t{m.name}\t{_human(m.size_bytes)}\t{m.created_at}\t{m.summary}".rstrip())
    if not found:
        log(f"no models in {wordseq_home()}")


@models.command("show")
@click.argument("name")
def show(name: str) -> None:
    """Print a model's meta.json (NAME of any kind, or a PATH)."""
    from wordseq.store import KINDS, find_model

    path, meta = find_model(name, KINDS)
    log(f"{meta['kind']} model at {path}")
    click.echo(json.dumps(meta, indent=2, ensure_ascii=False))


@models.command("rm")
@click.argument("name")
def rm(name: str) -> None:
    """Delete a saved model (NAME of any kind, or a PATH to a model directory)."""
    from wordseq.store import remove_model

    path = remove_model(name)
    log(f"removed {path}")


def _human(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"
