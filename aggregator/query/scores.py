"""Read-only queries over the stored reviews: finding a film and summarising its reviews.

Plain functions taking a Session, so the CLI, the web pages and tests share them. A summary
always says how many of its inputs were inferred, and every share states its denominator
(reviews that have a verdict, a fresh flag, a score), never all reviews.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.db.models import (
    VERDICT_SOURCES,
    VERDICTS,
    Critic,
    Film,
    Publication,
    Review,
    ReviewCritic,
    film_key_of,
)

NO_SOURCE = "none"
"""The verdict_source count key of reviews without a verdict source."""


class FilmNotFound(LookupError):
    pass


@dataclass(frozen=True)
class ReviewRow:
    critics: list[str]
    outlet: str
    published: date | None
    rating_raw: str | None
    score: float | None
    verdict: str | None
    fresh: bool | None
    verdict_source: str | None
    url: str
    rating_display: str | None = None
    """rating_raw, or "value/best" when the page gave only structured rating parts."""
    confidence: float | None = None
    """How sure the verdict is (1.0 for a rating, a label or a person; a model's estimate for
    an inferred one)."""


@dataclass
class FilmSummary:
    film_id: int
    title: str
    year: int | None
    review_count: int
    fresh_count: int
    fresh_known: int
    """Reviews with a fresh flag: the denominator of fresh_share."""
    fresh_share: float | None
    verdict_counts: dict[str, int]
    verdict_known: int
    """Reviews with a verdict: the denominator of verdict_shares."""
    verdict_shares: dict[str, float | None]
    average_score: float | None
    scored_count: int
    source_counts: dict[str, int]
    """Reviews by verdict_source, with "none" for reviews that have none."""
    inferred_count: int
    reviews: list[ReviewRow] = field(default_factory=list)
    """Newest first; undated reviews last."""
    fresh_inferred: int = 0
    """Reviews among `fresh_known` whose call was inferred from their text."""

    @property
    def inputs(self) -> str:
        """What the aggregates rest on, e.g. "12 reviews: 8 rated, 2 label, 2 inferred"."""
        return describe_sources(self.review_count, self.source_counts)


SOURCE_WORDS = {
    "rating": "rated", "text": "rating in the text", "label": "label", "inferred": "inferred",
    "manual": "set by hand", NO_SOURCE: "no verdict",
}  # fmt: skip
"""How `describe_sources` names each verdict source."""


def describe_sources(review_count: int, source_counts: dict[str, int]) -> str:
    """"12 reviews: 8 rated, 2 label, 2 inferred": how many verdicts came from where. The
    inferred count is always stated, even at 0, so a reader never has to guess it."""
    parts = [
        f"{count} {SOURCE_WORDS.get(source, source)}"
        for source, count in source_counts.items()
        if count and source != "inferred"
    ]
    parts.insert(min(len(parts), _inferred_position(source_counts)),
                 f"{source_counts.get('inferred', 0)} inferred")
    return f"{review_count} review{'s' * (review_count != 1)}: " + ", ".join(parts)


def _inferred_position(source_counts: dict[str, int]) -> int:
    """Where "inferred" goes among the non-zero sources: in the order of VERDICT_SOURCES."""
    order = list(source_counts)
    before = order[: order.index("inferred")] if "inferred" in order else order
    return sum(1 for source in before if source_counts.get(source))


def find_films(session: Session, title: str, year: int | None = None) -> list[Film]:
    """Films with reviews whose key matches `title` (so case and punctuation do not matter),
    optionally of one year; several when a title was used in several years. Ordered by year.
    (A year-less film whose reviews all joined the dated film of the title is left out.)"""
    key = film_key_of(title or "")
    if not key:
        return []
    reviewed = select(Review.id).where(Review.film_id == Film.id).exists()
    stmt = select(Film).where(Film.key == key, reviewed)
    if year is not None:
        stmt = stmt.where(Film.year == year)
    return list(session.scalars(stmt.order_by(Film.year.is_(None), Film.year, Film.id)))


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _rating_display(review) -> str | None:
    if review.rating_raw:
        return review.rating_raw
    if review.rating_value is not None and review.rating_best is not None:
        return f"{review.rating_value:g}/{review.rating_best:g}"
    return None


def film_summary(session: Session, film_id: int) -> FilmSummary:
    """Counts, shares, average score and the reviews of one film, in three queries."""
    film = session.get(Film, film_id)
    if film is None:
        raise FilmNotFound(f"no film with id {film_id}")

    stmt = (
        select(
            Review.id, Review.url, Review.published, Review.rating_raw, Review.rating_value,
            Review.rating_best, Review.score, Review.verdict, Review.fresh,
            Review.verdict_source, Review.confidence, Publication.name.label("outlet"),
        )  # fmt: skip
        .join(Publication, Publication.id == Review.publication_id)
        .where(Review.film_id == film_id)
        .order_by(Review.published.is_(None), Review.published.desc(), Review.id.desc())
    )
    reviews = session.execute(stmt).all()

    critics: dict[int, list[str]] = defaultdict(list)
    critic_stmt = (
        select(ReviewCritic.review_id, Critic.name)
        .join(Critic, Critic.id == ReviewCritic.critic_id)
        .join(Review, Review.id == ReviewCritic.review_id)
        .where(Review.film_id == film_id)
        .order_by(ReviewCritic.review_id, ReviewCritic.position)
    )
    for review_id, name in session.execute(critic_stmt):
        critics[review_id].append(name)

    with_fresh = [r.fresh for r in reviews if r.fresh is not None]
    verdicts = Counter(r.verdict for r in reviews if r.verdict is not None)
    verdict_known = sum(verdicts.values())
    scores = [r.score for r in reviews if r.score is not None]
    sources = Counter(r.verdict_source or NO_SOURCE for r in reviews)
    return FilmSummary(
        film_id=film.id,
        title=film.title,
        year=film.year,
        review_count=len(reviews),
        fresh_count=sum(with_fresh),
        fresh_known=len(with_fresh),
        fresh_share=_share(sum(with_fresh), len(with_fresh)),
        verdict_counts={v: verdicts.get(v, 0) for v in VERDICTS},
        verdict_known=verdict_known,
        verdict_shares={v: _share(verdicts.get(v, 0), verdict_known) for v in VERDICTS},
        average_score=sum(scores) / len(scores) if scores else None,
        scored_count=len(scores),
        source_counts={s: sources.get(s, 0) for s in (*VERDICT_SOURCES, NO_SOURCE)},
        inferred_count=sources.get("inferred", 0),
        fresh_inferred=sum(1 for r in reviews if r.fresh is not None and r.verdict_source == "inferred"),
        reviews=[
            ReviewRow(
                critics=critics.get(r.id, []),
                outlet=r.outlet,
                published=r.published,
                rating_raw=r.rating_raw,
                score=r.score,
                verdict=r.verdict,
                fresh=r.fresh,
                verdict_source=r.verdict_source,
                url=r.url,
                rating_display=_rating_display(r),
                confidence=r.confidence,
            )
            for r in reviews
        ],
    )
