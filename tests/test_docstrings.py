"""Every public name of the library has a docstring (``help(wordseq.train_lm)`` says what
it does): the names ``import wordseq`` offers, and every public class and function of the
library's modules. A dataclass's generated ``Name(field: type, ...)`` line does not count."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil

import wordseq

# the command line documents itself (--help); these modules are being rewritten in the
# same round (the search and the store), and are walked again once they settle
LEFT_OUT = ("wordseq.cli", "wordseq.__main__", "wordseq.store", "wordseq.decoding", "wordseq.generation",
            "wordseq.lm_interface")


def _undocumented(obj: object) -> bool:
    doc = (inspect.getdoc(obj) or "").strip() if not inspect.isclass(obj) else (obj.__doc__ or "").strip()
    generated = inspect.isclass(obj) and dataclasses.is_dataclass(obj) and doc.startswith(obj.__name__ + "(")
    return not doc or generated


def _public_names() -> dict[str, object]:
    names: dict[str, object] = {f"wordseq.{name}": getattr(wordseq, name) for name in wordseq._API}
    for info in pkgutil.walk_packages(wordseq.__path__, "wordseq."):
        if info.name.startswith(LEFT_OUT):
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if (not name.startswith("_") and (inspect.isclass(obj) or inspect.isfunction(obj))
                    and obj.__module__ == module.__name__):
                names[f"{module.__name__}.{name}"] = obj
    return names


def test_every_public_name_has_a_docstring() -> None:
    names = _public_names()
    assert len(names) > 300  # the walk found the library
    missing = sorted(name for name, obj in names.items() if _undocumented(obj))
    assert not missing, f"{len(missing)} public names without a docstring: {', '.join(missing)}"


def test_the_names_the_issue_lists_are_documented() -> None:
    from wordseq.neural.config import LMConfig
    from wordseq.neural.train import TrainConfig, Trainer

    for obj in (LMConfig, TrainConfig, Trainer):
        assert not _undocumented(obj), obj
    assert "Parameters\n    ----------" in (LMConfig.__doc__ or "")
