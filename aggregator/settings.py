"""Scrapy settings of the project (scrapy.cfg points here).

Politeness is the default, not an option: robots.txt obeyed (as RFC 9309 reads it), a
User-Agent that names the project and a contact, AutoThrottle on, few concurrent requests per
site, a size cap. So is caution: nothing that runs code from outside (telnet, remote control),
credentials sent to one host only, and no request to a private, loopback or link-local address
the user did not start the crawl at (aggregator/crawl/guards.py).
Only crawls whose every start URL is on this machine (the demo, the tests) relax the delays,
through `loopback_overrides`.
"""

from __future__ import annotations

import os
from importlib.metadata import PackageNotFoundError, version
from ipaddress import ip_address
from urllib.parse import urlsplit

try:
    _VERSION = version("critics-aggregator")
except PackageNotFoundError:  # running from a checkout that was not installed
    _VERSION = "0.0.0"

BOT_NAME = "critics-aggregator"
SPIDER_MODULES = ["aggregator.spiders"]
NEWSPIDER_MODULE = "aggregator.spiders"
COMMANDS_MODULE = "aggregator.crawl.commands"

# Who we are, and how to reach whoever runs the crawl (set AGGREGATOR_CONTACT to an URL or e-mail).
AGGREGATOR_CONTACT = os.environ.get("AGGREGATOR_CONTACT", "")
USER_AGENT = (
    f"critics-aggregator/{_VERSION} (open-source critics' review aggregator"
    + (f"; +{AGGREGATOR_CONTACT})" if AGGREGATOR_CONTACT else ")")
)

ROBOTSTXT_OBEY = True
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_DELAY = 1.0
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_TIMEOUT = 60
DOWNLOAD_MAXSIZE = 32 * 1024 * 1024
DOWNLOAD_WARNSIZE = 8 * 1024 * 1024
RETRY_TIMES = 2
DEPTH_LIMIT = 3
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
# Scrapy's RemoteControl serves an HTTP endpoint that runs Python sent to it: never wanted here.
REMOTE_CONTROL_ENABLED = False
# robots.txt (aggregator/crawl/robots.py): seconds its fetch may take (one retry), after which the
# host counts as unreachable and none of its pages is fetched in this run.
AGGREGATOR_ROBOTSTXT_TIMEOUT = float(os.environ.get("AGGREGATOR_ROBOTSTXT_TIMEOUT", "10"))
# Requests to private, loopback, link-local and reserved addresses other than the start URLs'
# hosts are refused (aggregator/crawl/guards.py) unless this is true.
AGGREGATOR_ALLOW_PRIVATE_ADDRESSES = os.environ.get(
    "AGGREGATOR_ALLOW_PRIVATE_ADDRESSES", "").lower() in ("1", "true", "yes")
# A sitemap may hold at most this many bytes, expanded if gzipped (the sitemap protocol's own limit is
# 50 MB uncompressed); a larger one is counted (aggregator/sitemaps/over_size) and skipped.
AGGREGATOR_SITEMAP_MAX_SIZE = 50 * 1024 * 1024

# A local HTTP cache, off unless asked for (AGGREGATOR_HTTP_CACHE=1): it honours the sites'
# own cache headers, so a re-run inside their freshness window fetches nothing again.
HTTPCACHE_ENABLED = os.environ.get("AGGREGATOR_HTTP_CACHE", "").lower() in ("1", "true", "yes")
HTTPCACHE_POLICY = "scrapy.extensions.httpcache.RFC2616Policy"
HTTPCACHE_DIR = "httpcache"

EXTENSIONS = {"aggregator.crawl.extensions.FreezeStartupObjects": 0}
DOWNLOADER_MIDDLEWARES = {
    # First of all: the scheme and address guard, before any request (robots.txt's too) goes out.
    "aggregator.crawl.guards.FetchGuardMiddleware": 40,
    # robots.txt as RFC 9309 reads it: 5xx or unreachable means disallow all.
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "aggregator.crawl.robots.Rfc9309RobotsTxtMiddleware": 100,
    # Basic credentials (-a http_user/http_pass) to the start URL's host only, never to all.
    "scrapy.downloadermiddlewares.httpauth.HttpAuthMiddleware": None,
    "aggregator.crawl.guards.ScopedHttpAuthMiddleware": 300,
    # Before the redirect middleware (600) sees a response: a redirect to "http://" goes nowhere.
    "aggregator.crawl.guards.HostlessRedirectMiddleware": 650,
    # Incremental crawls: conditional GETs of discovered review pages (aggregator/crawl/middlewares.py).
    "aggregator.crawl.middlewares.ConditionalFetchMiddleware": 580,
}

ITEM_PIPELINES = {
    "aggregator.pipelines.clean_fields.CleanFieldsPipeline": 100,
    "aggregator.pipelines.resolve_publication.ResolvePublicationPipeline": 200,
    "aggregator.pipelines.normalise_critics.NormaliseCriticsPipeline": 300,
    "aggregator.pipelines.identify_film.IdentifyFilmPipeline": 400,
    "aggregator.pipelines.decide_verdict.DecideVerdictPipeline": 500,
    "aggregator.pipelines.parse_dates.ParseDatesPipeline": 600,
    "aggregator.pipelines.target_film.TargetFilmPipeline": 650,  # `crawl --film` only
    "aggregator.pipelines.validate_review.ValidateReviewPipeline": 700,
    "aggregator.pipelines.store_reviews.StoreReviewsPipeline": 800,
}
# Discovery through sitemaps (docs/discovery.md): at most this many review-page entries per
# outlet in one crawl, newest first; the sitemaps of a news site list millions of pages.
AGGREGATOR_DISCOVERY_MAX_ENTRIES = int(os.environ.get("AGGREGATOR_DISCOVERY_MAX_ENTRIES", "500"))
# ... and at most this many sitemap documents read per outlet (newest first).
AGGREGATOR_DISCOVERY_MAX_SITEMAPS = int(os.environ.get("AGGREGATOR_DISCOVERY_MAX_SITEMAPS", "50"))
# Reviews are written in batches of this many (and at the end of the crawl), never one by one.
AGGREGATOR_STORE_BATCH_SIZE = 200
# ... and at least every this many seconds, so a quiet crawl holds no review long.
AGGREGATOR_STORE_FLUSH_INTERVAL = 5.0
# Every review is first appended to a spool file of the run (aggregator/db/spool.py), so a crawl
# killed before its batch was written loses nothing: the next run stores it and marks the dead run
# "killed". The spool is synced to disk at most this often (seconds).
AGGREGATOR_SPOOL = True
AGGREGATOR_SPOOL_FSYNC_INTERVAL = 0.5
# A page claims to be another site's page only for these domains (a local copy of real outlets:
# aggregator.urls.ClaimCheck); the aggregators whose film pages list other outlets' reviews; and
# at most this many reviews from one page.
AGGREGATOR_MIRRORED_DOMAINS = []
AGGREGATOR_LISTING_SITES = ["rottentomatoes.com"]
AGGREGATOR_MAX_REVIEWS_PER_PAGE = 50
# The database: `--db` > AGGREGATOR_DATABASE_URL (environment) > this setting > the default file.
AGGREGATOR_DATABASE_URL = None
# What `--db` said on the command line (it outranks the environment); set by the CLI.
AGGREGATOR_DB = None
# Extra publication registry files layered on the packaged one (the demo adds its outlets).
AGGREGATOR_PUBLICATION_FILES = []
# Unscored reviews get a verdict read from their text (aggregator.db.verdict_loading); "0"
# (here or in the environment) leaves them without one.
AGGREGATOR_INFER_VERDICTS = os.environ.get("AGGREGATOR_INFER_VERDICTS", "1")
# A trained model reads the texts of this many waiting items in one call, or of those that
# waited this long (seconds), whichever comes first (aggregator.verdicts.text.batch).
AGGREGATOR_INFER_BATCH = 64
AGGREGATOR_INFER_BATCH_DELAY = 0.2

# The store pipeline awaits its writer thread through asyncio.
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = os.environ.get("AGGREGATOR_LOG_LEVEL", "INFO")


def is_loopback_url(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def loopback_overrides(start_urls: list[str]) -> dict:
    """No delays when every start URL is on this machine (the spiders never leave their start hosts)."""
    if not start_urls or not all(is_loopback_url(u) for u in start_urls):
        return {}
    return {
        "AUTOTHROTTLE_ENABLED": False,
        "DOWNLOAD_DELAY": 0,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
    }
