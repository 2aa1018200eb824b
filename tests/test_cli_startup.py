"""Start-up costs the CLI avoids: NLTK imported without the scipy.stats and scikit-learn
it would load for features wordseq never uses."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import sys
{before}
from wordseq.cli.startup import import_nltk_quickly
from wordseq.text.preprocess import PreprocessConfig
import_nltk_quickly(PreprocessConfig())
print("nltk" in sys.modules, "scipy.stats" in sys.modules, "sklearn" in sys.modules)
# masked only while NLTK imported: no placeholder is left to make a later import fail
print(all(name not in sys.modules for name in ("scipy.stats", "sklearn")))
"""


def _run(before: str) -> list[str]:
    proc = subprocess.run([sys.executable, "-c", CHECK.format(before=before)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout.split()


def test_nltk_imports_without_scipy_stats_and_sklearn() -> None:
    assert _run("") == ["True", "False", "False", "True"]


def test_nltk_imports_without_them_when_scipy_is_already_loaded() -> None:
    """A linear classifier loads scipy.sparse first: NLTK was then imported whole, with
    scipy.stats and scikit-learn (seconds of ``classify predict``'s start-up)."""
    assert _run("import scipy.sparse") == ["True", "False", "False", "True"]
