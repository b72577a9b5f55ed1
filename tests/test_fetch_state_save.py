"""FetchStates.save writes a crawl's learnt states in a few set-based statements (not a
read-and-write per URL) and replaces the stored state of a URL fetched again."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import event, select

from aggregator.crawl.fetch_state import FetchStates
from aggregator.db.models import FetchState
from aggregator.db.session import session_factory

WHEN = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)
LATER = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)


def _url(n: int) -> str:
    return f"https://lantern.example/reviews/{n}"


def test_states_are_written_in_a_few_statements_and_a_refetch_replaces_the_old(db_engine):
    sessions = session_factory(db_engine)
    first = FetchStates(sessions)
    for n in range(1200):
        first.fetched(_url(n), status=200, etag=f'"e{n}"', last_modified=None, lastmod=WHEN)
        first.page_read(_url(n), 1 if n < 2 else 0)
    first.review_passed(_url(0), _url(0))
    first.reviews_stored([_url(0)])
    first.not_stored(_url(1))

    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db_engine, "before_cursor_execute", listener)
    try:
        assert first.save() == 1199
    finally:
        event.remove(db_engine, "before_cursor_execute", listener)
    writes = [s for s in statements if s.lstrip().upper().startswith("INSERT")]
    assert len(writes) == 3 and len(statements) <= 5  # chunks of 500

    second = FetchStates(sessions)
    assert second.unchanged_since_stored(_url(0), WHEN) and second.held_review(_url(0))
    assert second.conditional_headers(_url(1)) == {} and not second.held_review(_url(1))  # dropped: not written
    second.fetched(_url(0), status=304, etag=None, last_modified=None, lastmod=LATER)
    second.fetched(_url(2), status=200, etag='"new"', last_modified="Fri, 20 Nov 2026 09:00:00 GMT",
                   lastmod=LATER)
    second.page_read(_url(2), 0)
    assert second.save() == 2

    with sessions() as session:
        rows = {row.url: row for row in session.scalars(select(FetchState).where(
            FetchState.url.in_([_url(0), _url(2), _url(3)])))}
    assert (rows[_url(0)].etag, rows[_url(0)].status, rows[_url(0)].review_url, rows[_url(0)].lastmod) == (
        '"e0"', 304, _url(0), LATER)  # a 304 keeps the validators and the review it held
    assert (rows[_url(2)].etag, rows[_url(2)].last_modified, rows[_url(2)].lastmod) == (
        '"new"', "Fri, 20 Nov 2026 09:00:00 GMT", LATER)
    assert (rows[_url(3)].etag, rows[_url(3)].lastmod) == ('"e3"', WHEN)  # not fetched again: kept
