"""A film-targeted crawl keeps only the reviews of its film (`aggregator crawl --film`).

`is_target_film` applies the identity rules of aggregator/identity/films.py and
aggregator/identity/film_identity.py to one normalised review: the film keys must be equal (case,
punctuation, a leading article and a "(2026)" do not matter; every other word does, so
"Meridian" is not "The Salt Meridian"); when a year is asked for, a review stating another year
is another film, and a review stating none must have appeared in that film's review window
(a retrospective of a namesake from another decade is not this film).

What a film-targeted crawl may start from is checked here too, before a spider exists (the
`aggregator crawl` usage errors) and again by the discover spider (`scrapy crawl`):
`check_rt_url` (the film's Rotten Tomatoes page) and `askable` (an outlet it can ask).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from aggregator.identity.film_identity import FilmCandidate, explain_film_choice
from aggregator.identity.films import film_key
from aggregator.urls import registered_domain

if TYPE_CHECKING:
    from aggregator.identity.publications import Publication

ROTTEN_TOMATOES = "rottentomatoes.com"


def check_rt_url(url: str) -> None:
    """A page of rottentomatoes.com or a subdomain of it, live or a Wayback capture; else ValueError."""
    if urlsplit(url).scheme not in ("http", "https") or registered_domain(url) != ROTTEN_TOMATOES:
        raise ValueError(f"rt_url {url!r} is not a Rotten Tomatoes page (https://www.{ROTTEN_TOMATOES}/m/…)")


def askable(publication: Publication) -> bool:
    """A film-targeted crawl can ask this outlet (robots.txt sitemaps are not searched)."""
    discovery = publication.discovery
    return bool(discovery.incremental_source or discovery.search_url)


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
