"""Calibration and the fresh threshold of a two-class verdict model (aggregator.verdicts.text.linear).

Both are read off out-of-fold decision scores of the training examples (5-fold): a Platt
scaling (slope, offset) so that p_fresh is a calibrated chance, and the p_fresh from which
the model calls fresh. At 0.5 the call maximises accuracy; the rotten calls are then the
weaker class's (about a quarter of reviews), and macro-F1 suffers. "balanced" picks the
threshold maximising the mean of accuracy and macro-F1 on those out-of-fold chances (never on
the films it is measured on); docs/verdicts.md has what each objective gave.
"""

from __future__ import annotations

import math

import numpy as np


def calibrate(
    features, target: np.ndarray, classifier, threshold: str | float | None, seed: int
) -> tuple[tuple[float, float], float]:
    """((slope, offset) mapping decision scores to calibrated chances, the fresh threshold),
    both from 5-fold out-of-fold scores of the training examples (the classifier's own
    probabilities are overconfident on its training data; a threshold tuned on the data it
    is measured on would flatter it). `classifier` is an unfitted scikit-learn estimator
    like the model's; `threshold` a number (None: 0.5) or an objective of `best_threshold`."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    folds = min(5, int(np.bincount(target).min()))
    fixed = 0.5 if threshold is None else threshold
    if folds < 2:
        return (1.0, 0.0), (fixed if isinstance(fixed, (int, float)) else 0.5)
    scores = cross_val_predict(classifier, features, target, method="decision_function",
                               cv=StratifiedKFold(folds, shuffle=True, random_state=seed))  # fmt: skip
    calibrator = LogisticRegression(C=1e6, max_iter=1000).fit(scores.reshape(-1, 1), target)
    slope, offset = float(calibrator.coef_[0, 0]), float(calibrator.intercept_[0])
    if not (math.isfinite(slope) and math.isfinite(offset)):
        slope, offset = 1.0, 0.0
    if isinstance(fixed, (int, float)):
        return (slope, offset), float(fixed)
    chances = 1.0 / (1.0 + np.exp(-np.clip(slope * scores + offset, -50, 50)))
    return (slope, offset), best_threshold(chances, target, str(fixed))


THRESHOLDS = np.round(np.arange(0.30, 0.801, 0.01), 2)
"""Where `best_threshold` looks: fresh calls from p_fresh 0.30 to 0.80."""


def best_threshold(chances: np.ndarray, target: np.ndarray, objective: str) -> float:
    """The threshold of THRESHOLDS whose fresh calls on `chances` score best against
    `target`: "balanced", the mean of accuracy and macro-F1; "macro_f1", macro-F1 alone.
    Ties go to the threshold nearest 0.5."""
    if objective not in ("balanced", "macro_f1"):
        raise ValueError(f"unknown threshold objective {objective!r}")
    truth = np.asarray(target).astype(bool)
    best, best_value = 0.5, -1.0
    for threshold in sorted(THRESHOLDS, key=lambda t: (abs(t - 0.5), t)):
        called = chances >= threshold
        hits_fresh, hits_rotten = int(np.sum(called & truth)), int(np.sum(~called & ~truth))
        f1_fresh = 2 * hits_fresh / max(int(called.sum()) + int(truth.sum()), 1)
        f1_rotten = 2 * hits_rotten / max(int((~called).sum()) + int((~truth).sum()), 1)
        macro_f1 = (f1_fresh + f1_rotten) / 2
        value = macro_f1 if objective == "macro_f1" else ((hits_fresh + hits_rotten) / len(truth) + macro_f1) / 2
        if value > best_value + 1e-12:
            best, best_value = float(threshold), value
    return best
