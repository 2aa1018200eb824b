"""Subword units (BPE, unigram): the tokenizer a subword model holds, as data.

A tokenizer is kept as the bytes of its own file format, never as code: a SentencePiece
model (a protobuf, what ``wordseq subword train`` makes) or a Hugging Face ``tokenizers``
JSON file (``wordseq subword train --tokenizer tokenizer.json`` imports one). Text is
split into units by that library and joined back by its decoder.

SentencePiece trains the units: on the movie reviews (1.5 M words) it trained BPE 8k about
twice as fast as ``tokenizers`` on the same two cores (8.7 s against 18.1 s, loaded
machine; ``benchmarks/bench_subword.py``), unigram about as fast (145 s against 137 s). It is trained with the identity normalization (no NFKC: the
detokenized text is the input) and byte fallback (a character never seen becomes its
UTF-8 bytes as units, so no text has a unit outside the tokenizer).

Every tokenizer made in this process is kept by the sha256 of its bytes: a model's
meta.json records that digest, and the store writes the bytes beside the model (and
registers them again when the model is read), so the model keeps its tokenizer even if
the subword model it came from is removed.
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import os
import re
from collections.abc import Collection, Iterable, Iterator
from typing import Any

from wordseq.errors import InputError, ModelError

SUBWORD_TYPES = ("bpe", "unigram")
FORMATS = ("sentencepiece", "tokenizers")
# The file a subword model (and a model trained over its units) keeps the tokenizer in.
FILE_EXTENSIONS = {"sentencepiece": ".model", "tokenizers": ".json"}
# A line longer than this (bytes) is cut at spaces for SentencePiece's trainer, which
# skips longer "sentences" (its default is 4,192: whole articles would be lost).
MAX_TRAINING_LINE = 1 << 16
# Tokenizer files larger than this are refused (a 250 k-unit tokenizer.json is ~20 MB).
MAX_TOKENIZER_BYTES = 256 << 20

_MADE: dict[str, SubwordTokenizer] = {}


class SubwordTokenizer:
    """Text ↔ subword units through a SentencePiece model or a ``tokenizers`` JSON file.

    ``name`` is the subword model's name (for messages and meta.json). Equal when the
    bytes are equal. Pickles as its bytes (workers rebuild it).
    """

    def __init__(self, data: bytes, fmt: str, name: str = "", what: str = "the tokenizer") -> None:
        if fmt not in FORMATS:
            raise ModelError(f"unknown subword tokenizer format {fmt!r} (known: {', '.join(FORMATS)})")
        self.data = bytes(data)
        self.format = fmt
        self.name = name
        self.sha256 = hashlib.sha256(self.data).hexdigest()
        self._impl = _parse(self.data, fmt, what)
        self._restricted: dict[int, tuple[Collection[str], SubwordTokenizer]] = {}
        _MADE.setdefault(self.sha256, self)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.data, self.format, self.name, self.known))

    known: frozenset[str] | None = None  # set by restricted()

    def restricted(self, known: Collection[str]) -> SubwordTokenizer:
        """This tokenizer producing only the units in ``known`` (a model's vocabulary) and
        the byte units: any other unit is split into smaller ones, as SentencePiece's
        vocabulary restriction does (``spm_encode --vocabulary``). A BPE merge the
        model's training text never kept whole (all its uses went into longer units) is
        then no unknown token in new text. Equal to this one, and saved as this one.
        A Hugging Face tokenizer is returned as it is (no such restriction there)."""
        if self.format != "sentencepiece":
            return self
        cached = self._restricted.get(id(known))
        if cached is not None and cached[0] is known:  # the same vocabulary (scoring line by line)
            return cached[1]
        from sentencepiece import sentencepiece_model_pb2

        proto = sentencepiece_model_pb2.ModelProto()  # type: ignore[attr-defined]
        proto.ParseFromString(self.data)
        normal, unused = 1, 5  # ModelProto.SentencePiece.Type
        for piece in proto.pieces:
            if piece.type == normal and piece.piece not in known:
                piece.type = unused
        out = copy.copy(self)
        out._impl = _parse(proto.SerializeToString(), "sentencepiece", "the restricted tokenizer")
        out.known = frozenset(known)
        out._restricted = {}
        self._restricted = {id(known): (known, out)}  # the last one only: models come one at a time
        return out

    def __deepcopy__(self, memo: dict[int, Any]) -> SubwordTokenizer:
        return self  # immutable

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SubwordTokenizer) and other.sha256 == self.sha256

    def __hash__(self) -> int:
        return hash(self.sha256)

    def __repr__(self) -> str:
        return f"SubwordTokenizer({self.name or self.sha256[:12]!r}, {self.format}, {self.size} units)"

    @property
    def size(self) -> int:
        """Number of units in the tokenizer's vocabulary."""
        if self.format == "sentencepiece":
            return int(self._impl.get_piece_size())
        return int(self._impl.get_vocab_size(with_added_tokens=True))

    @property
    def file_name(self) -> str:
        """The payload file this tokenizer is kept in beside a model that uses it."""
        return tokenizer_file(self.sha256, self.format)

    def encode(self, text: str) -> list[str]:
        """The units of ``text``."""
        if self.format == "sentencepiece":
            return list(self._impl.encode(text, out_type=str))
        return list(self._impl.encode(text, add_special_tokens=False).tokens)

    def decode(self, units: list[str]) -> str:
        """Text from units (the library's own detokenizer)."""
        if self.format == "sentencepiece":
            return str(self._impl.decode_pieces(units))
        decoder = self._impl.decoder
        return str(decoder.decode(units)) if decoder is not None else " ".join(units)

    def units(self) -> list[str]:
        """Every unit of the vocabulary, by id."""
        if self.format == "sentencepiece":
            return [self._impl.id_to_piece(i) for i in range(self.size)]
        vocab = self._impl.get_vocab(with_added_tokens=True)
        return sorted(vocab, key=vocab.__getitem__)

    def describe(self) -> dict[str, Any]:
        """What meta.json records of the tokenizer: the bytes are a payload file."""
        return {"name": self.name, "format": self.format, "sha256": self.sha256, "units": self.size,
                "file": self.file_name}


def _rebuild(data: bytes, fmt: str, name: str, known: frozenset[str] | None) -> SubwordTokenizer:
    tokenizer = SubwordTokenizer(data, fmt, name)
    return tokenizer if known is None else tokenizer.restricted(known)


def tokenizer_file(sha256: str, fmt: str) -> str:
    """The name of the payload file holding a tokenizer beside a model that uses it."""
    return f"subword-{sha256[:16]}{FILE_EXTENSIONS[fmt]}"


def made_tokenizer(sha256: str) -> SubwordTokenizer | None:
    """The tokenizer with these bytes made (or read from a model) in this process."""
    return _MADE.get(sha256)


def _parse(data: bytes, fmt: str, what: str) -> Any:
    if fmt == "sentencepiece":
        import sentencepiece as spm

        try:
            return spm.SentencePieceProcessor(model_proto=data)
        except (RuntimeError, TypeError, ValueError):
            raise ModelError(f"{what} is not a SentencePiece model (it cannot be parsed)") from None
    return _parse_hf(data, what)


def _parse_hf(data: bytes, what: str) -> Any:
    """A ``tokenizers.Tokenizer`` from JSON bytes; one clear line for anything else."""
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ModelError(f"{what} is not a Hugging Face tokenizer file (not JSON)") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("model"), dict) or "type" not in doc["model"]:
        raise ModelError(f"{what} is not a Hugging Face tokenizer file (no 'model' with a 'type'; "
                         "expected the tokenizer.json that tokenizers' Tokenizer.save writes)")
    from tokenizers import Tokenizer

    try:
        tokenizer = Tokenizer.from_str(data.decode("utf-8"))
    except Exception as exc:  # noqa: BLE001 - the Rust side raises plain Exception
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"{what} is a damaged Hugging Face tokenizer file: {first}") from None
    spaced = [u for u in tokenizer.get_vocab(with_added_tokens=True) if not u or any(c.isspace() for c in u)]
    if spaced:
        raise ModelError(f"{what} has units with spaces in them (e.g. {spaced[0]!r}); wordseq writes units "
                         "separated by spaces, so it cannot use this tokenizer")
    if tokenizer.get_vocab_size(with_added_tokens=True) == 0:
        raise ModelError(f"{what} has no units")
    return tokenizer


def read_tokenizer_file(path: str) -> SubwordTokenizer:
    """A Hugging Face ``tokenizer.json`` to import as a subword model."""
    try:
        size = os.path.getsize(path)
        if size > MAX_TOKENIZER_BYTES:
            raise InputError(f"{path} is larger than {MAX_TOKENIZER_BYTES >> 20} MB; it is no tokenizer file")
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    try:
        return SubwordTokenizer(data, "tokenizers", what=path)
    except ModelError as exc:
        raise InputError(str(exc)) from None


def training_lines(lines: Iterable[str]) -> Iterator[str]:
    """Non-blank lines, whitespace collapsed, long ones cut at spaces (see MAX_TRAINING_LINE)."""
    for line in lines:
        words = line.split()
        piece: list[str] = []
        size = 0
        for w in words:
            if piece and size + len(w) + 1 > MAX_TRAINING_LINE // 4:  # 4 bytes a character at most
                yield " ".join(piece)
                piece, size = [], 0
            piece.append(w)
            size += len(w) + 1
        if piece:
            yield " ".join(piece)


def train_sentencepiece(lines: Iterable[str], vocab_size: int, model_type: str, threads: int = 0) -> bytes:
    """The bytes of a SentencePiece model trained on ``lines`` (see the module docstring)."""
    import sentencepiece as spm

    if model_type not in SUBWORD_TYPES:
        raise InputError(f"unknown subword type {model_type!r}; choose {' or '.join(SUBWORD_TYPES)}")
    out = io.BytesIO()
    try:
        spm.SentencePieceTrainer.train(
            sentence_iterator=training_lines(lines), model_writer=out, vocab_size=vocab_size,
            model_type=model_type, normalization_rule_name="identity", byte_fallback=True,
            bos_id=-1, eos_id=-1, unk_id=0, max_sentence_length=MAX_TRAINING_LINE,
            num_threads=threads or min(os.cpu_count() or 1, 16), minloglevel=2,
        )
    except RuntimeError as exc:
        raise InputError(f"cannot train the subword units: {_sentencepiece_reason(exc)}") from None
    return out.getvalue()


def _sentencepiece_reason(exc: RuntimeError) -> str:
    """SentencePiece's message without its source location ('src/trainer.cc(123) [...] ')."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else "unknown error"
    if "[!sentences_.empty()]" in text:  # an assertion, not a sentence
        return "the text has no lines to learn from"
    if "] " in text:
        text = text.rsplit("] ", 1)[1]
    required = re.match(r"Vocabulary size is smaller than required_chars\. (\d+) vs (\d+)", text)
    if required:  # SentencePiece's advice names its own options, which wordseq does not have
        return (f"--vocab {int(required[1]):,} is below the {int(required[2]):,} units that the text's characters "
                "and the 256 byte units need: give a larger --vocab")
    if "Vocabulary size too high" in text:
        text += " (the text is too small for this --vocab: give a smaller one)"
    return text
