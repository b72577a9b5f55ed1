"""A film's scorecard as of a date and its timeline (aggregator.query.history, .film_history,
`aggregator film show --as-of`, `aggregator film history`): a small store written on four days
of a patched clock, with a re-rated review, a corrected title, a manual verdict and a review
moved to another film; every figure computed by hand; both backends.

All outlets, critics and films here are fictional.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
from dataclasses import replace
from datetime import UTC, date, datetime

import jsonschema
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.cli.main import main
from aggregator.db.models import Film, Review, ReviewRevision
from aggregator.db.upsert import save_reviews
from aggregator.db.verdict_store import set_manual_verdict
from aggregator.items import ReviewItem
from aggregator.query.film_history import Change, changes_of, film_history, fold_days
from aggregator.query.history import UNRECORDED, Revision, ScoreInput, end_of, film_states, rows_at, states_of
from aggregator.query.scorecard import film_scorecard, load_schema, scorecard_from_rows
from tests.factories import outlet

PUBLICATIONS = {
    "evening-ledger": outlet("evening-ledger", "The Evening Ledger", ("ledger.example",)),
    "harbour-review": outlet("harbour-review", "Harbour Review", ("harbour.example",), weight=2.0),
}
DOMAINS = {"evening-ledger": "ledger.example", "harbour-review": "harbour.example"}
FILM = "The Copper Lantern"
DAY1, DAY2, DAY3, DAY4 = date(2032, 3, 1), date(2032, 3, 3), date(2032, 3, 5), date(2032, 3, 8)


def item(n: int, critic: str, outlet_key: str, score: float | None, fresh: bool, verdict: str,
         source: str = "rating", confidence: float = 1.0, film: str = FILM,
         published: date | None = None) -> ReviewItem:
    return ReviewItem(
        url=f"https://{DOMAINS[outlet_key]}/reviews/{n}", spider="test", publication_raw=outlet_key,
        critic_raw=[critic], film_raw=film, headline=f"review {n}", text="A film of lamps.",
        publication=outlet_key, critics=[critic], film_title=film, film_year=2032,
        rating_raw=None if score is None else f"{score:g}/100", rating_value=score,
        rating_best=None if score is None else 100.0, rating_worst=None if score is None else 0.0,
        scale=None if score is None else "points/100", score=score, verdict=verdict, fresh=fresh,
        verdict_source=source, confidence=confidence, published=published,
    )


R1 = item(1, "Ada Fenwick", "evening-ledger", 80, True, "positive", published=date(2032, 2, 20))
R2 = item(2, "Bram Holt", "harbour-review", 60, True, "mixed", published=date(2032, 2, 20))
R3 = item(3, "Cora Lind", "evening-ledger", 40, False, "mixed")  # undated; re-rated 50 on day 3
R8 = item(8, "Hana Voss", "harbour-review", 20, False, "negative", published=date(2032, 2, 20))  # moves off, day 4
R4 = item(4, "Dev Marsh", "harbour-review", 90, True, "positive", published=date(2032, 2, 25))  # manual, day 4
R5 = item(5, "Edda Quill", "evening-ledger", None, True, "positive", "inferred", 0.8, published=date(2032, 3, 2))
R6 = item(6, "Ada Fenwick", "evening-ledger", 10, False, "negative", published=date(2032, 2, 21))  # Ada again
R9 = item(9, "Ivo Pell", "evening-ledger", 70, True, "positive", film="The Copper Lantrn",  # corrected, day 3
          published=date(2032, 2, 25))
R7 = item(7, "Gil Sato", "evening-ledger", 30, False, "negative")  # undated


def _at(monkeypatch, when: datetime) -> None:
    monkeypatch.setattr("aggregator.db.upsert.utcnow", lambda: when)
    monkeypatch.setattr("aggregator.db.verdict_store.utcnow", lambda: when)


def _save(engine, *items: ReviewItem) -> None:
    with Session(engine) as session:
        for review in items:  # one by one: ids in this order
            save_reviews(session, [review], PUBLICATIONS)
        session.commit()


@pytest.fixture
def store(db_engine, monkeypatch):
    _at(monkeypatch, datetime(2032, 3, 1, 10, 0, tzinfo=UTC))
    _save(db_engine, R1, R2, R3, R8)
    _at(monkeypatch, datetime(2032, 3, 3, 23, 30, tzinfo=UTC))  # late on day 2: still day 2 (UTC)
    _save(db_engine, R4, R5, R6, R9)
    _at(monkeypatch, datetime(2032, 3, 5, 0, 10, tzinfo=UTC))
    _save(db_engine, replace(R3, rating_raw="50/100", rating_value=50.0, score=50.0),
          replace(R9, film_raw=FILM, film_title=FILM), R7)
    _at(monkeypatch, datetime(2032, 3, 8, 12, 0, tzinfo=UTC))
    with Session(db_engine) as session:
        set_manual_verdict(session, R4.url, "negative")
        session.commit()
        # as a revision written before migration 0015 has it: the call it replaced not recorded
        r4 = session.scalar(select(Review.id).where(Review.url == R4.url))
        session.execute(ReviewRevision.__table__.update().where(ReviewRevision.review_id == r4)
                        .values(fresh=None, verdict_source=None, confidence=None))
        session.commit()
    _save(db_engine, replace(R8, film_raw="The Tin Compass", film_title="The Tin Compass"))
    monkeypatch.undo()
    with Session(db_engine) as session:
        film_id = session.scalar(select(Film.id).where(Film.title == FILM))
        assert session.scalar(select(Film.id).where(Film.title == "The Copper Lantrn")) is None  # emptied
    return db_engine, film_id


def _t(n: int) -> float:
    return {4: 2.7764451, 5: 2.5705818, 6: 2.4469119}[n]


def _mean_interval(scores: list[float]) -> tuple[float, float]:
    n, mean = len(scores), sum(scores) / len(scores)
    half = _t(n - 1) * math.sqrt(sum((s - mean) ** 2 for s in scores) / (n - 1)) / math.sqrt(n)
    return mean - half, mean + half


# (as of, counted, duplicates, fresh (expected, n, inferred), positive (k, n), scores, weighted (sum, weight))
EXPECTED = [
    (date(2032, 2, 29), 0, 0, (0.0, 0, 0), (0, 0), [], (0.0, 0.0)),
    # R1 R2 R3 R8; every figure below the minimum of 5
    (DAY1, 4, 0, (2.0, 4, 0), (1, 4), [80, 60, 40, 20], (80 + 40 + 2 * (60 + 20), 6.0)),
    (date(2032, 3, 2), 4, 0, (2.0, 4, 0), (1, 4), [80, 60, 40, 20], (80 + 40 + 2 * (60 + 20), 6.0)),
    # + R4, R5 (inferred fresh at 0.8, no score); R6 Ada again left out; R9 another film's then
    (DAY2, 6, 1, (3.8, 6, 1), (3, 6), [80, 60, 40, 20, 90], (80 + 40 + 2 * (60 + 20 + 90), 8.0)),
    # R3 re-rated 40 -> 50 (still mixed, rotten); R9 now this film's; + R7
    (DAY3, 8, 1, (4.8, 8, 1), (4, 8), [80, 60, 50, 20, 90, 70, 30], (80 + 50 + 70 + 30 + 2 * (60 + 20 + 90), 10.0)),
    # R4 made negative by hand; R8 moved to another film
    (DAY4, 7, 1, (3.8, 7, 1), (3, 7), [80, 60, 50, 90, 70, 30], (80 + 50 + 70 + 30 + 2 * (60 + 90), 8.0)),
]


def _check(card, expected) -> None:
    _, counted, duplicates, (fresh, called, inferred), (positive, verdicts), scores, (weighted, weight) = expected
    assert (card.reviews, card.duplicates) == (counted, duplicates)
    assert (card.fresh.expected, card.fresh.denominator, card.fresh.inferred) == (pytest.approx(fresh), called,
                                                                                   inferred)
    assert card.positive.denominator == verdicts and card.positive.expected == positive
    assert card.score.denominator == len(scores) and card.weighted.total_weight == pytest.approx(weight)
    if counted < 5:
        assert card.fresh.value is None and card.fresh.reason.startswith("too few")
        assert card.positive.value is None
    else:
        assert card.fresh.value == pytest.approx(fresh / called)
        assert card.positive.value == pytest.approx(positive / verdicts)
    if len(scores) < 5:
        assert card.score.value is None and card.weighted.value is None
    else:
        assert card.score.value == pytest.approx(sum(scores) / len(scores))
        assert (card.score.low, card.score.high) == pytest.approx(_mean_interval(scores), abs=0.05)  # t by Cornish-Fisher
        assert card.score.median == pytest.approx(sorted(scores)[len(scores) // 2] if len(scores) % 2
                                                  else sum(sorted(scores)[len(scores) // 2 - 1:][:2]) / 2)
        assert card.weighted.value == pytest.approx(weighted / weight)


@pytest.mark.parametrize("expected", EXPECTED, ids=[str(e[0]) for e in EXPECTED])
def test_the_scorecard_as_of_each_day_by_hand(store, expected):
    engine, film_id = store
    with Session(engine) as session:
        card = film_scorecard(session, film_id, as_of=expected[0])
    assert card.as_of == expected[0]
    _check(card, expected)


def test_as_of_before_the_first_review_there_are_no_reviews(store):
    engine, film_id = store
    with Session(engine) as session:
        card = film_scorecard(session, film_id, as_of=date(2032, 2, 1))
    assert card.reviews == 0 and card.labels == [] and sum(card.source_counts.values()) == 0
    assert card.fresh.reason == "too few: 0 reviews, 5 needed"


def test_revisions_count_at_their_time(store):
    engine, film_id = store
    with Session(engine) as session:
        film = session.get(Film, film_id)
        states = film_states(session, film)
        ids = dict(session.execute(select(Review.url, Review.id)).all())
        day2, day3 = rows_at(states, end_of(DAY2)), rows_at(states, end_of(DAY3))
        cards = {day: film_scorecard(session, film_id, as_of=day) for day in (DAY2, DAY3, DAY4)}
        now = film_scorecard(session, film_id)
    score = lambda rows, url: {r.review_id: r.score for r in rows}.get(ids[url])
    assert (score(day2, R3.url), score(day3, R3.url)) == (40.0, 50.0)  # the re-rating from day 3
    assert score(day2, R9.url) is None and score(day3, R9.url) == 70.0  # this film's from its correction
    assert score(day3, R8.url) == 20.0 and ids[R8.url] not in {r.review_id for r in rows_at(states, end_of(DAY4))}
    # R4 before its manual verdict: the revision records "positive"; the source it had is not recorded
    [r4] = [r for r in day3 if r.review_id == ids[R4.url]]
    assert (r4.verdict, r4.fresh, r4.verdict_source, r4.confidence) == ("positive", True, UNRECORDED, None)
    assert cards[DAY3].source_counts == {"rating": 6, "text": 0, "label": 0, "inferred": 1, "manual": 0,
                                         "none": 0, UNRECORDED: 1}
    assert cards[DAY4].source_counts == now.source_counts == {"rating": 5, "text": 0, "label": 0, "inferred": 1,
                                                              "manual": 1, "none": 0}
    assert "unrecorded" not in now.source_counts  # the scorecard now is the scorecard it always was
    assert now.as_of is None


def _figures(card) -> tuple:
    w = card.weighted
    return (card.reviews, card.duplicates, card.fresh, card.positive, card.score,
            (w.value, w.denominator, w.total_weight, w.inferred, w.reason), [label.name for label in card.labels])


def _day_figures(day) -> tuple:
    w = day.weighted
    return (day.reviews, day.duplicates, day.fresh, day.positive, day.score,
            (w.value, w.denominator, w.total_weight, w.inferred, w.reason), day.labels)


def test_the_timeline_by_stored_time(store):
    engine, film_id = store
    with Session(engine) as session:
        history = film_history(session, film_id)
        now = film_scorecard(session, film_id)
        as_of = {day: film_scorecard(session, film_id, as_of=day) for day in (DAY1, DAY2, DAY3, DAY4)}
    assert (history.title, history.year, history.by, history.undated) == (FILM, 2032, "stored", 0)
    assert [(d.day, d.new, d.revised) for d in history.days] == [
        (DAY1, 4, 0),  # R1 R2 R3 R8
        (DAY2, 3, 0),  # R4 R5 R6 (R9 was another film's)
        (DAY3, 1, 2),  # R7; R3 re-rated, R9 corrected onto this film
        (DAY4, 0, 2),  # R4's manual verdict, R8 moved off
    ]
    for day, expected in zip(history.days, EXPECTED[1:2] + EXPECTED[3:]):
        assert _day_figures(day) == _figures(as_of[day.day])
        _check(as_of[day.day], expected)
    assert _day_figures(history.days[-1]) == _figures(now)  # the last row is `film show`, exactly


def test_the_timeline_by_publication_date(store):
    engine, film_id = store
    with Session(engine) as session:
        history = film_history(session, film_id, by="published")
        now = film_scorecard(session, film_id)
    assert [(d.day, d.new, d.revised, d.reviews, d.duplicates) for d in history.days] == [
        (date(2032, 2, 20), 2, 0, 2, 0),  # R1 R2 (R8 is another film's now)
        (date(2032, 2, 21), 1, 0, 2, 1),  # R6: Ada again
        (date(2032, 2, 25), 2, 0, 4, 1),  # R4 (negative now), R9
        (date(2032, 3, 2), 1, 0, 5, 1),  # R5
        (None, 2, 0, 7, 1),  # R3, R7: undated
    ]
    assert history.undated == 2
    assert history.days[2].fresh.expected == 3 and history.days[2].fresh.denominator == 4  # R1 R2 R9 fresh
    assert _day_figures(history.days[-1]) == _figures(now)


# --- the pure parts ------------------------------------------------------------------------------

ROW = ScoreInput(1, (7,), False, "negative", "manual", 1.0, 60.0, "evening-ledger", 1.0)
T0, T1, T2 = (datetime(2032, 1, d, tzinfo=UTC) for d in (1, 2, 3))


def test_a_state_takes_what_its_revision_does_not_record_from_the_state_after_it():
    kept = Revision(T1, 40.0, "negative", FILM, 2032, (7,))  # same verdict: the call is the later one's
    changed = Revision(T2, 40.0, "positive", None, None, None)  # a manual verdict: nothing but the call
    states = states_of(ROW, True, T0, [kept, changed], (FILM, 2032))
    assert [(s.since, s.revised) for s in states] == [(T0, False), (T1, True), (T2, True)]
    first, second, third = (s.row for s in states)
    assert third == ROW
    assert (second.verdict, second.fresh, second.verdict_source, second.confidence, second.score) == (
        "positive", True, UNRECORDED, None, 40.0)
    assert (first.verdict, first.fresh, first.verdict_source, first.score) == ("negative", False, UNRECORDED, 40.0)
    recorded = Revision(T2, 40.0, "positive", None, None, None, (True, "inferred", 0.7))  # since 0015
    first, second = (s.row for s in states_of(ROW, True, T0, [recorded], (FILM, 2032)))
    assert (first.verdict, first.fresh, first.verdict_source, first.confidence) == ("positive", True, "inferred", 0.7)
    mixed = states_of(ROW, True, T0, [Revision(T1, 55.0, "mixed", FILM, 2032, (7,))], (FILM, 2032))
    assert mixed[0].row.fresh is None  # a mixed verdict says no fresh call: not counted as one
    unscored = states_of(ROW, True, T0, [Revision(T1, None, None, FILM, 2032, (7,))], (FILM, 2032))
    assert (unscored[0].row.verdict_source, unscored[0].row.fresh, unscored[0].row.score) == (None, None, None)


def test_a_revision_names_the_film_and_critics_the_review_had():
    other = states_of(ROW, True, T0, [Revision(T1, 60.0, "negative", "The Tin Compass", 2032, (7,))], (FILM, 2032))
    assert other[0].row is None and other[1].row == ROW
    no_film = states_of(ROW, True, T0, [Revision(T1, 60.0, "negative", None, None, (7,))], (FILM, 2032))
    assert no_film[0].row is None  # critics recorded, no film: the review had none
    moved_off = states_of(ROW, False, T0, [Revision(T1, 60.0, "negative", FILM, 2032, (3, 4))], (FILM, 2032))
    assert moved_off[0].row.critic_ids == (3, 4) and moved_off[1].row is None
    namesake_year = states_of(ROW, True, T0, [Revision(T1, 60.0, "negative", FILM, None, (7,))], (FILM, 2032))
    assert namesake_year[0].row is None  # the year-less film of the title is another film


def test_rows_at_is_the_last_state_begun_before_the_cutoff():
    states = states_of(ROW, True, T1, [Revision(T2, 40.0, "negative", FILM, 2032, (7,))], (FILM, 2032))
    assert rows_at(states, T0) == [] and rows_at(states, T1) == []
    assert [r.score for r in rows_at(states, T2)] == [40.0] and rows_at(states, end_of(T2.date())) == [ROW]
    assert end_of(date(2032, 3, 3)) == datetime(2032, 3, 4, tzinfo=UTC)


def test_the_fold_skips_changes_that_never_touch_the_film_and_matches_the_scorecard_each_day():
    rows = [replace(ROW, review_id=i, critic_ids=(i,), score=float(10 * i), fresh=i % 2 == 0) for i in range(1, 8)]
    changes = [Change(date(2032, 1, 1 + i // 3), r.review_id, r, False) for i, r in enumerate(rows)]
    changes.append(Change(date(2032, 1, 9), 99, None, False))  # another film's review: no row for its day
    changes.append(Change(date(2032, 1, 10), 1, replace(rows[0], score=95.0), True))
    days = fold_days(changes)
    assert [(d.day.day, d.new, d.revised, d.reviews) for d in days] == [(1, 3, 0, 3), (2, 3, 0, 6), (3, 1, 0, 7),
                                                                        (10, 0, 1, 7)]
    final = scorecard_from_rows([replace(rows[0], score=95.0), *rows[1:]])
    assert _day_figures(days[-1]) == _figures(final)
    assert days[1].score.value == pytest.approx(sum(range(10, 70, 10)) / 6)


def test_a_bad_basis_is_refused():
    with pytest.raises(ValueError, match="stored, published"):
        changes_of([], "written")


# --- the commands --------------------------------------------------------------------------------


def _run(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(list(args))
    return code, out.getvalue()


def test_film_show_as_of_prints_the_scorecard_then_and_its_json(store):
    engine, _ = store
    url = engine.url.render_as_string(hide_password=False)
    code, text = _run("film", "show", FILM, "--as-of", "2032-03-03", "--db", url)
    assert code == 0
    assert "as of the end of 2032-03-03 (UTC)" in text and "6 reviews counted, 1 review left out" in text
    assert "fresh 63% [" in text and "of 6, 1 inferred" in text  # 3.8 / 6
    code, text = _run("film", "show", FILM, "--as-of", "2032-02-01", "--db", url)
    assert code == 0 and "no reviews of this film were stored by the end of 2032-02-01" in text
    code, text = _run("film", "show", FILM, "--as-of", "2032-03-05", "--json", "--db", url)
    document = json.loads(text)
    jsonschema.validate(document, load_schema("film-scorecard"))
    assert document["as_of"] == "2032-03-05" and document["reviews"] == 8
    assert document["source_counts"][UNRECORDED] == 1
    code, text = _run("film", "show", FILM, "--json", "--db", url)
    document = json.loads(text)
    jsonschema.validate(document, load_schema("film-scorecard"))
    assert document["as_of"] is None and document["reviews"] == 7


def test_film_history_prints_a_table_json_and_csv(store):
    engine, _ = store
    url = engine.url.render_as_string(hide_password=False)
    code, text = _run("film", "history", FILM, "--db", url)
    assert code == 0
    lines = text.splitlines()
    assert lines[0].startswith(f"{FILM} (2032): figures after each day") and "by stored time (UTC days)" in lines[1]
    assert [line.split()[0] for line in lines[5:]] == ["2032-03-01", "2032-03-03", "2032-03-05", "2032-03-08"]
    assert "54% [" in lines[-1] and "63.3 [" in lines[-1] and "66.2 of 6" in lines[-1]  # 3.8/7; 380/6; 530/8

    code, text = _run("film", "history", FILM, "--json", "--db", url)
    document = json.loads(text)
    jsonschema.validate(document, load_schema("film-history"))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**document, "days": [{"day": "2032-03-01"}]}, load_schema("film-history"))
    _, shown = _run("film", "show", FILM, "--json", "--db", url)
    card, last = json.loads(shown), document["days"][-1]
    for figure in ("reviews", "duplicates", "fresh", "positive", "score"):
        assert last[figure] == card[figure]
    assert last["weighted"]["value"] == card["weighted"]["value"]
    assert [d["day"] for d in document["days"]] == ["2032-03-01", "2032-03-03", "2032-03-05", "2032-03-08"]

    code, text = _run("film", "history", FILM, "--csv", "--by", "published", "--db", url)
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["day"] for r in rows] == ["2032-02-20", "2032-02-21", "2032-02-25", "2032-03-02", ""]
    assert rows[0]["fresh"] == "" and rows[0]["fresh_of"] == "2"  # too few: an empty cell, its inputs said
    assert float(rows[-1]["fresh"]) == pytest.approx(card["fresh"]["value"])
    assert float(rows[-1]["score"]) == pytest.approx(card["score"]["value"]) and rows[-1]["reviews"] == "7"


def test_a_bad_as_of_date_is_an_argparse_error(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["film", "show", FILM, "--as-of", "2032-13-01", "--db", "sqlite://"])
    assert exit_.value.code == 2
    assert "argument --as-of: not a date (YYYY-MM-DD): '2032-13-01'" in capsys.readouterr().err


def test_an_unknown_film_has_no_history(db_engine):
    url = db_engine.url.render_as_string(hide_password=False)
    code, _ = _run("film", "history", "The Paper Moon", "--db", url)
    assert code != 0
