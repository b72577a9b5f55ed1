"""The outlets' kept leniency sums (aggregator.db.outlet_leniency_sums): the leniency table reads
them at the default minimum of other reviews and gives what summing the (outlet, film) pairs
gives; a kept row written behind the store's back is seen by the check and by the table (so the
table does read it); rebuild sets it right. Both backends; fictional names.
"""

from __future__ import annotations

import random

import pytest
from sqlalchemy import event, select, update

from aggregator.db import outlet_leniency_sums
from aggregator.db.models import OutletLeniencySums
from aggregator.db.outlet_leniency_sums import KEPT_MIN_OTHER_REVIEWS, SUMS, leniency_sums, stale_outlets
from aggregator.db.session import session_factory
from aggregator.db.upsert import save_reviews
from aggregator.query.outlet_leniency import outlet_leniencies, outlet_table
from tests.test_film_aggregates import random_items
from tests.test_films_top import PUBLICATIONS


def stored_store(db_engine, seed: int = 23, reviews: int = 160):
    sessions = session_factory(db_engine)
    items = random_items(random.Random(seed), 0, reviews)
    for start in range(0, reviews, 40):
        with sessions() as session:
            save_reviews(session, items[start:start + 40], PUBLICATIONS)
            session.commit()
    return sessions


def summed(session) -> dict[int, dict]:
    return {row["outlet"]: dict(row) for row in session.execute(leniency_sums(KEPT_MIN_OTHER_REVIEWS)).mappings()}


def test_the_table_reads_the_kept_rows_and_they_equal_the_pairs_summed(db_engine):
    sessions = stored_store(db_engine)
    with sessions() as session:
        assert stale_outlets(session) == []
        kept = {row["publication_id"]: row for row in session.execute(select(OutletLeniencySums.__table__)).mappings()}
        by_pairs = summed(session)
        assert set(kept) == set(by_pairs) != set()
        assert any(row["lenient_n"] > 0 for row in kept.values())  # the store is big enough to compare
        for outlet, row in by_pairs.items():
            for name in SUMS:
                assert float(kept[outlet][name]) == pytest.approx(float(row[name] or 0), abs=1e-9)

        statements = []
        listener = lambda conn, cursor, statement, *rest: statements.append(statement)  # noqa: E731
        event.listen(db_engine, "before_cursor_execute", listener)
        try:
            table = outlet_table(session, min_reviews=0)
        finally:
            event.remove(db_engine, "before_cursor_execute", listener)
        assert [s for s in statements if "outlet_leniency_sums" in s]
        assert not [s for s in statements if "outlet_film_sums" in s]
        assert table.entries  # (that the figures equal outlet_profile's: tests/test_outlets_query.py's property)


def test_a_kept_row_changed_behind_the_stores_back_is_seen_and_rebuilt(db_engine):
    sessions = stored_store(db_engine, seed=29)
    with sessions() as session:
        target = max(summed(session).items(), key=lambda item: item[1]["lenient_n"])[0]
        before = {e.key: e.leniency.value for e in outlet_leniencies(session)}
        session.execute(update(OutletLeniencySums).where(OutletLeniencySums.publication_id == target)
                        .values(lenient_sum=OutletLeniencySums.lenient_sum + 1000.0))
        session.commit()
        assert stale_outlets(session) == [target]
        after = {e.key: e.leniency.value for e in outlet_leniencies(session)}
        assert [k for k in before if before[k] != after[k]]  # the table read the damaged row
        outlet_leniency_sums.rebuild(session)
        session.commit()
        assert stale_outlets(session) == []
        assert {e.key: e.leniency.value for e in outlet_leniencies(session)} == pytest.approx(before)


def test_another_minimum_sums_the_pairs(db_engine):
    sessions = stored_store(db_engine, seed=31)
    with sessions() as session:
        session.execute(update(OutletLeniencySums).values(lenient_n=0, lenient_sum=0.0, agree_n=0))
        session.commit()  # the kept rows are wrong now: a table at another minimum must not read them
        other = {e.key: e.leniency.denominator for e in outlet_leniencies(session, min_other_reviews=3)}
        assert any(other.values())
