"""What the store knew of a film's reviews at any time: each review's states, rebuilt from the
time it was first stored and its revisions (docs/queries.md, "History").

A review enters the store at `Review.first_seen`. A revision (`ReviewRevision`, written by a
re-crawl, `aggregator renormalise` or `aggregator verdict set`) at `replaced_at` holds the values
the review had until then. So a review with revisions r1 … rm (oldest first) had r1's values
from first_seen, r(k+1)'s from rk's replaced_at, and its current values from rm's replaced_at.

A revision records the replaced score and verdict, since migration 0011 (not for a manual
verdict) the film (title and year) and critics, and since migration 0015 the fresh call, its
source and confidence. A revision with critics but no film title is of a review that had no
film then; one with neither recorded no credit. What an older revision does not record is taken
from the state after it, when the verdict is the same (the call was kept: the text, rating or
credit changed); when the verdict changed, the older fresh call is read from the older verdict
(positive fresh, negative rotten, mixed no call) and its source is counted as `UNRECORDED`,
never guessed. A revision naming another film (title, year) means the review was
not this film's until then; a review since moved off this film is read too (its revisions name
this film), so it counts while it was this film's.

`film_states` reads all of it in three queries; `rows_at` and the timeline fold
(aggregator.query.film_history) are pure functions over its result.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from aggregator.db.models import Film, Publication, Review, ReviewCritic, ReviewRevision

UNRECORDED = "unrecorded"
"""The verdict source of a call older than a revision that changed the verdict: revisions do
not record the source (it appears as its own key in a scorecard's `source_counts`)."""
_FRESH_OF_VERDICT = {"positive": True, "negative": False}


@dataclass(frozen=True)
class ScoreInput:
    """What one review brings to its film's figures."""

    review_id: int
    critic_ids: tuple[int, ...]
    fresh: bool | None
    verdict: str | None
    verdict_source: str | None
    confidence: float | None
    score: float | None
    outlet: str
    outlet_weight: float
    top_critic: bool = False


@dataclass(frozen=True)
class ReviewState:
    """One review's values for the film from `since` until its next state."""

    review_id: int
    since: datetime
    row: ScoreInput | None
    """None while the review was not this film's (it was of another film, or of none)."""
    revised: bool
    """True when a revision began this state, False for the state the review was first stored in."""
    published: date | None
    """The review's publication date as stored now (the `--by published` timeline)."""


@dataclass(frozen=True)
class Revision:
    """A revision's recorded values (None film title / critics: not recorded)."""

    replaced_at: datetime
    score: float | None
    verdict: str | None
    film_title: str | None
    film_year: int | None
    critic_ids: tuple[int, ...] | None
    call: tuple[bool | None, str, float | None] | None = None
    """(fresh, verdict source, confidence) replaced, when recorded (since migration 0015)."""


def end_of(day: date) -> datetime:
    """The first instant after `day`, UTC (stored times are UTC): what the store knew "at the end
    of DAY" is what it had stored before this."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)


def states_of(current: ScoreInput, of_film: bool, first_seen: datetime, revisions: Sequence[Revision],
              film: tuple[str, int | None], published: date | None = None) -> list[ReviewState]:
    """A review's states, oldest first, from its current values (`of_film`: is it the film's now)
    and its revisions in the order they were written; `film` is the film's (title, year)."""
    values: list[tuple[ScoreInput, bool]] = [(current, of_film)]
    for revision in reversed(revisions):
        later, later_of_film = values[-1]
        if revision.call is not None and revision.verdict is not None:
            fresh, source, confidence = revision.call
        elif revision.verdict == later.verdict:
            fresh, source, confidence = later.fresh, later.verdict_source, later.confidence
        elif revision.verdict is None:
            fresh, source, confidence = None, None, None
        else:
            fresh, source, confidence = _FRESH_OF_VERDICT.get(revision.verdict), UNRECORDED, None
        critics = later.critic_ids if revision.critic_ids is None else revision.critic_ids
        if revision.film_title is not None:
            was_of_film = (revision.film_title, revision.film_year) == film
        else:  # no film then, when the credit was recorded (critics); else not recorded
            was_of_film = later_of_film if revision.critic_ids is None else False
        values.append((ScoreInput(later.review_id, critics, fresh, revision.verdict, source, confidence,
                                  revision.score, later.outlet, later.outlet_weight, later.top_critic),
                       was_of_film))
    values.reverse()
    starts = [first_seen, *(revision.replaced_at for revision in revisions)]
    return [ReviewState(current.review_id, since, row if in_film else None, index > 0, published)
            for index, (since, (row, in_film)) in enumerate(zip(starts, values))]


def rows_at(states: Iterable[ReviewState], cutoff: datetime) -> list[ScoreInput]:
    """The film's rows as the store had them just before `cutoff`: each review stored by then,
    with the values of its last state begun before it."""
    latest: dict[int, ReviewState] = {}
    for state in states:
        if state.since < cutoff:
            held = latest.get(state.review_id)
            if held is None or held.since <= state.since:
                latest[state.review_id] = state
    return sorted((s.row for s in latest.values() if s.row is not None), key=lambda row: row.review_id)


def _revision(row: Mapping[str, Any]) -> Revision:
    critics = row["critics"]
    call = None if row["verdict_source"] is None else (row["fresh"], row["verdict_source"], row["confidence"])
    return Revision(row["replaced_at"], row["score"], row["verdict"], row["film_title"], row["film_year"],
                    None if not critics else tuple(int(c["id"]) for c in critics if c.get("id") is not None), call)


def film_states(session: Session, film: Film) -> list[ReviewState]:
    """Every state of every review that is or was `film`'s, in three queries (reviews, their
    critics, their revisions), ordered by time."""
    named = ReviewRevision.film_title == film.title
    named &= ReviewRevision.film_year.is_(None) if film.year is None else ReviewRevision.film_year == film.year
    which = or_(Review.film_id == film.id, Review.id.in_(select(ReviewRevision.review_id).where(named)))
    critics: dict[int, list[int]] = {}
    for review_id, critic_id in session.execute(
            select(ReviewCritic.review_id, ReviewCritic.critic_id).join(Review, Review.id == ReviewCritic.review_id)
            .where(which).order_by(ReviewCritic.review_id, ReviewCritic.position)):
        critics.setdefault(review_id, []).append(critic_id)
    revisions: dict[int, list[Revision]] = {}
    for row in session.execute(
            select(ReviewRevision.review_id, ReviewRevision.replaced_at, ReviewRevision.score,
                   ReviewRevision.verdict, ReviewRevision.film_title, ReviewRevision.film_year,
                   ReviewRevision.critics, ReviewRevision.fresh, ReviewRevision.verdict_source,
                   ReviewRevision.confidence).join(Review, Review.id == ReviewRevision.review_id)
            .where(which).order_by(ReviewRevision.review_id, ReviewRevision.replaced_at, ReviewRevision.id)):
        revisions.setdefault(row.review_id, []).append(_revision(row._mapping))
    stmt = (select(Review.id, Review.film_id, Review.first_seen, Review.published, Review.fresh, Review.verdict,
                   Review.verdict_source, Review.confidence, Review.score, Review.top_critic, Publication.key,
                   Publication.weight)
            .join(Publication, Publication.id == Review.publication_id).where(which))
    states: list[ReviewState] = []
    for r in session.execute(stmt):
        current = ScoreInput(r.id, tuple(critics.get(r.id, ())), r.fresh, r.verdict, r.verdict_source,
                             r.confidence, r.score, r.key, r.weight if r.weight is not None else 1.0,
                             bool(r.top_critic))
        states += states_of(current, r.film_id == film.id, r.first_seen, revisions.get(r.id, []),
                            (film.title, film.year), r.published)
    return sorted(states, key=lambda state: (state.since, state.review_id))
