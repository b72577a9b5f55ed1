"""Film lookup and film summary numbers on a hand-made set (aggregator.query.scores).

All outlets, critics and films here are fictional.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from aggregator.db.upsert import save_reviews
from aggregator.items import ReviewItem
from aggregator.query.scores import FilmNotFound, film_summary, find_films
from tests.factories import outlet

PUBLICATIONS = {
    "daily-lantern": outlet("daily-lantern", "The Daily Lantern", ("lantern.example",)),
    "reel-gazette": outlet("reel-gazette", "Reel Gazette", ("gazette.example",)),
    "owl-review": outlet("owl-review", "The Owl Review", ("owl.example",)),
}


def review(n: int, outlet: str, critics: list[str], **normalised) -> ReviewItem:
    return ReviewItem(
        url=f"https://{outlet}.example/glass-orchard-{n}",
        publication=outlet,
        critics=critics,
        film_title="The Glass Orchard",
        film_year=2031,
        **normalised,
    )


# fresh known 5 (4 fresh), verdicts known 6 (3 positive, 2 mixed, 1 negative),
# scores 80, 70, 40, 90 -> 70.0; sources rating 3, label 1, inferred 2, none 1.
HAND_MADE = [
    review(1, "daily-lantern", ["Ada Fenwick"], rating_raw="4/5", score=80.0, verdict="positive",
           fresh=True, verdict_source="rating", published=date(2031, 5, 3)),
    review(2, "reel-gazette", ["Zoë Quill", "Ivo Marsh"], rating_raw="B", score=70.0,
           verdict="positive", fresh=True, verdict_source="rating", published=date(2031, 5, 9)),
    review(3, "owl-review", ["Bram Oduya"], rating_raw="2/5", score=40.0, verdict="negative",
           fresh=False, verdict_source="rating", published=date(2031, 4, 30)),
    review(4, "owl-review", ["Ada Fenwick"], rating_parts={"ratingValue": 9, "bestRating": 10},
           rating_value=9.0, rating_best=10.0, score=90.0, label_raw="Critic's Pick",
           verdict="positive", fresh=True, verdict_source="label", published=None),
    review(5, "daily-lantern", [], verdict="mixed", fresh=True, verdict_source="inferred",
           confidence=0.81, published=date(2031, 5, 20)),
    review(6, "reel-gazette", ["Ivo Marsh"], verdict="mixed", verdict_source="inferred",
           confidence=0.55, published=date(2031, 5, 1)),
    review(7, "daily-lantern", ["Bram Oduya"], published=date(2031, 5, 2)),
]  # fmt: skip


@pytest.fixture
def session(db_engine):
    with Session(db_engine) as session:
        other = ReviewItem(url="https://owl.example/other", publication="owl-review",
                           film_title="Quiet Harbour", film_year=2030, score=10.0,
                           verdict="negative", verdict_source="rating")  # fmt: skip
        remake = ReviewItem(url="https://owl.example/remake", publication="owl-review",
                            film_title="The Glass Orchard", film_year=2044)  # fmt: skip
        save_reviews(session, [*HAND_MADE, other, remake], PUBLICATIONS)
        session.commit()
        yield session


def test_summary_numbers(session):
    (film,) = find_films(session, "The Glass Orchard", 2031)
    summary = film_summary(session, film.id)
    assert (summary.title, summary.year, summary.review_count) == ("The Glass Orchard", 2031, 7)
    assert (summary.fresh_count, summary.fresh_known) == (4, 5)
    assert summary.fresh_share == pytest.approx(0.8)
    assert summary.verdict_counts == {"positive": 3, "mixed": 2, "negative": 1}
    assert summary.verdict_known == 6
    assert summary.verdict_shares == pytest.approx({"positive": 0.5, "mixed": 1 / 3, "negative": 1 / 6})
    assert (summary.average_score, summary.scored_count) == (pytest.approx(70.0), 4)
    assert summary.source_counts == {
        "rating": 3, "text": 0, "label": 1, "inferred": 2, "manual": 0, "none": 1,
    }  # fmt: skip
    assert summary.inferred_count == 2


def test_reviews_newest_first_undated_last_with_their_critics(session):
    (film,) = find_films(session, "The Glass Orchard", 2031)
    rows = film_summary(session, film.id).reviews
    assert [row.url.rsplit("-", 1)[1] for row in rows] == ["5", "2", "1", "7", "6", "3", "4"]
    by_number = {row.url.rsplit("-", 1)[1]: row for row in rows}
    assert by_number["2"].critics == ["Zoë Quill", "Ivo Marsh"]
    assert by_number["2"].outlet == "Reel Gazette"
    assert by_number["5"].critics == []
    assert (by_number["1"].rating_raw, by_number["1"].rating_display) == ("4/5", "4/5")
    assert (by_number["4"].rating_raw, by_number["4"].rating_display) == (None, "9/10")
    assert by_number["7"].verdict is None and by_number["7"].verdict_source is None


def test_summary_takes_a_fixed_number_of_queries(session, db_engine):
    (film,) = find_films(session, "The Glass Orchard", 2031)
    session.expire_all()
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db_engine, "before_cursor_execute", listener)
    try:
        film_summary(session, film.id)
    finally:
        event.remove(db_engine, "before_cursor_execute", listener)
    assert len(statements) <= 3, statements


def test_film_without_reviews_has_empty_shares(session):
    (remake,) = find_films(session, "The Glass Orchard", 2044)
    summary = film_summary(session, remake.id)
    assert summary.review_count == 1
    assert summary.fresh_share is None and summary.average_score is None
    assert summary.verdict_shares == {"positive": None, "mixed": None, "negative": None}
    assert summary.source_counts["none"] == 1


@pytest.mark.parametrize("title", ["The Glass Orchard", "the glass orchard", "Glass Orchard!", "GLASS  ORCHARD"])
def test_find_films_ignores_case_and_punctuation(session, title):
    assert [(f.title, f.year) for f in find_films(session, title)] == [
        ("The Glass Orchard", 2031), ("The Glass Orchard", 2044),
    ]  # fmt: skip


def test_year_less_film_whose_reviews_joined_the_dated_one_is_not_found(db_engine):
    with Session(db_engine) as session:
        undated = ReviewItem(url="https://owl.example/a", publication="owl-review",
                             film_title="Quiet Harbour", verdict="mixed")  # fmt: skip
        dated = ReviewItem(url="https://owl.example/b", publication="owl-review",
                           film_title="Quiet Harbour", film_year=2030, verdict="positive")  # fmt: skip
        save_reviews(session, [undated], PUBLICATIONS)
        save_reviews(session, [dated], PUBLICATIONS)
        session.commit()
        (film,) = find_films(session, "Quiet Harbour")
        assert film.year == 2030
        assert film_summary(session, film.id).verdict_counts == {"positive": 1, "mixed": 1, "negative": 0}


def test_find_films_by_year_and_misses(session):
    assert [f.year for f in find_films(session, "the glass orchard", 2044)] == [2044]
    assert find_films(session, "The Glass Orchard", 1999) == []
    assert find_films(session, "Glass") == []
    assert find_films(session, "?!") == []
    assert find_films(session, "") == []


def test_unknown_film_id_is_a_clear_error(session):
    with pytest.raises(FilmNotFound, match="no film with id 999999"):
        film_summary(session, 999999)
