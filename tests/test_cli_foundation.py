from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import CORPUS, assert_golden, invoke


def test_version_and_help(runner: CliRunner) -> None:
    from wordseq import __version__

    assert __version__ in invoke(runner, ["--version"]).output
    result = invoke(runner, ["--help"])
    assert result.exit_code == 0 and "tokenize" in result.output


def test_importing_the_cli_stays_light() -> None:
    code = "import sys, wordseq.cli; heavy = {'torch', 'gensim', 'nltk', 'numpy', 'rich'} & set(sys.modules); print(sorted(heavy))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_python_dash_m_runs_the_cli() -> None:
    out = subprocess.run([sys.executable, "-m", "wordseq", "--version"], capture_output=True, text=True, check=True)
    assert "wordseq" in out.stdout


def test_tokenize_stdin_to_stdout(runner: CliRunner) -> None:
    result = invoke(runner, ["tokenize", "--lemmatize"], input="The geese were running\n")
    assert result.exit_code == 0
    assert result.stdout == "the goose be run\n"


def test_tokenize_keeps_one_line_per_input_line(runner: CliRunner, tmp_path: Path) -> None:
    src = tmp_path / "in.txt"
    src.write_text("First line. Two sentences!\n\n  \nLast\n")
    out = invoke(runner, ["-q", "tokenize", str(src)]).stdout.split("\n")
    assert out == ["first line . two sentences !", "", "", "last", ""]
    out = invoke(runner, ["-q", "tokenize", str(src), "--sentences"]).stdout.splitlines()
    assert out == ["first line .", "two sentences !", "last"]


def test_tokenize_real_corpus_with_workers_matches_one_worker(runner: CliRunner, tmp_path: Path) -> None:
    gz = tmp_path / "corpus.txt.gz"
    gz.write_bytes(gzip.compress(CORPUS.read_bytes()))
    one = invoke(runner, ["-q", "tokenize", str(CORPUS), "--stem", "porter", "--lemmatize"]).stdout
    two_out = tmp_path / "two.txt"
    result = invoke(runner, ["-q", "tokenize", str(gz), "--stem", "porter", "--lemmatize", "--workers", "2", "-o", str(two_out)])
    assert result.exit_code == 0
    assert two_out.read_text() == one
    assert len(one.splitlines()) == len(CORPUS.read_text().splitlines())
    assert_golden("tokenize_lee_stem_lemmatize_head20.txt", "".join(one.splitlines(keepends=True)[:20]))


@pytest.mark.parametrize(
    "setup,args,code,message",
    [
        (None, ["tokenize", "missing.txt"], 1, "missing.txt: no such file"),
        (None, ["tokenize", "."], 1, "is a directory"),
        ("binary", ["tokenize", "{f}"], 1, "binary file"),
        ("badutf8", ["tokenize", "{f}"], 1, "line 2: invalid UTF-8"),
        ("empty", ["tokenize", "{f}"], 1, "input is empty"),
        (None, ["tokenize", "--stem", "nope"], 2, "Invalid value for '--stem'"),
        (None, ["tokenize", "--level", "char", "--lemmatize"], 2, "cannot be used with --level char"),
        ("empty", ["vocab", "build", "{f}"], 1, "input is empty"),
        (None, ["vocab", "show", "missing.tsv"], 1, "missing.tsv: no such file"),
        (None, ["models", "show", "nothing"], 1, "no wordseq model named 'nothing'; 'wordseq models list' shows"),
        (None, ["generate"], 1, "no lm or ngram model named 'default'"),
    ],
)
def test_bad_input_gives_one_clear_line(runner: CliRunner, tmp_path: Path, setup, args, code, message) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "input"
    content = {"binary": b"\x00\x01\x02ELF", "badutf8": b"ok\nbad \xff\n", "empty": b""}
    if setup:
        f.write_bytes(content[setup])
    result = invoke(runner, [a.format(f=f) for a in args])
    assert result.exit_code == code
    assert message in result.stderr
    assert "Traceback" not in result.output
    if code == 1:
        assert result.stderr.startswith("Error: ")
        assert len(result.stderr.strip().splitlines()) == 1


def test_encoding_errors_replace_reports_the_count(runner: CliRunner, tmp_path: Path) -> None:
    f = tmp_path / "bad.txt"
    f.write_bytes(b"ok\nbad \xff\xfe here\n")
    result = invoke(runner, ["tokenize", str(f), "--encoding-errors", "replace"])
    assert result.exit_code == 0
    assert result.stdout.splitlines() == ["ok", "bad \ufffd\ufffd here"]
    assert "replaced 2 invalid UTF-8 byte(s)" in result.stderr


def test_output_file_is_not_left_behind_on_error(runner: CliRunner, tmp_path: Path) -> None:
    f = tmp_path / "bad.txt"
    f.write_bytes(b"ok\n" * 5000 + b"\xff\n")
    out = tmp_path / "out.txt"
    assert invoke(runner, ["tokenize", str(f), "-o", str(out)]).exit_code == 1
    assert not out.exists() and list(tmp_path.iterdir()) == [f]


def test_vocab_build_and_show(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "v.tsv"
    result = invoke(runner, ["vocab", "build", str(CORPUS), "--min-count", "3", "-o", str(out)])
    assert result.exit_code == 0 and "coverage" in result.stderr
    assert_golden("vocab_lee_min3.tsv", out.read_text())
    lines = out.read_text().splitlines()
    assert [line.split("\t")[0] for line in lines[:5]] == ["<pad>", "<unk>", "<s>", "</s>", "the"]
    counts = [int(line.split("\t")[1]) for line in lines[4:]]
    assert counts == sorted(counts, reverse=True) and min(counts) >= 3
    as_json = invoke(runner, ["vocab", "show", str(out), "--top", "3", "--json"]).stdout
    assert_golden("vocab_show_top3.json", as_json.replace(str(out), "VOCAB"))
    shown = json.loads(as_json)
    assert [w["word"] for w in shown["top"]] == ["the", ".", ","]
    plain = invoke(runner, ["-q", "vocab", "show", str(out), "--top", "2"]).stdout
    assert_golden("vocab_show_top2.tsv", plain.replace(str(out), "VOCAB"))


def test_models_list_empty_then_show_and_rm(runner: CliRunner, wordseq_home: Path) -> None:
    from wordseq import store

    assert invoke(runner, ["models", "list", "--json"]).stdout.strip() == "[]"
    store.save_model(store.model_dir("demo", "ngram"), store.new_meta("ngram", summary="toy"), lambda d: None)
    listed = invoke(runner, ["models", "list", "--json"]).stdout.replace(str(wordseq_home), "WORDSEQ_HOME")
    # the time and meta.json's size (it names the libraries loaded) vary; the rest is data
    listed = re.sub(r'"bytes": \d+', '"bytes": BYTES', re.sub(r'"created": "[^"]+"', '"created": "CREATED"', listed))
    assert_golden("models_list_demo.json", listed)
    assert invoke(runner, ["-q", "models", "list"]).stdout.startswith("ngram\tdemo\t")
    assert json.loads(invoke(runner, ["models", "show", "demo"]).stdout)["kind"] == "ngram"
    assert invoke(runner, ["models", "rm", "demo", "--yes"]).exit_code == 0
    assert invoke(runner, ["models", "list", "--json"]).stdout.strip() == "[]"


def test_broken_pipe_ends_quietly(tmp_path: Path) -> None:
    cmd = f"{sys.executable} -m wordseq tokenize {CORPUS} --pretokenized | head -n 1"  # no nltk in the child
    proc = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True)
    assert proc.stdout.startswith("hundreds of people")
    assert "Traceback" not in proc.stderr and "Error" not in proc.stderr


@pytest.mark.parametrize("workers", ["1", "2"])
def test_bad_bytes_deep_in_a_large_file_are_found_on_their_line(runner: CliRunner, tmp_path: Path, workers: str) -> None:
    # 30 k lines span about 20 read blocks; the bad byte sits in a late one
    lines = [b"plain words on a line"] * 30000
    lines[-1] = b"the last line"
    lines[25678] = b"bad \xff byte"
    lines[28000] = b"more \xfe\xfd"
    f = tmp_path / "big.txt"
    f.write_bytes(b"\n".join(lines) + b"\n")
    strict = invoke(runner, ["tokenize", str(f), "--workers", workers])
    assert strict.exit_code == 1
    assert f"{f}: line 25679: invalid UTF-8 byte 0xff at column 5" in strict.stderr
    replaced = invoke(runner, ["tokenize", str(f), "--workers", workers, "--encoding-errors", "replace"])
    assert replaced.exit_code == 0
    out = replaced.stdout.splitlines()
    assert len(out) == 30000 and out[25678] == "bad \ufffd byte" and out[29999] == "the last line"
    assert "replaced 3 invalid UTF-8 byte(s)" in replaced.stderr


def test_reader_byte_blocks_count_lines_like_plain_reading(tmp_path: Path) -> None:
    from wordseq.text.reader import CorpusReader, decode_block

    f = tmp_path / "t.txt"
    f.write_bytes(b"".join(b"line %d\r\n" % i for i in range(20000)) + b"no newline at end")
    plain = CorpusReader([str(f)])
    expected = list(plain)
    blocks = CorpusReader([str(f)])
    got, starts = [], []
    for label, first, data in blocks.byte_blocks():
        starts.append(first)
        got.extend(decode_block(label, first, data, "strict")[0])
        assert first == len(got) - len(decode_block(label, first, data, "strict")[0]) + 1
    assert got == expected and len(starts) > 3
    assert blocks.sources[0].to_dict() == plain.sources[0].to_dict()
