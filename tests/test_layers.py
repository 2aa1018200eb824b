"""The import graph keeps the layout the README's Development section describes: a
module imports only from its own layer or the ones below, and the families reach each
other only through the store. (Circles, imports inside functions included, are
``house-check``'s; this test reads the same imports, at any depth, plus the packages'
tables of names imported on first use.)"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "wordseq"

# lowest first, as in the README; a name is a top-level module or package of wordseq,
# or a dotted module where one module of a package sits apart from the rest of it
LAYERS = [
    ["errors", "lazy", "sizes", "spelling", "config_checks", "vocab", "progress", "perplexity", "device", "text"],
    ["store", "text.tokenize"],  # tokenizing a corpus into a file writes through store/output.py
    ["lm_interface", "decoding", "generation"],
    ["training", "pretrained", "positions", "subwords", "plots"],
    ["embeddings", "ngram", "neural", "classify", "seq2seq"],
    ["export"],
    ["cli", "__main__"],
]
FAMILIES = set(LAYERS[4])


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _known(name: str) -> str:
    """The module ``name`` is or lies in (``wordseq.store.load`` -> ``wordseq.store``)."""
    while name not in MODULES:
        name = name.rpartition(".")[0]
    return name


def imports(module: str) -> set[str]:
    """Every wordseq module ``module`` imports, anywhere in it, or names in a table of
    lazily imported names (a package's ``_EXPORTS``)."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            # 'from wordseq import decoding' imports a module; 'import __version__' the package
            found.update(f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names)
        elif isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "_EXPORTS" for t in node.targets):
            assert isinstance(node.value, ast.Dict)
            found.update(v.value for v in node.value.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
    return {_known(name) for name in found if name.startswith("wordseq.") or name == "wordseq"} - {module}


def layer(module: str) -> int:
    parts = module.split(".")[1:]
    for i, names in enumerate(LAYERS):
        if ".".join(parts[:2]) in names:
            return i
    for i, names in enumerate(LAYERS):
        if parts[0] in names:
            return i
    raise AssertionError(f"{module} is in no layer of the README's list: add it there and here")


def family(module: str) -> str | None:
    """The family a module belongs to; ``export`` counts as one (it too reaches the
    families' models through the store)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in FAMILIES | {"export"} else None


def test_the_graph_is_read_whole() -> None:
    # the reader finds imports at any depth, relative ones and lazy tables
    assert "wordseq.decoding" in imports("wordseq.generation")
    assert "wordseq.ngram.train" in imports("wordseq.ngram")
    assert len(MODULES) > 100


def test_no_module_imports_a_higher_layer() -> None:
    # the package itself is run before any of its modules: importing its __version__ adds nothing
    above = {m: sorted(i for i in imports(m) if i != "wordseq" and layer(i) > layer(m))
             for m in MODULES if m != "wordseq"}
    assert not {m: i for m, i in above.items() if i}


def test_families_reach_each_other_only_through_the_store() -> None:
    others = {m: sorted(i for i in imports(m) if family(i) not in (None, family(m))) for m in MODULES if family(m)}
    assert not {m: i for m, i in others.items() if i}


def test_the_readme_lists_every_layer() -> None:
    readme = (PACKAGE.parent / "README.md").read_text()
    development = readme[readme.index("## Development"):]
    for names in LAYERS:
        for name in names:
            shown = name.replace(".", "/") + ("/" if (PACKAGE / name).is_dir() else ".py")
            assert f"`{shown}" in development or f"`{shown.rpartition('/')[2]}" in development, name
