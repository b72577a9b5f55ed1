"""The discover spider: every configured publication, each through the best way its registry
entry gives. What `aggregator crawl --since` and `aggregator crawl --film` run.

- Incremental or full crawl: the WordPress REST API (platform = "wordpress"), else the feeds,
  else the sitemaps, else the sitemaps its robots.txt names (every registry entry has domains,
  so every outlet can be crawled this way).
- Film-targeted crawl (`-a film=TITLE`): the WordPress search, else the `search_url`, else the
  feed entries whose titles name the film, else the sitemap entries that do. An outlet with
  none of these cannot be searched: it is skipped (progress event `no_search`, counted under
  `aggregator/discovery/not_askable`), and the crawl refuses to start only when no outlet can be
  asked. `-a rt_url=URL` adds a Rotten Tomatoes film page, read by the rottentomatoes spider's
  parser inside the same run, so its cards pass the same film filter.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response

from aggregator.crawl.film_target import ROTTEN_TOMATOES, askable, check_rt_url
from aggregator.identity.publication_discovery import robots_txt_url
from aggregator.identity.publications import Publication

from .base import PlatformSpider
from .feeds import FeedReader
from .sitemaps import SitemapReader
from .wordpress import WordPressReader

logger = logging.getLogger(__name__)




class DiscoverSpider(WordPressReader, FeedReader, SitemapReader, PlatformSpider):
    name = "discover"
    source_name = "platform, feeds, sitemaps, search_url or robots.txt"

    def __init__(self, *args, rt_url: str | None = None, **kwargs):
        self.rt_url = rt_url.strip() if rt_url and rt_url.strip() else None
        if self.rt_url and not kwargs.get("film"):
            raise ValueError("rt_url (a Rotten Tomatoes film page) goes with a film-targeted crawl (film=TITLE)")
        if self.rt_url:
            self.check_rt_url(self.rt_url)
        super().__init__(*args, **kwargs)
        if self.film and not self.rt_url and not any(self.askable(p) for p in self.outlets):
            keys = ", ".join(p.key for p in self.outlets[:8]) + (" …" if len(self.outlets) > 8 else "")
            raise ValueError(f"no configured publication can be searched for a film ({keys}): none has a "
                             f"WordPress API, a search_url, feeds or sitemaps in the registry")
        if self.rt_url:
            # the host the request goes to: Rotten Tomatoes, or the archive of a capture of it
            self.allowed_domains = sorted(set(self.allowed_domains) | {ROTTEN_TOMATOES, urlsplit(self.rt_url).hostname})

    check_rt_url = staticmethod(check_rt_url)

    def serves(self, publication: Publication) -> bool:
        return True  # every entry has domains, hence a robots.txt to read

    askable = staticmethod(askable)

    def entry_points(self, publication: Publication) -> list[str]:
        discovery = publication.discovery
        points = [u for u in (discovery.api_root, discovery.search_url, *discovery.feeds, *discovery.sitemaps) if u]
        return points or [robots_txt_url(publication.domains, publication.start_urls)]

    async def start(self):
        if self.rt_url:
            self.progress("rottentomatoes", "asked")
            self.progress("rottentomatoes", "fetch")
            yield scrapy.Request(self.rt_url, callback=self.parse_rotten_tomatoes)
        for publication in self.outlets:
            for request in self.requests_for(publication):
                yield request

    def parse_rotten_tomatoes(self, response: Response, **kwargs):
        """The film page the user named, read by the rottentomatoes spider's own parser: its
        cards are reviews of other outlets, kept or dropped by the film pipeline like any."""
        from ..rottentomatoes import RottenTomatoesSpider

        for item in RottenTomatoesSpider.parse(self, response):
            item.spider = RottenTomatoesSpider.name
            self.progress("rottentomatoes", "review")
            yield item

    def requests_for(self, publication: Publication):
        discovery, key = publication.discovery, publication.key
        if discovery.platform == "wordpress":
            if self.film:
                self.progress(key, "asked")
            return [self.listing_request(publication, page=1)]
        if self.film and discovery.search_url:
            return [self.search_request(discovery.search_url, key)]
        if discovery.feeds:
            if self.film:
                self.progress(key, "asked")
            return [self.feed_request(url, key) for url in discovery.feeds]
        if discovery.sitemaps:
            if self.film:
                self.progress(key, "asked")
            return self.queue_sitemaps(key, [(url, None) for url in discovery.sitemaps])
        if self.film:
            self.crawler.stats.inc_value("aggregator/discovery/not_askable")
            self.progress(key, "no_search")
            logger.info("%s: no search (no WordPress API, search_url, feeds or sitemaps): skipped", key)
            return []
        return [self.robots_request(robots_txt_url(publication.domains, publication.start_urls), key)]
