"""wordseq ngram train / eval / export / import, and generate on n-gram models."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import CORPUS, HELDOUT, assert_golden, invoke


@pytest.fixture(scope="module")
def trained_once(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The trigram model of the corpus's first 80 lines, trained once for the module:
    (its training text, its folder in a store of its own)."""
    folder = tmp_path_factory.mktemp("ngram_tri")
    small = folder / "train.txt"
    small.write_text("\n".join(CORPUS.read_text(encoding="utf-8").splitlines()[:80]) + "\n", encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WORDSEQ_HOME", str(folder / "home"))
        result = invoke(CliRunner(), ["ngram", "train", str(small), "--order", "3", "-o", "tri"])
    assert result.exit_code == 0, result.output
    return small, folder / "home" / "ngram" / "tri"


@pytest.fixture
def trained(trained_once: tuple[Path, Path], wordseq_home: Path) -> Path:
    """That model as "tri" in this test's own store (a copy: a test may replace it)."""
    small, model = trained_once
    shutil.copytree(model, wordseq_home / "ngram" / "tri")
    return small


def test_train_eval_plain_and_json(runner, trained) -> None:  # type: ignore[no-untyped-def]
    result = invoke(runner, ["ngram", "eval", str(HELDOUT), "-m", "tri", "--encoding-errors", "replace"])
    assert result.exit_code == 0
    assert_golden("ngram_eval_heldout.tsv", result.stdout)
    fields = dict(line.split("\t") for line in result.stdout.strip().splitlines())
    assert float(fields["perplexity"]) > float(fields["perplexity_excl_oov"]) > 1
    assert int(fields["sentences"]) == 50
    as_json = invoke(runner, ["ngram", "eval", str(HELDOUT), "-m", "tri", "--json", "--encoding-errors", "replace"]).stdout
    assert_golden("ngram_eval_heldout.json", as_json)
    doc = json.loads(as_json)
    assert doc["tokens"] == int(fields["tokens"]) and doc["oov"] > 0
    assert doc["logprob_ln"] == pytest.approx(doc["logprob_log10"] * 2.302585093, rel=1e-6)


def test_per_line_scores_sum_to_the_total(runner, trained) -> None:  # type: ignore[no-untyped-def]
    as_json = invoke(runner, ["ngram", "eval", str(trained), "-m", "tri", "--per-line", "--json"]).stdout
    assert_golden("ngram_eval_per_line.json", as_json.replace(str(trained), "TRAIN"))
    doc = json.loads(as_json)
    assert len(doc["per_line"]) == doc["sentences"] == 80
    assert sum(s["logprob_log10"] for s in doc["per_line"]) == pytest.approx(doc["logprob_log10"])
    plain = invoke(runner, ["-q", "ngram", "eval", str(trained), "-m", "tri", "--per-line"]).stdout
    assert_golden("ngram_eval_per_line.tsv", plain)
    assert len(plain.splitlines()) == 80 and len(plain.splitlines()[0].split("\t")) == 4


def test_export_import_and_arpa_as_model(runner, trained, tmp_path) -> None:  # type: ignore[no-untyped-def]
    arpa = tmp_path / "tri.arpa"
    assert invoke(runner, ["ngram", "export", "tri", str(arpa)]).exit_code == 0
    assert arpa.read_text(encoding="utf-8").startswith("\\data\\\nngram 1=")
    direct = invoke(runner, ["ngram", "eval", str(trained), "-m", str(arpa), "--json"])
    via_model = invoke(runner, ["ngram", "eval", str(trained), "-m", "tri", "--json"])
    assert json.loads(direct.stdout)["perplexity"] == pytest.approx(json.loads(via_model.stdout)["perplexity"], rel=1e-5)
    assert invoke(runner, ["ngram", "import", str(arpa), "-o", "imported"]).exit_code == 0
    again = invoke(runner, ["ngram", "eval", str(trained), "-m", "imported", "--json"])
    assert json.loads(again.stdout)["perplexity"] == pytest.approx(json.loads(direct.stdout)["perplexity"])
    listed = invoke(runner, ["models", "list"]).stdout
    assert "imported" in listed and "tri" in listed


@pytest.mark.parametrize("mode", [["--greedy"], ["--beam", "4", "--num", "2"], ["--num", "3", "--seed", "7"]])
def test_generate_from_ngram_model(runner, trained, mode) -> None:  # type: ignore[no-untyped-def]
    result = invoke(runner, ["generate", "-m", "tri", "--prompt", "the", "--max-tokens", "12", "--json", *mode])
    assert result.exit_code == 0, result.output
    assert_golden(f"ngram_generate{''.join(mode)}.json", result.stdout)
    doc = json.loads(result.stdout)
    assert doc["results"] and all(r["tokens"] for r in doc["results"])
    assert all(r["prompt_tokens"] == ["the"] for r in doc["results"])
    assert all("<unk>" not in r["tokens"] and "<s>" not in r["tokens"] for r in doc["results"])


def test_generate_with_seed_is_reproducible_on_arpa_file(runner, trained, tmp_path) -> None:  # type: ignore[no-untyped-def]
    arpa = tmp_path / "m.arpa"
    invoke(runner, ["ngram", "export", "tri", str(arpa)])
    a = invoke(runner, ["generate", "-m", str(arpa), "--seed", "3", "--num", "2"]).stdout
    b = invoke(runner, ["generate", "-m", str(arpa), "--seed", "3", "--num", "2"]).stdout
    assert a == b and len(a.splitlines()) == 2
    assert_golden("ngram_generate_arpa--seed3--num2.txt", a)


def test_char_level_model(runner, tmp_path) -> None:  # type: ignore[no-untyped-def]
    names = tmp_path / "names.txt"
    names.write_text("anna\nhannah\nhanna\nanne\n", encoding="utf-8")
    assert invoke(runner, ["ngram", "train", str(names), "--level", "char", "--order", "4",
                           "--smoothing", "witten-bell", "-o", "chars"]).exit_code == 0
    as_json = invoke(runner, ["ngram", "eval", str(names), "-m", "chars", "--json"]).stdout
    assert_golden("ngram_eval_char_witten_bell.json", as_json)
    doc = json.loads(as_json)
    assert doc["oov"] == 0 and doc["tokens"] == 4 + 6 + 5 + 4 + 4


@pytest.mark.parametrize("order", ["0", "10"])
def test_bad_order(runner, trained, order) -> None:  # type: ignore[no-untyped-def]
    result = invoke(runner, ["ngram", "train", str(trained), "--order", order])
    assert result.exit_code == 2 and "--order: must be between 1 and 9" in result.stderr


def test_empty_corpus(runner, tmp_path) -> None:  # type: ignore[no-untyped-def]
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n", encoding="utf-8")
    result = invoke(runner, ["ngram", "train", str(empty)])
    assert result.exit_code == 1 and "no tokens" in result.stderr


def test_stupid_backoff_refuses_perplexity_and_add_k_refuses_arpa(runner, trained, tmp_path) -> None:  # type: ignore[no-untyped-def]
    invoke(runner, ["ngram", "train", str(trained), "--smoothing", "stupid-backoff", "-o", "sb"])
    result = invoke(runner, ["ngram", "eval", str(trained), "-m", "sb"])
    assert result.exit_code == 1 and "stupid backoff" in result.stderr and "perplexity" in result.stderr
    invoke(runner, ["ngram", "train", str(trained), "--smoothing", "add-k", "--k", "0.1", "-o", "addk"])
    assert invoke(runner, ["ngram", "eval", str(trained), "-m", "addk"]).exit_code == 0
    result = invoke(runner, ["ngram", "export", "addk", str(tmp_path / "x.arpa")])
    assert result.exit_code == 1 and "ARPA cannot hold it exactly" in result.stderr


def test_text_with_only_oovs(runner, trained, tmp_path) -> None:  # type: ignore[no-untyped-def]
    text = tmp_path / "oov.txt"
    text.write_text("zzyzx qwxq\nblorft\n", encoding="utf-8")
    result = invoke(runner, ["ngram", "eval", str(text), "-m", "tri"])
    assert result.exit_code == 1 and "none of the 3 tokens" in result.stderr


def test_small_corpus_mkn_error_names_discount_fallback(runner, tmp_path) -> None:  # type: ignore[no-untyped-def]
    tiny = tmp_path / "tiny.txt"
    tiny.write_text("a b\nb\n", encoding="utf-8")
    result = invoke(runner, ["ngram", "train", str(tiny)])
    assert result.exit_code == 1 and "--discount-fallback" in result.stderr
    result = invoke(runner, ["ngram", "train", str(tiny), "--discount-fallback"])
    assert result.exit_code == 0 and "fallback discounts" in result.stderr


def test_malformed_arpa_on_the_command_line(runner, tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.arpa"
    bad.write_text("\\data\\\nngram 1=2\n\n\\1-grams:\n-1\t</s>\nnot-a-number\ta\n\\end\\\n", encoding="utf-8")
    result = invoke(runner, ["ngram", "eval", str(CORPUS), "-m", str(bad)])
    assert result.exit_code == 1 and "line 6" in result.stderr and "Traceback" not in result.output


def test_train_reads_stdin_when_no_file_is_given(runner, tmp_path) -> None:  # type: ignore[no-untyped-def]
    text = "\n".join(CORPUS.read_text(encoding="utf-8").splitlines()[:40]) + "\n"
    result = invoke(runner, ["ngram", "train", "--order", "2", "-o", str(tmp_path / "m")], input=text)
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("1 ") and "D1=" in result.stderr  # lmplz-style statistics
    meta = json.loads((tmp_path / "m" / "meta.json").read_text(encoding="utf-8"))
    assert meta["corpus"][0]["name"] == "-" and meta["config"]["order"] == 2
    assert {p.name for p in (tmp_path / "m").iterdir()} - {".wordseq-model"} == {
        "meta.json", "vocab.tsv", "prob1.npy", "backoff1.npy", "prob2.npy", "keys2.npy"}


@pytest.mark.parametrize("args,message", [
    (["--vocab", "x.txt", "--max-vocab", "5"], "give one of them"),
    (["--smoothing", "add-k", "--prune", "0", "1"], "need a backoff model"),
    (["--prune", "0", "2", "1"], "must not decrease"),
])
def test_option_combinations_that_cannot_work(runner, trained, args, message) -> None:  # type: ignore[no-untyped-def]
    result = invoke(runner, ["ngram", "train", str(trained), *args])
    assert result.exit_code == 2 and message in result.stderr  # option errors are usage errors


def test_model_tables_are_memory_mapped_float32(runner, trained, wordseq_home) -> None:  # type: ignore[no-untyped-def]
    import numpy as np

    from wordseq.ngram.storage import open_ngram

    model = open_ngram("tri")
    assert model.tables.prob[2].dtype == np.float32 and model.tables.keys[2].dtype == np.int64
    assert isinstance(model.tables.prob[2].base, np.memmap) or isinstance(getattr(model.tables.prob[2].base, "base", None), np.memmap)


PROMPTS = ["the government", "", "police said", "the", "a man"]


@pytest.mark.parametrize("mode", [["--greedy"], ["--beam", "4", "--num", "2"], ["--num", "2", "--seed", "7"],
                                  ["--greedy", "--no-repeat-ngram", "2"]])
def test_generate_reads_one_prompt_per_line_and_answers_each_in_order(runner, trained, tmp_path, mode) -> None:  # type: ignore[no-untyped-def]
    """The same outputs as one --prompt at a time, blank lines included; greedy and beam
    decode the prompts as one batch (--batch-size 2 splits them across batches too)."""
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("\n".join(PROMPTS) + "\n")
    common = ["generate", "-m", "tri", "--max-tokens", "8", *mode]
    one_by_one = []
    for p in PROMPTS:
        result = invoke(runner, [*common, "--prompt", p])
        assert result.exit_code == 0, result.output
        one_by_one.append("\t".join(result.stdout.splitlines()))
    from_file = invoke(runner, [*common, str(prompts), "--batch-size", "2"])
    assert from_file.exit_code == 0, from_file.output
    assert from_file.stdout.splitlines() == one_by_one
    assert_golden(f"ngram_generate_lines{''.join(mode)}.txt", from_file.stdout)
    from_stdin = invoke(runner, [*common, "-"], input="\n".join(PROMPTS) + "\n")
    assert from_stdin.stdout == from_file.stdout


def test_generate_nl_gives_one_json_object_per_prompt_line(runner, trained) -> None:  # type: ignore[no-untyped-def]
    result = invoke(runner, ["generate", "-m", "tri", "--greedy", "--max-tokens", "5", "--nl", "-"],
                    input="the\n\nzzzqx police\n")
    assert result.exit_code == 0, result.output
    assert_golden("ngram_generate_lines.jsonl", result.stdout)
    docs = [json.loads(line) for line in result.stdout.splitlines()]
    assert [d["line"] for d in docs] == [1, 2, 3] and [d["prompt"] for d in docs] == ["the", "", "zzzqx police"]
    assert all(len(d["results"]) == 1 and d["results"][0]["tokens"] for d in docs)
    assert "read as <unk>: zzzqx" in result.stderr
    as_json = invoke(runner, ["generate", "-m", "tri", "--greedy", "--max-tokens", "5", "--json", "-"], input="the\n\n").stdout
    assert_golden("ngram_generate_lines.json", as_json)
    whole = json.loads(as_json)
    assert [d["prompt"] for d in whole["prompts"]] == ["the", ""]


@pytest.mark.parametrize("args, input, message", [
    (["--prompt", "the", "-"], "a\n", "not both"),
    (["--nl"], None, "--nl is for FILES"),
    (["-"], "", "input is empty"),
    (["-"], "the\nzzzqx\n", "line 2: no word of the prompt"),
])
def test_generate_from_lines_refuses_what_it_cannot_answer(runner, trained, args, input, message) -> None:  # type: ignore[no-untyped-def]
    result = invoke(runner, ["generate", "-m", "tri", "--greedy", *args], input=input)
    assert result.exit_code in (1, 2) and message in result.stderr


def test_importing_an_arpa_file_loads_no_tokenizer(tmp_path: Path) -> None:
    """ngram import only records the preprocessing settings: NLTK (0.4 s) stays unloaded."""
    import subprocess
    import sys

    arpa = tmp_path / "m.arpa"
    arpa.write_text("\\data\\\nngram 1=3\n\n\\1-grams:\n-1\t<s>\t0\n-1\t</s>\n-0.5\tcat\n\n\\end\\\n")
    code = ("import sys; from wordseq.cli import main; sys.argv = ['wordseq', *sys.argv[1:]]\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\nprint('nltk' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, "ngram", "import", str(arpa), "-o", str(tmp_path / "m")],
                         capture_output=True, text=True, env={**os.environ, "WORDSEQ_HOME": str(tmp_path)})
    assert out.stdout.strip().splitlines()[-1] == "False", out.stderr
    assert (tmp_path / "m" / "meta.json").is_file()
