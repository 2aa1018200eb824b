"""Bad input files × every command that reads one: one clear line, exit 1, no hang, and
the store unchanged. Inputs a user sends legitimately (a BOM, CRLF, a FIFO, a pipe) work."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.robustness.conftest import SMALL_CLASSIFIER, SMALL_LM, SMALL_S2S, TEXT, snapshot

BAD_FILES: dict[str, bytes | str | None] = {
    "missing": None,
    "directory": "dir",
    "empty": b"",
    "kenlm-binary": b"mmap lm http://kheafield.com/code format version 5\n\x00\x00\x00\x00\x00\x80?",
    "binary": b"\x7fELF\x02\x01\x01\x00\x00\x00\x00binary\x00\x00data\n",
    "bad-utf8": b"fine line\nbad \xff\xfe byte\n",
    "corrupt-gzip": gzip.compress(TEXT.encode())[:10] + b"\x00garbage" * 20,
    # 300 good lines, then the stream stops mid-block (a longer good part only makes
    # transduce decode more lines before it meets the damage)
    "truncated-gzip": gzip.compress(TEXT.encode() * 50)[:100],
}

# {f}: the bad file; {corpus}, {ngram}, {lm}, {emb}: the session's good inputs and models
COMMANDS = {
    "tokenize": ["tokenize", "{f}"],
    "vocab-build": ["vocab", "build", "{f}"],
    "vocab-show": ["vocab", "show", "{f}"],
    "train-embeddings": ["train-embeddings", "{f}", "--min-count", "1", "--epochs", "1", "--dim", "4"],
    "ngram-train": ["ngram", "train", "{f}", "--discount-fallback"],
    "ngram-eval": ["ngram", "eval", "{f}", "-m", "{ngram}"],
    "ngram-import": ["ngram", "import", "{f}"],
    "ngram-eval-arpa": ["ngram", "eval", "{corpus}", "-m", "{f}"],
    "ngram-mix-model": ["ngram", "mix", "{ngram}", "{f}", "--weights", "0.5", "0.5", "-o", "{f}.mixed"],
    "ngram-mix-tune": ["ngram", "mix", "{ngram}", "{ngram}", "--tune", "{f}", "-o", "{f}.mixed"],
    "lm-train": ["lm", "train", "{f}", *SMALL_LM],
    "lm-train-valid": ["lm", "train", "{corpus}", "--valid", "{f}", *SMALL_LM],
    "lm-train-test": ["lm", "train", "{corpus}", "--test", "{f}", *SMALL_LM],
    "lm-eval": ["lm", "eval", "{f}", "-m", "{lm}"],
    "embeddings-import": ["embeddings", "import", "{f}"],
    "embeddings-export-words": ["embeddings", "export", "{emb}", "{f}.vec", "--words", "{f}"],
    "eval-analogies": ["eval", "analogies", "{f}", "-m", "{emb}"],
    "eval-similarity": ["eval", "similarity", "{f}", "-m", "{emb}"],
    "generate-model": ["generate", "-m", "{f}"],
    "similar-model": ["similar", "cat", "-m", "{f}"],
    "seq2seq-train": ["seq2seq", "train", "{f}", *SMALL_S2S],
    "seq2seq-train-dev": ["seq2seq", "train", "{pairs}", "--dev", "{f}", *SMALL_S2S],
    "seq2seq-eval": ["seq2seq", "eval", "{f}", "-m", "{s2s}"],
    "seq2seq-convert-cmudict": ["seq2seq", "convert-cmudict", "{f}", "-o", "{f}.split"],
    "transduce": ["transduce", "{f}", "-m", "{s2s}"],
    "transduce-model": ["transduce", "-m", "{f}"],
    "classify-train": ["classify", "train", "{f}", *SMALL_CLASSIFIER],
    "classify-train-class": ["classify", "train", "--class", "pos={f}", "--class", "neg={corpus}", *SMALL_CLASSIFIER],
    "classify-eval": ["classify", "eval", "{f}", "-m", "{classifier}"],
    "classify-model": ["classify", "predict", "{corpus}", "-m", "{f}"],
    "subword-train": ["subword", "train", "{f}", "--vocab", "300"],
    "subword-import": ["subword", "train", "--tokenizer", "{f}"],
    "subword-model": ["tokenize", "{corpus}", "--level", "subword", "--subword", "{f}"],
}


def _make(tmp_path: Path, kind: str) -> Path:
    path = tmp_path / f"input-{kind}"
    content = BAD_FILES[kind]
    if content == "dir":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    return path


def _run(args: list[str], models: dict[str, Path], f: Path | str = "") -> Result:
    from wordseq.cli import cli

    filled = [a.format(f=f, corpus=models["corpus"], ngram=models["ngram"], lm=models["lm"], emb=models["embeddings"],
                       pairs=models["pairs"], s2s=models["seq2seq"], classifier=models["classifier"])
              for a in args]
    return CliRunner().invoke(cli, filled, catch_exceptions=False)


def assert_one_clear_error(result: object, code: int = 1) -> None:
    out = result.output  # type: ignore[attr-defined]
    assert result.exit_code == code, out  # type: ignore[attr-defined]
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]  # type: ignore[attr-defined]
    assert len(errors) == 1, result.stderr  # type: ignore[attr-defined]
    assert "internal error" not in errors[0] and "Traceback" not in out


@pytest.mark.parametrize("bad", list(BAD_FILES))
@pytest.mark.parametrize("command", list(COMMANDS))
def test_bad_file_gives_one_clear_line_and_changes_nothing(command: str, bad: str, models: dict[str, Path],
                                                           tmp_path: Path, wordseq_home: Path) -> None:
    f = _make(tmp_path, bad)
    before = snapshot(wordseq_home)
    result = _run(COMMANDS[command], models, f)
    assert_one_clear_error(result)
    assert snapshot(wordseq_home) == before


def test_no_file_argument_means_stdin(models: dict[str, Path]) -> None:
    from wordseq.cli import cli

    runner = CliRunner()
    for args in (["tokenize"], ["vocab", "build"], ["ngram", "train", "--discount-fallback", "-o", "s1"],
                 ["train-embeddings", "--min-count", "1", "--epochs", "1", "--dim", "4", "-o", "s2"],
                 ["lm", "train", *SMALL_LM, "-o", "s3"], ["ngram", "eval", "-m", str(models["ngram"])],
                 ["lm", "eval", "-m", str(models["lm"])], ["transduce", "-m", str(models["seq2seq"])],
                 ["seq2seq", "train", *SMALL_S2S, "-o", "s4"],
                 ["seq2seq", "eval", "-m", str(models["seq2seq"])]):
        text = models["pairs"].read_text() if args[0] == "seq2seq" else TEXT
        result = runner.invoke(cli, args, input=text, catch_exceptions=False)
        assert result.exit_code == 0, (args, result.output)


def test_a_bom_and_crlf_line_ends_are_read_as_text(tmp_path: Path, models: dict[str, Path]) -> None:
    f = tmp_path / "bom.txt"
    f.write_bytes(b"\xef\xbb\xbfHello world\r\nsecond line\r\n")
    result = _run(["tokenize", "{f}"], models, f)
    assert result.exit_code == 0 and result.stdout == "hello world\nsecond line\n"  # type: ignore[attr-defined]


def test_a_fifo_path_is_read_once_and_whole(tmp_path: Path, models: dict[str, Path]) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_text(TEXT))
    writer.start()
    result = _run(["tokenize", "{f}"], models, fifo)
    writer.join(5)
    assert result.exit_code == 0 and len(result.stdout.splitlines()) == TEXT.count("\n")  # type: ignore[attr-defined]


@pytest.mark.parametrize("path_form", ["<(cat {f})", "/dev/stdin < {f}"])
def test_pipes_given_as_paths_lose_no_line(path_form: str, tmp_path: Path) -> None:
    # before: the reader opened the path twice, and the first 8 KB went to the sniffing
    f = tmp_path / "text.txt"
    f.write_text("".join(f"line number {i} of a file long enough to need several reads\n" for i in range(3000)))
    # --pretokenized: the reader is under test, and the child then never imports nltk
    cmd = f"{sys.executable} -m wordseq tokenize --pretokenized {path_form.format(f=f)} | wc -l"
    out = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "3000", out.stderr


def test_dev_zero_like_input_stops_at_the_first_block(tmp_path: Path, models: dict[str, Path]) -> None:
    zeros = tmp_path / "zeros"
    zeros.write_bytes(b"\x00" * (8 << 20))
    result = _run(["vocab", "build", "{f}"], models, zeros)
    assert_one_clear_error(result)
    assert "line 1: NUL byte" in result.stderr  # type: ignore[attr-defined]


def test_a_very_long_line_is_read_in_linear_time(tmp_path: Path, models: dict[str, Path]) -> None:
    import time

    long = tmp_path / "long.txt"
    long.write_bytes(b"w " * (6 << 20) + b"\n")  # 12 MB on one line: 1.7 s before, 24 s for 52 MB
    start = time.perf_counter()
    result = _run(["tokenize", "{f}", "--pretokenized"], models, long)
    assert result.exit_code == 0
    assert time.perf_counter() - start < 10


def test_corrupt_compressed_valid_and_test_files_are_input_errors(tmp_path: Path, models: dict[str, Path]) -> None:
    bad = _make(tmp_path, "corrupt-gzip")
    for command in ("lm-train-valid", "lm-train-test"):
        result = _run(COMMANDS[command], models, bad)
        assert_one_clear_error(result)
        assert "damaged compressed file" in result.stderr  # type: ignore[attr-defined]


@pytest.mark.processes
def test_a_killed_tokenize_leaves_no_worker_behind(tmp_path: Path) -> None:
    import signal
    import time

    # a FIFO kept open: the run waits for more input with its worker started
    fifo = tmp_path / "input"
    os.mkfifo(fifo)
    out = tmp_path / "out.txt"
    proc = subprocess.Popen([sys.executable, "-m", "wordseq", "tokenize", str(fifo), "--workers", "2", "-o", str(out)],
                            stderr=subprocess.DEVNULL)
    feed = open(fifo, "w")
    feed.write("The quick brown fox jumps over the lazy dog.\n" * 20000)
    feed.flush()
    children: list[str] = []
    deadline = time.time() + 30
    while not children and time.time() < deadline:
        time.sleep(0.2)
        children = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    feed.close()

    def running(pid: str) -> bool:
        try:
            return "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()
        except OSError:
            return False

    deadline = time.time() + 10
    while time.time() < deadline and any(running(c) for c in children):
        time.sleep(0.2)
    assert children and not [c for c in children if running(c)]
    # the killed run's temporary file is removed by the next write to the same output
    text = tmp_path / "text.txt"
    text.write_text("a line\n")
    subprocess.run([sys.executable, "-m", "wordseq", "tokenize", str(text), "-o", str(out), "-q"], check=True, timeout=120)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["input", "out.txt", "text.txt"]
