"""Load time of a neural LM's weights: safetensors (today) against torch.load (wordseq 0.2).

The same checkpoint (config, vocabulary, weights of a 2×650 LSTM over 33 k words, about
50 M parameters: the size of the Tour's medium model) is written both ways, then read back
with ``load_checkpoint`` (the LM loader's own call: the legacy ``.pt`` goes through
``torch.load(weights_only=True)``, the ``.safetensors`` through safetensors), rounds
interleaved so machine noise hits both; best and median of the rounds. Also the size on
disk and the full resume file (weights, best weights, Adam's moments). Target: safetensors
loads no slower than torch.load.

    .venv/bin/python benchmarks/bench_model_files.py            # about a minute
    .venv/bin/python benchmarks/bench_model_files.py --smoke    # a small model, a few seconds
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import warnings
from pathlib import Path

import torch

from wordseq.errors import WordseqWarning
from wordseq.neural.config import LMConfig
from wordseq.neural.network import build_model
from wordseq.neural.storage import MAGIC, VERSION, Checkpoint, load_checkpoint, save_checkpoint
from wordseq.vocab import Vocabulary


def _checkpoint(words: int, size: int, resume: bool) -> Checkpoint:
    config = LMConfig(vocab_size=words + 4, layers=2, emb=size, hidden=size)
    model = build_model(config)
    vocab = Vocabulary(["<pad>", "<unk>", "<s>", "</s>", *(f"w{i}" for i in range(words))], [0] * 4 + [1] * words)
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    trainer = None
    if resume:
        optimizer = torch.optim.Adam(model.parameters())
        for p in model.parameters():
            p.grad = torch.randn_like(p)  # one step, so Adam's two moments exist
        optimizer.step()
        trainer = {"optimizer": optimizer.state_dict(), "best_model": {k: v.clone() for k, v in state.items()},
                   "epoch": 1, "position": 0, "history": [], "rng": torch.get_rng_state()}
    return Checkpoint(config, vocab, state, trainer)


def _legacy(path: Path, ckpt: Checkpoint) -> None:
    """What wordseq 0.2's save_checkpoint wrote."""
    data = {"format": MAGIC, "version": VERSION, "config": ckpt.config.to_dict(),
            "vocab": {"words": ckpt.vocab.itos, "counts": ckpt.vocab.counts}, "model": ckpt.model_state}
    if ckpt.trainer_state is not None:
        data["trainer"] = ckpt.trainer_state
    torch.save(data, path)


def _time(path: Path) -> float:
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", WordseqWarning)
        load_checkpoint(path)
    return time.perf_counter() - start


def compare(folder: Path, name: str, ckpt: Checkpoint, rounds: int) -> None:
    new, old = folder / f"{name}.safetensors", folder / f"{name}.pt"
    save_checkpoint(new, ckpt)
    _legacy(old, ckpt)
    times: dict[Path, list[float]] = {new: [], old: []}
    for _ in range(rounds):
        for path in (old, new):
            times[path].append(_time(path))
    for label, path in (("torch.load (0.2)", old), ("safetensors", new)):
        t = times[path]
        print(f"{name:6s} {label:17s} {path.stat().st_size / 1e6:8.1f} MB   best {min(t) * 1000:8.1f} ms   "
              f"median {statistics.median(t) * 1000:8.1f} ms")
    ratio = min(times[new]) / min(times[old])
    print(f"{name:6s} safetensors / torch.load: {ratio:.2f}x  {'OK' if ratio <= 1.0 else 'SLOWER'}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true", help="a small model, few rounds")
    args = ap.parse_args()
    torch.manual_seed(0)
    words, size, rounds = (2_000, 64, 3) if args.smoke else (33_000, 650, 7)
    with tempfile.TemporaryDirectory() as tmp:
        compare(Path(tmp), "model", _checkpoint(words, size, resume=False), rounds)
        compare(Path(tmp), "resume", _checkpoint(words, size, resume=True), max(rounds // 2, 2))


if __name__ == "__main__":
    main()
