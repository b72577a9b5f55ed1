"""A read rating (`Rating`) and its score: the 0-100 scale every rating is compared on.

Every rating becomes a `score` from 0 to 100, linear over its scale: (value - worst) / (best -
worst) * 100, so x/5 → 20x, x/4 → 25x and -4..+4 → (x + 4) * 12.5. Star and point scales are
0-based ("0/4" exists in real data). Letter grades use the points Metacritic publishes
(`LETTER_POINTS`); a split grade ("B+/A-") is the midpoint of its two grades. Scores are
rounded to 6 decimals, so that "3.05/5" lands on 61 (a band edge) and not on 60.99999999999999.

This module knows what a rating is worth once its value and scale are known; how a string or
structured data states them is aggregator.ratings' concern, and every name here is importable
from there too.
"""

from __future__ import annotations

from dataclasses import dataclass

from aggregator.ratings.scales import SCALES, Scale

NEGATIVE_BELOW = 40.0
"""Verdict bands as Metacritic colours scores, half-open: negative [0, 40), mixed [40, 61)."""
POSITIVE_FROM = 61.0
FRESH_FROM = 60.0
"""Rotten Tomatoes' rule: a score of 60 or more is fresh."""

LETTER_POINTS: dict[str, float] = {
    "a+": 100.0, "a": 100.0, "a-": 91.0, "b+": 83.0, "b": 75.0, "b-": 67.0, "c+": 58.0,
    "c": 50.0, "c-": 42.0, "d+": 33.0, "d": 25.0, "d-": 16.0, "f": 0.0,
}  # fmt: skip


def verdict_for_score(score: float) -> str:
    if score < NEGATIVE_BELOW:
        return "negative"
    return "mixed" if score < POSITIVE_FROM else "positive"


@dataclass(frozen=True, init=False)
class Rating:
    raw: str
    """The string as given (or, for structured data, "value/best")."""
    value: float
    """The critic's number on the scale: 3.5 for "3½/5", 83 for "B+", 2 for "+2 of -4..+4"."""
    best: float
    worst: float
    """The scale's own bounds, so that score == (value - worst) / (best - worst) * 100."""
    scale: str
    """A key of aggregator.ratings.scales.SCALES."""
    score: float | None
    """0-100; None only on the "binary" scale (a fresh/rotten flag carries no score)."""

    def __init__(
        self, raw: str, value: float, best: float, worst: float, scale: str, score: float | None
    ) -> None:
        # Written by hand because the generated frozen __init__ sets each field through
        # object.__setattr__, which made building the Rating half the cost of a parse.
        fields = self.__dict__
        fields["raw"] = raw
        fields["value"] = value
        fields["best"] = best
        fields["worst"] = worst
        fields["scale"] = scale
        fields["score"] = score

    @property
    def verdict(self) -> str | None:
        if self.score is None:
            if self.scale == "binary":
                return "positive" if self.value == self.best else "negative"
            return None
        return verdict_for_score(self.score)

    @property
    def fresh(self) -> bool | None:
        if self.score is None:
            return self.value == self.best if self.scale == "binary" else None
        return self.score >= FRESH_FROM


# --- a value on a known scale ----------------------------------------------------------------
# The builders below return a Rating, or the reason (a code of aggregator.ratings.REASONS)
# there is none.


def _scale_names_by_best() -> dict[float, str]:
    """Star/point scales by their best value; the first in SCALES wins, as in scale_for_best."""
    found: dict[float, str] = {}
    for scale in SCALES.values():
        if scale.kind in ("stars", "points"):
            found.setdefault(float(scale.best), scale.name)
    return found


SCALE_NAME_BY_BEST = _scale_names_by_best()
"""The name of the 0-based star or point scale whose best is the key ("x/4" → "stars/4")."""


def linear_score(value: float, worst: float, best: float) -> float:
    # round(x, 6) by hand (scores are never negative): 3x cheaper, and the reader's hot path
    return int((value - worst) * 1e8 / (best - worst) + 0.5) / 1e6


def rating_out_of(raw: str, value: float, best: float) -> Rating | str:
    """"`value` out of `best`" on a 0-based star or point scale."""
    if value < 0 or value > best:
        return "out_of_range"
    scale_name = SCALE_NAME_BY_BEST.get(best)
    if scale_name is None:
        return "unknown_scale"
    return Rating(raw, value, best, 0.0, scale_name, linear_score(value, 0.0, best))


def rating_on_scale(raw: str, value: float, scale: Scale | None) -> Rating | str:
    """A number whose scale the string does not state, read on the caller's `scale`."""
    if scale is None or scale.kind == "letter":
        return "out_of_range" if value < 0 else "unknown_scale"
    best, worst = float(scale.best), float(scale.worst)
    if value < worst or value > best:
        return "out_of_range"
    if scale.kind == "binary":
        if value not in (worst, best):
            return "out_of_range"
        return Rating(raw, value, best, worst, scale.name, None)
    return Rating(raw, value, best, worst, scale.name, linear_score(value, worst, best))
