"""Critic profile keys in the folded form: a people folder in the plural.

aggregator.identity.critic_identity.profile_key names one site's people page under a singular or a
plural folder by the plural ("site/critic/x" and "site/critics/x" are one page: Rotten
Tomatoes moved critic pages from /critic/<slug> to /critics/<slug>). Keys stored before
that folding may still have the singular folder; this rewrites each to its folded form, so
the store compares stored keys as they are:

- the folded key is not stored: the row is renamed;
- it is stored for the same critic: the singular row is dropped (one page, one row), its
  outlet kept when the plural row has none;
- it is stored for another critic: the two critics share a profile page, so they are one
  person, the store's own rule (it kept them apart only because it read the page under two
  names). Before this revision the stored keys were folded when read, so `aggregator critic
  merge` joined such critics on that evidence; the evidence is kept by joining them here, as
  `critic merge` does: the lower id keeps its row and its display name and takes the other's
  review links, aliases and profiles; the other row is deleted. Where their profiles on some
  other site differ (two people by the store's rule 2) they are not joined: the page stays
  with the critic that held it in the plural, and a warning names both ids (`aggregator
  critic merge --force A B` joins them if a person decides so).

Nothing else is touched: critics' `uid` ("p:<key>" as first created) only serves concurrent
writers meeting on one row, and writers already create the folded form. The folding rule is
frozen here (a later change to the application's rule must not change what this did).
Idempotent: a second run finds no singular key.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("aggregator.migrations.fold_profile_keys")

BATCH = 500
"""Rows read, and keys looked up, per statement: far below SQLite's bound-parameter limit."""

# Frozen copy of aggregator.identity.critic_identity.FOLDER_PLURALS as of this revision.
FOLDER_PLURALS = {
    "critic": "critics", "author": "authors", "profile": "profiles", "contributor": "contributors",
    "writer": "writers", "reviewer": "reviewers", "columnist": "columnists",
    "journalist": "journalists", "user": "users", "person": "people",
}

profiles = sa.table("critic_profiles", sa.column("profile_key", sa.Text),
                    sa.column("critic_id", sa.Integer), sa.column("outlet", sa.String))
aliases = sa.table("critic_aliases", sa.column("id", sa.Integer), sa.column("critic_id", sa.Integer),
                   sa.column("spelling", sa.Text), sa.column("outlet", sa.String))
review_critics = sa.table("review_critics", sa.column("review_id", sa.Integer),
                          sa.column("critic_id", sa.Integer))
critics = sa.table("critics", sa.column("id", sa.Integer))


def fold_profile_key(key: str) -> str:
    """`key` with its first folder in the plural ("site/critic/x" → "site/critics/x")."""
    host, _, path = key.partition("/")
    folder, slash, rest = path.partition("/")
    if rest and folder in FOLDER_PLURALS:
        return f"{host}/{FOLDER_PLURALS[folder]}{slash}{rest}"
    return key


def _unfolded_pages(bind) -> Iterator[list[tuple[str, int, str]]]:
    """The stored (key, critic id, outlet) rows whose key folds to another, a page at a time
    in key order. The LIKE filter only narrows the scan (it also matches deeper folders);
    `fold_profile_key` decides. Paging by key, not by offset, as rows are renamed meanwhile."""
    maybe_singular = sa.or_(*(profiles.c.profile_key.like(f"%/{folder}/%")
                              for folder in sorted(FOLDER_PLURALS)))
    after = ""
    while True:
        rows = bind.execute(
            sa.select(profiles.c.profile_key, profiles.c.critic_id, profiles.c.outlet)
            .where(maybe_singular, profiles.c.profile_key > after)
            .order_by(profiles.c.profile_key).limit(BATCH)).all()
        if not rows:
            return
        after = rows[-1][0]
        page = [(key, critic_id, outlet) for key, critic_id, outlet in rows
                if fold_profile_key(key) != key]
        if page:
            yield page


def _fold_page(bind, page: list[tuple[str, int, str]]) -> tuple[int, int, int]:
    """Fold one page of singular keys; (renamed, dropped as duplicates, dropped as conflicts)."""
    folded_of = {key: fold_profile_key(key) for key, _, _ in page}
    stored = {key: (critic_id, outlet) for key, critic_id, outlet in bind.execute(
        sa.select(profiles.c.profile_key, profiles.c.critic_id, profiles.c.outlet)
        .where(profiles.c.profile_key.in_(sorted(folded_of.values()))))}
    renames, dropped, outlets = [], [], []
    shared: list[tuple[int, int, str]] = []
    for key, critic_id, outlet in page:
        folded = folded_of[key]
        if folded not in stored:  # one singular form per plural: no two renames collide
            renames.append({"old_key": key, "new_key": folded})
            continue
        dropped.append({"old_key": key})
        holder, holder_outlet = stored[folded]
        if holder == critic_id:
            if outlet and not holder_outlet:
                outlets.append({"old_key": folded, "new_outlet": outlet})
            continue
        shared.append((holder, critic_id, folded))
    by_key = profiles.c.profile_key == sa.bindparam("old_key")
    if renames:
        bind.execute(profiles.update().where(by_key)
                     .values(profile_key=sa.bindparam("new_key")), renames)
    if dropped:
        bind.execute(profiles.delete().where(by_key), dropped)
    if outlets:
        bind.execute(profiles.update().where(by_key)
                     .values(outlet=sa.bindparam("new_outlet")), outlets)
    joined = sum(_join_sharers(bind, holder, other, folded) for holder, other, folded in shared)
    return len(renames), len(dropped) - len(shared), joined


def _current_id(bind, critic_id: int) -> int | None:
    """Where `critic_id` is now: itself, or None once an earlier join of this run deleted it
    (its rows then belong to the critic that holds its old profile key)."""
    return bind.execute(sa.select(critics.c.id).where(critics.c.id == critic_id)).scalar()


def _hosts_disagree(bind, a: int, b: int) -> bool:
    """True when `a` and `b` have profiles on one host and those differ (the store's rule 2)."""
    by_critic: dict[int, dict[str, set[str]]] = {a: {}, b: {}}
    for key, critic_id in bind.execute(sa.select(profiles.c.profile_key, profiles.c.critic_id)
                                       .where(profiles.c.critic_id.in_((a, b)))):
        by_critic[critic_id].setdefault(key.partition("/")[0], set()).add(fold_profile_key(key))
    return any(pages != by_critic[b][host] for host, pages in by_critic[a].items() if host in by_critic[b])


def _join_sharers(bind, holder: int, other: int, folded: str) -> int:
    """Join `other` and `holder`, who shared the page `folded` (1 if joined, else 0)."""
    holder_now = bind.execute(sa.select(profiles.c.critic_id)
                              .where(profiles.c.profile_key == folded)).scalar()
    other_now = _current_id(bind, other)
    if holder_now is None or other_now is None or holder_now == other_now:
        return 0  # joined already, through another page of theirs
    keep, gone = min(holder_now, other_now), max(holder_now, other_now)
    if _hosts_disagree(bind, keep, gone):
        log.warning("critics %s and %s share the profile page %s but their pages on another site"
                    " differ: not joined (the page stays with critic %s); `aggregator critic merge"
                    " --force %s %s` joins them", keep, gone, folded, holder_now, keep, gone)
        return 0
    linked = sa.select(review_critics.c.review_id).where(review_critics.c.critic_id == keep)
    bind.execute(review_critics.delete().where(review_critics.c.critic_id == gone,
                                               review_critics.c.review_id.in_(linked)))
    bind.execute(review_critics.update().where(review_critics.c.critic_id == gone).values(critic_id=keep))
    kept = set(bind.execute(sa.select(aliases.c.spelling, aliases.c.outlet).where(aliases.c.critic_id == keep)))
    duplicates = [alias_id for alias_id, spelling, outlet in bind.execute(  # (critic, spelling, outlet) is unique
        sa.select(aliases.c.id, aliases.c.spelling, aliases.c.outlet).where(aliases.c.critic_id == gone))
        if (spelling, outlet) in kept]
    if duplicates:
        bind.execute(aliases.delete().where(aliases.c.id.in_(duplicates)))
    bind.execute(aliases.update().where(aliases.c.critic_id == gone).values(critic_id=keep))
    bind.execute(profiles.update().where(profiles.c.critic_id == gone).values(critic_id=keep))
    bind.execute(critics.delete().where(critics.c.id == gone))
    log.warning("critics %s and %s shared the profile page %s: one person, joined into critic %s"
                " (its display name kept; `aggregator critic show %s` lists both spellings)",
                keep, gone, folded, keep, keep)
    return 1


def upgrade() -> None:
    bind = op.get_bind()
    totals = [0, 0, 0]
    for page in _unfolded_pages(bind):
        totals = [total + n for total, n in zip(totals, _fold_page(bind, page), strict=True)]
    if any(totals):
        log.info("profile keys folded: %d renamed, %d duplicates of the same critic dropped,"
                 " %d pairs of critics sharing a page joined (see the warnings)", *totals)


def downgrade() -> None:
    """Nothing to undo: a folded key is a valid key for the code before this revision too,
    which folded stored keys when it read them (and looked keys up in both forms)."""
