from __future__ import annotations

from aggregator.normalise import date_review

from .base import CountingPipeline


class ParseDatesPipeline(CountingPipeline):
    """The publication date, from whatever form the page wrote it in."""

    component = "date"

    def process_item(self, item):
        if date_review(item) is None:
            self.count("unparsed" if item.published_raw else "absent")
        return item
