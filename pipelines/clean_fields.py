from __future__ import annotations

from aggregator.normalise import clean_item_fields

from .base import CountingPipeline


class CleanFieldsPipeline(CountingPipeline):
    """Entities, invisible and unstorable characters, Unicode form, white space and length of
    every raw field, before anything reads them (aggregator.normalise.clean_item_fields)."""

    component = "clean"

    def process_item(self, item):
        cleaned = clean_item_fields(item)
        for field in cleaned.changed:
            self.count(f"changed/{field}")
        for field in cleaned.capped:  # a field over its cap: cut (prose) or dropped
            self.count(f"capped/{field}")
        return item
