"""What the stored reviews say about an outlet's habits, read in one query each.

`scale_counts_by_publication` feeds `aggregator.ratings.OutletScales` when a crawl opens, so
an outlet whose stored ratings are all "x/4" has its bare "3" read as 3/4 from the first page
of the next crawl (see aggregator.ratings.learned_scale for the rule).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aggregator.db.models import Publication, Review


def scale_counts_by_publication(
    session: Session, publications: Iterable[str] | None = None
) -> dict[str, dict[str, int]]:
    """{publication key: {scale: stored reviews rated on it}}: one GROUP BY over the reviews,
    optionally limited to some publication keys. Reviews without a scale are not counted.

    These are the stored, normalised scales: a rating once read on a learnt scale counts for
    it, which can only confirm a scale that already holds LEARN_MIN_SHARE of an outlet's
    ratings. `aggregator renormalise` counts from the raw ratings instead.
    """
    stmt = (
        select(Publication.key, Review.scale, func.count())
        .join(Publication, Review.publication_id == Publication.id)
        .where(Review.scale.is_not(None))
        .group_by(Publication.key, Review.scale)
    )
    if publications is not None:
        keys = sorted(set(publications))
        if not keys:
            return {}
        stmt = stmt.where(Publication.key.in_(keys))
    counts: dict[str, dict[str, int]] = {}
    for key, scale, count in session.execute(stmt):
        counts.setdefault(key, {})[scale] = int(count)
    return counts
