from __future__ import annotations

from aggregator.normalise import rate_review

from .base import CountingPipeline, crawl_publications


class DecideVerdictPipeline(CountingPipeline):
    """The rating read on the outlet's scale, and the verdict with its source and confidence."""

    component = "verdict"

    def open_spider(self):
        self.publications = crawl_publications(self.crawler)

    def process_item(self, item):
        publication = self.publications.lookup(item.publication) if item.publication else None
        reason = rate_review(item, publication)
        if reason not in ("ok", "absent"):
            self.count(f"rating_rejected/{reason}")
        self.count(f"source/{item.verdict_source or 'none'}")
        return item
