"""How lenient every outlet is against the others (`aggregator outlets`), and a film's score with
each outlet's leniency taken out (`aggregator outlet adjust`; docs/queries-outlets.md).

The table's figures are outlet_profile's, for every outlet at once, from sums rather than a
loop over reviews:

- per (outlet, film): the outlet's count, sum and sum of squares of scores, its calls (fresh and
  not), their expected fresh sum (an inferred call by its calibrated probability), as the store
  keeps them (`outlet_film_sums`, aggregator.db.film_aggregates);
- per film: the same sums over every review, kept too (`film_aggregates`, the `all_*` columns);
- leave-one-out by subtraction: the other outlets' mean score of a film is
  (film sum − outlet's sum) / (film count − outlet's count), and for the outlet's c scores s on
  that film Σ(s − m) = S − c·m and Σ(s − m)² = Q − 2·m·S + c·m²;
- grouped by outlet, those sums give the leniency's mean and t interval without a row per review.
  The store keeps them grouped (`outlet_leniency_sums`, aggregator.db.outlet_leniency_sums) for
  the default minimum of other reviews: the table reads one row per outlet; at another minimum it
  sums the (outlet, film) rows.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aggregator.db.models import Film, OutletLeniencySums, Publication, Review
from aggregator.db.outlet_leniency_sums import KEPT_MIN_OTHER_REVIEWS, SUMS, leniency_sums
from aggregator.query.critic_profile import (
    MIN_INPUTS,
    MIN_OTHER_REVIEWS,
    ConsensusBase,
    MeanFigure,
    ShareFigure,
    mean_figure,
    share_figure,
)
from aggregator.query.intervals import t_quantile_975
from aggregator.query.scorecard import MIN_REVIEWS, counted_once, film_rows
from aggregator.query.scores import FilmNotFound

MIN_COMPARABLE = 20
"""Comparable reviews (scored, on films with enough other scores) an outlet needs to be listed in
the table by default (`--min-reviews`) and to have its leniency subtracted in the adjusted score:
at a typical spread of 15 points the leniency of 20 reviews is known to about ±7 points (95%);
of 5, to about ±19, more than most outlets' leniency itself."""
SORTS = ("leniency", "reviews", "positive")
INFERRED = "inferred"


@dataclass
class OutletLeniency:
    """One outlet's row of the table: outlet_profile's figures, from sums."""

    key: str
    name: str
    reviews: int
    without_film: int
    positive: ShareFigure
    agreement: ShareFigure
    agreement_base: ConsensusBase
    ties: int
    leniency: MeanFigure
    leniency_base: ConsensusBase
    leniency_standard_error: float | None
    """s/√n of the differences (None when the leniency is too few): what the adjusted score's
    interval adds for the correction's own uncertainty."""


@dataclass
class OutletTable:
    sort: str
    min_reviews: int
    """Outlets listed have at least this many comparable reviews (the leniency's denominator)."""
    min_other_reviews: int
    minimum_inputs: int
    outlets: int
    """Outlets stored."""
    left_out: int
    """Of them, outlets with fewer comparable reviews than `min_reviews`: not listed."""
    entries: list[OutletLeniency] = field(default_factory=list)


def _mean_from_sums(n: int, total: float, squares: float, inferred: int, minimum: int) -> tuple[MeanFigure, float | None]:
    """mean_figure of n values given by their sum and sum of squares, and its standard error."""
    if n < max(2, minimum):
        return mean_figure([0.0] * n, inferred, minimum=minimum), None  # its "too few", worded as everywhere
    mean = total / n
    variance = max(0.0, (squares - total * total / n) / (n - 1))  # rounding may dip below 0 at no spread
    error = math.sqrt(variance / n)
    half = t_quantile_975(n - 1) * error
    return MeanFigure(n, inferred, mean, mean - half, mean + half), error


def _leniency_statement(min_other_reviews: int, keys: list[str] | None):
    """Per outlet, the sums of the table's figures over its films: read from the kept row per
    outlet (outlet_leniency_sums) at the minimum they are kept for, else summed from one row per
    (outlet, film) against the film's totals, never from the reviews themselves."""
    def named(column):
        return column.in_(select(Publication.id).where(Publication.key.in_(keys)))
    if min_other_reviews != KEPT_MIN_OTHER_REVIEWS:
        return leniency_sums(min_other_reviews, outlets=None if keys is None else named)
    kept = OutletLeniencySums
    statement = select(kept.publication_id.label("outlet"), *(getattr(kept, name) for name in SUMS))
    return statement if keys is None else statement.where(named(kept.publication_id))


def outlet_leniencies(session: Session, *, keys: list[str] | None = None,
                      min_other_reviews: int = MIN_OTHER_REVIEWS, minimum: int = MIN_INPUTS) -> list[OutletLeniency]:
    """Every stored outlet's figures (or those of the outlets `keys` names), in three queries."""
    min_other_reviews = max(1, min_other_reviews)
    outlets = select(Publication.id, Publication.key, Publication.name)
    # the reviews with no film, per outlet: read from ix_reviews_film_calls (film_id first); the
    # others are counted in the kept sums
    without = select(Review.publication_id, func.count()).where(Review.film_id.is_(None)).group_by(
        Review.publication_id)
    if keys is not None:
        outlets = outlets.where(Publication.key.in_(keys))
        without = without.where(Review.publication_id.in_(select(Publication.id).where(Publication.key.in_(keys))))
    sums = {row.outlet: row for row in session.execute(_leniency_statement(min_other_reviews, keys))}
    reviews = {outlet: int(n) for outlet, n in session.execute(without)}
    for outlet, row in sums.items():
        reviews[outlet] = reviews.get(outlet, 0) + int(row.with_film or 0)
    entries = []
    for outlet_id, key, name in session.execute(outlets):
        row = sums.get(outlet_id)

        def number(column: str, row=row):  # an outlet with no review of a film has no row: zeros
            value = None if row is None else getattr(row, column)
            return 0 if value is None else value
        leniency, error = _mean_from_sums(int(number("lenient_n")), float(number("lenient_sum")),
                                          float(number("lenient_squares")), int(number("lenient_inferred")), minimum)
        entries.append(OutletLeniency(
            key=key, name=name, reviews=reviews.get(outlet_id, 0),
            without_film=reviews.get(outlet_id, 0) - int(number("with_film")),
            positive=share_figure(float(number("expected")), int(number("called")), int(number("called_inferred")),
                                  minimum=minimum),
            agreement=share_figure(int(number("agree")), int(number("agree_n")), int(number("agree_inferred")),
                                   minimum=minimum),
            agreement_base=ConsensusBase(int(number("agree_films")), int(number("agree_base")),
                                         int(number("agree_base_inferred"))),
            ties=int(number("ties")),
            leniency=leniency,
            leniency_base=ConsensusBase(int(number("lenient_films")), int(number("lenient_base")),
                                        int(number("lenient_base_inferred"))),
            leniency_standard_error=error,
        ))
    return entries


def _sort_key(sort: str):
    def key(entry: OutletLeniency):
        if sort == "reviews":
            return (-entry.reviews, entry.key)
        figure = entry.leniency if sort == "leniency" else entry.positive
        return (figure.value is None, -(figure.value or 0.0), entry.key)
    return key


def outlet_table(session: Session, *, sort: str = "leniency", min_reviews: int = MIN_COMPARABLE,
                 limit: int | None = None, min_other_reviews: int = MIN_OTHER_REVIEWS,
                 minimum: int = MIN_INPUTS) -> OutletTable:
    """The outlets with at least `min_reviews` comparable reviews, most lenient first (or by
    `sort`: most reviews, highest fresh share); ties by key."""
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {', '.join(SORTS)}: {sort!r}")
    every = outlet_leniencies(session, min_other_reviews=min_other_reviews, minimum=minimum)
    listed = sorted((e for e in every if e.leniency.denominator >= min_reviews), key=_sort_key(sort))
    return OutletTable(sort=sort, min_reviews=min_reviews, min_other_reviews=max(1, min_other_reviews),
                       minimum_inputs=minimum, outlets=len(every), left_out=len(every) - len(listed),
                       entries=listed[:limit] if limit is not None else listed)


def outlet_table_record(table: OutletTable) -> dict[str, Any]:
    """The table as aggregator/schemas/outlets.schema.json describes it."""
    return asdict(table)


# --- the leniency-corrected film score ------------------------------------------------------


@dataclass(frozen=True)
class OutletCorrection:
    key: str
    reviews: int
    """The film's scored reviews (counted) by this outlet."""
    leniency: float | None
    comparable: int
    """The outlet's comparable reviews over the whole store (the leniency's denominator)."""
    standard_error: float | None
    applied: bool
    """False when the outlet has fewer than `min_comparable` comparable reviews: no correction."""


@dataclass
class AdjustedScore:
    film_id: int
    title: str
    year: int | None
    reviews: int
    """The film's reviews counted (each critic once, as the scorecard counts them)."""
    duplicates: int
    plain: MeanFigure
    """The scorecard's average score, with its t interval."""
    adjusted: MeanFigure
    """The mean of (score − the outlet's leniency), its interval widened for the corrections'."""
    corrected: int
    """Scored reviews whose outlet's leniency was subtracted."""
    uncorrected: int
    """Scored reviews left as they are: their outlet has too few comparable reviews."""
    min_comparable: int
    corrections: list[OutletCorrection]
    method: str = ("mean of (score - outlet leniency) over the film's scored reviews, each critic once; an outlet"
                   " with fewer than min_comparable comparable reviews is not corrected; 95% t interval whose"
                   " variance adds sum(k^2 * se^2) / n^2 for the corrections (k reviews of an outlet, se its"
                   " leniency's standard error, outlets independent)")


def adjusted_film_score(session: Session, film_id: int, *, min_comparable: int = MIN_COMPARABLE,
                        min_other_reviews: int = MIN_OTHER_REVIEWS, minimum: int = MIN_REVIEWS) -> AdjustedScore:
    """The film's average score with each review's outlet leniency subtracted (docs/queries-outlets.md)."""
    film = session.get(Film, film_id)
    if film is None:
        raise FilmNotFound(f"no film with id {film_id}")
    kept, duplicates = counted_once(film_rows(session, film_id))
    scored = [row for row in kept if row.score is not None]
    inferred = sum(row.verdict_source == INFERRED for row in scored)
    keys = sorted({row.outlet for row in scored})
    leniencies = {e.key: e for e in outlet_leniencies(session, keys=keys, min_other_reviews=min_other_reviews)} \
        if keys else {}
    corrections = {}
    for key in keys:
        entry = leniencies[key]
        applied = entry.leniency.value is not None and entry.leniency.denominator >= min_comparable
        corrections[key] = OutletCorrection(key, sum(row.outlet == key for row in scored), entry.leniency.value,
                                            entry.leniency.denominator, entry.leniency_standard_error, applied)
    values = [row.score - (corrections[row.outlet].leniency if corrections[row.outlet].applied else 0.0)
              for row in scored]
    plain = mean_figure([row.score for row in scored], inferred, minimum=minimum)
    adjusted = mean_figure(values, inferred, minimum=minimum)
    if adjusted.value is not None:
        n = len(values)
        spread = math.sqrt(sum((v - adjusted.value) ** 2 for v in values) / (n - 1))
        correction_variance = sum((c.reviews * c.standard_error) ** 2 for c in corrections.values() if c.applied)
        half = t_quantile_975(n - 1) * math.sqrt(spread**2 / n + correction_variance / n**2)
        adjusted = MeanFigure(n, inferred, adjusted.value, adjusted.value - half, adjusted.value + half)
    corrected = sum(corrections[row.outlet].applied for row in scored)
    return AdjustedScore(
        film_id=film.id, title=film.title, year=film.year, reviews=len(kept), duplicates=duplicates,
        plain=plain, adjusted=adjusted, corrected=corrected, uncorrected=len(scored) - corrected,
        min_comparable=min_comparable, corrections=sorted(corrections.values(), key=lambda c: (-c.reviews, c.key)),
    )
