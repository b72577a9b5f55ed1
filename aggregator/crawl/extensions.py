"""Scrapy extensions of the project."""

from __future__ import annotations

import gc

from scrapy import signals


class FreezeStartupObjects:
    """Moves what start-up created (modules, SQLAlchemy metadata, the registry, compiled
    patterns) out of the garbage collector's way once the spider opens, so the collections a
    long crawl triggers walk only what the crawl itself creates.

    Measured with `python -m benchmarks.crawl`: see benchmarks/README.md.
    """

    @classmethod
    def from_crawler(cls, crawler):
        extension = cls()
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        return extension

    def spider_opened(self, spider):
        gc.collect()
        gc.freeze()
