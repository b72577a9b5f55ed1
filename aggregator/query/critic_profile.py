"""A critic measured against the consensus: how often they agree, how high they score, how
often they stand alone, and how their scores spread (`aggregator critic show`).

Every comparison is leave-one-out: a film's consensus is read from the OTHER reviews of it,
those not linked to the critic (a co-written review is the critic's own, so it never counts
in the consensus it is compared with). The film's totals are read once over the covering
index `(film_id, verdict_source, fresh, score)` and the critic's own reviews are subtracted
from them in Python, so a profile costs three queries whatever the number of films.

Every figure carries its denominator and how many of its inputs were inferred (a verdict a
model read from the text, verdict_source "inferred"); a figure resting on fewer than
`MIN_INPUTS` inputs is "too few": no value, a reason instead. Reviews with no film are left
out of every figure and counted (`without_film`). Critics are stored merged, and a review
links a critic once, so a merged critic's review counts once.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.db.models import Critic, FilmAggregate, Publication, Review, ReviewCritic
from aggregator.db.outlet_leniency_sums import KEPT_MIN_OTHER_REVIEWS
from aggregator.query.intervals import Z95, t_quantile_975, wilson_interval  # noqa: F401  (re-exported)

MIN_OTHER_REVIEWS = KEPT_MIN_OTHER_REVIEWS
"""A film enters agreement and contrarian rate only with at least this many OTHER reviews
carrying a fresh call (leniency: other reviews with a score). Fewer make a consensus of
two friends. The store keeps the outlets' leniency sums for this minimum
(aggregator.db.outlet_leniency_sums), so it is defined there."""

MIN_INPUTS = 5
"""Below this many inputs (reviews counted in its denominator) a figure is "too few"."""

STRONG_CONSENSUS = 0.8
"""A consensus is strong when at least this share of the other calls go one way: a call
against it is contrarian."""

SCORE_BIN_WIDTH = 10
"""Score distribution bins: [0, 10), [10, 20), … [90, 100] (100 falls in the last)."""


INFERRED = "inferred"


@dataclass(frozen=True)
class ShareFigure:
    """`count` of `denominator` inputs, as a share with its 95% Wilson interval."""

    count: int
    denominator: int
    inferred: int
    """Inputs among `denominator` whose own call was inferred."""
    value: float | None
    low: float | None
    high: float | None
    too_few: str | None = None
    """Why there is no value (fewer inputs than the minimum); None when there is one."""


@dataclass(frozen=True)
class MeanFigure:
    """A mean over `denominator` values with its 95% Student t interval."""

    denominator: int
    inferred: int
    value: float | None
    low: float | None
    high: float | None
    too_few: str | None = None


def _too_few(denominator: int, minimum: int, what: str) -> str:
    return f"too few: {denominator} {what}, at least {minimum} needed"


def share_figure(count: int, denominator: int, inferred: int, *, minimum: int = MIN_INPUTS,
                 what: str = "reviews") -> ShareFigure:
    if denominator < max(1, minimum):
        return ShareFigure(count, denominator, inferred, None, None, None,
                           _too_few(denominator, max(1, minimum), what))
    low, high = wilson_interval(count, denominator)
    return ShareFigure(count, denominator, inferred, count / denominator, low, high)


def mean_figure(values: list[float], inferred: int, *, minimum: int = MIN_INPUTS,
                what: str = "reviews") -> MeanFigure:
    n = len(values)
    if n < max(2, minimum):  # a spread needs two values
        return MeanFigure(n, inferred, None, None, None, _too_few(n, max(2, minimum), what))
    mean = sum(values) / n
    spread = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    half = t_quantile_975(n - 1) * spread / math.sqrt(n)
    return MeanFigure(n, inferred, mean, mean - half, mean + half)


# --- the profile ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsensusBase:
    """What a consensus figure was compared with: `films` films, on which the other reviews
    gave `calls` calls (or scores), `inferred` of them inferred."""

    films: int
    calls: int
    inferred: int


@dataclass(frozen=True)
class OutletCount:
    key: str
    name: str
    reviews: int


@dataclass(frozen=True)
class ScoreBin:
    low: int
    high: int
    """Exclusive, except for the last bin (100 is in [90, 100])."""
    count: int


@dataclass(frozen=True)
class ScoreDistribution:
    bins: list[ScoreBin]
    denominator: int
    """Scored reviews with a film."""
    inferred: int
    """Of them, reviews whose call was inferred (their score is the page's own)."""


@dataclass
class CriticProfile:
    critic_id: int
    name: str
    reviews: int
    """Every review linked to the critic."""
    without_film: int
    """Of them, reviews with no film: left out of every figure below."""
    outlets: list[OutletCount]
    first_year: int | None
    last_year: int | None
    undated: int
    agreement: ShareFigure
    """Reviews whose fresh call matches the other reviews' majority call on the film; films
    whose other calls split exactly in half have no consensus and are left out (`ties`)."""
    agreement_base: ConsensusBase
    ties: int
    leniency: MeanFigure
    """Mean of (their score − the other reviews' mean score of the film), in points of 100."""
    leniency_base: ConsensusBase
    contrarian: ShareFigure
    """Reviews calling against a consensus of at least STRONG_CONSENSUS of the other calls."""
    contrarian_base: ConsensusBase
    scores: ScoreDistribution
    min_other_reviews: int = MIN_OTHER_REVIEWS
    minimum_inputs: int = MIN_INPUTS
    strong_consensus: float = STRONG_CONSENSUS


@dataclass
class FilmSums:
    """Calls and scores of a set of reviews of one film (all of its reviews, or one critic's or outlet's)."""

    calls: int = 0
    fresh: int = 0
    calls_inferred: int = 0
    scored: int = 0
    score_sum: float = 0.0
    scored_inferred: int = 0

    def minus(self, other: FilmSums) -> FilmSums:
        return FilmSums(self.calls - other.calls, self.fresh - other.fresh,
                          self.calls_inferred - other.calls_inferred, self.scored - other.scored,
                          self.score_sum - other.score_sum, self.scored_inferred - other.scored_inferred)

    def add(self, row) -> None:
        """One review's call and score (a row with fresh, score, verdict_source)."""
        inferred = row.verdict_source == INFERRED
        if row.fresh is not None:
            self.calls += 1
            self.fresh += bool(row.fresh)
            self.calls_inferred += inferred
        if row.score is not None:
            self.scored += 1
            self.score_sum += row.score
            self.scored_inferred += inferred


class CriticNotStored(LookupError):
    pass


def _own_reviews(session: Session, critic_id: int):
    stmt = (select(Review.id, Review.film_id, Review.published, Review.score, Review.fresh,
                   Review.verdict_source, Publication.key, Publication.name)
            .join(ReviewCritic, ReviewCritic.review_id == Review.id)
            .join(Publication, Publication.id == Review.publication_id)
            .where(ReviewCritic.critic_id == critic_id)
            .order_by(Review.id))
    return session.execute(stmt).all()


def film_totals(session: Session, films) -> dict[int, FilmSums]:
    """Every review's calls and scores per film of `films` (a SELECT of film ids), as the store
    keeps them (aggregator.db.film_aggregates PLAIN): one row per film, however many reviews."""
    kept = FilmAggregate
    stmt = select(kept.film_id, kept.all_calls, kept.all_fresh, kept.all_calls_inferred, kept.all_scored,
                  kept.all_score_sum, kept.all_scored_inferred).where(kept.film_id.in_(films))
    return {film_id: FilmSums(int(calls), int(fresh), int(ci), int(scored), float(total), int(si))
            for film_id, calls, fresh, ci, scored, total, si in session.execute(stmt)}


def _film_totals(session: Session, critic_id: int) -> dict[int, FilmSums]:
    """Per film the critic reviewed, every review's calls and scores (their own included: the
    caller subtracts them)."""
    return film_totals(session, select(Review.film_id).join(ReviewCritic, ReviewCritic.review_id == Review.id)
                       .where(ReviewCritic.critic_id == critic_id, Review.film_id.is_not(None)))


@dataclass
class ConsensusComparison:
    """Reviews set against the leave-one-out consensus of their films (`others`: per film, the
    sums of the reviews not among the compared ones): what a critic's and an outlet's agreement,
    contrarian rate and leniency count."""

    others: dict[int, FilmSums]
    agree: int = 0
    agree_n: int = 0
    agree_inferred: int = 0
    ties: int = 0
    against: int = 0
    strong_n: int = 0
    strong_inferred: int = 0
    differences: list[float] = field(default_factory=list)
    differences_inferred: int = 0
    agreement_films: set[int] = field(default_factory=set)
    strong_films: set[int] = field(default_factory=set)
    leniency_films: set[int] = field(default_factory=set)

    def base(self, films: set[int], scored: bool = False) -> ConsensusBase:
        """How many other reviews (and of them inferred) the figure's consensus rests on."""
        if scored:
            return ConsensusBase(len(films), sum(self.others[f].scored for f in films),
                                 sum(self.others[f].scored_inferred for f in films))
        return ConsensusBase(len(films), sum(self.others[f].calls for f in films),
                             sum(self.others[f].calls_inferred for f in films))


def compare_with_consensus(rows, others: dict[int, FilmSums], min_other_reviews: int) -> ConsensusComparison:
    """Each review (film_id, fresh, score, verdict_source) against the other reviews of its film:
    a call against their majority (an even split is a tie) and against a strong consensus, a
    score against their mean, each only where the film has `min_other_reviews` other inputs."""
    compared = ConsensusComparison(others)
    for row in rows:
        rest = others[row.film_id]
        inferred = row.verdict_source == INFERRED
        if row.fresh is not None and rest.calls >= min_other_reviews:
            share = rest.fresh / rest.calls
            if 2 * rest.fresh == rest.calls:
                compared.ties += 1
            else:
                compared.agree_n += 1
                compared.agree_inferred += inferred
                compared.agree += bool(row.fresh) == (share > 0.5)
                compared.agreement_films.add(row.film_id)
            if share >= STRONG_CONSENSUS or 1 - share >= STRONG_CONSENSUS:  # (1 - 0.8 is 0.19999…)
                compared.strong_n += 1
                compared.strong_inferred += inferred
                compared.against += bool(row.fresh) != (share >= STRONG_CONSENSUS)
                compared.strong_films.add(row.film_id)
        if row.score is not None and rest.scored >= min_other_reviews:
            compared.differences.append(row.score - rest.score_sum / rest.scored)
            compared.differences_inferred += inferred
            compared.leniency_films.add(row.film_id)
    return compared


def _tally(rows) -> FilmSums:
    tally = FilmSums()
    for row in rows:
        tally.add(row)
    return tally


def score_distribution(scores: list[tuple[float, bool]]) -> ScoreDistribution:
    """[(score, inferred call)] in SCORE_BIN_WIDTH-point bins."""
    last = 100 // SCORE_BIN_WIDTH - 1
    counts = Counter(min(int(score // SCORE_BIN_WIDTH), last) for score, _ in scores)
    bins = [ScoreBin(i * SCORE_BIN_WIDTH, (i + 1) * SCORE_BIN_WIDTH, counts.get(i, 0))
            for i in range(last + 1)]
    return ScoreDistribution(bins, len(scores), sum(inferred for _, inferred in scores))


def critic_profile(session: Session, critic_id: int, *, min_other_reviews: int = MIN_OTHER_REVIEWS,
                   minimum: int = MIN_INPUTS) -> CriticProfile:
    """The profile of one stored critic, in three queries."""
    critic = session.get(Critic, critic_id)
    if critic is None:
        raise CriticNotStored(f"no critic with id {critic_id}")
    rows = _own_reviews(session, critic_id)
    outlet_counts = Counter((row.key, row.name) for row in rows)
    years = [row.published.year for row in rows if row.published is not None]
    on_films = [row for row in rows if row.film_id is not None]
    by_film: dict[int, list] = defaultdict(list)
    for row in on_films:
        by_film[row.film_id].append(row)
    totals = _film_totals(session, critic_id) if on_films else {}
    others = {film: totals.get(film, FilmSums()).minus(_tally(own)) for film, own in by_film.items()}

    compared = compare_with_consensus(on_films, others, min_other_reviews)

    return CriticProfile(
        critic_id=critic.id,
        name=critic.name,
        reviews=len(rows),
        without_film=len(rows) - len(on_films),
        outlets=[OutletCount(key, name, n) for (key, name), n
                 in sorted(outlet_counts.items(), key=lambda kv: (-kv[1], kv[0][0]))],
        first_year=min(years, default=None),
        last_year=max(years, default=None),
        undated=len(rows) - len(years),
        agreement=share_figure(compared.agree, compared.agree_n, compared.agree_inferred, minimum=minimum),
        agreement_base=compared.base(compared.agreement_films),
        ties=compared.ties,
        leniency=mean_figure(compared.differences, compared.differences_inferred, minimum=minimum),
        leniency_base=compared.base(compared.leniency_films, scored=True),
        contrarian=share_figure(compared.against, compared.strong_n, compared.strong_inferred, minimum=minimum),
        contrarian_base=compared.base(compared.strong_films),
        scores=score_distribution([(row.score, row.verdict_source == INFERRED)
                                   for row in on_films if row.score is not None]),
        min_other_reviews=min_other_reviews,
        minimum_inputs=minimum,
    )


def profile_record(profile: CriticProfile) -> dict[str, Any]:
    """The profile as the JSON object aggregator/schemas/critic-profile.schema.json describes."""
    return asdict(profile)
