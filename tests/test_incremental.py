"""Incremental crawls (`aggregator crawl --since`): the window, what is not downloaded again,
changed reviews revised, and the run's counts — real crawls through the fixture server."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from aggregator.crawl.fetch_state import parse_entry_date, parse_since
from aggregator.db.models import FetchState, Review, ReviewRevision
from aggregator.db.session import make_engine, session_factory
from tests.discovery_harness import NORTHLIGHT, QUARRY, aggregator, exported, fixture_sites

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)
SINCE = "2026-11-25"
# Inside the window (from 2026-11-25): what the first run must store.
IN_WINDOW = {
    "http://www.cinderpost.example/2026/11/26/meridian-review/",
    "http://www.cinderpost.example/2026/11/27/the-salt-meridian-review/",
    "http://www.cinderpost.example/2026/11/28/harbour-of-small-hours-review/",
    f"{NORTHLIGHT}/reviews/the-salt-meridian/",
    f"{NORTHLIGHT}/reviews/harbour-of-small-hours/",
    f"{QUARRY}/arts/2026/11/29/review-the-salt-meridian.html",
}
REVIEW_PAGES = ("/reviews/", "/arts/", "/opinion/", "/2026/")


def test_parse_since_reads_durations_and_dates():
    assert parse_since("2d", NOW) == NOW - timedelta(days=2)
    assert parse_since("12h", NOW) == NOW - timedelta(hours=12)
    assert parse_since("1w", NOW) == NOW - timedelta(weeks=1)
    assert parse_since("2026-11-27", NOW) == datetime(2026, 11, 27, tzinfo=timezone.utc)
    assert parse_since("2026-11-27T09:00:00+01:00", NOW) == datetime(2026, 11, 27, 8, tzinfo=timezone.utc)
    with pytest.raises(ValueError, match="duration"):
        parse_since("yesterday", NOW)


def test_parse_entry_date_reads_w3c_and_rfc822():
    assert parse_entry_date("2026-11-27T09:00:00Z") == datetime(2026, 11, 27, 9, tzinfo=timezone.utc)
    assert parse_entry_date("Fri, 27 Nov 2026 09:00:00 GMT") == datetime(2026, 11, 27, 9, tzinfo=timezone.utc)
    assert parse_entry_date("2026-11-27") == datetime(2026, 11, 27, tzinfo=timezone.utc)
    assert parse_entry_date("not a date") is None and parse_entry_date(None) is None


def review_downloads(log, mark: int) -> list[str]:
    return sorted(p for p in log.downloaded(mark) if p.split(".example", 1)[1].startswith(REVIEW_PAGES))


def test_second_run_downloads_no_review_page_and_a_changed_one_is_revised(tmp_path, empty_db_url):
    with fixture_sites(tmp_path) as sites:
        first = sites.crawl(empty_db_url, "--since", SINCE)
        assert first.returncode == 0, first.stdout + first.stderr
        assert "reviews new 6, updated 0, unchanged 0" in first.stdout
        assert "skipped 3 (older than the window)" in first.stdout
        assert set(exported(empty_db_url)) == IN_WINDOW

        mark = sites.log.mark()
        second = sites.crawl(empty_db_url, "--since", SINCE)
        assert second.returncode == 0, second.stdout + second.stderr
        assert review_downloads(sites.log, mark) == []  # the measure: no review page again
        assert "reviews new 0, updated 0, unchanged 6" in second.stdout
        # RSS gives no update date: its pages were asked for conditionally and answered 304
        conditional = {(r.path, r.status) for r in sites.log.since(mark) if r.conditional}
        assert conditional == {("/arts/2026/11/29/review-the-salt-meridian.html", 304),
                               ("/opinion/2026/11/30/letters-the-salt-meridian.html", 304)}

        # a changed review on a sitemap site (newer lastmod) and on an RSS site (new ETag)
        sites.change("www.northlightfilm.example", {"path": "/reviews/the-salt-meridian/"},
                     rating="6", modified="2026-11-30T08:00:00")
        sites.change("www.quarrygazette.example", {"path": "/arts/2026/11/29/review-the-salt-meridian.html"},
                     body=["The Salt Meridian keeps its characters on a causeway; on a second look, too long.",
                           "Grade: B-"])
        # a sitemap lastmod bumped without a change to the page (a comment): a conditional 304
        sites.change("www.northlightfilm.example", {"path": "/reviews/harbour-of-small-hours/"},
                     listed_modified="2026-11-30T09:00:00")
        mark = sites.log.mark()
        third = sites.crawl(empty_db_url, "--since", SINCE)
        assert third.returncode == 0, third.stdout + third.stderr
        assert review_downloads(sites.log, mark) == [
            "www.northlightfilm.example/reviews/the-salt-meridian/",
            "www.quarrygazette.example/arts/2026/11/29/review-the-salt-meridian.html"]
        assert ("/reviews/harbour-of-small-hours/", 304) in {(r.path, r.status) for r in sites.log.since(mark)}
        assert "reviews new 0, updated 2, unchanged 4" in third.stdout

    engine = make_engine(empty_db_url)
    with session_factory(engine)() as session:
        revised = {review.url: (review.rating_raw, [(r.rating_raw, r.score) for r in session.scalars(
            select(ReviewRevision).where(ReviewRevision.review_id == review.id))])
            for review in session.scalars(select(Review).where(Review.url.in_(
                [f"{NORTHLIGHT}/reviews/the-salt-meridian/", f"{QUARRY}/arts/2026/11/29/review-the-salt-meridian.html"])))}
        states = {s.url: s for s in session.scalars(select(FetchState))}
    engine.dispose()
    assert revised == {f"{NORTHLIGHT}/reviews/the-salt-meridian/": ("6/10", [("8/10", 80.0)]),
                       f"{QUARRY}/arts/2026/11/29/review-the-salt-meridian.html": ("B-", [("B+", 83.0)])}
    page = states[f"{NORTHLIGHT}/reviews/the-salt-meridian/"]
    assert page.etag and page.last_modified == "Mon, 30 Nov 2026 08:00:00 GMT"
    assert page.review_url == f"{NORTHLIGHT}/reviews/the-salt-meridian/"
    assert states[f"{QUARRY}/opinion/2026/11/30/letters-the-salt-meridian.html"].review_url is None

    runs = aggregator("runs", "--db", empty_db_url).stdout
    assert "0/2/4/3" in runs and "0/0/6/3" in runs and "6/0/0/3" in runs


def test_a_page_a_film_crawl_dropped_is_still_fetched_by_the_next_incremental_crawl(tmp_path):
    db = f"sqlite:///{tmp_path / 'film-then-since.sqlite'}"
    with fixture_sites(tmp_path) as sites:
        film = sites.crawl(db, "--film", "The Salt Meridian", "--year", "2026")
        assert film.returncode == 0, film.stdout + film.stderr
        assert len(exported(db)) == 3
        since = sites.crawl(db, "--since", SINCE)
    assert since.returncode == 0, since.stdout + since.stderr
    # the Meridian review (another film, dropped by the film crawl) is stored now
    assert set(exported(db)) == IN_WINDOW
    assert "reviews new 3, updated 0, unchanged 3" in since.stdout


def test_one_publication_incremental_and_a_refused_spider(tmp_path):
    db = f"sqlite:///{tmp_path / 'one.sqlite'}"
    with fixture_sites(tmp_path) as sites:
        one = sites.crawl(db, "--since", SINCE, "--publication", "quarry-gazette")
        wrong = sites.crawl(db, "--since", SINCE, "--spider", "structured_data")
        bad = sites.crawl(db, "--since", "soon")
    assert one.returncode == 0, one.stdout + one.stderr
    assert set(exported(db)) == {f"{QUARRY}/arts/2026/11/29/review-the-salt-meridian.html"}
    assert wrong.returncode == 2 and "work with the spiders" in wrong.stderr
    assert bad.returncode == 2 and "duration" in bad.stderr


def test_migration_0005_on_a_database_that_holds_runs(empty_db_url):
    from sqlalchemy import text

    from aggregator.db.session import upgrade

    engine = make_engine(empty_db_url)
    upgrade(engine, "0004")
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO crawl_runs (spider, started_at, status, pages, items_scraped, "
                                "reviews_new, reviews_updated, reviews_unchanged, errors) "
                                "VALUES ('old', CURRENT_TIMESTAMP, 'ok', 1, 1, 1, 0, 0, 0)"))
    upgrade(engine)
    with engine.begin() as connection:
        assert connection.execute(text("SELECT spider, reviews_skipped FROM crawl_runs")).all() == [("old", 0)]
        assert connection.execute(text("SELECT count(*) FROM fetch_state")).scalar() == 0
    engine.dispose()


def test_a_platform_spider_the_packaged_registry_cannot_feed_is_a_usage_error(tmp_path):
    # Refused before the crawl starts (no request made): the packaged outlets name no sitemaps.
    db = f"sqlite:///{tmp_path / 'refused.sqlite'}"
    sitemaps = aggregator("crawl", "--db", db, "--since", "2d", "--spider", "sitemaps")
    unknown = aggregator("crawl", "--db", db, "--since", "2d", "--publication", "no-such-outlet")
    assert sitemaps.returncode == 2 and "spider 'sitemaps' cannot serve guardian" in sitemaps.stderr
    assert unknown.returncode == 2 and "no publication 'no-such-outlet' in the registry" in unknown.stderr


def test_spider_arguments_and_settings_must_be_name_value_pairs(tmp_path, capsys):
    # refused before any crawl: a bare `-s NAME` used to set the setting to "" unnoticed
    from aggregator.cli.main import main

    db = f"sqlite:///{tmp_path / 'pairs.sqlite'}"
    for args, bad in ((["--url", "http://127.0.0.1:9/x", "-a", "follow"], "-a 'follow'"),
                      (["--url", "http://127.0.0.1:9/x", "-s", "DOWNLOAD_DELAY"], "-s 'DOWNLOAD_DELAY'"),
                      (["--since", "2d", "-a", "=1"], "-a '=1'")):
        assert main(["crawl", "--db", db, *args]) == 2
        assert f"aggregator crawl: {bad}: expected NAME=VALUE" in capsys.readouterr().err
