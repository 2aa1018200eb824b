"""Neural LMs and classifiers as ONNX graphs, for runtimes outside Python.

An LSTM / GRU / RNN language model takes ``input_ids`` (T, B) int64 and its recurrent
state (``state_K_h`` and, for an LSTM, ``state_K_c``: (1, B, size) per layer K, zeros to
start) and gives ``logits`` (T, B, V: log-probabilities, ``-inf`` for ``<pad>`` / ``<s>``)
and the new state (``new_state_K_h`` ...): feed the new state back with the next ids and
a runtime decodes step by step. A Transformer LM takes ``input_ids`` (B, T) and its
key/value cache (``past_key_K``, ``past_value_K``: (B, heads, P, dim/heads), P = 0 to
start) and gives ``logits`` (B, T, V) and the cache with the T new positions
(``present_key_K`` ...); past ``context`` positions (in the metadata) wordseq restarts the
window from its last half. A classifier takes ``input_ids`` (B, T, 0-padded), ``lengths``
(B,) and, for bow with bigrams, ``bigram_ids`` (B, T), and gives ``logits`` (B, classes).

The file's metadata (``metadata_props``) holds what a runtime needs beside the graph:
``wordseq.kind``, ``wordseq.config``, ``wordseq.preprocessing`` and the vocabularies
(``wordseq.vocab``, ``wordseq.bigrams``: JSON lists, index = id), the labels. Each export
is run once through onnxruntime and compared with torch before it is written.
Needs the optional ``wordseq[export]`` extra (onnx, onnxruntime).
"""

from __future__ import annotations

import io
import json
import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from wordseq.errors import ModelError
from wordseq.export import refuse_linear
from wordseq.store import load, output_file

EXTRA_HINT = "pip install 'wordseq[export]'"
OPSET = 17
TOLERANCE = 1e-4


def require_export_extra() -> None:
    """The one error line when onnx / onnxruntime are missing."""
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError as exc:
        raise ModelError(f"ONNX export needs the '{exc.name}' package: {EXTRA_HINT}") from None


@dataclass
class Graph:
    """A network made ready to trace: the wrapper, example inputs, names and dynamic axes."""

    module: nn.Module
    inputs: dict[str, torch.Tensor]
    outputs: list[str]
    axes: dict[str, dict[int, str]]


@dataclass
class OnnxExport:
    """What ``export_onnx`` wrote and how close onnxruntime came to torch."""

    path: str
    kind: str
    inputs: list[str]
    outputs: list[str]
    max_difference: float


class RecurrentLM(nn.Module):
    """An ``RNNModel`` with its state as flat tensors (ONNX has no nested inputs)."""

    def __init__(self, model: Any) -> None:
        super().__init__()
        self.model = model
        self.parts = 2 if model.config.cell == "lstm" else 1

    def forward(self, input_ids: torch.Tensor, *state: torch.Tensor) -> tuple[torch.Tensor, ...]:
        p = self.parts
        hidden = [tuple(state[i : i + p]) for i in range(0, len(state), p)]
        out, new = self.model.features(input_ids, hidden)
        return (self.model.decoder.log_probs(out), *(t for layer in new for t in layer))


def _positions(length: int, offset: int, dim: int) -> torch.Tensor:
    """``sinusoidal_positions`` with a length and offset the graph reads from its inputs'
    shapes (sizes are traced as graph values, not constants)."""
    position = (torch.arange(length) + offset).float().unsqueeze(1)
    div = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(10000.0) / dim))
    pairs = torch.stack([torch.sin(position * div), torch.cos(position * div)], dim=-1)
    return pairs.reshape(pairs.size(0), -1)[:, :dim]


class CachedTransformerLM(nn.Module):
    """A ``TransformerModel`` step with its key/value cache as inputs and outputs; the
    attention always concatenates the cache (possibly empty) and masks causally."""

    def __init__(self, model: Any) -> None:
        super().__init__()
        self.model = model

    def _attend(self, block: Any, x: torch.Tensor, past_k: torch.Tensor, past_v: torch.Tensor) -> tuple[torch.Tensor, ...]:
        attn = block.attn
        B, T, D = x.shape
        q, k, v = attn.qkv(block.ln1(x)).split(D, dim=-1)
        q, k, v = (t.view(B, T, attn.heads, D // attn.heads).transpose(1, 2) for t in (q, k, v))
        k, v = torch.cat([past_k, k], dim=2), torch.cat([past_v, v], dim=2)
        n = k.size(2)
        mask = torch.ones(T, n, dtype=torch.bool).tril(diagonal=n - T)
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask).transpose(1, 2).reshape(B, T, D)
        x = x + attn.proj(y)
        return x + block.ff2(F.gelu(block.ff1(block.ln2(x)))), k, v

    def forward(self, input_ids: torch.Tensor, *past: torch.Tensor) -> tuple[torch.Tensor, ...]:
        model, dim = self.model, self.model.config.emb
        x = model.encoder(input_ids) * math.sqrt(dim)
        x = x + _positions(input_ids.size(1), past[0].size(2), dim)
        present: list[torch.Tensor] = []
        for i, block in enumerate(model._blocks()):
            x, k, v = self._attend(block, x, past[2 * i], past[2 * i + 1])
            present += [k, v]
        return (model.decoder.log_probs(model.ln_f(x)), *present)


class ClassifierGraph(nn.Module):
    """A ``ClassifierNetwork`` on plain tensors: ids, lengths (and bigram ids) → logits."""

    def __init__(self, network: Any) -> None:
        super().__init__()
        self.network = network

    def forward(self, input_ids: torch.Tensor, lengths: torch.Tensor, bigram_ids: torch.Tensor | None = None) -> torch.Tensor:
        return self.network.logits(input_ids, lengths, bigram_ids)  # type: ignore[no-any-return]


def _lm_graph(lm: Any) -> Graph:
    model = lm.model
    cfg = model.config
    if cfg.cell == "transformer":
        heads, size = cfg.heads, cfg.emb // cfg.heads
        inputs = {"input_ids": torch.tensor([[2, 5, 6, 7]], dtype=torch.long) % cfg.vocab_size}
        axes = {"input_ids": {0: "batch", 1: "steps"}, "logits": {0: "batch", 1: "steps"}}
        for i in range(cfg.layers):
            for part in ("key", "value"):
                inputs[f"past_{part}_{i}"] = torch.zeros(1, heads, 0, size)
                axes[f"past_{part}_{i}"] = axes[f"present_{part}_{i}"] = {0: "batch", 2: "past"}
        outputs = ["logits", *(f"present_{p}_{i}" for i in range(cfg.layers) for p in ("key", "value"))]
        return Graph(CachedTransformerLM(model), inputs, outputs, axes)
    inputs = {"input_ids": torch.tensor([[2], [5], [6]], dtype=torch.long) % cfg.vocab_size}
    axes = {"input_ids": {0: "steps", 1: "batch"}, "logits": {0: "steps", 1: "batch"}}
    names = ["h", "c"] if cfg.cell == "lstm" else ["h"]
    for i, layer in enumerate(model.init_hidden(1)):
        for name, tensor in zip(names, layer):
            inputs[f"state_{i}_{name}"] = tensor
            axes[f"state_{i}_{name}"] = axes[f"new_state_{i}_{name}"] = {1: "batch"}
    outputs = ["logits", *(f"new_state_{i}_{n}" for i in range(cfg.layers) for n in names)]
    return Graph(RecurrentLM(model), inputs, outputs, axes)


def _classifier_graph(clf: Any) -> Graph:
    network = clf.network
    if not isinstance(network, nn.Module) or not hasattr(network, "embed"):
        raise ModelError(f"ONNX export covers the neural classifiers; this one ({clf.config.describe()}) is not one")
    inputs = {"input_ids": torch.tensor([[4, 5, 6], [4, 0, 0]], dtype=torch.long) % clf.config.vocab_size,
              "lengths": torch.tensor([3, 1], dtype=torch.long)}
    axes = {"input_ids": {0: "batch", 1: "tokens"}, "lengths": {0: "batch"}, "logits": {0: "batch"}}
    if clf.bigram_vocab is not None:
        inputs["bigram_ids"] = torch.tensor([[1, 1, 0], [0, 0, 0]], dtype=torch.long)
        axes["bigram_ids"] = {0: "batch", 1: "tokens"}
    return Graph(ClassifierGraph(network), inputs, ["logits"], axes)


def _metadata(kind: str, model: Any, meta: dict[str, Any]) -> dict[str, str]:
    props = {"wordseq.kind": kind, "wordseq.config": json.dumps(meta.get("config", {})),
             "wordseq.preprocessing": json.dumps(meta.get("preprocessing", {})),
             "wordseq.vocab": json.dumps(model.vocab.itos, ensure_ascii=False)}
    if kind == "classifier":
        props["wordseq.labels"] = json.dumps(model.labels, ensure_ascii=False)
        if model.bigram_vocab is not None:
            props["wordseq.bigrams"] = json.dumps(model.bigram_vocab.itos, ensure_ascii=False)
    else:
        props["wordseq.context"] = str(model.model.config.context)
    return props


def _trace(graph: Graph) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the TorchScript exporter's notices (deprecation, RNN batch sizes)
        # the TorchScript exporter (dynamo=False): seconds, where torch.export takes a minute
        torch.onnx.export(graph.module, tuple(graph.inputs.values()), buf,  # type: ignore[arg-type]
                          input_names=list(graph.inputs), output_names=graph.outputs, dynamic_axes=graph.axes,
                          opset_version=OPSET, dynamo=False)
    return buf.getvalue()


def _check(data: bytes, graph: Graph) -> float:
    """Run the graph's example through onnxruntime: the largest difference from torch."""
    import onnxruntime

    session = onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"])
    got = session.run(None, {k: v.numpy() for k, v in graph.inputs.items()})
    with torch.no_grad():
        want = graph.module(*graph.inputs.values())
    want = want if isinstance(want, tuple) else (want,)
    worst = 0.0
    for g, w in zip(got, want):
        w = w.numpy()
        finite = np.isfinite(w)
        if not np.array_equal(finite, np.isfinite(g)):
            raise ModelError("the ONNX graph does not give the model's results (infinities differ); not written")
        if finite.any():
            worst = max(worst, float(np.abs(g[finite] - w[finite]).max()))
    if worst > TOLERANCE:
        raise ModelError(f"the ONNX graph differs from the model by {worst:.2g} (over {TOLERANCE:g}); not written")
    return worst


def export_onnx(name_or_path: str | Path, output: str | Path) -> OnnxExport:
    """Write the neural LM or classifier ``name_or_path`` as an ONNX file at ``output``
    (a path, ``-`` for stdout, or a device or pipe, as every ``-o FILE``).

    Raises
    ------
    ModelError
        The model is of another kind, or the onnx / onnxruntime packages are missing.

    Examples
    --------
    >>> export_onnx("lm/news", "news.onnx").inputs  # doctest: +SKIP
    ['input_ids', 'state_0_h', 'state_0_c', 'state_1_h', 'state_1_c']
    """
    require_export_extra()
    import onnx

    model = load(str(name_or_path), ("lm", "classifier"), device="cpu")
    refuse_linear(getattr(model.config, "encoder", None) if hasattr(model, "labels") else None, "onnx")
    kind = "classifier" if hasattr(model, "labels") else "lm"
    graph = _classifier_graph(model) if kind == "classifier" else _lm_graph(model)
    graph.module.eval()
    try:
        traced = _trace(graph)
    except RuntimeError as exc:  # torch's exporter has no rule for some layouts (packed final states)
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ModelError(f"torch's ONNX exporter cannot export this {kind} ({model.config.describe()}): "
                         f"{first[:160]}") from None
    proto = onnx.load_from_string(traced)
    meta = _metadata(kind, model, _classifier_meta(model) if kind == "classifier" else model.meta)
    onnx.helper.set_model_props(proto, {**{p.key: p.value for p in proto.metadata_props}, **meta})
    proto.producer_name = "wordseq"
    data = proto.SerializeToString()
    worst = _check(data, graph)
    with output_file(output, binary=True) as fh:
        fh.write(data)
    return OnnxExport(str(output), kind, list(graph.inputs), graph.outputs, worst)


def _classifier_meta(clf: Any) -> dict[str, Any]:
    return {"config": clf.config.to_dict(), "preprocessing": clf.preprocess.to_dict()}
