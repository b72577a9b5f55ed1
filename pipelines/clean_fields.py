from __future__ import annotations

from aggregator.normalise import clean_fields

from .base import CountingPipeline


class CleanFieldsPipeline(CountingPipeline):
    """Entities, Unicode form and white space of every raw field, before anything reads them."""

    component = "clean"

    def process_item(self, item):
        for field in clean_fields(item):
            self.count(f"changed/{field}")
        return item
