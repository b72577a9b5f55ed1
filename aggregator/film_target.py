"""A film-targeted crawl keeps only the reviews of its film (`aggregator crawl --film`).

`is_target_film` applies the identity rules of aggregator/films.py and
aggregator/film_identity.py to one normalised review: the film keys must be equal (case,
punctuation, a leading article and a "(2026)" do not matter; every other word does, so
"Meridian" is not "The Salt Meridian"); when a year is asked for, a review stating another year
is another film, and a review stating none must have appeared in that film's review window
(a retrospective of a namesake from another decade is not this film).
"""

from __future__ import annotations

from datetime import date

from aggregator.film_identity import FilmCandidate, explain_film_choice
from aggregator.films import film_key


def target_key(title: str) -> str:
    """The film key of the asked title; ValueError for a title with no letter or digit."""
    return film_key(title)


def is_target_film(review_key: str | None, review_year: int | None, published: date | None,
                   key: str, year: int | None) -> tuple[bool, str]:
    """(kept, reason): reasons "same_film", "other_title", "other_year", "outside_window"."""
    if not review_key or review_key != key:
        return False, "other_title"
    if year is None:
        return True, "same_film"
    if review_year is not None:
        return (True, "same_film") if review_year == year else (False, "other_year")
    chosen, reason = explain_film_choice([FilmCandidate(year=year)], published)
    return (True, "same_film") if chosen is not None else (False, reason)
