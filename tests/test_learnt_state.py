"""What a crawl learns from the store is kept and brought up to date, not relearnt from every
review (aggregator.db.learnt_state, issue 16). All names are fictional."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

import aggregator.db.learnt_state as learnt_state
from aggregator.db.film_consensus import CrawlConsensus
from aggregator.db.history import learn_habits, scale_counts_by_publication
from aggregator.db.learnt_state import crawl_consensus, crawl_habits, crawl_scale_counts, forget
from aggregator.db.models import LearntState
from aggregator.db.session import session_factory
from aggregator.db.upsert import save_reviews
from tests.test_upsert import PUBLICATIONS, make_item


def store(engine, items) -> None:
    with Session(engine) as session:
        save_reviews(session, items, PUBLICATIONS)
        session.commit()


def labelled(n: int, score: float, fresh: bool, **changes):
    return make_item(n, score=score, label_raw="Fresh" if fresh else "Rotten", fresh=fresh,
                     verdict="positive" if fresh else "negative", verdict_source="label",
                     critic_raw=[f"Critic {n % 3}"], critics=[f"Critic {n % 3}"], **changes)


def full(engine):
    with Session(engine) as session:
        return (scale_counts_by_publication(session), learn_habits(session),
                CrawlConsensus.load(session).by_film)


def kept(engine):
    sessions = session_factory(engine)
    habits = crawl_habits(sessions)
    return crawl_scale_counts(sessions), habits, crawl_consensus(sessions).by_film


def as_compared(state):
    scales, habits, consensus = state
    return scales, habits.to_dict() if habits else None, consensus


def test_kept_state_equals_the_full_relearn_after_each_batch(db_engine):
    assert as_compared(kept(db_engine)) == as_compared(full(db_engine)) == ({}, None, {})
    store(db_engine, [labelled(n, 20.0 * (n % 5), n % 5 >= 3) for n in range(20)])
    assert as_compared(kept(db_engine)) == as_compared(full(db_engine))
    # new reviews of another film and scale, and one review changed
    store(db_engine, [labelled(100 + n, 25.0 * (n % 4), n % 4 >= 2, film_title="Cold Harbour",
                               film_key="cold harbour", scale="stars/4") for n in range(8)]
          + [labelled(3, 90.0, True, text="Rewritten.")])
    state = kept(db_engine)
    assert as_compared(state) == as_compared(full(db_engine))
    assert state[0]["daily-lantern"] == {"stars/5": 20, "stars/4": 8}


def test_an_unchanged_store_is_not_read_again(db_engine, monkeypatch):
    store(db_engine, [labelled(n, 20.0 * (n % 5), n % 5 >= 3) for n in range(10)])
    before = kept(db_engine)

    def whole_table(*args, **kwargs):
        raise AssertionError("learnt from the whole table again")

    monkeypatch.setattr(learnt_state, "learn_habits", whole_table)
    monkeypatch.setattr(learnt_state, "film_tallies", lambda session, ids=None: (
        whole_table() if ids is None else {}))
    original = learnt_state.scale_counts_by_publication
    monkeypatch.setattr(learnt_state, "scale_counts_by_publication", lambda session, keys=None: (
        whole_table() if keys is None else original(session, keys)))
    # the watermark's margin re-reads the last minutes: push the kept watermark back past it
    with Session(db_engine) as session:
        for state in session.query(LearntState):
            state.watermark += timedelta(hours=1)
        session.commit()
    assert as_compared(kept(db_engine)) == as_compared(before)


def test_a_large_store_keeps_its_habits_until_enough_labelled_reviews_arrive(db_engine, monkeypatch):
    monkeypatch.setattr(learnt_state, "SMALL_STORE", 10)
    monkeypatch.setattr(learnt_state, "RELEARN_MIN", 5)
    store(db_engine, [labelled(n, 20.0 * (n % 5), n % 5 >= 3) for n in range(20)])
    sessions = session_factory(db_engine)
    first = crawl_habits(sessions)
    store(db_engine, [labelled(200 + n, 80.0, False) for n in range(3)])  # under RELEARN_MIN
    assert crawl_habits(sessions).to_dict() == first.to_dict()
    store(db_engine, [labelled(300 + n, 80.0, False) for n in range(3)])  # 6 since: learnt again
    again = crawl_habits(sessions)
    assert again.rows == 26 and again.to_dict() == full(db_engine)[1].to_dict()


@pytest.mark.parametrize("why", ["old", "forgotten", "damaged"])
def test_an_old_forgotten_or_damaged_state_is_learnt_again_in_full(db_engine, why):
    store(db_engine, [labelled(n, 20.0 * (n % 5), n % 5 >= 3) for n in range(10)])
    kept(db_engine)
    with Session(db_engine) as session:
        if why == "old":
            for state in session.query(LearntState):
                state.computed_at -= learnt_state.FULL_AFTER + timedelta(minutes=1)
                state.data = {"counts": {"stale-outlet": {"stars/5": 99}}}
        elif why == "forgotten":
            forget(session)
        else:
            session.execute(update(LearntState).where(LearntState.name == "habits").values(data={"format": "?"}))
        session.commit()
    assert as_compared(kept(db_engine)) == as_compared(full(db_engine))
