"""What the stored reviews say about outlets' and critics' habits, read in one query each.

`scale_counts_by_publication` feeds `aggregator.ratings.OutletScales` when a crawl opens, so
an outlet whose stored ratings are all "x/4" has its bare "3" read as 3/4 from the first page
of the next crawl (see aggregator.ratings.learned_scale for the rule).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aggregator.db.models import Critic, CriticAlias, Publication, Review, ReviewCritic, critic_key
from aggregator.verdicts import label_call
from aggregator.verdicts.habits import FreshHabits, HabitRow


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
    habits from. The first-named critic of a review is the one whose habit it is, keyed by
    the stored critic (`critic_rate_keys`, the verdict model's keys too): namesakes kept apart
    are two sets of habits."""
    return _habit_rows_and_critics(session)[0]


def _habit_rows_and_critics(session: Session) -> tuple[list[HabitRow], dict[int, str]]:
    first_critic = (
        select(ReviewCritic.review_id, ReviewCritic.critic_id)
        .where(ReviewCritic.position == 0)
        .subquery()
    )
    stmt = (
        select(Publication.key, first_critic.c.critic_id, Review.scale, Review.score, Review.label_raw)
        .join(Publication, Review.publication_id == Publication.id)
        .outerjoin(first_critic, first_critic.c.review_id == Review.id)
        .where(Review.score.is_not(None), Review.scale.is_not(None), Review.label_raw.is_not(None))
    )
    labelled = []
    for publication, critic_id, scale, score, label in session.execute(stmt):
        call = label_call(label)
        if call is not None and call[1] is not None:
            labelled.append((publication, critic_id, scale, float(score), bool(call[1])))
    every_key = critic_rate_keys(session)  # the verdict model's keys too: one key per critic
    keys = {critic_id: every_key[critic_id] for _, critic_id, *_ in labelled if critic_id in every_key}
    rows = [HabitRow(publication, keys.get(critic_id), scale, score, fresh)
            for publication, critic_id, scale, score, fresh in labelled]
    return rows, keys


def critic_habit_keys(names: dict[int, str]) -> dict[int, str]:
    """{critic id: habits key} for stored critics {id: Critic.key}: the name's key when no
    other of these critics shares it (readable in saved habits), else "<key>#<id>", so that
    namesakes the store keeps apart never pool their calls."""
    count = Counter(names.values())
    return {critic_id: key if count[key] == 1 else f"{key}#{critic_id}"
            for critic_id, key in names.items()}


def critic_identities(session: Session, keys: dict[int, str]) -> dict[str, dict[str, str]]:
    """{outlet key: {critic_key of a spelling met there: habits key}} for the critics of
    `keys` ({critic id: habits key}), from their aliases: how a crawl's byline on an outlet
    finds the stored critic's habits. A byline two of these critics share on one outlet maps
    to neither (the store could not tell which one it is either)."""
    ids = sorted(keys)
    owners = _byline_owners(session, keys, [CriticAlias.critic_id.in_(ids[start:start + 500])
                                            for start in range(0, len(ids), 500)])
    return {outlet: {name: next(iter(found)) for name, found in names.items() if len(found) == 1}
            for outlet, names in owners.items()}


def _byline_owners(session: Session, keys: dict[int, str], filters: list) -> dict[str, dict[str, set[str]]]:
    """{outlet key: {critic_key of a spelling met there: keys of the critics met under it}}
    for the aliases of the critics of `keys`, read once per filter of the aliases."""
    found: dict[str, dict[str, set[str]]] = {}
    for where in filters:
        stmt = select(CriticAlias.critic_id, CriticAlias.spelling, CriticAlias.outlet).where(where)
        for critic_id, spelling, outlet in session.execute(stmt):
            if outlet and critic_id in keys:
                found.setdefault(outlet, {}).setdefault(critic_key(spelling), set()).add(
                    keys[critic_id])
    return {outlet: dict(sorted(names.items())) for outlet, names in sorted(found.items())}


STORED_CRITIC_KEYS = "stored critics"
"""`spec["critic_keys"]` of a verdict model trained from the database: its critics' fresh
rates are keyed by stored critic (`critic_rate_keys`), so a crawl reaches them from a byline
through `model_critic_identities`. A model without it (trained from a CSV, or before) keys
critics by the byline's name."""


def critic_rate_keys(session: Session) -> dict[int, str]:
    """{critic id: the key the fresh habits and a verdict model learn the critic under}, for
    every stored critic: `critic_habit_keys` (the display name's key, "<key>#<id>" for
    namesakes the store keeps apart). Counted over every critic, not only those with labelled
    reviews, so that habits, training and the crawls after them key a critic alike; a
    namesake stored (or merged away) later changes a key, and a saved model reads that critic
    as unknown until retrained (habits are learnt anew by every crawl)."""
    return critic_habit_keys(dict(session.execute(select(Critic.id, Critic.key)).all()))


def model_critic_identities(session: Session, model: object) -> dict[str, dict[str, str | None]] | None:
    """{outlet key: {critic_key of a byline met there: the `critic_rate_keys` key of its
    critic, None when two stored critics were met under it there}}, for a `model` that reads
    critics' fresh rates keyed by stored critic (`STORED_CRITIC_KEYS`); None for any other
    model (it reads the byline's own key: aggregator.normalise.model_critic_key)."""
    spec = getattr(model, "spec", None) or {}
    if not (getattr(model, "uses_priors", False) and spec.get("critic_keys") == STORED_CRITIC_KEYS):
        return None
    owners = _byline_owners(session, critic_rate_keys(session), [CriticAlias.outlet != ""])
    return {outlet: {name: next(iter(found)) if len(found) == 1 else None for name, found in names.items()}
            for outlet, names in owners.items()}


def learn_habits(session: Session) -> FreshHabits | None:
    """Fresh habits learnt from the database, or None while it holds no labelled scored review.
    Critics are the stored ones (`habit_rows`), reached from a byline through the outlet it
    is met on (`critic_identities`)."""
    rows, keys = _habit_rows_and_critics(session)
    return FreshHabits.learn(rows, critic_identities(session, keys)) if rows else None
