"""Hugging Face style folders: ``models export --format hf`` and ``models import``.

A folder holds

- ``model.safetensors``: the weights under their state-dict names (``encoder.weight``),
  with wordseq's payload header (``store.tensors``), so ``safetensors`` (and any tool
  built on it) reads the weights and wordseq reads the model back unchanged;
- ``config.json``: ``library_name``, ``model_type`` (``wordseq-lm`` ...), the network's
  options, and under ``wordseq`` the model's whole meta.json (less its checksums) and the
  list of the other files;
- the vocabulary files as wordseq keeps them (``vocab.tsv``; ``bigrams.tsv``;
  ``source_vocab.tsv`` and ``target_vocab.tsv``) and, for word-level models, a
  ``tokenizer.json`` (Hugging Face ``tokenizers``: a word-level vocabulary with the
  model's lowercasing; its whitespace-and-punctuation split matches wordseq's exactly on
  pre-tokenized text);
- ``README.md``: the model card (``card``).

Import reads ``config.json``, loads the folder with the kind's own loader (every check a
stored model gets: sizes, finite weights, the vocabularies fitting the weights), then
saves it into the store through the usual transaction. The training state (``resume``)
is not exported: an imported model is used or fine-tuned anew, not resumed.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from wordseq.errors import InputError, ModelError
from wordseq.export import refuse_linear
from wordseq.export.card import model_card
from wordseq.store import find_model, model_dir, save_model
from wordseq.store.meta import MAX_META_BYTES, check_meta
from wordseq.store.output import temp_name
from wordseq.store.registry import load_folder
from wordseq.store.tensors import payload_file, read_payload, write_tensors
from wordseq.store.transaction import replace_dir
from wordseq.vocab import Vocabulary

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
CARD_FILE = "README.md"
TOKENIZER_FILE = "tokenizer.json"
TORCH_KINDS = ("lm", "classifier", "seq2seq")
FOLDER_FORMAT = 1


def _carried(meta: dict[str, Any]) -> list[str]:
    """The payload files that travel as they are: all but the weights and the training state."""
    return sorted(n for n in meta["payload"] if not n.startswith(("model.", "resume.")))


def _config(meta: dict[str, Any], files: list[str]) -> dict[str, Any]:
    kept = {k: v for k, v in meta.items() if k != "payload"}
    network = meta["config"].get("model", meta["config"])
    return {"library_name": "wordseq", "model_type": f"wordseq-{meta['kind']}",
            **({"vocab_size": network["vocab_size"]} if isinstance(network.get("vocab_size"), int) else {}),
            "wordseq_config": meta["config"], "wordseq": {"format": FOLDER_FORMAT, "meta": kept, "files": files}}


def _tokenizer(words: list[str], lower: bool) -> dict[str, Any]:
    """A Hugging Face ``tokenizers`` word-level tokenizer over the model's vocabulary."""
    specials = [{"id": i, "content": w, "single_word": False, "lstrip": False, "rstrip": False,
                 "normalized": False, "special": True} for i, w in enumerate(words[:4])]
    return {"version": "1.0", "truncation": None, "padding": None, "added_tokens": specials,
            "normalizer": {"type": "Lowercase"} if lower else None,
            "pre_tokenizer": {"type": "Whitespace"}, "post_processor": None, "decoder": None,
            "model": {"type": "WordLevel", "vocab": {w: i for i, w in enumerate(words)}, "unk_token": "<unk>"}}


def _write_tokenizer(folder: Path, meta: dict[str, Any]) -> None:
    pre = meta.get("preprocessing") or {}
    if not (folder / "vocab.tsv").is_file() or pre.get("level", "word") != "word":
        return
    words = Vocabulary.load(folder / "vocab.tsv").itos
    (folder / TOKENIZER_FILE).write_text(json.dumps(_tokenizer(words, bool(pre.get("lower"))), ensure_ascii=False),
                                         encoding="utf-8")


def _is_export(folder: Path) -> bool:
    try:
        return bool(json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8")).get("library_name") == "wordseq")
    except (OSError, ValueError, AttributeError):
        return False


def _write_folder(target: Path, write: Callable[[Path], None]) -> None:
    """Fill a new folder beside ``target`` and put it in place in one step; an existing
    folder is replaced only if it is empty or an earlier wordseq export."""
    if str(target).startswith(("/dev/", "/proc/")) or target.is_symlink() or (target.exists() and not target.is_dir()):
        raise InputError(f"{target} is not a folder; --format hf writes a folder of files")
    if target.is_dir() and any(target.iterdir()) and not _is_export(target):
        raise InputError(f"{target} exists and is not a wordseq export; refusing to replace it: choose another -o "
                         "or remove it yourself")
    if not target.parent.is_dir():
        raise InputError(f"{target}: the folder {target.parent} does not exist")
    folder = temp_name(target)
    try:
        os.mkdir(folder)
        write(folder)
        replace_dir(folder, target)
    except OSError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise InputError(f"{target}: cannot write: {exc.strerror or exc}") from None
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def export_hf(name_or_path: str | Path, output: str | Path) -> Path:
    """Write the neural model ``name_or_path`` as a Hugging Face style folder ``output``.

    Examples
    --------
    >>> export_hf("lm/news", "news-hf")  # doctest: +SKIP
    PosixPath('news-hf')
    """
    path, meta = find_model(str(name_or_path), TORCH_KINDS)
    refuse_linear(meta["config"].get("encoder") if meta["kind"] == "classifier" else None, "hf")
    weights = read_payload(payload_file(path, "model"))
    files = _carried(meta)
    target = Path(output)

    def write(folder: Path) -> None:
        write_tensors(folder / WEIGHTS_FILE, weights, plain_names=True)
        for name in files:
            shutil.copyfile(path / name, folder / name)
        (folder / CONFIG_FILE).write_text(json.dumps(_config(meta, files), indent=2, ensure_ascii=False) + "\n",
                                          encoding="utf-8")
        _write_tokenizer(folder, meta)
        (folder / CARD_FILE).write_text(model_card(meta, target.resolve().name, f"{meta['kind']}/NAME"),
                                        encoding="utf-8")

    _write_folder(target, write)
    return target


def _read_config(folder: Path) -> tuple[dict[str, Any], list[str]]:
    """(meta, files) from an export's config.json, checked as a stored meta.json is."""
    where = folder / CONFIG_FILE
    if not folder.is_dir():
        raise InputError(f"{folder} is not a folder; give the folder 'models export --format hf' wrote")
    try:
        with open(where, "rb") as fh:
            raw = fh.read(MAX_META_BYTES + 1)
        config = json.loads(raw.decode("utf-8")) if len(raw) <= MAX_META_BYTES else None
    except FileNotFoundError:
        raise ModelError(f"{folder} has no {CONFIG_FILE}; it is not a model folder") from None
    except (OSError, ValueError) as exc:
        raise ModelError(f"{where} cannot be read as JSON ({str(exc)[:120]})") from None
    info = config.get("wordseq") if isinstance(config, dict) else None
    if not isinstance(info, dict) or info.get("format") != FOLDER_FORMAT or not isinstance(info.get("meta"), dict):
        raise ModelError(f"{where} is not a wordseq export's config (no 'wordseq' section of format {FOLDER_FORMAT})")
    meta = check_meta({**info["meta"], "payload": {}}, where)
    files = info.get("files")
    if meta["kind"] not in TORCH_KINDS or not isinstance(files, list):
        raise ModelError(f"{where}: a {meta['kind']} export cannot be imported")
    for name in [WEIGHTS_FILE, *files]:
        if not isinstance(name, str) or "/" in name or name.startswith(".") or name in (CONFIG_FILE, CARD_FILE):
            raise ModelError(f"{where}: the file list is damaged")
        if (folder / name).is_symlink() or not (folder / name).is_file():
            raise ModelError(f"{folder / name} is missing (or is a link); the export is incomplete")
    return meta, files


def import_hf(folder: str | Path, output: str | Path | None = None) -> Path:
    """Read a folder written by ``export_hf`` back into the store (as ``output``, a NAME or
    PATH; default: the folder's name). The model is loaded and checked before it is saved.

    Examples
    --------
    >>> import_hf("news-hf", "news").name  # doctest: +SKIP
    'news'
    """
    source = Path(folder)
    meta, files = _read_config(source)
    load_folder(source, meta, device="cpu")  # every check the kind's loader makes, before anything is written
    target = model_dir(str(output) if output is not None else source.resolve().name, meta["kind"])

    def write(new: Path) -> None:
        for name in [WEIGHTS_FILE, *files]:
            shutil.copyfile(source / name, new / name)

    return save_model(target, {**meta, "imported_from": str(source)}, write)
