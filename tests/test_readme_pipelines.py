"""The README's "In pipelines" examples run as they are, in bash, on the shipped data."""

from __future__ import annotations

import shutil

import pytest

from tests.readme_runs import Run, pipelines


def test_the_readme_has_three_pipelines() -> None:
    assert len(pipelines()) == 3


@pytest.mark.docs
@pytest.mark.xdist_group("readme")
@pytest.mark.skipif(shutil.which("jq") is None, reason="jq is not installed")
def test_readme_pipelines_run(readme_pipelines_run: Run) -> None:
    similar, scores, gensim = readme_pipelines_run.outputs
    assert len(similar.splitlines()) == 3 and all("\t" in line for line in similar.splitlines())
    lines = scores.splitlines()
    assert len(lines) >= 2 and all(x.isdigit() for x in lines[:-1])  # the hard lines' numbers, then the most surprising line
    assert "\t" in lines[-1]
    assert gensim.startswith("[(") and gensim.splitlines()[-1].count("\t") == 1
