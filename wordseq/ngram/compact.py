"""Converting n-gram tables to the compact form (``packed.py``'s arrays) and naming the
form in meta.json."""

from __future__ import annotations

from typing import Any

import numpy as np

from wordseq.ngram.config import check_quantize
from wordseq.ngram.packed import QuantizedValues, SplitKeys, quantize
from wordseq.ngram.tables import NgramTables


def compact_tables(tables: NgramTables, quantize_bits: int | None = None) -> NgramTables:
    """The same model with split keys (and, with ``quantize_bits``, 8-bit values above
    the unigrams); entries keep their places."""
    if quantize_bits is not None:
        check_quantize(quantize_bits)
    keys: list[Any] = [tables.keys[0]]
    prob, backoff = [tables.prob[0]], [tables.backoff[0]]
    for n in range(2, tables.order + 1):
        k = tables.keys[n - 1]
        keys.append(k if isinstance(k, SplitKeys) else SplitKeys.of(np.asarray(k)))
        p, b = tables.prob[n - 1], tables.backoff[n - 1]
        if quantize_bits and not isinstance(p, QuantizedValues):
            p = quantize(np.asarray(p), quantize_bits)
            if n < tables.order:
                b = quantize(np.asarray(b), quantize_bits, keep_zero=True)
        prob.append(p)
        backoff.append(b)
    return NgramTables(tables.vocab, tables.order, prob, backoff, keys, tables.unseen)


def table_format(tables: NgramTables) -> dict[str, Any]:
    """How the tables are stored, for meta.json: ``{"format": "sorted-keys"}`` (int64
    keys, float32 values) or ``{"format": "compact", "quantize": 8 or None}``."""
    if tables.order < 2 or not isinstance(tables.keys[1], SplitKeys):
        return {"format": "sorted-keys"}
    quantized = isinstance(tables.prob[1], QuantizedValues)
    return {"format": "compact", "quantize": 8 if quantized else None}


def compact_model(model: Any, quantize_bits: int | None = None) -> Any:
    """Put an ``NgramModel``'s tables (or a mixture's parts') in the compact form, in place
    (meta.json's ``tables`` entry then says so); tables that training wrote to files are
    read from them (and saved anew)."""
    for part in getattr(model, "parts", None) or [model]:
        part.tables = compact_tables(part.tables, quantize_bits)
        part.staged = None
    return model
