"""A page counts as fetched (its fetch_state row, with the server's validators, is written) only
when its outcome is settled: every review it gave was stored, or it held none, or a 304
confirmed the stored copy. A page whose review a pipeline dropped, the store refused or a
failed batch lost, or whose callback never ran to its end, is requested again by the next
crawl, without validators."""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone

from scrapy.exceptions import DropItem
from sqlalchemy import select

from aggregator.crawl.fetch_state import FetchStates
from aggregator.db.models import CrawlRun, FetchState
from aggregator.db.session import make_engine, session_factory
from aggregator.settings import ITEM_PIPELINES
from tests.discovery_harness import CINDER, NORTHLIGHT, QUARRY, REPO, exported, fixture_sites

WHEN = datetime(2026, 11, 27, 13, 0, tzinfo=timezone.utc)
SINCE = "2026-11-25"
REFUSED_PAGE = "/reviews/harbour-of-small-hours/"  # Northlight: a sitemap entry with its lastmod
DROPPED_PAGE = "/arts/2026/11/29/review-the-salt-meridian.html"  # the Quarry Gazette: an RSS entry
FAILED_PAGE = "/2026/11/28/harbour-of-small-hours-review/"  # Cinderpost: a WordPress API post
UNFIT = {REFUSED_PAGE: "refuse", DROPPED_PAGE: "drop", FAILED_PAGE: "fail"}
PAGES = {f"{NORTHLIGHT}{REFUSED_PAGE}", f"{QUARRY}{DROPPED_PAGE}", f"{CINDER}{FAILED_PAGE}"}


class SpoilNamedPages:
    """What can befall a review between its page and the database, for the pages named in
    AGGREGATOR_TEST_UNFIT ({path: how}): "drop" (a pipeline drops it, as the validate pipeline
    does), "refuse" (a value the store refuses: a film year that is not a number), "fail" (a
    pipeline raises)."""

    def process_item(self, item):
        spoil = json.loads(os.environ.get("AGGREGATOR_TEST_UNFIT", "{}"))
        how = next((how for path, how in spoil.items() if (item.page_url or "").endswith(path)), None)
        if how == "drop":
            raise DropItem("spoilt by the test")
        if how == "refuse":
            item.film_year = str(item.film_year)
        if how == "fail":
            raise RuntimeError("a pipeline failed on this item")
        return item


def test_pages_whose_review_was_not_stored_are_requested_again_without_validators(
        tmp_path, empty_db_url, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    monkeypatch.setenv("AGGREGATOR_TEST_UNFIT", json.dumps(UNFIT))
    pipelines = {**ITEM_PIPELINES, "tests.test_fetch_state_settled.SpoilNamedPages": 750}
    with fixture_sites(tmp_path) as sites:
        first = sites.crawl(empty_db_url, "--since", SINCE, "-s", f"ITEM_PIPELINES={json.dumps(pipelines)}")
        assert first.returncode == 0, first.stdout + first.stderr
        assert "reviews new 3, updated 0, unchanged 0" in first.stdout
        assert "store/invalid_film_year 1" in _dropped(empty_db_url)  # refused by the store
        assert PAGES.isdisjoint(exported(empty_db_url)) and PAGES.isdisjoint(_state_urls(empty_db_url))

        # the next crawl, with nothing in the way: each page is asked afresh (or, for the API
        # post, not skipped by its date) and its review stored
        monkeypatch.delenv("AGGREGATOR_TEST_UNFIT")
        mark = sites.log.mark()
        second = sites.crawl(empty_db_url, "--since", SINCE)
        asked = {(r.path, r.status, r.conditional) for r in sites.log.since(mark)}
    assert second.returncode == 0, second.stdout + second.stderr
    assert (REFUSED_PAGE, 200, False) in asked and (DROPPED_PAGE, 200, False) in asked
    assert "reviews new 3, updated 0, unchanged 3" in second.stdout
    assert PAGES <= set(exported(empty_db_url)) and PAGES <= _state_urls(empty_db_url)


def _dropped(db: str) -> str:
    engine = make_engine(db)
    with session_factory(engine)() as session:
        text = " ".join(f"{k} {v}" for run in session.scalars(select(CrawlRun)) for k, v in (run.dropped or {}).items())
    engine.dispose()
    return text


def _state_urls(db: str) -> set[str]:
    engine = make_engine(db)
    with session_factory(engine)() as session:
        urls = set(session.scalars(select(FetchState.url)))
    engine.dispose()
    return urls


def _url(name: str) -> str:
    return f"https://lantern.example/{name}"


def test_only_settled_pages_are_written(db_engine):
    sessions = session_factory(db_engine)
    first = FetchStates(sessions)
    for name in ("stored", "no-review", "refused", "lost-batch", "dropped", "never-read", "half-stored"):
        first.fetched(_url(name), status=200, etag=f'"{name}"', last_modified=None, lastmod=WHEN)
    first.page_read(_url("stored"), 1)
    first.review_passed(_url("stored"), _url("stored#review"))
    first.page_read(_url("no-review"), 0)  # an interview, a news story: nothing to wait for
    first.page_read(_url("refused"), 1)
    first.review_passed(_url("refused"), _url("refused"))  # reached the store, which refused it
    first.page_read(_url("lost-batch"), 1)
    first.review_passed(_url("lost-batch"), _url("lost-batch"))  # its batch failed
    first.page_read(_url("dropped"), 1)
    first.not_stored(_url("dropped"))
    # never-read: the response came, its callback failed (or the crawl stopped) before its end
    first.page_read(_url("half-stored"), 2)
    first.review_passed(_url("half-stored"), _url("half-stored#1"))  # the other raised in a pipeline
    first.reviews_stored([_url("stored#review"), _url("half-stored#1")])
    assert first.save() == 2

    second = FetchStates(sessions)
    assert second.held_review(_url("stored")) and second.conditional_headers(_url("no-review"))
    assert not second.held_review(_url("no-review"))
    for name in ("refused", "lost-batch", "dropped", "never-read", "half-stored"):
        assert second.conditional_headers(_url(name)) == {} and not second.unchanged_since_stored(_url(name), WHEN)
    second.fetched(_url("stored"), status=304, etag=None, last_modified=None, lastmod=WHEN)
    assert second.save() == 1  # a 304 is settled: it confirms a copy that was
    with sessions() as session:
        row = session.get(FetchState, _url("stored"))
        assert (row.status, row.etag, row.review_url) == (304, '"stored"', _url("stored#review"))
