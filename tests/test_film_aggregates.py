"""The films' kept sums (aggregator.db.film_aggregates) stay equal to what their reviews give
after every kind of write: new and updated reviews, a review moved to another film, a critic
merge, a film linked by hand, a manual verdict, an outlet's weight changed, renormalise; an
unchanged re-crawl does not touch them; migration 0014 fills them as `rebuild` does; on
PostgreSQL two writers of one film at once leave them true. The outlets' leniency sums
(aggregator.db.outlet_leniency_sums) are checked with them after each write, and on PostgreSQL
writers of different films of one outlet at once. Both backends; fictional names.
"""

from __future__ import annotations

import random
import threading
from dataclasses import replace

import pytest
from sqlalchemy import event, select

from aggregator.db import film_aggregates
from aggregator.db.critic_merge import apply_merge
from aggregator.db.film_aggregates import stale_films
from aggregator.db.film_store import link_film
from aggregator.db.models import Critic, Film, FilmAggregate, Review
from aggregator.db.outlet_leniency_sums import stale_outlets
from aggregator.db.session import alembic_config, session_factory
from aggregator.db.upsert import save_reviews
from aggregator.db.verdict_store import set_manual_verdict
from aggregator.renormalise import renormalise
from tests.test_films_top import PUBLICATIONS, item

TITLES = ("Moth and Ember", "The Glass Orchard", "Harbour Lights", "Salt Meridian")


def random_items(rng: random.Random, start: int, count: int) -> list:
    items = []
    for n in range(start, start + count):
        score = rng.choice([None, 20.0, 55.0, 70.0, 95.0])
        fresh = None if score is None and rng.random() < 0.3 else (score or 60) >= 60
        inferred = score is None and fresh is not None
        items.append(item(n, rng.choice(TITLES), 2031, f"Critic {rng.randrange(25)}", score, fresh,
                          outlet_key=rng.choice(sorted(PUBLICATIONS)), source="inferred" if inferred else "rating",
                          confidence=round(rng.uniform(0.5, 0.99), 2) if inferred else 1.0))
        if rng.random() < 0.1:  # a co-written review
            items[-1].critics = [items[-1].critics[0], f"Critic {rng.randrange(6)}"]
    return items


def assert_sums_true(session) -> None:
    """The films' kept sums and the outlets' leniency sums equal a count made now."""
    assert stale_films(session) == []
    assert stale_outlets(session) == []


def kept_rows(session) -> dict[int, tuple]:
    return {row[0]: tuple(row[1:]) for row in session.execute(
        select(FilmAggregate.film_id, *(getattr(FilmAggregate, name) for name in film_aggregates.FIGURES)))}


def test_every_kind_of_write_keeps_the_sums_true(db_engine):
    rng = random.Random(17)
    sessions = session_factory(db_engine)
    stored = random_items(rng, 0, 60)
    for start in range(0, 60, 20):  # in batches, as a crawl stores
        with sessions() as session:
            save_reviews(session, stored[start:start + 20], PUBLICATIONS)
            session.commit()
    with sessions() as session:
        assert len(kept_rows(session)) == len(TITLES)
        assert_sums_true(session)

    changed = [replace(i, score=100.0, fresh=True, verdict="positive", rating_raw="100/100", rating_value=100.0)
               for i in stored[:10]]  # updated reviews
    moved = [replace(i, film_raw="A New Film", film_title="A New Film") for i in stored[10:15]]  # another film
    with sessions() as session:
        save_reviews(session, changed + moved, PUBLICATIONS)
        session.commit()
        assert_sums_true(session)

    with sessions() as session:  # two critics are one: a film both reviewed counts them once
        ids = sorted(session.scalars(select(Critic.id).where(Critic.name.in_(["Critic 0", "Critic 1"]))))
        apply_merge(session, ids[0], ids[1:])
        session.commit()
        assert_sums_true(session)

    with sessions() as session:  # a film link made by hand, a manual verdict
        other = session.scalar(select(Film.id).where(Film.title == "Salt Meridian"))
        elsewhere = next(i for i in stored[20:] if i.film_title != "Salt Meridian")
        link_film(session, elsewhere.url, other)
        session.commit()
        assert_sums_true(session)
    with sessions() as session:
        liked = next(i for i in stored[20:] if i.fresh and i.film_title not in ("Salt Meridian", elsewhere.film_title))
        set_manual_verdict(session, liked.url, "negative")
        session.commit()
        assert_sums_true(session)

    with sessions() as session:  # an aggregator's listing of stored pages: top critics now
        listed = [replace(i, listed_at="https://listing.example/m/film", top_critic=True, label_raw="fresh")
                  for i in stored[50:60] if i.score is not None]
        assert save_reviews(session, listed, PUBLICATIONS).updated == len(listed) > 0
        session.commit()
        assert_sums_true(session)

    heavier = {**PUBLICATIONS, "reel-gazette": replace(PUBLICATIONS["reel-gazette"], weight=5.0)}
    with sessions() as session:  # an outlet's weight changed in the registry, its pages unchanged
        save_reviews(session, [i for i in stored[30:] if i.publication == "reel-gazette"][:2], heavier)
        session.commit()
        assert_sums_true(session)

    with sessions() as session:  # scores stored otherwise than their raw rating reads: renormalise
        session.execute(Review.__table__.update().where(Review.url.in_([i.url for i in stored[40:50]]))
                        .values(score=1.0))
        session.commit()
        assert stale_films(session) != []  # (written behind the store's back: the check sees it)
        film_aggregates.rebuild(session)
        session.commit()
        session.execute(Review.__table__.update().where(Review.url.in_([i.url for i in stored[40:50]]))
                        .values(score=1.0))  # and again, for renormalise to set right
        film_aggregates.films_changed(session, session.scalars(select(Film.id)))
        session.commit()
    report = renormalise(sessions, lookup=heavier.get)
    assert report.rows_changed >= 1
    with sessions() as session:
        assert_sums_true(session)


def test_an_unchanged_recrawl_leaves_the_sums_untouched(db_engine):
    sessions = session_factory(db_engine)
    stored = random_items(random.Random(3), 0, 40)
    with sessions() as session:
        save_reviews(session, stored, PUBLICATIONS)
        session.commit()
        before = kept_rows(session)
    statements = []
    listener = lambda conn, cursor, statement, *rest: statements.append(statement)  # noqa: E731
    event.listen(db_engine, "before_cursor_execute", listener)
    try:
        with sessions() as session:
            counts = save_reviews(session, stored, PUBLICATIONS)
            session.commit()
    finally:
        event.remove(db_engine, "before_cursor_execute", listener)
    assert counts.unchanged == 40
    assert not [s for s in statements if "film_aggregates" in s]
    with sessions() as session:
        assert kept_rows(session) == before


def test_migration_0014_fills_the_sums_as_rebuild_does(db_engine):
    from alembic import command

    sessions = session_factory(db_engine)
    with sessions() as session:
        save_reviews(session, random_items(random.Random(5), 0, 50), PUBLICATIONS)
        session.commit()
        before = kept_rows(session)
    with db_engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0013")
    with db_engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")
    with sessions() as session:
        after = kept_rows(session)
        assert_sums_true(session)
    assert after.keys() == before.keys()
    for film_id, row in before.items():
        assert after[film_id] == pytest.approx(row)


def write_at_once(sessions, items_by_writer: dict) -> None:
    """One thread per writer, each storing its items one per transaction, all at once."""
    errors = []

    def write(items) -> None:
        try:
            for one in items:
                with sessions() as session:
                    save_reviews(session, [one], PUBLICATIONS)
                    session.commit()
        except Exception as exc:  # pragma: no cover - the assertion below reports it
            errors.append(exc)

    writers = [threading.Thread(target=write, args=(items,)) for items in items_by_writer.values()]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    assert errors == []


def test_two_writers_of_one_film_at_once_leave_its_sums_true(db_engine):
    if db_engine.dialect.name != "postgresql":
        pytest.skip("SQLite's write lock orders writers: nothing runs at once")
    sessions = session_factory(db_engine)
    with sessions() as session:  # the film and its outlet exist before the writers start
        save_reviews(session, [item(0, "Moth and Ember", 2031, "Critic 0", 50.0, False)], PUBLICATIONS)
        session.commit()
    write_at_once(sessions, {offset: [item(1000 * offset + n, "Moth and Ember", 2031, f"Writer {offset} {n}", 90.0, True)
                                      for n in range(10)] for offset in (1, 2, 3)})
    with sessions() as session:
        assert_sums_true(session)
        assert kept_rows(session)[session.scalar(select(Film.id))][0] == 31


def test_writers_of_different_films_of_one_outlet_at_once_leave_its_leniency_sums_true(db_engine):
    # Each writer locks its own film only: the outlet's kept row is shared; a read-and-write-back
    # would lose the other writers' additions.
    if db_engine.dialect.name != "postgresql":
        pytest.skip("SQLite's write lock orders writers: nothing runs at once")
    sessions = session_factory(db_engine)
    with sessions() as session:  # the films, each with enough other reviews to count towards leniency
        save_reviews(session, [item(100 * f + n, title, 2031, f"Critic {n}", 40.0 + 5 * n, n % 2 == 0,
                                    outlet_key="daily-lantern")
                               for f, title in enumerate(TITLES[:3]) for n in range(6)], PUBLICATIONS)
        session.commit()
    write_at_once(sessions, {film: [item(1000 * (film + 1) + n, TITLES[film], 2031, f"Writer {film} {n}", 90.0, True,
                                         outlet_key="reel-gazette") for n in range(8)] for film in range(3)})
    with sessions() as session:
        assert_sums_true(session)


def test_counting_thousands_of_films_again_in_one_transaction_takes_few_locks(db_engine):
    # (a lock per film ran out of PostgreSQL's shared lock table: "out of shared memory")
    with session_factory(db_engine)() as session:
        save_reviews(session, random_items(random.Random(9), 0, 20), PUBLICATIONS)
        session.commit()
        film_aggregates.refresh(session, range(1, 20_001))
        session.commit()
        assert_sums_true(session)


def test_a_new_review_overtaken_by_a_rivals_later_one_gets_its_film_counted_again(db_engine):
    # Two crawls store a review of one film by one critic: the first to take its id commits last.
    # Its share alone would count both reviews; the rival's later id is seen and the film recounted.
    if db_engine.dialect.name != "postgresql":
        pytest.skip("SQLite's write lock orders writers: nothing runs at once")
    sessions = session_factory(db_engine)
    with sessions() as session:  # the critic and the film exist before either writer
        save_reviews(session, [item(0, "Moth and Ember", 2031, "Critic 0", 50.0, False),
                               item(1, "Harbour Lights", 2031, "Critic 9", 40.0, False)], PUBLICATIONS)
        session.commit()
    first, rival = sessions(), sessions()
    try:
        save_reviews(first, [item(2, "Harbour Lights", 2031, "Critic 0", 90.0, True)], PUBLICATIONS)
        first.flush()
        save_reviews(rival, [item(3, "Harbour Lights", 2031, "Critic 0", 10.0, False)], PUBLICATIONS)
        rival.commit()
        first.commit()
    finally:
        first.close()
        rival.close()
    with sessions() as session:
        assert_sums_true(session)
        film = session.scalar(select(Film.id).where(Film.title == "Harbour Lights"))
        assert kept_rows(session)[film][0] == 2  # Critic 9, and Critic 0 once: by the earlier-stored review


def test_new_reviews_add_their_share_without_counting_their_films_again(db_engine):
    sessions = session_factory(db_engine)
    stored = random_items(random.Random(11), 0, 40)
    with sessions() as session:
        save_reviews(session, stored[:20], PUBLICATIONS)
        session.commit()
    statements = []
    listener = lambda conn, cursor, statement, *rest: statements.append(statement)  # noqa: E731
    event.listen(db_engine, "before_cursor_execute", listener)
    try:
        with sessions() as session:
            assert save_reviews(session, stored[20:], PUBLICATIONS).new == 20
            session.commit()
    finally:
        event.remove(db_engine, "before_cursor_execute", listener)
    assert not [s for s in statements if s.lstrip().upper().startswith("DELETE FROM FILM_AGGREGATES")]
    assert [s for s in statements if s.lstrip().upper().startswith("UPDATE FILM_AGGREGATES")]
    with sessions() as session:
        assert_sums_true(session)
