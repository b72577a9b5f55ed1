"""WordPress: REST posts read as the generic reader reads a post, pagination by the API's
headers, the HTML fallback when the API is refused, and the registry fields of platforms."""

from __future__ import annotations

import json

import pytest
from aggregator.spiders.base.review_page import reviews_on_page
from aggregator.spiders.platforms.wordpress import paragraphs_of, post_page

from aggregator.demo.discovery_render import render
from aggregator.demo.discovery_server import DISCOVERY_SITES
from aggregator.identity.publications import RegistryError, load_registry
from tests.discovery_harness import CINDER, exported, fixture_sites, summary
from tests.spider_harness import raw_view

HOST = "www.cinderpost.example"
SITE = json.loads(DISCOVERY_SITES.read_text())["sites"][HOST]


def rest_posts(**query) -> tuple[list[dict], dict]:
    answer = render(SITE, HOST, "/wp-json/wp/v2/posts", {"_embed": "1", **query})
    assert answer.status == 200
    return json.loads(answer.body), answer.headers


def test_a_rest_post_yields_the_item_the_html_post_would():
    posts, _ = rest_posts(search="The Salt Meridian", categories="4")
    post = next(p for p in posts if p["id"] == 101)
    verdict = reviews_on_page(post_page(post, "The Cinder Post", "en-GB"))
    assert verdict.reason == "ok" and len(verdict.items) == 1
    url = f"{CINDER}/2026/11/27/the-salt-meridian-review/"
    assert raw_view(verdict.items[0]) == {
        "url": url, "page_url": url, "publication_raw": "The Cinder Post",
        "critic_raw": ["Ines Valdravec"], "critic_urls": [f"{CINDER}/author/ines-valdravec/"],
        "film_raw": "The Salt Meridian",
        "film_year_raw": None, "film_ids_raw": [], "rating_raw": None, "rating_parts": None,
        "label_raw": None, "published_raw": "2026-11-27T09:00:00+00:00",
        "headline": "‘The Salt Meridian’ review: a tide-clock thriller that keeps its nerve",
        "source_format": "json-ld",
    }
    item = verdict.items[0]
    assert item.keywords_raw == ["drama", "Harrowgate Film Festival"]
    assert item.text.endswith("Rating: 4/5")  # the rating is read from the text, as on the HTML post
    assert item.language == "en-GB"


def test_an_interview_post_is_not_a_review():
    posts, _ = rest_posts(search="Halvorsen")
    interview = next(p for p in posts if p["id"] == 103)
    assert reviews_on_page(post_page(interview, "The Cinder Post")).reason == "no_review_signal"


def test_paragraphs_of_rendered_content():
    assert paragraphs_of("<p>One &amp; <em>two</em></p>\n<h2>Three</h2><p> </p>") == ["One & two", "Three"]
    assert paragraphs_of("plain <b>text</b>") == ["plain text"]
    assert paragraphs_of(None) == []


def test_the_fixture_api_pages_as_wordpress_does():
    posts, headers = rest_posts(per_page="2", page="2", categories="4")
    assert headers == {"X-WP-Total": "4", "X-WP-TotalPages": "2"}
    assert [p["id"] for p in posts] == [102, 104]
    assert render(SITE, HOST, "/wp-json/wp/v2/posts", {"page": "3", "per_page": "2", "categories": "4"}).status == 400


CINDER_REVIEWS = {
    f"{CINDER}/2026/11/27/the-salt-meridian-review/":
        ("cinder-post", ("Ines Valdravec",), "The Salt Meridian", None, "4/5", 80.0, "2026-11-27"),
    f"{CINDER}/2026/11/26/meridian-review/":
        ("cinder-post", ("Tobiah Marchetti-Lund",), "Meridian", None, "2/5", 40.0, "2026-11-26"),
    f"{CINDER}/2026/11/28/harbour-of-small-hours-review/":
        ("cinder-post", ("Ines Valdravec",), "Harbour of Small Hours", None, "4.5/5", 90.0, "2026-11-28"),
    f"{CINDER}/2026/11/10/copperhead-lullaby-review/":
        ("cinder-post", ("Tobiah Marchetti-Lund",), "Copperhead Lullaby", None, "3/5", 60.0, "2026-11-10"),
}


def test_rest_crawl_pages_through_the_api_and_downloads_no_post_page(tmp_path, empty_db_url):
    with fixture_sites(tmp_path) as sites:
        result = sites.crawl(empty_db_url, "--spider", "wordpress", "--publication", "cinder-post", "-a", "per_page=2")
        requests = sites.log.requests()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "reviews new 4, updated 0, unchanged 0" in result.stdout
    records = exported(empty_db_url)
    assert {url: summary(r) for url, r in records.items()} == CINDER_REVIEWS
    assert {r["source_format"] for r in records.values()} == {"wordpress-rest"}
    api = sorted(r.query for r in requests if r.path == "/wp-json/wp/v2/posts")
    assert api == ["_embed=1&per_page=2&page=1&categories=4", "_embed=1&per_page=2&page=2&categories=4"]
    assert [r.path for r in requests if r.path not in ("/robots.txt", "/wp-json/wp/v2/posts")] == []


def test_refused_api_falls_back_to_the_html_posts_with_the_same_reviews(tmp_path):
    db = f"sqlite:///{tmp_path / 'fallback.sqlite'}"
    with fixture_sites(tmp_path) as sites:
        sites.set_site(HOST, rest_api=False)
        result = sites.crawl(db, "--spider", "wordpress", "--publication", "cinder-post", "-v")
        fetched = sites.log.downloaded()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "'aggregator/wordpress/api_refused': 1" in result.stderr
    assert "'aggregator/wordpress/fallback/feeds': 1" in result.stderr
    records = exported(db)
    assert {url: summary(r) for url, r in records.items()} == CINDER_REVIEWS
    assert {r["source_format"] for r in records.values()} == {"json-ld"}
    assert f"{HOST}/feed/" in fetched
    assert f"{HOST}/2026/11/25/wren-halvorsen-interview-the-salt-meridian/" in fetched  # read: not a review


@pytest.mark.parametrize("fields, field, message", [
    ('platform = "drupal"', "platform", "is not one of"),
    ('platform = "wordpress"', "api_root", "is required"),
    ('api_root = "https://a.example/wp-json/"', "api_root", "only meaningful with a platform"),
    ('platform = "wordpress"\napi_root = "/wp-json/"', "api_root", "not an absolute"),
    ('platform = "wordpress"\napi_root = "https://a.example/wp-json/"\ncategories = ["reviews"]',
     "categories", "positive integers"),
    ('feeds = ["feed.xml"]', "feeds", "not an absolute"),
    ('sitemaps = "https://a.example/sitemap.xml"', "sitemaps", "must be a list"),
    ('search_url = "https://a.example/search?q="', "search_url", "{query}"),
])
def test_registry_discovery_fields_are_validated(tmp_path, fields, field, message):
    path = tmp_path / "registry.toml"
    path.write_text(f'[publications.a-site]\nname = "A Site"\ndomains = ["a.example"]\n'
                    f'country = "GB"\nlanguage = "en"\n{fields}\n')
    with pytest.raises(RegistryError, match=message) as error:
        load_registry([path], include_env=False)
    assert error.value.key == "a-site" and error.value.field == field


def test_registry_reads_the_discovery_fields():
    from aggregator.demo.discovery_server import DISCOVERY_PUBLICATIONS

    registry = load_registry([DISCOVERY_PUBLICATIONS], include_env=False)
    cinder = registry.get("cinder-post").discovery
    assert (cinder.platform, cinder.api_root, cinder.categories) == ("wordpress", f"{CINDER}/wp-json/", (4,))
    assert cinder.incremental_source == "wordpress"
    northlight = registry.get("northlight-film").discovery
    assert northlight.incremental_source == "sitemaps" and northlight.searchable
    assert registry.get("guardian").discovery.incremental_source is None
