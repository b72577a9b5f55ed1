"""What `aggregator renormalise` reads about the outlets from the database itself: the outlets
as stored (for those the registry does not describe) and the scales their raw ratings state
(the evidence a scale is learnt from, independent of what earlier rules stored)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from aggregator.db.models import Publication, Review
from aggregator.ratings import explain_rating, rating_from_parts
from aggregator.strings import clean_string

PublicationLookup = Callable[[str], Any]
"""Registry key -> entry (anything with name, aliases, domains, scale), or None."""


@dataclass(frozen=True)
class StoredOutlet:
    """A publication as the database stored it, for an outlet the registry does not know
    (a provisional one, or a registry file not given to this run)."""

    key: str
    name: str
    domains: tuple[str, ...]
    scale: str | None
    aliases: tuple[str, ...] = ()


def stated_scale_counts(
    session: Session, publication: str | None = None
) -> dict[str, dict[str, int]]:
    """{publication key: {scale: ratings}} of the ratings that state their own scale ("3/4",
    "★★★☆", structured data with a best), read from the raw values: the evidence a scale is
    learnt from, independent of what earlier rules stored."""
    stmt = (
        select(Publication.key, Review.rating_raw, Review.rating_parts)
        .join(Review, Review.publication_id == Publication.id)
        .where(or_(Review.rating_raw.is_not(None), Review.rating_parts.is_not(None)))
    )  # an absent rating_parts may be JSON null rather than SQL NULL: checked below
    if publication is not None:
        stmt = stmt.where(Publication.key == publication)
    counts: dict[str, dict[str, int]] = {}
    read_strings: dict[str, str | None] = {}  # outlets repeat the same few strings
    for key, raw, parts in session.execute(stmt.execution_options(yield_per=5000)):
        if isinstance(parts, Mapping) and parts:
            rating = rating_from_parts(
                parts.get("value"), parts.get("best"), parts.get("worst"), raw=raw
            )
            scale = rating.scale if rating is not None else None
        elif raw not in read_strings:
            rating = explain_rating(clean_string(raw))[0]
            scale = read_strings[raw] = rating.scale if rating is not None else None
        else:
            scale = read_strings[raw]
        if scale is not None:
            scales = counts.setdefault(key, {})
            scales[scale] = scales.get(scale, 0) + 1
    return counts


def stored_outlets(session: Session) -> dict[str, StoredOutlet]:
    stmt = select(
        Publication.key, Publication.name, Publication.domain, Publication.scale
    )
    return {
        key: StoredOutlet(
            key=key, name=name, domains=(domain,) if domain else (), scale=scale
        )
        for key, name, domain, scale in session.execute(stmt)
    }


def outlet_entry(key: str, stored: StoredOutlet, lookup: PublicationLookup | None) -> Any:
    """The registry's entry (the source of truth), else the outlet as stored."""
    entry = lookup(key) if lookup is not None else None
    return entry if entry is not None else stored
