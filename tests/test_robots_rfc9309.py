"""robots.txt as RFC 9309 reads it (aggregator/crawl/robots.py), through real crawls against
loopback servers: 2xx parsed, 4xx allow all, 5xx / 429 / unreachable disallow the host for the
run, a bounded fetch, redirects followed up to five, one fetch per host."""

from __future__ import annotations

import socket
import threading

import pytest

from aggregator.crawl.robots import status_reason
from tests.local_crawl import LocalSite, answer, crawl, plain_page, redirect

PAGES = ["/a.html", "/b.html", "/private/c.html"]
RULES = "User-agent: *\nDisallow: /private/\n"


def site(robots, host: str = "127.0.0.1", **routes) -> LocalSite:
    pages = {path: answer(200, plain_page(path)) for path in PAGES}
    return LocalSite(host=host, routes={**pages, "/robots.txt": robots, **routes})


def crawl_pages(tmp_path, *sites: LocalSite, **kwargs):
    return crawl(tmp_path, "structured_data", [s.url(p) for s in sites for p in PAGES], **kwargs)


def fetched(served: LocalSite) -> list[str]:
    return sorted(p for p in PAGES if served.requested(p))


@pytest.mark.parametrize(("status", "reason"), [(200, None), (204, None), (301, "unavailable"), (404, "unavailable"),
                                                (403, "unavailable"), (410, "unavailable"), (429, "server_error"),
                                                (500, "server_error"), (503, "server_error"), (599, "server_error")])
def test_what_each_status_means(status, reason):
    assert status_reason(status) == reason


def test_the_rules_of_a_2xx_robots_txt_are_obeyed_and_read_once_per_host(tmp_path):
    with site(answer(200, RULES, "text/plain")) as served:
        run = crawl_pages(tmp_path, served)
    assert fetched(served) == ["/a.html", "/b.html"]
    assert served.requested("/robots.txt") == 1
    assert run.stat("robotstxt/forbidden") == 1


@pytest.mark.parametrize("status", [403, 404, 410])
def test_a_4xx_robots_txt_allows_every_page(tmp_path, status):
    # the body of a 4xx is not rules, even when it reads like some
    with site(answer(status, RULES, "text/plain")) as served:
        run = crawl_pages(tmp_path, served)
    assert fetched(served) == sorted(PAGES)
    assert run.stat("aggregator/robots/hosts/unavailable") == 1
    assert served.requested("/robots.txt") == 1


@pytest.mark.parametrize("status", [500, 503, 429])
def test_a_5xx_robots_txt_disallows_its_host_for_the_run_and_only_that_host(tmp_path, status):
    with site(answer(status, "", "text/plain")) as failing, site(answer(404, ""), host="127.0.0.2") as other:
        run = crawl_pages(tmp_path, failing, other)
    assert fetched(failing) == []
    assert fetched(other) == sorted(PAGES)
    assert run.stat("aggregator/robots/hosts/server_error") == 1
    assert run.stat("aggregator/robots/disallowed_server_error") == len(PAGES)
    assert run.log.count("RFC 9309: disallow all") == 1  # one line for the host, not one per page
    assert "Traceback" not in run.log
    assert failing.requested("/robots.txt") == 2  # Scrapy's retry, limited to one


def test_a_hanging_robots_txt_costs_its_timeout_not_minutes(tmp_path):
    release = threading.Event()
    with site(lambda handler: release.wait(60)) as hanging:
        try:
            run = crawl_pages(tmp_path, hanging, settings={"AGGREGATOR_ROBOTSTXT_TIMEOUT": 1})
        finally:
            release.set()
    print(f"hanging robots.txt (AGGREGATOR_ROBOTSTXT_TIMEOUT 1 s): crawl took {run.elapsed:.1f} s")
    assert fetched(hanging) == []
    assert run.stat("aggregator/robots/hosts/unreachable") == 1
    assert run.stat("aggregator/robots/disallowed_unreachable") == len(PAGES)
    assert hanging.requested("/robots.txt") == 2  # one retry: at most twice the timeout
    assert run.elapsed < 15, run.elapsed  # Scrapy's own: 3 attempts × DOWNLOAD_TIMEOUT 60 s
    assert "TimeoutError" in run.log and "Traceback" not in run.log


def reset(handler) -> None:
    """Close the connection with a TCP reset."""
    handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    handler.connection.close()


def test_a_reset_connection_disallows_the_host(tmp_path):
    with site(reset) as resetting:
        run = crawl_pages(tmp_path, resetting)
    assert fetched(resetting) == []
    assert run.stat("aggregator/robots/disallowed_unreachable") == len(PAGES)


def test_a_refused_connection_disallows_the_host_without_trying_its_pages(tmp_path):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    urls = [f"http://127.0.0.1:{port}{path}" for path in PAGES]
    run = crawl(tmp_path, "structured_data", urls)
    assert run.stat("aggregator/robots/disallowed_unreachable") == len(PAGES)
    assert run.stat("downloader/request_count") == 2  # robots.txt and its retry, no page
    assert "ConnectionRefusedError" in run.log and "Traceback" not in run.log


def chain(hops: int) -> dict:
    """/robots.txt redirecting `hops` times, ending at the rules."""
    routes = {f"/hop{n}": redirect(f"/hop{n + 1}") for n in range(1, hops)}
    routes["/robots.txt"] = redirect("/hop1") if hops else answer(200, RULES, "text/plain")
    routes[f"/hop{hops}"] = answer(200, RULES, "text/plain")
    return routes


def test_redirects_of_robots_txt_are_followed_up_to_five(tmp_path):
    routes = chain(5)
    with site(routes.pop("/robots.txt"), **routes) as served:
        run = crawl_pages(tmp_path, served)
    assert fetched(served) == ["/a.html", "/b.html"]
    assert run.stat("robotstxt/forbidden") == 1


def test_more_than_five_redirects_mean_unavailable_so_every_page_is_allowed(tmp_path):
    routes = chain(6)
    with site(routes.pop("/robots.txt"), **routes) as served:
        run = crawl_pages(tmp_path, served)
    assert served.requested("/hop5") == 1 and served.requested("/hop6") == 0
    assert fetched(served) == sorted(PAGES)
    assert run.stat("aggregator/robots/hosts/unavailable") == 1
