"""Text classifiers: bidirectional (or one-way) RNN encoders with max / mean / last /
attention pooling, and a fastText-style bag of words and bigrams as the fast baseline.

``train_classifier`` lives in ``wordseq.classify.train``, ``cross_validate`` in
``wordseq.classify.crossval``, ``TextClassifier`` in ``wordseq.classify.model``,
``load_classifier`` / ``open_classifier`` in ``wordseq.classify.storage`` (a linear model
loads and predicts without torch); importing this package alone loads no torch.
"""
