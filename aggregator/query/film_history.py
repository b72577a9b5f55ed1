"""A film's timeline: its figures after each day that brought reviews or revisions
(`aggregator film history`; docs/queries.md, "History").

`film_history(session, film_id)` reads the film's review states once (aggregator.query.history:
three queries) and `fold_days` folds them day by day in Python: each day's changes applied, the
day's figures computed by the scorecard's own code (`scorecard_from_rows`) over the rows held
after it. So the last row is the scorecard `film show` prints, exactly, and a row is the
scorecard `film show --as-of DAY` prints. The cost is one scorecard per day (O(days × reviews)):
a film reviewed on 1,000 days with 5,000 reviews is about 5 million row visits.

By stored time (the default) a day is a UTC day of the store's clock: a review counts from the
day it was first stored, a revision from the day it was written. `by="published"` builds the
timeline by the reviews' publication dates instead, each review with its current values; reviews
with no date are counted apart, in a last row with no day.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date
from itertools import groupby

from sqlalchemy.orm import Session

from aggregator.db.models import Film
from aggregator.query.history import ReviewState, ScoreInput, film_states
from aggregator.query.scorecard import MIN_REVIEWS, Average, Share, label_rules, scorecard_from_rows
from aggregator.query.scores import FilmNotFound

BASES = ("stored", "published")
BASIS_NOTE = {
    "stored": "by stored time (UTC days): a review counts from the day the store first stored it, "
              "a revision from the day it was written",
    "published": "by publication date: each review from the date its outlet gives, with its current values; "
                 "undated reviews counted apart in a last row with no day",
}


@dataclass(frozen=True)
class Change:
    """A review's state beginning on `day` (None: an undated review, by publication date)."""

    day: date | None
    review_id: int
    row: ScoreInput | None
    """The review's values for the film from then; None: not this film's from then."""
    revised: bool


@dataclass(frozen=True)
class WeightedFigure:
    """The weighted score (scorecard `weighted`, without its per-outlet weights)."""

    value: float | None
    denominator: int
    total_weight: float
    inferred: int
    reason: str | None = None


@dataclass(frozen=True)
class HistoryDay:
    day: date | None
    """None: the reviews with no publication date (by publication date only)."""
    new: int
    """Reviews of the film first counted that day (stored, or published, that day)."""
    revised: int
    """Revisions that day of reviews that were or became this film's (stored time only)."""
    reviews: int
    """Reviews counted after the day: the film's, each critic once."""
    duplicates: int
    fresh: Share
    positive: Share
    score: Average
    weighted: WeightedFigure
    labels: list[str]
    """The labels the film held after the day (names; `film show --as-of` says which rule gave them)."""


@dataclass(frozen=True)
class FilmHistory:
    film_id: int
    title: str
    year: int | None
    by: str
    """"stored" or "published"."""
    basis: str
    """Which time the days are of, in words."""
    days: list[HistoryDay]
    undated: int
    """By publication date: reviews with no date (in the last row, day None); 0 by stored time."""
    min_reviews: int = MIN_REVIEWS


def changes_of(states: Iterable[ReviewState], by: str = "stored") -> list[Change]:
    """The days the reviews' states began on: every state by stored time (the UTC day of its
    `since`); by publication date only each review's current state, on its publication date."""
    if by == "stored":
        return [Change(s.since.astimezone(UTC).date(), s.review_id, s.row, s.revised) for s in states]
    if by != "published":
        raise ValueError(f"by must be one of {', '.join(BASES)}, not {by!r}")
    current: dict[int, ReviewState] = {}
    for state in states:
        held = current.get(state.review_id)
        if held is None or held.since <= state.since:
            current[state.review_id] = state
    return [Change(s.published, s.review_id, s.row, False) for s in current.values() if s.row is not None]


def fold_days(changes: Iterable[Change], rules: tuple[dict, str] | None = None) -> list[HistoryDay]:
    """The figures after each day that brought the film a review or a revision, oldest first (an
    undated day last). Changes of one day apply in the order given (states of one review in time
    order); a change that leaves a review outside the film before and after is no change to it."""
    rules = rules or label_rules()
    held: dict[int, ScoreInput] = {}
    days: list[HistoryDay] = []
    ordered = sorted(changes, key=lambda c: (c.day is None, c.day or date.min))  # stable: time order kept
    for day, group in groupby(ordered, key=lambda c: c.day):
        new = revised = 0
        for change in group:
            before = held.pop(change.review_id, None)
            if change.row is not None:
                held[change.review_id] = change.row
            if before is None and change.row is None:
                continue
            if change.revised:
                revised += 1
            else:
                new += 1
        if new or revised:
            card = scorecard_from_rows(list(held.values()), rules=rules)
            w = card.weighted
            days.append(HistoryDay(day, new, revised, card.reviews, card.duplicates, card.fresh, card.positive,
                                   card.score, WeightedFigure(w.value, w.denominator, w.total_weight, w.inferred,
                                                              w.reason), [label.name for label in card.labels]))
    return days


def film_history(session: Session, film_id: int, by: str = "stored") -> FilmHistory:
    """The film's timeline (see the module's docstring), from one read of its review states."""
    if by not in BASES:
        raise ValueError(f"by must be one of {', '.join(BASES)}, not {by!r}")
    film = session.get(Film, film_id)
    if film is None:
        raise FilmNotFound(f"no film with id {film_id}")
    changes = changes_of(film_states(session, film), by)
    undated = sum(change.day is None for change in changes)
    return FilmHistory(film.id, film.title, film.year, by, BASIS_NOTE[by], fold_days(changes), undated)
