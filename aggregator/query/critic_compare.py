"""Critic against critic: `aggregator critic compare A B` and `aggregator critic similar A`.

The unit is the film both reviewed. A critic's call on a film is the fresh call of their
reviews of it when those agree (mixed calls on one film give no call), their score the mean
of their scores of it. A review the two wrote together is evidence of neither's taste
against the other's: it is left out of both sides (and counted, `co_written`). Reviews with
no film are left out. `similar` computes the same per-film agreement for every critic at
once in one query (a self-join of review_critics and reviews on film_id), so its figure for
B is exactly `compare(A, B)`'s verdict agreement.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import and_, case, func, literal_column, or_, select, union_all
from sqlalchemy.orm import Session, aliased

from aggregator.db.models import Critic, Film, Review, ReviewCritic
from aggregator.query.critic_profile import (
    INFERRED,
    MIN_INPUTS,
    CriticNotStored,
    MeanFigure,
    ShareFigure,
    mean_figure,
    share_figure,
    wilson_interval,
)

MIN_OVERLAP = 10
"""`similar` ranks only critics sharing at least this many films with a clear call from both:
below it the interval is too wide to rank on."""

FLAG_NAMES = ("shared", "agreed", "inferred")

MOST_DISAGREED = 5
"""How many films `compare` lists as the ones the two disagree on most."""


@dataclass(frozen=True)
class Correlation:
    """Pearson's r of the two critics' scores over `denominator` films both scored."""

    denominator: int
    inferred: int
    value: float | None
    too_few: str | None = None


@dataclass(frozen=True)
class FilmDisagreement:
    film_id: int
    title: str
    year: int | None
    score_a: float | None
    score_b: float | None
    difference: float | None
    """score_a − score_b; None unless both scored the film."""
    call_a: bool | None
    call_b: bool | None
    opposite_calls: bool


@dataclass
class CriticComparison:
    critic_a: int
    name_a: str
    critic_b: int
    name_b: str
    shared_films: int
    """Films both reviewed (any review, with or without a call or a score)."""
    co_written: int
    """Reviews both wrote: left out of both sides."""
    agreement: ShareFigure
    """Films on which both gave a clear call, and the share on which the calls match."""
    correlation: Correlation
    mean_difference: MeanFigure
    """Mean of (A's score − B's score) over films both scored: positive when A scores higher."""
    disagreements: list[FilmDisagreement]
    minimum_inputs: int = MIN_INPUTS


@dataclass(frozen=True)
class SimilarCritic:
    critic_id: int
    name: str
    agreement: ShareFigure


@dataclass
class SimilarCritics:
    critic_id: int
    name: str
    min_overlap: int
    candidates: int
    """Critics sharing at least `min_overlap` films with a clear call: ranked, then cut to the limit."""
    critics: list[SimilarCritic]


@dataclass
class _Side:
    """One critic's reviews of one film."""

    calls: list[bool]
    scores: list[float]
    inferred_call: bool = False
    inferred_score: bool = False

    def add(self, row) -> None:
        """One review's call and score (a row with fresh, score, verdict_source)."""
        inferred = row.verdict_source == INFERRED
        if row.fresh is not None:
            self.calls.append(bool(row.fresh))
            self.inferred_call |= inferred
        if row.score is not None:
            self.scores.append(row.score)
            self.inferred_score |= inferred

    @property
    def call(self) -> bool | None:
        return self.calls[0] if self.calls and len(set(self.calls)) == 1 else None

    @property
    def score(self) -> float | None:
        return sum(self.scores) / len(self.scores) if self.scores else None


def _sides(session: Session, a: int, b: int) -> tuple[dict[int, dict[int, _Side]], int]:
    """{critic: {film: their reviews of it}} for A and B without their co-written reviews,
    and how many co-written reviews were left out."""
    stmt = (select(ReviewCritic.critic_id, Review.id, Review.film_id, Review.fresh, Review.score,
                   Review.verdict_source)
            .join(Review, Review.id == ReviewCritic.review_id)
            .where(ReviewCritic.critic_id.in_((a, b)), Review.film_id.is_not(None)))
    rows = session.execute(stmt).all()
    authors: dict[int, set[int]] = defaultdict(set)
    for row in rows:
        authors[row.id].add(row.critic_id)
    co_written = {review for review, critics in authors.items() if len(critics) == 2}
    sides: dict[int, dict[int, _Side]] = {a: {}, b: {}}
    for row in rows:
        if row.id in co_written:
            continue
        sides[row.critic_id].setdefault(row.film_id, _Side([], [])).add(row)
    return sides, len(co_written)


def pearson(pairs: list[tuple[float, float]]) -> float | None:
    """Pearson's r, None when either side has no spread."""
    n = len(pairs)
    mean_x = sum(x for x, _ in pairs) / n
    mean_y = sum(y for _, y in pairs) / n
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in pairs)
    sxx = sum((x - mean_x) ** 2 for x, _ in pairs)
    syy = sum((y - mean_y) ** 2 for _, y in pairs)
    if sxx == 0 or syy == 0:
        return None
    return max(-1.0, min(1.0, sxy / math.sqrt(sxx * syy)))


def _correlation(pairs: list[tuple[float, float]], inferred: int, minimum: int) -> Correlation:
    if len(pairs) < max(3, minimum):
        return Correlation(len(pairs), inferred, None,
                           f"too few: {len(pairs)} films both scored, at least {max(3, minimum)} needed")
    value = pearson(pairs)
    if value is None:
        return Correlation(len(pairs), inferred, None, "no spread: one of them gave every film the same score")
    return Correlation(len(pairs), inferred, value)


def _name(session: Session, critic_id: int) -> str:
    critic = session.get(Critic, critic_id)
    if critic is None:
        raise CriticNotStored(f"no critic with id {critic_id}")
    return critic.name


def compare_critics(session: Session, a: int, b: int, *, minimum: int = MIN_INPUTS,
                    most: int = MOST_DISAGREED) -> CriticComparison:
    """A against B over the films both reviewed, in three queries."""
    name_a, name_b = _name(session, a), _name(session, b)
    sides, co_written = _sides(session, a, b)
    shared = sorted(set(sides[a]) & set(sides[b]))
    agree = called = called_inferred = 0
    pairs: list[tuple[float, float]] = []
    scored_inferred = 0
    candidates = []
    for film in shared:
        one, other = sides[a][film], sides[b][film]
        if one.call is not None and other.call is not None:
            called += 1
            agree += one.call == other.call
            called_inferred += one.inferred_call or other.inferred_call
        if one.score is not None and other.score is not None:
            pairs.append((one.score, other.score))
            scored_inferred += one.inferred_score or other.inferred_score
        difference = None if one.score is None or other.score is None else one.score - other.score
        opposite = one.call is not None and other.call is not None and one.call != other.call
        if opposite or difference:
            candidates.append((film, one, other, difference, opposite))
    candidates.sort(key=lambda c: (-abs(c[3] or 0.0), not c[4], c[0]))
    films = {}
    if candidates[:most]:
        ids = [c[0] for c in candidates[:most]]
        films = {f.id: f for f in session.scalars(select(Film).where(Film.id.in_(ids)))}
    return CriticComparison(
        critic_a=a, name_a=name_a, critic_b=b, name_b=name_b,
        shared_films=len(shared), co_written=co_written,
        agreement=share_figure(agree, called, called_inferred, minimum=minimum, what="films"),
        correlation=_correlation(pairs, scored_inferred, minimum),
        mean_difference=mean_figure([x - y for x, y in pairs], scored_inferred, minimum=minimum,
                                    what="films"),
        disagreements=[FilmDisagreement(film, films[film].title, films[film].year, one.score, other.score,
                                        difference, one.call, other.call, opposite)
                       for film, one, other, difference, opposite in candidates[:most]],
        minimum_inputs=minimum,
    )


_ONE, _ZERO = literal_column("1"), literal_column("0")
"""Written into the SQL, not bound: SQLite computes an aggregate once however often the statement
names it only when the expressions are identical, and two bound 1s are two different parameters."""


def _flag(condition):
    return case((condition, _ONE), else_=_ZERO)


def _film_flags(a_n, a_fresh, a_inferred, b_n, b_fresh, b_inferred):
    """(shared, agreed, inferred) of one film as 0/1, from each side's reviews with a call, fresh
    calls and inferred calls on it: shared when both called it clearly (every call of a side the
    same), agreed when those calls match, inferred when a call of either was inferred."""
    clear = and_(a_n > 0, b_n > 0, or_(a_fresh == 0, a_fresh == a_n), or_(b_fresh == 0, b_fresh == b_n))
    matched = and_(clear, or_(and_(a_fresh == 0, b_fresh == 0), and_(a_fresh == a_n, b_fresh == b_n)))
    return _flag(clear), _flag(matched), _flag(and_(clear, or_(a_inferred > 0, b_inferred > 0)))


def _agreement_by_critic(critic_id: int, min_overlap: int):
    """Per other critic B sharing at least `min_overlap` clearly called films with A: those films,
    how many of them the calls match on, and on how many a call of either was inferred.

    One statement, built for the 1M-review stores, where the cost is one author look-up per review
    of A's films: A's reviews are read from the table once (`mine_reviews`), every other review
    only from ix_reviews_film_calls and the review_critics key, and each (B, film) is grouped
    once, its flags made in that pass. A review both wrote is on neither side; since such reviews
    are few (a few % of all), the main pass ignores them (B's side counts them, A's side is A's
    whole film) and a small second pass over the (B, film) with one corrects those flags:
    `corrected − counted` is added to B's sums. A film A did not call clearly is on no
    uncorrected side (its flags are 0), so the main pass reads only A's clearly called films."""
    link, review = aliased(ReviewCritic), aliased(Review)
    mine_reviews = (select(review.id, review.film_id.label("film"),
                           _flag(review.fresh.is_(True)).label("fresh"),
                           _flag(review.verdict_source == INFERRED).label("inferred"))
                    .select_from(link).join(review, review.id == link.review_id)
                    .where(link.critic_id == critic_id, review.film_id.is_not(None), review.fresh.is_not(None))
                    ).cte("mine_reviews").prefix_with("MATERIALIZED")
    mine = (select(mine_reviews.c.film, func.count().label("n"), func.sum(mine_reviews.c.fresh).label("fresh"),
                   func.sum(mine_reviews.c.inferred).label("inferred"))
            .group_by(mine_reviews.c.film)).cte("mine").prefix_with("MATERIALIZED")

    # the main pass: every other critic's reviews of the films A called clearly
    clear_mine = select(mine).where(or_(mine.c.fresh == 0, mine.c.fresh == mine.c.n)).cte("clear_mine")
    their_link, theirs = aliased(ReviewCritic), aliased(Review)
    b_n, b_fresh, b_inferred = (func.count(), func.sum(_flag(theirs.fresh.is_(True))),
                                func.sum(_flag(theirs.verdict_source == INFERRED)))
    flags = _film_flags(clear_mine.c.n, clear_mine.c.fresh, clear_mine.c.inferred, b_n, b_fresh, b_inferred)
    main = (select(their_link.critic_id.label("other"), *(f.label(n) for f, n in zip(flags, FLAG_NAMES)))
            .select_from(clear_mine).join(theirs, theirs.film_id == clear_mine.c.film)
            .join(their_link, their_link.review_id == theirs.id)
            .where(their_link.critic_id != critic_id, theirs.fresh.is_not(None))
            .group_by(their_link.critic_id, clear_mine.c.film, clear_mine.c.n, clear_mine.c.fresh,
                      clear_mine.c.inferred))

    # the correction: each (B, film) with reviews A and B wrote together (`co`, with A's whole
    # side on the film), B's whole side on it read again, the flags counted both ways
    co_link = aliased(ReviewCritic)
    co = (select(co_link.critic_id.label("other"), mine.c.film, func.count().label("n"),
                 func.sum(mine_reviews.c.fresh).label("fresh"), func.sum(mine_reviews.c.inferred).label("inferred"),
                 mine.c.n.label("a_n"), mine.c.fresh.label("a_fresh"), mine.c.inferred.label("a_inferred"))
          .select_from(mine_reviews).join(co_link, co_link.review_id == mine_reviews.c.id)
          .join(mine, mine.c.film == mine_reviews.c.film)
          .where(co_link.critic_id != critic_id)
          .group_by(co_link.critic_id, mine.c.film, mine.c.n, mine.c.fresh, mine.c.inferred)
          ).cte("co_written").prefix_with("MATERIALIZED")
    b_link, b_review = aliased(ReviewCritic), aliased(Review)
    c = co.c
    b_n, b_fresh, b_inferred = (func.count(), func.sum(_flag(b_review.fresh.is_(True))),
                                func.sum(_flag(b_review.verdict_source == INFERRED)))
    corrected = _film_flags(c.a_n - c.n, c.a_fresh - c.fresh, c.a_inferred - c.inferred,
                            b_n - c.n, b_fresh - c.fresh, b_inferred - c.inferred)
    counted = _film_flags(c.a_n, c.a_fresh, c.a_inferred, b_n, b_fresh, b_inferred)
    correction = (select(c.other, *((x - y).label(n) for x, y, n in zip(corrected, counted, FLAG_NAMES)))
                  .select_from(co).join(b_review, b_review.film_id == c.film)
                  .join(b_link, and_(b_link.review_id == b_review.id, b_link.critic_id == c.other))
                  .where(b_review.fresh.is_not(None))
                  .group_by(c.other, c.film, c.n, c.fresh, c.inferred, c.a_n, c.a_fresh, c.a_inferred))

    films = union_all(main, correction).subquery("films")
    shared = func.sum(films.c.shared)
    by_critic = (select(films.c.other, shared.label("shared"), func.sum(films.c.agreed).label("agreed"),
                        func.sum(films.c.inferred).label("inferred"))
                 .group_by(films.c.other).having(shared >= min_overlap)).subquery("by_critic")
    return (select(by_critic.c.other, Critic.name, by_critic.c.shared, by_critic.c.agreed, by_critic.c.inferred)
            .join(Critic, Critic.id == by_critic.c.other))


def similar_critics(session: Session, critic_id: int, *, min_overlap: int = MIN_OVERLAP,
                    limit: int = 10) -> SimilarCritics:
    """The critics most like `critic_id`, ranked by the lower bound of the 95% Wilson interval
    of their agreement over shared films (then more shared films, then id)."""
    name = _name(session, critic_id)
    min_overlap = max(1, min_overlap)
    rows = session.execute(_agreement_by_critic(critic_id, min_overlap)).all()
    ranked = sorted(rows, key=lambda r: (-wilson_interval(int(r.agreed), int(r.shared))[0],
                                         -int(r.shared), r.other))
    return SimilarCritics(critic_id, name, min_overlap, len(rows), [
        SimilarCritic(r.other, r.name, share_figure(int(r.agreed), int(r.shared), int(r.inferred),
                                                    minimum=min_overlap, what="films"))
        for r in ranked[:max(0, limit)]])


def comparison_record(comparison: CriticComparison) -> dict[str, Any]:
    """As aggregator/schemas/critic-compare.schema.json describes it."""
    return asdict(comparison)


def similar_record(similar: SimilarCritics) -> dict[str, Any]:
    """As aggregator/schemas/critic-similar.schema.json describes it."""
    return asdict(similar)
