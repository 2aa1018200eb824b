"""NBSVM (Wang & Manning 2012, "Baselines and Bigrams"): a linear model on binarized word
and bigram features, each scaled by its Naive-Bayes log-count ratio.

For each class c against the rest: r = log((p / |p|_1) / (q / |q|_1)), with p (q) the
feature counts of c's texts (the others') plus ``ALPHA``; a regularised linear model is
fitted on the features times r, and its weights are interpolated towards their mean
magnitude, w' = (1 - beta) mean|w| + beta w (the "MNB / SVM interpolation"), which keeps
the Naive-Bayes ratios in charge where the data are thin. The row of a feature is then
r · w', so the model is linear in the binarized features and saves as one array.

The linear model is L2-regularised logistic regression (liblinear's dual solver through
scikit-learn): on MR's 10-fold CV it matches the squared-hinge SVM of the paper, and it
gives probabilities, which ``--multi-label`` thresholds.
"""

from __future__ import annotations

import numpy as np

# Naive-Bayes smoothing (Wang & Manning's alpha)
ALPHA = 1.0
# Inverse L2 strength and interpolation weight, chosen by 10-fold CV on MR
# (benchmarks/bench_classify.py): 79.4 % there with bigrams (C = 3: 79.38 %, the SVM
# loss of the paper with C = 1, beta = 0.25: 79.0 %)
C = 5.0
BETA = 0.5


def log_count_ratio(x: object, positive: np.ndarray) -> np.ndarray:
    """r of each feature (columns of the binarized matrix ``x``) for one yes / no question;
    0 for a feature no training text has (no evidence either way)."""
    p = ALPHA + np.asarray(x[positive].sum(axis=0)).ravel()  # type: ignore[index]
    q = ALPHA + np.asarray(x[~positive].sum(axis=0)).ravel()  # type: ignore[index]
    r = np.log(p / p.sum()) - np.log(q / q.sum())
    seen = np.asarray(x.sum(axis=0)).ravel() > 0  # type: ignore[attr-defined]
    return np.where(seen, r, 0.0)


def class_ratios(x: object, targets: np.ndarray) -> np.ndarray:
    """r of each feature for each class against the rest, (features, classes)."""
    return np.stack([log_count_ratio(x, targets[:, c] > 0.5) for c in range(targets.shape[1])], axis=1)


def fit_binary(x: object, positive: np.ndarray, seed: int) -> tuple[np.ndarray, float]:
    """(row weight r · w' per feature, bias) of one class against the rest."""
    import scipy.sparse as sp
    from sklearn.linear_model import LogisticRegression

    n_pos = int(positive.sum())
    if n_pos in (0, len(positive)):
        # one answer for every training text: no weights, the smoothed prior's log-odds
        return np.zeros(x.shape[1]), float(np.log((n_pos + 0.5) / (len(positive) - n_pos + 0.5)))  # type: ignore[attr-defined]
    r = log_count_ratio(x, positive)
    scaled = sp.csr_matrix(x) @ sp.diags(r)
    fitted = LogisticRegression(C=C, solver="liblinear", dual=True, max_iter=1000, random_state=seed)
    fitted.fit(scaled, positive.astype(np.int64))
    w = fitted.coef_.ravel()
    used = r != 0
    mean_magnitude = float(np.abs(w[used]).mean()) if used.any() else 0.0
    interpolated = (1 - BETA) * mean_magnitude + BETA * w
    return r * interpolated, float(fitted.intercept_[0])


def fit_nbsvm(x: object, targets: np.ndarray, multi_label: bool, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Weights (features, classes) and bias (classes,) from the binarized training matrix
    and the (texts, classes) yes / no targets.

    Two softmax classes are one question, scored s for the second and -s for the first,
    halved: the softmax of (-s/2, s/2) is the logistic model's own sigmoid(s). More
    classes, or multi-label: one question per class.
    """
    classes = targets.shape[1]
    weights = np.zeros((x.shape[1], classes))  # type: ignore[attr-defined]
    bias = np.zeros(classes)
    if classes == 2 and not multi_label:
        row, b = fit_binary(x, targets[:, 1], seed)
        weights[:, 1], weights[:, 0] = row / 2, -row / 2
        bias[1], bias[0] = b / 2, -b / 2
        return weights, bias
    for c in range(classes):
        weights[:, c], bias[c] = fit_binary(x, targets[:, c], seed)
    return weights, bias
