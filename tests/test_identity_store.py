"""Critic and film identity in the store (aggregator.db.critic_store, aggregator.db.film_store,
migration 0002, `aggregator film unresolved` / `film link`), on SQLite and PostgreSQL.

All outlets, critics, films and ids here are fictional.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from alembic import command
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from aggregator.cli.main import main
from aggregator.db.film_store import LinkError, link_film, unresolved_reviews
from aggregator.db.models import (
    Critic,
    CriticAlias,
    CriticProfile,
    Film,
    FilmExternalId,
    Review,
    ReviewCritic,
)
from aggregator.db.session import alembic_config, make_engine, session_factory, upgrade
from aggregator.db.upsert import UpsertCounts, save_reviews
from aggregator.items import ReviewItem
from aggregator.normalise import (
    clean_fields,
    date_review,
    identify_film,
    normalise_critics,
    rate_review,
)
from aggregator.renormalise import renormalise
from tests.factories import outlet

LANTERN = outlet("daily-lantern", "The Daily Lantern", ("lantern.example",), scale="stars/5")
GAZETTE = outlet("reel-gazette", "Reel Gazette", ("gazette.example",), scale="stars/5")
PUBLICATIONS = {entry.key: entry for entry in (LANTERN, GAZETTE)}


def item(n: int, entry=LANTERN, critics=("Wren Halloway",), profiles=None, **changes) -> ReviewItem:
    base = ReviewItem(
        url=f"https://{entry.domains[0]}/reviews/{n}", spider="test",
        publication_raw=entry.name, critic_raw=list(critics), film_raw="The Copper Tide",
        rating_raw="4/5", headline=f"The Copper Tide review {n}", text="A patient film.",
        publication=entry.key, critics=list(critics), critic_profiles=profiles or {},
        film_title="The Copper Tide", film_year=2031, rating_value=4.0, rating_best=5.0,
        rating_worst=0.0, scale="stars/5", score=80.0, verdict="positive", fresh=True,
        verdict_source="rating", published=date(2031, 5, 1),
    )  # fmt: skip
    return replace(base, **changes)


def save(engine, *items: ReviewItem) -> UpsertCounts:
    with Session(engine) as session:
        counts = save_reviews(session, list(items), PUBLICATIONS)
        session.commit()
    return counts


def critics_of(engine) -> list[tuple[str, list[tuple[str, str]]]]:
    """[(display name, sorted [(alias spelling, outlet)])] per critic, in id order."""
    with Session(engine) as session:
        critics = session.execute(select(Critic.id, Critic.name).order_by(Critic.id)).all()
        aliases = session.execute(select(CriticAlias.critic_id, CriticAlias.spelling, CriticAlias.outlet)).all()
    return [(name, sorted((s, o) for c, s, o in aliases if c == critic_id)) for critic_id, name in critics]


def authors_of(engine, url: str) -> list[int]:
    """The review's critic ids in byline order (columns only: the migration tests read a
    database at an older revision, whose reviews table lacks later columns)."""
    with Session(engine) as session:
        return list(session.scalars(
            select(ReviewCritic.critic_id).join(Review, Review.id == ReviewCritic.review_id)
            .where(Review.url == url).order_by(ReviewCritic.position)))


# --- critics -------------------------------------------------------------------------------------


def test_namesakes_on_two_outlets_without_profiles_stay_two_critics(db_engine):
    save(db_engine, item(1), item(2, GAZETTE))
    save(db_engine, item(3), item(4, GAZETTE))  # later crawls join each to its own outlet's
    assert critics_of(db_engine) == [
        ("Wren Halloway", [("Wren Halloway", "daily-lantern")]),
        ("Wren Halloway", [("Wren Halloway", "reel-gazette")]),
    ]
    lantern = authors_of(db_engine, item(1).url)
    assert authors_of(db_engine, item(3).url) == lantern != authors_of(db_engine, item(2, GAZETTE).url)


def test_a_byline_repeated_on_one_outlet_is_one_critic_with_its_spellings(db_engine):
    save(db_engine, item(1, critics=["WREN HALLOWAY"]), item(2, critics=["Wren Halloway"]))
    assert critics_of(db_engine) == [
        ("Wren Halloway", [("WREN HALLOWAY", "daily-lantern"), ("Wren Halloway", "daily-lantern")]),
    ]


def test_same_profile_url_on_two_outlets_is_one_critic_with_two_aliases(db_engine):
    page = "https://critics.example/people/wren-halloway"
    save(db_engine, item(1, critics=["Wren Halloway"], profiles={"Wren Halloway": [page]}))
    save(db_engine, item(2, GAZETTE, critics=["W. Halloway"],
                         profiles={"W. Halloway": [page.replace("https://", "http://www.") + "/"]}))
    assert critics_of(db_engine) == [
        ("Wren Halloway", [("W. Halloway", "reel-gazette"), ("Wren Halloway", "daily-lantern")]),
    ]
    with Session(db_engine) as session:
        assert session.scalars(select(CriticProfile.profile_key)).all() == [
            "critics.example/people/wren-halloway"]


def test_same_name_with_a_profile_on_both_outlets_is_one_critic(db_engine):
    save(
        db_engine,
        item(1, profiles={"Wren Halloway": ["https://lantern.example/author/wren-halloway"]}),
        item(2, GAZETTE, profiles={"Wren Halloway": ["https://gazette.example/critics/whalloway"]}),
    )
    assert critics_of(db_engine) == [
        ("Wren Halloway", [("Wren Halloway", "daily-lantern"), ("Wren Halloway", "reel-gazette")]),
    ]
    # … while a profile on one side only is no evidence: the Gazette's other namesake stays apart.
    save(db_engine, item(3, outlet("third-eye", "Third Eye", ("third.example",)),
                         publication="third-eye"))
    assert len(critics_of(db_engine)) == 2


def test_two_profiles_on_one_site_are_two_people_even_on_one_outlet(db_engine):
    save(
        db_engine,
        item(1, profiles={"Wren Halloway": ["https://lantern.example/author/wren-halloway"]}),
        item(2, profiles={"Wren Halloway": ["https://lantern.example/author/wren-halloway-2"]}),
    )
    assert len(critics_of(db_engine)) == 2
    assert authors_of(db_engine, item(1).url) != authors_of(db_engine, item(2).url)


def test_generic_profile_urls_are_no_evidence(db_engine):
    generic = {"Wren Halloway": ["https://lantern.example/author/"]}
    save(db_engine, item(1, profiles=generic), item(2, GAZETTE, profiles={
        "Wren Halloway": ["https://gazette.example/"]}))
    assert len(critics_of(db_engine)) == 2
    with Session(db_engine) as session:
        assert session.scalar(select(func.count()).select_from(CriticProfile)) == 0


# --- migration 0001 -> 0002 ----------------------------------------------------------------------


def test_migration_0002_splits_namesakes_by_outlet_and_keeps_every_row(empty_db_url):
    engine = make_engine(empty_db_url)
    upgrade(engine, "0001")
    now = "2031-01-01 00:00:00+00:00"
    with engine.begin() as connection:
        run = connection.execute
        # A fresh database numbers the rows 1, 2, 3 … in insertion order on both backends.
        run(text("INSERT INTO publications (key, name, weight, provisional) VALUES"
                 " ('daily-lantern', 'The Daily Lantern', 1, false),"
                 " ('reel-gazette', 'Reel Gazette', 1, false)"))
        for name in ("Wren Halloway", "Ivo Marsh", "Nobody Yet"):
            run(text("INSERT INTO critics (name, key) VALUES (:name, lower(:name))"), {"name": name})
        run(text("INSERT INTO films (title, year, key, uid) VALUES"
                 " ('The Copper Tide', 2031, 'copper tide', 'copper tide|2031')"))
        for review_id, publication_id in ((1, 1), (2, 2), (3, 1)):
            run(text("INSERT INTO reviews (url, publication_id, film_id, content_hash,"
                     " first_seen, last_seen, updated_at) VALUES (:url, :p, 1, 'h', :t, :t, :t)"),
                {"url": f"https://x.example/{review_id}", "p": publication_id, "t": now})
        run(text("INSERT INTO review_critics (review_id, critic_id, position) VALUES"
                 " (1, 1, 0), (2, 1, 0), (3, 1, 0), (3, 2, 1)"))
        run(text("INSERT INTO review_revisions (review_id, replaced_at, content_hash)"
                 " VALUES (1, :t, 'old')"), {"t": now})
    upgrade(engine)
    with engine.connect() as connection:
        critics = connection.execute(text("SELECT id, name, uid FROM critics ORDER BY id")).all()
        assert [tuple(c) for c in critics] == [
            (1, "Wren Halloway", "n:wrenhalloway@daily-lantern"),
            (2, "Ivo Marsh", "n:ivomarsh@daily-lantern"),
            (3, "Nobody Yet", "n:nobodyyet@"),
            (4, "Wren Halloway", "n:wrenhalloway@reel-gazette"),
        ]
        links = connection.execute(text(
            "SELECT review_id, critic_id FROM review_critics ORDER BY review_id, position")).all()
        assert [tuple(link) for link in links] == [(1, 1), (2, 4), (3, 1), (3, 2)]
        aliases = connection.execute(text(
            "SELECT critic_id, spelling, person_key, outlet FROM critic_aliases ORDER BY critic_id")).all()
        assert [tuple(a) for a in aliases] == [
            (1, "Wren Halloway", "wrenhalloway", "daily-lantern"),
            (2, "Ivo Marsh", "ivomarsh", "daily-lantern"),
            (3, "Nobody Yet", "nobodyyet", ""),
            (4, "Wren Halloway", "wrenhalloway", "reel-gazette"),
        ]
        assert connection.execute(text("SELECT count(*) FROM review_revisions")).scalar() == 1
        assert connection.execute(text(
            "SELECT count(*) FROM reviews WHERE film_id = 1 AND film_key = 'copper tide'")).scalar() == 3
        assert connection.execute(text(
            "SELECT count(*) FROM reviews WHERE film_link_manual")).scalar() == 0
    # The store goes on from there: a new Lantern review by the name joins critic 1.
    save(engine, item(9))
    assert authors_of(engine, item(9).url) == [1]
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0001")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM critics")).scalar() == 3
        assert connection.execute(text("SELECT count(*) FROM review_critics")).scalar() == 5
        assert connection.execute(text("SELECT count(*) FROM review_revisions")).scalar() == 1
    engine.dispose()


# --- films ---------------------------------------------------------------------------------------


def film_of(engine, url: str) -> tuple[int | None, str | None]:
    with Session(engine) as session:
        return session.execute(select(Review.film_id, Review.film_unresolved).where(Review.url == url)).one()


def test_an_external_id_wins_over_the_title(db_engine):
    save(db_engine, item(1, film_ids={"imdb": "tt0000001"}))
    retitled = item(2, GAZETTE, film_title="Copper Tide: The Long Night", film_year=2032,
                    film_key=None, film_ids={"imdb": "tt0000001", "wikidata": "Q999999"})
    save(db_engine, retitled)
    first, _ = film_of(db_engine, item(1).url)
    assert film_of(db_engine, retitled.url) == (first, None)
    with Session(db_engine) as session:
        assert session.scalar(select(func.count()).select_from(Film)) == 1
        ids = session.execute(select(FilmExternalId.kind, FilmExternalId.value, FilmExternalId.film_id)).all()
        assert sorted(map(tuple, ids)) == [("imdb", "tt0000001", first), ("wikidata", "Q999999", first)]


def test_a_different_id_of_the_same_title_and_year_is_not_merged(db_engine):
    save(db_engine, item(1, film_ids={"imdb": "tt0000001"}))
    save(db_engine, item(2, film_ids={"imdb": "tt0000002"}))
    assert film_of(db_engine, item(2).url) == (None, "id_conflict")


def test_ids_pointing_at_two_films_are_a_conflict(db_engine):
    save(db_engine, item(1, film_ids={"imdb": "tt0000001"}),
         item(2, film_year=2040, film_ids={"tmdb": "4242"}))
    counts = save(db_engine, item(3, film_ids={"imdb": "tt0000001", "tmdb": "4242"}))
    assert film_of(db_engine, item(3).url) == (None, "id_conflict")
    assert counts.unresolved_film == {"id_conflict": 1}


def test_undated_reviews_stored_first_are_settled_when_two_dated_films_arrive(db_engine):
    save(db_engine, item(1, film_year=None, published=date(2031, 3, 1)),
         item(2, film_year=None, published=date(2036, 3, 1)))
    save(db_engine, item(3, film_year=2031), item(4, film_year=2036))
    assert film_of(db_engine, item(1).url) == (film_of(db_engine, item(3).url)[0], None)
    assert film_of(db_engine, item(2).url) == (film_of(db_engine, item(4).url)[0], None)


# --- unresolved, listed, linked by hand ------------------------------------------------------------


def crawled(n: int, entry=LANTERN, **raw) -> ReviewItem:
    """An item as the pipelines leave it, so that renormalise rebuilds the same one."""
    values = {
        "url": f"https://{entry.domains[0]}/reviews/{n}", "spider": "test",
        "publication_raw": entry.name, "critic_raw": ["By Wren Halloway"],
        "film_raw": "The Copper Tide review", "rating_raw": "4/5", "published_raw": "14 June 2025",
        "headline": f"The Copper Tide review {n}", "text": "A patient film.", "language": "en",
        **raw,
    }  # fmt: skip
    result = ReviewItem(publication=entry.key, **values)
    clean_fields(result)
    normalise_critics(result, (entry.name, *entry.domains, result.publication_raw))
    identify_film(result)
    rate_review(result, entry)
    date_review(result)
    return result


def test_ambiguous_film_is_unresolved_listed_linked_and_the_link_survives(db_engine, capsys):
    url = db_engine.url.render_as_string(hide_password=False)
    older, newer = crawled(1, film_year_raw="2024"), crawled(2, film_year_raw="2025")
    undated = crawled(3)  # June 2025: inside the review window of both films
    assert (older.film_year, newer.film_year, undated.film_year) == (2024, 2025, None)
    counts = save(db_engine, older, newer, undated)
    assert counts.unresolved_film == {"ambiguous": 1}
    assert film_of(db_engine, undated.url) == (None, "ambiguous")
    with Session(db_engine) as session:
        [listed] = unresolved_reviews(session)
        assert (listed.url, listed.outlet, listed.film_raw, listed.published) == (
            undated.url, "daily-lantern", "The Copper Tide review", date(2025, 6, 14))
        assert [(c.title, c.year) for c in listed.candidates] == [
            ("The Copper Tide", 2024), ("The Copper Tide", 2025)]
        target = listed.candidates[1].id

    assert main(["film", "unresolved", "--db", url]) == 0
    out = capsys.readouterr().out
    assert undated.url in out and "ambiguous" in out and f"candidate film {target}:" in out
    assert main(["film", "link", undated.url, "999999", "--db", url]) == 2
    assert main(["film", "link", "https://nowhere.example/r", str(target), "--db", url]) == 2
    assert main(["film", "link", undated.url, str(target), "--db", url]) == 0
    assert film_of(db_engine, undated.url) == (target, None)
    main(["film", "unresolved", "--db", url])
    assert "no unresolved reviews" in capsys.readouterr().out

    save(db_engine, replace(undated, text="An edited, patient film."))  # a changed re-crawl
    assert film_of(db_engine, undated.url) == (target, None)
    report = renormalise(session_factory(db_engine), lookup=PUBLICATIONS.get)
    assert report.changed["film"] == 0
    assert film_of(db_engine, undated.url) == (target, None)
    with Session(db_engine) as session:
        assert session.scalar(select(Review.film_link_manual).where(Review.url == undated.url))


def test_renormalise_marks_and_keeps_an_ambiguous_review_unresolved(db_engine):
    older, newer, undated = crawled(1, film_year_raw="2024"), crawled(2, film_year_raw="2025"), crawled(3)
    save(db_engine, older, newer, replace(undated, film_title=None, film_key=None))  # an old rule
    assert film_of(db_engine, undated.url) == (None, None)
    report = renormalise(session_factory(db_engine), lookup=PUBLICATIONS.get)
    assert report.changed["film"] == 1
    assert film_of(db_engine, undated.url) == (None, "ambiguous")
    again = renormalise(session_factory(db_engine), lookup=PUBLICATIONS.get)
    assert again.rows_changed == 0


def test_link_film_errors_are_specific(db_engine):
    save(db_engine, item(1))
    with Session(db_engine) as session:
        for url, film_id, message in ((item(1).url, 12345, "no film with id 12345"),
                                      ("https://x.example/none", 1, "no review with url")):
            try:
                link_film(session, url, film_id)
            except LinkError as error:
                assert message in str(error)
            else:
                raise AssertionError("link_film accepted a bad link")
