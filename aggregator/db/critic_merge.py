"""Merging critics already stored, when the evidence says they are one person.

The store joins a new byline to a stored critic (aggregator.db.critic_store), but rows stored
before the evidence arrived stay apart: namesakes on two outlets that each got a profile page
later, a byline that joined another critic by its profile while its older reviews on that
outlet sit on a profile-less row, or critics that migration 0002 split by outlet. This module
applies the evidence rules (aggregator.identity.critic_identity.plan_critic_merges: a shared profile
page or sameAs, the same name with a profile on both outlets, the same name met on one
outlet) to the stored critics' profiles and aliases, and merges each group into its oldest
row: review links, aliases and profiles move to it, the merged-away spellings stay as
aliases, the display name is re-chosen among them, and the other rows are deleted. Critics
whose profiles differ on one host, and namesakes without evidence, are never merged.

`merge_critics` is what `aggregator critic merge ID ID` does for a person who knows two rows
are one person (refused when the profiles say otherwise, unless forced). Merging is
idempotent: a second pass finds nothing to do.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from aggregator.db.batching import chunks, insert_ignoring_duplicates
from aggregator.db.film_aggregates import films_changed
from aggregator.db.learnt_state import forget
from aggregator.db.models import (
    Critic,
    CriticAlias,
    CriticProfile,
    Review,
    ReviewCritic,
    critic_key,
)
from aggregator.identity.critic_identity import (
    CriticEvidence,
    explain_same_critic,
    plan_critic_merges,
    profiles_conflict,
)
from aggregator.identity.critics import person_key, preferred_spelling


@dataclass
class StoredCritic:
    """A stored critic with what the evidence rules read: profiles and aliases."""

    id: int
    name: str
    profiles: dict[str, str] = field(default_factory=dict)
    """{profile key: outlet whose page gave it}"""
    aliases: list[tuple[str, str, str]] = field(default_factory=list)
    """[(spelling, person key, outlet)] in the order they were met"""

    def evidence(self) -> CriticEvidence:
        return CriticEvidence(self.name, frozenset(self.profiles),
                              frozenset(o for o in self.profiles.values() if o),
                              frozenset((key, outlet) for _, key, outlet in self.aliases
                                        if key and outlet))

    @property
    def outlets(self) -> list[str]:
        return sorted({outlet for _, _, outlet in self.aliases if outlet})


@dataclass
class Merge:
    """Critics `merged` folded into `into`, and why (one line per join)."""

    into: StoredCritic
    merged: list[StoredCritic]
    reasons: list[str]


class MergeRefused(ValueError):
    """A merge asked for by hand that is not done; the subclass says why, the message says
    it to a person."""


class CriticNotFound(MergeRefused):
    """An id that names no stored critic."""


class SameCriticTwice(MergeRefused):
    """The same id given twice: there is nothing to merge."""


class ProfilesConflict(MergeRefused):
    """The two critics' profile pages differ on one site: the evidence says two people
    (`force` overrides it)."""


def load_critics(session: Session, ids: Iterable[int] | None = None) -> list[StoredCritic]:
    """The stored critics (all, or those of `ids`) with profiles and aliases, in id order."""
    critics: dict[int, StoredCritic] = {}
    wanted = None if ids is None else sorted(set(ids))
    for chunk in [None] if wanted is None else chunks(wanted):
        statements = (select(Critic.id, Critic.name),
                      select(CriticProfile.critic_id, CriticProfile.profile_key,
                             CriticProfile.outlet).order_by(CriticProfile.profile_key),
                      select(CriticAlias.critic_id, CriticAlias.spelling, CriticAlias.person_key,
                             CriticAlias.outlet).order_by(CriticAlias.id))
        if chunk is not None:
            statements = tuple(stmt.where(stmt.selected_columns[0].in_(chunk))
                               for stmt in statements)
        critic_rows, profile_rows, alias_rows = (session.execute(s).all() for s in statements)
        for critic_id, name in critic_rows:
            critics[critic_id] = StoredCritic(critic_id, name)
        for critic_id, key, outlet in profile_rows:
            if critic_id in critics:
                critics[critic_id].profiles[key] = outlet
        for critic_id, spelling, key, outlet in alias_rows:
            if critic_id in critics:
                critics[critic_id].aliases.append((spelling, key, outlet))
    return [critics[i] for i in sorted(critics)]


def plan_merges(critics: Sequence[StoredCritic], focus: Iterable[int] | None = None,
                ) -> list[Merge]:
    """The merges the evidence rules call for among `critics` (pure: nothing is written);
    with `focus` (critic ids), only merges involving one of those critics."""
    usable = [c for c in critics if person_key(c.name)]  # a name with no person in it: left be
    names = {i: f"{c.id} {c.name!r}" for i, c in enumerate(usable)}
    wanted = None if focus is None else set(focus)
    focused = None if wanted is None else {i for i, c in enumerate(usable) if c.id in wanted}
    merges = []
    for members, joins in plan_critic_merges([c.evidence() for c in usable], focused):
        into, *others = (usable[i] for i in members)
        reasons = [f"{names[j.other]} joins {names[j.into]}: {j.rule}" for j in joins]
        merges.append(Merge(into, others, reasons))
    return merges


def apply_merge(session: Session, into_id: int, other_ids: Sequence[int]) -> None:
    """Move the review links, aliases and profiles of `other_ids` to `into_id`, delete those
    rows and re-choose the display name among all the aliases. The caller commits."""
    others = sorted(set(other_ids) - {into_id})
    if not others:
        return
    # a film two of them reviewed counts one critic once now
    films_changed(session, session.scalars(
        select(Review.film_id).join(ReviewCritic, ReviewCritic.review_id == Review.id)
        .where(ReviewCritic.critic_id.in_(others), Review.film_id.is_not(None)).distinct()))
    for other in others:  # one at a time: two merged rows may be linked to one review
        shared = select(ReviewCritic.review_id).where(ReviewCritic.critic_id == into_id)
        session.execute(delete(ReviewCritic).where(
            ReviewCritic.critic_id == other, ReviewCritic.review_id.in_(shared)))
        session.execute(update(ReviewCritic).where(ReviewCritic.critic_id == other)
                        .values(critic_id=into_id), execution_options={"synchronize_session": False})
    rows = session.execute(select(Critic.name, CriticAlias.spelling, CriticAlias.person_key,
                                  CriticAlias.outlet)
                           .join(CriticAlias, CriticAlias.critic_id == Critic.id, isouter=True)
                           .where(Critic.id.in_(others)).order_by(CriticAlias.id)).all()
    aliases = {}
    for name, spelling, key, outlet in rows:
        if spelling is not None:
            aliases[(spelling, outlet)] = key
        elif person_key(name):  # a critic without aliases: its display name becomes one
            aliases.setdefault((name, ""), person_key(name))
    insert_ignoring_duplicates(session, CriticAlias.__table__, [
        {"critic_id": into_id, "spelling": s, "person_key": k, "outlet": o}
        for (s, o), k in sorted(aliases.items())])
    session.execute(update(CriticProfile).where(CriticProfile.critic_id.in_(others))
                    .values(critic_id=into_id), execution_options={"synchronize_session": False})
    session.execute(delete(CriticAlias).where(CriticAlias.critic_id.in_(others)))
    session.execute(delete(Critic).where(Critic.id.in_(others)),
                    execution_options={"synchronize_session": False})
    spellings = session.scalars(select(CriticAlias.spelling).where(
        CriticAlias.critic_id == into_id).order_by(CriticAlias.id)).all()
    name = preferred_spelling(spellings)
    if name:
        session.execute(update(Critic).where(Critic.id == into_id)
                        .values(name=name, key=critic_key(name)),
                        execution_options={"synchronize_session": False})
    forget(session, "habits")  # learnt by critic: the next crawl learns them with the merge


def merge_stored_critics(session: Session, *, dry_run: bool = False,
                         ids: Iterable[int] | None = None) -> list[Merge]:
    """Plan the merges among the stored critics (all, or `ids`) and, unless `dry_run`,
    apply them; the caller commits. Returns what was (or would be) merged and why."""
    merges = plan_merges(load_critics(session, ids))
    if not dry_run:
        for merge in merges:
            apply_merge(session, merge.into.id, [c.id for c in merge.merged])
    return merges


def manual_merge_check(a: StoredCritic, b: StoredCritic) -> tuple[bool, str]:
    """Whether a person may merge `a` and `b` by hand: refused only when their profiles say
    they are two people (two different pages on one host); different spellings are the
    person's call ("Tony Doe" and "A. T. Doe")."""
    if profiles_conflict(a.evidence(), b.evidence()):
        return False, "different_profiles_same_host"
    answer, rule = explain_same_critic(a.evidence(), b.evidence())
    return True, rule if answer is True else "by_hand"


def merge_critics(session: Session, into_id: int, other_id: int, *, force: bool = False,
                  dry_run: bool = False) -> tuple[Merge, str]:
    """Merge stored critic `other_id` into `into_id` by hand (the lower id is kept, as the
    automatic merge keeps the oldest row). Raises CriticNotFound for a missing critic,
    SameCriticTwice for the same id twice, and ProfilesConflict for profiles that say two
    people (unless `force`); all three are MergeRefused. Returns the merge and the rule
    that allowed it ("shared_profile", …, "by_hand", or "forced")."""
    if into_id == other_id:
        raise SameCriticTwice(f"critic {into_id} is the same critic")
    found = {c.id: c for c in load_critics(session, [into_id, other_id])}
    missing = [i for i in (into_id, other_id) if i not in found]
    if missing:
        raise CriticNotFound("no critic with id " + ", ".join(map(str, missing)))
    keep, gone = found[min(into_id, other_id)], found[max(into_id, other_id)]
    allowed, rule = manual_merge_check(keep, gone)
    if not allowed and not force:
        raise ProfilesConflict(
            f"critic {keep.id} {keep.name!r} and critic {gone.id} {gone.name!r} have different "
            f"profile pages on one site ({', '.join(sorted(keep.profiles))} vs "
            f"{', '.join(sorted(gone.profiles))}): two people; --force merges them anyway")
    rule = rule if allowed else "forced"
    if not dry_run:
        apply_merge(session, keep.id, [gone.id])
    return Merge(keep, [gone], [f"{gone.id} {gone.name!r} joins {keep.id} {keep.name!r}: {rule}"]), rule


def review_counts(session: Session, ids: Iterable[int]) -> dict[int, int]:
    """{critic id: reviews linked to it}."""
    counts: dict[int, int] = {}
    for chunk in chunks(sorted(set(ids))):
        stmt = (select(ReviewCritic.critic_id, func.count()).where(ReviewCritic.critic_id.in_(chunk))
                .group_by(ReviewCritic.critic_id))
        counts.update({critic_id: int(count) for critic_id, count in session.execute(stmt)})
    return counts


def find_critics(session: Session, name_or_id: str) -> list[StoredCritic]:
    """Critics by id ("12") or by name: every critic with an alias of that person key."""
    text = name_or_id.strip()
    if text.isdigit():
        return load_critics(session, [int(text)])
    key = person_key(text)
    if not key:
        return []
    ids = session.scalars(select(CriticAlias.critic_id).where(CriticAlias.person_key == key)
                          .distinct()).all()
    return load_critics(session, ids)
