"""Which stored critic a batch of reviews is by.

Critics (`get_critic_ids`). Each name on a review is a record: its canonical spelling, its
person key, the outlet, and the profile keys the page gave for that name
(`ReviewItem.critic_profiles`). A record joins a stored critic
1. that holds one of its profiles (`critic_profiles`): a shared page is one person;
2. else a namesake (same person key, via `critic_aliases`) for which
   aggregator.identity.critic_identity.same_critic says True: a profile on both sides (the same page,
   or the same name with a profile on both outlets);
3. else a namesake already met on the same outlet, when same_critic has no evidence either
   way: a byline repeated on one outlet is one person (an outlet does not employ two critics
   of one name without telling them apart, and if it did the page could not tell us);
4. else it is a new critic. Namesakes on two outlets without profiles stay two people.
Every record leaves an alias (spelling, person key, outlet) and its profiles behind, and the
display name is the preferred spelling of the aliases (aggregator.identity.critics.preferred_spelling).
When a batch brings evidence that makes two stored critics one person (a record joined
critic A by its profile on an outlet where namesake B was met without one; namesakes that
each got a profile page), they are merged at once (aggregator.db.critic_merge: the same
rules as `aggregator critic merge`, limited to the critics the batch touched), and the
batch's reviews are linked to the critic that is kept.

Films: aggregator.db.film_store.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from aggregator.db.batching import CHUNK, chunks, insert_ignoring_duplicates  # noqa: F401  (importable from here)
from aggregator.db.batching import dialect_insert as _insert  # noqa: F401
from aggregator.db.models import Critic, CriticAlias, CriticProfile, critic_key
from aggregator.identity.critic_identity import (
    CriticEvidence,
    profile_key,
    same_critic,
)
from aggregator.identity.critics import person_key, preferred_spelling
from aggregator.items import ReviewItem

# --- critics -----------------------------------------------------------------------------------


def critic_ref(item: ReviewItem, name: str) -> tuple[str, str]:
    """The key of one name on one review in `get_critic_ids`' answer."""
    return (item.url or "", name)


@dataclass(eq=False)
class _Known:
    uid: str
    order: int
    id: int | None = None
    name: str | None = None
    profiles: dict[str, str] = field(default_factory=dict)
    """{profile key: outlet}"""
    aliases: dict[tuple[str, str, str], None] = field(default_factory=dict)
    """{(spelling, person key, outlet)}, as first met (stored ones in id order)"""
    new_aliases: bool = False

    def evidence(self, name: str) -> CriticEvidence:
        return CriticEvidence(name, frozenset(self.profiles), frozenset(self.profiles.values()))

    def met_on(self, key: str, outlet: str) -> bool:
        return any(k == key and o == outlet for _, k, o in self.aliases)


@dataclass(frozen=True)
class _Record:
    spelling: str
    key: str
    outlet: str
    profiles: frozenset[str]

    def evidence(self) -> CriticEvidence:
        outlets = frozenset({self.outlet}) if self.profiles and self.outlet else frozenset()
        return CriticEvidence(self.spelling, self.profiles, outlets)


def _records(items: Iterable[ReviewItem]) -> dict[tuple[str, str], _Record]:
    records: dict[tuple[str, str], _Record] = {}
    for item in items:
        profiles_of = item.critic_profiles if isinstance(item.critic_profiles, dict) else {}
        for name in item.critics:
            spelling = " ".join(name.split()) if isinstance(name, str) else ""
            key = person_key(spelling)
            if not key:
                continue
            base = item.page_url or item.url
            profiles = frozenset(
                p for url in profiles_of.get(name) or () if (p := profile_key(url, base))
            )
            records[critic_ref(item, name)] = _Record(spelling, key, item.publication or "",
                                                      profiles)
    return records


def _load_known(session: Session, records: Iterable[_Record]) -> list[_Known]:
    records = list(records)
    keys = sorted({r.key for r in records})
    profiles = sorted({p for r in records for p in r.profiles})
    ids: set[int] = set()
    for chunk in chunks(keys):
        ids.update(session.scalars(select(CriticAlias.critic_id).where(CriticAlias.person_key.in_(chunk))))
    for chunk in chunks(profiles):
        ids.update(session.scalars(select(CriticProfile.critic_id).where(CriticProfile.profile_key.in_(chunk))))
    known: dict[int, _Known] = {}
    for chunk in chunks(sorted(ids)):
        for critic_id, uid, name in session.execute(
                select(Critic.id, Critic.uid, Critic.name).where(Critic.id.in_(chunk))):
            known[critic_id] = _Known(uid, critic_id, critic_id, name)
        for critic_id, key, outlet in session.execute(
                select(CriticProfile.critic_id, CriticProfile.profile_key, CriticProfile.outlet)
                .where(CriticProfile.critic_id.in_(chunk))):
            known[critic_id].profiles[key] = outlet
        for critic_id, spelling, key, outlet in session.execute(
                select(CriticAlias.critic_id, CriticAlias.spelling, CriticAlias.person_key,
                       CriticAlias.outlet).where(CriticAlias.critic_id.in_(chunk))
                .order_by(CriticAlias.id)):
            known[critic_id].aliases[(spelling, key, outlet)] = None
    return sorted(known.values(), key=lambda k: k.order)


def _resolve(record: _Record, by_profile: dict[str, _Known], by_key: dict[str, list[_Known]],
             ) -> _Known | None:
    hits = [by_profile[p] for p in sorted(record.profiles) if p in by_profile]
    if hits:
        return min(hits, key=lambda k: k.order)
    namesakes = sorted(by_key.get(record.key, []), key=lambda k: k.order)
    evidence = record.evidence()
    answers = [(k, same_critic(evidence, k.evidence(record.spelling))) for k in namesakes]
    for candidate, answer in answers:
        if answer is True:
            return candidate
    for candidate, answer in answers:
        if answer is None and candidate.met_on(record.key, record.outlet):
            return candidate
    return None


def get_critic_ids(session: Session, items: Iterable[ReviewItem]) -> dict[tuple[str, str], int]:
    """{critic_ref(item, name): critic id} for every critic the items name, creating critics,
    aliases and profiles as the rules of the module docstring say."""
    records = _records(items)
    if not records:
        return {}
    known = _load_known(session, records.values())
    by_profile = {p: k for k in known for p in k.profiles}
    by_key: dict[str, list[_Known]] = {}
    for k in known:
        for key in {key for _, key, _ in k.aliases}:
            by_key.setdefault(key, []).append(k)
    new_profiles: list[dict[str, Any]] = []
    chosen: dict[tuple[str, str], _Known] = {}
    order = max((k.order for k in known), default=0)
    for ref, record in records.items():
        critic = _resolve(record, by_profile, by_key)
        if critic is None:
            order += 1
            uid = (f"p:{min(record.profiles)}" if record.profiles
                   else f"n:{record.key}@{record.outlet}")
            critic = _Known(uid, order, name=record.spelling)
            known.append(critic)
        chosen[ref] = critic
        alias = (record.spelling, record.key, record.outlet)
        if alias not in critic.aliases:
            critic.aliases[alias] = None
            critic.new_aliases = True
        if critic not in by_key.setdefault(record.key, []):
            by_key[record.key].append(critic)
        for profile in sorted(record.profiles - by_profile.keys()):
            by_profile[profile] = critic
            critic.profiles[profile] = record.outlet
            new_profiles.append({"profile_key": profile, "outlet": record.outlet, "critic": critic})

    pending = sorted((k for k in known if k.id is None), key=lambda k: k.uid)
    rows = [{"uid": k.uid, "name": k.name, "key": critic_key(k.name or "")} for k in pending]
    insert_ignoring_duplicates(session, Critic.__table__, rows)
    for chunk in chunks([k.uid for k in pending]):
        ids = dict(session.execute(select(Critic.uid, Critic.id).where(Critic.uid.in_(chunk))).all())
        for k in pending:
            if k.uid in ids:
                k.id = ids[k.uid]
    touched = sorted((k for k in known if k.new_aliases), key=lambda k: k.id)
    aliases = sorted(
        ({"critic_id": k.id, "spelling": s, "person_key": key, "outlet": o}
         for k in touched for s, key, o in k.aliases),
        key=lambda row: (row["critic_id"], row["spelling"], row["outlet"]),
    )
    insert_ignoring_duplicates(session, CriticAlias.__table__, aliases)
    profiles = sorted(({"profile_key": row["profile_key"], "outlet": row["outlet"],
                        "critic_id": row["critic"].id} for row in new_profiles),
                      key=lambda row: row["profile_key"])
    insert_ignoring_duplicates(session, CriticProfile.__table__, profiles)
    renamed = []
    for k in touched:
        name = preferred_spelling(spelling for spelling, _, _ in k.aliases)
        if name and name != k.name:
            renamed.append({"id": k.id, "name": name, "key": critic_key(name)})
    if renamed:
        session.execute(update(Critic), renamed)
    merged_into = _merge_on_new_evidence(session, known, set(chosen.values()))
    return {ref: merged_into.get(critic.id, critic.id) for ref, critic in chosen.items()}


def _merge_on_new_evidence(session: Session, known: list[_Known], touched: set[_Known],
                           ) -> dict[int, int]:
    """Merge the stored critics the evidence now makes one person, where a group holds a
    critic this batch touched; {merged-away id: kept id}."""
    from aggregator.db.critic_merge import StoredCritic, apply_merge, plan_merges

    stored = sorted(known, key=lambda k: k.id)
    if len(stored) < 2:
        return {}
    # Only namesakes can be merged (a profile belongs to one stored critic): most batches
    # have none to look at.
    sharing = Counter(key for k in stored for key in {key for _, key, _ in k.aliases})
    stored = [k for k in stored if any(sharing[key] > 1 for _, key, _ in k.aliases)]
    if not any(k in touched for k in stored):
        return {}
    critics = [StoredCritic(k.id, k.name or "", dict(k.profiles), list(k.aliases))
               for k in stored]
    merged_into: dict[int, int] = {}
    for merge in plan_merges(critics, focus={k.id for k in touched}):
        apply_merge(session, merge.into.id, [c.id for c in merge.merged])
        merged_into.update({c.id: merge.into.id for c in merge.merged})
    return merged_into


def ordered_critic_ids(item: ReviewItem, critic_ids: dict[tuple[str, str], int]) -> list[int]:
    """The item's critic ids in byline order, each once (as link_critics links them)."""
    ordered: list[int] = []
    for name in item.critics:
        critic_id = critic_ids.get(critic_ref(item, name))
        if critic_id is not None and critic_id not in ordered:
            ordered.append(critic_id)
    return ordered
