"""Critics like me (aggregator.query.own_ratings, aggregator.query.like_me,
`aggregator critics like-me FILE`), on SQLite and PostgreSQL. Every outlet, critic, film and
id here is fictional; the person's files are tests/fixtures/own_ratings/.

The person rates six films of 2031 (scores 80, 40, 30, 70, 90, 50 in every format, so fresh,
rotten, rotten, fresh, fresh, rotten at the store's 60). On them, by hand:
- Odile Varga agrees on five calls but Northern Glass, and her Paper Wolves call is inferred
  at 0.8 fresh: 1 + 1 + 1 + 0.8 + 1 + 0 = 4.8 of 6 (1 inferred);
- Bram Castell agrees on Lantern Hours, Paper Wolves, Northern Glass: 3 of 6;
- Ines Moreau (two rows, merged into one) called The Copper Tide both fresh (80) and rotten
  (30), so has no call there, and agrees on the other five: 5 of 5;
- Kit Amsel shares two films only (below the minimum overlap of 5).
"""

from __future__ import annotations

import csv
import io
import json
import math
import random
from datetime import date
from importlib import resources
from pathlib import Path
from types import SimpleNamespace

import jsonschema
import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from aggregator.cli.common import EXIT_USAGE
from aggregator.cli.main import main
from aggregator.db.critic_merge import merge_critics
from aggregator.db.models import Critic, Film
from aggregator.db.upsert import save_reviews
from aggregator.items import ReviewItem
from aggregator.query.intervals import t_quantile_975, wilson
from aggregator.query.like_me import MIN_OVERLAP, critics_like_me, match_films
from aggregator.query.own_ratings import (
    IMDB,
    LETTERBOXD,
    PLAIN,
    OwnRating,
    OwnRatings,
    OwnRatingsError,
    read_own_ratings,
    read_own_ratings_file,
)
from aggregator.query.scorecard import fresh_probability
from tests.factories import outlet

FIXTURES = Path(__file__).parent / "fixtures" / "own_ratings"
LANTERN = outlet("daily-lantern", "The Daily Lantern", ("lantern.example",), scale="points/100")
GAZETTE = outlet("reel-gazette", "Reel Gazette", ("gazette.example",), scale="points/100")
PUBLICATIONS = {entry.key: entry for entry in (LANTERN, GAZETTE)}
ODILE, BRAM, INES, KIT = "Odile Varga", "Bram Castell", "Ines Moreau", "Kit Amsel"
SIX = ["The Copper Tide", "Salt Meridian", "Lantern Hours", "Paper Wolves", "Quiet Engines", "Northern Glass"]
PERSON = [80, 40, 30, 70, 90, 50]


def review(n: int, critic: str, film: str | None, year: int | None = 2031, score: float | None = None,
           fresh: bool | None = None, *, source: str | None = None, imdb: str | None = None,
           entry=LANTERN, confidence: float = 0.8) -> ReviewItem:
    """A stored review: a score makes a rated review (fresh from 60 unless given), a call with
    no score an inferred one (at 0.8 confidence unless given)."""
    if fresh is None and score is not None:
        fresh = score >= 60
    if source is None:
        source = "rating" if score is not None else ("inferred" if fresh is not None else None)
    return ReviewItem(
        url=f"https://{entry.domains[0]}/reviews/{n}", spider="test", publication_raw=entry.name,
        critic_raw=[critic], critics=[critic], film_raw=film, film_title=film,
        film_year=year if film else None, film_ids={"imdb": imdb} if imdb else {},
        headline=f"{film} review {n}", text="A film.", publication=entry.key,
        rating_raw=None if score is None else f"{score:g}/100", rating_value=score,
        rating_best=None if score is None else 100.0, rating_worst=None if score is None else 0.0,
        scale=None if score is None else "points/100", score=score,
        verdict=None if fresh is None else ("positive" if fresh else "negative"), fresh=fresh,
        verdict_source=source, confidence=confidence if source == "inferred" else None, published=date(2031, 5, 1),
    )  # fmt: skip


def save(engine, items) -> None:
    with Session(engine) as session:
        save_reviews(session, list(items), PUBLICATIONS)
        session.commit()


def critic_ids(engine, name: str) -> list[int]:
    with Session(engine) as session:
        return list(session.scalars(select(Critic.id).where(Critic.name == name).order_by(Critic.id)))


def film_id(engine, title: str, year: int | None) -> int:
    with Session(engine) as session:
        return session.scalars(select(Film.id).where(Film.title == title, Film.year == year)).one()


def hand_store(engine) -> None:
    odile = [review(1, ODILE, SIX[0], score=90, imdb="tt9000001"), review(2, ODILE, SIX[1], score=30),
             review(3, ODILE, SIX[2], score=50), review(4, ODILE, SIX[3], fresh=True),  # inferred at 0.8
             review(5, ODILE, SIX[4], score=70), review(6, ODILE, SIX[5], score=80),
             review(7, ODILE, None, score=100)]  # no film: never counts
    bram = [review(10 + i, BRAM, film, score=score)
            for i, (film, score) in enumerate(zip(SIX, [40, 80, 20, 60, 30, 40]))]
    ines = [review(20, INES, SIX[0], score=80), review(21, INES, SIX[0], score=30, entry=GAZETTE),
            *(review(22 + i, INES, film, score=score)
              for i, (film, score) in enumerate(zip(SIX[1:], [20, 10, 90, 85, 30])))]
    kit = [review(30, KIT, SIX[0], score=70), review(31, KIT, SIX[1], score=70),
           review(32, KIT, "Harbour Lights", 2029, 60), review(33, KIT, "Harbour Lights", 2033, 65),
           review(34, KIT, "Ember Road", 2030, 90, imdb="tt9000010"), review(35, KIT, "Ember Road", 2032, 20)]
    save(engine, [*odile, *bram, *ines, *kit])
    lantern_ines, gazette_ines = critic_ids(engine, INES)  # one person on two outlets: two rows until merged
    with Session(engine) as session:
        merge_critics(session, lantern_ines, gazette_ines, force=True)
        session.commit()


def plain(*rows: tuple[str, int | None, float]) -> OwnRatings:
    ratings = [OwnRating(i + 2, title, year, None, score) for i, (title, year, score) in enumerate(rows)]
    return OwnRatings(PLAIN, ratings, [])


def like_me(engine, own: OwnRatings, **options):
    with Session(engine) as session:
        return critics_like_me(session, own, **options)


# --- reading the three formats ----------------------------------------------------------------


@pytest.mark.parametrize("name, kind", [("letterboxd_ratings.csv", LETTERBOXD), ("imdb_ratings.csv", IMDB),
                                        ("plain_ratings.csv", PLAIN)])
def test_each_format_is_read_by_its_header_and_scored_0_to_100(name, kind):
    own = read_own_ratings_file(FIXTURES / name)
    assert own.format == kind and own.unreadable == []
    assert [(r.title, r.score) for r in own.ratings[:6]] == list(zip(SIX, PERSON))
    assert own.ratings[0].line == 2 and own.ratings[0].year == 2031
    if kind == IMDB:
        assert [r.imdb_id for r in own.ratings[:2]] == ["tt9000001", "tt9999902"]
        assert own.ratings[-1] == OwnRating(8, "Ember Road", 2032, "tt9000010", 90.0)
    else:
        assert {r.imdb_id for r in own.ratings} == {None}


def test_a_byte_order_mark_quoted_cells_and_a_lower_case_header_are_read():
    own = read_own_ratings('\ufeffCONST,your rating,TITLE,year\nTT9000001,7,"Copper, Tide",\n')
    assert own.format == IMDB and own.ratings == [OwnRating(2, "Copper, Tide", None, "tt9000001", 70.0)]


def test_unreadable_rows_are_counted_with_their_reasons_never_guessed():
    own = read_own_ratings_file(FIXTURES / "broken_rows.csv")
    assert [(u.line, u.reason) for u in own.unreadable] == [
        (2, "no title"), (3, "bad score 'abc'"), (4, "bad score '120': scores are 0 to 100"),
        (5, "bad year '20x1'"), (6, "no score"), (7, "title '!!!' has no letter or digit")]
    assert [(r.line, r.title) for r in own.ratings] == [(9, "Northern Glass")]  # line 8 is blank
    assert own.rows == 7
    letterboxd = read_own_ratings_file(FIXTURES / "letterboxd_bad_ratings.csv")
    assert [(u.line, u.reason) for u in letterboxd.unreadable] == [
        (2, "bad rating '7': Letterboxd ratings are 0.5 to 5 in half stars"),
        (3, "bad rating '3.25': Letterboxd ratings are 0.5 to 5 in half stars"), (4, "no rating")]
    assert [(r.title, r.score) for r in letterboxd.ratings] == [("Salt Meridian", 10.0)]
    imdb = read_own_ratings_file(FIXTURES / "imdb_bad_ratings.csv")
    assert [u.reason for u in imdb.unreadable] == ["bad rating '11': IMDb ratings are whole numbers 1 to 10",
                                                   "bad rating '7.5': IMDb ratings are whole numbers 1 to 10"]
    assert imdb.ratings == [OwnRating(4, "Salt Meridian", 2031, None, 60.0)]  # a bad id: matched by title


def test_an_unknown_header_is_refused_naming_the_columns_expected():
    with pytest.raises(OwnRatingsError) as raised:
        read_own_ratings_file(FIXTURES / "unknown_header.csv")
    message = str(raised.value)
    assert message.startswith("unknown header 'film, rating': expected a Letterboxd ratings export")
    for column in ("Date, Name, Year, Letterboxd URI, Rating", "Const, Your Rating, Title, Year",
                   "(title, year, score)"):
        assert column in message
    with pytest.raises(OwnRatingsError, match="lacks Rating .*watched.csv has no ratings"):
        read_own_ratings_file(FIXTURES / "letterboxd_watched.csv")
    with pytest.raises(OwnRatingsError, match="lacks score"):
        read_own_ratings("title,year\nPaper Wolves,2031\n")
    with pytest.raises(OwnRatingsError, match="the file is empty"):
        read_own_ratings("\n\n")


def test_a_file_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("title,year,score\nCaf\xe9 Noir,2031,80\n".encode("latin-1"))
    with pytest.raises(OwnRatingsError, match="not UTF-8 text"):
        read_own_ratings_file(path)


# --- matching ---------------------------------------------------------------------------------


def test_the_imdb_id_wins_over_the_title_and_year(db_engine):
    hand_store(db_engine)
    own = OwnRatings(IMDB, [OwnRating(2, "Ember Road", 2032, "tt9000010", 90.0),  # the id is the 2030 film's
                            OwnRating(3, "Ember Road", 2032, "tt9999999", 90.0),  # an id not stored: the title
                            OwnRating(4, "Copper Tide", None, "tt9000001", 80.0)], [])
    with Session(db_engine) as session:
        kept, how, unmatched = match_films(session, own.ratings[:1])
        assert list(kept) == [film_id(db_engine, "Ember Road", 2030)] and how == {"imdb_id": 1, "title": 0}
        kept, how, unmatched = match_films(session, own.ratings[1:])
    assert kept == {film_id(db_engine, "Ember Road", 2032): own.ratings[1],
                    film_id(db_engine, "The Copper Tide", 2031): own.ratings[2]}
    assert how == {"imdb_id": 1, "title": 1} and unmatched == []


def test_ambiguous_and_missing_titles_are_listed_unmatched(db_engine):
    hand_store(db_engine)
    result = like_me(db_engine, read_own_ratings_file(FIXTURES / "plain_ratings.csv"))
    assert [(u.line, u.title, u.reason) for u in result.unmatched] == [
        (8, "Harbour Lights", "2 films match, no year"),
        (9, "Harbour Lights", "no film of 2030 (stored: 2029, 2033)"),
        (10, "A Film Nobody Made", "no such film")]
    # Northern Glass has no year in the file but one stored film: matched
    assert (result.rows, result.matched_by_id, result.matched_by_title, result.films) == (9, 0, 6, 6)


def test_a_film_rated_twice_counts_once_and_different_scores_not_at_all(db_engine):
    hand_store(db_engine)
    own = plain(("Salt Meridian", 2031, 40), ("salt meridian", None, 40), ("Lantern Hours", 2031, 30),
                ("Lantern Hours", 2031, 80))
    with Session(db_engine) as session:
        kept, how, unmatched = match_films(session, own.ratings)
    assert list(kept) == [film_id(db_engine, "Salt Meridian", 2031)] and how["title"] == 1
    assert [(u.line, u.reason) for u in unmatched] == [
        (3, "same film and score as line 2 (counted once there)"),
        (4, "film rated 2 times with different scores (lines 4, 5)"),
        (5, "film rated 2 times with different scores (lines 4, 5)")]


# --- ranking ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["letterboxd_ratings.csv", "imdb_ratings.csv", "plain_ratings.csv"])
def test_agreement_and_intervals_computed_by_hand(db_engine, name):
    hand_store(db_engine)
    result = like_me(db_engine, read_own_ratings_file(FIXTURES / name))
    assert (result.min_overlap, result.fresh_from) == (MIN_OVERLAP, 60.0)
    assert result.candidates == 3  # Kit shares two films (three with Ember Road from the IMDb file)
    assert [(c.name, c.agreement.count, c.agreement.denominator, c.agreement.inferred) for c in result.critics] == [
        (INES, 5.0, 5, 0), (ODILE, pytest.approx(4.8), 6, 1), (BRAM, 3.0, 6, 0)]
    ines, odile, bram = result.critics
    assert (ines.agreement.low, ines.agreement.high) == wilson(1.0, 5)
    assert math.isclose(odile.agreement.value, 0.8)
    assert (odile.agreement.low, odile.agreement.high) == pytest.approx(wilson(0.8, 6))
    assert odile.agreement.low == pytest.approx(0.4069, abs=1e-4)  # Wilson at 0.8 of 6, by hand
    assert (bram.agreement.low, bram.agreement.high) == wilson(0.5, 6)
    # Odile scored five of the six: (critic, person) = (90, 80) (30, 40) (50, 30) (70, 90) (80, 50)
    assert odile.correlation.denominator == 5
    assert math.isclose(odile.correlation.value, 1640 / math.sqrt(2320 * 2680))
    differences = [10, -10, 20, -20, 30]
    difference = odile.mean_difference
    assert (difference.denominator, difference.inferred) == (5, 0) and math.isclose(difference.value, 6.0)
    half = t_quantile_975(4) * math.sqrt(sum((d - 6) ** 2 for d in differences) / 4) / math.sqrt(5)
    assert (difference.low, difference.high) == pytest.approx((6 - half, 6 + half))
    # Ines's Copper Tide is her mean score 55 although it gives no call
    assert ines.correlation.denominator == 6 and ines.mean_difference.denominator == 6


def test_min_overlap_and_limit(db_engine):
    hand_store(db_engine)
    own = read_own_ratings_file(FIXTURES / "plain_ratings.csv")
    wide = like_me(db_engine, own, min_overlap=2, limit=3)
    assert wide.candidates == 4 and [c.name for c in wide.critics] == [INES, ODILE, BRAM]
    (kit,) = [c for c in like_me(db_engine, own, min_overlap=2).critics if c.name == KIT]
    # Kit: Copper Tide 70 fresh (agrees), Salt Meridian 70 fresh (the person 40: disagrees)
    assert (kit.agreement.count, kit.agreement.denominator) == (1.0, 2)
    assert kit.correlation.too_few == "too few: 2 films both scored, at least 5 needed"
    assert kit.mean_difference.value is None
    narrow = like_me(db_engine, own, min_overlap=6)
    assert narrow.candidates == 2 and [c.name for c in narrow.critics] == [ODILE, BRAM]


def test_a_merged_critic_counts_once(db_engine):
    hand_store(db_engine)
    (ines,) = critic_ids(db_engine, INES)
    result = like_me(db_engine, plain(*zip(SIX, [2031] * 6, PERSON)), min_overlap=1)
    assert [c.critic_id for c in result.critics].count(ines) == 1


def test_a_person_with_nothing_matched_gets_no_critics(db_engine):
    hand_store(db_engine)
    result = like_me(db_engine, plain(("A Film Nobody Made", 2031, 75)))
    assert (result.films, result.candidates, result.critics, len(result.unmatched)) == (0, 0, [], 1)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_grouped_sql_agrees_with_plain_python_over_the_raw_rows(db_engine, seed):
    """The agreement is summed in the database; recomputed here from the raw reviews with
    scorecard.fresh_probability, per (critic, film) as critic_compare reads a critic's call."""
    rng = random.Random(seed)
    critics = ["Ada Quill", "Basil Fenn", "Cora Lisk", "Dario Venn", "Elsa Marr", "Fitz Orme", "Gwen Tarl"]
    films = [f"Film {n}" for n in range(14)]
    items = []
    for n in range(160):
        critic, film, kind = rng.choice(critics), rng.choice(films), rng.random()
        if kind < 0.5:
            items.append(review(n, critic, film, score=rng.randrange(0, 101, 5)))
        elif kind < 0.9:
            items.append(review(n, critic, film, fresh=rng.random() < 0.5, confidence=round(rng.uniform(0.5, 1), 2)))
        else:
            items.append(review(n, critic, film))  # no call, no score: counts for nothing
    save(db_engine, items)
    person = {film: rng.randrange(0, 101, 10) for film in films}
    result = like_me(db_engine, plain(*((film, 2031, score) for film, score in person.items())),
                     min_overlap=1, limit=100)
    calls = {}
    for item in items:
        if item.fresh is not None:
            row = SimpleNamespace(fresh=item.fresh, verdict_source=item.verdict_source, confidence=item.confidence)
            calls.setdefault((item.critics[0], item.film_title), []).append(row)
    expected = {}
    for (critic, film), rows in calls.items():
        if len({row.fresh for row in rows}) != 1:
            continue  # mixed calls: no call
        p = sum(fresh_probability(row) for row in rows) / len(rows)
        agreed, called, inferred = expected.get(critic, (0.0, 0, 0))
        expected[critic] = (agreed + (p if person[film] >= 60 else 1 - p), called + 1,
                            inferred + any(row.verdict_source == "inferred" for row in rows))
    got = {c.name: (c.agreement.count, c.agreement.denominator, c.agreement.inferred) for c in result.critics}
    assert got.keys() == expected.keys() and result.candidates == len(expected)
    for name, (agreed, called, inferred) in expected.items():
        assert got[name] == (pytest.approx(agreed), called, inferred)
    lows = [c.agreement.low for c in result.critics]
    assert lows == sorted(lows, reverse=True)


# --- cost -------------------------------------------------------------------------------------


def _statements_of(engine, query, *args):
    """(the SQL statements `query(*args)` sent, its result)."""
    statements: list[str] = []

    def listener(*event_args):
        statements.append(event_args[2])
    event.listen(engine, "before_cursor_execute", listener)
    try:
        result = query(*args)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return statements, result


def test_five_hundred_ratings_take_a_bounded_number_of_statements(db_engine):
    films = [f"Fictive Picture {n}" for n in range(520)]
    save(db_engine, [review(100 + n, (ODILE, BRAM, KIT)[n % 3], title, score=(n * 37) % 100,
                            imdb=f"tt80{n:05d}" if n % 2 else None) for n, title in enumerate(films)])
    rows = [OwnRating(n + 2, title, 2031, f"tt80{n:05d}" if n % 4 == 1 else None, float((n * 53) % 100))
            for n, title in enumerate(films[:500])]
    counts = {}
    for size in (50, 500):
        with Session(db_engine) as session:
            statements, result = _statements_of(db_engine, critics_like_me, session, OwnRatings(IMDB, rows[:size], []))
        counts[size] = len(statements)
        assert result.films == size and result.candidates == 3
    # ids, title keys, the agreement per critic, the listed critics' reviews: whatever the number of rows
    assert counts == {50: 4, 500: 4}


# --- the command ------------------------------------------------------------------------------


def _schema() -> dict:
    text = resources.files("aggregator").joinpath("schemas/critics-like-me.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


def _url(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_the_command_prints_a_table_json_and_csv(db_engine, capsys, tmp_path):
    hand_store(db_engine)
    url, path = _url(db_engine), str(FIXTURES / "letterboxd_ratings.csv")
    assert main(["critics", "like-me", path, "--db", url]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Your ratings (letterboxd): 7 rows; 6 films counted (0 by IMDb id, 6 by title and year)"
                          ", 1 unmatched, 0 unreadable; your call is fresh from 60/100\n")
    assert "Critics most like you: 3 share at least 5 films both called;" in out
    assert "   Ines Moreau   5      100%   57%-100%      0         6       +0.89" in out
    assert "   Odile Varga   6      80%    41%-96%       1         5       +0.66  +6.0 [-19.7 to +31.7]" in out
    assert "8     Harbour Lights  -     2 films match, no year" in out

    assert main(["critics", "like-me", path, "--json", "--db", url]) == 0
    record = json.loads(capsys.readouterr().out)
    jsonschema.validate(record, _schema())
    assert [c["name"] for c in record["critics"]] == [INES, ODILE, BRAM]
    assert record["unmatched"][0]["reason"] == "2 films match, no year"

    assert main(["critics", "like-me", path, "--csv", "--limit", "2", "--db", url]) == 0
    captured = capsys.readouterr()
    parsed = list(csv.DictReader(io.StringIO(captured.out)))
    assert [(row["rank"], row["name"], row["films"]) for row in parsed] == [("1", INES, "5"), ("2", ODILE, "6")]
    assert math.isclose(float(parsed[1]["agreement"]), 0.8) and parsed[1]["inferred"] == "1"
    assert math.isclose(float(parsed[1]["mean_difference"]), 6.0)
    assert "1 rows unmatched, 0 unreadable (listed without --csv)" in captured.err


def test_the_schema_rejects_an_entry_without_its_denominator(db_engine, capsys):
    hand_store(db_engine)
    assert main(["critics", "like-me", str(FIXTURES / "plain_ratings.csv"), "--json", "--db", _url(db_engine)]) == 0
    record = json.loads(capsys.readouterr().out)
    del record["critics"][0]["agreement"]["denominator"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(record, _schema())


def test_the_command_refuses_an_unknown_header_or_a_missing_file_with_exit_2(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'never.sqlite'}"
    assert main(["critics", "like-me", str(FIXTURES / "unknown_header.csv"), "--db", url]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "aggregator critics like-me: " in err and "unknown header 'film, rating': expected" in err
    assert main(["critics", "like-me", str(tmp_path / "absent.csv"), "--db", url]) == EXIT_USAGE
    assert "cannot read" in capsys.readouterr().err
    assert not (tmp_path / "never.sqlite").exists()  # refused before any database was opened
