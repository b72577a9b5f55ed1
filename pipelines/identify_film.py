from __future__ import annotations

from aggregator.normalise import identify_film

from .base import CountingPipeline

_FALLBACK_SOURCES = frozenset({"headline", "title_tag", "keywords", "standfirst"})


class IdentifyFilmPipeline(CountingPipeline):
    """Which film: title, year and external ids as the page states them, and the key that
    matches them. Counted: `no_title`, `no_year`, `year_conflict` (the page's sources disagree,
    so no year is kept), `title_from/<source>` when the title came from a fallback (not the
    reviewed work), and `external_ids` when the page gave any."""

    component = "film"

    def process_item(self, item):
        identity = identify_film(item)
        if identity.title is None:
            self.count("no_title")
        elif identity.reason == "year_conflict":
            self.count("year_conflict")
        elif identity.year is None:
            self.count("no_year")
        if identity.title_source in _FALLBACK_SOURCES:
            self.count(f"title_from/{identity.title_source}")
        if identity.ids:
            self.count("external_ids")
        return item
