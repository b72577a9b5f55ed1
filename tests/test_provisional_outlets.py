"""Spellings of one outlet the registry does not know share one provisional publication row
(aggregator.db.provisional_outlets, called where the store creates publications); SQLite and
PostgreSQL. The outlets are fictional."""

from __future__ import annotations

from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session

from aggregator.db import provisional_outlets
from aggregator.db.models import Publication, Review
from aggregator.db.session import session_factory
from aggregator.db.upsert import save_reviews
from aggregator.identity.publications import load_registry, provisional_group_keys
from aggregator.items import ReviewItem

REGISTRY = load_registry(include_env=False)


def review(n: int, entry, url: str) -> ReviewItem:
    return ReviewItem(url=url, publication=entry.key, publication_raw=entry.name,
                      critics=["Wren Halloway"], film_title="The Copper Tide", film_year=2031)


def outlets(engine) -> list[tuple[str, str, str | None]]:
    with Session(engine) as session:
        return [tuple(row) for row in session.execute(
            select(Publication.key, Publication.name, Publication.domain).order_by(Publication.id))]


def publication_of(engine) -> dict[str, str]:
    with Session(engine) as session:
        return dict(session.execute(select(Review.url, Publication.key).join(
            Publication, Publication.id == Review.publication_id)).all())


def save(engine, *pairs) -> None:
    with Session(engine) as session:
        save_reviews(session, [review(n, entry, url) for n, (entry, url) in enumerate(pairs)],
                     {entry.key: entry for entry, _ in pairs})
        session.commit()


def test_group_keys_of_a_name_and_its_domain_meet():
    assert provisional_group_keys("Film Blog X", None) == {"filmblogx"}
    assert provisional_group_keys("filmblogx.com", "www.filmblogx.com") == {"filmblogx"}
    assert provisional_group_keys("Film Blog X (Australia)", None) == {"filmblogx@AU"}
    assert provisional_group_keys(None, None) == frozenset()


def test_site_name_and_domain_spellings_share_one_row_in_one_batch(db_engine):
    named = REGISTRY.provisional("Film Blog X", None)  # a listing naming the outlet
    bare = REGISTRY.provisional(None, "https://www.filmblogx.com/r/2")  # a page without og:site_name
    assert named.key != bare.key  # two keys for one outlet …
    save(db_engine, (named, "https://aggregator.example/listing/1#filmblogx"),
         (bare, "https://www.filmblogx.com/r/2"))
    assert outlets(db_engine) == [("filmblogx-com", "filmblogx.com", "filmblogx.com")]  # … one row
    assert set(publication_of(db_engine).values()) == {"filmblogx-com"}


def test_a_later_spelling_joins_the_stored_row_without_rewriting_it(db_engine):
    site = REGISTRY.provisional("Film Blog X", "https://www.filmblogx.com/r/1")
    save(db_engine, (site, "https://www.filmblogx.com/r/1"))
    before = outlets(db_engine)
    assert before == [("filmblogx-com", "Film Blog X", "filmblogx.com")]
    save(db_engine, (REGISTRY.provisional("FILM BLOG X", None), "https://feeds.example/x/2"))
    save(db_engine, (REGISTRY.provisional("Film Blog X", None), "https://feeds.example/x/3"))
    assert outlets(db_engine) == before
    assert set(publication_of(db_engine).values()) == {"filmblogx-com"}


def test_a_country_qualifier_and_other_outlets_stay_apart(db_engine):
    save(db_engine, (REGISTRY.provisional("Film Blog X", "https://filmblogx.com/r/1"),
                     "https://filmblogx.com/r/1"),
         (REGISTRY.provisional("Film Blog X (Australia)", None), "https://feeds.example/au/1"),
         (REGISTRY.provisional("Reel Notes", "https://reelnotes.example/r/1"),
          "https://reelnotes.example/r/1"))
    assert [key for key, _, _ in outlets(db_engine)] == [
        "film-blog-x-australia", "filmblogx-com", "reelnotes-example"]


# --- read once per store run -------------------------------------------------------------------
# A crawl writes its batches through the sessions of one session_factory: the stored
# provisional rows are read once, and after that only the rows stored since.


def save_in_run(sessions, *pairs) -> None:
    with sessions.begin() as session:
        save_reviews(session, [review(n, entry, url) for n, (entry, url) in enumerate(pairs)],
                     {entry.key: entry for entry, _ in pairs})


class PublicationReads:
    """The statements reading provisional publication rows, and the names and domains whose
    group keys the grouping computes, while active."""

    def __init__(self, engine, monkeypatch) -> None:
        self.statements: list[str] = []
        self.grouped: list[tuple[str | None, str | None]] = []
        self.active = False
        grouping = provisional_outlets.provisional_group_keys

        def counted(name, domain):
            if self.active:
                self.grouped.append((name, domain))
            return grouping(name, domain)

        def before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
            if self.active and "FROM publications" in statement and "provisional" in statement:
                self.statements.append(" ".join(statement.split()))

        monkeypatch.setattr(provisional_outlets, "provisional_group_keys", counted)
        event.listen(engine, "before_cursor_execute", before_cursor_execute)


def test_a_later_batch_reads_only_the_provisional_rows_stored_since(db_engine, monkeypatch):
    reads = PublicationReads(db_engine, monkeypatch)
    sessions = session_factory(db_engine)
    save_in_run(sessions, (REGISTRY.provisional("Film Blog X", "https://www.filmblogx.com/r/1"),
                           "https://www.filmblogx.com/r/1"),
                (REGISTRY.provisional("Reel Notes", "https://reelnotes.example/r/1"),
                 "https://reelnotes.example/r/1"),
                (REGISTRY.provisional("Lumen Reviews", "https://lumen.example/r/1"),
                 "https://lumen.example/r/1"))
    save_in_run(sessions, (REGISTRY.provisional("Marquee Post", "https://marquee.example/r/1"),
                           "https://marquee.example/r/1"))  # reads the three stored rows, once

    reads.active = True
    save_in_run(sessions, (REGISTRY.provisional("FILM BLOG X", None), "https://feeds.example/x/2"))
    reads.active = False

    # Only the Marquee Post row is new since the last read, and only the batch's own spelling
    # is grouped besides it: the three rows read before are not read again.
    assert reads.grouped == [("Marquee Post", "marquee.example"), ("FILM BLOG X", None)]
    [read_rows] = [s for s in reads.statements if "publications.name" in s]
    assert "publications.id >" in read_rows
    assert sorted(key for key, _, _ in outlets(db_engine)) == [
        "filmblogx-com", "lumen-example", "marquee-example", "reelnotes-example"]
    assert publication_of(db_engine)["https://feeds.example/x/2"] == "filmblogx-com"


def test_a_session_of_its_own_reads_the_rows_once_across_its_batches(db_engine, monkeypatch):
    reads = PublicationReads(db_engine, monkeypatch)
    with Session(db_engine) as session:  # as benchmarks.identity_merge stores: one session
        for n, outlet_name in enumerate(["Reel Notes", "Lumen Reviews", "Marquee Post"]):
            entry = REGISTRY.provisional(outlet_name, None)
            reads.active = n == 2
            save_reviews(session, [review(n, entry, f"https://feeds.example/{n}")], {entry.key: entry})
            session.commit()
    assert reads.grouped == [("Lumen Reviews", None), ("Marquee Post", None)]


def test_a_rolled_back_batch_leaves_no_outlet_behind_in_the_run(db_engine):
    sessions = session_factory(db_engine)
    named = REGISTRY.provisional("Film Blog X", None)
    with sessions() as session:  # two batches in one transaction, then a failure
        save_reviews(session, [review(1, named, "https://feeds.example/x/1")], {named.key: named})
        other = REGISTRY.provisional("Marquee Post", None)  # reads the Film Blog X row, unsaved
        save_reviews(session, [review(2, other, "https://feeds.example/m/1")], {other.key: other})
        session.rollback()
    bare = REGISTRY.provisional(None, "https://www.filmblogx.com/r/3")
    save_in_run(sessions, (bare, "https://www.filmblogx.com/r/3"))
    assert outlets(db_engine) == [("filmblogx-com", "filmblogx.com", "filmblogx.com")]
    assert publication_of(db_engine) == {"https://www.filmblogx.com/r/3": "filmblogx-com"}


def test_a_row_another_process_commits_late_below_the_read_mark_is_found(db_engine):
    def stored_elsewhere(row_id: int, entry) -> None:
        with Session(db_engine) as session:
            session.execute(insert(Publication), [{
                "id": row_id, "key": entry.key, "name": entry.name, "domain": None,
                "country": None, "language": None, "scale": None, "weight": 1.0,
                "provisional": True}])
            session.commit()

    sessions = session_factory(db_engine)
    stored_elsewhere(1000, REGISTRY.provisional("Reel Notes", None))
    save_in_run(sessions, (REGISTRY.provisional("Marquee Post", None), "https://feeds.example/m/1"))
    named = REGISTRY.provisional("Film Blog X", None)
    stored_elsewhere(500, named)  # its id was taken before the run read up to 1000
    save_in_run(sessions, (REGISTRY.provisional(None, "https://www.filmblogx.com/r/2"),
                           "https://www.filmblogx.com/r/2"))
    assert publication_of(db_engine)["https://www.filmblogx.com/r/2"] == named.key
    assert "filmblogx-com" not in [key for key, _, _ in outlets(db_engine)]
