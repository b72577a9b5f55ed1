"""What the platform spiders share: their publications from the registry, the crawl window,
the film a targeted crawl asks for, and turning a discovered entry into a request.

Arguments (`-a NAME=VALUE`, or set by `aggregator crawl --since/--film/--publication`):
- `publications`: registry keys, comma-separated (default: every entry the spider can serve);
- `since`: ISO datetime; entries dated before it are skipped (an incremental crawl: entries
  not newer than the stored copy are not requested, the rest are requested conditionally);
- `film`, `year`: a film-targeted crawl: only entries that may be about this film are fetched
  (the film pipeline then keeps only reviews of it);
- `start_urls`: feeds / sitemaps to read without a registry entry (the pipelines then resolve
  the publication of each page).

Counted: `aggregator/discovery/entries`, `.../skipped/<reason>` (older_than_window),
`.../unchanged/<reason>` (lastmod: not newer than stored; not_modified: a 304), and progress
per outlet (`aggregator/outlet/<key>/<event>`), also sent as the `outlet_progress` signal.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import scrapy
from aggregator.spiders.base.structured_data import StructuredDataSpider
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from scrapy.spiderloader import get_spider_loader

from aggregator.crawl.fetch_state import FetchStates, parse_since, reviews_stored
from aggregator.crawl.signals import outlet_progress
from aggregator.db.runs import OK_FINISH_REASONS
from aggregator.db.session import ensure_schema, make_engine, resolve_database_url, session_factory
from aggregator.identity.films import film_key
from aggregator.identity.publication_discovery import search_url_for
from aggregator.identity.publications import Publication, Registry, load_registry
from aggregator.items import ReviewItem

logger = logging.getLogger(__name__)



def title_words(text: str) -> list[str]:
    """The words of `text` folded as film titles are compared (aggregator.identity.films.film_key:
    case, diacritics, "&", hyphens, Roman numerals), so "Amélie"/"Amelie" and "Rocky II"/
    "Rocky 2 review" match."""
    try:
        return film_key(text or "").split()
    except ValueError:  # no letter or digit
        return []


def _plain_words(text: str) -> list[str]:
    # film_key joins "Spider-Man" into one word; an entry may spell it "Spider Man"
    return re.findall(r"\w+", (text or "").casefold().replace("’", "'"))


def may_be_about(film: str, text: str | None) -> bool:
    """An entry whose title holds every word of the film's title, under either folding, may
    be about it (the film pipeline decides; this only spares fetching the entries that
    cannot be, so it errs towards fetching)."""
    for words in (title_words, _plain_words):
        wanted = [w for w in words(film) if w not in ("the", "a", "an")] or words(film)
        present = set(words(text or ""))
        if wanted and all(word in present for word in wanted):
            return True
    return False


class PlatformSpider(StructuredDataSpider):
    """The base of the platform spiders (see the module docstring)."""

    name = ""  # abstract: not listed by `scrapy list`
    source_name = ""
    """"wordpress", "feeds", "sitemaps": which registry entries this spider serves."""

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        kwargs.setdefault("registry", load_registry(
            extra_paths=crawler.settings.getlist("AGGREGATOR_PUBLICATION_FILES")))
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(spider._item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(spider._reviews_stored, signal=reviews_stored)
        crawler.signals.connect(spider._save_fetch_state, signal=signals.spider_closed)
        crawler.signals.connect(spider._ask_undated, signal=signals.spider_idle)
        return spider

    def __init__(self, *args: Any, registry=None, publications: str | None = None,
                 since: str | None = None, film: str | None = None, year: str | None = None,
                 **kwargs: Any):
        self.since: datetime | None = parse_since(since) if since else None
        self.film = film.strip() if film and film.strip() else None
        self.film_year = int(year) if year else None
        keys = [k.strip() for k in (publications or "").split(",") if k.strip()]
        unknown = [k for k in keys if registry is None or registry.get(k) is None]
        if unknown:
            raise ValueError(f"no publication {', '.join(map(repr, unknown))} in the registry")
        entries = [registry.get(k) for k in keys] if keys else [
            p for p in (registry or ()) if self.serves(p)]
        if keys:
            refused = [p.key for p in entries if not self.serves(p)]
            if refused:
                raise ValueError(f"spider {self.name!r} cannot serve {', '.join(refused)}: "
                                 f"the registry gives no {self.source_name} for it")
        self.outlets: list[Publication] = entries if (keys or not kwargs.get("start_urls")) else []
        self._outlet_domains = Registry(self.outlets)
        if not kwargs.get("start_urls") and not kwargs.get("url"):
            kwargs["start_urls"] = ",".join(u for p in self.outlets for u in self.entry_points(p))
            if not kwargs["start_urls"]:
                raise ValueError(f"spider {self.name!r}: no publication in the registry has "
                                 f"{self.source_name}; give -a publications=KEY or -a start_urls=URL")
        super().__init__(*args, **kwargs)
        hosts = {d for p in self.outlets for d in p.domains}
        self.allowed_domains = sorted(set(self.allowed_domains) | hosts)
        self.fetch_states: FetchStates | None = None
        self._not_downloaded: dict[str, str] = {}
        """URL → the stat it was counted under; two listings may disagree on one page."""
        self._skipped: set[str] = set()
        self._decided: set[str] = set()
        self._undated: dict[str, scrapy.Request] = {}

    # --- for the subclasses -----------------------------------------------------------------

    def serves(self, publication: Publication) -> bool:
        raise NotImplementedError

    def entry_points(self, publication: Publication) -> list[str]:
        raise NotImplementedError

    def outlet_of(self, url: str) -> Publication | None:
        """The crawled outlet whose domains hold the URL's host (subdomains and Wayback captures
        included: the registry's domain lookup)."""
        return self._outlet_domains.by_domain(url)

    def progress(self, publication: str | None, event: str, count: int = 1) -> None:
        key = publication or "?"
        self.crawler.stats.inc_value(f"aggregator/outlet/{key}/{event}", count)
        self.crawler.signals.send_catch_log(outlet_progress, publication=key, event=event, count=count)

    def entry_request(self, url: str, *, lastmod: datetime | None, publication: str | None,
                      title: str | None = None, published: datetime | None = None
                      ) -> scrapy.Request | None:
        """The request for a discovered review page, or None when the window or the stored
        state says it need not be fetched (counted). `lastmod` is the date of the entry's last
        change where the source states one (sitemap lastmod, Atom updated, a post's modified);
        `published` a publication date (RSS pubDate), which places the entry in the window
        but says nothing of later changes: such an entry is asked for conditionally."""
        stats = self.crawler.stats
        stats.inc_value("aggregator/discovery/entries")
        if self.film and title is not None and not may_be_about(self.film, title):
            self.skip(url, "other_title")
            return None
        dated = lastmod or published
        if self.since and dated and dated < self.since:
            self.skip(url, "older_than_window")
            return None
        states = self.states()
        if self.since and states and states.unchanged_since_stored(url, lastmod):
            self.not_downloaded(url, "lastmod")
            self._decided.add(url)
            return None
        meta = {"discovery": {"lastmod": lastmod, "publication": publication,
                              "conditional": self.since is not None}}
        request = scrapy.Request(url, callback=self.parse, meta=meta)
        if self.since and lastmod is None:
            # Undated here (an RSS item, a news-sitemap entry): wait until every listing is
            # read, since another may date the page and spare the request (`_ask_undated`).
            self._undated.setdefault(url, request)
            return None
        self._decided.add(url)
        self.progress(publication, "fetch")
        return request

    def search_request(self, template: str, publication: str, *, announce: bool = True) -> scrapy.Request:
        """A film-targeted crawl's question to an outlet's search page."""
        if announce:
            self.progress(publication, "asked")
        return scrapy.Request(search_url_for(template, self.film or ""), callback=self.parse_results,
                              meta={"outlet": publication})

    def parse_results(self, response: Response, **kwargs: Any) -> Iterable[scrapy.Request]:
        """A search-results or home page: each link to a page of the same outlet is an entry
        (undated: its review decides)."""
        publication = response.meta.get("outlet")
        here = response.url.split("?")[0].rstrip("/")
        links = [response.urljoin(link) for link in
                 dict.fromkeys(response.css("main a::attr(href), article a::attr(href)").getall())]
        links = [url for url in links if self.outlet_of(url) is not None and url.split("?")[0].rstrip("/") != here]
        self.progress(publication, "listed", len(links))
        self.read_states(links)
        for url in links:
            request = self.entry_request(url, lastmod=None, publication=publication)
            if request is not None:
                yield request

    def skip(self, url: str, why: str) -> None:
        """An entry left alone (aggregator/discovery/skipped/<why>), counted once per URL."""
        if url not in self._skipped:
            self._skipped.add(url)
            self.crawler.stats.inc_value(f"aggregator/discovery/skipped/{why}")

    def not_downloaded(self, url: str, why: str) -> None:
        """A page not downloaded again (its date, or a 304): counted once per URL, as an
        unchanged review when it held one (aggregator/discovery/unchanged/<why>), else under
        aggregator/discovery/not_refetched/<why>."""
        if url in self._not_downloaded:
            return
        held = bool(self.fetch_states and self.fetch_states.held_review(url))
        group = "unchanged" if held else "not_refetched"
        self._not_downloaded[url] = f"aggregator/discovery/{group}/{why}"
        self.crawler.stats.inc_value(self._not_downloaded[url])

    def read_states(self, urls: Iterable[str]) -> None:
        """Read the stored states of a listing's candidate entries in a few statements, before
        they are looked at one by one; only an incremental crawl consults them."""
        if self.since:
            self.states().read(urls)

    def in_window(self, dated: datetime | None) -> bool:
        """An entry so dated is not skipped as older than the window (`entry_request`)."""
        return not (self.since and dated and dated < self.since)

    def states(self) -> FetchStates | None:
        """The stored fetch states (read on first use; None without a database)."""
        if self.fetch_states is None:
            settings = self.crawler.settings
            url = resolve_database_url(cli_url=settings.get("AGGREGATOR_DB"), settings=settings)
            self._engine = make_engine(url)
            ensure_schema(self._engine)
            self.fetch_states = FetchStates(session_factory(self._engine))
        return self.fetch_states

    def parse(self, response: Response, **kwargs: Any) -> Iterable[Any]:
        """A discovered page, read by the generic reader; once read to its end it is known how
        many reviews it gave, which its fetch state waits for (aggregator/crawl/fetch_state.py)."""
        reviews = 0
        for result in super().parse(response, **kwargs):
            reviews += isinstance(result, ReviewItem)
            yield result
        if self.fetch_states is not None and "discovery" in response.meta:
            self.fetch_states.page_read(response.url, reviews)

    def pre_process_page(self, page, response: Response):
        """A page of an outlet whose registry entry names its own spider (`spider =
        "franksmovielog"`) is read with that spider's page hook, as its own crawl reads it."""
        hook = self._page_hook((response.meta.get("discovery") or {}).get("publication"))
        return hook(self, page, response) if hook else page

    def _page_hook(self, key: str | None):
        hooks = self.__dict__.setdefault("_page_hooks", {})
        if key not in hooks:
            hooks[key] = None
            publication = next((p for p in self.outlets if p.key == key), None)
            name = publication.spider if publication else None
            if name and name not in (StructuredDataSpider.name, self.name):
                try:
                    spider_cls = get_spider_loader(self.crawler.settings).load(name)
                except KeyError:
                    logger.warning("%s: the registry names spider %r, which does not exist", key, name)
                else:
                    hook = spider_cls.pre_process_page
                    hooks[key] = hook if hook is not StructuredDataSpider.pre_process_page else None
        return hooks[key]

    def post_process_item(self, item: ReviewItem, response: Response, page) -> ReviewItem | None:
        publication = (response.meta.get("discovery") or {}).get("publication")
        if publication:
            item.publication = publication
        self.progress(publication or item.publication, "review")
        return item

    # --- signals ----------------------------------------------------------------------------

    def _item_scraped(self, item, response, spider=None):
        if self.fetch_states is not None and response is not None:
            page = _page_of(item, response)
            self.fetch_states.review_passed(page, item.url)
            # Another listing's newer date had it fetched after all: stored, not "unchanged".
            counted = self._not_downloaded.pop(page, None)
            if counted:
                self.crawler.stats.inc_value(counted, -1)

    def _reviews_stored(self, urls, **kwargs):
        if self.fetch_states is not None:
            self.fetch_states.reviews_stored(urls)

    def _ask_undated(self, spider=None):
        """Every listing is read: request the undated entries no dated entry decided."""
        waiting = [r for url, r in self._undated.items() if url not in self._decided]
        self._undated.clear()
        for request in waiting:
            self._decided.add(request.url)
            self.progress(request.meta["discovery"]["publication"], "fetch")
            self.crawler.engine.crawl(request)
        if waiting:
            raise DontCloseSpider

    def _item_dropped(self, item, response, exception, spider=None):
        if self.fetch_states is not None and response is not None:
            self.fetch_states.not_stored(_page_of(item, response))

    def _save_fetch_state(self, spider, reason):
        if self.fetch_states is None:
            return
        try:
            if reason not in OK_FINISH_REASONS:
                # Pages may have been fetched and not read: the next crawl must fetch them again.
                # (Within a crawl that ended well, only pages whose reviews were stored are saved.)
                logger.warning("fetch state not saved: the crawl ended with %s", reason)
                return
            saved = self.fetch_states.save()
            self.crawler.stats.set_value("aggregator/discovery/states_saved", saved)
        finally:
            self.crawler.stats.set_value("aggregator/discovery/states_read", self.fetch_states.rows_read)
            self._engine.dispose()


def _page_of(item, response) -> str:
    """The URL whose fetch state an item belongs to: the post's own link for an item read from
    a WordPress API listing (one response, many posts), else the response's URL."""
    if getattr(item, "source_format", None) == "wordpress-rest" and getattr(item, "page_url", None):
        return item.page_url
    return response.url
