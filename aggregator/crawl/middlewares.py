"""Downloader middleware of incremental crawls: the conditional GET (aggregator/crawl/fetch_state.py).

A request a platform spider made for a discovered entry carries `meta["discovery"]`. In an
incremental crawl (`conditional` true) it is sent with the ETag / Last-Modified the server
gave the last time (If-None-Match / If-Modified-Since); a 304 is counted as unchanged
(`aggregator/discovery/unchanged/not_modified` when the page held a review) and goes no further. Every 200 and 304 of such
a request is remembered (validators, the entry's date), to be stored at the end of the crawl
once the page's outcome is settled: a 304 at once, a 200 when its reviews were stored or it
held none. The stored state is read for the request's URL only (its listing read it already).
Requests of other spiders pass untouched. Scrapy's HTTP cache (AGGREGATOR_HTTP_CACHE) is a
separate, local mechanism.
"""

from __future__ import annotations

from scrapy.exceptions import IgnoreRequest


class ConditionalFetchMiddleware:
    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def _states(self, request):
        entry = request.meta.get("discovery")
        spider = self.crawler.spider
        if entry is None or not hasattr(spider, "states"):
            return None, None
        return entry, spider.states()

    def process_request(self, request):
        entry, states = self._states(request)
        if states is None or not entry.get("conditional"):
            return None
        for name, value in states.conditional_headers(request.url).items():
            request.headers.setdefault(name, value)
        return None

    def process_response(self, request, response):
        entry, states = self._states(request)
        if states is None or response.status not in (200, 304):
            return response
        header = response.headers.get
        states.fetched(
            request.url, status=response.status,
            etag=(header("ETag") or b"").decode("latin-1") or None,
            last_modified=(header("Last-Modified") or b"").decode("latin-1") or None,
            lastmod=entry.get("lastmod"),
        )
        if response.status == 304:
            self.crawler.spider.not_downloaded(request.url, "not_modified")
            raise IgnoreRequest(f"not modified since the stored copy: {request.url}")
        return response
