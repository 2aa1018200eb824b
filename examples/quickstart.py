"""wordseq from Python: the pipeline of the README's commands, as a notebook runs it.

Run from the repository's root: ``python examples/quickstart.py``. Models are saved in
$WORDSEQ_HOME (default ~/.local/share/wordseq) under names starting with "quickstart-".
"""

from pathlib import Path

import wordseq

DATA = Path(__file__).resolve().parent.parent / "data"
train, heldout = DATA / "lee_background.txt", DATA / "lee_test.txt"

# Word vectors: skip-gram on the shipped news corpus (60 k words: enough for neighbours,
# far too little for analogies).
vectors = wordseq.train_embeddings(train, "quickstart-vectors", dim=50, epochs=3, min_count=3, workers=1)
print("nearest to 'police':", vectors.most_similar("police", topn=3))
print("vector size:", vectors.vector("police").shape)

# A trigram model with modified Kneser-Ney: scores and perplexity as KenLM gives them.
ngram = wordseq.train_ngram(train, "quickstart-3gram", order=3)
print("log10 p('the government said'):", round(ngram.score("the government said"), 3))
report, _ = ngram.evaluate(heldout)
print(f"trigram perplexity on held-out text: {report.perplexity:.1f} ({report.oov_rate:.1%} OOV)")

# A small LSTM language model, then generation with beam search and with sampling.
lm = wordseq.train_lm(train, "quickstart-lstm", layers=1, emb=32, hidden=32, epochs=1, seed=1)
print(f"LSTM perplexity on held-out text: {lm.evaluate(heldout)[0].perplexity:.1f}")
for model in (ngram, lm):
    best = model.generate("the government", beam=5, max_tokens=12)[0]
    sampled = model.generate("the government", top_p=0.9, seed=1, max_tokens=12)[0]
    print(f"{type(model).__name__}: beam: {best.text!r}; sampled: {sampled.text!r}")

# Every saved model loads back by name, whatever its kind.
again = wordseq.load("quickstart-3gram")
assert again.score("the government said") == ngram.score("the government said")
print("saved:", ", ".join(f"{m.kind}/{m.name}" for m in wordseq.list_models() if m.name.startswith("quickstart-")))
