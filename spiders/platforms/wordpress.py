"""WordPress sites through their REST API, with the HTML posts as the fallback.

A publication is served when its registry entry says `platform = "wordpress"` and gives
`api_root` (".../wp-json/"); `categories` narrows the listing to the review categories.
The spider lists `wp/v2/posts?_embed` (authors and terms embedded), page by page as the
X-WP-TotalPages header says; `search=` in a film-targeted crawl, `modified_after=` in an
incremental one. Each post becomes the page the generic reader knows (a schema.org Article
with its headline, author, dates, sections and tags, and the content's paragraphs), so the
review rule, the rating in the text and every pipeline treat it exactly as the HTML post.

When the API refuses (an error status, a body that is not a list of posts: security plugins
switch it off), the spider falls back to HTML: the site search (`/?s=`) in a film-targeted
crawl, the feeds in the registry, else the home page with its links followed; the posts are
then read by the generic structured-data reader. Counted: `aggregator/wordpress/api_posts`,
`.../api_refused`, `.../fallback/<how>`.
"""

from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

import scrapy
from aggregator.spiders.base.review_page import Page, reviews_on_page
from aggregator.spiders.base.schema_org import Graph
from scrapy.http import Response, TextResponse

from aggregator.crawl.fetch_state import parse_entry_date
from aggregator.identity.publications import Publication
from aggregator.items import ReviewItem
from aggregator.urls import canonical_url

from .base import PlatformSpider
from .feeds import FeedReader

logger = logging.getLogger(__name__)

_PARAGRAPH = re.compile(r"<(p|h[1-6]|li|blockquote)\b[^>]*>(.*?)</\1\s*>", re.I | re.S)
_TAG = re.compile(r"<[^>]+>")


def _plain(markup: str | None) -> str:
    return " ".join(html.unescape(_TAG.sub(" ", markup or "")).split())


def paragraphs_of(content_html: str | None) -> list[str]:
    """The text of each block of a post's rendered content (the whole text when it has none)."""
    blocks = [_plain(m.group(2)) for m in _PARAGRAPH.finditer(content_html or "")]
    blocks = [b for b in blocks if b]
    return blocks or ([_plain(content_html)] if _plain(content_html) else [])


def _rendered(post: dict, field: str) -> str | None:
    value = post.get(field)
    return value.get("rendered") if isinstance(value, dict) else value if isinstance(value, str) else None


def _utc(value: str | None) -> str | None:
    """A REST `*_gmt` value ("2026-11-27T09:00:00", UTC without an offset) as ISO 8601 UTC."""
    return value + "+00:00" if value and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", value) else value


def post_page(post: dict, site_name: str | None, language: str | None = None) -> Page:
    """A REST post (with `_embedded`) as the page the review rule reads."""
    link = post.get("link") or ""
    headline = _plain(_rendered(post, "title"))
    embedded = post.get("_embedded") or {}
    authors = [a for a in embedded.get("author", []) if isinstance(a, dict) and a.get("name")]
    terms = [t for group in embedded.get("wp:term", []) if isinstance(group, list)
             for t in group if isinstance(t, dict) and t.get("name")]
    article = {
        "@type": "Article", "url": link, "headline": headline,
        "datePublished": _utc(post.get("date_gmt")) or post.get("date"),
        "dateModified": _utc(post.get("modified_gmt")) or post.get("modified"),
        "author": [{"@type": "Person", "name": a["name"], **({"url": a["link"]} if a.get("link") else {})}
                   for a in authors],
        "articleSection": [t["name"] for t in terms if t.get("taxonomy") == "category"],
        "keywords": [t["name"] for t in terms if t.get("taxonomy") == "post_tag"],
        "description": _plain(_rendered(post, "excerpt")) or None,
    }
    if site_name:
        article["publisher"] = {"@type": "Organization", "name": site_name}
    meta = {"og:type": ["article"], "og:title": [headline]}
    if site_name:
        meta["og:site_name"] = [site_name]
    return Page(
        url=link, canonical=canonical_url(link) if link.startswith("http") else link,
        graph=Graph(Graph.from_blocks([{"@context": "https://schema.org", **article}]).top_nodes),
        meta=meta, title=f"{headline} - {site_name}" if site_name else headline, h1=headline,
        paragraphs=paragraphs_of(_rendered(post, "content")), language=language,
    )


class WordPressReader:
    """Listing a WordPress publication's posts through the REST API (shared by the WordPress
    and discover spiders); `-a per_page=N` sets the page size (1..100)."""

    per_page = 20

    def __init__(self, *args: Any, per_page: str | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._fell_back: set[str] = set()
        if per_page:
            self.per_page = max(1, min(100, int(per_page)))

    def listing_request(self, publication: Publication, page: int) -> scrapy.Request:
        query: dict[str, Any] = {"_embed": "1", "per_page": self.per_page, "page": page}
        if publication.discovery.categories:
            query["categories"] = ",".join(map(str, publication.discovery.categories))
        if self.film:
            query["search"] = self.film
        if self.since:
            query["modified_after"] = self.since.strftime("%Y-%m-%dT%H:%M:%S")
            query["orderby"] = "modified"
        url = f"{publication.discovery.api_root}wp/v2/posts?{urlencode(query)}"
        return scrapy.Request(url, callback=self.parse_listing, errback=self.api_failed,
                              meta={"outlet": publication.key, "page": page, "handle_httpstatus_all": True})

    def parse_listing(self, response: Response, **kwargs: Any) -> Iterable[Any]:
        key, page = response.meta["outlet"], response.meta["page"]
        publication = next(p for p in self.outlets if p.key == key)
        posts = self._posts(response)
        if posts is None:
            yield from self.fallback(publication, f"status {response.status}")
            return
        if page == 1:
            total = response.headers.get("X-WP-Total")
            self.progress(key, "listed", int(total) if total and total.isdigit() else len(posts))
            pages = response.headers.get("X-WP-TotalPages")
            for number in range(2, int(pages) + 1 if pages and pages.isdigit() else 2):
                yield self.listing_request(publication, page=number)
        stats = self.crawler.stats
        self.read_states(post["link"] for post in posts
                         if self.in_window(parse_entry_date(_utc(post.get("modified_gmt")))))
        for post in posts:
            stats.inc_value("aggregator/wordpress/api_posts")
            stats.inc_value("aggregator/discovery/entries")
            modified = parse_entry_date(_utc(post.get("modified_gmt")))
            link = post.get("link") or ""
            if self.since and modified and modified < self.since:
                self.skip(link, "older_than_window")
                continue
            states = self.states()
            if self.since and states and states.unchanged_since_stored(link, modified):
                self.not_downloaded(link, "lastmod")
                continue
            verdict = reviews_on_page(post_page(post, publication.name, publication.language), self.review_kinds)
            if not verdict.items:
                for key in verdict.stat_keys:
                    stats.inc_value(key)
                logger.info("no review in post %s: %s", link, verdict)
                continue
            if states is not None:
                states.fetched(link, status=200, etag=None, last_modified=None, lastmod=modified)
                states.page_read(link, len(verdict.items))
            for item in verdict.items:
                yield self._finish(item, key)

    def _finish(self, item: ReviewItem, publication: str) -> ReviewItem:
        item.spider = self.name
        item.publication = publication
        item.source_format = "wordpress-rest"
        item.page_url = item.page_url or item.url
        self.progress(publication, "review")
        return item

    def _posts(self, response: Response) -> list[dict] | None:
        if response.status != 200 or not isinstance(response, TextResponse):
            return None
        try:
            posts = json.loads(response.text)
        except ValueError:
            return None
        if not isinstance(posts, list) or not all(isinstance(p, dict) and p.get("link") for p in posts):
            return None
        return posts

    def api_failed(self, failure):
        request = failure.request
        publication = next(p for p in self.outlets if p.key == request.meta["outlet"])
        yield from self.fallback(publication, failure.getErrorMessage())

    def fallback(self, publication: Publication, why: str) -> Iterable[scrapy.Request]:
        """The API refused: read the HTML posts instead (see the module docstring); once per
        publication, however many of its API pages failed."""
        if publication.key in self._fell_back:
            return
        self._fell_back.add(publication.key)
        self.crawler.stats.inc_value("aggregator/wordpress/api_refused")
        logger.warning("%s: WordPress REST API refused (%s); reading the HTML posts", publication.key, why)
        site = publication.discovery.api_root.removesuffix("wp-json/")
        if self.film:
            self.crawler.stats.inc_value("aggregator/wordpress/fallback/search")
            yield self.search_request(publication.discovery.search_url or site + "?s={query}", publication.key,
                                      announce=False)
        elif publication.discovery.feeds:
            self.crawler.stats.inc_value("aggregator/wordpress/fallback/feeds")
            for feed in publication.discovery.feeds:
                yield self.feed_request(feed, publication.key)
        else:
            self.crawler.stats.inc_value("aggregator/wordpress/fallback/home")
            yield scrapy.Request(site, callback=self.parse_results, meta={"outlet": publication.key})



class WordPressSpider(WordPressReader, FeedReader, PlatformSpider):
    """Posts of WordPress publications, from the REST API or, refused, from their HTML."""

    name = "wordpress"
    source_name = "platform = \"wordpress\""

    def serves(self, publication: Publication) -> bool:
        return publication.discovery.platform == "wordpress"

    def entry_points(self, publication: Publication) -> list[str]:
        return [publication.discovery.api_root]

    async def start(self):
        for publication in self.outlets:
            yield self.listing_request(publication, page=1)
