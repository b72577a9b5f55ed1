"""Get-or-create of a batch's publications (moved out of aggregator.db.upsert), and the
batching helpers of aggregator.db.batching under the names the store imports."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from aggregator.db.batching import CHUNK  # noqa: F401  (importable from here too)
from aggregator.db.batching import chunks as _chunks
from aggregator.db.batching import dialect_insert as _insert
from aggregator.db.film_aggregates import films_changed
from aggregator.db.models import Publication, Review
from aggregator.db.provisional_outlets import provisional_rows
from aggregator.items import ReviewItem


def _get_or_create(
    session: Session, model: type, key_column: str, rows: dict[str, dict[str, Any]]
) -> dict[str, int]:
    """{key: id} for `rows` ({key: column values}), inserting the missing ones."""
    if not rows:
        return {}
    table = model.__table__
    ordered = [rows[key] for key in sorted(rows)]  # one lock order for every process
    for chunk in _chunks(ordered):
        session.execute(_insert(session, table).on_conflict_do_nothing(), list(chunk))
    column = table.c[key_column]
    ids: dict[str, int] = {}
    for chunk in _chunks(sorted(rows)):
        for key, row_id in session.execute(select(column, table.c.id).where(column.in_(chunk))):
            ids[key] = row_id
    return ids


def _publication_row(key: str, entry: Any, item: ReviewItem) -> dict[str, Any]:
    if entry is None:
        # An outlet the registry does not know: kept, but flagged for a person to describe.
        return {
            "key": key,
            "name": item.publication_raw or key,
            "domain": urlsplit(item.outlet_url or "").hostname,  # not a listing page's host
            "country": None,
            "language": item.language,
            "scale": None,
            "weight": 1.0,
            "provisional": True,
        }
    domains = tuple(getattr(entry, "domains", ()) or ())
    weight = getattr(entry, "weight", None)
    return {
        "key": key,
        "name": getattr(entry, "name", None) or key,
        "domain": domains[0] if domains else None,
        "country": getattr(entry, "country", None),
        "language": getattr(entry, "language", None),
        "scale": getattr(entry, "scale", None),
        "weight": 1.0 if weight is None else float(weight),
        "provisional": bool(getattr(entry, "provisional", False)),
    }


def _publication_ids(
    session: Session, items: Iterable[ReviewItem], publications: Mapping[str, Any]
) -> dict[str, int]:
    rows: dict[str, dict[str, Any]] = {}
    for item in items:
        if item.publication not in rows:
            entry = publications.get(item.publication)
            rows[item.publication] = _publication_row(item.publication, entry, item)
    # Spellings of one unknown outlet share its provisional row (aggregator.db.provisional_outlets).
    rows, stored_as = provisional_rows(session, rows)
    ids = _get_or_create(session, Publication, "key", rows)
    ids.update({key: ids[other] if stored is None else stored
                for key, (other, stored) in stored_as.items()})
    refresh_registry_rows(session, rows, publications)
    return ids


def refresh_registry_rows(session: Session, rows: Mapping[str, dict[str, Any]],
                          publications: Mapping[str, Any]) -> None:
    """The registry is the source of truth: rewrite the stored rows of `rows` ({key: row as
    `_publication_row` makes it}) that it describes differently now (rare, so compared first
    rather than rewritten on every batch)."""
    registry_keys = sorted(key for key in rows if publications.get(key) is not None)
    columns = [c for c in Publication.__table__.c if c.name not in ("id", "key")]
    stale, reweighted = [], []
    for chunk in _chunks(registry_keys):
        stmt = select(Publication.__table__).where(Publication.key.in_(chunk))
        for stored in session.execute(stmt).mappings():
            wanted = rows[stored["key"]]
            if any(stored[c.name] != wanted[c.name] for c in columns):
                stale.append({"id": stored["id"], **{c.name: wanted[c.name] for c in columns}})
                if stored["weight"] != wanted["weight"]:
                    reweighted.append(stored["id"])
    if stale:
        session.execute(update(Publication), stale)
    if reweighted:  # their films' weighted sums
        films_changed(session, session.scalars(
            select(Review.film_id).where(Review.publication_id.in_(reweighted), Review.film_id.is_not(None)).distinct()))
