"""A film's consensus, as a verdict model reads it beside a review's text.

Of the reviews of a film whose verdict was given (aggregator.verdicts.GIVEN_SOURCES: a rating,
a label, a rating stated in the text, a person's call; never an inferred one), how many were
fresh: a tally (fresh, reviews). A model trained with consensus tallies
(aggregator.verdicts.text.priors) reads it as one feature, so an unscored review of a film most critics
liked is likelier read fresh when its text is unsure. On held-out films of the real sample it
took the trained model from 80.4% to 82.6% (docs/verdicts.md).

- `film_tallies`: {film id: tally} for stored films (renormalise, training);
- `CrawlConsensus`: the tallies by film key and year, loaded once when a crawl opens, looked
  up for items that have no film id yet;
- `inferred_urls_of_films`: the inferred reviews of films whose consensus a crawl changed,
  which the crawl reads again when it closes (aggregator.pipelines.decide_verdict).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from aggregator.db.batching import chunks
from aggregator.db.models import Film, Review
from aggregator.verdicts import GIVEN_SOURCES

Tally = tuple[int, int]


def _tally_query():
    fresh = func.sum(case((Review.fresh.is_(True), 1), else_=0))
    return (
        select(Review.film_id, func.count(Review.id), fresh)
        .where(Review.verdict_source.in_(GIVEN_SOURCES), Review.fresh.is_not(None),
               Review.film_id.is_not(None))
        .group_by(Review.film_id)
    )  # fmt: skip


def film_tallies(session: Session, film_ids: Iterable[int] | None = None) -> dict[int, Tally]:
    """{film id: (fresh, reviews)} over the reviews with a given verdict and a fresh call; of
    `film_ids` only, when given. A film without such reviews is absent."""
    if film_ids is None:
        return {film: (int(fresh or 0), int(count)) for film, count, fresh in session.execute(_tally_query())}
    tallies: dict[int, Tally] = {}
    for chunk in chunks(sorted(set(film_ids))):
        rows = session.execute(_tally_query().where(Review.film_id.in_(chunk)))
        tallies.update({film: (int(fresh or 0), int(count)) for film, count, fresh in rows})
    return tallies


def without_own(tally: Tally | None, verdict_source: str | None, fresh: bool | None) -> Tally | None:
    """A stored review's film tally less the review itself, where it counts in it."""
    if tally is None or verdict_source not in GIVEN_SOURCES or fresh is None:
        return tally
    return tally[0] - bool(fresh), tally[1] - 1


class CrawlConsensus:
    """Film tallies by (film key, year), for the items of a crawl (which know their film's
    key and year, not its stored id)."""

    def __init__(self, by_film: dict[tuple[str, int | None], Tally] | None = None) -> None:
        self.by_film = dict(by_film or {})
        self._years: dict[str, list[int | None]] = {}
        for key, year in self.by_film:
            self._years.setdefault(key, []).append(year)

    @classmethod
    def load(cls, session: Session) -> CrawlConsensus:
        return cls.from_film_tallies(session, film_tallies(session))

    @classmethod
    def from_film_tallies(cls, session: Session, ids: dict[int, Tally]) -> CrawlConsensus:
        """From {film id: tally}, keyed by the films' stored keys and years."""
        by_film: dict[tuple[str, int | None], Tally] = {}
        for chunk in chunks(sorted(ids)):
            for film_id, key, year in session.execute(select(Film.id, Film.key, Film.year).where(Film.id.in_(chunk))):
                by_film[(key, year)] = ids[film_id]
        return cls(by_film)

    def lookup(self, film_key: str | None, year: int | None) -> Tally | None:
        """The tally of the film `film_key` of `year`; with no year, of the one film of that
        key if there is just one (several: which is unknown, so None)."""
        if not film_key:
            return None
        if (film_key, year) in self.by_film:
            return self.by_film[(film_key, year)]
        years = self._years.get(film_key, [])
        if year is None and len(years) == 1:
            return self.by_film[(film_key, years[0])]
        return None


def inferred_urls_of_films(session: Session, film_keys: Iterable[str]) -> list[str]:
    """URLs of the stored reviews with an inferred verdict whose film has one of `film_keys`."""
    urls: list[str] = []
    for chunk in chunks(sorted(set(film_keys))):
        query = (
            select(Review.url)
            .join(Film, Review.film_id == Film.id)
            .where(Review.verdict_source == "inferred", Film.key.in_(chunk))
            .order_by(Review.id)
        )
        urls.extend(session.scalars(query))
    return urls
