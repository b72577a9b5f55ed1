"""The best-received films: `aggregator films top` (docs/queries.md).

Films are ranked by a shrunk (Bayesian) figure: each film's sum plus `PRIOR_STRENGTH`
pseudo-reviews at the selection's global mean, over its count plus `PRIOR_STRENGTH`. A film
with 3 glowing reviews sits near the global mean; one with 300 keeps its own figure.

The figures are those of the scorecard (aggregator.query.scorecard), counted the same way:
reviews with a film, each critic once per film (a review whose critic wrote an earlier-stored
review of the film in the same selection is left out), an inferred call by its probability of
fresh. Three queries whatever the store's size: the global sums, one grouped query over the
films (ranked and limited by the database), and the count of reviews with no film.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.orm import Session, aliased

from aggregator.db.models import Film, Publication, Review, ReviewCritic
from aggregator.query.scorecard import MIN_REVIEWS, TOP_CRITIC_FACTOR

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


def _first_of_its_critics(filters: Filters):
    """No critic of the review wrote an earlier-stored review of the same film in the selection."""
    mine, theirs = aliased(ReviewCritic), aliased(ReviewCritic)
    earlier = aliased(Review)
    return ~(
        select(literal(1))
        .select_from(mine)
        .join(theirs, theirs.critic_id == mine.critic_id)
        .join(earlier, earlier.id == theirs.review_id)
        # Driven from the review's own critics to their other reviews (a few each), never through
        # the film's earlier reviews (thousands for a popular film): "+ 0" keeps the planner off
        # the film_id index, and the id order is compared on review_critics.
        .where(mine.review_id == Review.id, theirs.review_id < Review.id, (earlier.film_id + 0) == Review.film_id,
               *_selected(earlier, filters))
        .exists()
    )


def _columns():
    """Per-review values the sums are made of."""
    called = Review.fresh.is_not(None)
    p_fresh = case(
        (~called, None),
        (and_(Review.verdict_source == "inferred", Review.confidence.is_not(None)),
         case((Review.fresh == True, Review.confidence), else_=1.0 - Review.confidence)),  # noqa: E712
        (Review.fresh == True, 1.0),  # noqa: E712
        else_=0.0,
    )
    inferred = Review.verdict_source == "inferred"
    weight = Publication.weight * case((Review.top_critic == True, TOP_CRITIC_FACTOR), else_=1.0)  # noqa: E712
    scored_weight = case((Review.score.is_not(None), weight), else_=None)
    return {
        "reviews": func.count(Review.id),
        "called": func.count(Review.fresh),
        "expected_fresh": func.coalesce(func.sum(p_fresh), 0.0),
        "called_inferred": func.sum(case((and_(called, inferred), 1), else_=0)),
        "scored": func.count(Review.score),
        "score_sum": func.coalesce(func.sum(Review.score), 0.0),
        "scored_inferred": func.sum(case((and_(Review.score.is_not(None), inferred), 1), else_=0)),
        "weight_sum": func.coalesce(func.sum(scored_weight), 0.0),
        "weighted_sum": func.coalesce(func.sum(scored_weight * Review.score), 0.0),
    }


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
    columns = _columns()
    numerator, denominator, counted, inferred = _MEASURES[by]
    where = [*_selected(Review, filters), _first_of_its_critics(filters)]
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
    entries = [
        Entry(rank, r.film_id, r.title, r.year, r.reviews,
              getattr(r, numerator) / getattr(r, denominator), getattr(r, counted), int(getattr(r, inferred) or 0),
              float(r.shrunk))
        for rank, r in enumerate(rows, 1)
    ]
    return Leaderboard(by, filters, min_reviews, prior_strength, float(prior_mean), entries, unresolved)


def _unresolved(session: Session, filters: Filters) -> int:
    """Reviews in the selection with no film; none when a year is asked (no film, no year)."""
    if filters.year is not None:
        return 0
    conditions = _selected(Review, filters)[1:]
    return session.scalar(select(func.count(Review.id)).where(Review.film_id.is_(None), *conditions)) or 0
