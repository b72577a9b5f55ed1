"""`aggregator films top` (aggregator.query.leaderboard): a hand-computed ranking on a small
store, the filters, the shrinkage that keeps 3 reviews below 40, the query count, agreement with
the scorecard on a random store, and the --json shape. Both backends; fictional names only.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import random
from datetime import date

import jsonschema
import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from aggregator.cli.main import main
from aggregator.db.models import Film
from aggregator.db.upsert import save_reviews
from aggregator.items import ReviewItem
from aggregator.query.leaderboard import PRIOR_STRENGTH, Filters, top_films
from aggregator.query.scorecard import film_scorecard, load_schema
from tests.factories import outlet

PUBLICATIONS = {
    "daily-lantern": outlet("daily-lantern", "The Daily Lantern", ("lantern.example",)),
    "reel-gazette": outlet("reel-gazette", "Reel Gazette", ("gazette.example",), weight=2.0),
}
DOMAINS = {"daily-lantern": "lantern.example", "reel-gazette": "gazette.example"}


def item(n: int, film: str | None, year: int | None, critic: str, score: float | None, fresh: bool | None,
         *, outlet_key: str = "daily-lantern", source: str = "rating", confidence: float = 1.0,
         published: date = date(2031, 6, 1)) -> ReviewItem:
    verdict = None if fresh is None else ("positive" if fresh else "negative")
    return ReviewItem(
        url=f"https://{DOMAINS[outlet_key]}/reviews/{n}", spider="test", publication_raw=outlet_key,
        critic_raw=[critic], film_raw=film, headline=f"review {n}", text="A film.", publication=outlet_key,
        critics=[critic], film_title=film, film_year=year, score=score,
        rating_raw=None if score is None else f"{score:g}/100", rating_value=score,
        rating_best=None if score is None else 100.0, rating_worst=None if score is None else 0.0,
        scale=None if score is None else "points/100", verdict=verdict, fresh=fresh,
        verdict_source=None if verdict is None else source, confidence=None if verdict is None else confidence,
        published=published,
    )


def fixture_items() -> list[ReviewItem]:
    items = [item(i, "Moth and Ember", 2030, f"Moth Critic {i}", 100, True) for i in range(3)]
    items += [item(100 + i, "The Glass Orchard", 2031, f"Glass Critic {i}", 90, True,
                   published=date(2031, 1 + i % 12, 1)) for i in range(40)]
    items += [item(200 + i, "Harbour Lights", 2031, f"Harbour Critic {i}", 50, False, outlet_key="reel-gazette")
              for i in range(6)]
    items.append(item(300, "The Glass Orchard", 2031, "Glass Critic 0", 10, False))  # counted once: left out
    items.append(item(301, None, None, "Wren Abbot", 40, False))  # no film
    return items


@pytest.fixture
def store(db_engine):
    with Session(db_engine) as session:
        save_reviews(session, fixture_items(), PUBLICATIONS)
        session.commit()
    return db_engine


def test_the_ranking_by_hand(store):
    with Session(store) as session:
        board = top_films(session, by="score", min_reviews=3)
    # global mean (3 x 100 + 40 x 90 + 6 x 50) / 49; each film shrunk with 10 pseudo-reviews at it
    prior = (300 + 3600 + 300) / 49
    assert PRIOR_STRENGTH == 10 and board.prior_mean == pytest.approx(prior)
    assert [e.title for e in board.entries] == ["The Glass Orchard", "Moth and Ember", "Harbour Lights"]
    glass, moth, harbour = board.entries
    assert glass.shrunk == pytest.approx((3600 + 10 * prior) / 50)
    assert moth.shrunk == pytest.approx((300 + 10 * prior) / 13) and moth.value == 100  # 3 perfect reviews: 2nd
    assert harbour.shrunk == pytest.approx((300 + 10 * prior) / 16)
    assert (glass.reviews, glass.denominator, glass.value) == (40, 40, 90)  # Glass Critic 0 once
    assert board.unresolved == 1


def test_filters_and_the_minimum(store):
    with Session(store) as session:
        assert [e.title for e in top_films(session, min_reviews=3, filters=Filters(year=2031)).entries] == [
            "The Glass Orchard", "Harbour Lights"]
        assert [e.title for e in top_films(session).entries] == ["The Glass Orchard", "Harbour Lights"]  # 5
        only = top_films(session, min_reviews=1, filters=Filters(publication="reel-gazette"))
        assert [(e.title, e.reviews) for e in only.entries] == [("Harbour Lights", 6)]
        assert only.prior_mean == pytest.approx(50) and only.unresolved == 0
        recent = top_films(session, min_reviews=1, filters=Filters(since=date(2031, 12, 1)))
        # Glass reviews published in December (i % 12 == 11: 3 of them), and the others of June 2031
        glass = next(e for e in recent.entries if e.title == "The Glass Orchard")
        assert glass.reviews == 3
        by_fresh = top_films(session, by="positive", min_reviews=3)
        assert by_fresh.prior_mean == pytest.approx(43 / 49)
        assert [e.value for e in by_fresh.entries] == [1.0, 1.0, 0.0]


def test_inferred_calls_rank_by_their_probability(db_engine):
    items = [item(i, "Quiet Tide", 2031, f"Tide Critic {i}", None, True, source="inferred", confidence=0.6)
             for i in range(5)]
    items += [item(10 + i, "Loud Tide", 2031, f"Loud Critic {i}", None, True) for i in range(5)]
    with Session(db_engine) as session:
        save_reviews(session, items, PUBLICATIONS)
        session.commit()
        board = top_films(session, by="positive")
    assert [(e.title, e.value, e.inferred) for e in board.entries] == [
        ("Loud Tide", 1.0, 0), ("Quiet Tide", pytest.approx(0.6), 5)]


def test_the_leaderboard_agrees_with_the_scorecard_on_a_random_store(db_engine):
    rng = random.Random(11)
    items = []
    for n in range(300):
        fresh = rng.choice([True, False, None])
        source = rng.choice(["rating", "inferred"])
        items.append(item(n, f"Film {rng.randint(1, 12)}", 2031, f"Critic {rng.randint(1, 40)}",
                          None if source == "inferred" else round(rng.uniform(0, 100), 1), fresh,
                          outlet_key=rng.choice(list(DOMAINS)), source=source, confidence=rng.uniform(0.5, 1)))
    with Session(db_engine) as session:
        save_reviews(session, items, PUBLICATIONS)
        session.commit()
        for by, figure in (("positive", "fresh"), ("score", "score"), ("weighted", "weighted")):
            for entry in top_films(session, by=by, min_reviews=1, limit=100).entries:
                card = film_scorecard(session, entry.film_id)
                assert entry.reviews == card.reviews
                assert entry.denominator == getattr(card, figure).denominator
                assert entry.inferred == getattr(card, figure).inferred
                if getattr(card, figure).value is not None:
                    assert entry.value == pytest.approx(getattr(card, figure).value)


def test_one_grouped_query_whatever_the_number_of_films(store):
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(store, "before_cursor_execute", listener)
    try:
        with Session(store) as session:
            top_films(session, min_reviews=1)
    finally:
        event.remove(store, "before_cursor_execute", listener)
    assert len(statements) == 3  # global sums, the films grouped, the reviews with no film


def test_films_top_command_text_and_json(store):
    url = store.url.render_as_string(hide_password=False)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["films", "top", "--min-reviews", "3", "--db", url]) == 0
    text = out.getvalue()
    assert text.index("The Glass Orchard") < text.index("Moth and Ember") < text.index("Harbour Lights")
    assert "1 review with no film left out" in text
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["films", "top", "--json", "--by", "weighted", "--since", "2031-01-01", "--db", url]) == 0
    document = json.loads(out.getvalue())
    jsonschema.validate(document, load_schema("films-top"))
    assert document["filters"]["since"] == "2031-01-01" and document["by"] == "weighted"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**document, "by": "loudest"}, load_schema("films-top"))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["films", "top", "--csv", "--min-reviews", "3", "--db", url]) == 0
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [r["title"] for r in rows] == ["The Glass Orchard", "Moth and Ember", "Harbour Lights"]
    assert rows[0]["rank"] == "1" and float(rows[0]["value"]) == pytest.approx(90.0)


def test_a_title_with_control_characters_is_escaped(db_engine):
    with Session(db_engine) as session:
        save_reviews(session, [item(i, "Red\x1b[31m Tide", 2031, f"C {i}", 70, True) for i in range(5)],
                     PUBLICATIONS)
        session.commit()
        assert session.scalar(select(Film.title)) == "Red\x1b[31m Tide"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main(["films", "top", "--db", db_engine.url.render_as_string(hide_password=False)])
    assert "\x1b" not in out.getvalue() and "Red\\x1b[31m Tide" in out.getvalue()
