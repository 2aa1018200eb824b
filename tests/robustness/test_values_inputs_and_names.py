"""Issue 20's cases of values, inputs and names: each an internal error, a hang or a
refusal before its fix, now one clear line (or the expected result)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner


def run(args: list[object], input: str | bytes | None = None):  # type: ignore[no-untyped-def]
    from wordseq.cli import cli

    return CliRunner().invoke(cli, [str(a) for a in args], input=input, catch_exceptions=False)


def assert_one_clear_error(result: object, code: int = 1) -> None:
    assert result.exit_code == code, result.output  # type: ignore[attr-defined]
    lines = result.stderr.strip().splitlines()  # type: ignore[attr-defined]
    assert "internal error" not in result.stderr and "Traceback" not in result.output, result.output  # type: ignore[attr-defined]
    assert lines and lines[-1].startswith("Error: "), result.output  # type: ignore[attr-defined]


def _with_preprocessing(models: dict[str, Path], kind: str, tmp_path: Path, **fields: object) -> Path:
    """A copy of the ``kind`` model whose meta.json says ``fields`` about its preprocessing."""
    folder = tmp_path / kind
    shutil.copytree(models[kind], folder)
    meta = json.loads((folder / "meta.json").read_text())
    if kind == "seq2seq":
        meta["preprocessing"]["source"].update(fields)
    else:
        meta["preprocessing"].update(fields)
    (folder / "meta.json").write_text(json.dumps(meta))
    return folder


COMMAND_OF = {
    "ngram": ["ngram", "eval", "{corpus}", "-m", "{model}"],
    "lm": ["lm", "eval", "{corpus}", "-m", "{model}"],
    "embeddings": ["similar", "cat", "-m", "{model}"],
    "classifier": ["classify", "predict", "{corpus}", "-m", "{model}"],
    "seq2seq": ["transduce", "{corpus}", "-m", "{model}"],
}
BAD_PREPROCESSING = [
    {"stopwords": "words.txt", "stopword_list": 5},
    {"stopwords": "words.txt", "stopword_list": [1, 2]},
    {"lower": "yes"},
    {"stem": 3},
    {"stem": "quantum"},
    {"level": ["word"]},
]


@pytest.mark.parametrize("fields", BAD_PREPROCESSING, ids=lambda f: "-".join(f"{k}={v}" for k, v in f.items()))
@pytest.mark.parametrize("kind", list(COMMAND_OF))
def test_damaged_preprocessing_in_meta_is_a_model_error(kind: str, fields: dict[str, object], models: dict[str, Path],
                                                        tmp_path: Path) -> None:
    folder = _with_preprocessing(models, kind, tmp_path, **fields)
    result = run([a.format(corpus=models["corpus"], model=folder) for a in COMMAND_OF[kind]])
    assert_one_clear_error(result)
    assert "preprocessing" in result.stderr


@pytest.mark.parametrize("option", [["--min-count", str(10**12)], ["--vocab", "{nowords}"]])
def test_an_ngram_vocabulary_of_only_the_specials_is_refused(option: list[str], models: dict[str, Path],
                                                            tmp_path: Path, wordseq_home: Path) -> None:
    from tests.robustness.conftest import snapshot

    nowords = tmp_path / "nowords.txt"
    nowords.write_text("zebra giraffe\n")
    before = snapshot(wordseq_home)
    result = run(["ngram", "train", models["corpus"], "--discount-fallback", "-o", "only-specials",
                  *[o.format(nowords=nowords) for o in option]])
    assert_one_clear_error(result)
    assert option[0] in result.stderr and "no word" in result.stderr
    assert snapshot(wordseq_home) == before


def test_transduce_refuses_a_source_line_too_long_to_decode(models: dict[str, Path], tmp_path: Path) -> None:
    from wordseq.errors import InputError
    from wordseq.seq2seq.transducer import MAX_SOURCE_TOKENS
    from wordseq.store import load

    text = tmp_path / "long.txt"
    text.write_text("cat\n" + "cat " * 50_000 + "\n")  # 200,000 characters on line 2
    result = run(["transduce", text, "-m", models["seq2seq"]])
    assert_one_clear_error(result)
    assert "line 2" in result.stderr and f"{MAX_SOURCE_TOKENS:,}" in result.stderr
    model = load(str(models["seq2seq"]), "seq2seq")
    unit = "c" if model.source_preprocess.level == "char" else "c "  # one token
    for call in (lambda: model.transduce([unit * (MAX_SOURCE_TOKENS + 1)]),
                 lambda: model.attention(unit * (MAX_SOURCE_TOKENS + 1))):
        with pytest.raises(InputError, match="tokens"):
            call()
    assert len(model.transduce([unit * MAX_SOURCE_TOKENS])[0].source_tokens) == MAX_SOURCE_TOKENS
