"""`models export NAME --format onnx`: the graph onnxruntime runs gives wordseq's numbers."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from tests.conftest import invoke

ort = pytest.importorskip("onnxruntime")
Session = Any  # onnxruntime.InferenceSession (its stubs are not installed)

TEXT = "the cat sat on the mat .\nthe dog sat on the log .\na cat and a dog met .\n" * 30
HELD_OUT = "the dog sat on the mat .\na cat met a dog .\nthe log sat .\n" * 4
SMALL = ["--emb", "8", "--bptt", "8", "--batch-size", "4", "--epochs", "1", "--seed", "3"]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("onnx")
    (root / "corpus.txt").write_text(TEXT)
    (root / "held.txt").write_text(HELD_OUT)
    (root / "labelled.tsv").write_text(
        "".join(f"{'pos' if 'dog' in line else 'neg'}\t{line}\n" for line in TEXT.splitlines()))
    return {"root": root, "corpus": root / "corpus.txt", "held": root / "held.txt", "labelled": root / "labelled.tsv"}


def _train(files: dict[str, Path], name: str, args: list[str]) -> Path:
    out = files["root"] / name
    if not out.exists():
        result = invoke(CliRunner(), [*args, "-o", str(out), "-q"])
        assert result.exit_code == 0, result.output
    return out


def _lm(files: dict[str, Path], cell: str) -> Path:
    extra = ["--layers", "2", "--hidden", "12"] if cell != "transformer" else ["--layers", "2", "--hidden", "16", "--heads", "2"]
    return _train(files, cell, ["lm", "train", str(files["corpus"]), "--cell", cell, *extra, *SMALL])


def _export(model: Path, out: Path) -> Session:
    result = invoke(CliRunner(), ["models", "export", str(model), "--format", "onnx", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "onnxruntime matches torch" in result.stderr
    return ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])


def _zeros(session: Session, batch: int) -> dict[str, np.ndarray]:
    return {i.name: np.zeros((1, batch, i.shape[2]), dtype=np.float32) for i in session.get_inputs() if i.name != "input_ids"}


def _step(session: Session, ids: np.ndarray, state: dict[str, np.ndarray]) -> tuple[np.ndarray, dict]:
    out = session.run(None, {"input_ids": ids, **state})
    names = [o.name for o in session.get_outputs()]
    return out[0], {n.removeprefix("new_"): v for n, v in zip(names[1:], out[1:])}


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_recurrent_lm_logits_and_state_equal_torch(cell: str, files: dict[str, Path], tmp_path: Path) -> None:
    import wordseq

    path = _lm(files, cell)
    session = _export(path, tmp_path / "lm.onnx")
    lm = wordseq.load(str(path), device="cpu")
    rng = np.random.default_rng(0)
    ids = rng.integers(2, len(lm.vocab), size=(2, 5, 3))  # two windows of 5 steps, 3 columns
    state = _zeros(session, 3)
    hidden = lm.model.init_hidden(3)
    for window in ids:
        got, state = _step(session, window, state)
        with torch.no_grad():
            want, hidden = lm.model.next_logprobs(torch.from_numpy(window), hidden)
            full, _ = lm.model.features(torch.from_numpy(window), hidden)
        assert np.allclose(got[-1], want.numpy(), atol=1e-4)  # the carried state gives the same next step
    assert np.isneginf(got[..., 0]).all()  # <pad> is never predicted


def _onnx_perplexity(session: Session, ids: np.ndarray, bptt: int, batch_size: int = 10) -> float:
    """score_stream's column layout (lm eval), the scoring done by onnxruntime."""
    n = len(ids) - 1
    cols = max(1, min(batch_size, n // bptt))
    rows = math.ceil(n / cols)
    padded = np.zeros(cols * rows + 1, dtype=np.int64)
    padded[: n + 1] = ids
    inputs, targets = padded[:-1].reshape(cols, rows).T, padded[1:].reshape(cols, rows).T
    state, logprob, tokens = _zeros(session, cols), 0.0, 0
    for i in range(0, rows, bptt):
        x, y = inputs[i : i + bptt], targets[i : i + bptt]
        lp, state = _step(session, np.ascontiguousarray(x), state)
        picked = np.take_along_axis(lp, y[..., None], axis=-1)[..., 0]
        real = y != 0
        logprob += float(picked[real].astype(np.float64).sum())
        tokens += int(real.sum())
    return math.exp(-logprob / tokens)


def test_an_exported_lstm_scores_held_out_text_as_lm_eval(files: dict[str, Path], tmp_path: Path) -> None:
    import wordseq
    from wordseq.neural.data import encode_text
    from wordseq.text.preprocess import Preprocessor
    from wordseq.text.reader import open_corpus

    path = _lm(files, "lstm")
    session = _export(path, tmp_path / "lm.onnx")
    result = invoke(CliRunner(), ["lm", "eval", str(files["held"]), "-m", str(path), "--json"])
    expected = json.loads(result.stdout)["perplexity"]
    lm = wordseq.load(str(path), device="cpu")
    stream = encode_text(open_corpus(str(files["held"])), Preprocessor(lm.preprocess), lm.vocab)
    bptt = lm.meta["config"]["train"]["bptt"]
    assert _onnx_perplexity(session, stream.ids, bptt) == pytest.approx(expected, rel=1e-4)


def test_greedy_generation_through_onnxruntime_equals_wordseqs(files: dict[str, Path], tmp_path: Path) -> None:
    import wordseq

    path = _lm(files, "lstm")
    session = _export(path, tmp_path / "lm.onnx")
    meta = session.get_modelmeta().custom_metadata_map
    words = json.loads(meta["wordseq.vocab"])  # the runtime's vocabulary comes with the file
    lm = wordseq.load(str(path), device="cpu")
    for prompt in ("the", "a dog", ""):
        expected = lm.generate(prompt, greedy=True, max_tokens=12)[0].tokens
        ids = [words.index("</s>"), *(words.index(w) for w in prompt.split())]
        logits, state = _step(session, np.array(ids, dtype=np.int64)[:, None], _zeros(session, 1))
        got: list[str] = []
        while len(got) < 12:
            scores = logits[-1, 0].copy()
            scores[words.index("<unk>")] = -np.inf
            token = int(scores.argmax())
            got.append(words[token])
            if words[token] == "</s>":
                break
            logits, state = _step(session, np.array([[token]], dtype=np.int64), state)
        assert got == expected, prompt


def test_transformer_lm_decodes_step_by_step_with_its_cache(files: dict[str, Path], tmp_path: Path) -> None:
    import wordseq

    path = _lm(files, "transformer")
    session = _export(path, tmp_path / "tr.onnx")
    lm = wordseq.load(str(path), device="cpu")
    cfg = lm.model.config
    ids = np.array([[3, 5, 6, 7, 8, 5], [4, 9, 5, 6, 2, 3]], dtype=np.int64) % cfg.vocab_size
    empty = {i.name: np.zeros((2, cfg.heads, 0, cfg.emb // cfg.heads), dtype=np.float32)
             for i in session.get_inputs() if i.name != "input_ids"}
    whole = session.run(None, {"input_ids": ids, **empty})[0]
    with torch.no_grad():
        out, _ = lm.model.features(torch.from_numpy(ids).t())
        want = lm.model.decoder.log_probs(out).transpose(0, 1).numpy()
    assert np.allclose(whole, want, atol=1e-4)
    cache = empty
    for t in range(ids.shape[1]):  # one token at a time, the cache fed back
        out = session.run(None, {"input_ids": ids[:, t : t + 1], **cache})
        names = [o.name for o in session.get_outputs()]
        cache = {n.replace("present_", "past_"): v for n, v in zip(names[1:], out[1:])}
        assert np.allclose(out[0][:, 0], want[:, t], atol=1e-4)


@pytest.mark.parametrize("encoder", [["--encoder", "bow"], ["--encoder", "bilstm", "--hidden", "8", "--pool", "attention"],
                                     ["--encoder", "gru", "--hidden", "8", "--pool", "max"]])
def test_classifier_logits_equal_torch(encoder: list[str], files: dict[str, Path], tmp_path: Path) -> None:
    import wordseq
    from wordseq.classify.encoding import make_batch

    path = _train(files, "-".join(encoder[1:2]) + encoder[-1], ["classify", "train", str(files["labelled"]), *encoder,
                                                                 "--emb", "8", "--epochs", "2"])
    session = _export(path, tmp_path / "c.onnx")
    clf = wordseq.load(str(path), device="cpu")
    texts = ["the dog sat", "a cat and a dog met on the log .", "mat", "unknown words only"]
    for rows in ([0, 1, 2, 3], [1], [2, 0]):
        encoded = clf.encode(clf.tokenize([texts[r] for r in rows]))
        batch = make_batch(encoded, range(len(rows)))
        feed = {"input_ids": batch.ids.numpy(), "lengths": batch.lengths.numpy()}
        if batch.bigrams is not None:
            feed["bigram_ids"] = batch.bigrams.numpy()
        got = session.run(None, feed)[0]
        with torch.no_grad():
            want = clf.network(batch).logits.numpy()
        assert np.allclose(got, want, atol=1e-4)
    meta = session.get_modelmeta().custom_metadata_map
    assert json.loads(meta["wordseq.labels"]) == clf.labels


def test_export_errors_are_one_line(files: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    ngram = _train(files, "ng", ["ngram", "train", str(files["corpus"]), "--discount-fallback"])
    result = invoke(runner, ["models", "export", str(ngram), "--format", "onnx", "-o", str(tmp_path / "x.onnx")])
    assert result.exit_code == 1 and "takes lm or classifier models" in result.stderr
    lm = _lm(files, "lstm")
    result = invoke(runner, ["models", "export", str(lm), "--format", "onnx", "-o", str(tmp_path)])
    assert result.exit_code == 1 and "is a directory" in result.stderr
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # as when the extra is not installed
    result = invoke(runner, ["models", "export", str(lm), "--format", "onnx", "-o", str(tmp_path / "x.onnx")])
    assert result.exit_code == 1 and "pip install 'wordseq[export]'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not (tmp_path / "x.onnx").exists()


def test_export_to_stdout_and_over_an_existing_file(files: dict[str, Path], tmp_path: Path) -> None:
    lm = _lm(files, "gru")
    from wordseq.cli import cli

    result = CliRunner().invoke(cli, ["models", "export", str(lm), "--format", "onnx", "-o", "-"], catch_exceptions=False)
    assert result.exit_code == 0 and result.stdout_bytes[:2] == b"\x08\x08"  # an ONNX protobuf (ir_version field)
    target = tmp_path / "old.onnx"
    target.write_bytes(b"old")
    _export(lm, target)
    assert target.read_bytes() == result.stdout_bytes
