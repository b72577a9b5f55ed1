"""A listing linking the outlet's review as http:// meets the page that now declares https://."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from aggregator.db.listings import scheme_twin
from aggregator.db.models import Review
from aggregator.db.session import session_factory
from tests.test_rottentomatoes import URL, listing, outlet_page, store, stored_row

HTTP_URL = "http://" + URL.removeprefix("https://")


def test_scheme_twin():
    assert scheme_twin(URL) == HTTP_URL and scheme_twin(HTTP_URL) == URL
    assert scheme_twin("ftp://lantern.example/x") is None


@pytest.mark.parametrize("order", ["listing_first", "page_first"])
def test_an_http_listing_and_the_https_page_are_one_review_keyed_on_the_page(db_engine, order):
    first, second = (listing(url=HTTP_URL), outlet_page()) if order == "listing_first" else (
        outlet_page(), listing(url=HTTP_URL))
    assert store(db_engine, first).new == 1
    assert store(db_engine, second).updated == 1
    row = stored_row(db_engine)  # exactly one row
    assert row["url"] == URL
    assert (row["rating_raw"], row["text"], row["critic_call"], row["listing_only"]) == (
        "3/5", "Outlet page text.", "rotten", False)
    assert store(db_engine, listing(url=HTTP_URL)).unchanged == 1
    assert store(db_engine, outlet_page()).unchanged == 1


def test_a_page_whose_canonical_moves_to_the_other_scheme_stays_one_row(db_engine):
    """Issue 15: a canonical that moves between http and https is one page (aggregator.db.url_identity)."""
    store(db_engine, outlet_page())
    store(db_engine, outlet_page(url=HTTP_URL, page_url=HTTP_URL))
    store(db_engine, listing(url=HTTP_URL))
    with session_factory(db_engine)() as session:
        assert sorted(session.scalars(select(Review.url))) == [URL]
