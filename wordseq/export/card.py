"""A model card: what a model is, in Markdown, written from its meta.json alone.

``models show NAME --card`` prints it and ``models export --format hf`` writes it as the
folder's ``README.md``. It reads only the schema every kind shares (``store.meta``): the
summary, what it was trained on (each input's size and sha256), the preprocessing, the
options, the figures training recorded (the history as a table), the command line that
made it and the payload files, so any kind (a new one included) gets a card. A YAML
header carries the tags a model hub reads.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from wordseq.sizes import human_size

# how each kind is used once loaded (the card's "Use" section)
USE = {
    "embeddings": "wordseq similar WORD -m {m}",
    "ngram": "wordseq ngram eval TEXT -m {m}",
    "lm": "wordseq generate -m {m}",
    "classifier": "wordseq classify predict TEXT -m {m}",
    "seq2seq": "wordseq transduce WORDS -m {m}",
}
MAX_HISTORY_ROWS = 30


def _flat(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted key, scalar or short list) of a nested dict."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _flat(inner, f"{prefix}.{key}" if prefix else str(key))
    else:
        yield prefix, value


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list):
        text = ", ".join(_shown(v) for v in value[:12]) + (f", … ({len(value)} in all)" if len(value) > 12 else "")
        return text or "(none)"
    if value is None:
        return "–"
    return str(value).replace("|", "\\|").replace("\n", " ")


def _table(rows: list[tuple[str, Any]], head: tuple[str, str] = ("setting", "value")) -> list[str]:
    if not rows:
        return ["(none recorded)"]
    return [f"| {head[0]} | {head[1]} |", "| --- | --- |", *(f"| `{k}` | {_shown(v)} |" for k, v in rows)]


def _front_matter(meta: dict[str, Any]) -> list[str]:
    tags = ["wordseq", meta["kind"]]
    network = meta["config"].get("model")
    if isinstance(network, dict) and isinstance(network.get("cell"), str):
        tags.append(network["cell"])
    return ["---", "library_name: wordseq", "tags:", *(f"- {t}" for t in tags), "---", ""]


def _data(meta: dict[str, Any]) -> list[str]:
    corpus = [c for c in meta.get("corpus") or [] if isinstance(c, dict)]
    if not corpus:
        return ["## Training data", "", "(not recorded: imported or made from Python objects)", ""]
    lines = ["## Training data", "", "| input | size | lines | sha256 |", "| --- | --- | --- | --- |"]
    for c in corpus:
        size = human_size(c["bytes"]) if isinstance(c.get("bytes"), int) else "–"
        digest = str(c.get("sha256") or "–")[:16]
        lines.append(f"| {_shown(c.get('name', c.get('label', '?')))} | {size} | {_shown(c.get('lines'))} | `{digest}` |")
    return [*lines, ""]


def _history(history: list[Any]) -> list[str]:
    rows = [h for h in history if isinstance(h, dict)]
    if not rows:
        return []
    columns = [k for k, v in rows[0].items() if isinstance(v, (int, float)) and not isinstance(v, bool)]
    shown = rows if len(rows) <= MAX_HISTORY_ROWS else rows[: MAX_HISTORY_ROWS // 2] + rows[-MAX_HISTORY_ROWS // 2:]
    lines = ["### History", "", "| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
    lines += ["| " + " | ".join(_shown(h.get(c)) for c in columns) + " |" for h in shown]
    if len(shown) < len(rows):
        lines.append(f"\n({len(rows) - len(shown)} of {len(rows)} rows left out; meta.json holds them all)")
    return [*lines, ""]


def _metrics(training: dict[str, Any]) -> list[str]:
    figures = [(k, v) for k, v in _flat({k: v for k, v in training.items() if k != "history"})
               if not isinstance(v, list) or len(v) <= 12]
    return ["## Metrics", "", *_table(figures, ("figure", "value")), "", *_history(training.get("history") or [])]


def model_card(meta: dict[str, Any], name: str, ref: str | None = None) -> str:
    """The Markdown card of the model ``name`` whose checked meta.json is ``meta``;
    ``ref``: how its "Use" section names it (NAME, kind/NAME or PATH; default ``name``)."""
    ref = name if ref is None else ref
    kind = meta["kind"]
    state = "complete" if meta.get("complete", True) else "interrupted (a run stopped before its end)"
    about = [("kind", kind), ("made by", f"wordseq {meta.get('wordseq_version', '?')}"), ("created", meta.get("created")),
             ("state", state), *((f"libraries.{k}", v) for k, v in (meta.get("libraries") or {}).items())]
    command = [str(a) for a in meta.get("command") or []]
    lines = [*_front_matter(meta), f"# {name}", "", meta.get("summary") or f"A wordseq {kind} model.", "",
             *_table(about, ("", "")), "", *_data(meta),
             "## Preprocessing", "", *_table(list(_flat(meta.get("preprocessing") or {}))), "",
             "## Options", "", *_table(list(_flat(meta.get("config") or {}))), "",
             *_metrics(meta.get("training") or {}),
             "## Command line", "", "```sh", shlex.join(command) if command else "(not recorded)", "```", "",
             "## Use", "", "```sh", USE.get(kind, "wordseq models show {m}").format(m=shlex.quote(ref)), "```", "",
             "```python", "import wordseq", "", f"model = wordseq.load({ref!r})", "```", "",
             "## Files", "", *_table(sorted((meta.get("payload") or {}).items()), ("file", "sha256")), ""]
    return "\n".join(lines)


def card_for(path: Path, meta: dict[str, Any], ref: str) -> str:
    """The card of the model at ``path`` (titled by its folder's name), which the
    command line named ``ref``."""
    return model_card(meta, Path(path).name, ref)
