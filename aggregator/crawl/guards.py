"""Guards on where a crawl goes and what it sends there: the fetch guard and scoped credentials.

`FetchGuardMiddleware`, the first downloader middleware, refuses with a counted IgnoreRequest
(`RefusedRequest`):
- a request whose scheme is not http or https (file:, ftp:, data:, s3:):
  `aggregator/refused/scheme`;
- a request to a private, loopback, link-local (169.254.x.x, where cloud metadata services
  answer), multicast or reserved address: `aggregator/refused/private_address`.

The address is the URL's own IP literal (also in the legacy forms a resolver accepts, such as
`2130706433` or `127.1`), else what the host name resolves to through the crawl's own DNS
resolver. Scrapy caches that answer, so the connection is made to the address checked. A host
that does not resolve passes: its download fails as it would have. A request an HTTP proxy
carries is judged by its IP literal only, since the proxy, not this process, resolves the name.

The guard applies to where a crawl is led, not to where the user started it: the hosts (with
their ports) of the spider's own start URLs pass whatever their address, so `aggregator crawl
--url http://127.0.0.1:8000/…` works as typed, while a redirect, a followed link, a sitemap
entry or a robots.txt redirect that points into the machine or its network is refused. The
setting AGGREGATOR_ALLOW_PRIVATE_ADDRESSES lets every address through (a crawl of an intranet).
Each refused host is logged once.

`HostlessRedirectMiddleware` drops the Location of a redirect that names a scheme and no host
(`Location: http://`), counted as `aggregator/refused/hostless_redirect`: w3lib reads it as
`http:///`, which Scrapy would follow to the root of the page's own host.

`ScopedHttpAuthMiddleware` sends Basic credentials (`-a http_user=… -a http_pass=…`, or the
HTTPAUTH_* settings) to one domain only: `http_auth_domain` (spider argument) or HTTPAUTH_DOMAIN
when given, else the host of the spider's first start URL (with its port, if it names one:
Scrapy's domain match compares the host and port of a URL); never to every host, which is what
Scrapy does when no domain is set.
"""

from __future__ import annotations

import logging
import socket
from ipaddress import IPv4Address, IPv6Address, ip_address
from urllib.parse import urlsplit
from urllib.request import getproxies, proxy_bypass

from scrapy import signals
from scrapy.downloadermiddlewares.httpauth import HttpAuthMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from w3lib.http import basic_auth_header

logger = logging.getLogger(__name__)

SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}


class RefusedRequest(IgnoreRequest):
    """A request the fetch guard refused; `reason` is its stats key under aggregator/refused/."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


def ip_literal(host: str) -> IPv4Address | IPv6Address | None:
    """The address `host` spells out, in any form a resolver takes as an address; None for a name."""
    try:
        return ip_address(host)
    except ValueError:
        pass
    try:  # "2130706433", "0x7f.1", "127.1": names to the URL parser, addresses to the resolver
        return IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def non_public_kind(address: IPv4Address | IPv6Address) -> str | None:
    """What kind of non-public address this is ("loopback", "link-local", ...), None for a public one."""
    if isinstance(address, IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    for kind, test in (("loopback", address.is_loopback), ("link-local", address.is_link_local),
                       ("unspecified", address.is_unspecified), ("multicast", address.is_multicast),
                       ("reserved", address.is_reserved), ("private", address.is_private)):
        if test:
            return kind
    return None if address.is_global else "reserved"


def host_and_port(url: str) -> tuple[str, int | None] | None:
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES or not parts.hostname:
        return None
    try:
        port = parts.port
    except ValueError:
        return None
    return parts.hostname, port or DEFAULT_PORTS[parts.scheme]


class FetchGuardMiddleware:
    """Refuses requests of other schemes than http(s) and requests to non-public addresses
    other than the start URLs' hosts (see the module docstring)."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.allow_private = crawler.settings.getbool("AGGREGATOR_ALLOW_PRIVATE_ADDRESSES")
        self._proxies = getproxies() if crawler.settings.getbool("HTTPPROXY_ENABLED", True) else {}
        self._start_hosts: set[tuple[str, int | None]] | None = None
        self._logged: set[str] = set()
        crawler.signals.connect(self._spider_opened, signal=signals.spider_opened)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def _spider_opened(self, spider) -> None:
        self._start_hosts = start_hosts(spider)

    async def process_request(self, request: Request) -> None:
        parts = urlparse_cached(request)
        if parts.scheme not in SCHEMES:
            self._refuse(request, "scheme", parts.scheme or "(none)",
                         f"only http and https URLs are fetched, not {parts.scheme or 'this'}:")
        host = parts.hostname
        if self.allow_private or not host:
            return
        if self._start_hosts is None:
            self._start_hosts = start_hosts(self.crawler.spider)
        if host_and_port(request.url) in self._start_hosts:
            return
        address = ip_literal(host)
        if address is None and not self._proxied(request, host):
            address = await self._resolve(host)
        kind = non_public_kind(address) if address is not None else None
        if kind is not None:
            self._refuse(request, "private_address", host,
                         f"{host} is a {kind} address ({address}), not a start URL's host; "
                         f"set AGGREGATOR_ALLOW_PRIVATE_ADDRESSES=1 to allow it")

    def _proxied(self, request: Request, host: str) -> bool:
        if "proxy" in request.meta:
            return bool(request.meta["proxy"])
        return urlparse_cached(request).scheme in self._proxies and not proxy_bypass(host)

    async def _resolve(self, host: str) -> IPv4Address | IPv6Address | None:
        # The crawl's reactor (installed when the crawl starts) and its caching resolver.
        from twisted.internet import reactor

        try:
            return ip_address(await maybe_deferred_to_future(reactor.resolve(host)))
        except Exception:  # noqa: BLE001 - not resolvable here: the download reports it
            return None

    def _refuse(self, request: Request, reason: str, host: str, why: str) -> None:
        self.crawler.stats.inc_value(f"aggregator/refused/{reason}")
        if host not in self._logged:
            self._logged.add(host)
            logger.warning("refused %s: %s", request.url[:200], why)
        raise RefusedRequest(f"refused ({reason}): {why}", reason)


class HostlessRedirectMiddleware:
    """Leaves a redirect to `http://` (a scheme, no host) unfollowed (see the module docstring)."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_response(self, request: Request, response):
        location = response.headers.get("Location") if 300 <= response.status < 400 else None
        if location is None:
            return response
        parts = urlsplit(location.decode("latin-1").strip())
        if parts.scheme.lower() in SCHEMES and not parts.netloc:
            self.crawler.stats.inc_value("aggregator/refused/hostless_redirect")
            logger.warning("not following %s's redirect to %r: it names no host", request.url[:200],
                           location[:100])
            headers = response.headers.copy()
            del headers["Location"]
            return response.replace(headers=headers)
        return response


def start_hosts(spider) -> set[tuple[str, int | None]]:
    """(host, port) of the spider's own http(s) start URLs."""
    urls = list(getattr(spider, "start_urls", None) or [])
    return {hp for hp in map(host_and_port, (u for u in urls if isinstance(u, str))) if hp}


class ScopedHttpAuthMiddleware(HttpAuthMiddleware):
    """Scrapy's HttpAuthMiddleware with a domain always set (see the module docstring)."""

    _start_host: str | None = None

    @classmethod
    def from_crawler(cls, crawler):
        # Scrapy's, without its demand for an explicit HTTPAUTH_DOMAIN (None meaning "every
        # host"): the start URL's host is the default scope.
        middleware = cls()
        user, password = crawler.settings.get("HTTPAUTH_USER", ""), crawler.settings.get("HTTPAUTH_PASS", "")
        if user or password:
            middleware._auth = basic_auth_header(user, password)
            middleware._domain = crawler.settings.get("HTTPAUTH_DOMAIN") or None
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        return middleware

    def spider_opened(self, spider) -> None:
        user, password = getattr(spider, "http_user", ""), getattr(spider, "http_pass", "")
        if user or password:
            self._auth = basic_auth_header(user, password)
            self._domain = getattr(spider, "http_auth_domain", None) or self._domain
        self._start_host = next(iter(start_netlocs(spider)), None)
        if self._auth is None:
            return
        self._domain = self._domain or self._start_host
        if self._domain:
            logger.info("HTTP Basic credentials are sent to %s only", self._domain)
        else:
            self._auth = None
            logger.warning("HTTP Basic credentials not sent: no http_auth_domain and no start URL to scope them to")

    def process_request(self, request: Request):
        meta = request.meta
        if (meta.get("http_user") or meta.get("http_pass")) and not meta.get("http_auth_domain"):
            scope = self._domain or self._start_host
            if not scope:
                return None
            meta["http_auth_domain"] = scope
        return super().process_request(request)


def start_netlocs(spider) -> list[str]:
    """The hosts (with the port a URL names, as Scrapy's domain match compares them) of the
    spider's http(s) start URLs, in their order."""
    urls = [u for u in (getattr(spider, "start_urls", None) or []) if isinstance(u, str)]
    return list(dict.fromkeys(urlsplit(u).netloc.rpartition("@")[2].lower() for u in urls if host_and_port(u)))
