"""Outlets', critics' and the film's fresh rates, read by the trained verdict model beside the text.

Some critics and outlets call most films fresh, others are harder to please; the crawl knows
who wrote a review and where, so the model (aggregator.verdicts.text.linear) may read that too. From
its training examples it learns, for each kind ("publication", "critic"), how many of each
key's reviews were fresh, and reads a review's key as one feature:

    logit((fresh + a x overall) / (reviews + a)) - logit(overall)

the key's fresh rate pulled toward the overall rate by a beta prior of strength `a`
(`DEFAULT_STRENGTH` reviews' worth), measured from the overall rate: 0 for a key never seen
(or none given), so a model reads a review of an unknown critic on its text alone. The rates
are stored with the model (plain counts in its JSON). While training, each example's feature
comes from the other folds' examples only (`out_of_fold_columns`): a rate that counted the
example's own label would tell the model the answer.

The third kind, "film" (`CONSENSUS_KIND`), is the film's consensus: of the other reviews of the
same film whose verdict was given (a rating, a label, a rating in the text, a person's call:
aggregator.verdicts.GIVEN_SOURCES), how many were fresh. A film most critics liked makes an
unsure text likelier fresh. It is not learnt into the model (films come and go): the caller
gives each review's tally `(fresh, reviews)`, read from the database at inference
(aggregator.db.film_consensus) and, for training, leave-one-out from the other examples of the
film (`leave_one_out_tallies`); the same formula turns it into a feature. Inferred verdicts
never count in a tally, so a model's output never feeds its own input.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

KEYED_KINDS = ("publication", "critic")
"""Kinds whose rates are learnt per key from the training examples and stored with the model."""
CONSENSUS_KIND = "film"
PRIOR_KINDS = (*KEYED_KINDS, CONSENSUS_KIND)
Tally = tuple[int, int]
"""(fresh reviews, reviews)."""
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
        return 0.0 if tally is None else self.tally_feature(tally)

    def tally_feature(self, tally: Sequence[int] | None) -> float:
        """The feature of `tally` (fresh, reviews); 0 (the overall rate) for none."""
        if not tally:
            return 0.0
        fresh, reviews = tally
        rate = (fresh + self.strength * self.overall) / (reviews + self.strength)
        return _logit(min(1 - 1e-6, max(1e-6, rate))) - _logit(self.overall)

    def column(self, values: Sequence[object] | None, rows: int) -> np.ndarray:
        """One feature per row: `values` are keys (anything `prior_key` reads) for a keyed
        kind, tallies (or None) for the film consensus; None: every row unknown."""
        if values is None:
            return np.zeros(rows)
        if self.kind == CONSENSUS_KIND:
            return np.array([self.tally_feature(as_tally(value)) for value in values], dtype=np.float64)
        from aggregator.verdicts.text.model import prior_key

        return np.array([self.feature(prior_key(value)) for value in values], dtype=np.float64)

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
    kinds: Sequence[str], keys: dict[str, Sequence[object]], fresh: Sequence[bool], strength: float, seed: int,
    folds: int = 5,
) -> np.ndarray:  # fmt: skip
    """The training examples' prior features, each keyed rate from the other folds (the film
    consensus tallies are leave-one-out already: read as given)."""
    from sklearn.model_selection import KFold

    fresh = list(fresh)
    overall = sum(map(bool, fresh)) / len(fresh)
    columns = np.zeros((len(fresh), len(kinds)))
    for number, kind in enumerate(kinds):
        if kind == CONSENSUS_KIND:
            columns[:, number] = FreshRates.learn(kind, (), (), strength, overall).column(keys[kind], len(fresh))
    for train, held in KFold(min(folds, len(fresh)), shuffle=True, random_state=seed).split(fresh):
        for number, kind in enumerate(kinds):
            if kind == CONSENSUS_KIND:
                continue
            rates = FreshRates.learn(kind, [keys[kind][i] for i in train], [fresh[i] for i in train], strength,
                                     overall)  # fmt: skip
            columns[held, number] = [rates.feature(keys[kind][i]) for i in held]
    return columns


def as_tally(value: object) -> Tally | None:
    """(fresh, reviews) from a pair of whole numbers with 0 <= fresh <= reviews; None for
    anything else (no consensus known). A tally of 0 reviews is no evidence, and reads 0."""
    if value is None:
        return None
    try:
        fresh, reviews = value  # type: ignore[misc]
        fresh, reviews = int(fresh), int(reviews)
    except (TypeError, ValueError):
        raise ValueError(f"a film consensus tally is (fresh, reviews), not {value!r}") from None
    if not 0 <= fresh <= reviews:
        raise ValueError(f"a film consensus tally needs 0 <= fresh <= reviews, not {value!r}")
    return fresh, reviews


def leave_one_out_tallies(groups: Sequence[object], fresh: Sequence[bool | None]) -> list[Tally | None]:
    """Each example's film consensus from the other examples of its group (its film): the
    (fresh, reviews) of the group less the example itself. `fresh` None: an example whose
    call is unknown counts in no tally. A group of None (no film known) has no consensus."""
    totals: dict[object, list[int]] = {}
    for group, call in zip(groups, fresh):
        if group is not None and call is not None:
            tally = totals.setdefault(group, [0, 0])
            tally[0] += bool(call)
            tally[1] += 1
    result: list[Tally | None] = []
    for group, call in zip(groups, fresh):
        if group is None:
            result.append(None)
            continue
        tally = totals.get(group, [0, 0])
        own = (bool(call), 1) if call is not None else (0, 0)
        result.append((tally[0] - own[0], tally[1] - own[1]))
    return result
