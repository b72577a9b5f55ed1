"""A re-crawl that credits a review to another film or critic keeps what it was (issue 15,
item 12), and the film row a corrected title empties is deleted (aggregator.db.revisions).

All outlets, critics and films here are fictional.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aggregator.db.film_store import link_film
from aggregator.db.models import Film, FilmExternalId, Review, ReviewRevision
from aggregator.db.upsert import save_reviews
from tests.test_upsert import PUBLICATIONS, make_item


def store(engine, *items) -> None:
    with Session(engine) as session:
        save_reviews(session, list(items), PUBLICATIONS)
        session.commit()


def films(engine) -> list[tuple[str, int | None]]:
    with Session(engine) as session:
        return sorted(session.execute(select(Film.title, Film.year)).all())


def revisions(engine) -> list[ReviewRevision]:
    with Session(engine) as session:
        return list(session.scalars(select(ReviewRevision).order_by(ReviewRevision.id)))


def test_a_corrected_title_keeps_the_old_film_in_a_revision_and_leaves_no_orphan(db_engine):
    wrong = make_item(1, film_raw="The Glass Orchrd", film_title="The Glass Orchrd",
                      film_key="glass orchrd", film_ids_raw=["tt0000001"])
    other = make_item(2)  # another review, of the right film, from the start
    store(db_engine, wrong, other)
    assert films(db_engine) == [("The Glass Orchard", 2031), ("The Glass Orchrd", 2031)]

    store(db_engine, replace(wrong, film_raw="The Glass Orchard", film_title="The Glass Orchard",
                             film_key="glass orchard", film_ids_raw=[]))
    assert films(db_engine) == [("The Glass Orchard", 2031)]  # the misspelt film is gone
    with Session(db_engine) as session:
        assert session.scalar(select(func.count()).select_from(FilmExternalId)) == 0
        assert session.scalar(select(func.count(func.distinct(Review.film_id)))) == 1
    [revision] = revisions(db_engine)
    assert (revision.film_title, revision.film_year) == ("The Glass Orchrd", 2031)
    assert [critic["name"] for critic in revision.critics] == ["Ada Fenwick"]
    assert (revision.score, revision.text) == (80.0, "A patient, luminous film.")


def test_a_new_byline_keeps_the_previous_critics(db_engine):
    store(db_engine, make_item(1))
    store(db_engine, make_item(1, critic_raw=["Bo Marsh", "Ada Fenwick"], critics=["Bo Marsh", "Ada Fenwick"]))
    [revision] = revisions(db_engine)
    assert [critic["name"] for critic in revision.critics] == ["Ada Fenwick"]
    assert (revision.film_title, revision.film_year) == ("The Glass Orchard", 2031)


def test_an_unchanged_credit_with_new_text_is_one_revision_and_a_film_kept_by_others_stays(db_engine):
    store(db_engine, make_item(1), make_item(2))
    store(db_engine, make_item(1, text="A patient, luminous film. Updated."))
    [revision] = revisions(db_engine)
    assert revision.text == "A patient, luminous film."
    assert films(db_engine) == [("The Glass Orchard", 2031)]
    store(db_engine, make_item(1, text="A patient, luminous film. Updated."))  # the same again
    assert len(revisions(db_engine)) == 1


def test_a_manual_link_deletes_the_film_it_empties(db_engine):
    store(db_engine, make_item(1, film_title="Glass Orchard Review", film_key="glass orchard review"),
          make_item(2))
    with Session(db_engine) as session:
        right = session.scalar(select(Film.id).where(Film.title == "The Glass Orchard"))
        link_film(session, make_item(1).url, right)
        session.commit()
    assert films(db_engine) == [("The Glass Orchard", 2031)]
