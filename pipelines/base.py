"""What every pipeline shares: the crawler (kept from `from_crawler`, as Scrapy 2.14 wants),
counting under `aggregator/<component>/<event>`, dropping with a counted reason, and the
crawl's publication directory."""

from __future__ import annotations

import logging
import weakref

from scrapy.exceptions import DropItem

from aggregator.identity.publications import Publication, Registry, load_registry

logger = logging.getLogger(__name__)


class CountingPipeline:
    component = "pipeline"

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def count(self, event: str, by: int = 1) -> None:
        self.crawler.stats.inc_value(f"aggregator/{self.component}/{event}", by)

    def drop(self, item, reason: str, detail: str = "") -> DropItem:
        """The exception to raise for an unfit item; counted under aggregator/dropped/<reason>."""
        self.crawler.stats.inc_value(f"aggregator/dropped/{reason}")
        logger.info("dropped %s: %s %s", getattr(item, "url", None), reason, detail)
        return DropItem(f"{reason}: {detail}" if detail else reason)


class CrawlPublications:
    """The registry for one crawl, plus the provisional entries it made for unknown outlets."""

    def __init__(self, registry: Registry):
        self.registry = registry
        self.provisional: dict[str, Publication] = {}

    def lookup(self, key: str) -> Publication | None:
        return self.provisional.get(key) or self.registry.get(key)


_directories: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def crawl_publications(crawler) -> CrawlPublications:
    """One directory per crawler, shared by the pipelines that need publications."""
    if crawler not in _directories:
        extra = crawler.settings.getlist("AGGREGATOR_PUBLICATION_FILES")
        _directories[crawler] = CrawlPublications(load_registry(extra_paths=extra))
    return _directories[crawler]
