"""Per-token weights behind predictions: attention weights, or gradient × input saliency.

Gradient × input (Shrikumar et al. 2016; Denil et al. 2014): the gradient of the
predicted class's score with respect to each token's embedding, dotted with that
embedding. The score is the class's logit minus the mean logit: unlike the probability
it does not saturate (a prediction at 0.999 still has gradients), and softmax ignores
what it removes (a multi-label network's labels are independent sigmoids: there the
label's own logit). For the bag-of-words encoder this is exactly each token's share of the
score (the model is linear in its embeddings); for RNNs it is the first-order estimate. A bigram's share is split evenly between its two words, and attention given to
a bigram likewise, so every weight belongs to a word the user can see.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from wordseq.classify.encoding import EncodedTexts, make_batch
from wordseq.classify.labelling import Explanation
from wordseq.classify.network import ClassifierNetwork


def explain_batch(network: ClassifierNetwork, texts: EncodedTexts,
                  tokens: Sequence[Sequence[str]]) -> tuple[np.ndarray, list[Explanation]]:
    """Class probabilities (N, C) and one ``Explanation`` per text."""
    device = next(network.parameters()).device
    batch = make_batch(texts, np.arange(len(texts))).to(device)
    was_training = network.training
    network.eval()
    try:
        if network.config.pool == "attention":
            with torch.inference_mode():
                out = network(batch)
            assert out.attention is not None
            weights = _fold_bigrams(out.attention, batch.ids.size(1))
            method = "attention"
        else:
            out, weights = _saliency(network, batch)
            method = "gradient*input"
        logits = out.logits.detach().float()
        multi = network.config.multi_label  # one sigmoid per label, as predict gives without --explain
        probs = (torch.sigmoid(logits) if multi else torch.softmax(logits, dim=1)).cpu().numpy()
    finally:
        network.train(was_training)
    w = weights.detach().float().cpu().numpy()
    explanations = [
        Explanation(list(toks), [round(float(x), 6) for x in w[i, : len(toks)]], method)
        for i, toks in enumerate(tokens)
    ]
    return probs, explanations


def _saliency(network: ClassifierNetwork, batch) -> tuple:  # type: ignore[no-untyped-def]
    words, grams = network.embed(batch)
    words = words.detach().requires_grad_(True)
    if grams is not None:
        grams = grams.detach().requires_grad_(True)
    # cuDNN computes RNN gradients only in training mode; the native kernels do it in
    # eval mode (dropout off), which is what an explanation must use.
    with torch.backends.cudnn.flags(enabled=False), torch.enable_grad():
        out = network.forward_embedded(batch, words, grams)
        # a multi-label network's labels are independent: the top label's own logit
        score = out.logits if network.config.multi_label else out.logits - out.logits.mean(dim=1, keepdim=True)
        chosen = score.gather(1, score.argmax(dim=1, keepdim=True)).sum()
        inputs = [words] + ([grams] if grams is not None else [])
        grads = torch.autograd.grad(chosen, inputs)
    weights = (grads[0] * words).sum(-1)
    if grams is not None:
        gram_weights = (grads[1] * grams).sum(-1)
        weights = weights + _spread_bigrams(gram_weights)
    return out, weights


def _spread_bigrams(per_bigram: torch.Tensor) -> torch.Tensor:
    """Weights of bigrams (B, T) onto words: half to token t, half to token t + 1."""
    half = per_bigram / 2
    to_next = torch.zeros_like(half)
    to_next[:, 1:] = half[:, :-1]
    return half + to_next


def _fold_bigrams(attention: torch.Tensor, width: int) -> torch.Tensor:
    """Attention over [words; bigrams] (B, 2T) → over words (B, T)."""
    if attention.size(1) == width:
        return attention
    words, grams = attention[:, :width], attention[:, width:]
    return words + _spread_bigrams(grams)
