"""One stored row per provisional outlet, whatever spelling the crawl met it under.

An outlet the registry does not know gets a provisional entry keyed by its registered domain
or, without one, by its name (aggregator.identity.publications.Registry.provisional). Two spellings of
one such outlet, "Film Blog X" from og:site_name and "filmblogx.com" from a page without one
(or a listing naming the outlet without linking it), would make two rows. `provisional_rows`
stores a new provisional key under the stored provisional row (or the batch's other new row)
it shares a group key with (aggregator.identity.publications.provisional_group_keys: the rule of
`Registry.group_key`, where a country qualifier keeps foreign namesakes apart). Registry
outlets are never touched.

The stored provisional rows are read once per store run, not once per batch: a
`ProvisionalIndex` kept in the session's `info[RUN_CACHE]` (shared by every session of one
aggregator.db.session.session_factory, so by every batch of a crawl) reads only the rows
stored since its last read. A cheap count tells it when rows below what it has read changed (a
rolled-back batch, another process's late commit, a row that left the provisional set), and it
then reads them all again.
"""

from __future__ import annotations

from collections import ChainMap
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aggregator.db.batching import chunks
from aggregator.db.models import Publication
from aggregator.db.session import RUN_CACHE
from aggregator.identity.publications import provisional_group_keys


class ProvisionalIndex:
    """The stored provisional outlets by group key, as read so far in one store run. Used by
    one writer at a time, as a store run writes its batches in order."""

    def __init__(self) -> None:
        self._forget()

    def _forget(self) -> None:
        self.owner: dict[str, str] = {}
        """{group key: key of the stored row that holds it (the oldest row of the group)}"""
        self.ids: dict[str, int] = {}
        """{publication key: id} of every provisional row read"""
        self.read_up_to = 0
        """The highest id read: every row read has an id at or below it."""

    def refresh(self, session: Session) -> None:
        """Bring the index up to what `session` sees: the rows stored since the last read, or
        all of them again when the rows at or below `read_up_to` are no longer the ones read."""
        provisional = Publication.provisional.is_(True)
        if self.read_up_to:
            below = session.scalar(select(func.count()).select_from(Publication)
                                   .where(provisional, Publication.id <= self.read_up_to))
            if below != len(self.ids):
                self._forget()
        stored = session.execute(select(Publication.id, Publication.key, Publication.name,
                                        Publication.domain)
                                 .where(provisional, Publication.id > self.read_up_to)
                                 .order_by(Publication.id))
        for row_id, key, name, domain in stored:
            self.ids[key] = row_id
            self.read_up_to = row_id
            for group in provisional_group_keys(name, domain):
                self.owner.setdefault(group, key)


def provisional_index(session: Session) -> ProvisionalIndex:
    """The store run's index: shared by the sessions of one session_factory; a session made
    otherwise keeps its own for as long as it lives."""
    run_cache = session.info.setdefault(RUN_CACHE, {})
    index = run_cache.get(ProvisionalIndex)
    if index is None:
        index = run_cache[ProvisionalIndex] = ProvisionalIndex()
    return index


def provisional_rows(session: Session, rows: dict[str, dict[str, Any]],
                     ) -> tuple[dict[str, dict[str, Any]], dict[str, tuple[str, int | None]]]:
    """(the rows to get-or-create, {batch key: (key of the row it is stored under, that row's
    id when it is stored already)}) for the publication rows of a batch ({key: column values},
    as aggregator.db.publication_store makes them). A stored row is never rewritten here."""
    new = sorted(key for key, row in rows.items() if row.get("provisional"))
    stored_keys: set[str] = set()
    for chunk in chunks(new):
        stored_keys.update(session.scalars(select(Publication.key).where(Publication.key.in_(chunk))))
    new = [key for key in new if key not in stored_keys]
    if not new:
        return rows, {}
    index = provisional_index(session)
    index.refresh(session)
    # The batch's new rows are not stored yet: they own groups for this batch only.
    owner: ChainMap[str, str] = ChainMap({}, index.owner)
    kept = dict(rows)
    stored_as: dict[str, tuple[str, int | None]] = {}
    # A row with a domain first: it is the better one to keep for a new outlet.
    for key in sorted(new, key=lambda k: (not rows[k].get("domain"), k)):
        groups = sorted(provisional_group_keys(rows[key].get("name"), rows[key].get("domain")))
        holder = next((owner[g] for g in groups if g in owner), None)
        if holder is None or holder == key:
            for group in groups:
                owner.setdefault(group, key)
            continue
        stored_as[key] = (holder, index.ids.get(holder))
        for group in groups:
            owner.setdefault(group, holder)
        del kept[key]
    return kept, stored_as
