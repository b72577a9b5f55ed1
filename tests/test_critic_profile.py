"""A critic against the consensus (aggregator.query.critic_profile, `aggregator critic show`),
on SQLite and PostgreSQL. Every outlet, critic and film here is fictional.

The figures are computed by hand from the small store below; a property test recomputes them
in plain Python from the rows of random stores.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from datetime import date
from importlib import resources

import jsonschema
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from aggregator.cli.main import main
from aggregator.db.models import Base, Critic
from aggregator.db.upsert import save_reviews
from aggregator.items import ReviewItem
from aggregator.query.critic_profile import (
    critic_profile,
    t_quantile_975,
    wilson_interval,
)
from tests.factories import outlet

LANTERN = outlet("daily-lantern", "The Daily Lantern", ("lantern.example",), scale="stars/5")
GAZETTE = outlet("reel-gazette", "Reel Gazette", ("gazette.example",), scale="stars/5")
PUBLICATIONS = {entry.key: entry for entry in (LANTERN, GAZETTE)}

TARGET = "Odile Varga"
OTHERS = ("Bram Castell", "Ines Moreau", "Jory Pell", "Kit Amsel", "Lior Dunmore")


def review(n: int, critics: str | tuple[str, ...], film: str | None, score: float | None = None,
           fresh: bool | None = None, *, source: str | None = None, entry=LANTERN,
           published: date | None = date(2031, 5, 1)) -> ReviewItem:
    """A stored review: a score makes a rated review (fresh from 60 unless given), no score
    with a call an inferred one."""
    critics = (critics,) if isinstance(critics, str) else critics
    if fresh is None and score is not None:
        fresh = score >= 60
    if source is None:
        source = "rating" if score is not None else ("inferred" if fresh is not None else None)
    verdict = None if fresh is None else ("positive" if fresh else "negative")
    return ReviewItem(
        url=f"https://{entry.domains[0]}/reviews/{n}", spider="test", publication_raw=entry.name,
        critic_raw=list(critics), critics=list(critics), film_raw=film, film_title=film,
        film_year=2031 if film else None, headline=f"{film} review {n}", text="A film.",
        publication=entry.key, rating_raw=None if score is None else f"{score:g}/100",
        rating_value=score, rating_best=None if score is None else 100.0,
        rating_worst=None if score is None else 0.0, scale=None if score is None else "points/100",
        score=score, verdict=verdict, fresh=fresh, verdict_source=source,
        confidence=0.8 if source == "inferred" else None, published=published,
    )  # fmt: skip


def save(engine, items) -> None:
    with Session(engine) as session:
        save_reviews(session, list(items), PUBLICATIONS)
        session.commit()


def critic_id(engine, name: str) -> int:
    with Session(engine) as session:
        (found,) = session.scalars(select(Critic.id).where(Critic.name == name)).all()
    return found


def url_of(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def others(n: int, film: str, scores: list[float | None], calls: list[bool] | None = None) -> list[ReviewItem]:
    """Reviews of `film` by the OTHERS, one each, numbered from n."""
    calls = calls or [None] * len(scores)
    return [review(n + i, OTHERS[i], film, score, call) for i, (score, call) in enumerate(zip(scores, calls))]


def hand_store() -> list[ReviewItem]:
    """The target (on the Gazette) and the others (on the Lantern) on six films."""
    t = lambda n, film, score=None, fresh=None, **kw: review(n, TARGET, film, score, fresh, entry=GAZETTE, **kw)  # noqa: E731
    return [
        # Copper Tide: others 3 of 4 fresh (75%), mean 62.5; target 90 agrees, +27.5
        t(1, "The Copper Tide", 90, published=date(2029, 3, 1)), *others(10, "The Copper Tide", [60, 70, 40, 80]),
        # Salt Meridian: others 4 of 4 fresh, mean 75; target 30 is contrarian, -45
        t(2, "Salt Meridian", 30), *others(20, "Salt Meridian", [80, 90, 70, 60]),
        # Lantern Hours: three others, all rotten, mean 30; target 50 rotten agrees, +20
        t(3, "Lantern Hours", 50, False), *others(30, "Lantern Hours", [20, 30, 40]),
        # Paper Wolves: two others only: below the minimum of three
        t(4, "Paper Wolves", None, True), *others(40, "Paper Wolves", [60, 40]),
        # Quiet Engines: others split 2-2 (no consensus), mean 52.5; target 70, +17.5
        t(5, "Quiet Engines", 70), *others(50, "Quiet Engines", [80, 30, 60, 40]),
        # Northern Glass: others 4 of 5 fresh (80%: strong); target's inferred fresh agrees
        t(6, "Northern Glass", None, True, published=None), *others(60, "Northern Glass", [70, 80, 90, 20, 80]),
        # no film: counted, left out of every figure
        t(7, None, 100),
    ]


def test_wilson_interval_matches_the_published_values():
    low, high = wilson_interval(3, 4)
    assert (round(low, 4), round(high, 4)) == (0.3006, 0.9544)  # Wilson (1927), z = 1.96
    assert wilson_interval(0, 10)[0] == 0.0 and wilson_interval(10, 10)[1] == 1.0
    assert math.isclose(t_quantile_975(3), 3.1824, abs_tol=1e-4)
    assert math.isclose(t_quantile_975(10), 2.2281, abs_tol=1e-4)
    assert math.isclose(t_quantile_975(60), 2.0003, abs_tol=1e-4)


def test_profile_figures_computed_by_hand(db_engine):
    save(db_engine, hand_store())
    with Session(db_engine) as session:
        profile = critic_profile(session, critic_id(db_engine, TARGET), min_other_reviews=3, minimum=2)
    assert (profile.name, profile.reviews, profile.without_film) == (TARGET, 7, 1)
    assert [(o.key, o.reviews) for o in profile.outlets] == [("reel-gazette", 7)]
    assert (profile.first_year, profile.last_year, profile.undated) == (2029, 2031, 1)

    agreement = profile.agreement  # Copper Tide, Lantern Hours, Northern Glass of four
    assert (agreement.count, agreement.denominator, agreement.inferred) == (3, 4, 1)
    assert agreement.value == 0.75 and (agreement.low, agreement.high) == wilson_interval(3, 4)
    assert profile.ties == 1  # Quiet Engines
    assert (profile.agreement_base.films, profile.agreement_base.calls) == (4, 4 + 4 + 3 + 5)

    contrarian = profile.contrarian  # Salt Meridian against; Lantern Hours, Northern Glass with
    assert (contrarian.count, contrarian.denominator, contrarian.inferred) == (1, 3, 1)

    differences = [27.5, -45.0, 20.0, 17.5]
    leniency = profile.leniency
    assert (leniency.denominator, leniency.inferred) == (4, 0)
    assert math.isclose(leniency.value, 5.0)
    half = 3.1824463 * math.sqrt(sum((d - 5.0) ** 2 for d in differences) / 3) / 2
    assert math.isclose(leniency.low, 5.0 - half, rel_tol=1e-6)
    assert math.isclose(leniency.high, 5.0 + half, rel_tol=1e-6)
    assert profile.leniency_base.calls == 4 + 4 + 3 + 4

    scores = profile.scores  # the film-less 100 is left out
    assert scores.denominator == 4
    assert {b.low: b.count for b in scores.bins if b.count} == {30: 1, 50: 1, 70: 1, 90: 1}
    assert [b.low for b in scores.bins] == list(range(0, 100, 10)) and scores.bins[-1].high == 100


def test_below_the_minimums_a_figure_is_too_few(db_engine):
    save(db_engine, hand_store())
    with Session(db_engine) as session:
        profile = critic_profile(session, critic_id(db_engine, TARGET))  # the defaults: 5 others, 5 inputs
    # only Northern Glass has five other calls; the others' scores reach five nowhere
    assert (profile.agreement.count, profile.agreement.denominator) == (1, 1)
    assert profile.agreement.value is None and profile.agreement.low is None
    assert profile.agreement.too_few == "too few: 1 reviews, at least 5 needed"
    assert profile.agreement.inferred == 1
    # no scored review of the target's has five other scores to be measured against
    assert profile.leniency.value is None and profile.leniency.denominator == 0
    assert profile.leniency.too_few == "too few: 0 reviews, at least 5 needed"


def test_leave_one_out_never_counts_the_critics_own_reviews(db_engine):
    """Echo Harbour: the others call it 1 fresh of 3 (rotten). Counted in, the target's own
    solo review and the review they co-wrote would make it 3 of 5 (fresh: both reviews agree)
    or 2 of 4 (a tie: no figure). Left out, both reviews disagree with the consensus."""
    save(db_engine, [
        review(1, TARGET, "Echo Harbour", 100),
        review(2, (TARGET, OTHERS[4]), "Echo Harbour", 90),
        *others(10, "Echo Harbour", [70, 20, 30]),
    ])
    with Session(db_engine) as session:
        profile = critic_profile(session, critic_id(db_engine, TARGET), min_other_reviews=3, minimum=1)
        coauthor = critic_profile(session, critic_id(db_engine, OTHERS[4]), min_other_reviews=3, minimum=1)
    assert (profile.reviews, profile.agreement.count, profile.agreement.denominator) == (2, 0, 2)
    assert profile.agreement_base.calls == 3  # the others' three calls, never the target's
    assert math.isclose(profile.leniency.value, ((100 - 40) + (90 - 40)) / 2)
    # the co-written review is the co-author's too, once; their consensus holds the target's solo one
    assert coauthor.reviews == 1
    assert (coauthor.agreement.denominator, coauthor.ties) == (0, 1)  # 2 of 4: a tie
    assert (coauthor.leniency.denominator, coauthor.leniency_base.calls) == (1, 4)  # 90 against a mean of 55


def test_a_merged_critic_counts_each_review_once(db_engine):
    profile_page = {TARGET: ["https://gazette.example/critics/odile-varga"]}
    save(db_engine, [replace(review(1, TARGET, "The Copper Tide", 80), critic_profiles=profile_page),
                     replace(review(2, TARGET, "Salt Meridian", 40, entry=GAZETTE), critic_profiles=profile_page)])
    with Session(db_engine) as session:
        profile = critic_profile(session, critic_id(db_engine, TARGET))
    assert profile.reviews == 2
    assert sorted((o.key, o.reviews) for o in profile.outlets) == [("daily-lantern", 1), ("reel-gazette", 1)]


def _schema(name: str) -> dict:
    return json.loads(resources.files("aggregator").joinpath(f"schemas/{name}").read_text(encoding="utf-8"))


def test_critic_show_prints_the_figures_and_valid_json(db_engine, capsys):
    # Winter Arcade: 3 of 3 others fresh, mean 80; the target's 80 agrees, +0: five inputs
    save(db_engine, [*hand_store(), review(8, TARGET, "Winter Arcade", 80, entry=GAZETTE),
                     *others(80, "Winter Arcade", [70, 80, 90])])
    url = url_of(db_engine)
    assert main(["critic", "show", TARGET, "--min-others", "3", "--db", url]) == 0
    out = capsys.readouterr().out
    assert "  reviews  8\n" in out and "  active   2029-2031 (1 undated)" in out
    low, high = wilson_interval(4, 5)
    assert (f"  agreement   80% [{100 * low:.0f}%-{100 * high:.0f}%] of 5 reviews (1 inferred);"
            " 1 on films the others split evenly left out\n"
            "      against the other reviews of 5 films: 19 calls, 0 inferred\n") in out
    assert "  leniency    runs 4.0 points high [" in out  # (27.5 - 45 + 20 + 17.5 + 0) / 5
    assert "  contrarian  too few: 4 reviews, at least 5 needed (1 inferred)" in out
    assert "     90-100     1 " in out
    assert main(["critic", "show", TARGET, "--min-others", "3", "--json", "--db", url]) == 0
    record = json.loads(capsys.readouterr().out)
    jsonschema.validate(record, _schema("critic-profile.schema.json"))
    (entry,) = record["critics"]
    assert (entry["agreement"]["count"], entry["agreement"]["denominator"]) == (4, 5)
    assert entry["aliases"] == [{"spelling": TARGET, "outlet": "reel-gazette"}]
    assert entry["contrarian"]["value"] is None and entry["contrarian"]["too_few"]
    assert main(["critic", "show", "Nobody Here", "--json", "--db", url]) == 2


def test_the_profile_schema_rejects_a_figure_without_its_denominator():
    record = {"query": "x", "critics": []}
    jsonschema.validate(record, _schema("critic-profile.schema.json"))
    broken = {"count": 1, "inferred": 0, "value": 0.5, "low": 0.1, "high": 0.9, "too_few": None}
    definitions = _schema("critic-profile.schema.json")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, {**definitions["$defs"]["share"], "$defs": definitions["$defs"]})


def test_critic_show_escapes_a_hostile_name(db_engine, capsys):
    hostile = "Ivo \u202eSRAM\u202c Marsh"
    save(db_engine, [review(1, hostile, "The Copper Tide", 80)])
    with Session(db_engine) as session:
        (stored,) = session.scalars(select(Critic.id)).all()
    assert main(["critic", "show", str(stored), "--db", url_of(db_engine)]) == 0
    out = capsys.readouterr().out
    assert "\u202e" not in out and "\\u202eSRAM" in out


# --- property: the figures recomputed in plain Python from random rows ------------------------

NAMES = ("Ada Quill", "Bo Tarrant", "Cy Wendel", "Dee Ormond")
FILMS = ("Film Alpha", "Film Beta", "Film Gamma", None)

rows = st.lists(st.tuples(
    st.sets(st.sampled_from(NAMES), min_size=1, max_size=2),
    st.sampled_from(FILMS),
    st.one_of(st.none(), st.integers(0, 100).map(float)),
    st.one_of(st.none(), st.booleans()),
    st.booleans(),  # inferred call
), min_size=1, max_size=30)


def build_store(generated) -> tuple[object, list[dict]]:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    plain = []
    items = []
    for n, (names, film, score, fresh, inferred) in enumerate(generated):
        names = tuple(sorted(names))
        source = ("inferred" if inferred else "label") if score is None and fresh is not None else None
        items.append(review(n, names, film, score, fresh, source=source))
        stored = items[-1]
        plain.append({"critics": set(names), "film": film, "score": stored.score, "fresh": stored.fresh,
                      "inferred": stored.verdict_source == "inferred"})
    save(engine, items)
    return engine, plain


def expected_profile(plain: list[dict], name: str, min_others: int) -> dict:
    agree = agreed = inferred = against = strong = ties = 0
    differences = []
    for row in plain:
        if name not in row["critics"] or row["film"] is None:
            continue
        rest = [r for r in plain if r["film"] == row["film"] and name not in r["critics"]]
        calls = [r["fresh"] for r in rest if r["fresh"] is not None]
        scores = [r["score"] for r in rest if r["score"] is not None]
        if row["fresh"] is not None and len(calls) >= min_others:
            share = sum(calls) / len(calls)
            if share == 0.5:
                ties += 1
            else:
                agreed += 1
                inferred += row["inferred"]
                agree += row["fresh"] == (share > 0.5)
            if share >= 0.8 or share <= 0.2:
                strong += 1
                against += row["fresh"] != (share >= 0.8)
        if row["score"] is not None and len(scores) >= min_others:
            differences.append(row["score"] - sum(scores) / len(scores))
    return {"agreement": (agree, agreed, inferred), "ties": ties, "contrarian": (against, strong),
            "differences": differences,
            "reviews": sum(name in r["critics"] for r in plain),
            "without_film": sum(name in r["critics"] and r["film"] is None for r in plain)}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows, st.integers(1, 3))
@example([({"Ada Quill"}, "Film Alpha", None, False, False)] * 4 + [({"Ada Quill"}, "Film Alpha", 60.0, None, False),
          ({"Ada Quill", "Bo Tarrant"}, "Film Alpha", None, False, False)], 1)  # 1 of 5 fresh: strong at 0.8
def test_profile_matches_a_plain_recomputation(generated, min_others):
    engine, plain = build_store(generated)
    try:
        with Session(engine) as session:
            ids = dict(session.execute(select(Critic.name, Critic.id)).all())
            for name, stored_id in ids.items():
                profile = critic_profile(session, stored_id, min_other_reviews=min_others, minimum=2)
                expected = expected_profile(plain, name, min_others)
                agreement = profile.agreement
                assert (agreement.count, agreement.denominator, agreement.inferred) == expected["agreement"]
                assert (profile.contrarian.count, profile.contrarian.denominator) == expected["contrarian"]
                assert profile.ties == expected["ties"]
                assert (profile.reviews, profile.without_film) == (expected["reviews"], expected["without_film"])
                differences = expected["differences"]
                assert profile.leniency.denominator == len(differences)
                if len(differences) >= 2:
                    assert math.isclose(profile.leniency.value, sum(differences) / len(differences), abs_tol=1e-9)
                else:
                    assert profile.leniency.value is None
    finally:
        engine.dispose()
