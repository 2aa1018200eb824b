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


def _saved_meta(name: str, kind: str, history: list[dict]) -> None:  # type: ignore[type-arg]
    from wordseq.store import model_dir, new_meta, save_model

    training = {"history": history} if history else {}
    save_model(model_dir(name, kind), new_meta(kind, training=training), lambda d: None)


def test_models_plot_names_what_it_leaves_out_and_why(runner: CliRunner, tmp_path: Path) -> None:
    _lm_meta("small", [300, 200, 180])
    _saved_meta("tri", "ngram", [])
    result = invoke(runner, ["models", "plot", "small", "ngram/tri", "-o", str(tmp_path / "c.png")])
    assert result.exit_code == 0, result.output
    assert "left out ngram/tri: an n-gram model is counted, not trained in epochs" in result.stderr
    assert "for 1 model(s)" in result.stderr


def test_curves_have_readable_log_ticks_integer_epochs_and_say_dev_for_seq2seq() -> None:
    from wordseq.plots import curve_figure

    lm = {"kind": "lm", "training": {"history": [{"epoch": i, "train_ppl": p * 1.3, "valid_ppl": p}
                                                 for i, p in [(1, 420.0), (2, 260.0), (3, 190.0)]]}}
    s2s = {"kind": "seq2seq", "training": {"history": [{"epoch": i, "train_loss": x, "valid_loss": x, "valid_wer": x / 3}
                                                       for i, x in [(1, 0.9), (2, 0.6), (3, 0.5)]]}}
    fig, panels = curve_figure([("news", lm), ("g2p", s2s)])
    axes = dict(zip(panels, fig.axes))
    fig.canvas.draw()
    ppl = axes["perplexity"]
    assert ppl.get_yscale() == "log"
    labels = [t.get_text() for t in ppl.get_yticklabels() + ppl.get_yticklabels(minor=True) if t.get_text()]
    assert labels and all("^" not in t and "$" not in t for t in labels)  # 200, 300 ... not 10^2
    for ax in fig.axes:
        ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
        assert ticks and all(float(t).is_integer() for t in ticks)
    legend = [t.get_text() for t in axes["word error rate"].get_legend().get_texts()]
    assert legend == ["g2p dev"]
    assert [t.get_text() for t in axes["perplexity"].get_legend().get_texts()] == ["news train", "news valid"]


def test_embeddings_map_of_top_words_skips_punctuation_and_stopwords(runner: CliRunner, tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    words = ["the", ",", ".", "of", "film", "movie", "actor", "director", "story", "plot", "--", "scene", "music"]
    save_vectors_model("v", words, rng.normal(size=(len(words), 8)))
    result = invoke(runner, ["embeddings", "plot", "v", "--top", "5", "-o", str(tmp_path / "m.png")])
    assert result.exit_code == 0, result.output
    assert "5 words (pca): film, movie, actor, director, story" in result.stderr
    assert "left out 4 punctuation / stopword entries (--all-words keeps them)" in result.stderr
    assert "the 2 axes explain" in result.stderr and "% of the variance" in result.stderr
    every = invoke(runner, ["embeddings", "plot", "v", "--top", "4", "--all-words", "-o", str(tmp_path / "a.png")])
    assert "4 words (pca): the, ,, ., of" in every.stderr


def test_embeddings_map_explains_its_colours() -> None:
    from wordseq.plots import embedding_figure

    rng = np.random.default_rng(1)
    xy = rng.normal(size=(6, 2))
    fig = embedding_figure(xy, ["a", "b", "c", "d", "e", "f"], chosen=[True, False, False, True, False, False],
                           title="PCA")
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["words asked for", "their neighbours"]
