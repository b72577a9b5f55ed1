"""The trained verdict model: TF-IDF word n-grams plus lexicon features, a linear classifier.

Training uses scikit-learn (TfidfVectorizer, LogisticRegression); the result is stored as plain
data (each block's vocabulary and idf weights, one weight per feature, an intercept, a 1-D
calibration), never as a pickle: loading runs no code and does not depend on the scikit-learn
version, and inference is a sparse count (scikit-learn's CountVectorizer on the stored
vocabulary), the idf weighting, the lexicon features and a dot product.

Text is read as follows (`analyse_words`): lower-cased, curly apostrophes made straight, HTML
entities decoded; word unigrams and bigrams; with negation marking, the words after a negator
("not", "never", "isn't", … aggregator.verdicts.text.lexicon.WIDE_NEGATORS) up to the next punctuation
or contrast word, at most `NEGATION_SCOPE` words, are also counted as "neg_<word>" ("not
funny" gives neg_funny). Beside the words, the five lexicon features of
aggregator.verdicts.text.lexicon (VADER valence, film-criticism cues). An optional block of character
n-grams and naive-Bayes log-count ratios exist for the benchmark's variants. What each option
gave on the real sample is in docs/verdicts.md.

Two more things are learnt from the training data and stored with the model: the p_fresh from
which it calls fresh (`threshold`, aggregator.verdicts.text.calibration, chosen on out-of-fold chances
for a balance of accuracy and macro-F1), and, when the examples come with their outlet and
critic, those keys' fresh rates (`priors`, aggregator.verdicts.text.priors), read as extra features;
when they come with their film's consensus (the other reviews' given calls), how much that
weighs (the consensus itself is given at inference, never stored in the model).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from aggregator.verdicts.text.calibration import calibrate
from aggregator.verdicts.text.features import FeatureBlock, analyse_words, fit_blocks  # noqa: F401 (analyse_words: re-exported)
from aggregator.verdicts.text.lexicon import LEXICON_FEATURES, lexicon_features, tokens
from aggregator.verdicts.text.model import (
    VERDICT_NAMES,
    Inference,
    TrainingError,
    inference_from_probability,
    readable,
)
from aggregator.verdicts.text.priors import (
    CONSENSUS_KIND,
    DEFAULT_STRENGTH,
    PRIOR_KINDS,
    FreshRates,
    out_of_fold_columns,
)

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
    "threshold": "balanced",
    "priors": DEFAULT_STRENGTH,
    "min_mixed": 50,
}
"""The shipped configuration; `python -m benchmarks.verdicts --variants` measures the others.
"threshold": where a two-class model calls fresh: "balanced" picks, on the training
examples' out-of-fold calibrated chances (`_calibrate`), the threshold that maximises the
mean of accuracy and macro-F1; "macro_f1" maximises macro-F1 alone; a number is used as is;
None is 0.5. "priors": the strength of the outlet/critic fresh rates (aggregator.verdicts.text.priors),
learnt when training examples come with keys (0/None: never).
"lexicon" scales the lexicon features (0: none); "char" is a char n-gram block (None: none: on
top of the lexicon features it gave nothing and cost 5x the time); "nb" multiplies the n-gram
features by their naive-Bayes log-count ratios (NB-LR)."""


class LinearTextModel:
    """A trained verdict model (see the module docstring); `infer` as every VerdictModel."""

    is_fallback = False
    reads_in_batches = True
    """`infer_many` reads a batch in one pass (~11,000-15,000 texts/s in batches of 64-200
    against ~700/s one by one on a quiet run: the cost is mostly per call), so callers batch their reads (aggregator.verdicts.text.batch)."""

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
        priors: list[FreshRates] | None = None,
        threshold: float = 0.5,
    ) -> None:
        self.blocks, self.classes = blocks, list(classes)
        self.priors = list(priors or [])
        """Outlet/critic fresh rates read beside the text (aggregator.verdicts.text.priors), if any."""
        self.threshold = float(threshold)
        """A two-class model calls fresh from this p_fresh (chosen on its training data)."""
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
        width = _text_width(blocks, self.lexicon_weight) + len(self.priors)
        if self.coef.shape[1] != width:
            raise ValueError(f"{self.coef.shape[1]} weights for {width} features")

    @property
    def label(self) -> str:
        return f"{self.name}@{self.version}"

    @property
    def uses_priors(self) -> bool:
        """True when the model reads outlet/critic keys or the film's consensus
        (`infer(text, publication, critic, film)`)."""
        return bool(self.priors)

    @property
    def uses_consensus(self) -> bool:
        """True when the model reads the film's consensus (`infer(..., film=(fresh, reviews))`)."""
        return any(rates.kind == CONSENSUS_KIND for rates in self.priors)

    def features(self, texts: Sequence[str], keys: dict[str, Sequence[object]] | None = None, prior_columns=None):
        """Feature rows: the text's, then one column per fresh rate in `priors`, read from
        `keys` ({kind: one key per text, or for "film" one (fresh, reviews) tally per text};
        a kind not given reads 0, "unknown"), or `prior_columns` as given (training's
        out-of-fold values)."""
        from scipy.sparse import csr_matrix, hstack

        parts = self._text_parts(texts)
        if self.priors:
            if prior_columns is None:
                keys = keys or {}
                prior_columns = np.column_stack([rates.column(keys.get(rates.kind), len(texts))
                                                 for rates in self.priors])  # fmt: skip
            parts.append(csr_matrix(np.asarray(prior_columns).reshape(len(texts), -1)))
        return hstack(parts).tocsr()  # one stacking per call: a small batch's cost is mostly per call

    def text_features(self, texts: Sequence[str]):
        from scipy.sparse import hstack

        return hstack(self._text_parts(texts)).tocsr()

    def _text_parts(self, texts: Sequence[str]) -> list:
        from scipy.sparse import csr_matrix

        token_lists = [tokens(text) for text in texts]  # read once, for the words and the lexicon
        parts = [block.transform(texts, token_lists) for block in self.blocks]
        if self.lexicon_weight:
            rows = [lexicon_features(text, found) for text, found in zip(texts, token_lists)]
            parts.append(csr_matrix(np.array(rows, dtype=np.float64).reshape(len(texts), -1) * self.lexicon_weight))
        return parts

    def decision_scores(self, texts: Sequence[str], keys: dict[str, Sequence[object]] | None = None) -> np.ndarray:
        return np.asarray(self.features(texts, keys) @ self.coef.T) + self.intercept

    def probabilities(
        self, texts: Sequence[str], keys: dict[str, Sequence[object]] | None = None
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """(p_fresh per text, class probabilities per text or None for a two-class model)."""
        scores = self.decision_scores(texts, keys)
        if len(self.classes) == 2:  # classes = ["not_fresh", "fresh"]
            slope, offset = self.calibration
            return 1.0 / (1.0 + np.exp(-np.clip(slope * scores[:, 0] + offset, -50, 50))), None
        shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
        probabilities = shifted / shifted.sum(axis=1, keepdims=True)
        return probabilities[:, self.classes.index("positive")], probabilities

    def infer(
        self, text: str | None, publication: object = None, critic: object = None, film: object = None
    ) -> Inference | None:
        """The verdict of `text`; `publication` / `critic` (key strings or anything with
        `.key`) let a model with `priors` read their fresh rates too, `film` (the film's
        consensus: (fresh, reviews) of its other reviews with a given verdict) lets it read
        that (unknown or absent: the text alone)."""
        return self.infer_many([text], [publication], [critic], [film])[0]

    def infer_many(
        self, texts: Iterable[str | None], publications: Sequence[object] | None = None,
        critics: Sequence[object] | None = None, films: Sequence[object] | None = None,
    ) -> list[Inference | None]:  # fmt: skip
        texts = list(texts)
        results: list[Inference | None] = [None] * len(texts)
        wanted = [index for index, text in enumerate(texts) if readable(text)]
        if not wanted:
            return results
        given_kinds = (("publication", publications), ("critic", critics), (CONSENSUS_KIND, films))
        keys = {kind: [given[index] for index in wanted] for kind, given in given_kinds if given is not None}
        p_fresh, by_class = self.probabilities([texts[index] for index in wanted], keys)  # type: ignore[misc]
        for row, index in enumerate(wanted):
            classes = None if by_class is None else dict(zip(self.classes, map(float, by_class[row])))
            results[index] = inference_from_probability(float(p_fresh[row]), self.label, classes, self.threshold)
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
            "priors": [rates.to_dict() for rates in self.priors],
            "threshold": self.threshold,
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
                priors=[FreshRates.from_dict(rates) for rates in data.get("priors", [])],
                threshold=float(data.get("threshold", 0.5)),
            )  # fmt: skip
        except (KeyError, TypeError, IndexError) as error:
            raise ValueError(f"stored verdict model is damaged: {error!r}") from error


# --- training ---------------------------------------------------------------------------------


def train_linear_model(
    texts: Sequence[str], verdicts: Sequence[str], *, seed: int = 0, spec: dict[str, Any] | None = None,
    keys: dict[str, Sequence[str | None]] | None = None,
) -> LinearTextModel:
    """Fit the model on normalised verdicts ("positive"/"mixed"/"negative"). Three classes
    when at least spec["min_mixed"] examples are "mixed", else fresh (positive) against the
    rest, with mixed counted as not fresh. `keys` ({"publication"/"critic": one `prior_key`
    per text; "film": one leave-one-out consensus tally per text}) add the outlets' and
    critics' fresh rates and the film consensus (aggregator.verdicts.text.priors) when spec["priors"]
    is set and some key or tally is known."""
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
    fresh = [verdict == "positive" for verdict in verdicts]
    strength = float(spec.get("priors") or 0.0)
    kinds = [kind for kind in PRIOR_KINDS if strength and any((keys or {}).get(kind) or ())]
    priors = [FreshRates.learn(kind, keys[kind] if kind != CONSENSUS_KIND else (), fresh, strength)  # type: ignore[index]
              for kind in kinds]  # fmt: skip
    width = _text_width(blocks, lexicon_weight) + len(priors)
    model = LinearTextModel(blocks=blocks, coef=np.zeros((1, width)), intercept=np.zeros(1), classes=classes,
                            lexicon_weight=lexicon_weight, priors=priors)  # fmt: skip
    columns = out_of_fold_columns(kinds, keys, fresh, strength, seed) if priors else None  # type: ignore[arg-type]
    features = model.features(texts, prior_columns=columns)
    ratios = _nb_ratios(features, target, blocks) if spec.get("nb") and not three_classes else None
    if ratios is not None:
        features = features.multiply(ratios).tocsr()
    # One BLAS/OpenMP thread: on a busy 2-core machine the solver's threads wait on each other,
    # and a fit took 30 s instead of 1.3 s (the problem is small; threads buy nothing).
    with threadpool_limits(limits=1):
        classifier = _classifier(spec, seed)
        classifier.fit(features, target)
        if not three_classes and spec["calibrate"]:
            model.calibration, model.threshold = calibrate(features, target, _classifier(spec, seed),
                                                           spec.get("threshold"), seed)  # fmt: skip
    model.coef, model.intercept = classifier.coef_.copy(), classifier.intercept_.copy()
    if ratios is not None:
        model.coef = model.coef * ratios  # (x * r) . w == x . (r * w): stored as one weight per feature
    model.prior_fresh = float(np.mean(fresh))
    model.trained_on, model.spec = len(texts), spec
    return model


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


def _text_width(blocks: list[FeatureBlock], lexicon_weight: float) -> int:
    return sum(len(block.vocabulary) for block in blocks) + (len(LEXICON_FEATURES) if lexicon_weight else 0)
