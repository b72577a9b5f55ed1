"""Migration 0008: stored critic profile keys rewritten to the folded (plural folder) form,
on SQLite and PostgreSQL. A database is built at revision 0007 holding keys as a store kept
them before the folding, then upgraded as every open does (`ensure_schema`).

All outlets, critics and pages here are fictional.
"""

from __future__ import annotations

import logging

from alembic import command
from sqlalchemy import text

from aggregator.cli.main import main
from aggregator.db.models import FilmAggregate, OutletFilmSums, OutletLeniencySums
from aggregator.db.session import (
    alembic_config,
    current_revisions,
    ensure_schema,
    head_revisions,
    make_engine,
    upgrade,
)
from tests.test_identity_store import GAZETTE, authors_of, item, save

MIGRATION_LOG = "aggregator.migrations.fold_profile_keys"

CRITICS = [  # (id, name, key, uid)
    (1, "Wren Halloway", "wren halloway", "p:lantern.example/author/wren-halloway"),
    (2, "Ines Valdravec", "ines valdravec", "n:inesvaldravec@reel-gazette"),
    (3, "Tobin Vale", "tobin vale", "p:aggregator.example/critics/tobin-vale"),
    (4, "T. Vale", "t vale", "n:tvale@daily-lantern"),
]
PROFILES_BEFORE = [  # (profile key, critic id, outlet)
    # renamed: the folded key is not stored
    ("lantern.example/author/wren-halloway", 1, "daily-lantern"),
    # the same critic holds both forms: the singular row goes, its outlet fills an empty one
    ("gazette.example/critic/ines-valdravec", 2, "reel-gazette"),
    ("gazette.example/critics/ines-valdravec", 2, ""),
    # … and a plural row's own outlet is kept
    ("gazette.example/writer/ines-valdravec", 2, "reel-gazette"),
    ("gazette.example/writers/ines-valdravec", 2, "third-eye"),
    # another critic holds the folded key: one person, critic 4 joins critic 3
    ("aggregator.example/critics/tobin-vale", 3, "aggregator"),
    ("aggregator.example/critic/tobin-vale", 4, "daily-lantern"),
    # not a first people folder: untouched
    ("gazette.example/by/wren-halloway", 1, "reel-gazette"),
    ("lantern.example/staff/critic/tobin-vale", 4, "daily-lantern"),
    ("lantern.example/?post_type=profile&p=7", 4, "daily-lantern"),
]
PROFILES_AFTER = [
    ("aggregator.example/critics/tobin-vale", 3, "aggregator"),
    ("gazette.example/by/wren-halloway", 1, "reel-gazette"),
    ("gazette.example/critics/ines-valdravec", 2, "reel-gazette"),
    ("gazette.example/writers/ines-valdravec", 2, "third-eye"),
    ("lantern.example/?post_type=profile&p=7", 3, "daily-lantern"),
    ("lantern.example/authors/wren-halloway", 1, "daily-lantern"),
    ("lantern.example/staff/critic/tobin-vale", 3, "daily-lantern"),
]
CRITICS_AFTER = CRITICS[:3]
JOIN_WARNING = (
    "critics 3 and 4 shared the profile page aggregator.example/critics/tobin-vale: one person,"
    " joined into critic 3 (its display name kept; `aggregator critic show 3` lists both spellings)")


def database_at_0007(url: str, profiles=PROFILES_BEFORE):
    engine = make_engine(url)
    upgrade(engine, "0007")
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO critics (id, name, key, uid) VALUES (:i, :n, :k, :u)"),
                           [{"i": i, "n": n, "k": k, "u": u} for i, n, k, u in CRITICS])
        insert_profiles(connection, profiles)
    return engine


def save_before_0009(engine, *items):
    """Save with today's store into a database at 0007: what later revisions add (0009's
    `reviews.film_reason`, 0014's, 0016's and 0018's kept sums) is there only while saving."""
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE reviews ADD COLUMN film_reason TEXT"))
        FilmAggregate.__table__.create(connection)
        OutletFilmSums.__table__.create(connection)
        OutletLeniencySums.__table__.create(connection)
    save(engine, *items)
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE reviews DROP COLUMN film_reason"))
        OutletLeniencySums.__table__.drop(connection)
        OutletFilmSums.__table__.drop(connection)
        FilmAggregate.__table__.drop(connection)


def insert_profiles(connection, profiles) -> None:
    connection.execute(text("INSERT INTO critic_profiles (profile_key, critic_id, outlet)"
                            " VALUES (:k, :c, :o)"),
                       [{"k": k, "c": c, "o": o} for k, c, o in profiles])


def stored_profiles(engine) -> list[tuple[str, int, str]]:
    with engine.connect() as connection:
        return sorted(tuple(row) for row in connection.execute(text(
            "SELECT profile_key, critic_id, outlet FROM critic_profiles")))


def stored_critics(engine) -> list[tuple[int, str, str, str]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(
            "SELECT id, name, key, uid FROM critics ORDER BY id"))]


def migration_records(caplog, level: int) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == MIGRATION_LOG and r.levelno == level]


def test_upgrade_folds_every_stored_key_and_joins_critics_sharing_a_page(empty_db_url, caplog):
    caplog.set_level(logging.INFO, logger=MIGRATION_LOG)
    engine = database_at_0007(empty_db_url)
    ensure_schema(engine)  # as every open does
    assert current_revisions(engine) == head_revisions()
    assert stored_profiles(engine) == PROFILES_AFTER
    assert stored_critics(engine) == CRITICS_AFTER  # 4 joined 3; none renamed
    assert migration_records(caplog, logging.WARNING) == [JOIN_WARNING]
    assert migration_records(caplog, logging.INFO) == [
        "profile keys folded: 1 renamed, 2 duplicates of the same critic dropped,"
        " 1 pairs of critics sharing a page joined (see the warnings)"]
    engine.dispose()


def test_critics_sharing_a_page_are_joined_with_their_reviews_and_spellings(empty_db_url, caplog):
    # Stored before the folding: the store met one person's page under two layouts and, the
    # keys differing, kept two critics (a byline on each outlet). The migration joins them.
    caplog.set_level(logging.INFO, logger=MIGRATION_LOG)
    engine = make_engine(empty_db_url)
    upgrade(engine, "0007")
    reviews = [item(1, critics=("Tobin Vale",)), item(2, critics=("Wren Halloway",)),
               item(3, GAZETTE, critics=("T. Vale",)), item(4, GAZETTE, critics=("Wren Halloway", "T. Vale"))]
    save_before_0009(engine, *reviews)
    before = {review.url: authors_of(engine, review.url) for review in reviews}
    tobin, t_vale = before[reviews[0].url][0], before[reviews[2].url][0]
    assert tobin != t_vale
    critics_before = [c[0] for c in stored_critics(engine)]
    with engine.begin() as connection:
        insert_profiles(connection, [("aggregator.example/critics/tobin-vale", tobin, "daily-lantern"),
                                     ("aggregator.example/critic/tobin-vale", t_vale, "reel-gazette"),
                                     ("gazette.example/writers/t-vale", t_vale, "reel-gazette")])
    ensure_schema(engine)
    keep, gone = min(tobin, t_vale), max(tobin, t_vale)
    assert [c[0] for c in stored_critics(engine)] == [c for c in critics_before if c != gone]
    for review in reviews:  # every review by the gone row is now by the kept one, in byline order
        assert authors_of(engine, review.url) == [keep if a == gone else a for a in before[review.url]]
    assert stored_profiles(engine) == sorted([("aggregator.example/critics/tobin-vale", tobin, "daily-lantern"),
                                              ("gazette.example/writers/t-vale", keep, "reel-gazette")])
    with engine.connect() as connection:
        spellings = sorted(connection.execute(text(
            "SELECT spelling, outlet FROM critic_aliases WHERE critic_id = :c"), {"c": keep}).all())
    assert spellings == [("T. Vale", "reel-gazette"), ("Tobin Vale", "daily-lantern")]
    assert migration_records(caplog, logging.WARNING) == [
        f"critics {keep} and {gone} shared the profile page aggregator.example/critics/tobin-vale: one person,"
        f" joined into critic {keep} (its display name kept; `aggregator critic show {keep}` lists both spellings)"]
    engine.dispose()


def test_critics_sharing_a_page_but_apart_on_another_site_are_not_joined(empty_db_url, caplog):
    caplog.set_level(logging.INFO, logger=MIGRATION_LOG)
    engine = database_at_0007(empty_db_url, [
        ("aggregator.example/critics/tobin-vale", 3, "aggregator"),
        ("aggregator.example/critic/tobin-vale", 4, "daily-lantern"),
        ("lantern.example/authors/tobin-vale", 3, "daily-lantern"),
        ("lantern.example/authors/t-vale", 4, "daily-lantern"),
    ])
    ensure_schema(engine)
    assert stored_critics(engine) == CRITICS
    assert stored_profiles(engine) == [("aggregator.example/critics/tobin-vale", 3, "aggregator"),
                                       ("lantern.example/authors/t-vale", 4, "daily-lantern"),
                                       ("lantern.example/authors/tobin-vale", 3, "daily-lantern")]
    assert migration_records(caplog, logging.WARNING) == [
        "critics 3 and 4 share the profile page aggregator.example/critics/tobin-vale but their pages on"
        " another site differ: not joined (the page stays with critic 3); `aggregator critic merge --force"
        " 3 4` joins them"]
    # the person's call: the logged command joins them
    assert main(["critic", "merge", "--force", "3", "4", "--db",
                 engine.url.render_as_string(hide_password=False)]) == 0
    assert [c[0] for c in stored_critics(engine)] == [1, 2, 3]
    engine.dispose()


def test_a_second_run_changes_nothing(empty_db_url, caplog):
    engine = database_at_0007(empty_db_url)
    upgrade(engine)
    caplog.clear()
    caplog.set_level(logging.INFO, logger=MIGRATION_LOG)
    with engine.begin() as connection:  # the downgrade is a no-op: 0008 runs again on its output
        command.downgrade(alembic_config(connection), "0007")
    assert stored_profiles(engine) == PROFILES_AFTER
    upgrade(engine)
    assert current_revisions(engine) == head_revisions()
    assert stored_profiles(engine) == PROFILES_AFTER
    assert stored_critics(engine) == CRITICS_AFTER
    assert migration_records(caplog, logging.WARNING) == []
    assert migration_records(caplog, logging.INFO) == []
    engine.dispose()


def test_keys_are_folded_in_batches_past_the_page_size(empty_db_url):
    # 1,203 singular keys (three pages of 500), among them every third also stored folded for
    # the same critic; keys that only look singular deeper in the path are interleaved.
    singular = [(f"lantern.example/critic/wren-{n:04d}", 1, "daily-lantern") for n in range(1203)]
    folded_too = [(f"lantern.example/critics/wren-{n:04d}", 1, "") for n in range(0, 1203, 3)]
    deeper = [(f"lantern.example/archive/critic/wren-{n:04d}", 2, "") for n in range(0, 1203, 7)]
    engine = database_at_0007(empty_db_url, singular + folded_too + deeper)
    upgrade(engine)
    expected = sorted([(f"lantern.example/critics/wren-{n:04d}", 1, "daily-lantern")
                       for n in range(1203)] + deeper)
    assert stored_profiles(engine) == expected
    engine.dispose()


def test_a_migrated_key_finds_its_critic_from_a_new_layout_page(empty_db_url):
    # A critic stored with a 2021-layout profile key; after the migration, another outlet's
    # byline giving the 2024-layout URL of that page joins the same critic.
    engine = make_engine(empty_db_url)
    upgrade(engine, "0007")
    save_before_0009(engine, item(1))
    with engine.begin() as connection:
        [lantern] = connection.execute(text("SELECT id FROM critics")).scalars().all()
        insert_profiles(connection, [("lantern.example/author/wren", lantern, "daily-lantern")])
    ensure_schema(engine)
    save(engine, item(2, GAZETTE, profiles={"Wren Halloway": ["https://lantern.example/authors/wren"]}))
    assert authors_of(engine, item(2, GAZETTE).url) == [lantern]
    assert stored_profiles(engine) == [("lantern.example/authors/wren", lantern, "daily-lantern")]
    engine.dispose()
