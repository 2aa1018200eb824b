"""Text classifiers: bidirectional (or one-way) RNN encoders with max / mean / last /
attention pooling, and a fastText-style bag of words and bigrams as the fast baseline.

``train_classifier`` lives in ``wordseq.classify.train``, ``cross_validate`` in
``wordseq.classify.crossval``, ``TextClassifier`` and ``load_classifier`` in
``wordseq.classify.model``; importing this package alone loads no torch.
"""
