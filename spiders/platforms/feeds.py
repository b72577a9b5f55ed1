"""RSS and Atom feeds: the entries are review pages, read like any page by the generic reader.

A publication is served when its registry entry lists `feeds`. RSS 2.0 (`item`: link,
pubDate, title) and Atom (`entry`: the alternate link, updated else published, title) are read
with Scrapy's XML selector, namespaces removed, so one reader serves both (Scrapy's
XMLFeedSpider iterates one tag of one format per spider). A feed that cannot be parsed is
counted (`aggregator/feeds/unreadable`) and the crawl goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import scrapy
from parsel import Selector
from scrapy.http import Response

from aggregator.crawl.fetch_state import parse_entry_date
from aggregator.identity.publications import Publication

from .base import PlatformSpider

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FeedEntry:
    url: str
    title: str | None
    updated: datetime | None
    """The entry's last change: Atom `updated` (RSS states none)."""
    published: datetime | None = None
    """Atom `published`, RSS `pubDate`."""


def feed_entries(body: str) -> list[FeedEntry]:
    """The entries of an RSS or Atom document, in document order. Raises ValueError for a
    document that is neither."""
    selector = Selector(text=body, type="xml")
    selector.remove_namespaces()
    root = selector.xpath("/*[1]")
    tag = root.xpath("name()").get()
    entries: list[FeedEntry] = []
    if tag == "rss" or tag == "RDF":
        for node in selector.xpath("//item"):
            link = (node.xpath("link/text()").get() or "").strip()
            if not link and node.xpath("guid[not(@isPermaLink='false')]"):
                link = (node.xpath("guid/text()").get() or "").strip()
            when = node.xpath("pubDate/text()").get() or node.xpath("date/text()").get()
            entries.append(FeedEntry(link, _text(node.xpath("title/text()").get()), None,
                                     parse_entry_date(when)))
    elif tag == "feed":
        for node in selector.xpath("//entry"):
            link = (node.xpath("link[@rel='alternate' or not(@rel)]/@href").get() or "").strip()
            entries.append(FeedEntry(link, _text(node.xpath("title/text()").get()),
                                     parse_entry_date(node.xpath("updated/text()").get()),
                                     parse_entry_date(node.xpath("published/text()").get())))
    else:
        raise ValueError(f"not an RSS or Atom feed (root element {tag!r})")
    return [e for e in entries if e.url.startswith(("http://", "https://"))]


def _text(value: str | None) -> str | None:
    return " ".join(value.split()) if value and value.strip() else None


class FeedReader:
    """Reading a feed response into entry requests (shared by the feeds and WordPress spiders)."""

    def feed_request(self, url: str, publication: str | None) -> scrapy.Request:
        return scrapy.Request(url, callback=self.parse_feed, meta={"outlet": publication},
                              dont_filter=True)

    def parse_feed(self, response: Response, **kwargs: Any) -> Iterable[scrapy.Request]:
        publication = response.meta.get("outlet")
        try:
            entries = feed_entries(response.text)
        except (ValueError, AttributeError) as error:
            self.crawler.stats.inc_value("aggregator/feeds/unreadable")
            logger.warning("unreadable feed %s: %s", response.url, error)
            return
        self.crawler.stats.inc_value("aggregator/feeds/read")
        self.progress(publication, "listed", len(entries))
        self.read_states(e.url for e in entries if self.in_window(e.updated or e.published))
        for entry in entries:
            owner = publication or getattr(self.outlet_of(entry.url), "key", None)
            request = self.entry_request(entry.url, lastmod=entry.updated, published=entry.published,
                                         publication=owner, title=entry.title)
            if request is not None:
                yield request


class FeedsSpider(FeedReader, PlatformSpider):
    """Review pages listed by the publications' RSS / Atom feeds."""

    name = "feeds"
    source_name = "feeds"

    def serves(self, publication: Publication) -> bool:
        return bool(publication.discovery.feeds)

    def entry_points(self, publication: Publication) -> list[str]:
        return list(publication.discovery.feeds)

    async def start(self):
        for url in self.start_urls:
            outlet = self.outlet_of(url)
            yield self.feed_request(url, outlet.key if outlet else None)
