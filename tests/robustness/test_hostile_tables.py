"""Model folders whose payload files were doctored and their digests updated (as anyone
sharing a model can): every loader refuses them with one clear line (exit 1, as the
store's other damaged-model errors) instead of scoring with wrong numbers or failing
inside numpy."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from tests.robustness.test_bad_inputs import _run, assert_one_clear_error
from wordseq.errors import ModelError
from wordseq.store.meta import META_FILE, sha256_file


def _doctor(models: dict[str, Path], kind: str, tmp_path: Path, change: Callable[[Path], object]) -> Path:
    folder = Path(shutil.copytree(models[kind], tmp_path / kind))
    change(folder)
    meta = json.loads((folder / META_FILE).read_text())
    meta["payload"] = {name: sha256_file(folder / name) for name in meta["payload"]}
    (folder / META_FILE).write_text(json.dumps(meta))
    return folder


def _edit(name: str, how: Callable[[np.ndarray], np.ndarray]) -> Callable[[Path], None]:
    def change(folder: Path) -> None:
        np.save(folder / name, how(np.load(folder / name)))

    return change


def _set(i: int, value: float) -> Callable[[np.ndarray], np.ndarray]:
    def how(a: np.ndarray) -> np.ndarray:
        a = a.copy()
        a[i] = value
        return a

    return how


def _write(name: str, data: bytes) -> Callable[[Path], object]:
    return lambda folder: (folder / name).write_bytes(data)


def _npz(name: str) -> Callable[[Path], None]:
    def change(folder: Path) -> None:
        array = np.load(folder / name)
        with open(folder / name, "wb") as fh:
            np.savez(fh, a=array)

    return change


NGRAM_FILES = ["prob1.npy", "backoff1.npy", "prob2.npy", "backoff2.npy", "keys2.npy", "prob3.npy", "keys3.npy"]
NGRAM_CASES: dict[str, tuple[Callable[[Path], object], str]] = {
    "keys-reversed": (_edit("keys2.npy", lambda a: a[::-1].copy()), "keys2.npy: entries 0 and 1 are not in increasing order"),
    "key-out-of-range": (_edit("keys3.npy", _set(-1, 1 << 40)), "keys3.npy: a key is outside"),
    "key-negative": (_edit("keys2.npy", _set(0, -5)), "keys2.npy"),
    "nan-prob": (_edit("prob1.npy", _set(3, np.nan)), "prob1.npy: entry 3 is nan"),
    "positive-prob": (_edit("prob2.npy", _set(0, 0.5)), "prob2.npy: entry 0 is 0.5"),
    "infinite-backoff": (_edit("backoff1.npy", _set(2, np.inf)), "backoff1.npy: entry 2 is inf"),
    "nan-backoff": (_edit("backoff2.npy", _set(1, np.nan)), "backoff2.npy"),
    "wrong-dtype": (_edit("prob2.npy", lambda a: a.astype(np.float64)), "prob2.npy is damaged: expected float32"),
    "cut-short": (lambda f: (f / "keys3.npy").write_bytes((f / "keys3.npy").read_bytes()[:-8]), "keys3.npy is damaged"),
    "zip": (_npz("prob1.npy"), "prob1.npy is a zip archive"),
    "fewer-than-declared": (lambda f: [_edit(n, lambda a: a[:-1].copy())(f) for n in ("keys3.npy", "prob3.npy")],
                            "keys3.npy is damaged: expected int64 of shape"),
    **{f"empty-{name}": (_write(name, b""), f"{name} is empty") for name in NGRAM_FILES},
}


@pytest.mark.parametrize("case", list(NGRAM_CASES))
def test_a_doctored_ngram_table_is_refused(case: str, models: dict[str, Path], tmp_path: Path) -> None:
    change, says = NGRAM_CASES[case]
    folder = _doctor(models, "ngram", tmp_path, change)
    result = _run(["ngram", "eval", "{corpus}", "-m", str(folder)], models)
    assert_one_clear_error(result)
    assert says in result.stderr, result.stderr  # type: ignore[attr-defined]


COMPACT_CASES: dict[str, tuple[Callable[[Path], object], str]] = {
    "code-beyond-bins": (_edit("prob2.bins.npy", lambda a: a[:3].copy()), "prob2.codes.npy: a bin number is beyond the 3 bins"),
    "positive-bin": (_edit("prob3.bins.npy", lambda a: np.abs(a) + 0.5), "prob3.bins.npy: bin 0 is"),
    "nan-backoff-bin": (_edit("backoff2.bins.npy", lambda a: np.full_like(a, np.nan)), "backoff2.bins.npy: bin 0 is nan"),
    "first-decreasing": (_edit("keys3.first.npy", lambda a: a[::-1].copy()), "keys3.first.npy: not the starts"),
    "low-reversed": (_edit("keys2.low.npy", lambda a: a[::-1].copy()), "keys2.low.npy: entries 0 and 1 are not in increasing order"),
    "low-out-of-range": (_edit("keys3.low.npy", _set(-1, (1 << 32) - 1)), "keys3.low.npy: a key is outside"),
    "low-fewer-than-declared": (_edit("keys3.low.npy", lambda a: a[:-1].copy()), "keys3.low.npy is damaged: expected uint32"),
    "codes-wrong-dtype": (_edit("prob2.codes.npy", lambda a: a.astype(np.int64)), "prob2.codes.npy is damaged: expected uint8"),
}


@pytest.mark.parametrize("case", list(COMPACT_CASES))
def test_a_doctored_compact_table_is_refused(case: str, models: dict[str, Path], tmp_path: Path) -> None:
    compact = tmp_path / "compact"
    assert _run(["ngram", "compact", str(models["ngram"]), "-o", str(compact), "--quantize", "8"], models).exit_code == 0
    change, says = COMPACT_CASES[case]
    folder = _doctor({"ngram": compact}, "ngram", tmp_path, change)
    result = _run(["ngram", "eval", "{corpus}", "-m", str(folder)], models)
    assert_one_clear_error(result)
    assert says in result.stderr, result.stderr  # type: ignore[attr-defined]


def _torch_zip(folder: Path) -> None:
    import torch

    torch.save({"vectors": torch.zeros(3, 3)}, folder / "vectors.npy")


EMBEDDING_CASES: dict[str, tuple[Callable[[Path], object], str]] = {
    "empty": (_write("vectors.npy", b""), "vectors.npy is empty"),
    "npz": (_npz("vectors.npy"), "vectors.npy is a zip archive"),
    "torch-save": (_torch_zip, "vectors.npy is a zip archive"),
    "nan": (_edit("vectors.npy", _set(2, np.nan)), "vectors.npy is damaged: row 2"),
    "other-dim": (_edit("vectors.npy", lambda a: a[:, :4].copy()), "vectors.npy is damaged: expected float32 of shape"),
    "pickle": (_write("vectors.npy", b"\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00K\x01."), "vectors.npy is not a .npy array"),
}
EMBEDDING_COMMANDS = {
    "similar": ["similar", "cat", "-m", "{m}"],
    "analogy": ["analogy", "cat", "dog", "mat", "-m", "{m}"],
    "export": ["embeddings", "export", "{m}", "{out}"],
}


@pytest.mark.parametrize("case", list(EMBEDDING_CASES))
@pytest.mark.parametrize("command", list(EMBEDDING_COMMANDS))
def test_a_doctored_vectors_file_is_refused(command: str, case: str, models: dict[str, Path], tmp_path: Path) -> None:
    change, says = EMBEDDING_CASES[case]
    folder = _doctor(models, "embeddings", tmp_path, change)
    args = [a.format(m=folder, out=tmp_path / "out.txt") for a in EMBEDDING_COMMANDS[command]]
    result = _run(args, models)
    assert_one_clear_error(result)
    assert says in result.stderr, result.stderr  # type: ignore[attr-defined]


@pytest.mark.parametrize("kind,case", [("embeddings", "npz"), ("embeddings", "empty"), ("ngram", "empty-prob1.npy"),
                                       ("ngram", "keys-reversed")])
def test_wordseq_load_raises_a_model_error(kind: str, case: str, models: dict[str, Path], tmp_path: Path) -> None:
    import wordseq

    change = (EMBEDDING_CASES if kind == "embeddings" else NGRAM_CASES)[case][0]
    folder = _doctor(models, kind, tmp_path, change)
    with pytest.raises(ModelError):
        wordseq.load(str(folder))


def test_a_passed_check_is_remembered_while_the_file_is_unchanged(tmp_path: Path) -> None:
    """As the digest stamp: a large payload is checked once, not on every load."""
    from wordseq.store.meta import _STAMP_BYTES, checked_before, remember_check, verify_payload

    path = tmp_path / "big.npy"
    path.write_bytes(b"x" * _STAMP_BYTES)
    assert not checked_before(path, "finite")
    remember_check(path, "finite")
    assert checked_before(path, "finite") and not checked_before(path, "other")
    verify_payload(tmp_path, {"payload": {"big.npy": sha256_file(path)}})  # the digest stamp keeps the check
    assert checked_before(path, "finite")
    path.write_bytes(b"y" * _STAMP_BYTES)
    assert not checked_before(path, "finite")


def _nan_weight(key: str) -> Callable[[Path], None]:
    """A NaN in the first floating-point tensor of the torch payload's state."""

    def change(folder: Path) -> None:
        import torch

        from wordseq.store.tensors import read_tensors, write_tensors

        data = read_tensors(folder / "model.safetensors")
        state = data[key]
        name = next(k for k, v in state.items() if v.is_floating_point() and v.numel() > 1)
        state[name].view(-1)[1] = float("nan")
        write_tensors(folder / "model.safetensors", data)
        del torch

    return change


TORCH_KINDS = {
    "lm": ("model", ["lm", "eval", "{corpus}", "-m", "{m}"]),
    "classifier": ("state", ["classify", "predict", "{corpus}", "-m", "{m}"]),
    "seq2seq": ("model", ["transduce", "{pairs}", "-m", "{m}"]),
}


@pytest.mark.parametrize("kind", list(TORCH_KINDS))
def test_a_nan_weight_in_a_torch_payload_is_refused(kind: str, models: dict[str, Path], tmp_path: Path) -> None:
    key, args = TORCH_KINDS[kind]
    folder = _doctor(models, kind, tmp_path, _nan_weight(key))
    result = _run([a.replace("{m}", str(folder)) for a in args], models)
    assert_one_clear_error(result)
    assert "model.safetensors is damaged" in result.stderr and "not finite" in result.stderr  # type: ignore[attr-defined]


def _truncated(folder: Path) -> None:
    data = (folder / "model.safetensors").read_bytes()
    (folder / "model.safetensors").write_bytes(data[: len(data) // 2])


def _foreign(folder: Path) -> None:
    import torch
    from safetensors.torch import save_file

    save_file({"weights": torch.zeros(3)}, str(folder / "model.safetensors"))


SAFETENSORS_CASES: dict[str, tuple[Callable[[Path], object], str]] = {
    "truncated": (_truncated, "model.safetensors is not a safetensors file"),
    "pickle": (_write("model.safetensors", b"\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00K\x01."),
               "model.safetensors is not a safetensors file"),
    "empty": (_write("model.safetensors", b""), "model.safetensors is not a safetensors file"),
    "foreign": (_foreign, "not a wordseq payload"),
}
# what reads a torch payload besides the kind's own commands: the exports (-o is filled in)
EXPORTS = {"onnx": ["models", "export", "{m}", "--format", "onnx", "-o"],
           "hf": ["models", "export", "{m}", "--format", "hf", "-o"]}


@pytest.mark.parametrize("case", list(SAFETENSORS_CASES))
@pytest.mark.parametrize("kind", list(TORCH_KINDS))
@pytest.mark.parametrize("command", ["use", *EXPORTS])
def test_a_doctored_safetensors_payload_is_refused(command: str, kind: str, case: str, models: dict[str, Path],
                                                   tmp_path: Path) -> None:
    if command == "onnx" and kind == "seq2seq":
        pytest.skip("seq2seq models are not exported to ONNX")
    if command == "onnx":
        pytest.importorskip("onnxruntime")  # the 'export' extra
    change, says = SAFETENSORS_CASES[case]
    folder = _doctor(models, kind, tmp_path, change)
    out = tmp_path / "out"
    args = TORCH_KINDS[kind][1] if command == "use" else [*EXPORTS[command], str(out)]
    result = _run([a.replace("{m}", str(folder)) for a in args], models)
    assert_one_clear_error(result)
    assert says in result.stderr, result.stderr  # type: ignore[attr-defined]
    assert not out.exists()
