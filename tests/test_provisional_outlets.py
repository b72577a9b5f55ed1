"""Spellings of one outlet the registry does not know share one provisional publication row
(aggregator.db.provisional_outlets, called where the store creates publications); SQLite and
PostgreSQL. The outlets are fictional."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.db.models import Publication, Review
from aggregator.db.upsert import save_reviews
from aggregator.items import ReviewItem
from aggregator.publications import load_registry, provisional_group_keys

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
