"""Where a crawl may be led and what it sends there (aggregator/crawl/guards.py, settings), and the
decompression cap of sitemaps (spiders/platforms/sitemaps.py), through real crawls against
loopback servers: non-public addresses refused unless typed as a start URL, only http(s), Basic
credentials to one host, RemoteControl off, a sitemap bomb skipped at bounded memory."""

from __future__ import annotations

import json
import subprocess
import sys
import zlib

import pytest
from aggregator.spiders.platforms.sitemaps import (
    MAX_SIZE,
    SitemapTooLarge,
    read_sitemap,
)

from aggregator.crawl.guards import ip_literal, non_public_kind
from tests.local_crawl import REPO, LocalSite, answer, crawl, plain_page, redirect

PAGE = plain_page("A page")
NO_RULES = answer(404, "")
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


@pytest.mark.parametrize(("host", "kind"), [
    ("127.0.0.1", "loopback"), ("127.0.0.2", "loopback"), ("::1", "loopback"),
    ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped
    ("2130706433", "loopback"), ("127.1", "loopback"), ("0x7f.0.0.1", "loopback"),  # legacy spellings
    ("169.254.169.254", "link-local"), ("fe80::1", "link-local"),
    ("10.1.2.3", "private"), ("172.16.0.1", "private"), ("192.168.1.1", "private"), ("fc00::1", "private"),
    ("100.64.0.1", "reserved"),  # carrier-grade NAT
    ("0.0.0.0", "unspecified"), ("224.0.0.1", "multicast"), ("240.0.0.1", "reserved"),
    ("8.8.8.8", None), ("93.184.215.14", None), ("2606:4700::1111", None),
])
def test_what_kind_of_address_a_host_spells(host, kind):
    assert non_public_kind(ip_literal(host)) == kind


@pytest.mark.parametrize("host", ["example.org", "www.northlightfilm.example", "localhost"])
def test_a_name_is_no_address_until_resolved(host):
    assert ip_literal(host) is None


def test_a_start_url_on_loopback_is_fetched_as_typed(tmp_path):
    with LocalSite(routes={"/robots.txt": NO_RULES, "/page.html": answer(200, PAGE)}) as site:
        run = crawl(tmp_path, "structured_data", [site.url("/page.html")])
    assert site.requested("/robots.txt") == 1 and site.requested("/page.html") == 1, run.log
    assert run.stat("aggregator/refused/private_address") == 0


# Scrapy's offsite filter already drops a redirect to another host name when the request may be
# filtered; the guard is what stops the others: a feed (dont_filter), another port of the start
# host, a robots.txt (followed anywhere), a host allowed_domains covers.
@pytest.mark.parametrize(("spider", "path", "other_host", "target", "kind"), [
    ("feeds", "/feed.xml", "127.0.0.2", "http://127.0.0.2:{port}/feed.xml", "loopback"),
    ("feeds", "/feed.xml", "127.0.0.2", "http://169.254.169.254/latest/meta-data/", "link-local"),
    ("feeds", "/feed.xml", "127.0.0.2", "http://[::1]:{port}/feed.xml", "loopback"),
    ("feeds", "/feed.xml", "127.0.0.2", "http://localhost:{start_port}/feed.xml", "loopback"),  # a name: resolved
    ("structured_data", "/page.html", "127.0.0.1", "http://127.0.0.1:{port}/page.html", "loopback"),  # another port
])
def test_a_redirect_from_a_start_url_into_the_machine_is_refused(tmp_path, spider, path, other_host, target, kind):
    served = {"/robots.txt": NO_RULES, "/page.html": answer(200, PAGE), "/feed.xml": answer(200, rss([]), "application/rss+xml")}
    with LocalSite(host=other_host, routes=dict(served)) as other, LocalSite(routes={"/robots.txt": NO_RULES}) as start:
        start.routes["/go"] = redirect(target.format(port=other.port, start_port=start.port))
        run = crawl(tmp_path, spider, [start.url("/go")])
    assert start.requested("/go") == 1 and start.requested(path) == 0
    assert other.log == []  # not even its robots.txt
    assert run.stat("aggregator/refused/private_address") == 1
    assert f"is a {kind} address" in run.log and "AGGREGATOR_ALLOW_PRIVATE_ADDRESSES" in run.log


def test_a_redirect_to_a_public_address_is_not_refused(tmp_path):
    # TEST-NET-3 (203.0.113.0/24, documentation) is not global either; a real public address
    # would leave the machine, so the request is sent through a proxy that refuses it
    with LocalSite(routes={"/robots.txt": NO_RULES}) as start:
        start.routes["/go"] = redirect("http://93.184.215.14/feed.xml")
        run = crawl(tmp_path, "feeds", [start.url("/go")],
                    settings={"HTTPPROXY_ENABLED": True}, env={"http_proxy": start.url(), "no_proxy": "127.0.0.1"})
    assert run.stat("aggregator/refused/private_address") == 0
    assert [e.path for e in start.log if e.path.startswith("http://93.184.215.14")] != []


def test_sitemaps_naming_other_services_of_the_machine_are_refused_and_the_rest_read(tmp_path):
    # the start host is "localhost" at one port; another service listens at another port
    with LocalSite(routes={"/robots.txt": NO_RULES, "/sitemap.xml": answer(200, urlset([]))}) as other, \
            LocalSite(name="localhost", routes={"/robots.txt": NO_RULES, "/page.html": answer(200, PAGE)}) as start:
        elsewhere = f"http://localhost:{other.port}"
        start.routes["/index.xml"] = answer(200, sitemap_index([f"{elsewhere}/sitemap.xml", start.url("/reviews.xml")]),
                                            "application/xml")
        start.routes["/reviews.xml"] = answer(200, urlset([start.url("/page.html"), f"{elsewhere}/page.html"]),
                                              "application/xml")
        run = crawl(tmp_path, "sitemaps", [start.url("/index.xml")])
    assert other.log == []
    assert run.stat("aggregator/refused/private_address") == 2  # one sitemap, one entry
    assert run.stat("aggregator/sitemaps/failed") == 1
    assert start.requested("/reviews.xml") == 1 and start.requested("/page.html") == 1


def test_only_http_and_https_are_fetched(tmp_path):
    urls = ["ftp://127.0.0.1/x", "s3://bucket/key", "file:///etc/passwd"]
    run = crawl(tmp_path, "structured_data", urls)
    assert run.stat("aggregator/refused/scheme") == 2
    assert run.stat("offsite/filtered") == 1  # file:// has no host: Scrapy's offsite filter drops it first
    assert run.stat("downloader/request_count") == 0
    assert "only http and https URLs are fetched" in run.log


def test_a_robots_txt_redirected_into_the_network_is_unreachable_unless_private_addresses_are_allowed(tmp_path):
    with LocalSite(host="127.0.0.2", routes={"/robots.txt": NO_RULES}) as other, \
            LocalSite(routes={"/page.html": answer(200, PAGE)}) as start:
        start.routes["/robots.txt"] = redirect(other.url("/robots.txt"))
        refused = crawl(tmp_path / "refused", "structured_data", [start.url("/page.html")])
        assert other.log == [] and start.requested("/page.html") == 0
        assert refused.stat("aggregator/refused/private_address") == 1
        assert refused.stat("aggregator/robots/disallowed_unreachable") == 1
        allowed = crawl(tmp_path / "allowed", "structured_data", [start.url("/page.html")],
                        settings={"AGGREGATOR_ALLOW_PRIVATE_ADDRESSES": True})
    assert other.requested("/robots.txt") == 1 and start.requested("/page.html") == 1
    assert allowed.stat("aggregator/refused/private_address") == 0


@pytest.mark.parametrize("given", ["arguments", "arguments and domain", "settings"])
def test_basic_credentials_go_to_one_host_only(tmp_path, given):
    sites = [LocalSite(host=h, routes={"/robots.txt": NO_RULES, "/page.html": answer(200, PAGE)})
             for h in ("127.0.0.1", "127.0.0.2")]
    with sites[0], sites[1]:
        credited = sites[1] if given == "arguments and domain" else sites[0]  # default: the first start URL's
        args, settings = {"http_user": "reader", "http_pass": "secret"}, {}
        if given == "arguments and domain":
            args["http_auth_domain"] = f"{credited.host}:{credited.port}"
        if given == "settings":  # Scrapy would refuse these without an HTTPAUTH_DOMAIN
            args, settings = {}, {"HTTPAUTH_USER": "reader", "HTTPAUTH_PASS": "secret"}
        crawl(tmp_path, "structured_data", [s.url("/page.html") for s in sites], args=args, settings=settings)
    for site in sites:
        sent = [entry.headers.get("Authorization") for entry in site.log]
        expected = ["Basic cmVhZGVyOnNlY3JldA=="] if site is credited else [None]
        assert sent == expected * 2, site.host  # robots.txt and the page


COMPONENTS = """
import json
from twisted.internet import asyncioreactor
asyncioreactor.install()
from scrapy import Spider
from scrapy.core.downloader.middleware import DownloaderMiddlewareManager
from scrapy.crawler import Crawler
from scrapy.extension import ExtensionManager
from aggregator.crawl.crawling import project_settings
crawler = Crawler(Spider, project_settings())
crawler._apply_settings()
names = lambda manager: [type(m).__module__ + "." + type(m).__name__ for m in manager.middlewares]
print(json.dumps({"extensions": names(ExtensionManager.from_crawler(crawler)),
                  "downloader": names(DownloaderMiddlewareManager.from_crawler(crawler))}))
"""


def test_the_crawl_runs_no_remote_control_or_telnet_and_the_project_guards():
    done = subprocess.run([sys.executable, "-c", COMPONENTS], cwd=REPO, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    enabled = json.loads(done.stdout.splitlines()[-1])
    assert "scrapy.extensions.corestats.CoreStats" in enabled["extensions"]
    assert not [e for e in enabled["extensions"] if "remote_control" in e or "telnet" in e]
    downloader = enabled["downloader"]
    assert downloader[0] == "aggregator.crawl.guards.FetchGuardMiddleware"
    assert "aggregator.crawl.robots.Rfc9309RobotsTxtMiddleware" in downloader
    assert "aggregator.crawl.guards.ScopedHttpAuthMiddleware" in downloader
    assert "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware" not in downloader
    assert "scrapy.downloadermiddlewares.httpauth.HttpAuthMiddleware" not in downloader


# --- sitemaps: a decompression bomb, empty and broken documents -----------------------------

def sitemap_index(children: list[str]) -> str:
    return (f'<?xml version="1.0"?><sitemapindex xmlns="{SITEMAP_NS}">'
            + "".join(f"<sitemap><loc>{url}</loc></sitemap>" for url in children) + "</sitemapindex>")


def rss(urls: list[str]) -> str:
    return ("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title>"
            + "".join(f"<item><link>{url}</link><title>a</title></item>" for url in urls) + "</channel></rss>")


def urlset(urls: list[str]) -> str:
    return (f'<?xml version="1.0"?><urlset xmlns="{SITEMAP_NS}">'
            + "".join(f"<url><loc>{url}</loc><lastmod>2026-11-20</lastmod></url>" for url in urls) + "</urlset>")


@pytest.fixture(scope="module")
def sitemap_bomb() -> bytes:
    """About 2 MB of gzip that expands to 2 GiB of a sitemap (blanks inside a urlset)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [packer.compress(f'<?xml version="1.0"?><urlset xmlns="{SITEMAP_NS}">'.encode())]
    blanks = b" " * (1 << 20)
    parts += [packer.compress(blanks) for _ in range(2048)]
    parts += [packer.compress(b"</urlset>"), packer.flush()]
    return b"".join(parts)


def test_a_gzipped_sitemap_is_expanded_up_to_the_cap_only(sitemap_bomb):
    assert len(sitemap_bomb) < 2.2 * 1024 * 1024
    with pytest.raises(SitemapTooLarge, match="AGGREGATOR_SITEMAP_MAX_SIZE"):
        read_sitemap(sitemap_bomb)
    assert read_sitemap(zlib.compress(urlset(["https://example.org/a"]).encode(), wbits=31), MAX_SIZE)[1]


@pytest.mark.parametrize("body", [b"", b"   ", b'<?xml version="1.0"?>', b"\x1f\x8b\x08", b"\x1f\x8b\x08broken",
                                  zlib.compress(b"", wbits=31), zlib.compress(b"  ", wbits=31)])
def test_an_empty_or_broken_sitemap_is_a_value_error_not_stop_iteration(body):
    with pytest.raises(ValueError):
        read_sitemap(body)


def test_a_sitemap_bomb_is_skipped_at_bounded_memory_and_the_outlets_other_sitemaps_read(tmp_path, sitemap_bomb):
    with LocalSite(routes={"/robots.txt": NO_RULES, "/page.html": answer(200, PAGE)}) as site:
        children = ["/bomb.xml.gz", "/bomb-encoded.xml", "/empty.xml", "/blank.xml", "/reviews.xml"]
        site.routes.update({
            "/index.xml": answer(200, sitemap_index([site.url(c) for c in children]), "application/xml"),
            "/bomb.xml.gz": answer(200, sitemap_bomb, "application/x-gzip"),
            # gzip as the HTTP encoding: Scrapy's own cap (DOWNLOAD_MAXSIZE) stops it
            "/bomb-encoded.xml": answer(200, sitemap_bomb, "application/xml", {"Content-Encoding": "gzip"}),
            "/empty.xml": answer(200, b"", "application/xml"),
            "/blank.xml": answer(200, b"  \n", "application/xml"),
            "/reviews.xml": answer(200, urlset([site.url("/page.html")]), "application/xml"),
        })
        run = crawl(tmp_path, "sitemaps", [site.url("/index.xml")], timeout=300)
        # the same crawl without the bombs, in the same environment: what a crawl weighs anyway
        site.routes["/plain-index.xml"] = answer(200, sitemap_index([site.url("/reviews.xml")]), "application/xml")
        baseline = crawl(tmp_path / "baseline", "sitemaps", [site.url("/plain-index.xml")], timeout=300)
    print(f"sitemap bomb crawl: peak RSS {run.peak_rss_mib:.0f} MiB in {run.elapsed:.1f} s;"
          f" without the bombs {baseline.peak_rss_mib:.0f} MiB")
    assert all(site.requested(c) == (2 if c == "/reviews.xml" else 1) for c in children)
    assert run.stat("aggregator/sitemaps/over_size") == 1
    assert run.stat("aggregator/sitemaps/unreadable") == 2  # empty, blank
    assert run.stat("aggregator/sitemaps/failed") == 1  # the HTTP-encoded bomb
    assert site.requested("/page.html") == 2
    assert "StopIteration" not in run.log and "Traceback" not in run.log
    # Alone, the bomb crawl peaks at ~170 MiB and the plain one at ~139 (the goal: <= 200 MB). In
    # the full suite both weigh more (the interpreter's imports differ): the bombs' cost is the check.
    assert run.peak_rss_mib - baseline.peak_rss_mib <= 64, (run.peak_rss_mib, baseline.peak_rss_mib)
