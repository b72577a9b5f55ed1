"""Per-outlet reading for the named outlets, applied by the generic spider to their pages.

`reading_for(key, *urls)` picks an outlet's `OutletReading` (spiders/outlets/catalogue.py) by
the spider's publication key, else by the registry entry (aggregator/identity/publications.toml) whose
domain serves one of the URLs: the page's own URL first, then its canonical, so a Wayback
capture or a local copy of an outlet's page is read as that outlet's. A user's
`aggregator crawl --url <review URL>` with the default `structured_data` spider therefore gets
the outlet's reading without naming it.
"""

from __future__ import annotations

from aggregator.identity.publications import default_registry

from .catalogue import READINGS
from .reading import OutletReading, StarRow, read_outlet, read_star_row, script_value

BY_KEY: dict[str, OutletReading] = {reading.key: reading for reading in READINGS}

__all__ = [
    "BY_KEY", "OutletReading", "READINGS", "StarRow", "read_outlet", "read_star_row",
    "reading_for", "script_value",
]


def reading_for(key: str | None, *urls: str | None) -> OutletReading | None:
    if key:
        return BY_KEY.get(key)
    registry = default_registry()
    for url in urls:
        publication = registry.by_domain(url) if url else None
        if publication is not None:
            return BY_KEY.get(publication.key)
    return None
