"""`aggregator renormalise` on rows an aggregator's listing wrote or filled in
(aggregator.db.listings): it must not make the next crawl of an unchanged page or listing
look like a change (the crawl hashes the item it fetched, not the merged row)."""

from __future__ import annotations

import pytest

from aggregator.db.session import session_factory
from aggregator.renormalise import renormalise
from tests.test_rottentomatoes import listing, outlet_page, store, stored_row


@pytest.mark.parametrize("order", ["listing_first", "page_first"])
def test_a_merged_row_is_left_as_it_was_and_the_next_crawl_finds_it_unchanged(db_engine, order):
    first, second = (listing(), outlet_page()) if order == "listing_first" else (outlet_page(), listing())
    store(db_engine, first)
    store(db_engine, second)
    before = stored_row(db_engine)
    renormalise(session_factory(db_engine), verdict_model=None)
    assert stored_row(db_engine) == before
    assert store(db_engine, outlet_page()).unchanged == 1
    assert store(db_engine, listing()).unchanged == 1
    assert stored_row(db_engine)["revisions"] == before["revisions"]


def test_a_listing_only_row_is_left_as_it_was_and_the_next_crawl_finds_it_unchanged(db_engine):
    store(db_engine, listing())
    before = stored_row(db_engine)
    renormalise(session_factory(db_engine), verdict_model=None)
    assert stored_row(db_engine) == before
    assert store(db_engine, listing()).unchanged == 1
