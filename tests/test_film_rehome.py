"""An undated review joined to the only dated film of its title is chosen again when a second
film of that title is stored (aggregator.db.film_store, `Review.film_match`, migration 0007);
SQLite and PostgreSQL. Films, outlets and critics are fictional."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from aggregator.cli.main import main
from aggregator.db.film_store import link_film
from aggregator.db.models import Film, Review
from aggregator.db.session import make_engine, session_factory, upgrade
from aggregator.renormalise import renormalise
from tests.test_identity_store import GAZETTE, item, save


def film_of(engine, url: str) -> tuple[int | None, str | None, str | None]:
    """(film year, film_match, film_unresolved) of the review at `url`."""
    with Session(engine) as session:
        return session.execute(
            select(Film.year, Review.film_match, Review.film_unresolved)
            .join(Film, Film.id == Review.film_id, isouter=True).where(Review.url == url)).one()


def film_id(engine, year: int) -> int:
    with Session(engine) as session:
        return session.scalar(select(Film.id).where(Film.key == "copper tide", Film.year == year))


def test_the_only_dated_film_is_chosen_again_when_a_second_one_arrives(db_engine, capsys):
    late = item(1, film_year=None, published=date(2045, 3, 1))  # a review of the remake
    early = item(2, film_year=None, published=date(2032, 2, 1))  # of the original
    nodate = item(3, film_year=None, published=None)  # nothing to choose by
    save(db_engine, item(10, film_year=2031))
    save(db_engine, late, early, nodate)
    assert {film_of(db_engine, r.url) for r in (early, nodate)} == {(2031, "only_dated", None)}
    # published 14 years after the only film of its title: not filed under it (issue 14)
    assert film_of(db_engine, late.url) == (None, None, "outside_window")
    assert film_of(db_engine, item(10).url) == (2031, "year", None)

    save(db_engine, item(11, film_year=2044))  # the remake is stored: choose again
    assert film_of(db_engine, late.url) == (2044, "chosen", None)
    assert film_of(db_engine, early.url) == (2031, "chosen", None)
    assert film_of(db_engine, nodate.url) == (None, None, "ambiguous")
    assert film_of(db_engine, item(10).url) == (2031, "year", None)  # a stated year never moves
    url = db_engine.url.render_as_string(hide_password=False)
    assert main(["film", "unresolved", "--db", url]) == 0
    out = capsys.readouterr().out
    assert nodate.url in out and "reason ambiguous" in out and "1 unresolved" in out

    save(db_engine, item(12, film_year=2044))  # no new film: nothing is chosen again
    assert film_of(db_engine, late.url) == (2044, "chosen", None)


def test_a_manual_link_is_never_moved(db_engine):
    save(db_engine, item(10, film_year=2031))
    undated = item(1, film_year=None, published=date(2045, 3, 1))
    save(db_engine, undated)
    with Session(db_engine) as session:
        link_film(session, undated.url, film_id(db_engine, 2031))
        session.commit()
    save(db_engine, item(11, film_year=2044))
    assert film_of(db_engine, undated.url) == (2031, "manual", None)
    save(db_engine, undated)  # a re-crawl keeps the manual link and its rule
    assert film_of(db_engine, undated.url) == (2031, "manual", None)
    renormalise(session_factory(db_engine), lookup={GAZETTE.key: GAZETTE}.get)
    assert film_of(db_engine, undated.url) == (2031, "manual", None)


def test_a_review_with_an_external_id_is_not_chosen_again(db_engine):
    save(db_engine, item(10, film_year=2031, film_ids={"imdb": "tt0000031"}))
    by_id = item(1, film_year=None, published=date(2045, 3, 1), film_ids={"imdb": "tt0000031"})
    save(db_engine, by_id)
    assert film_of(db_engine, by_id.url) == (2031, "external_id", None)
    save(db_engine, item(11, film_year=2044))
    assert film_of(db_engine, by_id.url) == (2031, "external_id", None)


def test_migration_0007_keeps_reviews_and_marks_manual_links(empty_db_url):
    engine = make_engine(empty_db_url)
    upgrade(engine, "0006")
    now = "2031-01-01 00:00:00+00:00"
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO publications (key, name, weight, provisional)"
                                " VALUES ('reel-gazette', 'Reel Gazette', 1, false)"))
        connection.execute(text("INSERT INTO films (title, year, key, uid) VALUES"
                                " ('The Copper Tide', 2031, 'copper tide', 'copper tide|2031')"))
        for n, manual in ((1, True), (2, False)):
            connection.execute(text(
                "INSERT INTO reviews (url, publication_id, film_id, film_link_manual, content_hash,"
                " first_seen, last_seen, updated_at) VALUES (:url, 1, 1, :m, 'h', :t, :t, :t)"),
                {"url": f"https://gazette.example/reviews/{n}", "m": manual, "t": now})
    upgrade(engine)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT url, film_id, film_match FROM reviews ORDER BY url"))
        assert [tuple(r) for r in rows] == [("https://gazette.example/reviews/1", 1, "manual"),
                                            ("https://gazette.example/reviews/2", 1, None)]
    # reviews whose rule is unknown are never moved by a new film
    save(engine, item(11, film_year=2044))
    assert film_of(engine, "https://gazette.example/reviews/2") == (2031, None, None)
    engine.dispose()




def test_a_remake_review_is_left_unresolved_until_the_remake_is_stored(db_engine, capsys):
    """Issue 14: a 2046 review of "Guadagnino's remake"-shaped headline was filed under the
    only dated film of its title, decades older. It is now left without a film, listed by
    `film unresolved` with its reason, and joins the remake once that film is stored."""
    save(db_engine, item(10, film_year=2011, published=date(2011, 6, 1)))
    remake = item(1, film_year=None, published=date(2046, 3, 1),
                  headline="The Copper Tide review – Ilse Marrow's remake keeps the tide out")
    inside = item(2, film_year=None, published=date(2047, 1, 1),
                  standfirst_raw="A reboot of the 2011 thriller, and a cold one")
    save(db_engine, remake, inside)
    assert film_of(db_engine, remake.url) == (None, None, "remake")
    assert film_of(db_engine, inside.url) == (None, None, "remake")
    url = db_engine.url.render_as_string(hide_password=False)
    assert main(["film", "unresolved", "--db", url]) == 0
    out = capsys.readouterr().out
    assert remake.url in out and "reason remake" in out and "2 unresolved" in out

    save(db_engine, item(11, film_year=2046, published=date(2046, 2, 1)))  # the remake arrives
    assert film_of(db_engine, remake.url) == (2046, "chosen", None)
    assert film_of(db_engine, inside.url) == (2046, "chosen", None)


def test_a_review_inside_the_only_films_window_still_joins_it(db_engine):
    save(db_engine, item(10, film_year=2031))
    late_but_close = item(1, film_year=None, published=date(2033, 11, 1))
    save(db_engine, late_but_close)
    assert film_of(db_engine, late_but_close.url) == (2031, "only_dated", None)
