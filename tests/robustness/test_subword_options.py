"""--level subword / --subword × every training command: a missing subword model, one of
the wrong kind, a damaged one, --level subword without --subword and --subword without
the level are each one clear line (usage errors exit 2), with the store unchanged; and
`subword train --tokenizer` with files that are no tokenizer."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import CORPUS
from tests.robustness.conftest import SMALL_CLASSIFIER, SMALL_LM, SMALL_S2S, snapshot
from tests.robustness.test_bad_inputs import assert_one_clear_error

# command -> (arguments, the option that sets its level)
COMMANDS = {
    "tokenize": (["tokenize", "{corpus}"], "--level"),
    "vocab-build": (["vocab", "build", "{corpus}"], "--level"),
    "ngram-train": (["ngram", "train", "{corpus}", "--discount-fallback"], "--level"),
    "lm-train": (["lm", "train", "{corpus}", *SMALL_LM], "--level"),
    "train-embeddings": (["train-embeddings", "{corpus}", "--min-count", "1", "--epochs", "1", "--dim", "4"], "--level"),
    "classify-train": (["classify", "train", "{labelled}", *SMALL_CLASSIFIER], "--level"),
    "seq2seq-train": (["seq2seq", "train", "{pairs}", *SMALL_S2S], "--source-level"),
}
# case -> (extra arguments with {level} for the level option, exit code, words the error says)
CASES = {
    "missing": (["{level}", "subword", "--subword", "nosuch"], 1, "no subword model named 'nosuch'"),
    "wrong-kind": (["{level}", "subword", "--subword", "{ngram}"], 1, "holds a ngram model; this command takes subword"),
    "wrong-kind-name": (["{level}", "subword", "--subword", "ngram/stored"], 1, "names an ngram model; this command takes subword"),
    "damaged": (["{level}", "subword", "--subword", "{damaged}"], 1, "is not a SentencePiece model"),
    "changed": (["{level}", "subword", "--subword", "{changed}"], 1, "does not match the checksum"),
    "no-subword": (["{level}", "subword"], 2, "--subword NAME"),
    "no-level": (["--subword", "{subword}"], 2, "--subword"),
}


@pytest.fixture(scope="module")
def subwords(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A subword model, a copy whose tokenizer is garbage with a matching checksum, and a
    copy whose tokenizer was changed after it was saved."""
    from wordseq.cli import cli

    root = tmp_path_factory.mktemp("subwords")
    good = root / "bpe"
    result = CliRunner().invoke(cli, ["subword", "train", str(CORPUS), "-o", str(good), "--vocab", "400"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    damaged, changed = root / "damaged", root / "changed"
    for copy in (damaged, changed):
        shutil.copytree(good, copy)
        (copy / "tokenizer.model").write_bytes(b"\x0a\x05garbage that is no protobuf")
    meta = json.loads((damaged / "meta.json").read_text())
    meta["payload"]["tokenizer.model"] = hashlib.sha256((damaged / "tokenizer.model").read_bytes()).hexdigest()
    (damaged / "meta.json").write_text(json.dumps(meta))
    return {"subword": good, "damaged": damaged, "changed": changed}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_bad_subword_option_is_one_clear_line(command: str, case: str, models: dict[str, Path],
                                                subwords: dict[str, Path], wordseq_home: Path) -> None:
    from wordseq.cli import cli

    args, level = COMMANDS[command]
    extra, code, says = CASES[case]
    places = {**{k: str(v) for k, v in models.items()}, **{k: str(v) for k, v in subwords.items()}, "level": level}
    before = snapshot(wordseq_home)
    result = CliRunner().invoke(cli, [a.format(**places) for a in (*args, *extra)], catch_exceptions=False)
    if code == 2:
        assert result.exit_code == 2 and says in result.stderr and "Traceback" not in result.output, result.output
    else:
        assert_one_clear_error(result)
        assert says in result.stderr, result.stderr
    assert "saved" not in result.stderr
    assert snapshot(wordseq_home) == before


TOKENIZER_FILES: dict[str, bytes | None] = {
    "missing": None,
    "empty": b"",
    "truncated-json": b'{"version": "1.0", "model": {"type": "BPE", "vocab": {"a": 0',
    "other-json": b'{"kind": "ngram", "format_version": 2, "payload": {}}',
    "json-list": b"[1, 2, 3]",
    "unknown-model-type": b'{"version": "1.0", "model": {"type": "Quantum", "vocab": {}}}',
    "binary": b"\x7fELF\x02\x01\x01\x00\x00binary\x00data",
    "deep-json": b"[" * 100_000 + b"]" * 100_000,
}


@pytest.mark.parametrize("kind", list(TOKENIZER_FILES))
def test_a_corrupt_tokenizer_file_is_one_clear_line(kind: str, tmp_path: Path, wordseq_home: Path) -> None:
    from wordseq.cli import cli

    path = tmp_path / "tokenizer.json"
    content = TOKENIZER_FILES[kind]
    if content is not None:
        path.write_bytes(content)
    before = snapshot(wordseq_home)
    result = CliRunner().invoke(cli, ["subword", "train", "--tokenizer", str(path), "-o", "hf"], catch_exceptions=False)
    assert_one_clear_error(result)
    assert str(path) in result.stderr
    assert snapshot(wordseq_home) == before


def test_a_sentencepiece_model_is_not_a_tokenizer_json(subwords: dict[str, Path], wordseq_home: Path) -> None:
    from wordseq.cli import cli

    result = CliRunner().invoke(cli, ["subword", "train", "--tokenizer", str(subwords["subword"] / "tokenizer.model")],
                                catch_exceptions=False)
    assert_one_clear_error(result)
    assert "not a Hugging Face tokenizer file" in result.stderr


@pytest.mark.parametrize("args,option", [
    (["--vocab", "10"], "--vocab"),
    (["--vocab", "-1"], "--vocab"),
    (["--type", "wordpiece"], "--type"),
])
def test_bad_subword_train_options_are_usage_errors(args: list[str], option: str, wordseq_home: Path) -> None:
    from wordseq.cli import cli

    result = CliRunner().invoke(cli, ["subword", "train", str(CORPUS), *args], catch_exceptions=False)
    assert result.exit_code == 2 and option in result.stderr, result.output
    assert not (wordseq_home / "subword").exists()


def test_a_corpus_too_small_for_the_units_is_one_clear_line(tmp_path: Path, wordseq_home: Path) -> None:
    from wordseq.cli import cli

    small = tmp_path / "small.txt"
    small.write_text("the cat sat on the mat\n" * 10)
    result = CliRunner().invoke(cli, ["subword", "train", str(small), "--vocab", "8000"], catch_exceptions=False)
    assert_one_clear_error(result)
    assert "too small for this --vocab" in result.stderr


@pytest.mark.parametrize("text,vocab,says", [
    ("", "300", "the text has no lines to learn from"),
    ("".join(chr(0x4E00 + i) for i in range(600)) + "\n", "300",
     "--vocab 300 is below the 858 units that the text's characters and the 256 byte units need"),
])
def test_sentencepiece_refusals_speak_of_wordseqs_options(text: str, vocab: str, says: str, tmp_path: Path,
                                                           wordseq_home: Path) -> None:
    """Found by review: an empty corpus gave SentencePiece's assertion
    ('INTERNAL: src/trainer_interface.cc(467) [!sentences_.empty()]'), and a --vocab below
    the characters advised a --character_coverage option wordseq does not have."""
    from wordseq.cli import cli

    corpus = tmp_path / "c.txt"
    corpus.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["subword", "train", str(corpus), "--vocab", vocab], catch_exceptions=False)
    assert_one_clear_error(result)
    assert says in result.stderr and "character_coverage" not in result.stderr and "src/" not in result.stderr
