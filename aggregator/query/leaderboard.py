"""The best-received films: `aggregator films top` (docs/queries.md).

Films are ranked by a shrunk (Bayesian) figure: each film's sum plus `PRIOR_STRENGTH`
pseudo-reviews at the selection's global mean, over its count plus `PRIOR_STRENGTH`. A film
with 3 glowing reviews sits near the global mean; one with 300 keeps its own figure.

The figures are those of the scorecard (aggregator.query.scorecard), counted the same way:
reviews with a film, each critic once per film (a review whose critic wrote an earlier-stored
review of the film in the same selection is left out), an inferred call by its probability of
fresh. Over every review, or a year's films, the figures are read from the sums the store keeps
per film (aggregator.db.film_aggregates): one row per film, ranked and limited by the database.
With `--since` or `--publication` they are summed from the selected reviews: the global sums,
one grouped query over the films, and the count of reviews with no film.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aggregator.db.film_aggregates import FIGURES, figure_columns, first_of_its_critics
from aggregator.db.models import Film, FilmAggregate, Publication, Review
from aggregator.query.scorecard import MIN_REVIEWS

PRIOR_STRENGTH = 10
"""Pseudo-reviews at the global mean added to every film's figure before ranking: with 10, a
film needs about 10 reviews before its own reviews weigh as much as the prior."""
RANKINGS = ("positive", "score", "weighted")
DEFAULT_LIMIT = 20


@dataclass(frozen=True)
class Filters:
    year: int | None = None
    """The film's year."""
    since: date | None = None
    """Reviews published on or after this date (undated reviews are then left out)."""
    publication: str | None = None
    """One outlet's reviews (its registry key)."""


@dataclass(frozen=True)
class Entry:
    rank: int
    film_id: int
    title: str
    year: int | None
    reviews: int
    """Reviews counted (each critic once)."""
    value: float
    """The film's own figure: fresh share (0-1), average or weighted score (0-100)."""
    denominator: int
    """Reviews the figure is of: with a fresh call (positive), with a score (score, weighted)."""
    inferred: int
    """Of the denominator, calls the verdict model made."""
    shrunk: float
    """The figure with PRIOR_STRENGTH pseudo-reviews at `Leaderboard.prior_mean`: the rank's key."""


@dataclass(frozen=True)
class Leaderboard:
    by: str
    filters: Filters
    min_reviews: int
    prior_strength: int
    prior_mean: float | None
    """The selection's global figure the films are shrunk towards (None: nothing to rank)."""
    entries: list[Entry]
    unresolved: int
    """Reviews in the selection with no film (left out of every figure)."""


def _selected(review, filters: Filters):
    """The filter conditions on one alias of reviews, but the film's year (a condition on the
    film, the same for every review of it)."""
    conditions = [review.film_id.is_not(None)]
    if filters.since is not None:
        conditions.append(review.published >= filters.since)
    if filters.publication is not None:
        outlet = select(Publication.id).where(Publication.key == filters.publication).scalar_subquery()
        conditions.append(review.publication_id == outlet)
    return conditions


# by: (numerator, denominator, count the minimum applies to, inferred inputs)
_MEASURES = {
    "positive": ("expected_fresh", "called", "called", "called_inferred"),
    "score": ("score_sum", "scored", "scored", "scored_inferred"),
    "weighted": ("weighted_sum", "weight_sum", "scored", "scored_inferred"),
}


def top_films(session: Session, *, by: str = "score", filters: Filters = Filters(),
              min_reviews: int = MIN_REVIEWS, limit: int = DEFAULT_LIMIT,
              prior_strength: int = PRIOR_STRENGTH) -> Leaderboard:
    """The `limit` films ranked by the shrunk `by` figure, among films with at least
    `min_reviews` reviews informing it."""
    if by not in _MEASURES:
        raise ValueError(f"by must be one of {', '.join(RANKINGS)}, not {by!r}")
    numerator, denominator, counted, inferred = _MEASURES[by]
    if filters.since is None and filters.publication is None:
        return _top_of_kept(session, by, filters.year, min_reviews, limit, prior_strength)
    columns = figure_columns()
    where = [*_selected(Review, filters), first_of_its_critics(lambda review: _selected(review, filters))]
    if filters.year is not None:
        where.append(Film.year == filters.year)
    base = (
        select().select_from(Review)
        .join(Publication, Publication.id == Review.publication_id)
        .join(Film, Film.id == Review.film_id)
        .where(*where)
    )

    totals = session.execute(base.add_columns(columns[numerator], columns[denominator])).one()
    prior_mean = totals[0] / totals[1] if totals[1] else None
    unresolved = _unresolved(session, filters)
    if prior_mean is None:
        return Leaderboard(by, filters, min_reviews, prior_strength, None, [], unresolved)

    shrunk = (columns[numerator] + prior_strength * prior_mean) / (columns[denominator] + prior_strength)
    stmt = (
        base.add_columns(Review.film_id, Film.title, Film.year, *(c.label(name) for name, c in columns.items()),
                         shrunk.label("shrunk"))
        .group_by(Review.film_id, Film.title, Film.year)
        .having(columns[counted] >= max(1, min_reviews))
        .order_by(shrunk.desc(), columns[counted].desc(), Review.film_id)
        .limit(limit)
    )
    rows = session.execute(stmt).all()
    return Leaderboard(by, filters, min_reviews, prior_strength, float(prior_mean), _entries(rows, by), unresolved)


def _top_of_kept(session: Session, by: str, year: int | None, min_reviews: int, limit: int,
                 prior_strength: int) -> Leaderboard:
    """`top_films` over every review (or a year's films) from the films' kept sums
    (aggregator.db.film_aggregates): the same figures, read from one row per film."""
    numerator, denominator, counted, _ = _MEASURES[by]
    kept = {name: getattr(FilmAggregate, name) for name in FIGURES}
    films = select().select_from(FilmAggregate).join(Film, Film.id == FilmAggregate.film_id)
    if year is not None:
        films = films.where(Film.year == year)
    totals = session.execute(films.add_columns(func.sum(kept[numerator]), func.sum(kept[denominator]))).one()
    filters = Filters(year=year)
    unresolved = _unresolved(session, filters)
    if not totals[1]:
        return Leaderboard(by, filters, min_reviews, prior_strength, None, [], unresolved)
    prior_mean = totals[0] / totals[1]
    shrunk = (kept[numerator] + prior_strength * prior_mean) / (kept[denominator] + prior_strength)
    rows = session.execute(
        films.add_columns(FilmAggregate.film_id, Film.title, Film.year, *kept.values(), shrunk.label("shrunk"))
        .where(kept[counted] >= max(1, min_reviews))
        .order_by(shrunk.desc(), kept[counted].desc(), FilmAggregate.film_id)
        .limit(limit)
    ).all()
    return Leaderboard(by, filters, min_reviews, prior_strength, float(prior_mean), _entries(rows, by), unresolved)


def _entries(rows, by: str) -> list[Entry]:
    numerator, denominator, counted, inferred = _MEASURES[by]
    return [
        Entry(rank, r.film_id, r.title, r.year, r.reviews,
              getattr(r, numerator) / getattr(r, denominator), getattr(r, counted), int(getattr(r, inferred) or 0),
              float(r.shrunk))
        for rank, r in enumerate(rows, 1)
    ]


def _unresolved(session: Session, filters: Filters) -> int:
    """Reviews in the selection with no film; none when a year is asked (no film, no year)."""
    if filters.year is not None:
        return 0
    conditions = _selected(Review, filters)[1:]
    return session.scalar(select(func.count(Review.id)).where(Review.film_id.is_(None), *conditions)) or 0
