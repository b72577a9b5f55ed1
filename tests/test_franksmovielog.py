"""Frank's Movie Log, a one-critic blog whose rating is only an image's alt text: every real page
(read from ../shared at test time) yields exactly its one review, checked against the site's own
record of it (the page-data JSON beside each page); its "How I Grade" page yields nothing."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from aggregator.spiders.franksmovielog import FranksMovieLogSpider

from aggregator.identity.publications import default_registry
from aggregator.importers.chain import ImportPublications, normalise_item
from tests.spider_harness import parse_page, stat

SITE = "https://www.franksmovielog.com"
PAGES = [
    "a-girl-walks-home-alone-at-night-2014", "a-walk-among-the-tombstones-2014",
    "and-now-the-screaming-starts-1973", "asylum-1972", "big-city-blues-1932", "black-legion-1937",
    "blue-ruin-2013", "breakfast-at-tiffanys-1961", "casablanca-1942", "cathys-curse-1977",
]
# The site's "How I Grade" page: its letter grades are its stars, "an 'A' as 5-stars, a 'B' as
# 4-stars and so on" (F, the lowest, is 1 star); a + or - does not change the stars.
STARS_OF_GRADE = {"A": 5, "B": 4, "C": 3, "D": 2, "F": 1}


def site_record(shared_dir, slug: str) -> dict:
    data = json.loads((shared_dir / "pages" / "franksmovielog" / f"{slug}.page-data.json").read_text())
    return data["result"]["data"]["review"]


def crawl(shared_dir, slug: str):
    path = shared_dir / "pages" / "franksmovielog" / f"{slug}.html"
    return parse_page(f"{SITE}/reviews/{slug}/", path, FranksMovieLogSpider)


def test_the_fixture_set_is_the_one_measured(shared_dir):
    found = sorted(p.stem for p in (shared_dir / "pages" / "franksmovielog").glob("*.html"))
    assert found == sorted(PAGES + ["how-i-grade"])


@pytest.mark.parametrize("slug", PAGES)
def test_every_page_yields_its_one_review_as_the_sites_own_record_has_it(shared_dir, slug):
    items, _, spider = crawl(shared_dir, slug)
    assert len(items) == 1
    assert stat(spider, "aggregator/pages/with_review") == 1
    item, record = items[0], site_record(shared_dir, slug)
    assert item.url == f"{SITE}/reviews/{slug}/"
    assert (item.film_raw, item.film_year_raw) == (record["movie"]["title"], str(record["movie"]["year"]))
    stars = STARS_OF_GRADE[record["grade"][0]]
    assert item.rating_raw == f"{stars} star{'s' * (stars != 1)} (out of 5)"
    assert item.critic_raw == ["Frank Showalter"]
    assert item.publication == "franksmovielog"

    assert normalise_item(item, ImportPublications(default_registry())) == []
    assert item.published == date.fromisoformat(record["date"][:10])
    assert (item.scale, item.score, item.rating_value) == ("stars/5", stars * 20.0, float(stars))
    assert (item.film_title, item.film_year) == (record["movie"]["title"], record["movie"]["year"])
    assert item.critics == ["Frank Showalter"]
    assert item.verdict_source == "rating"
    # The body, without the date that opens it, and read once (the page repeats its article).
    assert item.text and not re.match(r"[A-Z]{3} \d{1,2}, \d{4}", item.text)
    assert item.text.count(item.text[:60]) == 1


def test_exact_items_for_two_pages(shared_dir):
    (asylum,), _, _ = crawl(shared_dir, "asylum-1972")
    assert (asylum.film_raw, asylum.film_year_raw, asylum.rating_raw, asylum.published_raw) == (
        "Asylum", "1972", "2 stars (out of 5)", "NOV 21, 2015")
    assert asylum.critic_urls == ["https://letterboxd.com/frankshowalter/"]
    assert asylum.publication_raw == "Frank's Movie Log"
    (tombstones,), _, _ = crawl(shared_dir, "a-walk-among-the-tombstones-2014")
    assert (tombstones.rating_raw, tombstones.published_raw) == ("1 star (out of 5)", "SEP 25, 2014")


def test_the_how_i_grade_page_is_not_a_review(shared_dir):
    items, _, spider = parse_page(f"{SITE}/how-i-grade/", shared_dir / "pages" / "franksmovielog" / "how-i-grade.html",
                                  FranksMovieLogSpider)
    assert items == []
    assert stat(spider, "aggregator/no_review/no_structured_data") == 1


def test_a_page_whose_stars_image_is_missing_is_not_a_review(shared_dir):
    html = (shared_dir / "pages" / "franksmovielog" / "asylum-1972.html").read_text()
    items, _, _ = parse_page(f"{SITE}/reviews/asylum-1972/", html.replace("stars (out of 5)", "stars"),
                             FranksMovieLogSpider)
    assert items == []


def test_a_wayback_machine_capture_is_keyed_on_the_blogs_own_url(shared_dir):
    capture = "https://web.archive.org/web/20200601000000/https://www.franksmovielog.com/reviews/asylum-1972/"
    (item,), _, _ = parse_page(capture, shared_dir / "pages" / "franksmovielog" / "asylum-1972.html",
                               FranksMovieLogSpider)
    assert (item.url, item.page_url) == (f"{SITE}/reviews/asylum-1972/", capture)
