"""What a review was before a re-crawl or `aggregator renormalise` changed it, and the film rows
such a change leaves behind.

A revision (`ReviewRevision`) copies the replaced rating and text, and the film (title and year)
and critics (names in byline order) the review was credited to, so that "this review was of
another film" or "by another critic" survives the film row or the critic's merge. A film whose
last review moved elsewhere (a corrected title, a year-less film settled onto a dated one, a
manual link) is deleted by `drop_orphan_films` once the reviews are written: it would otherwise
show as a film with no reviews and keep its title in look-ups.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session

from aggregator.db.batching import chunks
from aggregator.db.models import Critic, Film, FilmAggregate, FilmExternalId, OutletFilmSums, Review, ReviewCritic

# The review's own columns a revision copies as they were.
REVISION_COLUMNS = ("rating_raw", "score", "verdict", "fresh", "verdict_source", "confidence", "headline", "text",
                    "content_hash")
_VACATED = "aggregator.vacated_films"


def credits_of(session: Session, review_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """{review id: {"film_id", "film_title", "film_year", "critic_ids", "critics"}}: whom and
    what each stored review is credited to now (reviews without a film or critic included)."""
    ids = sorted(set(review_ids))
    credits = {review_id: {"film_id": None, "film_title": None, "film_year": None,
                           "critic_ids": [], "critics": []} for review_id in ids}  # fmt: skip
    for chunk in chunks(ids):
        films = (select(Review.id, Film.id, Film.title, Film.year)
                 .join(Film, Film.id == Review.film_id).where(Review.id.in_(chunk)))  # fmt: skip
        for review_id, film_id, title, year in session.execute(films):
            credits[review_id].update(film_id=film_id, film_title=title, film_year=year)
        critics = (select(ReviewCritic.review_id, Critic.id, Critic.name)
                   .join(Critic, Critic.id == ReviewCritic.critic_id)
                   .where(ReviewCritic.review_id.in_(chunk))
                   .order_by(ReviewCritic.review_id, ReviewCritic.position))  # fmt: skip
        for review_id, critic_id, name in session.execute(critics):
            credits[review_id]["critic_ids"].append(critic_id)
            credits[review_id]["critics"].append(name)
    return credits


def recredited(credit: Mapping[str, Any], film_id: int | None, critic_ids: Sequence[int]) -> bool:
    """Whether the review moves to another film or other critics."""
    return credit["film_id"] != film_id or list(credit["critic_ids"]) != list(critic_ids)


def revision_row(old: Mapping[str, Any], credit: Mapping[str, Any] | None, now,
                 run_id: int | None) -> dict[str, Any]:
    """The ReviewRevision row of a review whose stored values `old` (with its "id") are replaced."""
    credit = credit or {}
    return {
        "review_id": old["id"], "replaced_at": now, "run_id": run_id,
        **{name: old[name] for name in REVISION_COLUMNS},
        "film_title": credit.get("film_title"), "film_year": credit.get("film_year"),
        "critics": [{"id": critic_id, "name": name} for critic_id, name in
                    zip(credit.get("critic_ids") or [], credit.get("critics") or [])] or None,
    }  # fmt: skip


def note_vacated_films(session: Session, film_ids: Iterable[int | None]) -> None:
    """Films some reviews were just moved off: checked by `drop_orphan_films` once the session's
    reviews are written (not before: the batch may be about to link new reviews to them)."""
    session.info.setdefault(_VACATED, set()).update(i for i in film_ids if i is not None)


def drop_orphan_films(session: Session, film_ids: Iterable[int | None] = ()) -> int:
    """Delete those of `film_ids` and of the films noted as vacated that no review is of any
    more (with their external ids). Returns how many were deleted."""
    candidates = {i for i in film_ids if i is not None} | session.info.pop(_VACATED, set())
    if not candidates:
        return 0
    session.flush()
    dropped = 0
    for chunk in chunks(sorted(candidates)):
        orphans = list(session.scalars(
            select(Film.id).where(Film.id.in_(chunk), ~exists().where(Review.film_id == Film.id))))
        if orphans:
            session.execute(delete(FilmExternalId).where(FilmExternalId.film_id.in_(orphans)))
            session.execute(delete(FilmAggregate).where(FilmAggregate.film_id.in_(orphans)))
            session.execute(delete(OutletFilmSums).where(OutletFilmSums.film_id.in_(orphans)))
            session.execute(delete(Film).where(Film.id.in_(orphans)),
                            execution_options={"synchronize_session": False})
            dropped += len(orphans)
    return dropped
