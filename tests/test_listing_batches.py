"""Listings of reviews whose outlet pages are stored (aggregator.db.listings.apply_listings)
are written with a few set-based statements per batch, not a read and a write per review."""

from __future__ import annotations

from sqlalchemy import event, select

from aggregator.db.models import Review, ReviewRevision
from aggregator.db.session import session_factory
from aggregator.db.upsert import save_reviews
from aggregator.identity.publications import Registry
from aggregator.importers.chain import ImportPublications, normalise_item
from tests.test_rottentomatoes import PUBLICATIONS, listing, outlet_page


def _normalised(items):
    publications = ImportPublications(Registry(list(PUBLICATIONS.values())))
    for item in items:
        assert normalise_item(item, publications) == []
    return items


def _url(n: int) -> str:
    return f"https://lantern.example/reviews/film-{n}"


def _save_counting(engine, items):
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        with session_factory(engine).begin() as session:
            counts = save_reviews(session, items, PUBLICATIONS)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return counts, statements


def test_listings_onto_stored_pages_take_a_few_statements_whatever_their_number(db_engine):
    n = 40
    with session_factory(db_engine).begin() as session:
        save_reviews(session, _normalised([outlet_page(url=_url(i), page_url=_url(i)) for i in range(n)]),
                     PUBLICATIONS)

    def listings(**changes):
        return _normalised([listing(url=_url(i), **changes) for i in range(n)])

    counts, statements = _save_counting(db_engine, listings())
    assert (counts.updated, counts.unchanged) == (n, 0)
    # a constant few, whatever n: among them the films' sums counted again and their outlets'
    # leniency shares read before and after (aggregator.db.outlet_leniency_sums)
    assert len(statements) < 16, statements
    counts, statements = _save_counting(db_engine, listings())
    assert (counts.updated, counts.unchanged) == (0, n)
    assert len(statements) < 12, statements
    counts, _ = _save_counting(db_engine, listings(label_raw="Fresh"))
    assert counts.updated == n

    with session_factory(db_engine)() as session:
        rows = session.execute(select(Review.url, Review.critic_call, Review.fresh, Review.rating_raw,
                                      Review.text, Review.listing_only)).all()
        assert len(session.scalars(select(ReviewRevision)).all()) == 0  # the page's values stay
    assert {(r.critic_call, r.fresh, r.rating_raw, r.text, r.listing_only) for r in rows} == {
        ("fresh", True, "3/5", "Outlet page text.", False)}
    assert len(rows) == n


def test_a_batch_holding_a_listing_and_its_page_still_counts_the_items_it_skips(db_engine):
    items = _normalised([listing(), outlet_page()])
    other = "https://lantern.example/reviews/another-film"
    unfit = _normalised([outlet_page(url=other, page_url=other)])[0]
    unfit.publication = None  # the store checks again what validation should have caught
    with session_factory(db_engine).begin() as session:
        counts = save_reviews(session, items + [unfit], PUBLICATIONS)
    assert (counts.new, counts.skipped) == (1, {"missing_publication": 1})
