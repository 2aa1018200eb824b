"""The CLI stays thin: each command parses, calls one library function and prints."""

from __future__ import annotations

import ast
from pathlib import Path

CLI = Path(__file__).resolve().parent.parent / "wordseq" / "cli"
MAX_COMMAND_LINES = 40


def _commands() -> list[tuple[str, ast.FunctionDef]]:
    found = []
    for path in sorted(CLI.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and any(
                isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute) and d.func.attr in ("command", "group")
                for d in node.decorator_list
            ):
                found.append((f"{path.name}:{node.name}", node))
    return found


def test_no_command_function_is_over_40_lines() -> None:
    long = []
    for name, node in _commands():
        body = node.body[1:] if ast.get_docstring(node) else node.body  # the --help text is not code
        lines = (body[-1].end_lineno or 0) - body[0].lineno + 1 if body else 0
        if lines > MAX_COMMAND_LINES:
            long.append(f"{name} ({lines} lines)")
    assert _commands() and not long


def test_the_cli_does_no_numpy_or_torch_maths() -> None:
    offenders = []
    for path in sorted(CLI.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            if any(n.split(".")[0] in ("numpy", "torch", "scipy") for n in names):
                assert isinstance(node, (ast.Import, ast.ImportFrom))
                offenders.append(f"{path.name}:{node.lineno}")
    assert not offenders


def test_ngram_eval_starts_openblas_with_one_thread(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from wordseq.cli import startup

    env: dict[str, str] = {}
    monkeypatch.setattr(startup.os, "environ", env)
    startup.single_threaded_blas(["lm", "train", "corpus.txt"])
    startup.single_threaded_blas(["ngram", "train", "corpus.txt"])
    assert env == {}  # commands that may multiply matrices keep OpenBLAS's threads
    startup.single_threaded_blas(["-q", "ngram", "eval", "heldout.txt", "-m", "news5"])
    assert env == {"OPENBLAS_NUM_THREADS": "1"}
    env["OPENBLAS_NUM_THREADS"] = "4"
    startup.single_threaded_blas(["ngram", "eval", "heldout.txt"])
    assert env == {"OPENBLAS_NUM_THREADS": "4"}  # the user's own setting stays
