"""Review identity: the canonical URL of a page, and the registered domain of an outlet.

A review is identified by its canonical URL, so two fetches of one review must give one string.
`canonical_url` is deliberately conservative: it removes only what never names a different
resource, and leaves everything else as the site wrote it.

Removed or normalised:
- a Wayback Machine prefix (`https://web.archive.org/web/<timestamp>[im_|js_|…]/`), repeatedly,
  so that archived captures and live pages share an identity;
- the fragment (`#comments`), which browsers never send to the server;
- tracking parameters (`TRACKING_PARAMETERS` and any `utm_*`), matched case-insensitively,
  and a first page's paging parameter ("?page=1"); an empty query that remains is dropped
  with its `?`;
- the case of the scheme and host, a trailing dot of the host, and a default port
  (`:80` for http, `:443` for https).

Kept on purpose:
- `www.`: `www.example.com` and `example.com` may be different hosts, and sites pick one;
- `http` vs `https`: a page declares its own canonical link, which modern sites give as https.
  Rewriting an http-only site to https would store a dead link, and the canonical link of a
  re-crawl yields the same scheme again, so no duplicate arises from leaving it (a listing that
  links a review as http:// meets its https:// page in the store: aggregator.db.listings);
- the path (case, trailing slash, percent-encoding) and the order and encoding of the
  remaining query parameters: servers may treat any of them as significant.

Those kept differences are what one page's addresses differ by when a site moves (http to
https, www. to bare, a mobile m. host) or a link drops a trailing slash: `url_twins` lists them,
and the store keeps a page on the address it first stored it under
(aggregator.db.url_identity), so each variant of one page is one row.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from ipaddress import ip_address
from urllib.parse import unquote_plus, urljoin, urlsplit, urlunsplit

_WAYBACK_PREFIX = re.compile(r"^(?:https?:)?//web\.archive\.org/web/\d+[a-z_]*/", re.IGNORECASE)
_MISSING_SLASH = re.compile(r"^(https?):/(?!/)", re.IGNORECASE)
_HAS_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)

TRACKING_PARAMETERS: frozenset[str] = frozenset(
    {
        # ad-click identifiers (Google, Microsoft, Meta, Yandex, Twitter/X, TikTok, LinkedIn)
        "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid",
        "twclid", "ttclid", "li_fat_id", "igshid", "igsh",
        # newsletter and marketing-automation tags (Mailchimp, HubSpot, Marketo, Olytics, Vero)
        "mc_cid", "mc_eid", "_hsenc", "_hsmi", "mkt_tok", "oly_anon_id", "oly_enc_id",
        "vero_id", "vero_conv",
        # analytics cross-domain linkers
        "_ga", "_gl",
        # referral and campaign tags used by news sites (NYT smid/smtyp, Guardian CMP,
        # Washington Post itid, generic ref/cmpid)
        "ref", "ref_src", "ref_url", "cmpid", "cmp", "smid", "smtyp", "itid",
        # where a link was shared from (a feed, a widget, an app): never another page
        "src", "share", "shared", "via", "ocid", "icid", "int_source", "ns_campaign", "ns_mchannel",
    }
)
"""Query parameters dropped from canonical URLs (besides every `utm_*`), lower-case."""

# Hosting platforms where each subdomain is a different publication: their registered
# domain is the full host, as the Public Suffix List already does for blogspot.com or github.io.
SHARED_HOSTING_SUFFIXES: tuple[str, ...] = ("substack.com", "wordpress.com", "tumblr.com")


def _strip_wayback(url: str) -> str:
    while True:
        match = _WAYBACK_PREFIX.match(url)
        if not match:
            return url
        url = url[match.end():]
        url = _MISSING_SLASH.sub(r"\1://", url)  # Wayback sometimes collapses "//" to "/"
        if not _HAS_SCHEME.match(url):
            url = "http://" + url


FIRST_PAGE_PARAMETERS: frozenset[str] = frozenset({"page", "pg", "pagenum", "page_num"})
"""Paging parameters whose first page is the page itself: "?page=1" is dropped, "?page=2" kept."""


def _is_tracking(parameter: str) -> bool:
    name, _, value = unquote_plus(parameter).partition("=")
    name = name.strip().lower()
    return name.startswith("utm_") or name in TRACKING_PARAMETERS or (
        name in FIRST_PAGE_PARAMETERS and value.strip() in ("1", ""))


def canonical_url(url: str) -> str:
    """The identity form of an absolute http(s) URL (see the module docstring for the rules).

    Raises ValueError for anything that is not an absolute http(s) URL with a host.
    """
    if not isinstance(url, str) or not url.strip():
        raise ValueError(f"not a URL: {url!r}")
    url = _strip_wayback(url.strip())
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise ValueError(f"malformed URL {url!r}: {error}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError(f"not an http(s) URL: {url!r}")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise ValueError(f"URL has no host: {url!r}")
    if ":" in host:  # IPv6 literal: urlsplit dropped the brackets
        host = f"[{host}]"
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = (userinfo + "@" if userinfo else "") + host
    if port is not None and port != {"http": 80, "https": 443}[scheme]:
        netloc += f":{port}"
    query = "&".join(p for p in parts.query.split("&") if p and not _is_tracking(p))
    return urlunsplit((scheme, netloc, parts.path or "/", query, ""))


def _usable(candidate: str | None, base: str | None) -> str | None:
    if not isinstance(candidate, str) or not candidate.strip():
        return None
    absolute = urljoin(base, candidate.strip()) if base else candidate.strip()
    try:
        return canonical_url(absolute)
    except ValueError:
        return None


def pick_canonical(canonical_link: str | None, og_url: str | None, response_url: str,
                   vouched: Callable[[str], bool] | None = None) -> str:
    """The review's identity: the canonical link, else og:url, else the response URL.

    Relative candidates are resolved against the response URL. A candidate that points at the
    site's root while the page itself is deeper is a known CMS misconfiguration (every page
    declaring the home page canonical) and is skipped, as is anything that is not http(s).
    With `vouched`, a candidate it refuses (a claim on another site: `ClaimCheck`) is skipped.
    Raises ValueError when not even the response URL is usable.
    """
    response = _usable(response_url, None)
    for candidate in (canonical_link, og_url):
        chosen = _usable(candidate, response_url)
        if chosen is None:
            continue
        if response is not None and _is_root(chosen) and not _is_root(response):
            continue
        if vouched is not None and not vouched(chosen):
            continue
        return chosen
    if response is None:
        raise ValueError(f"no usable URL among canonical link, og:url and {response_url!r}")
    return response


def _is_root(url: str) -> bool:
    parts = urlsplit(url)
    return parts.path in ("", "/") and not parts.query


@lru_cache(maxsize=1)
def _extractor():
    import tldextract  # imported lazily: a Scrapy dependency, ~50 ms to build

    # suffix_list_urls=() and cache_dir=None: the bundled Public Suffix List snapshot only,
    # never a network fetch and no cache written to the user's home.
    return tldextract.TLDExtract(
        suffix_list_urls=(),
        cache_dir=None,
        include_psl_private_domains=True,
        extra_suffixes=SHARED_HOSTING_SUFFIXES,
    )


def host_of(url_or_host: str) -> str:
    """The lower-case host of a URL or of a bare host name ("www.example.com/x" works too)."""
    text = (url_or_host or "").strip()
    if not text:
        return ""
    if "://" not in text and not text.startswith("//"):
        text = "//" + text
    try:
        host = urlsplit(_strip_wayback(text)).hostname or ""
    except ValueError:
        return ""
    host = host.rstrip(".").lower()
    return host if re.fullmatch(r"[\w.:\[\]-]+", host) else ""


def registered_domain(url: str) -> str:
    """The domain an outlet registered: "https://www.theguardian.com/film" -> "theguardian.com".

    Accepts a URL or a bare host. Subdomains of shared hosting ("x.substack.com",
    "y.blogspot.com") are their own registered domain. IP addresses and single-label hosts
    ("localhost") are returned as they are; an empty or host-less input gives "".
    """
    host = host_of(url)
    if not host:
        return ""
    result = _extractor()(host)
    if result.domain and result.suffix:
        return f"{result.domain}.{result.suffix}"
    labels = host.split(".")
    if len(labels) > 2 and labels[-1] in RESERVED_TLDS:  # "www.ledger.example": not on the suffix list
        return ".".join(labels[-2:])
    return host


def same_site(url_a: str, url_b: str) -> bool:
    """Both URLs (or hosts) on one registered domain: "m.example.com" and "www.example.com"."""
    domain = registered_domain(url_a)
    return bool(domain) and domain == registered_domain(url_b)


RESERVED_TLDS = frozenset({"example", "test", "invalid", "localhost"})
"""RFC 2606's names, which no real site has: a page on this machine (a local copy of the demo's
fictional outlets, a test's) may claim them; it can forge no real outlet's review that way."""


def _is_ip_literal(host: str) -> bool:
    try:
        ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _is_loopback(url: str) -> bool:
    host = host_of(url)
    if host == "localhost":
        return True
    try:
        return ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass
class ClaimCheck:
    """Which URLs a fetched page may name as its own identity (canonical link, og:url, a JSON-LD
    `url`): only what the fetched URL's own site can vouch for. Anyone can write a page that
    claims to be another outlet's review; stored on that claim, it would overwrite the real one.

    Vouched: a URL on the fetched URL's registered domain, or on one of `domains` (the other
    domains the registry gives the same outlet, and those the person running the crawl says the
    fetched hosts mirror: AGGREGATOR_MIRRORED_DOMAINS, as the demo's local server mirrors its
    fictional outlets). Each refused claim is kept in `refused`, to be counted.
    """

    fetched_url: str
    domains: frozenset[str] = frozenset()
    listings_trusted: bool = False
    """The fetched site is a registered outlet: the reviews of other sites it lists (a film
    page's critic cards) are kept as listings, which never overwrite an outlet's own page
    (aggregator.db.listings); an unknown site's are refused."""
    refused: list[str] = field(default_factory=list)

    def vouches(self, claimed: str) -> bool:
        domain = registered_domain(claimed)
        return (same_site(claimed, self.fetched_url) or domain in self.domains
                or (domain.rpartition(".")[2] in RESERVED_TLDS and _is_loopback(self.fetched_url)))

    def __call__(self, claimed: str) -> bool:
        """`vouches`, keeping a refused claim to be counted."""
        if self.vouches(claimed):
            return True
        self.refused.append(claimed)
        return False


def claim_check(fetched_url: str, *domain_lists: Iterable[str], listings_trusted: bool = False) -> ClaimCheck:
    domains = frozenset(registered_domain(d) for ds in domain_lists for d in ds if d)
    return ClaimCheck(fetched_url, domains, listings_trusted)


HOST_ALIASES = ("www.", "m.", "mobile.", "amp.")
"""Prefixes by which one site's hosts differ: "www.example.com", "m.example.com"."""


def url_twins(url: str) -> list[str]:
    """The other addresses of the page at `url` (a `canonical_url` form): the other scheme, the
    host with and without "www." / "m." / "mobile." / "amp.", the path with and without a
    trailing slash. Not `url` itself; [] for anything that is not http(s)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or "@" in parts.netloc:
        return []
    bare = parts.netloc
    if _is_ip_literal(parts.hostname or ""):
        bare = ""
    for prefix in HOST_ALIASES:
        if bare.startswith(prefix) and bare.count(".") >= 2:
            bare = bare[len(prefix):]
            break
    hosts = [bare] + [prefix + bare for prefix in HOST_ALIASES] if "." in bare else [parts.netloc]

    path = parts.path or "/"
    paths = [path] if path == "/" else [path, path[:-1] if path.endswith("/") else path + "/"]
    query = f"?{parts.query}" if parts.query else ""  # (what urlunsplit makes of these parts, 20× a page)
    twins = [f"{scheme}://{host}{p}{query}" for scheme in ("https", "http") for host in hosts for p in paths]
    return [twin for twin in dict.fromkeys(twins) if twin != url]
