"""Verdicts a person sets, and the queue of verdicts a person should check.

`aggregator verdict set/clear/review` (aggregator/cli/verdicts.py) are thin adapters over
these. A manual verdict is verdict_source "manual", confidence 1.0, fresh when positive: a
crawl never overwrites it (aggregator.db.upsert leaves MANUAL_FIELDS alone on a review whose
stored source is "manual", and a re-crawl of an unchanged page only touches `last_seen`, since
`content_hash` is left as the crawl computed it), nor does `aggregator renormalise`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from aggregator.db.film_aggregates import films_changed
from aggregator.db.models import VERDICTS, Film, Publication, Review, ReviewRevision, utcnow
from aggregator.urls import canonical_url
from aggregator.verdicts.decision import REVIEW_BELOW

MANUAL_CONFIDENCE = 1.0
EXCERPT_CHARS = 160


class VerdictError(LookupError):
    """A manual verdict that cannot be set or cleared: no such review, no such verdict."""


@dataclass(frozen=True)
class VerdictChange:
    url: str
    before: tuple[str | None, str | None]
    """(verdict, verdict_source) before the change."""
    after: tuple[str | None, str | None]


def find_review_id(session: Session, url: str) -> tuple[int, str]:
    """(id, stored url) of the review at `url`, as given or in its canonical form (a pasted
    address may carry tracking parameters); VerdictError when there is none."""
    candidates = [url.strip()]
    try:
        candidates.append(canonical_url(url))
    except ValueError:
        pass
    for candidate in dict.fromkeys(candidates):
        found = session.execute(select(Review.id, Review.url).where(Review.url == candidate)).first()
        if found is not None:
            return found.id, found.url
    raise VerdictError(f"no review with url {url!r}")


def set_manual_verdict(session: Session, url: str, verdict: str) -> VerdictChange:
    """Give the review at `url` a manual verdict; the caller commits. A replaced verdict is kept
    as a ReviewRevision, as a crawl that changes one does."""
    if verdict not in VERDICTS:
        raise VerdictError(f"verdict must be one of {', '.join(VERDICTS)}, not {verdict!r}")
    review_id, stored_url = find_review_id(session, url)
    review = session.get(Review, review_id)
    before = (review.verdict, review.verdict_source)
    if review.verdict is not None and review.verdict != verdict:
        session.add(ReviewRevision(
            review_id=review.id, replaced_at=utcnow(), run_id=None, rating_raw=review.rating_raw,
            score=review.score, verdict=review.verdict, fresh=review.fresh, verdict_source=review.verdict_source,
            confidence=review.confidence, headline=review.headline,
            text=review.text, content_hash=review.content_hash,
        ))  # fmt: skip
    session.execute(
        update(Review).where(Review.id == review_id).values(
            verdict=verdict, fresh=verdict == "positive", verdict_source="manual",
            confidence=MANUAL_CONFIDENCE, updated_at=utcnow(),
        )  # content_hash stays the crawl's: an unchanged page stays "unchanged"
    )  # fmt: skip
    films_changed(session, [review.film_id])
    return VerdictChange(stored_url, before, (verdict, "manual"))


def clear_manual_verdict(session: Session, url: str) -> tuple[int, str] | None:
    """Drop the manual verdict of the review at `url` (its verdict fields become empty, for
    `aggregator renormalise` to decide again); the caller commits. (id, stored url), or None
    when the review has no manual verdict (nothing is changed then)."""
    review_id, stored_url = find_review_id(session, url)
    source, film_id = session.execute(select(Review.verdict_source, Review.film_id).where(Review.id == review_id)).one()
    if source != "manual":
        return None
    films_changed(session, [film_id])
    session.execute(
        update(Review).where(Review.id == review_id).values(
            verdict=None, fresh=None, verdict_source=None, confidence=None, updated_at=utcnow()
        )
    )
    return review_id, stored_url


@dataclass(frozen=True)
class VerdictToCheck:
    url: str
    outlet: str
    film: str | None
    verdict: str | None
    confidence: float | None
    source: str | None
    excerpt: str


def low_confidence_verdicts(
    session: Session,
    below: float = REVIEW_BELOW,
    limit: int | None = 50,
    publication: str | None = None,
) -> list[VerdictToCheck]:
    """Verdicts with a confidence under `below`, for a person to check: inferred ones first
    (a model read them from prose), then the rest; the least sure first within each."""
    stmt = (
        select(
            Review.url, Publication.name, Film.title, Film.year, Review.verdict,
            Review.confidence, Review.verdict_source, Review.text, Review.headline,
        )  # fmt: skip
        .join(Publication, Publication.id == Review.publication_id)
        .outerjoin(Film, Film.id == Review.film_id)
        .where(
            Review.verdict.is_not(None),
            Review.confidence.is_not(None),
            Review.confidence < below,
            Review.verdict_source != "manual",
        )
        .order_by(
            case((Review.verdict_source == "inferred", 0), else_=1),
            Review.confidence,
            Review.id,
        )
    )
    if publication is not None:
        stmt = stmt.where(Publication.key == publication)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [
        VerdictToCheck(
            url=row.url,
            outlet=row.name,
            film=None if row.title is None else row.title + (f" ({row.year})" if row.year else ""),
            verdict=row.verdict,
            confidence=row.confidence,
            source=row.verdict_source,
            excerpt=excerpt(row.text or row.headline),
        )
        for row in session.execute(stmt)
    ]


def excerpt(text: str | None, chars: int = EXCERPT_CHARS) -> str:
    """The text's closing words on one line (a review states its call at its end)."""
    if not text:
        return ""
    flat = " ".join(text.split())
    if len(flat) <= chars:
        return flat
    cut = flat[-chars:]
    space = cut.find(" ")
    return "…" + (cut[space + 1 :] if 0 <= space < 30 else cut)
