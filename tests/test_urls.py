"""Review identity: canonical URLs, the canonical-link choice and registered domains."""

from __future__ import annotations

import re
import socket

import pytest

from aggregator.urls import (
    TRACKING_PARAMETERS,
    canonical_url,
    host_of,
    pick_canonical,
    registered_domain,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # tracking parameters go, the others stay in their order and encoding
        ("https://www.example.com/film/a?utm_source=tw&utm_medium=social",
         "https://www.example.com/film/a"),
        ("https://example.com/r?id=7&fbclid=IwAR0abc&page=2", "https://example.com/r?id=7&page=2"),
        ("https://example.com/r?gclid=1&mc_cid=2&mc_eid=3&ref=home", "https://example.com/r"),
        ("https://example.com/r?CMP=share_btn_tw", "https://example.com/r"),
        ("https://example.com/r?smid=nytcore-ios-share&smtyp=cur", "https://example.com/r"),
        ("https://example.com/r?UTM_Campaign=X&q=a%20b+c", "https://example.com/r?q=a%20b+c"),
        ("https://example.com/r?b=2&a=1", "https://example.com/r?b=2&a=1"),
        ("https://example.com/r?", "https://example.com/r"),
        ("https://example.com/r?utm_source", "https://example.com/r"),
        ("https://example.com/r?x=1&&y=2", "https://example.com/r?x=1&y=2"),
        # fragment, case of scheme and host, default ports, trailing dot of the host
        ("https://example.com/review#comments", "https://example.com/review"),
        ("HTTPS://WWW.Example.COM/Film/A", "https://www.example.com/Film/A"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("http://example.com:443/a", "http://example.com:443/a"),
        ("http://127.0.0.1:8000/a", "http://127.0.0.1:8000/a"),
        ("https://example.com./a", "https://example.com/a"),
        ("https://example.com", "https://example.com/"),
        ("  https://example.com/a  ", "https://example.com/a"),
        # kept: www, scheme, trailing slash, path case, percent-encoding
        ("https://www.example.com/a/", "https://www.example.com/a/"),
        ("http://example.com/a", "http://example.com/a"),
        ("https://example.com/caf%C3%A9", "https://example.com/caf%C3%A9"),
        # Wayback Machine captures share the live page's identity
        ("http://web.archive.org/web/20260106160259/https://www.example.com/2024/04/19/review/",
         "https://www.example.com/2024/04/19/review/"),
        ("https://web.archive.org/web/20250101000000im_/https://example.com/a.jpg",
         "https://example.com/a.jpg"),
        ("https://web.archive.org/web/2025/http:/example.com/a", "http://example.com/a"),
        ("https://web.archive.org/web/2025/example.com/a", "http://example.com/a"),
        ("https://web.archive.org/web/1/https://web.archive.org/web/2/https://example.com/a",
         "https://example.com/a"),
        ("https://web.archive.org/web/20250101/https://example.com/a?utm_source=x#top",
         "https://example.com/a"),
        ("http://[::1]:80/x", "http://[::1]/x"),
    ],
)
def test_canonical_url(raw, expected):
    assert canonical_url(raw) == expected


def test_canonical_url_is_idempotent():
    once = canonical_url("https://WWW.example.com:443/a?utm_source=x&id=1#f")
    assert canonical_url(once) == once


def test_documented_tracking_set_is_lower_case():
    assert all(p == p.lower() for p in TRACKING_PARAMETERS)
    assert {"fbclid", "gclid", "mc_cid", "mc_eid", "ref", "cmpid"} <= TRACKING_PARAMETERS


def test_parameters_that_merely_contain_a_tracking_name_stay():
    assert canonical_url("https://example.com/?reference=1&prefix=2&id=ref") == (
        "https://example.com/?reference=1&prefix=2&id=ref"
    )


@pytest.mark.parametrize(
    "bad",
    ["", "   ", "not a url", "/relative/path", "ftp://example.com/a", "mailto:a@example.com",
     "javascript:void(0)", "https://", "http://example.com:99999/", None, 42],
)
def test_canonical_url_rejects_what_is_not_an_absolute_http_url(bad):
    with pytest.raises(ValueError):
        canonical_url(bad)


class TestPickCanonical:
    page = "https://www.example.com/film/review-a?utm_source=x"

    def test_canonical_link_first(self):
        assert pick_canonical("https://www.example.com/film/a", "https://www.example.com/og",
                              self.page) == "https://www.example.com/film/a"

    def test_og_url_when_no_canonical_link(self):
        assert pick_canonical(None, "https://www.example.com/og", self.page) == (
            "https://www.example.com/og")
        assert pick_canonical("  ", "https://www.example.com/og", self.page) == (
            "https://www.example.com/og")

    def test_response_url_last_and_cleaned(self):
        assert pick_canonical(None, None, self.page) == "https://www.example.com/film/review-a"

    def test_relative_candidates_resolve_against_the_response(self):
        assert pick_canonical("/film/a", None, self.page) == "https://www.example.com/film/a"
        assert pick_canonical("//cdn.example.com/a", None, self.page) == "https://cdn.example.com/a"

    def test_wayback_relative_canonical(self):
        capture = "https://web.archive.org/web/20250603075555/https://www.example.com/y"
        assert pick_canonical("/web/20250603075555/https://www.example.com/x", None, capture) == (
            "https://www.example.com/x")

    def test_unusable_candidates_are_skipped(self):
        assert pick_canonical("javascript:void(0)", "mailto:x@example.com", self.page) == (
            "https://www.example.com/film/review-a")
        assert pick_canonical("http://exa mple.com:99999/", None, self.page) == (
            "https://www.example.com/film/review-a")

    def test_canonical_pointing_at_the_home_page_is_a_cms_bug(self):
        assert pick_canonical("https://www.example.com/", "https://www.example.com/film/a",
                              self.page) == "https://www.example.com/film/a"

    def test_home_page_may_be_its_own_canonical(self):
        home = "https://www.example.com/?utm_source=newsletter"
        assert pick_canonical("https://www.example.com/", None, home) == "https://www.example.com/"

    def test_wordpress_query_permalink_is_deeper_than_the_root(self):
        post = "https://blog.example.com/?p=123"
        assert pick_canonical("https://blog.example.com/", None, post) == post

    def test_nothing_usable_is_an_error(self):
        with pytest.raises(ValueError, match="no usable URL"):
            pick_canonical(None, None, "not a url")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("www.theguardian.com", "theguardian.com"),
        ("https://www.theguardian.com/film/2024/x", "theguardian.com"),
        ("https://amp.theguardian.com/x", "theguardian.com"),
        ("https://www.bbc.co.uk/news", "bbc.co.uk"),
        ("https://chicago.suntimes.com/movies", "suntimes.com"),
        ("https://WWW.Example.COM:8080/x", "example.com"),
        ("http://web.archive.org/web/20250101/https://www.nypost.com/x", "nypost.com"),
        # shared hosting: each subdomain is its own site
        ("https://someblog.blogspot.com/2024/x", "someblog.blogspot.com"),
        ("https://someone.github.io/", "someone.github.io"),
        ("https://filmletter.substack.com/p/x", "filmletter.substack.com"),
        ("https://reelnotes.wordpress.com/x", "reelnotes.wordpress.com"),
        ("https://substack.com/", "substack.com"),
        # hosts with no public suffix are their own domain
        ("http://127.0.0.1:8000/a", "127.0.0.1"),
        ("http://localhost/a", "localhost"),
        ("", ""),
        ("https://", ""),
    ],
)
def test_registered_domain(raw, expected):
    assert registered_domain(raw) == expected


def test_host_of():
    assert host_of("https://WWW.Example.com./a") == "www.example.com"
    assert host_of("example.com/path") == "example.com"
    assert host_of("") == ""


def test_registered_domain_never_touches_the_network(monkeypatch):
    import aggregator.urls as urls

    urls._extractor.cache_clear()

    def refuse(*args, **kwargs):
        raise AssertionError("tldextract tried to open a network connection")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    try:
        assert registered_domain("https://www.example.co.uk/x") == "example.co.uk"
    finally:
        urls._extractor.cache_clear()


def test_wayback_pattern_matches_the_documented_prefix():
    # the pattern the notes on the archived pages give, kept in one place
    documented = re.compile(r"^https?://web\.archive\.org/web/\d+[a-z_]*/")
    for url in ("http://web.archive.org/web/20260119170307/https://schema.org",
                "https://web.archive.org/web/20251010005347js_/https://example.com/x.js"):
        assert documented.match(url)
        assert not canonical_url(url).startswith("https://web.archive.org")


def test_share_tags_and_a_first_page_are_not_part_of_a_pages_address():
    assert canonical_url("https://x.example/r?src=rss&page=1") == "https://x.example/r"
    assert canonical_url("https://x.example/r?page=2") == "https://x.example/r?page=2"


def test_the_twins_of_an_address_are_its_hosts_schemes_and_trailing_slash():
    from aggregator.urls import url_twins
    twins = url_twins("https://www.x.example/film/r")
    assert {"https://x.example/film/r", "http://m.x.example/film/r/", "https://www.x.example/film/r/"} <= set(twins)
    assert "https://www.x.example/film/r" not in twins and "https://www.y.example/film/r" not in twins
    assert url_twins("http://127.0.0.1:8000/a") == ["https://127.0.0.1:8000/a", "https://127.0.0.1:8000/a/",
                                                    "http://127.0.0.1:8000/a/"]
