"""The trained verdict model: TF-IDF word n-grams plus lexicon features, a linear classifier.

Training uses scikit-learn (TfidfVectorizer, LogisticRegression); the result is stored as plain
data (each block's vocabulary and idf weights, one weight per feature, an intercept, a 1-D
calibration), never as a pickle: loading runs no code and does not depend on the scikit-learn
version, and inference is a sparse count (scikit-learn's CountVectorizer on the stored
vocabulary), the idf weighting, the lexicon features and a dot product.

Text is read as follows (`analyse_words`): lower-cased, curly apostrophes made straight, HTML
entities decoded; word unigrams and bigrams; with negation marking, the words after a negator
("not", "never", "isn't", … aggregator.infer_lexicon.WIDE_NEGATORS) up to the next punctuation
or contrast word, at most `NEGATION_SCOPE` words, are also counted as "neg_<word>" ("not
funny" gives neg_funny). Beside the words, the five lexicon features of
aggregator.infer_lexicon (VADER valence, film-criticism cues). An optional block of character
n-grams and naive-Bayes log-count ratios exist for the benchmark's variants. What each option
gave on the real sample is in docs/verdicts.md.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from aggregator.infer import (
    VERDICT_NAMES,
    Inference,
    TrainingError,
    inference_from_probability,
    readable,
)
from aggregator.infer_lexicon import (
    LEXICON_FEATURES,
    NEGATION_SCOPE,
    SCOPE_END,
    WIDE_NEGATORS,
    lexicon_features,
    normalise_text,
    tokens,
)
from aggregator.verdicts import CONTRASTS

FORMAT = "aggregator.verdict-model/1"
TRAINED_NAME = "tfidf-linear"

DEFAULT_SPEC: dict[str, Any] = {
    "word": {"ngram": [1, 2], "negation": True, "min_df": 2, "sublinear": True},
    "char": None,
    "lexicon": 1.0,
    "nb": False,
    "C": 4.0,
    "class_weight": None,
    "calibrate": True,
    "min_mixed": 50,
}
"""The shipped configuration; `python -m benchmarks.verdicts --variants` measures the others.
"lexicon" scales the lexicon features (0: none); "char" is a char n-gram block (None: none: on
top of the lexicon features it gave nothing and cost 5x the time); "nb" multiplies the n-gram
features by their naive-Bayes log-count ratios (NB-LR)."""


def analyse_words(
    text: str, ngram: tuple[int, int] = (1, 2), negation: bool = True, token_list: list[str] | None = None
) -> list[str]:
    """Word n-gram features of a text (see the module docstring); `token_list` is its
    `tokens(text)` when the caller has them already."""
    features: list[str] = []
    words: list[str] = []
    scope = 0
    for token in tokens(text) if token_list is None else token_list:
        if token in SCOPE_END:
            scope = 0
            if token in "!?":  # "!" and "?" carry tone; commas and full stops do not
                words.append(token)
            continue
        if token in CONTRASTS:
            scope = 0
        if scope and negation:
            features.append("neg_" + token)
            scope -= 1
        if token in WIDE_NEGATORS:
            scope = NEGATION_SCOPE
        words.append(token)
    low, high = ngram
    for size in range(low, high + 1):
        features.extend(" ".join(words[i : i + size]) for i in range(len(words) - size + 1))
    return features


class FeatureBlock:
    """One TF-IDF block (word or char n-grams) over a fixed vocabulary."""

    def __init__(self, kind: str, settings: dict[str, Any], vocabulary: list[str], idf: np.ndarray):
        from sklearn.feature_extraction.text import CountVectorizer

        self.kind, self.settings = kind, dict(settings)
        self.vocabulary, self.idf = list(vocabulary), np.asarray(idf, dtype=np.float64)
        self._index = {term: index for index, term in enumerate(self.vocabulary)}
        if len(self._index) != len(self.vocabulary):
            raise ValueError(f"the {kind} block's vocabulary repeats a term")
        self._counter = CountVectorizer(vocabulary=self._index, **_vectoriser_arguments(kind, settings))

    def transform(self, texts: Sequence[str], token_lists: Sequence[list[str]] | None = None):
        """TF-IDF rows of `texts` (L2-normalised); word blocks reuse `token_lists` if given."""
        from sklearn.preprocessing import normalize

        if self.kind == "word":
            counts = self._count_words(texts, token_lists)
        else:
            counts = self._counter.transform(texts).astype(np.float64)
        if self.settings.get("sublinear", True):
            counts.data = 1.0 + np.log(counts.data)
        return normalize(counts.multiply(self.idf).tocsr())

    def _count_words(self, texts: Sequence[str], token_lists: Sequence[list[str]] | None):
        # what CountVectorizer(vocabulary=…).transform does, without analysing each text twice
        from scipy.sparse import csr_matrix

        ngram = tuple(self.settings["ngram"])
        negation = bool(self.settings.get("negation", True))
        lookup = self._index.get
        indices: list[int] = []
        indptr = [0]
        for number, text in enumerate(texts):
            found = map(lookup, analyse_words(text, ngram, negation, None if token_lists is None else token_lists[number]))
            indices.extend(index for index in found if index is not None)
            indptr.append(len(indices))
        counts = csr_matrix((np.ones(len(indices)), np.array(indices, dtype=np.int64), np.array(indptr)),
                            shape=(len(texts), len(self.vocabulary)))  # fmt: skip
        counts.sum_duplicates()
        return counts

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "settings": self.settings, "vocabulary": self.vocabulary,
                "idf": [round(float(x), 6) for x in self.idf]}  # fmt: skip


def _vectoriser_arguments(kind: str, settings: dict[str, Any]) -> dict[str, Any]:
    ngram = tuple(settings["ngram"])
    if kind == "word":
        analyser = functools.partial(analyse_words, ngram=ngram, negation=bool(settings.get("negation", True)))
        return {"analyzer": analyser}
    if kind == "char":
        return {"analyzer": "char_wb", "ngram_range": ngram, "preprocessor": normalise_text, "lowercase": False}
    raise ValueError(f"unknown feature block {kind!r}")


class LinearTextModel:
    """A trained verdict model (see the module docstring); `infer` as every VerdictModel."""

    is_fallback = False

    def __init__(
        self,
        *,
        blocks: list[FeatureBlock],
        coef: np.ndarray,
        intercept: np.ndarray,
        classes: list[str],
        calibration: tuple[float, float] = (1.0, 0.0),
        trained_on: int = 0,
        name: str = TRAINED_NAME,
        version: int = 0,
        spec: dict[str, Any] | None = None,
        metrics: dict[str, Any] | None = None,
        created_at: datetime | None = None,
        skipped: dict[str, int] | None = None,
        lexicon_weight: float = 0.0,
        prior_fresh: float = 0.5,
    ) -> None:
        self.blocks, self.classes = blocks, list(classes)
        self.lexicon_weight = float(lexicon_weight)
        self.prior_fresh = float(prior_fresh)
        """Share of fresh calls in the training examples (what a text with no evidence gets)."""
        self.coef = np.atleast_2d(np.asarray(coef, dtype=np.float64))
        self.intercept = np.atleast_1d(np.asarray(intercept, dtype=np.float64))
        self.calibration = (float(calibration[0]), float(calibration[1]))
        self.trained_on, self.name, self.version = int(trained_on), name, int(version)
        self.spec = dict(spec or {})
        self.metrics = dict(metrics or {})
        self.created_at = created_at or datetime.now(timezone.utc)
        self.skipped = dict(skipped or {})
        width = sum(len(block.vocabulary) for block in blocks) + (len(LEXICON_FEATURES) if self.lexicon_weight else 0)
        if self.coef.shape[1] != width:
            raise ValueError(f"{self.coef.shape[1]} weights for {width} features")

    @property
    def label(self) -> str:
        return f"{self.name}@{self.version}"

    def features(self, texts: Sequence[str]):
        from scipy.sparse import csr_matrix, hstack

        token_lists = [tokens(text) for text in texts]  # read once, for the words and the lexicon
        parts = [block.transform(texts, token_lists) for block in self.blocks]
        if self.lexicon_weight:
            rows = [lexicon_features(text, found) for text, found in zip(texts, token_lists)]
            parts.append(csr_matrix(np.array(rows, dtype=np.float64).reshape(len(texts), -1) * self.lexicon_weight))
        return hstack(parts).tocsr()

    def decision_scores(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray(self.features(texts) @ self.coef.T) + self.intercept

    def probabilities(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray | None]:
        """(p_fresh per text, class probabilities per text or None for a two-class model)."""
        scores = self.decision_scores(texts)
        if len(self.classes) == 2:  # classes = ["not_fresh", "fresh"]
            slope, offset = self.calibration
            return 1.0 / (1.0 + np.exp(-np.clip(slope * scores[:, 0] + offset, -50, 50))), None
        shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
        probabilities = shifted / shifted.sum(axis=1, keepdims=True)
        return probabilities[:, self.classes.index("positive")], probabilities

    def infer(self, text: str | None) -> Inference | None:
        return self.infer_many([text])[0]

    def infer_many(self, texts: Iterable[str | None]) -> list[Inference | None]:
        texts = list(texts)
        results: list[Inference | None] = [None] * len(texts)
        wanted = [index for index, text in enumerate(texts) if readable(text)]
        if not wanted:
            return results
        p_fresh, by_class = self.probabilities([texts[index] for index in wanted])  # type: ignore[misc]
        for row, index in enumerate(wanted):
            classes = None if by_class is None else dict(zip(self.classes, map(float, by_class[row])))
            results[index] = inference_from_probability(float(p_fresh[row]), self.label, classes)
        return results

    # --- plain data ---------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "name": self.name,
            "version": self.version,
            "trained_on": self.trained_on,
            "created_at": self.created_at.isoformat(),
            "spec": self.spec,
            "classes": self.classes,
            "blocks": [block.to_dict() for block in self.blocks],
            "lexicon": {"weight": self.lexicon_weight, "features": list(LEXICON_FEATURES)},
            "prior_fresh": self.prior_fresh,
            "coef": [[round(float(x), 6) for x in row] for row in self.coef],
            "intercept": [float(x) for x in self.intercept],
            "calibration": list(self.calibration),
            "metrics": self.metrics,
            "skipped": self.skipped,
        }

    @classmethod
    def from_dict(cls, data: object) -> LinearTextModel:
        """A model saved by `to_dict`; raises ValueError naming what is wrong."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f"not a stored verdict model: expected format {FORMAT!r}")
        try:
            blocks = [FeatureBlock(b["kind"], b["settings"], b["vocabulary"], b["idf"]) for b in data["blocks"]]
            lexicon = data["lexicon"]
            if lexicon["weight"] and list(lexicon["features"]) != list(LEXICON_FEATURES):
                raise ValueError(f"stored verdict model reads lexicon features {lexicon['features']}, "
                                 f"this version computes {list(LEXICON_FEATURES)}: retrain it")  # fmt: skip
            return cls(
                blocks=blocks, coef=np.asarray(data["coef"]), intercept=np.asarray(data["intercept"]),
                classes=list(data["classes"]), calibration=tuple(data["calibration"]),
                trained_on=data["trained_on"], name=str(data["name"]), version=data["version"],
                spec=data.get("spec"), metrics=data.get("metrics"),
                created_at=datetime.fromisoformat(data["created_at"]), skipped=data.get("skipped"),
                lexicon_weight=float(lexicon["weight"]), prior_fresh=float(data["prior_fresh"]),
            )  # fmt: skip
        except (KeyError, TypeError, IndexError) as error:
            raise ValueError(f"stored verdict model is damaged: {error!r}") from error


# --- training ---------------------------------------------------------------------------------


def train_linear_model(
    texts: Sequence[str], verdicts: Sequence[str], *, seed: int = 0, spec: dict[str, Any] | None = None
) -> LinearTextModel:
    """Fit the model on normalised verdicts ("positive"/"mixed"/"negative"). Three classes
    when at least spec["min_mixed"] examples are "mixed", else fresh (positive) against the
    rest, with mixed counted as not fresh."""
    spec = {**DEFAULT_SPEC, **(spec or {})}
    mixed = sum(verdict == "mixed" for verdict in verdicts)
    three_classes = mixed >= spec["min_mixed"] and len(set(verdicts)) == 3
    if three_classes:
        classes = [name for name in VERDICT_NAMES]
        target = np.array([classes.index(verdict) for verdict in verdicts])
    else:
        classes = ["not_fresh", "fresh"]
        target = np.array([verdict == "positive" for verdict in verdicts], dtype=int)
    if len(set(target.tolist())) < 2:
        raise TrainingError("the labels hold one class only: a model needs two kinds")
    blocks = fit_blocks(texts, spec)
    lexicon_weight = float(spec.get("lexicon") or 0.0)
    width = sum(len(b.vocabulary) for b in blocks) + (len(LEXICON_FEATURES) if lexicon_weight else 0)
    model = LinearTextModel(blocks=blocks, coef=np.zeros((1, width)), intercept=np.zeros(1), classes=classes,
                            lexicon_weight=lexicon_weight)  # fmt: skip
    features = model.features(texts)
    ratios = _nb_ratios(features, target, blocks) if spec.get("nb") and not three_classes else None
    if ratios is not None:
        features = features.multiply(ratios).tocsr()
    # One BLAS/OpenMP thread: on a busy 2-core machine the solver's threads wait on each other,
    # and a fit took 30 s instead of 1.3 s (the problem is small; threads buy nothing).
    with threadpool_limits(limits=1):
        classifier = _classifier(spec, seed)
        classifier.fit(features, target)
        if not three_classes and spec["calibrate"]:
            model.calibration = _platt(features, target, spec, seed)
    model.coef, model.intercept = classifier.coef_.copy(), classifier.intercept_.copy()
    if ratios is not None:
        model.coef = model.coef * ratios  # (x * r) . w == x . (r * w): stored as one weight per feature
    model.prior_fresh = float(np.mean([verdict == "positive" for verdict in verdicts]))
    model.trained_on, model.spec = len(texts), spec
    return model


def fit_blocks(texts: Sequence[str], spec: dict[str, Any]) -> list[FeatureBlock]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    blocks = []
    for kind in ("word", "char"):
        settings = spec.get(kind)
        if not settings:
            continue
        vectoriser = TfidfVectorizer(min_df=settings.get("min_df", 1), sublinear_tf=settings.get("sublinear", True),
                                     **_vectoriser_arguments(kind, settings))  # fmt: skip
        vectoriser.fit(texts)
        vocabulary = sorted(vectoriser.vocabulary_, key=vectoriser.vocabulary_.__getitem__)
        blocks.append(FeatureBlock(kind, settings, vocabulary, vectoriser.idf_))
    return blocks


def _classifier(spec: dict[str, Any], seed: int):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=spec["C"], class_weight=_class_weight(spec["class_weight"]), max_iter=3000,
                              random_state=seed)  # fmt: skip


def _nb_ratios(features, target: np.ndarray, blocks: list[FeatureBlock]) -> np.ndarray:
    """Naive-Bayes log-count ratios of the n-gram columns (1 for the lexicon columns)."""
    width = sum(len(block.vocabulary) for block in blocks)
    fresh = np.asarray(features[target == 1][:, :width].sum(axis=0)).ravel() + 1.0
    rotten = np.asarray(features[target == 0][:, :width].sum(axis=0)).ravel() + 1.0
    ratios = np.ones(features.shape[1])
    ratios[:width] = np.log((fresh / fresh.sum()) / (rotten / rotten.sum()))
    return ratios


def _class_weight(setting: object):
    if setting is None or setting == "balanced":
        return setting
    return {0: 1.0, 1: float(setting)}  # type: ignore[arg-type]


def _platt(features, target: np.ndarray, spec: dict[str, Any], seed: int) -> tuple[float, float]:
    """Slope and offset mapping decision scores to calibrated chances, fitted on 5-fold
    out-of-fold scores (the classifier's own probabilities are overconfident on its training
    data)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    folds = min(5, int(np.bincount(target).min()))
    if folds < 2:
        return 1.0, 0.0
    classifier = _classifier(spec, seed)
    scores = cross_val_predict(classifier, features, target, method="decision_function",
                               cv=StratifiedKFold(folds, shuffle=True, random_state=seed))  # fmt: skip
    calibrator = LogisticRegression(C=1e6, max_iter=1000).fit(scores.reshape(-1, 1), target)
    slope, offset = float(calibrator.coef_[0, 0]), float(calibrator.intercept_[0])
    return (slope, offset) if math.isfinite(slope) and math.isfinite(offset) else (1.0, 0.0)
