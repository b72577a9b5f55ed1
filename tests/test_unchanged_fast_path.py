"""Re-storing an unchanged page costs a key look-up and a touch (issue 16): no critic or film
resolution, a handful of statements per batch whatever its size. All names are fictional."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

import aggregator.db.upsert as upsert
from aggregator.db.models import Review
from aggregator.db.upsert import UpsertCounts, save_reviews
from tests.test_upsert import PUBLICATIONS, make_item


@contextmanager
def statements(engine):
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement.split(None, 1)[0].upper())

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def store(engine, items) -> UpsertCounts:
    with Session(engine) as session:
        counts = save_reviews(session, items, PUBLICATIONS, None)
        session.commit()
    return counts


def test_an_unchanged_batch_is_confirmed_without_identity_work(db_engine, monkeypatch):
    items = [make_item(n, critic_raw=[f"Critic {n % 7}"], critics=[f"Critic {n % 7}"]) for n in range(300)]
    assert store(db_engine, items).new == 300

    def no_identity_work(*args, **kwargs):
        raise AssertionError("identity work for an unchanged review")

    monkeypatch.setattr(upsert, "get_critic_ids", no_identity_work)
    monkeypatch.setattr(upsert, "match_films", no_identity_work)
    with statements(db_engine) as seen:
        counts = store(db_engine, [make_item(n, critic_raw=[f"Critic {n % 7}"], critics=[f"Critic {n % 7}"])
                                   for n in range(300)])
    assert (counts.new, counts.updated, counts.unchanged) == (0, 0, 300)
    assert counts.urls == {item.url for item in items}
    # a look-up per 500 urls, the outlets' rows, a touch per 500 ids: nothing per review
    assert len([s for s in seen if s in ("SELECT", "INSERT", "UPDATE", "DELETE")]) <= 6, seen


def test_a_changed_or_new_page_in_the_same_batch_takes_the_whole_path(db_engine):
    store(db_engine, [make_item(n) for n in range(3)])
    counts = store(db_engine, [make_item(0), make_item(1, text="Rewritten."), make_item(5)])
    assert (counts.new, counts.updated, counts.unchanged) == (1, 1, 1)
    with Session(db_engine) as session:
        assert session.scalar(select(func.count()).select_from(Review)) == 4
        assert session.scalar(select(Review.text).where(Review.url == make_item(1).url)) == "Rewritten."


def test_a_page_met_twice_in_a_batch_or_as_a_listing_is_not_short_cut(db_engine):
    store(db_engine, [make_item(0)])
    twice = [make_item(0), make_item(0, text="Second read wins.")]
    counts = store(db_engine, twice)
    assert (counts.updated, counts.unchanged) == (1, 0)
    with Session(db_engine) as session:
        assert session.scalar(select(Review.text)) == "Second read wins."


def test_a_batch_of_new_pages_and_new_listings_is_stored_whole(db_engine):
    from datetime import datetime, timezone

    # the listing sorts first: the executemany of its columns must not be given a page's row
    listing = make_item(0, listed_at=datetime(2031, 5, 2, tzinfo=timezone.utc), top_critic=True)
    counts = store(db_engine, [make_item(1), listing, make_item(2)])
    assert counts.new == 3
