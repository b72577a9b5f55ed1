"""Running a crawl from Python (the CLI, the demo, the tests) with the project's settings,
wherever the current directory is."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from scrapy.spiderloader import SpiderLoader

from aggregator.crawl.signals import outlet_progress
from aggregator.settings import loopback_overrides


@dataclass
class CrawlResult:
    spider: str
    status: str | None
    """The stored run's status: "ok", "empty" (stored no review) or "failed"."""
    run_id: int | None
    stats: dict[str, Any]

    @property
    def no_review_reasons(self) -> dict[str, int]:
        prefix = "aggregator/no_review/"
        return {k.removeprefix(prefix): v for k, v in self.stats.items() if k.startswith(prefix)}

    @property
    def dropped(self) -> dict[str, int]:
        prefix = "aggregator/dropped/"
        return {k.removeprefix(prefix): v for k, v in self.stats.items() if k.startswith(prefix)}

    def count(self, name: str) -> int:
        return int(self.stats.get(f"aggregator/reviews/{name}", 0))

    def outlets(self) -> dict[str, dict[str, int]]:
        """{publication key: {event: count}} of a platform crawl (asked, listed, fetch, review,
        kept, other_film)."""
        found: dict[str, dict[str, int]] = {}
        for key, value in self.stats.items():
            if key.startswith("aggregator/outlet/"):
                outlet, _, event = key.removeprefix("aggregator/outlet/").rpartition("/")
                found.setdefault(outlet, {})[event] = int(value)
        return found


def project_settings(overrides: dict[str, Any] | None = None) -> Settings:
    settings = Settings()
    settings.setmodule("aggregator.settings", priority="project")
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    return settings


def spider_class(name: str, settings: Settings | None = None):
    return SpiderLoader.from_settings(settings or project_settings()).load(name)


def run_crawl(
    spider: str,
    *,
    database_url: str,
    spider_args: dict[str, Any] | None = None,
    start_urls: list[str] | None = None,
    settings: dict[str, Any] | None = None,
    on_progress: Callable[..., Any] | None = None,
) -> CrawlResult:
    """Run one spider to the end in this process and return what its run recorded.

    `start_urls` only decides whether the loopback relaxations apply (the spider gets its
    URLs through `spider_args`). `on_progress(publication=, event=, count=)` is called as a
    platform spider works through each outlet. Twisted's reactor runs once per process: one
    call per process.
    """
    overrides = {"AGGREGATOR_DB": database_url, **loopback_overrides(start_urls or []), **(settings or {})}
    process = CrawlerProcess(project_settings(overrides))
    crawler = process.create_crawler(spider_class(spider, process.settings))
    if on_progress is not None:
        def relay(publication, event, count, **_signal):
            on_progress(publication=publication, event=event, count=count)

        crawler.signals.connect(relay, signal=outlet_progress, weak=False)
    failures: list[BaseException] = []

    def keep_failure(failure):
        failures.append(failure.value)  # handled here: Twisted need not log it as unhandled

    process.crawl(crawler, **(spider_args or {})).addErrback(keep_failure)
    process.start()
    if failures and getattr(crawler, "spider", None) is None:
        # The spider refused its arguments (e.g. no outlet in the registry for it): say why,
        # as the caller's error, rather than a Twisted traceback and no run.
        raise failures[0]
    for failure in failures:  # the crawl ran but its deferred failed: never silently
        logging.getLogger(__name__).error("crawl of %s failed", spider,
                                          exc_info=(type(failure), failure, failure.__traceback__))
    try:
        stats = dict(crawler.stats.get_stats()) if crawler.stats else {}
    except RuntimeError:  # the crawl never started
        stats = {}
    return CrawlResult(
        spider=spider,
        status=stats.get("aggregator/run_status"),
        run_id=stats.get("aggregator/run_id"),
        stats=stats,
    )
