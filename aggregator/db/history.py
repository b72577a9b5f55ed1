"""What the stored reviews say about an outlet's habits, read in one query each.

`scale_counts_by_publication` feeds `aggregator.ratings.OutletScales` when a crawl opens, so
an outlet whose stored ratings are all "x/4" has its bare "3" read as 3/4 from the first page
of the next crawl (see aggregator.ratings.learned_scale for the rule).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aggregator.db.models import Critic, Publication, Review, ReviewCritic
from aggregator.habits import FreshHabits, HabitRow
from aggregator.verdicts import label_call


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


def habit_rows(session: Session) -> list[HabitRow]:
    """The stored reviews that carry both a score and the critic's own fresh call (a label such
    as "Fresh", "Rotten", "Critic's Pick"): what `FreshHabits` learns outlets' and critics'
    habits from. One query; the first-named critic of a review is the one whose habit it is."""
    first_critic = (
        select(ReviewCritic.review_id, Critic.key)
        .join(Critic, ReviewCritic.critic_id == Critic.id)
        .where(ReviewCritic.position == 0)
        .subquery()
    )
    stmt = (
        select(Publication.key, first_critic.c.key, Review.scale, Review.score, Review.label_raw)
        .join(Publication, Review.publication_id == Publication.id)
        .outerjoin(first_critic, first_critic.c.review_id == Review.id)
        .where(Review.score.is_not(None), Review.scale.is_not(None), Review.label_raw.is_not(None))
    )
    rows = []
    for publication, critic, scale, score, label in session.execute(stmt):
        call = label_call(label)
        if call is not None and call[1] is not None:
            rows.append(HabitRow(publication, critic, scale, float(score), bool(call[1])))
    return rows


def learn_habits(session: Session) -> FreshHabits | None:
    """Fresh habits learnt from the database, or None while it holds no labelled scored review."""
    rows = habit_rows(session)
    return FreshHabits.learn(rows) if rows else None
