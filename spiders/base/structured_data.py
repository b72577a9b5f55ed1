"""The generic structured-data review spider, and the base of publication spiders.

A publication spider is a few lines on it: set `name`, `publication` (the registry key) and
`start_urls`, say whether listing pages are followed, and override one of the two hooks:

- `pre_process_page(page, response)`: before items are built (add a visible rating the
  generic reader cannot see, fix a known markup quirk);
- `post_process_item(item, response, page)`: after (return None to drop the item).

Before the hooks, a named outlet's own reading (spiders/outlets: a star row, a verdict label,
a visible byline or date) is added to the page, chosen by `publication` or by the registry
entry that serves the page, so that the generic spider crawling a Guardian or New York Times
URL reads it as well as a spider written for that outlet would.

Pages that hold no review are counted by reason under `aggregator/no_review/<reason>` and logged,
so a publication whose markup changed shows up in the run's stats instead of passing silently.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator, Iterable
from typing import Any
from urllib.parse import urlsplit

import scrapy
from aggregator.pipelines.base import crawl_publications
from extruct.w3cmicrodata import LxmlMicrodataExtractor
from scrapy.http import HtmlResponse, Response, TextResponse, XmlResponse
from scrapy.linkextractors import LinkExtractor

from aggregator.identity.review_kind import FILM_ONLY, parse_kinds
from aggregator.items import ReviewItem
from aggregator.urls import ClaimCheck, canonical_url, claim_check, pick_canonical, registered_domain

from ..outlets import read_outlet, reading_for
from ..outlets.reading import squash
from .review_page import Page, reviews_on_page
from .schema_org import MAX_DEPTH, Graph, microdata_to_nodes, within_depth
from .visible_page import (
    article_headline,
    introduced_names,
    masthead_name,
    rating_labels,
    sign_off,
    stated_film_year,
    tag_links,
    visible_bylines,
    visible_dates,
)

logger = logging.getLogger(__name__)

RATING_CLASS_XPATH = (
    "(//article | //main | //header)"
    "//*[@class][contains(@class, 'rating') or contains(@class, 'stars') or contains(@class, 'grade')]"
    "[not(ancestor::aside or ancestor::nav or ancestor::footer"
    " or ancestor::*[contains(@class, 'related')])]"
)
RATED_PREFIX = re.compile(r"^(?:rated|rating:?)\s+(?=\d)", re.IGNORECASE)
PARAGRAPH_XPATHS = ("//article//p", "//main//p", "//body//p")
NOT_BODY = "[not(ancestor::aside or ancestor::nav or ancestor::footer or ancestor::header)]"
MAX_PARAGRAPHS = 300
# The visible standfirst (dek, subtitle): where an outlet emphasises the film's title.
STANDFIRST_XPATH = ("(//*[@class][contains(@class, 'standfirst') or contains(@class, 'dek')"
                    " or contains(@class, 'subtitle') or contains(@class, 'subheading')])[1]")
EMPHASIS_TAGS = frozenset({"em", "i", "cite"})
LISTING_SITES = ("rottentomatoes.com",)
"""Aggregators whose film pages list other outlets' reviews (AGGREGATOR_LISTING_SITES): those are
kept as listings, as are a registered outlet's; an unknown site's claims are refused."""
MAX_REVIEWS_PER_PAGE = 50
"""AGGREGATOR_MAX_REVIEWS_PER_PAGE: one page yields at most this many reviews (a film page of
an aggregator lists 20 or so; a page listing thousands is an attack or a dump), the rest counted."""


_JSONLD_WRAPPING = re.compile(r"^[\s\ufeff]*(?:<!--|//\s*<!\[CDATA\[|<!\[CDATA\[)|(?:-->|//\s*\]\]>|\]\]>)\s*$")
"""What templates wrap a JSON-LD block in: a byte-order mark, an HTML comment, a CDATA section."""
MARKUP_TYPES = frozenset({"text/html", "application/xhtml+xml", "text/xml", "application/xml"})


def is_markup(response: Response) -> bool:
    """An HTML or XML page the readers can run XPath on: not a JSON, plain-text or binary body
    (Scrapy gives a JSON body a selector that refuses XPath)."""
    if not isinstance(response, HtmlResponse | XmlResponse):  # a TextResponse is text/plain, JSON, CSV…
        return False
    declared = (response.headers.get("Content-Type") or b"").decode("latin-1").split(";")[0].strip().lower()
    if declared and declared not in MARKUP_TYPES and not declared.endswith("+xml"):
        return False  # Scrapy guesses HTML from a ".html" URL even for a PNG served there
    try:
        return response.selector.type in ("html", "xml")
    except (ValueError, TypeError):  # an undecodable body
        return False


class StructuredDataSpider(scrapy.Spider):
    name = "structured_data"
    publication: str | None = None
    """Registry key of the outlet this spider serves; None lets the pipelines resolve it."""
    follow_links = False
    """Follow same-site links from pages that hold no review (listings, indexes)."""
    follow_allow: Iterable[str] = ()
    """Regular expressions a followed link must match (all same-site links when empty)."""
    review_kinds: frozenset[str] = FILM_ONLY
    """What kinds of review are stored: films only, unless `-a kinds=film,stage` asks for more
    (aggregator.identity.review_kind). A review of anything else is counted and skipped."""

    def __init__(self, *args: Any, url: str | None = None, start_urls: str | None = None,
                 follow: str | None = None, kinds: str | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if kinds is not None:
            self.review_kinds = parse_kinds(kinds)
        if url:
            self.start_urls = [url]
            self.follow_links = False
        elif start_urls:
            self.start_urls = [u.strip() for u in start_urls.split(",") if u.strip()]
        if follow is not None:
            self.follow_links = str(follow).lower() in ("1", "true", "yes", "on")
        if not getattr(self, "start_urls", None):
            raise ValueError(
                f"spider {self.name!r} has no start URL: give -a url=URL (one page) or "
                "-a start_urls=URL[,URL…] [-a follow=1], or set start_urls on the class"
            )
        self.allowed_domains = sorted({urlsplit(u).hostname or "" for u in self.start_urls} - {""})
        # Hosts are compared by hostname: LinkExtractor's allow_domains misses hosts with a port.
        self._link_extractor = LinkExtractor(allow=tuple(self.follow_allow))
        self._microdata = LxmlMicrodataExtractor()

    async def start(self) -> AsyncIterator[Any]:
        for url in self.start_urls:
            yield scrapy.Request(url, callback=self.parse)

    # --- hooks for publication spiders ----------------------------------------------------

    def pre_process_page(self, page: Page, response: Response) -> Page:
        return page

    def post_process_item(self, item: ReviewItem, response: Response, page: Page) -> ReviewItem | None:
        return item

    # --- the crawl ------------------------------------------------------------------------

    def parse(self, response: Response, **kwargs: Any) -> Iterable[Any]:
        stats = self.crawler.stats
        if not is_markup(response):
            stats.inc_value("aggregator/no_review/not_html")
            logger.info("not an HTML page at %s (%s)", response.url,
                        (response.headers.get("Content-Type") or b"no content type").decode("latin-1"))
            return
        page = self.pre_process_page(self.read_outlet(self.read_page(response), response), response)
        verdict = reviews_on_page(page, self.review_kinds)
        if page.claims is not None and page.claims.refused:
            stats.inc_value("aggregator/refused/foreign_claim", len(page.claims.refused))
            logger.warning("%s claims to be %d page(s) of other sites (ignored): %s", response.url,
                           len(page.claims.refused), ", ".join(dict.fromkeys(page.claims.refused[:3])))
        cap = self.crawler.settings.getint("AGGREGATOR_MAX_REVIEWS_PER_PAGE", MAX_REVIEWS_PER_PAGE)
        if len(verdict.items) > cap:
            stats.inc_value("aggregator/refused/over_page_cap", len(verdict.items) - cap)
            logger.warning("%s holds %d reviews: the first %d kept (AGGREGATOR_MAX_REVIEWS_PER_PAGE)",
                           response.url, len(verdict.items), cap)
            verdict.items = verdict.items[:cap]
        if not verdict.items:
            for key in verdict.stat_keys:
                stats.inc_value(key)
            logger.info("no review found at %s: %s", response.url, verdict)
            if self.follow_links:
                yield from self.follow(response)
            return
        stats.inc_value("aggregator/pages/with_review")
        for item in verdict.items:
            item.spider = self.name
            if self.publication:
                item.publication = self.publication
            item = self.post_process_item(item, response, page)
            if item is not None:
                yield item

    def follow(self, response: Response) -> Iterable[scrapy.Request]:
        hosts = set(self.allowed_domains)
        for link in self._link_extractor.extract_links(response):
            if urlsplit(link.url).hostname not in hosts:
                continue
            try:  # tracking parameters off, so one page linked two ways is fetched once
                url = canonical_url(link.url)
            except ValueError:
                self.crawler.stats.inc_value("aggregator/follow/bad_link")
                continue
            yield response.follow(url, callback=self.parse)

    def read_outlet(self, page: Page, response: TextResponse) -> Page:
        """What the outlet's own reading adds (spiders/outlets): chosen by `publication`, else
        by the registry entry serving the page's URL or canonical; the page as it is when
        the outlet has none."""
        reading = reading_for(self.publication, response.url, page.canonical)
        if reading is None:
            return page
        stats = self.crawler.stats
        return read_outlet(reading, page, response,
                           lambda name: stats.inc_value(f"aggregator/outlet/{name}"))

    def claim_check(self, fetched_url: str) -> ClaimCheck:
        """What a page fetched from `fetched_url` may claim to be: its own site, the other
        domains of the outlet the registry says serves it, and the domains the crawl was told
        its hosts mirror (AGGREGATOR_MIRRORED_DOMAINS: the demo, tests)."""
        settings = self.crawler.settings
        outlet = crawl_publications(self.crawler).registry.by_domain(fetched_url)
        listing_site = registered_domain(fetched_url) in settings.getlist("AGGREGATOR_LISTING_SITES", LISTING_SITES)
        return claim_check(fetched_url, outlet.domains if outlet else (),
                           settings.getlist("AGGREGATOR_MIRRORED_DOMAINS"),
                           listings_trusted=outlet is not None or listing_site)

    def read_page(self, response: TextResponse) -> Page:
        """Gather what the review rule reads, from the parsed page Scrapy already holds."""
        meta: dict[str, list[str]] = {}
        for tag in response.xpath("//meta[(@property or @name) and @content]"):
            key = (tag.attrib.get("property") or tag.attrib.get("name") or "").strip().lower()
            meta.setdefault(key, []).append(tag.attrib["content"])
        claims = self.claim_check(response.url)
        canonical = pick_canonical(
            response.xpath("//link[@rel='canonical']/@href").get(),
            meta.get("og:url", [None])[0],
            response.url,
            vouched=claims,
        )
        root = response.selector.root
        site_names = tuple(meta.get("og:site_name", []) + meta.get("application-name", []))
        paragraphs = self._paragraphs(response)
        return Page(
            url=response.url,
            canonical=canonical,
            graph=Graph(self._jsonld_nodes(response) + self._microdata_nodes(response)),
            meta=meta,
            title=squash(response.xpath("//title/text()").get()) or None,
            h1=article_headline(root, site_names),
            visible_ratings=self._visible_ratings(response) + rating_labels(root),
            paragraphs=paragraphs,
            visible_dates=visible_dates(root, paragraphs),
            language=response.xpath("/html/@lang").get(),
            standfirst_markup=standfirst_markup(response),
            visible_bylines=visible_bylines(root, meta),
            introduced_names=introduced_names(root),
            sign_off=sign_off(root),
            tags=tag_links(root),
            masthead=masthead_name(root),
            film_year=stated_film_year(root),
            claims=claims,
        )

    def _jsonld_nodes(self, response: TextResponse) -> list[Any]:
        blocks = []
        for raw in response.xpath("//script[@type='application/ld+json']/text()").getall():
            try:
                block = json.loads(_JSONLD_WRAPPING.sub("", raw.lstrip("\ufeff \t\r\n")), strict=False)
            except (ValueError, RecursionError):  # nested past the parser's depth
                self.crawler.stats.inc_value("aggregator/structured/bad_json_ld")
                logger.warning("unreadable JSON-LD block on %s", response.url)
                continue
            bounded, pruned = within_depth(block)
            if pruned:
                self.crawler.stats.inc_value("aggregator/structured/too_deep")
                logger.warning("JSON-LD nested deeper than %d levels on %s: the deeper part ignored",
                               MAX_DEPTH, response.url)
            blocks.append(bounded)
        return Graph.from_blocks(blocks).top_nodes

    def _microdata_nodes(self, response: TextResponse) -> list[dict]:
        if not response.xpath("//*[@itemscope][1]"):
            return []
        try:
            items = self._microdata.extract_items(response.selector.root, response.url)
        except Exception:  # extruct raises assorted errors on broken microdata
            self.crawler.stats.inc_value("aggregator/structured/bad_microdata")
            logger.warning("unreadable microdata on %s", response.url, exc_info=True)
            return []
        return microdata_to_nodes(items)

    @staticmethod
    def _visible_ratings(response: TextResponse) -> list[str]:
        ratings = []
        for element in response.xpath(RATING_CLASS_XPATH)[:10]:
            # the label says what the glyphs show ("4 out of 5 stars" over "★★★★★" with one dimmed),
            # on the element or on the star row inside it
            label = (element.attrib.get("aria-label") or element.attrib.get("title")
                     or element.xpath("string((.//*[@aria-label])[1]/@aria-label)").get())
            text = label or squash(" ".join(element.xpath(".//text()").getall()))
            if text and len(text) <= 40:
                ratings.append(RATED_PREFIX.sub("", squash(text)))
        return ratings

    @staticmethod
    def _paragraphs(response: TextResponse) -> list[str]:
        # lxml directly: a long review has hundreds of paragraphs, and a Selector per one costs.
        root = response.selector.root
        for xpath in PARAGRAPH_XPATHS:
            nodes = root.xpath(xpath + NOT_BODY)
            if nodes:
                texts = (" ".join("".join(p.itertext()).split()) for p in nodes[:MAX_PARAGRAPHS])
                return [t for t in texts if t]
        return []


def standfirst_markup(response: TextResponse) -> str | None:
    """The words of the page's visible standfirst with only its emphasis kept as tags
    ("<em>The Copper Tide</em> is a patient film"), or None when it has none."""
    nodes = response.selector.root.xpath(STANDFIRST_XPATH)
    if not nodes:
        return None
    parts: list[str] = []
    emphasised = False

    def walk(element) -> None:
        nonlocal emphasised
        if not isinstance(element.tag, str):  # a comment or processing instruction
            return
        tag = element.tag.lower()
        if tag in ("script", "style"):
            return
        marked = tag in EMPHASIS_TAGS and element is not nodes[0]
        if marked:
            parts.append(f"<{tag}>")
            emphasised = True
        parts.append((element.text or "").replace("<", " ").replace(">", " "))
        for child in element:
            walk(child)
            parts.append((child.tail or "").replace("<", " ").replace(">", " "))
        if marked:
            parts.append(f"</{tag}>")

    walk(nodes[0])
    text = " ".join("".join(parts).split())
    return text[:2000] if emphasised and text else None
