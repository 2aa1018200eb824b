"""The networks a ``Seq2SeqConfig`` can describe, and the one place that builds them."""

from __future__ import annotations

from wordseq.seq2seq.config import Seq2SeqConfig
from wordseq.seq2seq.network import Seq2SeqNet
from wordseq.seq2seq.transformer import TransformerNet

# Both answer encode / initial_state / step / forward alike (see transformer.py).
Network = Seq2SeqNet | TransformerNet


def build_network(config: Seq2SeqConfig, source_vocab_size: int, target_vocab_size: int) -> Network:
    """The recurrent encoder-decoder (``arch="rnn"``) or the Transformer."""
    if config.arch == "transformer":
        return TransformerNet(config, source_vocab_size, target_vocab_size)
    return Seq2SeqNet(config, source_vocab_size, target_vocab_size)
