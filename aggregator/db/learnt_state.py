"""What a crawl learns from the stored reviews when it opens, kept instead of relearnt (issue 16).

A crawl reads three things from the store before its first item: the outlets' scale counts
(aggregator.ratings.OutletScales), the fresh habits of outlets and critics
(aggregator.verdicts.habits) and, for a model that reads it, each film's consensus
(aggregator.db.film_consensus). Learnt from the whole reviews table, that cost grew with the
store (13 s of a one-page crawl on a million reviews). Each is now kept in `learnt_state` with
the `reviews.updated_at` watermark it was computed up to, and a crawl reads the kept state and
the reviews written since (`ix_reviews_updated_at`):

- scale counts and film tallies are counts: the outlets and films of the reviews written since
  are counted again exactly (from the covering indexes), the others kept;
- habits are a fit over every labelled review (thresholds per scale): learnt again in full when
  labelled reviews were written since, but on a store of `SMALL_STORE` labelled reviews or
  more only once those pass `RELEARN_SHARE` of the ones learnt from (at least `RELEARN_MIN`);
- every state is learnt again in full once older than `FULL_AFTER`, so that what no watermark
  shows (a review moved off a film, a critic merge, a deleted row) is never kept for long.

The watermark is read `WATERMARK_MARGIN` early: a batch stamps its rows before it commits, so a
concurrent crawl's rows may appear below a watermark already read.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, sessionmaker

from aggregator.db.film_consensus import CrawlConsensus, Tally, film_tallies
from aggregator.db.history import learn_habits, scale_counts_by_publication
from aggregator.db.models import LearntState, Publication, Review, utcnow
from aggregator.verdicts.habits import FreshHabits, HabitsError

logger = logging.getLogger(__name__)

FULL_AFTER = timedelta(hours=24)
WATERMARK_MARGIN = timedelta(minutes=15)
RELEARN_SHARE = 0.01
RELEARN_MIN = 50
SMALL_STORE = 10_000
"""Habits learnt from fewer labelled reviews are learnt again whenever one is written."""


def crawl_scale_counts(sessions: sessionmaker[Session]) -> dict[str, dict[str, int]]:
    """{publication key: {scale: stored reviews}}, as `scale_counts_by_publication` counts them."""
    with sessions() as session:
        kept, mark, now = _kept(session, "scales")
        if kept is None:
            counts = scale_counts_by_publication(session)
        else:
            counts = {key: dict(scales) for key, scales in kept.data["counts"].items()}
            touched = _written_since(session, mark)["publication_id"]
            if not touched:  # nothing written since: the kept state and its watermark stand
                return counts
            counts.update(_recounted_scales(session, touched))
            counts = {key: scales for key, scales in counts.items() if scales}
        rows = sum(sum(scales.values()) for scales in counts.values())
    _keep(sessions, "scales", {"counts": counts}, now, rows, full=kept is None)
    return counts


def crawl_consensus(sessions: sessionmaker[Session]) -> CrawlConsensus:
    """The film tallies a crawl looks its items' films up in (`CrawlConsensus`)."""
    with sessions() as session:
        kept, mark, now = _kept(session, "consensus")
        if kept is None:
            tallies = film_tallies(session)
        else:
            tallies = {int(film): (int(fresh), int(count)) for film, fresh, count in kept.data["tallies"]}
            touched = _written_since(session, mark)["film_id"]
            for film in touched:
                tallies.pop(film, None)
            tallies.update(film_tallies(session, touched) if touched else {})
        consensus = CrawlConsensus.from_film_tallies(session, tallies)
        if kept is not None and not touched:  # nothing written since: nothing to keep anew
            return consensus
    data = {"tallies": [[film, fresh, count] for film, (fresh, count) in sorted(tallies.items())]}
    _keep(sessions, "consensus", data, now, sum(count for _, count in tallies.values()), full=kept is None)
    return consensus


def crawl_habits(sessions: sessionmaker[Session]) -> FreshHabits | None:
    """Fresh habits as `learn_habits` learns them, learnt again only when enough labelled
    reviews were written since (see the module)."""
    with sessions() as session:
        # counted, not re-read: a row a concurrent batch stamped early only delays a relearn
        kept, mark, now = _kept(session, "habits", margin=timedelta(0))
        if kept is not None:
            since = _labelled_since(session, mark)
            # a small store is learnt again at each change (it costs little); a large one
            # once the change is worth it
            keep = since == 0 or (kept.rows >= SMALL_STORE and since <= max(RELEARN_MIN, RELEARN_SHARE * kept.rows))
            if keep and kept.data.get("none"):
                return None
            if keep:
                try:
                    return FreshHabits.from_dict(kept.data)
                except HabitsError as error:
                    logger.warning("kept fresh habits unreadable (%s): learning them again", error)
        habits = learn_habits(session)
    data = habits.to_dict() if habits is not None else {"none": True}
    _keep(sessions, "habits", data, now, habits.rows if habits is not None else 0, full=True)
    return habits


def _kept(session: Session, name: str, margin: timedelta = WATERMARK_MARGIN,
          ) -> tuple[LearntState | None, datetime | None, datetime]:
    """The kept state (None when there is none or it is due a full relearn), the watermark to
    read the reviews written since from (`margin` early), and now."""
    now = utcnow()
    kept = session.get(LearntState, name)
    if kept is None or kept.computed_at is None or now - kept.computed_at > FULL_AFTER:
        return None, None, now
    mark = kept.watermark - margin if kept.watermark is not None else None
    return kept, mark, now


def _written_since(session: Session, mark: datetime | None) -> dict[str, list[int]]:
    """{"publication_id": [...], "film_id": [...]}: the outlets and films of the reviews written
    after `mark`. Read row by row from `ix_reviews_updated_at` (what was written since is few
    rows) and made distinct here: asked for DISTINCT, SQLite's planner walks the film or outlet
    index over the whole table instead."""
    stmt = select(Review.publication_id, Review.film_id)
    if mark is not None:
        stmt = stmt.where(Review.updated_at > mark)
    outlets, films = set(), set()
    for publication_id, film_id in session.execute(stmt):
        outlets.add(publication_id)
        if film_id is not None:
            films.add(film_id)
    return {"publication_id": sorted(outlets), "film_id": sorted(films)}


def _recounted_scales(session: Session, publication_ids: list[int]) -> dict[str, dict[str, int]]:
    """{publication key: {scale: reviews}} of these outlets (every one of them, empty when it has
    no scaled review), counted from `ix_reviews_publication_scale` alone."""
    keys = dict(session.execute(select(Publication.id, Publication.key).where(
        Publication.id.in_(publication_ids))).all())
    counts: dict[str, dict[str, int]] = {keys[i]: {} for i in keys}
    stmt = (select(Review.publication_id, Review.scale, func.count())
            .where(Review.publication_id.in_(publication_ids), Review.scale.is_not(None))
            .group_by(Review.publication_id, Review.scale))  # fmt: skip
    for publication_id, scale, count in session.execute(stmt):
        counts[keys[publication_id]][scale] = int(count)
    return counts


def _labelled_since(session: Session, mark: datetime | None) -> int:
    """Labelled scored reviews (what habits learn from) written after `mark`."""
    labelled = and_(Review.score.is_not(None), Review.scale.is_not(None), Review.label_raw.is_not(None))
    stmt = select(func.count()).select_from(Review).where(labelled)
    if mark is not None:
        stmt = stmt.where(Review.updated_at > mark)
    return int(session.scalar(stmt) or 0)


def _keep(sessions: sessionmaker[Session], name: str, data: dict[str, Any], read_at: datetime,
          rows: int, *, full: bool) -> None:
    """Store the state learnt up to `read_at`. A full relearn restarts the age that calls for
    the next one; a counted update keeps it. A failure to write costs the next crawl a relearn,
    never this one its state."""
    try:
        with sessions.begin() as session:
            kept = session.get(LearntState, name)
            if kept is None:
                session.add(LearntState(name=name, data=data, watermark=read_at, computed_at=read_at, rows=rows))
            else:
                kept.data, kept.watermark = data, read_at
                if full:
                    kept.computed_at, kept.rows = read_at, rows
    except Exception as error:  # a locked or read-only store: the state is still this crawl's
        logger.warning("could not keep the learnt %s (%s): the next crawl learns it again",
                       name, str(error).splitlines()[0] if str(error) else type(error).__name__)


def forget(session: Session, *names: str) -> None:
    """Make the next crawl learn these states (all when none named) again in full."""
    stmt = LearntState.__table__.delete()
    if names:
        stmt = stmt.where(LearntState.name.in_(names))
    session.execute(stmt)


__all__ = ["Tally", "crawl_consensus", "crawl_habits", "crawl_scale_counts", "forget"]
