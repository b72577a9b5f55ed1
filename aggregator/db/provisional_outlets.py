"""One stored row per provisional outlet, whatever spelling the crawl met it under.

An outlet the registry does not know gets a provisional entry keyed by its registered domain
or, without one, by its name (aggregator.publications.Registry.provisional). Two spellings of
one such outlet, "Film Blog X" from og:site_name and "filmblogx.com" from a page without one
(or a listing naming the outlet without linking it), would make two rows. `provisional_rows`
stores a new provisional key under the stored provisional row (or the batch's other new row)
it shares a group key with (aggregator.publications.provisional_group_keys: the rule of
`Registry.group_key`, where a country qualifier keeps foreign namesakes apart). Registry
outlets are never touched.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.db.critic_store import chunks
from aggregator.db.models import Publication
from aggregator.publications import provisional_group_keys


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
    owner: dict[str, str] = {}  # group key -> the publication key that holds it
    stored_ids: dict[str, int] = {}
    stored = session.execute(select(Publication.id, Publication.key, Publication.name,
                                    Publication.domain)
                             .where(Publication.provisional.is_(True)).order_by(Publication.id))
    for row_id, key, name, domain in stored:
        stored_ids[key] = row_id
        for group in provisional_group_keys(name, domain):
            owner.setdefault(group, key)
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
        stored_as[key] = (holder, stored_ids.get(holder))
        for group in groups:
            owner.setdefault(group, holder)
        del kept[key]
    return kept, stored_as
