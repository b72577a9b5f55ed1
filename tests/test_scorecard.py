"""A film's scorecard (aggregator.query.scorecard): hand-computed figures on a small store on
both backends, the intervals' coverage by simulation, a property test against plain Python, the
labels and their rules file, and `film show` (text and --json against its schema).

All outlets, critics and films here are fictional.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import random
from dataclasses import asdict, replace
from datetime import date

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.cli.main import main
from aggregator.db.models import Film
from aggregator.db.upsert import save_reviews
from aggregator.items import ReviewItem
from aggregator.query.scorecard import (
    MIN_REVIEWS,
    TOP_CRITIC_FACTOR,
    LabelRulesError,
    ScoreInput,
    film_labels,
    film_scorecard,
    label_rules,
    scorecard_from_rows,
    wilson,
)
from aggregator.query.scorecard import (
    t_quantile_975 as t_quantile,
)
from tests.factories import outlet

PUBLICATIONS = {
    "daily-lantern": outlet("daily-lantern", "The Daily Lantern", ("lantern.example",)),
    "reel-gazette": outlet("reel-gazette", "Reel Gazette", ("gazette.example",), weight=2.0),
}
DOMAINS = {"daily-lantern": "lantern.example", "reel-gazette": "gazette.example"}


def review(n: int, critic: str, outlet_key: str, score: float | None, fresh: bool | None, verdict: str | None,
           source: str = "rating", confidence: float | None = 1.0, film: str | None = "The Glass Orchard",
           top_critic: bool | None = None) -> ReviewItem:
    return ReviewItem(
        url=f"https://{DOMAINS[outlet_key]}/reviews/{n}", spider="test", publication_raw=outlet_key,
        critic_raw=[critic], film_raw=film, headline=f"review {n}", text="A film.",
        publication=outlet_key, critics=[critic], film_title=film, film_year=2031 if film else None,
        rating_raw=None if score is None else f"{score:g}/100", rating_value=score,
        rating_best=None if score is None else 100.0, rating_worst=None if score is None else 0.0,
        scale=None if score is None else "points/100", score=score, verdict=verdict, fresh=fresh,
        verdict_source=source if verdict else None, confidence=confidence if verdict else None,
        published=date(2031, 5, n), top_critic=top_critic,
        listed_at="https://listings.example/m/the_glass_orchard" if top_critic else None,
    )


FIXTURE = [
    review(1, "Ada Fenwick", "daily-lantern", 80, True, "positive"),
    review(2, "Bram Holt", "reel-gazette", 60, True, "mixed", top_critic=True),
    review(3, "Cora Lind", "daily-lantern", 40, False, "mixed"),
    review(4, "Dev Marsh", "reel-gazette", 90, True, "positive"),
    review(5, "Edda Quill", "daily-lantern", None, True, "positive", "inferred", 0.8),
    review(6, "Finn Rowe", "reel-gazette", None, False, "negative", "inferred", 0.7),
    review(7, "Ada Fenwick", "daily-lantern", 20, False, "negative"),  # Ada again: counted once
    review(8, "Gil Sato", "daily-lantern", 70, True, "positive"),
    review(9, "Hana Voss", "daily-lantern", 10, False, "negative", film=None),  # no film
]


@pytest.fixture
def store(db_engine):
    with Session(db_engine) as session:
        for item in FIXTURE:  # one by one: ids in this order (and see the report on mixed batches)
            save_reviews(session, [item], PUBLICATIONS)
        session.commit()
        film_id = session.scalar(select(Film.id).where(Film.title == "The Glass Orchard"))
    return db_engine, film_id


def test_the_scorecard_of_the_fixture_film_by_hand(store):
    engine, film_id = store
    with Session(engine) as session:
        card = film_scorecard(session, film_id)
    assert (card.reviews, card.duplicates) == (7, 1)
    # fresh: 1 + 1 + 0 + 1 + 0.8 (inferred fresh at 0.8) + 0.3 (inferred rotten at 0.7) + 1
    assert card.fresh.denominator == 7 and card.fresh.inferred == 2
    assert card.fresh.expected == pytest.approx(5.1)
    assert card.fresh.value == pytest.approx(5.1 / 7)
    z, p, n = 1.959964, 5.1 / 7, 7
    centre, half = (p + z * z / (2 * n)) / (1 + z * z / n), z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert (card.fresh.low, card.fresh.high) == pytest.approx((centre - half, centre + half))
    assert (card.positive.value, card.positive.denominator, card.positive.inferred) == (pytest.approx(4 / 7), 7, 2)
    # scores 80 60 40 90 70: mean 68, median 70, sample variance 1480 / 4 = 370, t(4) = 2.776
    assert (card.score.value, card.score.median, card.score.denominator) == (68, 70, 5)
    assert card.score.low == pytest.approx(68 - 2.776 * math.sqrt(370 / 5), abs=0.1)
    assert card.score.high == pytest.approx(68 + 2.776 * math.sqrt(370 / 5), abs=0.1)
    # weights: lantern 1, gazette 2, Bram a top critic on the gazette 2 x TOP_CRITIC_FACTOR
    assert TOP_CRITIC_FACTOR == 2.0
    assert card.weighted.value == pytest.approx((80 + 4 * 60 + 40 + 2 * 90 + 70) / 9)
    assert card.weighted.total_weight == pytest.approx(9)
    assert {(w.outlet, w.registry_weight, w.reviews, w.top_critic_reviews) for w in card.weighted.weights} == {
        ("daily-lantern", 1.0, 3, 0), ("reel-gazette", 2.0, 2, 1)}
    assert card.source_counts["rating"] == 5 and card.source_counts["inferred"] == 2
    assert [b.count for b in card.histogram] == [0, 0, 0, 0, 1, 0, 1, 1, 1, 1]
    assert (card.histogram[-1].low, card.histogram[-1].high) == (90, 100)
    assert card.top_critics.reviews == 1
    assert card.top_critics.fresh.value is None and card.top_critics.fresh.reason == "too few: 1 review, 5 needed"
    assert [(label.kind, label.name) for label in card.labels] == [("band", "generally favorable")]
    assert "68.0 >= 61" in card.labels[0].rule


def test_below_the_minimum_a_figure_is_too_few():
    rows = [ScoreInput(i, (i,), True, "positive", "rating", 1.0, 90.0, "x", 1.0) for i in range(MIN_REVIEWS - 1)]
    card = scorecard_from_rows(rows)
    for figure in (card.fresh, card.positive, card.score, card.weighted):
        assert figure.value is None and figure.reason.startswith("too few")
    assert card.labels == []
    card = scorecard_from_rows([*rows, replace(rows[0], review_id=99, critic_ids=(99,))])
    assert card.fresh.value == 1.0 and card.score.value == 90.0


def test_t_quantile_is_close_to_the_table():
    for df, table in ((4, 2.776), (9, 2.262), (29, 2.045), (200, 1.972)):
        assert t_quantile(df) == pytest.approx(table, abs=0.01)


# --- coverage by simulation ----------------------------------------------------------------


def _coverage(rng: random.Random, inferred_share: float, films: int = 2000) -> float:
    """Share of synthetic films whose 95% interval holds their true fresh share θ. Each
    critic's own call is fresh with probability θ; a given review shows it, an inferred one only
    the model's probability of fresh, read from a text signal s ~ N(±1.5, 1) as P(fresh | s) =
    1 / (1 + exp(-3 s)): calibrated across films (θ uniform on [0.15, 0.85], symmetric about
    the model's prior 1/2), without knowing the film's θ, as a real text model reads a review."""
    covered = 0
    for _ in range(films):
        theta, n = rng.uniform(0.15, 0.85), rng.randint(20, 150)
        values = []
        for _ in range(n):
            fresh = rng.random() < theta
            if rng.random() < inferred_share:
                signal = rng.gauss(1.5 if fresh else -1.5, 1.0)
                values.append(1.0 / (1.0 + math.exp(-3.0 * signal)))
            else:
                values.append(1.0 if fresh else 0.0)
        card = scorecard_from_rows([
            ScoreInput(i, (i,), v >= 0.5, None, "inferred" if 0 < v < 1 else "rating", v if v >= 0.5 else 1 - v,
                       None, "x", 1.0) for i, v in enumerate(values)])
        covered += card.fresh.low <= theta <= card.fresh.high
    return covered / films


@pytest.mark.parametrize("inferred_share", [0.0, 0.3])
def test_the_95_interval_covers_the_true_share_95_percent_of_the_time(inferred_share):
    coverage = _coverage(random.Random(17), inferred_share)
    assert 0.93 <= coverage <= 0.97


def test_hard_calls_for_inferred_reviews_would_not_cover():
    """The check above can fail: counting every review as a hard call of a weak model (right 70%
    of the time) misses the true share far more often than 5%."""
    rng, covered, films = random.Random(5), 0, 1000
    for _ in range(films):
        theta, n = rng.uniform(0.15, 0.85), rng.randint(20, 150)
        calls = [(rng.random() < theta) == (rng.random() < 0.7) for _ in range(n)]
        low, high = wilson(sum(calls) / n, n)
        covered += low <= theta <= high
    assert covered / films < 0.9


# --- property: the scorecard is what plain Python says ---------------------------------------

rows_strategy = st.lists(
    st.tuples(st.lists(st.integers(1, 8), min_size=0, max_size=2, unique=True),
              st.sampled_from([None, True, False]), st.sampled_from(["rating", "inferred", "label"]),
              st.floats(0.5, 1.0), st.one_of(st.none(), st.floats(0, 100)), st.booleans(),
              st.sampled_from([("a", 1.0), ("b", 2.5)])),
    max_size=30,
)


@settings(max_examples=150, deadline=None)
@given(rows_strategy)
def test_the_scorecard_recomputed_in_plain_python(raw):
    rows = [ScoreInput(i, tuple(critics), fresh, None if fresh is None else ("positive" if fresh else "negative"),
                       None if fresh is None else source, confidence, score, key, weight, top)
            for i, (critics, fresh, source, confidence, score, top, (key, weight)) in enumerate(raw)]
    card = scorecard_from_rows(rows)
    seen, kept = set(), []
    for row in rows:
        if not any(c in seen for c in row.critic_ids):
            kept.append(row)
        seen |= set(row.critic_ids)
    assert card.reviews == len(kept) and card.duplicates == len(rows) - len(kept)
    called = [r for r in kept if r.fresh is not None]
    p = [(r.confidence if r.fresh else 1 - r.confidence) if r.verdict_source == "inferred" else float(r.fresh)
         for r in called]
    assert card.fresh.denominator == len(called) and card.fresh.expected == pytest.approx(sum(p))
    assert card.fresh.inferred == sum(r.verdict_source == "inferred" for r in called)
    verdicts = [r for r in kept if r.verdict is not None]
    assert card.positive.expected == sum(r.verdict == "positive" for r in verdicts)
    scored = [r for r in kept if r.score is not None]
    if len(called) >= MIN_REVIEWS:
        assert card.fresh.low <= card.fresh.value <= card.fresh.high
    else:
        assert card.fresh.value is None
    if len(scored) >= MIN_REVIEWS:
        assert card.score.value == pytest.approx(sum(r.score for r in scored) / len(scored))
        weights = [r.outlet_weight * (TOP_CRITIC_FACTOR if r.top_critic else 1) for r in scored]
        assert card.weighted.value == pytest.approx(sum(w * r.score for w, r in zip(weights, scored)) / sum(weights))
    else:
        assert card.score.value is None and card.weighted.value is None
    assert sum(b.count for b in card.histogram) == len(scored)
    assert card.top_critics.reviews == sum(r.top_critic for r in kept)


# --- labels ----------------------------------------------------------------------------------


def _card(n: int, fresh: int, top: int, score: float):
    rows = [ScoreInput(i, (i,), i < fresh, "positive", "rating", 1.0, score, "x", 1.0, i < top) for i in range(n)]
    return scorecard_from_rows(rows)


def test_certified_follows_the_default_rule():
    assert ("certified", "certified fresh") in [(x.kind, x.name) for x in _card(80, 60, 5, 85).labels]
    assert "certified" not in [x.kind for x in _card(80, 59, 5, 85).labels]  # 73.75% fresh
    assert "certified" not in [x.kind for x in _card(79, 79, 5, 85).labels]  # 79 reviews
    assert "certified" not in [x.kind for x in _card(80, 80, 4, 85).labels]  # 4 top critics
    assert [x.name for x in _card(80, 80, 5, 85).labels if x.kind == "band"] == ["universal acclaim"]


def test_a_user_labels_file_overrides(tmp_path, monkeypatch):
    user = tmp_path / "labels.toml"
    user.write_text('[certified]\nmin_reviews = 10\nname = "house pick"\n'
                    '[bands]\nlevels = [{ name = "good", min_score = 50 }, { name = "bad", min_score = 0 }]\n')
    monkeypatch.setenv("AGGREGATOR_LABELS", str(user))
    labels = _card(10, 10, 5, 55).labels
    assert [(x.kind, x.name, x.source) for x in labels] == [("band", "good", str(user)),
                                                            ("certified", "house pick", str(user))]
    user.write_text("[bands]\nlevels = [{ title = 'no min_score' }]\n")
    with pytest.raises(LabelRulesError):
        label_rules()
    monkeypatch.delenv("AGGREGATOR_LABELS")
    assert film_labels(_card(10, 10, 5, 55))[0].source == "aggregator/query/labels.toml"


# --- the command ------------------------------------------------------------------------------


def _run(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(list(args))
    return code, out.getvalue()


def test_film_show_prints_the_scorecard_and_its_json(store):
    engine, _ = store
    url = engine.url.render_as_string(hide_password=False)
    code, text = _run("film", "show", "The Glass Orchard", "--db", url)
    assert code == 0
    assert "average score: 60.0/100 (from 6 scored)" in text  # the summary above it lists every review
    assert "fresh 73% [" in text and "of 7, 2 inferred" in text
    assert "generally favorable" in text and "1 review left out" in text
    code, text = _run("film", "show", "The Glass Orchard", "--json", "--db", url)
    assert code == 0
    document = json.loads(text)
    from aggregator.query.scorecard import load_schema

    jsonschema.validate(document, load_schema("film-scorecard"))
    assert document["fresh"]["denominator"] == 7 and document["reviews"] == 7
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**document, "fresh": {"value": 0.5}}, load_schema("film-scorecard"))
    with Session(engine) as session:
        assert asdict(film_scorecard(session, document["film_id"]))["weighted"]["value"] == pytest.approx(
            document["weighted"]["value"])
