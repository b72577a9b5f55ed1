"""XML sitemaps: sitemap indexes, URL sets with `lastmod`, and news sitemaps.

A publication is served when its registry entry lists `sitemaps` (a sitemap or a sitemap
index). Documents are read with Scrapy's own `Sitemap` parser (safe XML settings, gzip
handled through `gunzip`); an outlet whose registry entry names no way in is read through the
`Sitemap:` lines of its robots.txt. A news sitemap's `news:publication_date` and `news:title`, which
that parser drops, are read from the same document. An index's child sitemap whose `lastmod`
(else the day or month its URL names, `period_in_url`) is older than the crawl window is not
fetched at all, and a full crawl takes at most AGGREGATOR_DISCOVERY_MAX_ENTRIES entries per
outlet, newest first. An entry's `lastmod` says when the page
last changed; a news entry's publication date only places it in the window.

A gzipped sitemap is expanded up to AGGREGATOR_SITEMAP_MAX_SIZE bytes (50 MB, the protocol's
own limit): a larger one (a decompression bomb) is counted (`aggregator/sitemaps/over_size`)
and skipped, as is a document that is not a readable sitemap (empty, broken gzip, not XML:
`aggregator/sitemaps/unreadable`); the outlet's other sitemaps are read all the same.
"""

from __future__ import annotations

import logging
import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from gzip import GzipFile
from io import BytesIO
from typing import Any
from urllib.parse import urlsplit

import lxml.etree
import scrapy
from parsel import Selector
from scrapy.http import Response
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

from aggregator.crawl.fetch_state import parse_entry_date
from aggregator.db.batching import CHUNK
from aggregator.identity.publication_discovery import period_in_url
from aggregator.identity.publications import Publication

from .base import PlatformSpider

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SitemapEntry:
    url: str
    date: datetime | None
    """`lastmod`: the page's last change."""
    title: str | None = None
    published: datetime | None = None
    """A news sitemap's publication date: places the entry in the window, says nothing of changes."""


MAX_SIZE = 50 * 1024 * 1024
"""The default of AGGREGATOR_SITEMAP_MAX_SIZE: bytes a sitemap may hold, expanded."""


class SitemapTooLarge(ValueError):
    """A sitemap larger than the cap, once expanded."""


def read_sitemap(body: bytes, max_size: int = MAX_SIZE) -> tuple[str, list[SitemapEntry]]:
    """("sitemapindex" | "urlset", entries) of a sitemap document, gzipped or not. Raises
    SitemapTooLarge when the document holds more than `max_size` bytes expanded (0: no cap),
    ValueError when it is not a readable sitemap."""
    if body[:3] == b"\x1f\x8b\x08":  # a .xml.gz sitemap
        if max_size and not _expands_within(body, max_size):
            raise SitemapTooLarge(f"expands to more than {max_size} bytes (AGGREGATOR_SITEMAP_MAX_SIZE)")
        try:
            body = gunzip(body, max_size=max_size)
        except (OSError, EOFError, zlib.error, struct.error) as error:
            raise ValueError(f"broken gzip data ({error})") from error
    if max_size and len(body) > max_size:
        raise SitemapTooLarge(f"holds {len(body)} bytes, more than {max_size} (AGGREGATOR_SITEMAP_MAX_SIZE)")
    try:
        return _read_document(body)
    except (lxml.etree.Error, StopIteration) as error:  # StopIteration: no element at all
        raise ValueError(f"not an XML document ({str(error) or 'no element'})") from None


def _expands_within(data: bytes, max_size: int) -> bool:
    """Whether gzip `data` expands to at most `max_size` bytes, measured without keeping what it
    expands to: a bomb costs one chunk of memory, not the cap's worth (gunzip then expands the rest)."""
    stream = GzipFile(fileobj=BytesIO(data))
    size = 0
    try:
        while chunk := stream.read1(64 * 1024):
            size += len(chunk)
            if size > max_size:
                return False
    except (OSError, EOFError, zlib.error, struct.error):
        pass  # a broken or truncated stream: gunzip reads what it can, or says why not
    return True


def _read_document(body: bytes) -> tuple[str, list[SitemapEntry]]:
    sitemap = Sitemap(body)
    if sitemap.type not in ("sitemapindex", "urlset"):
        raise ValueError(f"not a sitemap (root element {sitemap.type!r})")
    news: dict[str, tuple[str | None, str | None]] = {}
    if b"sitemap-news" in body:
        selector = Selector(text=body.decode("utf-8", "replace"), type="xml")
        selector.remove_namespaces()
        for node in selector.xpath("//url[news]"):
            news[(node.xpath("loc/text()").get() or "").strip()] = (
                node.xpath("news/publication_date/text()").get(), node.xpath("news/title/text()").get())
    entries = []
    for entry in sitemap:
        loc = (entry.get("loc") or "").strip()
        if not loc.startswith(("http://", "https://")):
            continue
        published, title = news.get(loc, (None, None))
        entries.append(SitemapEntry(loc, parse_entry_date(entry.get("lastmod")),
                                    " ".join(title.split()) if title else None, parse_entry_date(published)))
    return sitemap.type, entries


class SitemapReader:
    """Reading sitemaps into entry requests (shared by the sitemaps and discover spiders).

    An outlet's sitemaps are read one at a time, newest first: its configured sitemaps, or the
    ones its robots.txt names, and the children of each index (older than the window: never
    fetched). What one crawl takes from an outlet's sitemaps is capped by the setting
    AGGREGATOR_DISCOVERY_MAX_ENTRIES (review-page entries per outlet, newest first; the rest
    counted under aggregator/discovery/skipped/over_cap and the sitemaps left unread under
    aggregator/sitemaps/not_followed_over_cap), and so is the number of sitemap documents read
    per outlet (AGGREGATOR_DISCOVERY_MAX_SITEMAPS, for indexes whose children state no date):
    a news site's sitemaps list millions of pages."""

    def sitemap_request(self, url: str, publication: str | None) -> scrapy.Request:
        # Each sitemap starts the discovery afresh (`depth_reset`): the outlet's sitemaps are
        # read one after the other, and DEPTH_LIMIT must not cut that chain.
        return scrapy.Request(url, callback=self.parse_sitemap, errback=self.sitemap_failed,
                              meta={"outlet": publication, "depth_reset": True})

    # --- the per-outlet queue of sitemaps and the cap -----------------------------------------

    def _sitemap_book(self) -> dict:
        book = getattr(self, "_sitemap_state", None)
        if book is None:
            book = self._sitemap_state = {"queue": {}, "busy": set(), "taken": {}, "read": {}, "warned": set()}
        return book

    def max_entries(self) -> int:
        return self.crawler.settings.getint("AGGREGATOR_DISCOVERY_MAX_ENTRIES", 500)

    def max_sitemaps(self) -> int:
        return self.crawler.settings.getint("AGGREGATOR_DISCOVERY_MAX_SITEMAPS", 50)

    def queue_sitemaps(self, publication: str | None, sitemaps: list[tuple[str, datetime | None]]
                       ) -> list[scrapy.Request]:
        """Add sitemaps (URL, the date they were last changed or cover up to) to the outlet's
        queue, newest first (undated ones after, in their order); the request to send now, if
        no sitemap of the outlet is being read."""
        queue = self._sitemap_book()["queue"].setdefault(publication, [])
        queue.extend(sitemaps)
        dated = sorted((s for s in queue if s[1] is not None), key=lambda s: s[1], reverse=True)
        queue[:] = dated + [s for s in queue if s[1] is None]
        return self._next_sitemap(publication)

    def _next_sitemap(self, publication: str | None) -> list[scrapy.Request]:
        book = self._sitemap_book()
        queue = book["queue"].get(publication) or []
        if publication in book["busy"] or not queue:
            return []
        read = book["read"].get(publication, 0)
        if self._budget_spent(publication) or read >= self.max_sitemaps():
            self.crawler.stats.inc_value("aggregator/sitemaps/not_followed_over_cap", len(queue))
            logger.warning("%s: %d sitemaps left unread (AGGREGATOR_DISCOVERY_MAX_ENTRIES %d, "
                           "AGGREGATOR_DISCOVERY_MAX_SITEMAPS %d)", publication or "?", len(queue),
                           self.max_entries(), self.max_sitemaps())
            queue.clear()
            return []
        url, _ = queue.pop(0)
        book["read"][publication] = read + 1
        book["busy"].add(publication)
        return [self.sitemap_request(url, publication)]

    def _sitemap_done(self, publication: str | None) -> list[scrapy.Request]:
        self._sitemap_book()["busy"].discard(publication)
        return self._next_sitemap(publication)

    def _budget_spent(self, publication: str | None) -> bool:
        book = self._sitemap_book()
        if book["taken"].get(publication, 0) < self.max_entries():
            return False
        if publication not in book["warned"]:
            book["warned"].add(publication)
            logger.warning("%s: %d entries taken from its sitemaps, the cap "
                           "(AGGREGATOR_DISCOVERY_MAX_ENTRIES); the rest are left for another crawl",
                           publication or "?", self.max_entries())
        return True

    def sitemap_failed(self, failure) -> Iterable[scrapy.Request]:
        """A sitemap that could not be fetched (404, refused by robots.txt, network): counted,
        and the outlet's next sitemap is read."""
        request = failure.request
        self.crawler.stats.inc_value("aggregator/sitemaps/failed")
        logger.warning("sitemap %s not read: %s", request.url, failure.getErrorMessage())
        yield from self._sitemap_done(request.meta.get("outlet"))

    # --- reading ------------------------------------------------------------------------------

    def parse_sitemap(self, response: Response, **kwargs: Any) -> Iterable[scrapy.Request]:
        publication = response.meta.get("outlet")
        yield from self._read_sitemap(response, publication)
        yield from self._sitemap_done(publication)

    def _read_sitemap(self, response: Response, publication: str | None) -> Iterable[scrapy.Request]:
        stats = self.crawler.stats
        try:
            kind, entries = read_sitemap(response.body, self.crawler.settings.getint(
                "AGGREGATOR_SITEMAP_MAX_SIZE", MAX_SIZE))
        except SitemapTooLarge as error:
            stats.inc_value("aggregator/sitemaps/over_size")
            logger.warning("sitemap %s skipped: it %s", response.url, error)
            return
        except ValueError as error:
            stats.inc_value("aggregator/sitemaps/unreadable")
            logger.warning("unreadable sitemap %s: %s", response.url, error)
            return
        stats.inc_value(f"aggregator/sitemaps/{kind}")
        if kind == "sitemapindex":
            children = []
            for entry in entries:
                period = period_in_url(entry.url)
                # The child's own lastmod, else the date its URL names (".../2026-11-30.xml").
                changed = entry.date or (period[1] if period else None)
                if self.since and changed and (changed < self.since if entry.date else changed <= self.since):
                    self.skip(entry.url, "sitemap_older_than_window")
                    continue
                children.append((entry.url, changed))
            yield from self.queue_sitemaps(publication, children)
            return
        self.progress(publication, "listed", len(entries))
        # Newest first, so that the cap keeps the latest reviews.
        entries = (sorted([e for e in entries if e.date or e.published], key=lambda e: e.date or e.published,
                          reverse=True) + [e for e in entries if not (e.date or e.published)])
        taken = self._sitemap_book()["taken"]
        for number, entry in enumerate(entries):
            owner = publication or getattr(self.outlet_of(entry.url), "key", None)
            if self._budget_spent(publication):
                self.skip(entry.url, "over_cap")
                continue
            if number % CHUNK == 0:  # the stored states of the next batch of entries, at once
                self.read_states(e.url for e in entries[number:number + CHUNK] if self.in_window(e.date or e.published))
            # A sitemap gives no title (a news sitemap does): a film-targeted crawl then judges
            # the entry by its URL's words, rather than fetch the whole site.
            title = entry.title or (urlsplit(entry.url).path.replace("-", " ").replace("/", " ") if self.film else None)
            request = self.entry_request(entry.url, lastmod=entry.date, published=entry.published,
                                         publication=owner, title=title)
            if request is not None or entry.url in self._undated:
                taken[publication] = taken.get(publication, 0) + 1
            if request is not None:
                yield request

    # --- robots.txt ---------------------------------------------------------------------------

    def robots_request(self, url: str, publication: str | None) -> scrapy.Request:
        """The outlet's robots.txt, read for its `Sitemap:` lines (Scrapy's RobotsTxtMiddleware
        reads it too, for the rules; this is a second, small request per crawl)."""
        return scrapy.Request(url, callback=self.parse_robots, errback=self.robots_failed,
                              meta={"outlet": publication}, dont_filter=True)

    def parse_robots(self, response: Response, **kwargs: Any) -> Iterable[scrapy.Request]:
        publication = response.meta.get("outlet")
        sitemaps = list(dict.fromkeys(sitemap_urls_from_robots(response.body, base_url=response.url)))
        if not sitemaps:
            self.crawler.stats.inc_value("aggregator/discovery/robots_without_sitemap")
            self.progress(publication, "no_sitemap")
            logger.warning("%s: its robots.txt (%s) names no sitemap; nothing to discover",
                           publication or "?", response.url)
            return
        self.crawler.stats.inc_value("aggregator/discovery/robots_sitemaps", len(sitemaps))
        yield from self.queue_sitemaps(publication, [(url, None) for url in sitemaps])

    def robots_failed(self, failure) -> None:
        request = failure.request
        self.crawler.stats.inc_value("aggregator/discovery/robots_unreadable")
        self.progress(request.meta.get("outlet"), "no_sitemap")
        logger.warning("%s: robots.txt %s not read: %s", request.meta.get("outlet") or "?",
                       request.url, failure.getErrorMessage())


class SitemapsSpider(SitemapReader, PlatformSpider):
    """Review pages listed by the publications' sitemaps."""

    name = "sitemaps"
    source_name = "sitemaps"

    def serves(self, publication: Publication) -> bool:
        return bool(publication.discovery.sitemaps)

    def entry_points(self, publication: Publication) -> list[str]:
        return list(publication.discovery.sitemaps)

    async def start(self):
        for url in self.start_urls:
            outlet = self.outlet_of(url)
            for request in self.queue_sitemaps(outlet.key if outlet else None, [(url, None)]):
                yield request
