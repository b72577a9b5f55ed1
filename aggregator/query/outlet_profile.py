"""An outlet measured against the other outlets: `aggregator outlet show KEY` (docs/queries-outlets.md).

The profile of one publication: its reviews, critics, years and rating scales, its fresh share,
and how it stands against the consensus of the OTHER outlets on the same films: verdict
agreement and leniency ("runs 6 points high"). Both are leave-one-out at the outlet's level: a
film's consensus is read from the reviews of it by every other outlet, never from the outlet's
own (two reviews of one film by one outlet are not each other's consensus).

Computed as critic_profile computes a critic's, in a handful of queries: the outlet's own
reviews; the calls and scores of every review of the films it reviewed, summed per film over
the covering index `ix_reviews_film_calls (film_id, verdict_source, fresh, score)`; the outlet's
own reviews of each film subtracted from those sums in Python. The leniency table
(`outlet_leniency.outlet_table`) computes the same figures for every outlet in SQL;
tests/test_outlets_query.py holds the two equal.

Every figure carries its denominator and how many of its inputs were inferred; below
`MIN_INPUTS` it is "too few". Reviews with no film are left out of the film figures (fresh
share, agreement, leniency) and counted (`without_film`); the reviews, critics, years and scales
are the outlet's whole output. Critics are stored merged and counted by id, so once.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from aggregator.db.models import Publication, Review, ReviewCritic
from aggregator.query.critic_profile import (
    MIN_INPUTS,
    MIN_OTHER_REVIEWS,
    ConsensusBase,
    FilmSums,
    MeanFigure,
    ShareFigure,
    compare_with_consensus,
    film_totals,
    mean_figure,
    share_figure,
)
from aggregator.query.scorecard import fresh_probability

INFERRED = "inferred"


class OutletNotStored(LookupError):
    """No publication of that registry key in the database."""


@dataclass(frozen=True)
class ScaleCount:
    scale: str | None
    """The rating scale the review's rating was read on (Review.scale); None: no rating read."""
    reviews: int


@dataclass
class OutletProfile:
    key: str
    name: str
    provisional: bool
    reviews: int
    """Every review stored for the outlet."""
    without_film: int
    """Of them, reviews with no film: left out of positive, agreement and leniency."""
    critics: int
    """Distinct stored critics of its reviews (merged critics are one row: counted once)."""
    first_year: int | None
    last_year: int | None
    undated: int
    scales: list[ScaleCount]
    """Reviews per rating scale, most used first."""
    positive: ShareFigure
    """The expected fresh share of its reviews with a film and a call: a given call counts 1 or 0,
    an inferred one its calibrated probability (scorecard.fresh_probability); `count` is that
    expected number of fresh calls, so it may be fractional."""
    agreement: ShareFigure
    """Its reviews whose call matches the majority call of the other outlets' reviews of the film
    (hard calls, as critic_profile); films whose other calls split evenly are left out (`ties`)."""
    agreement_base: ConsensusBase
    ties: int
    leniency: MeanFigure
    """Mean of (its score − the mean score of the other outlets' reviews of the film), points."""
    leniency_base: ConsensusBase
    min_other_reviews: int = MIN_OTHER_REVIEWS
    minimum_inputs: int = MIN_INPUTS


def find_outlet(session: Session, key: str) -> Publication:
    outlet = session.scalars(select(Publication).where(Publication.key == key)).first()
    if outlet is None:
        raise OutletNotStored(f"no outlet {key!r} in the database")
    return outlet


def similar_keys(session: Session, key: str, limit: int = 3) -> list[str]:
    """Stored outlet keys spelt like `key` (for the error of an unknown one)."""
    import difflib

    keys = list(session.scalars(select(Publication.key)))
    return difflib.get_close_matches(key, keys, n=limit, cutoff=0.6)


def _film_sums(session: Session, publication_id: int) -> dict[int, FilmSums]:
    """Every review's calls and scores per film the outlet reviewed (its own included: the
    caller subtracts them), as the store keeps them."""
    return film_totals(session, select(Review.film_id).where(Review.publication_id == publication_id,
                                                             Review.film_id.is_not(None)))


def outlet_profile(session: Session, key: str, *, min_other_reviews: int = MIN_OTHER_REVIEWS,
                   minimum: int = MIN_INPUTS) -> OutletProfile:
    """The profile of the stored outlet `key` (OutletNotStored if there is none)."""
    outlet = find_outlet(session, key)
    min_other_reviews = max(1, min_other_reviews)  # a consensus of nobody is none
    # ordered here, not in SQL: ORDER BY id makes SQLite take ix_reviews_publication_id for its
    # order and read every row through its text (330 ms cold at 1M reviews, 7 ms from the
    # covering ix_reviews_publication_scale)
    rows = sorted(session.execute(
        select(Review.id, Review.film_id, Review.published, Review.score, Review.fresh, Review.verdict_source,
               Review.confidence)
        .where(Review.publication_id == outlet.id)).all(), key=lambda row: row.id)
    critics = session.scalar(select(func.count(distinct(ReviewCritic.critic_id)))
                             .join(Review, Review.id == ReviewCritic.review_id)
                             .where(Review.publication_id == outlet.id))
    scales = session.execute(select(Review.scale, func.count()).where(Review.publication_id == outlet.id)
                             .group_by(Review.scale)).all()
    years = [row.published.year for row in rows if row.published is not None]
    on_films = [row for row in rows if row.film_id is not None]

    own: dict[int, FilmSums] = defaultdict(FilmSums)
    for row in on_films:
        own[row.film_id].add(row)
    totals = _film_sums(session, outlet.id) if on_films else {}
    others = {film: totals.get(film, FilmSums()).minus(sums) for film, sums in own.items()}

    called = [row for row in on_films if row.fresh is not None]
    positive = share_figure(sum(fresh_probability(row) for row in called), len(called),
                            sum(row.verdict_source == INFERRED for row in called), minimum=minimum)

    compared = compare_with_consensus(on_films, others, min_other_reviews)

    return OutletProfile(
        key=outlet.key, name=outlet.name, provisional=bool(outlet.provisional),
        reviews=len(rows), without_film=len(rows) - len(on_films), critics=int(critics or 0),
        first_year=min(years, default=None), last_year=max(years, default=None), undated=len(rows) - len(years),
        scales=[ScaleCount(scale, int(n)) for scale, n in sorted(scales, key=lambda s: (-s[1], s[0] or ""))],
        positive=positive,
        agreement=share_figure(compared.agree, compared.agree_n, compared.agree_inferred, minimum=minimum),
        agreement_base=compared.base(compared.agreement_films),
        ties=compared.ties,
        leniency=mean_figure(compared.differences, compared.differences_inferred, minimum=minimum),
        leniency_base=compared.base(compared.leniency_films, scored=True),
        min_other_reviews=min_other_reviews, minimum_inputs=minimum,
    )


def outlet_profile_record(profile: OutletProfile) -> dict[str, Any]:
    """The profile as aggregator/schemas/outlet-profile.schema.json describes it."""
    return asdict(profile)
