"""The registry fields that say where a publication's reviews can be discovered.

A publication on a platform is a registry entry, not a spider (fields documented in the header
of aggregator/identity/publications.toml):

- `platform = "wordpress"` with `api_root` (the site's REST root, ".../wp-json/") and
  optional `categories` (ids of the review categories): the WordPress spider asks the API
  (`/wp/v2/posts`, search included) and falls back to the HTML posts when it is refused;
- `feeds = [...]`: RSS or Atom feeds (the feeds spider);
- `sitemaps = [...]`: XML sitemaps or sitemap indexes (the sitemaps spider);
- `search_url = "https://…/search?q={query}"`: a search page whose result links a
  film-targeted crawl follows (`{query}` is replaced by the URL-encoded title).

An outlet with none of these fields is still discovered by an incremental or full crawl: through
the `Sitemap:` lines of its robots.txt (`robots_txt_url`), the standard place a site names its
sitemaps. A film-targeted crawl cannot ask such an outlet (it has no search to ask).

Read by `read_discovery`, which raises through the caller's error factory (the registry's
RegistryError naming file, key and field) on any value it cannot use.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

DISCOVERY_FIELDS = frozenset({"platform", "api_root", "categories", "feeds", "sitemaps", "search_url"})
PLATFORMS = frozenset({"wordpress"})
_ABSOLUTE = re.compile(r"^https?://[^/\s]+\S*$")


@dataclass(frozen=True)
class Discovery:
    platform: str | None = None
    api_root: str | None = None
    categories: tuple[int, ...] = ()
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    search_url: str | None = None

    @property
    def incremental_source(self) -> str | None:
        """The spider that finds this outlet's new reviews: "wordpress", "feeds", "sitemaps",
        or None when the registry gives no way (the outlet cannot be crawled incrementally)."""
        if self.platform == "wordpress":
            return "wordpress"
        if self.feeds:
            return "feeds"
        if self.sitemaps:
            return "sitemaps"
        return None

    @property
    def searchable(self) -> bool:
        """A film-targeted crawl can ask this outlet (search URL, WordPress search, or a feed
        whose entry titles it reads)."""
        return bool(self.search_url or self.platform == "wordpress" or self.feeds)


NO_DISCOVERY = Discovery()

_DAY = re.compile(r"(?<!\d)((?:19|20)\d\d)[-_/]?(0[1-9]|1[0-2])[-_/]?(0[1-9]|[12]\d|3[01])(?!\d)")
_MONTH = re.compile(r"(?<!\d)((?:19|20)\d\d)[-_/](0[1-9]|1[0-2])(?![-_/]?\d)")


def robots_txt_url(domains: tuple[str, ...], start_urls: tuple[str, ...] = ()) -> str:
    """Where an outlet's robots.txt is: at the host of its first start URL (scheme included),
    else at https://www.<first domain>/ (the registry's domains are bare: "theguardian.com")."""
    if start_urls:
        split = urlsplit(start_urls[0])
        return f"{split.scheme}://{split.netloc}/robots.txt"
    domain = domains[0]
    host = domain if domain.startswith("www.") or domain.count(".") > 1 and not _two_part_suffix(domain) else f"www.{domain}"
    return f"https://{host}/robots.txt"


def _two_part_suffix(domain: str) -> bool:
    """"bbc.co.uk", "abc.net.au": a registrable name under a two-part public suffix (gets "www.")."""
    parts = domain.split(".")
    return len(parts) == 3 and len(parts[-1]) == 2 and parts[-2] in ("co", "com", "net", "org", "ac", "gov")


def period_in_url(url: str) -> tuple[datetime, datetime] | None:
    """The period a dated sitemap's URL names, as [start, end) in UTC: a day
    (".../2026-11-30.xml", ".../2026/11/30/...", "...-20261130.xml") or a month
    (".../sitemap-2026-11.xml"). None unless the path names exactly one such date (a clean rule:
    "post-sitemap2.xml" or a path with two dates says nothing)."""
    path = urlsplit(url).path
    days = [(int(y), int(m), int(d)) for y, m, d in _DAY.findall(path)]
    months = [(int(y), int(m)) for y, m in _MONTH.findall(path)]
    try:
        if len(days) == 1 and not months:
            start = datetime(*days[0], tzinfo=timezone.utc)
            return start, start + timedelta(days=1)
        if len(months) == 1 and not days:
            year, month = months[0]
            start = datetime(year, month, 1, tzinfo=timezone.utc)
            return start, datetime(year + month // 12, month % 12 + 1, 1, tzinfo=timezone.utc)
    except ValueError:  # 2026-02-31
        return None
    return None


def search_url_for(template: str, query: str) -> str:
    """The search URL of `template` for `query` ("{query}" → URL-encoded, spaces as "+")."""
    from urllib.parse import quote_plus

    return template.replace("{query}", quote_plus(query))


def read_discovery(table: dict[str, Any], error: Callable[[str, str], Exception]) -> Discovery:
    """The discovery fields of one registry table; `error(field, problem)` makes the exception."""

    def urls(field: str) -> tuple[str, ...]:
        value = table.get(field, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise error(field, "must be a list of absolute http(s) URLs")
        for url in value:
            if not _ABSOLUTE.match(url.strip()):
                raise error(field, f"{url!r} is not an absolute http(s) URL")
        return tuple(v.strip() for v in value)

    platform = table.get("platform")
    if platform is not None and platform not in PLATFORMS:
        raise error("platform", f"{platform!r} is not one of {sorted(PLATFORMS)}")
    api_root = table.get("api_root")
    if api_root is not None:
        if not isinstance(api_root, str) or not _ABSOLUTE.match(api_root):
            raise error("api_root", f"{api_root!r} is not an absolute http(s) URL")
        if platform is None:
            raise error("api_root", "is only meaningful with a platform (platform = \"wordpress\")")
        api_root = api_root.rstrip("/") + "/"
    elif platform == "wordpress":
        raise error("api_root", "is required for platform \"wordpress\" (the site's .../wp-json/ URL)")
    categories = table.get("categories", [])
    if not isinstance(categories, list) or not all(
            isinstance(c, int) and not isinstance(c, bool) and c > 0 for c in categories):
        raise error("categories", "must be a list of positive integers (WordPress category ids)")
    if categories and platform != "wordpress":
        raise error("categories", "is only meaningful with platform = \"wordpress\"")
    search_url = table.get("search_url")
    if search_url is not None:
        if not isinstance(search_url, str) or not _ABSOLUTE.match(search_url):
            raise error("search_url", f"{search_url!r} is not an absolute http(s) URL")
        if search_url.count("{query}") != 1:
            raise error("search_url", "must hold the placeholder {query} exactly once")
    return Discovery(platform=platform, api_root=api_root, categories=tuple(categories),
                     feeds=urls("feeds"), sitemaps=urls("sitemaps"), search_url=search_url)
