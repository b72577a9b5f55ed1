"""RSS/Atom feeds and XML sitemaps: the readers on the fixture sites' documents, the spiders'
requests, and real crawls through the fixture server into SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from aggregator.spiders.platforms.feeds import FeedEntry, FeedsSpider, feed_entries
from aggregator.spiders.platforms.sitemaps import SitemapEntry, SitemapsSpider, read_sitemap
from scrapy import Request
from scrapy.http import TextResponse, XmlResponse
from scrapy.utils.test import get_crawler

from aggregator.demo.discovery_render import render
from aggregator.demo.discovery_server import DISCOVERY_PUBLICATIONS, DISCOVERY_SITES
from aggregator.identity.publication_discovery import period_in_url, robots_txt_url
from aggregator.identity.publications import load_registry
from tests.discovery_harness import NORTHLIGHT, QUARRY, ROBOTS_ONLY, VESPERLINE, exported, fixture_sites, summary

SITES = json.loads(DISCOVERY_SITES.read_text())["sites"]


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def body(host: str, path: str) -> str:
    return render(SITES[host], host, path, {}).body


def test_rss_entries_have_their_link_title_and_publication_date_but_no_update_date():
    entries = feed_entries(body("www.quarrygazette.example", "/rss.xml"))
    assert entries == [
        FeedEntry(f"{QUARRY}/opinion/2026/11/30/letters-the-salt-meridian.html",
                  "Letters: readers argue over the ending of The Salt Meridian", None, utc("2026-11-30T05:00:00")),
        FeedEntry(f"{QUARRY}/arts/2026/11/29/review-the-salt-meridian.html",
                  "Review: The Salt Meridian", None, utc("2026-11-29T06:30:00")),
        FeedEntry(f"{QUARRY}/arts/2026/11/20/review-copperhead-lullaby.html",
                  "Review: Copperhead Lullaby", None, utc("2026-11-20T06:30:00")),
    ]


def test_atom_entries_have_updated_and_published():
    entries = feed_entries(body("www.northlightfilm.example", "/atom.xml"))
    assert [e.url for e in entries] == [
        f"{NORTHLIGHT}/reviews/the-salt-meridian/", f"{NORTHLIGHT}/reviews/harbour-of-small-hours/",
        f"{NORTHLIGHT}/reviews/the-salt-meridian-1987/", f"{NORTHLIGHT}/reviews/the-ninth-lighthouse/"]
    assert entries[0] == FeedEntry(f"{NORTHLIGHT}/reviews/the-salt-meridian/",
                                   "The Salt Meridian review: the sea as a ticking clock",
                                   utc("2026-11-28T11:00:00"), utc("2026-11-28T11:00:00"))


def test_a_document_that_is_not_a_feed_is_refused():
    with pytest.raises(ValueError, match="not an RSS or Atom feed"):
        feed_entries(body("www.northlightfilm.example", "/sitemap_index.xml"))


def test_sitemap_index_news_sitemap_and_urlset():
    kind, children = read_sitemap(body("www.northlightfilm.example", "/sitemap_index.xml").encode())
    assert kind == "sitemapindex"
    assert children == [SitemapEntry(f"{NORTHLIGHT}/sitemap-reviews.xml", utc("2026-11-28T11:00:00")),
                        SitemapEntry(f"{NORTHLIGHT}/news-sitemap.xml", None)]
    kind, news = read_sitemap(body("www.northlightfilm.example", "/news-sitemap.xml").encode())
    assert kind == "urlset"
    assert news == [  # a publication date, not a lastmod
        SitemapEntry(f"{NORTHLIGHT}/reviews/the-salt-meridian/", None,
                     "The Salt Meridian review: the sea as a ticking clock", utc("2026-11-28T11:00:00")),
        SitemapEntry(f"{NORTHLIGHT}/reviews/harbour-of-small-hours/", None,
                     "Harbour of Small Hours review: small talk, big feeling", utc("2026-11-27T13:00:00"))]
    _, urls = read_sitemap(body("www.northlightfilm.example", "/sitemap-reviews.xml").encode())
    assert [(e.url.removeprefix(NORTHLIGHT), e.date.date().isoformat()) for e in urls] == [
        ("/reviews/the-salt-meridian/", "2026-11-28"), ("/reviews/harbour-of-small-hours/", "2026-11-27"),
        ("/reviews/the-salt-meridian-1987/", "2026-11-24"), ("/reviews/the-ninth-lighthouse/", "2026-09-14")]


def test_a_feed_is_not_a_sitemap():
    with pytest.raises(ValueError, match="not a sitemap"):
        read_sitemap(body("www.quarrygazette.example", "/rss.xml").encode())


def _spider(cls, tmp_path, **kwargs):
    crawler = get_crawler(cls, settings_dict={"AGGREGATOR_DB": f"sqlite:///{tmp_path / 'state.sqlite'}"})
    registry = load_registry([DISCOVERY_PUBLICATIONS], include_env=False)
    spider = cls.from_crawler(crawler, registry=registry, **kwargs)
    crawler.spider = spider
    return spider


def _feed_response():
    url = f"{QUARRY}/rss.xml"
    return TextResponse(url, body=body("www.quarrygazette.example", "/rss.xml").encode(), encoding="utf-8",
                        request=Request(url, meta={"outlet": "quarry-gazette"}))


def test_feeds_spider_requests_every_entry_of_a_full_crawl(tmp_path):
    spider = _spider(FeedsSpider, tmp_path, publications="quarry-gazette")
    assert spider.start_urls == [f"{QUARRY}/rss.xml"]
    requests = list(spider.parse_feed(_feed_response()))
    assert [r.url for r in requests] == [f"{QUARRY}/opinion/2026/11/30/letters-the-salt-meridian.html",
                                         f"{QUARRY}/arts/2026/11/29/review-the-salt-meridian.html",
                                         f"{QUARRY}/arts/2026/11/20/review-copperhead-lullaby.html"]
    assert all(r.meta["discovery"] == {"lastmod": None, "publication": "quarry-gazette", "conditional": False}
               for r in requests)


def test_feeds_spider_in_a_window_keeps_undated_entries_for_after_the_listings(tmp_path):
    spider = _spider(FeedsSpider, tmp_path, publications="quarry-gazette", since="2026-11-25T00:00:00+00:00")
    # RSS states no update date: inside the window, the pages wait until every listing is
    # read (another may date them), then are asked for conditionally
    assert list(spider.parse_feed(_feed_response())) == []
    assert list(spider._undated) == [f"{QUARRY}/opinion/2026/11/30/letters-the-salt-meridian.html",
                                     f"{QUARRY}/arts/2026/11/29/review-the-salt-meridian.html"]
    assert all(r.meta["discovery"]["conditional"] for r in spider._undated.values())
    assert spider.crawler.stats.get_value("aggregator/discovery/skipped/older_than_window") == 1


def test_sitemaps_spider_skips_an_index_child_older_than_the_window(tmp_path):
    spider = _spider(SitemapsSpider, tmp_path, publications="northlight-film", since="2026-11-29T00:00:00+00:00")
    url = f"{NORTHLIGHT}/sitemap_index.xml"
    response = XmlResponse(url, body=body("www.northlightfilm.example", "/sitemap_index.xml").encode(),
                           request=Request(url, meta={"outlet": "northlight-film"}))
    requests = list(spider.parse_sitemap(response))
    assert [r.url for r in requests] == [f"{NORTHLIGHT}/news-sitemap.xml"]  # its lastmod is unknown
    assert spider.crawler.stats.get_value("aggregator/discovery/skipped/sitemap_older_than_window") == 1


def test_a_spider_refuses_a_publication_it_cannot_serve(tmp_path):
    with pytest.raises(ValueError, match="cannot serve northlight-film"):
        _spider(FeedsSpider, tmp_path, publications="northlight-film")
    with pytest.raises(ValueError, match="no publication 'nowhere'"):
        _spider(FeedsSpider, tmp_path, publications="nowhere")


def test_a_page_is_placed_in_a_crawled_outlet_by_the_registry_domain_lookup(tmp_path):
    outlet_of = _spider(FeedsSpider, tmp_path, publications="quarry-gazette").outlet_of
    for url in (f"{QUARRY}/arts/x.html", "http://quarrygazette.example/arts/x.html",
                "https://archive.quarrygazette.example/x", "http://WWW.QuarryGazette.example./x",
                # a Wayback capture is a page of the outlet it captured (aggregator.urls)
                f"https://web.archive.org/web/20261129063000/{QUARRY}/arts/x.html"):
        assert getattr(outlet_of(url), "key", None) == "quarry-gazette", url
    for url in (f"{NORTHLIGHT}/reviews/x/",  # an outlet of the registry, not of this crawl
                "http://notquarrygazette.example/x", "http://quarrygazette.example.evil.example/x", "not a url"):
        assert outlet_of(url) is None, url


QUARRY_REVIEWS = {
    f"{QUARRY}/arts/2026/11/29/review-the-salt-meridian.html":
        ("quarry-gazette", ("Dagny Fairweather-Oyelaran",), "The Salt Meridian", None, "B+", 83.0, "2026-11-29"),
    f"{QUARRY}/arts/2026/11/20/review-copperhead-lullaby.html":
        ("quarry-gazette", ("Dagny Fairweather-Oyelaran",), "Copperhead Lullaby", None, "C", 50.0, "2026-11-20"),
}
NORTHLIGHT_REVIEWS = {
    f"{NORTHLIGHT}/reviews/the-salt-meridian/":
        ("northlight-film", ("Oskar Bellweather-Nkemelu",), "The Salt Meridian", 2026, "8/10", 80.0, "2026-11-28"),
    f"{NORTHLIGHT}/reviews/harbour-of-small-hours/":
        ("northlight-film", ("Oskar Bellweather-Nkemelu",), "Harbour of Small Hours", 2026, "6/10", 60.0, "2026-11-27"),
    f"{NORTHLIGHT}/reviews/the-salt-meridian-1987/":
        ("northlight-film", ("Mirela Quint-Adeyemi",), "The Salt Meridian", 1987, "7/10", 70.0, "2026-11-24"),
    f"{NORTHLIGHT}/reviews/the-ninth-lighthouse/":
        ("northlight-film", ("Mirela Quint-Adeyemi",), "The Ninth Lighthouse", 2026, "5/10", 50.0, "2026-09-14"),
}


def test_feeds_crawl_stores_exactly_the_feed_reviews(tmp_path, empty_db_url):
    with fixture_sites(tmp_path) as sites:
        result = sites.crawl(empty_db_url, "--spider", "feeds", "--publication", "quarry-gazette")
        fetched = sites.log.downloaded()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "reviews new 2, updated 0, unchanged 0" in result.stdout
    assert {url: summary(r) for url, r in exported(empty_db_url).items()} == QUARRY_REVIEWS
    assert "www.quarrygazette.example/opinion/2026/11/30/letters-the-salt-meridian.html" in fetched  # read, not a review
    assert all(not p.startswith(("www.cinderpost", "www.northlight")) for p in fetched)


def test_sitemaps_crawl_follows_the_index_and_reads_each_page_once(tmp_path):
    db = f"sqlite:///{tmp_path / 'sitemaps.sqlite'}"
    with fixture_sites(tmp_path) as sites:
        result = sites.crawl(db, "--spider", "sitemaps", "--publication", "northlight-film")
        fetched = sites.log.downloaded()
    assert result.returncode == 0, result.stdout + result.stderr
    assert {url: summary(r) for url, r in exported(db).items()} == NORTHLIGHT_REVIEWS
    pages = [p for p in fetched if "/reviews/" in p]
    assert sorted(pages) == sorted(u.removeprefix("http://") for u in NORTHLIGHT_REVIEWS)  # listed twice, fetched once
    assert {"www.northlightfilm.example/robots.txt", "www.northlightfilm.example/sitemap_index.xml",
            "www.northlightfilm.example/news-sitemap.xml", "www.northlightfilm.example/sitemap-reviews.xml"} <= set(fetched)


def test_an_unreadable_feed_is_counted_and_the_crawl_goes_on(tmp_path):
    db = f"sqlite:///{tmp_path / 'broken.sqlite'}"
    registry = tmp_path / "broken-feed.toml"  # replaces the fixture entry: a sitemap given as a feed
    registry.write_text(
        '[publications.northlight-film]\nname = "Northlight Film"\ndomains = ["northlightfilm.example"]\n'
        'country = "IE"\nlanguage = "en"\nscale = "points/10"\n'
        f'feeds = ["{NORTHLIGHT}/sitemap_index.xml", "{NORTHLIGHT}/atom.xml"]\n')
    with fixture_sites(tmp_path) as sites:
        result = sites.crawl(db, "--publications", str(registry), "--spider", "feeds",
                             "--publication", "northlight-film", "-v")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "'aggregator/feeds/unreadable': 1" in result.stderr and "'aggregator/feeds/read': 1" in result.stderr
    assert {url: summary(r) for url, r in exported(db).items()} == NORTHLIGHT_REVIEWS


# --- outlets with no discovery fields: robots.txt → sitemap index → dated child sitemaps ------

VESPERLINE_IN_WINDOW = {  # --since 2026-11-25: the reviews of the 27th and the 29th
    f"{VESPERLINE}/reviews/2026/11/29/orrery-of-small-mercies/":
        ("vesperline", ("Maren Quillfeather",), "Orrery of Small Mercies", 2026, "5/5", 100.0, "2026-11-29"),
    f"{VESPERLINE}/reviews/2026/11/27/a-quiet-ledger/":
        ("vesperline", ("Teodor Ashgrove-Mbeki",), "A Quiet Ledger", 2026, "4/5", 80.0, "2026-11-27"),
}


def test_period_in_url_reads_one_clean_day_or_month():
    day = (utc("2026-11-30T00:00:00"), utc("2026-12-01T00:00:00"))
    assert period_in_url("https://x.example/sitemaps/2026-11-30.xml") == day
    assert period_in_url("https://x.example/sitemap/2026/11/30/articles.xml.gz") == day
    assert period_in_url("https://x.example/sitemap-20261130.xml") == day
    assert period_in_url("https://x.example/sitemap-2026-12.xml") == (utc("2026-12-01T00:00:00"), utc("2027-01-01T00:00:00"))
    for unclear in ("https://x.example/post-sitemap2.xml", "https://x.example/sitemap-2026.xml",
                    "https://x.example/2026-11-01_2026-11-30.xml", "https://x.example/sitemaps/2026-02-31.xml"):
        assert period_in_url(unclear) is None, unclear


def test_robots_txt_url_of_a_registry_entry():
    assert robots_txt_url(("theguardian.com", "guardian.co.uk")) == "https://www.theguardian.com/robots.txt"
    assert robots_txt_url(("bbc.co.uk",)) == "https://www.bbc.co.uk/robots.txt"
    assert robots_txt_url(("vesperline.example",), (f"{VESPERLINE}/reviews/",)) == f"{VESPERLINE}/robots.txt"


def test_an_outlet_without_discovery_fields_is_crawled_through_robots_txt_in_the_window(tmp_path, empty_db_url):
    with fixture_sites(tmp_path) as sites:
        first = sites.crawl(empty_db_url, "--publications", str(ROBOTS_ONLY), "--since", "2026-11-25",
                            "--publication", "vesperline")
        requests = [(r.path, r.status) for r in sites.log.requests() if r.host == "www.vesperline.example"]
        mark = sites.log.mark()
        second = sites.crawl(empty_db_url, "--publications", str(ROBOTS_ONLY), "--since", "2026-11-25",
                            "--publication", "vesperline")
        again = [r.path for r in sites.log.since(mark) if r.host == "www.vesperline.example"]
    assert first.returncode == 0, first.stdout + first.stderr
    assert "reviews new 2, updated 0, unchanged 0" in first.stdout
    assert "skipped 3 (sitemaps older than the window 3)" in first.stdout
    # robots.txt twice (Scrapy's robots rules, then its Sitemap: line), the index, the three
    # dated children of the window, newest first, and the three pages they list; the
    # children of the 18th, the 3rd and October are never fetched.
    assert all(status == 200 for _, status in requests)
    assert [p for p, _ in requests if not p.startswith(("/reviews/", "/features/"))] == [
        "/robots.txt", "/robots.txt", "/sitemaps/index.xml",
        "/sitemaps/2026-11-29.xml", "/sitemaps/2026-11-28.xml", "/sitemaps/2026-11-27.xml"]
    assert sorted(p for p, _ in requests if p.startswith(("/reviews/", "/features/"))) == [
        "/features/2026/11/28/casting-a-quiet-ledger/", "/reviews/2026/11/27/a-quiet-ledger/",
        "/reviews/2026/11/29/orrery-of-small-mercies/"]
    assert {url: summary(r) for url, r in exported(empty_db_url).items()} == VESPERLINE_IN_WINDOW  # not the feature
    # the next scheduled run reads the sitemaps again, and no page (their lastmod is unchanged)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "reviews new 0, updated 0, unchanged 2" in second.stdout
    assert not [p for p in again if not p.startswith(("/robots.txt", "/sitemaps/"))]


def test_a_full_discovery_through_robots_txt_stops_at_the_cap(tmp_path):
    db = f"sqlite:///{tmp_path / 'cap.sqlite'}"
    with fixture_sites(tmp_path) as sites:
        capped = sites.crawl(db, "--publications", str(ROBOTS_ONLY), "--publication", "vesperline",
                             "-s", "AGGREGATOR_DISCOVERY_MAX_ENTRIES=2")
        capped_paths = [r.path for r in sites.log.requests() if r.host == "www.vesperline.example"]
        mark = sites.log.mark()
        whole = sites.crawl(f"sqlite:///{tmp_path / 'whole.sqlite'}", "--publications", str(ROBOTS_ONLY),
                            "--publication", "vesperline")
        whole_paths = [r.path for r in sites.log.since(mark) if r.host == "www.vesperline.example"]
        mark = sites.log.mark()
        few = sites.crawl(f"sqlite:///{tmp_path / 'few.sqlite'}", "--publications", str(ROBOTS_ONLY),
                          "--publication", "vesperline", "-s", "AGGREGATOR_DISCOVERY_MAX_SITEMAPS=3")
        few_paths = [r.path for r in sites.log.since(mark) if r.host == "www.vesperline.example"]
    assert few.returncode == 0, few.stdout + few.stderr
    # three sitemap documents: the index and the two newest children
    assert [p for p in few_paths if p.startswith("/sitemaps/")] == [
        "/sitemaps/index.xml", "/sitemaps/2026-11-29.xml", "/sitemaps/2026-11-28.xml"]
    assert capped.returncode == 0, capped.stdout + capped.stderr
    # newest first: two entries taken (the 29th and 28th), the older sitemaps left unread
    assert [p for p in capped_paths if p.startswith("/sitemaps/2")] == ["/sitemaps/2026-11-29.xml", "/sitemaps/2026-11-28.xml"]
    assert set(exported(db)) == {f"{VESPERLINE}/reviews/2026/11/29/orrery-of-small-mercies/"}
    assert whole.returncode == 0, whole.stdout + whole.stderr
    assert "reviews new 5," in whole.stdout  # the default cap (500) is far above the site
    assert [p for p in whole_paths if p.startswith("/sitemaps/2")] == [
        "/sitemaps/2026-11-29.xml", "/sitemaps/2026-11-28.xml", "/sitemaps/2026-11-27.xml",
        "/sitemaps/2026-11-18.xml", "/sitemaps/2026-11-03.xml", "/sitemaps/2026-10.xml"]


def test_a_real_outlet_of_the_packaged_registry_is_asked_for_its_robots_txt(tmp_path):
    # `--since` on the packaged registry's real outlets no longer stops with a usage error: the
    # crawl asks https://www.theguardian.com/robots.txt, which the fixture proxy refuses (the
    # test never leaves the machine), and ends without a review.
    db = f"sqlite:///{tmp_path / 'real.sqlite'}"
    with fixture_sites(tmp_path) as sites:
        result = sites.crawl(db, "--since", "2d", "--publication", "guardian")
        tunnels = {(r.host, r.path) for r in sites.log.requests()}
    assert result.returncode == 1, result.stdout + result.stderr  # an empty run, not a usage error (2)
    assert tunnels == {("www.theguardian.com", "CONNECT")}
    assert "reviews new 0" in result.stdout


def test_a_discovered_page_of_an_outlet_with_its_own_spider_is_read_by_that_spider(shared_dir):
    # franksmovielog's registry entry names its spider (its pages carry no structured data): a
    # page its sitemaps list is read with that spider's page hook, giving the same review.
    from aggregator.spiders.franksmovielog import FranksMovieLogSpider
    from aggregator.spiders.platforms.discover import DiscoverSpider
    from scrapy.http import HtmlResponse

    from tests.spider_harness import parse_page

    url = "https://www.franksmovielog.com/reviews/asylum-1972/"
    body = (shared_dir / "pages" / "franksmovielog" / "asylum-1972.html").read_bytes()
    crawler = get_crawler(DiscoverSpider, settings_dict={"SPIDER_MODULES": ["aggregator.spiders"]})
    spider = DiscoverSpider.from_crawler(crawler, publications="franksmovielog")
    crawler.spider = spider
    meta = {"discovery": {"publication": "franksmovielog", "lastmod": None, "conditional": False}}
    response = HtmlResponse(url=url, body=body, encoding="utf-8", request=Request(url, meta=meta))
    (discovered,) = list(spider.parse(response))
    (own,), _, _ = parse_page(url, body, FranksMovieLogSpider)
    facts = ("url", "film_raw", "film_year_raw", "rating_raw", "published_raw", "critic_urls", "publication")
    assert [getattr(discovered, f) for f in facts] == [getattr(own, f) for f in facts]
    assert (discovered.film_raw, discovered.rating_raw) == ("Asylum", "2 stars (out of 5)")
    # without the hook (another outlet's page) the generic reader reads the visible page
    # (issue 14): the same film and stars, but not the critic only the outlet's spider knows
    response = HtmlResponse(url=url, body=body, encoding="utf-8", request=Request(url))
    (generic,) = list(spider.parse(response))
    assert (generic.film_raw, generic.rating_raw, generic.critic_raw) == ("Asylum", "2 stars (out of 5)", [])
