"""Outlets' and critics' fresh rates, read by the trained verdict model beside the text.

Some critics and outlets call most films fresh, others are harder to please; the crawl knows
who wrote a review and where, so the model (aggregator.infer_linear) may read that too. From
its training examples it learns, for each kind ("publication", "critic"), how many of each
key's reviews were fresh, and reads a review's key as one feature:

    logit((fresh + a x overall) / (reviews + a)) - logit(overall)

the key's fresh rate pulled toward the overall rate by a beta prior of strength `a`
(`DEFAULT_STRENGTH` reviews' worth), measured from the overall rate: 0 for a key never seen
(or none given), so a model reads a review of an unknown critic on its text alone. The rates
are stored with the model (plain counts in its JSON). While training, each example's feature
comes from the other folds' examples only (`out_of_fold_columns`): a rate that counted the
example's own label would tell the model the answer.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

PRIOR_KINDS = ("publication", "critic")
DEFAULT_STRENGTH = 10.0
"""Reviews' worth of the overall rate mixed into each key's rate: on held-out films of the
real sample 5, 10 and 20 gave the same within 0.1 point (docs/verdicts.md)."""


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


@dataclass
class FreshRates:
    kind: str
    strength: float
    overall: float
    """Share of fresh calls over all training examples (strictly between 0 and 1)."""
    counts: dict[str, list[int]] = field(default_factory=dict)
    """{key: [fresh reviews, reviews]}."""

    @classmethod
    def learn(cls, kind: str, keys: Sequence[str | None], fresh: Sequence[bool], strength: float,
              overall: float | None = None) -> FreshRates:  # fmt: skip
        counts: dict[str, list[int]] = {}
        for key, call in zip(keys, fresh):
            if key:
                tally = counts.setdefault(key, [0, 0])
                tally[0] += bool(call)
                tally[1] += 1
        if overall is None:
            overall = sum(map(bool, fresh)) / max(len(fresh), 1)
        return cls(kind, float(strength), min(1 - 1e-6, max(1e-6, float(overall))), counts)

    def feature(self, key: str | None) -> float:
        tally = self.counts.get(key) if key else None
        if tally is None:
            return 0.0
        fresh, reviews = tally
        rate = (fresh + self.strength * self.overall) / (reviews + self.strength)
        return _logit(min(1 - 1e-6, max(1e-6, rate))) - _logit(self.overall)

    def column(self, keys: Sequence[str | None] | None, rows: int) -> np.ndarray:
        if keys is None:
            return np.zeros(rows)
        return np.array([self.feature(key) for key in keys], dtype=np.float64)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "strength": self.strength, "overall": self.overall,
                "counts": {key: list(tally) for key, tally in sorted(self.counts.items())}}  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FreshRates:
        counts = {str(key): [int(tally[0]), int(tally[1])] for key, tally in data["counts"].items()}
        if data["kind"] not in PRIOR_KINDS:
            raise ValueError(f"unknown fresh-rate kind {data['kind']!r}")
        return cls(data["kind"], float(data["strength"]), float(data["overall"]), counts)


def out_of_fold_columns(
    kinds: Sequence[str], keys: dict[str, Sequence[str | None]], fresh: Sequence[bool], strength: float, seed: int,
    folds: int = 5,
) -> np.ndarray:  # fmt: skip
    """The training examples' prior features, each from the rates of the other folds."""
    from sklearn.model_selection import KFold

    fresh = list(fresh)
    overall = sum(map(bool, fresh)) / len(fresh)
    columns = np.zeros((len(fresh), len(kinds)))
    for train, held in KFold(min(folds, len(fresh)), shuffle=True, random_state=seed).split(fresh):
        for number, kind in enumerate(kinds):
            rates = FreshRates.learn(kind, [keys[kind][i] for i in train], [fresh[i] for i in train], strength,
                                     overall)  # fmt: skip
            columns[held, number] = [rates.feature(keys[kind][i]) for i in held]
    return columns
