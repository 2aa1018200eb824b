"""Pictures: training curves and vector maps are real, non-blank PNGs; a missing
matplotlib is one clear line."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import invoke, save_vectors_model

pytest.importorskip("matplotlib")


def assert_picture(path: Path, min_width: int = 300) -> None:
    import matplotlib.image as mpimg

    pixels = mpimg.imread(path)
    assert pixels.shape[1] >= min_width and pixels.shape[0] >= 200
    assert pixels[..., :3].std() > 0.01  # not one flat colour


def _lm_meta(name: str, ppls: list[float]) -> None:
    from wordseq.store import model_dir, new_meta, save_model

    history = [{"epoch": i + 1, "train_ppl": p * 1.2, "valid_ppl": p} for i, p in enumerate(ppls)]
    save_model(model_dir(name, "lm"), new_meta("lm", training={"history": history}), lambda d: None)


def test_models_plot_draws_several_models_on_one_chart(runner: CliRunner, tmp_path: Path) -> None:
    _lm_meta("small", [300, 200, 180])
    _lm_meta("large", [250, 150, 120, 110])
    out = tmp_path / "curves.png"
    result = invoke(runner, ["models", "plot", "small", "lm/large", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "perplexity per epoch for 2 model(s)" in result.stderr
    assert_picture(out)


def test_models_plot_of_a_model_without_history_is_a_clear_error(runner: CliRunner, tmp_path: Path) -> None:
    _lm_meta("empty", [])
    result = invoke(runner, ["models", "plot", "empty", "-o", str(tmp_path / "x.png")])
    assert result.exit_code == 1 and "no per-epoch figures" in result.stderr
    assert not (tmp_path / "x.png").exists()


def test_embeddings_plot_maps_words_and_neighbours(runner: CliRunner, tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(40)]
    save_vectors_model("v", words, rng.normal(size=(40, 16)))
    out = tmp_path / "map.png"
    result = invoke(runner, ["embeddings", "plot", "v", "w1", "w2", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert_picture(out)
    top = invoke(runner, ["embeddings", "plot", "v", "--top", "30", "-o", str(tmp_path / "top.png")])
    assert top.exit_code == 0 and "30 words (pca)" in top.stderr


def test_pca_keeps_the_main_direction() -> None:
    from wordseq.plots import project_2d

    x = np.zeros((50, 5))
    x[:, 3] = np.linspace(-10, 10, 50)
    x[:, 1] = np.random.default_rng(0).normal(scale=0.1, size=50)
    xy = project_2d(x)
    assert abs(np.corrcoef(xy[:, 0], x[:, 3])[0, 1]) > 0.99


def test_without_matplotlib_the_error_names_the_extra(runner: CliRunner, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    _lm_meta("m", [100, 90])
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    result = invoke(runner, ["models", "plot", "m", "-o", str(tmp_path / "c.png")])
    assert result.exit_code == 1 and "pip install 'wordseq[plot]'" in result.stderr


def test_checks_within_an_epoch_are_drawn_where_they_happened() -> None:
    """Reported: the Tour's LSTM (five checks an epoch) was drawn with every check of an
    epoch stacked at the same x, a vertical bar of points per epoch."""
    from wordseq.plots import curve_points

    history = [{"epoch": 1, "at_epoch": 0.2, "valid_ppl": 400.0}, {"epoch": 1, "at_epoch": 0.4, "valid_ppl": 300.0},
               {"epoch": 1, "at_epoch": 1.0, "end_of_epoch": True, "valid_ppl": 250.0},
               {"epoch": 2, "at_epoch": 1.5, "valid_ppl": float("nan")}]
    assert curve_points(history, "valid_ppl") == [(0.2, 400.0), (0.4, 300.0), (1.0, 250.0)]
    assert curve_points([{"epoch": 1, "valid_wer": 0.5}, {"epoch": 2, "valid_wer": 0.4}], "valid_wer") == [(1.0, 0.5), (2.0, 0.4)]
