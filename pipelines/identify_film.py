from __future__ import annotations

from aggregator.normalise import identify_film

from .base import CountingPipeline


class IdentifyFilmPipeline(CountingPipeline):
    """Which film: title and year as the page states them, and the key that matches them."""

    component = "film"

    def process_item(self, item):
        identity = identify_film(item)
        if identity.title is None:
            self.count("no_title")
        elif identity.year is None:
            self.count("no_year")
        return item
