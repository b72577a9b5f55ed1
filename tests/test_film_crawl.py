"""Film-targeted crawls (`aggregator crawl --film`): every askable publication is asked, only
the film's reviews are stored (precision and recall on the fixture sites), progress is shown
per outlet and the run ends with the film's summary."""

from __future__ import annotations

import json
from datetime import date

import pytest
from aggregator.spiders.platforms.base import may_be_about
from aggregator.spiders.platforms.discover import DiscoverSpider

from aggregator.crawl.film_target import is_target_film, target_key
from aggregator.demo.discovery_server import DISCOVERY_PUBLICATIONS
from aggregator.identity.publications import load_registry
from tests.discovery_harness import (
    CINDER,
    NORTHLIGHT,
    QUARRY,
    ROBOTS_ONLY,
    exported,
    fixture_sites,
    real_hosts,
    summary,
)

# Every review of "The Salt Meridian" (2026) on the fixture sites: the ground truth. The sites
# also hold its namesake of 1987, a film called "Meridian", an interview and readers' letters
# about it, and reviews of other films.
THE_FILM = {
    f"{CINDER}/2026/11/27/the-salt-meridian-review/":
        ("cinder-post", ("Ines Valdravec",), "The Salt Meridian", 2026, "4/5", 80.0, "2026-11-27"),
    f"{NORTHLIGHT}/reviews/the-salt-meridian/":
        ("northlight-film", ("Oskar Bellweather-Nkemelu",), "The Salt Meridian", 2026, "8/10", 80.0, "2026-11-28"),
    f"{QUARRY}/arts/2026/11/29/review-the-salt-meridian.html":
        ("quarry-gazette", ("Dagny Fairweather-Oyelaran",), "The Salt Meridian", 2026, "B+", 83.0, "2026-11-29"),
}


def test_is_target_film_applies_the_identity_rules():
    key = target_key("The Salt Meridian")
    assert key == target_key("salt meridian (2026)")
    assert is_target_film("salt meridian", 2026, None, key, 2026) == (True, "same_film")
    assert is_target_film("salt meridian", None, date(2026, 11, 27), key, 2026) == (True, "same_film")
    assert is_target_film("salt meridian", 1987, date(2026, 11, 24), key, 2026) == (False, "other_year")
    assert is_target_film("salt meridian", None, date(1988, 3, 1), key, 2026) == (False, "outside_window")
    assert is_target_film("meridian", None, date(2026, 11, 26), key, 2026) == (False, "other_title")
    assert is_target_film(None, None, None, key, None) == (False, "other_title")
    assert is_target_film("salt meridian", 1987, None, key, None) == (True, "same_film")


def precision_recall(found: set[str], truth: set[str]) -> tuple[float, float]:
    hits = len(found & truth)
    return (hits / len(found) if found else 0.0), hits / len(truth)


def test_film_crawl_finds_every_review_of_the_film_and_nothing_else(tmp_path, empty_db_url):
    with fixture_sites(tmp_path) as sites:
        result = sites.crawl(empty_db_url, "--film", "The Salt Meridian", "--year", "2026")
        requests = sites.log.requests()
    assert result.returncode == 0, result.stdout + result.stderr
    stored = exported(empty_db_url)
    assert precision_recall(set(stored), set(THE_FILM)) == (1.0, 1.0)
    assert {url: summary(r) for url, r in stored.items()} == THE_FILM
    out = result.stdout
    for outlet in ("cinder-post", "northlight-film", "quarry-gazette"):
        assert f"  {outlet}: asked" in out
    assert "  northlight-film: 2 pages fetched, 2 reviews read, 1 of this film, 1 of another" in out
    assert "  quarry-gazette: 2 pages fetched, 1 reviews read, 1 of this film, 0 of another" in out
    assert "dropped: other_film 2" in out
    assert "The Salt Meridian (2026)" in out and "reviews: 3" in out
    # how each outlet was asked: the WordPress search, the search URL, the feed's titles
    asked = {(r.host, r.path, r.query) for r in requests}
    assert ("www.cinderpost.example", "/wp-json/wp/v2/posts",
            "_embed=1&per_page=20&page=1&categories=4&search=The+Salt+Meridian") in asked
    assert ("www.northlightfilm.example", "/search", "q=The+Salt+Meridian") in asked
    assert ("www.quarrygazette.example", "/rss.xml", "") in asked
    assert not any("copperhead" in path for _, path, _ in asked)  # the feed title said another film


def test_film_crawl_through_the_html_search_when_the_api_is_refused(tmp_path):
    db = f"sqlite:///{tmp_path / 'film-html.sqlite'}"
    with fixture_sites(tmp_path) as sites:
        sites.set_site("www.cinderpost.example", rest_api=False)
        result = sites.crawl(db, "--film", "The Salt Meridian", "--year", "2026", "--publication", "cinder-post")
        requests = sites.log.requests()
    assert result.returncode == 0, result.stdout + result.stderr
    assert set(exported(db)) == {f"{CINDER}/2026/11/27/the-salt-meridian-review/"}
    assert result.stdout.count("cinder-post: asked") == 1
    assert "The Salt Meridian\n" in result.stdout and "reviews: 1" in result.stdout  # its year unstated
    assert ("/", "s=The+Salt+Meridian") in {(r.path, r.query) for r in requests if r.host == "www.cinderpost.example"}


def test_film_crawl_without_a_year_keeps_the_namesakes_and_shows_each(tmp_path):
    db = f"sqlite:///{tmp_path / 'film-any-year.sqlite'}"
    with fixture_sites(tmp_path) as sites:
        result = sites.crawl(db, "--film", "the salt meridian")
    assert result.returncode == 0, result.stdout + result.stderr
    assert set(exported(db)) == set(THE_FILM) | {f"{NORTHLIGHT}/reviews/the-salt-meridian-1987/"}
    assert "The Salt Meridian (2026)" in result.stdout and "The Salt Meridian (1987)" in result.stdout
    assert "dropped: other_film 1" in result.stdout


@pytest.mark.parametrize("args, message", [
    (["--year", "2026"], "--year goes with --film"),
    (["--film", "X", "--url", "http://www.quarrygazette.example/"], "not with --url"),
])
def test_film_crawl_usage_errors(tmp_path, args, message):
    with fixture_sites(tmp_path) as sites:
        result = sites.crawl(f"sqlite:///{tmp_path / 'u.sqlite'}", *args)
    assert result.returncode == 2 and message in result.stderr


def test_a_sitemap_only_outlet_is_asked_through_its_urls_not_crawled_whole(tmp_path):
    db = f"sqlite:///{tmp_path / 'film-sitemap.sqlite'}"
    registry = tmp_path / "no-search.toml"  # the fixture entry without its search URL
    registry.write_text(
        '[publications.northlight-film]\nname = "Northlight Film"\ndomains = ["northlightfilm.example"]\n'
        f'country = "IE"\nlanguage = "en"\nscale = "points/10"\nsitemaps = ["{NORTHLIGHT}/sitemap_index.xml"]\n')
    with fixture_sites(tmp_path) as sites:
        result = sites.crawl(db, "--publications", str(registry), "--film", "The Salt Meridian", "--year", "2026",
                             "--publication", "northlight-film")
        fetched = [p for p in sites.log.downloaded() if "/reviews/" in p]
    assert result.returncode == 0, result.stdout + result.stderr
    assert set(exported(db)) == {f"{NORTHLIGHT}/reviews/the-salt-meridian/"}
    assert sorted(fetched) == ["www.northlightfilm.example/reviews/the-salt-meridian-1987/",
                               "www.northlightfilm.example/reviews/the-salt-meridian/"]


def test_film_crawl_over_the_whole_registry_skips_the_outlets_it_cannot_search(tmp_path):
    # The packaged registry's real outlets have no search: each is named and skipped, nothing is
    # asked of them, and the fixture outlets are asked as before.
    db = f"sqlite:///{tmp_path / 'film-whole.sqlite'}"
    unsearchable = [p.key for p in load_registry(extra_paths=[DISCOVERY_PUBLICATIONS]) if not DiscoverSpider.askable(p)]
    with fixture_sites(tmp_path) as sites:
        result = sites.crawl(db, "--film", "The Salt Meridian", "--year", "2026", whole_registry=True)
        contacted = real_hosts(sites.log)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "guardian" in unsearchable and "cinder-post" not in unsearchable
    for key in unsearchable:
        assert f"  {key}: no search: skipped\n" in result.stdout
    assert f"  {len(unsearchable)} publications not asked (no search" in result.stdout
    assert contacted == []
    assert set(exported(db)) == set(THE_FILM)


def test_film_crawl_refuses_only_when_no_outlet_can_be_asked(tmp_path):
    with fixture_sites(tmp_path) as sites:
        real = sites.crawl(f"sqlite:///{tmp_path / 'r.sqlite'}", "--film", "X", "--publication", "guardian",
                           "--publication", "telegraph")
        robots_only = sites.crawl(f"sqlite:///{tmp_path / 'v.sqlite'}", "--publications", str(ROBOTS_ONLY),
                                  "--film", "A Quiet Ledger", "--publication", "vesperline")
        contacted = [r for r in sites.log.requests()]
    assert real.returncode == 2 and "no configured publication can be searched for a film (guardian, telegraph)" in real.stderr
    assert robots_only.returncode == 2 and "can be searched" in robots_only.stderr
    assert contacted == []


RT_PAGE = ("/m/harry_potter_and_the_deathly_hallows_part_2", "harry_potter_and_the_deathly_hallows_part_2.rt_movie_page.html")
RT_FILM = "Harry Potter and the Deathly Hallows: Part 2"


def test_film_crawl_reads_a_rotten_tomatoes_page_the_user_names_through_the_same_film_filter(tmp_path, shared_dir):
    # The real page (../shared, read at test time) served at its own host by the fixture proxy;
    # the fixture outlets are asked too and have no review of this film.
    db, wrong_year = f"sqlite:///{tmp_path / 'rt.sqlite'}", f"sqlite:///{tmp_path / 'rt-2010.sqlite'}"
    rt_url = f"http://www.rottentomatoes.com{RT_PAGE[0]}"
    with fixture_sites(tmp_path) as sites:
        data = sites.data()
        data["sites"]["www.rottentomatoes.com"] = {
            "kind": "files", "files": {RT_PAGE[0]: str(shared_dir / "pages" / "rottentomatoes" / RT_PAGE[1])}}
        sites.path.write_text(json.dumps(data), encoding="utf-8")
        result = sites.crawl(db, "--film", RT_FILM, "--year", "2011", "--rt-url", rt_url)
        other = sites.crawl(wrong_year, "--film", RT_FILM, "--year", "2010", "--rt-url", rt_url)
        rt_requests = [r.path for r in sites.log.requests() if r.host == "www.rottentomatoes.com"]
    assert result.returncode == 0, result.stdout + result.stderr
    stored = exported(db)
    assert len(stored) == 12  # the page's 12 critic cards, each a review of its own outlet
    times = stored["http://www.thetimes.co.uk/tto/arts/film/reviews/article3087435.ece"]
    assert (times["publication"]["key"], times["critics"], times["film"]["title"], times["film"]["year"]) == (
        "thetimes", ["Kate Muir"], RT_FILM, 2011)
    assert "  rottentomatoes: asked" in result.stdout and f"{RT_FILM} (2011)" in result.stdout
    assert RT_PAGE[0] in rt_requests
    # the same cards with another year asked for: every one dropped by the film filter
    assert other.returncode == 1  # an empty run, not a usage error or a crash
    assert "reviews new 0" in other.stdout and "dropped: other_film 12" in other.stdout


def test_rt_url_goes_with_film_and_names_a_rotten_tomatoes_page(tmp_path):
    with fixture_sites(tmp_path) as sites:
        alone = sites.crawl(f"sqlite:///{tmp_path / 'a.sqlite'}", "--since", "2d", "--rt-url",
                            "https://www.rottentomatoes.com/m/x")
        elsewhere = sites.crawl(f"sqlite:///{tmp_path / 'b.sqlite'}", "--film", "X", "--rt-url",
                                "http://www.quarrygazette.example/m/x")
    assert alone.returncode == 2 and "--rt-url goes with --film" in alone.stderr
    assert elsewhere.returncode == 2 and "is not a Rotten Tomatoes page" in elsewhere.stderr


@pytest.mark.parametrize(("url", "accepted"), [
    ("https://www.rottentomatoes.com/m/x", True),
    ("http://rottentomatoes.com/m/x", True),
    ("https://editorial.rottentomatoes.com/m/x", True),
    ("https://web.archive.org/web/20110801000000/http://www.rottentomatoes.com/m/x", True),
    ("https://www.rottentomatoes.com.evil.example/m/x", False),
    ("https://notrottentomatoes.com/m/x", False),
    ("www.rottentomatoes.com/m/x", False),  # no scheme: not a URL to request
    ("http://www.quarrygazette.example/m/x", False),
])
def test_rt_url_is_told_by_its_registered_domain(url, accepted):
    from aggregator.spiders.platforms.discover import DiscoverSpider

    if accepted:
        DiscoverSpider.check_rt_url(url)
    else:
        with pytest.raises(ValueError, match="is not a Rotten Tomatoes page"):
            DiscoverSpider.check_rt_url(url)


@pytest.mark.parametrize(("film", "entry", "fetched"), [
    ("The Salt Meridian", "Review: The Salt Meridian", True),
    ("The Salt Meridian", "Meridian review", False),
    # what the film pipeline keeps (equal film keys) is never spared the fetch
    ("Amélie", "Amelie review: a Paris fable", True),
    ("Rocky II", "Rocky 2 review", True),
    ("Spider-Man", "Spiderman review", True),
    ("Spider-Man", "Spider Man review", True),
    ("Fast & Furious", "Fast and Furious review", True),
])
def test_an_entry_title_is_fetched_when_it_may_be_about_the_film(film, entry, fetched):
    assert may_be_about(film, entry) is fetched
