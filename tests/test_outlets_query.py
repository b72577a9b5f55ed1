"""Outlets against each other (aggregator.query.outlet_profile, aggregator.query.outlet_leniency;
`aggregator outlet show|adjust`, `aggregator outlets`), on SQLite and PostgreSQL. Every outlet,
critic and film here is fictional.

The figures are computed by hand on the small store below; the table (set-based SQL) is held
equal to the profile (Python over rows) on it and on random stores.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import asdict
from datetime import date
from importlib import resources

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from aggregator.cli.main import main
from aggregator.db.critic_merge import merge_critics
from aggregator.db.models import Base, Critic, Film
from aggregator.db.upsert import save_reviews
from aggregator.items import ReviewItem
from aggregator.query.critic_profile import MIN_OTHER_REVIEWS
from aggregator.query.intervals import t_quantile_975, wilson
from aggregator.query.outlet_leniency import adjusted_film_score, outlet_leniencies, outlet_table
from aggregator.query.outlet_profile import OutletNotStored, outlet_profile
from tests.factories import outlet

GAZETTE = outlet("reel-gazette", "Reel Gazette", ("gazette.example",), scale="stars/5")
LANTERN = outlet("daily-lantern", "The Daily Lantern", ("lantern.example",), scale="stars/5")
BEACON = outlet("night-beacon", "Night Beacon", ("beacon.example",), scale="stars/5")
PUBLICATIONS = {entry.key: entry for entry in (GAZETTE, LANTERN, BEACON)}


def review(n: int, critic: str | tuple[str, ...], film: str | None, score: float | None = None,
           fresh: bool | None = None, *, entry=LANTERN, confidence: float = 0.8,
           published: date | None = date(2031, 5, 1)) -> ReviewItem:
    """A rated review (fresh from 60 unless given), or with no score and a call an inferred one."""
    critics = [critic] if isinstance(critic, str) else list(critic)
    if fresh is None and score is not None:
        fresh = score >= 60
    source = "rating" if score is not None else ("inferred" if fresh is not None else None)
    return ReviewItem(
        url=f"https://{entry.domains[0]}/reviews/{n}", spider="test", publication_raw=entry.name,
        critic_raw=critics, critics=critics, film_raw=film, film_title=film,
        film_year=2031 if film else None, headline=f"{film} review {n}", text="A film.",
        publication=entry.key, rating_raw=None if score is None else f"{score:g}/100",
        rating_value=score, rating_best=None if score is None else 100.0,
        rating_worst=None if score is None else 0.0, scale=None if score is None else "points/100",
        score=score, verdict=None if fresh is None else ("positive" if fresh else "negative"), fresh=fresh,
        verdict_source=source, confidence=confidence if source == "inferred" else None, published=published,
    )  # fmt: skip


def others(n: int, film: str, scores: list[float], entry=LANTERN) -> list[ReviewItem]:
    """One review each of `film` by other critics on another outlet, numbered from n."""
    return [review(n + i, f"Other Critic {n + i}", film, score, entry=entry) for i, score in enumerate(scores)]


def save(engine, items) -> None:
    with Session(engine) as session:
        save_reviews(session, list(items), PUBLICATIONS)
        session.commit()


def gazette(n, critic, film, score=None, fresh=None, **kw) -> ReviewItem:
    return review(n, critic, film, score, fresh, entry=GAZETTE, **kw)


def hand_store() -> list[ReviewItem]:
    """The Gazette (two critics) against the Lantern's reviews on six films."""
    odile, pim = "Odile Varga", "Pim Harrow"
    return [
        # Copper Tide: others 3 of 4 fresh, mean 62.5; the Gazette's 90 and 70 both agree: +27.5, +7.5
        gazette(1, odile, "The Copper Tide", 90, published=date(2029, 3, 1)), gazette(2, pim, "The Copper Tide", 70),
        *others(10, "The Copper Tide", [60, 70, 40, 80]),
        # Salt Meridian: others 4 of 4 fresh, mean 75; 30 disagrees: -45
        gazette(3, odile, "Salt Meridian", 30), *others(20, "Salt Meridian", [80, 90, 70, 60]),
        # Lantern Hours: others 0 of 3 fresh, mean 30; a rotten 50 agrees: +20
        gazette(4, odile, "Lantern Hours", 50, False), *others(30, "Lantern Hours", [20, 30, 40]),
        # Paper Wolves: two others only (below 3); the Gazette's inferred rotten call at 0.7: P(fresh) 0.3
        gazette(5, odile, "Paper Wolves", None, False, confidence=0.7), *others(40, "Paper Wolves", [60, 40]),
        # Quiet Engines: others split 2-2 (a tie), mean 52.5; 70: +17.5
        gazette(6, pim, "Quiet Engines", 70), *others(50, "Quiet Engines", [80, 30, 60, 40]),
        # Northern Glass: others 4 of 5 fresh; an inferred fresh call at 0.8 agrees
        gazette(7, odile, "Northern Glass", None, True, published=None), *others(60, "Northern Glass", [70, 80, 90, 20, 80]),
        # no film: counted, left out of the film figures (it would be a fresh call)
        gazette(8, pim, None, 100),
    ]


DIFFERENCES = [27.5, 7.5, -45.0, 20.0, 17.5]


def same_figure(a, b) -> bool:
    """Two ShareFigures or MeanFigures equal field by field, numbers to rounding."""
    pairs = zip(asdict(a).values(), asdict(b).values())
    return type(a) is type(b) and all(x == y if not isinstance(x, float) or not isinstance(y, float)
                                      else math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9) for x, y in pairs)


def url_of(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_profile_figures_computed_by_hand(db_engine):
    save(db_engine, hand_store())
    with Session(db_engine) as session:
        profile = outlet_profile(session, "reel-gazette", min_other_reviews=3, minimum=2)
    assert (profile.key, profile.name, profile.reviews, profile.without_film) == ("reel-gazette", "Reel Gazette", 8, 1)
    assert profile.critics == 2
    assert (profile.first_year, profile.last_year, profile.undated) == (2029, 2031, 1)
    assert [(s.scale, s.reviews) for s in profile.scales] == [("points/100", 6), (None, 2)]

    positive = profile.positive  # 90, 70, 30, 50r, 0.3, 70, 0.8 over seven calls; the film-less 100 left out
    assert (positive.denominator, positive.inferred) == (7, 2)
    assert math.isclose(positive.count, 4.1) and math.isclose(positive.value, 4.1 / 7)
    low, high = wilson(4.1 / 7, 7)
    assert math.isclose(positive.low, low) and math.isclose(positive.high, high)

    agreement = profile.agreement  # Copper Tide twice, Lantern Hours, Northern Glass of five
    assert (agreement.count, agreement.denominator, agreement.inferred, profile.ties) == (4, 5, 1, 1)
    assert (agreement.low, agreement.high) == pytest.approx(wilson(0.8, 5))
    assert (profile.agreement_base.films, profile.agreement_base.calls) == (4, 4 + 4 + 3 + 5)

    leniency = profile.leniency
    mean = sum(DIFFERENCES) / 5
    half = t_quantile_975(4) * math.sqrt(sum((d - mean) ** 2 for d in DIFFERENCES) / 4) / math.sqrt(5)
    assert (leniency.denominator, leniency.inferred) == (5, 0)
    assert math.isclose(leniency.value, 5.5)
    assert math.isclose(leniency.low, 5.5 - half) and math.isclose(leniency.high, 5.5 + half)
    assert (profile.leniency_base.films, profile.leniency_base.calls) == (4, 4 + 4 + 3 + 4)


def test_the_table_gives_the_profiles_figures(db_engine):
    save(db_engine, [*hand_store(), *others(70, "Salt Meridian", [50], entry=BEACON)])
    with Session(db_engine) as session:
        entries = {e.key: e for e in outlet_leniencies(session, min_other_reviews=3, minimum=2)}
        assert set(entries) == {"reel-gazette", "daily-lantern", "night-beacon"}
        for key, entry in entries.items():
            profile = outlet_profile(session, key, min_other_reviews=3, minimum=2)
            assert (entry.reviews, entry.without_film, entry.ties) == (profile.reviews, profile.without_film, profile.ties)
            assert (entry.agreement_base, entry.leniency_base) == (profile.agreement_base, profile.leniency_base)
            for name in ("positive", "agreement", "leniency"):
                assert same_figure(getattr(entry, name), getattr(profile, name)), (key, name)
    gazette_entry = entries["reel-gazette"]  # Salt Meridian: the others' mean is now (300 + 50) / 5 = 70
    assert math.isclose(gazette_entry.leniency.value, (27.5 + 7.5 - 40 + 20 + 17.5) / 5)


def test_leave_one_out_never_counts_the_outlets_own_reviews(db_engine):
    """Echo Harbour: the other outlet calls it 1 fresh of 3 (rotten), mean 40. Counted in, the
    Gazette's own two fresh reviews would make it 3 of 5 (fresh: both agree) and the mean 62;
    leaving out only the review itself (its sibling kept in) 2 of 4, a tie. Left out, both
    disagree, and run (100 - 40 + 90 - 40) / 2 = 55 points high."""
    save(db_engine, [gazette(1, "Odile Varga", "Echo Harbour", 100), gazette(2, "Pim Harrow", "Echo Harbour", 90),
                     *others(10, "Echo Harbour", [70, 20, 30])])
    with Session(db_engine) as session:
        profile = outlet_profile(session, "reel-gazette", min_other_reviews=3, minimum=1)
        (entry,) = [e for e in outlet_leniencies(session, min_other_reviews=3, minimum=2) if e.key == "reel-gazette"]
    for figures in (profile, entry):
        assert (figures.agreement.count, figures.agreement.denominator, figures.ties) == (0, 2, 0)
        assert figures.agreement_base.calls == 3
        assert math.isclose(figures.leniency.value, 55.0)
        assert figures.leniency_base.calls == 3


def test_merged_critics_count_once(db_engine):
    save(db_engine, [gazette(1, "Odile Varga", "The Copper Tide", 80), gazette(2, "Odile Varga", "Salt Meridian", 60),
                     gazette(3, "O. Varga", "Lantern Hours", 40), gazette(4, ("Odile Varga", "Pim Harrow"), "Quiet Engines", 70)])
    with Session(db_engine) as session:
        assert outlet_profile(session, "reel-gazette").critics == 3
        ids = dict(session.execute(select(Critic.name, Critic.id)).all())
        merge_critics(session, ids["Odile Varga"], ids["O. Varga"], force=True)
        session.commit()
        profile = outlet_profile(session, "reel-gazette")
    assert (profile.critics, profile.reviews) == (2, 4)


def test_below_the_minimums_a_figure_is_too_few(db_engine):
    save(db_engine, hand_store())
    with Session(db_engine) as session:
        profile = outlet_profile(session, "reel-gazette")  # defaults: 5 other reviews, 5 inputs
        table = outlet_table(session, min_reviews=0)
    assert (profile.agreement.denominator, profile.agreement.value) == (1, None)  # Northern Glass only
    assert profile.agreement.too_few == "too few: 1 reviews, at least 5 needed"
    assert profile.leniency.value is None and profile.leniency.too_few == "too few: 0 reviews, at least 5 needed"
    assert profile.positive.value is not None  # seven calls
    (entry,) = [e for e in table.entries if e.key == "reel-gazette"]
    assert entry.leniency.too_few == profile.leniency.too_few and entry.leniency_standard_error is None
    assert [e.key for e in table.entries][-1] in {"reel-gazette", "daily-lantern"}  # no figure sorts last


def test_the_table_filters_sorts_and_limits(db_engine):
    save(db_engine, [*hand_store(), *others(70, "Salt Meridian", [50], entry=BEACON)])
    with Session(db_engine) as session:
        table = outlet_table(session, min_reviews=1, min_other_reviews=3, minimum=1)
        by_reviews = outlet_table(session, min_reviews=0, sort="reviews", limit=2, min_other_reviews=3)
        with pytest.raises(ValueError):
            outlet_table(session, sort="name")
    # the Lantern's reviews meet at most two Gazette reviews of a film: none comparable; the Beacon's one
    # (one difference has no spread: "too few", listed last)
    assert [e.key for e in table.entries] == ["reel-gazette", "night-beacon"]
    assert (table.entries[1].leniency.denominator, table.entries[1].leniency.value) == (1, None)
    assert (table.outlets, table.left_out) == (3, 1)
    assert [e.key for e in by_reviews.entries] == ["daily-lantern", "reel-gazette"] and by_reviews.left_out == 0


def test_unknown_outlet_is_an_error(db_engine):
    with Session(db_engine) as session, pytest.raises(OutletNotStored):
        outlet_profile(session, "no-such-outlet")


# --- the leniency-corrected film score --------------------------------------------------------


def adjust_store() -> list[ReviewItem]:
    """Winter Arcade: the Gazette's 80 against 70, 60, 50 (Lantern) and 90 (Beacon): +12.5."""
    return [*hand_store(), gazette(9, "Odile Varga", "Winter Arcade", 80),
            *others(80, "Winter Arcade", [70, 60, 50]), *others(90, "Winter Arcade", [90], entry=BEACON)]


def film_id(engine, title: str) -> int:
    with Session(engine) as session:
        return session.scalars(select(Film.id).where(Film.title == title)).one()


def test_adjusted_score_subtracts_each_outlets_leniency(db_engine):
    save(db_engine, adjust_store())
    with Session(db_engine) as session:
        result = adjusted_film_score(session, film_id(db_engine, "Winter Arcade"), min_comparable=5,
                                     min_other_reviews=3)
    differences = [*DIFFERENCES, 12.5]  # the Gazette's six comparable reviews
    leniency = sum(differences) / 6
    error = math.sqrt(sum((d - leniency) ** 2 for d in differences) / 5 / 6)
    values = [80 - leniency, 70, 60, 50, 90]
    mean = sum(values) / 5
    spread = math.sqrt(sum((v - mean) ** 2 for v in values) / 4)
    half = t_quantile_975(4) * math.sqrt(spread**2 / 5 + error**2 / 25)
    assert math.isclose(result.plain.value, 70.0)
    assert math.isclose(result.adjusted.value, mean)
    assert result.adjusted.low == pytest.approx(mean - half) and result.adjusted.high == pytest.approx(mean + half)
    # the Lantern's and the Beacon's reviews meet too few others: left as they are, counted
    assert (result.corrected, result.uncorrected, result.reviews) == (1, 4, 5)
    applied = {c.key: (c.applied, c.reviews, c.comparable) for c in result.corrections}
    assert applied == {"reel-gazette": (True, 1, 6), "daily-lantern": (False, 3, 0), "night-beacon": (False, 1, 1)}
    with Session(db_engine) as session:  # below min_comparable the Gazette is not corrected either
        plain = adjusted_film_score(session, film_id(db_engine, "Winter Arcade"), min_other_reviews=3)
        few = adjusted_film_score(session, film_id(db_engine, "Salt Meridian"), min_other_reviews=3)
    assert (plain.corrected, plain.adjusted.value) == (0, 70.0)
    assert few.plain.value is not None and few.reviews == 5
    with Session(db_engine) as session:
        tiny = adjusted_film_score(session, film_id(db_engine, "Lantern Hours"))
    assert tiny.plain.value is None and tiny.adjusted.too_few == "too few: 4 reviews, at least 5 needed"


# --- the commands ---------------------------------------------------------------------------


def _schema(name: str) -> dict:
    return json.loads(resources.files("aggregator").joinpath(f"schemas/{name}").read_text(encoding="utf-8"))


def test_outlet_show_prints_the_figures_and_valid_json(db_engine, capsys):
    save(db_engine, hand_store())
    url = url_of(db_engine)
    assert main(["outlet", "show", "reel-gazette", "--min-others", "3", "--db", url]) == 0
    out = capsys.readouterr().out
    assert "outlet reel-gazette: Reel Gazette\n" in out
    assert "  reviews    8 (1 without a film, left out of the figures below)\n  critics    2\n" in out
    assert "  scales     points/100 6, no rating 2\n" in out
    assert "  agreement  80% [" in out and "of 5 reviews (1 inferred); 1 on films the others split evenly" in out
    assert "  leniency   runs 5.5 points high [" in out
    assert main(["outlet", "show", "reel-gazette", "--min-others", "3", "--json", "--db", url]) == 0
    record = json.loads(capsys.readouterr().out)
    jsonschema.validate(record, _schema("outlet-profile.schema.json"))
    assert record["leniency"]["value"] == pytest.approx(5.5) and record["leniency"]["denominator"] == 5
    assert record["agreement"]["too_few"] is None and record["critics"] == 2


def test_outlet_show_of_an_unknown_key_exits_2(db_engine, capsys):
    save(db_engine, hand_store())
    assert main(["outlet", "show", "reel-gazete", "--db", url_of(db_engine)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "no outlet 'reel-gazete' in the database; did you mean reel-gazette?" in captured.err


def test_outlets_table_json_and_csv(db_engine, capsys):
    save(db_engine, [*hand_store(), *others(70, "Salt Meridian", [50], entry=BEACON)])
    url = url_of(db_engine)
    base = ["outlets", "--min-reviews", "1", "--min-others", "3", "--db", url]
    assert main(base) == 0
    out = capsys.readouterr().out
    assert out.startswith("2 of 3 outlets (with >= 1 comparable reviews; 1 with fewer left out), by leniency")
    assert "night-beacon" in out and "too few" in out  # the Beacon's one review: no figure, listed
    assert main([*base, "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    jsonschema.validate(record, _schema("outlets.schema.json"))
    assert [e["key"] for e in record["entries"]] == ["reel-gazette", "night-beacon"]
    assert main([*base, "--csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["key"] for r in rows] == ["reel-gazette", "night-beacon"]
    assert float(rows[0]["leniency"]) == pytest.approx(record["entries"][0]["leniency"]["value"])
    assert int(rows[0]["comparable"]) == 5 and rows[1]["leniency"] == ""
    assert main(["outlets", "--sort", "reviews", "--limit", "1", "--min-reviews", "0", "--json", "--db", url]) == 0
    assert [e["key"] for e in json.loads(capsys.readouterr().out)["entries"]] == ["daily-lantern"]


def test_the_outlets_schema_rejects_an_entry_without_its_denominator():
    schema = _schema("outlets.schema.json")
    broken = {"count": 1, "inferred": 0, "value": 0.5, "low": 0.1, "high": 0.9, "too_few": None}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, {**schema["$defs"]["share"], "$defs": schema["$defs"]})


def test_outlet_adjust_prints_plain_and_adjusted(db_engine, capsys):
    save(db_engine, adjust_store())
    url = url_of(db_engine)
    assert main(["outlet", "adjust", "Winter Arcade", "--min-comparable", "5", "--min-others", "3", "--db", url]) == 0
    out = capsys.readouterr().out
    assert "  plain score     70.0 [" in out and "  adjusted score  " in out
    assert "  corrected       1 reviews; 4 not (their outlet has fewer than 5 comparable reviews)" in out
    assert main(["outlet", "adjust", "No Such Film", "--db", url]) == 2
    assert "no film 'No Such Film'" in capsys.readouterr().err


def test_output_escapes_a_hostile_outlet_name(db_engine, capsys):
    hostile = outlet("bad-outlet", "Bad \x1b]0;owned\x07 Outlet", ("bad.example",))
    with Session(db_engine) as session:
        save_reviews(session, [review(1, "Ada Quill", "The Copper Tide", 80, entry=hostile)], {"bad-outlet": hostile})
        session.commit()
    assert main(["outlet", "show", "bad-outlet", "--db", url_of(db_engine)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\\x1b]0;owned\\x07" in out


# --- property: the set-based table equals the profile on random stores ------------------------

OUTLETS = (GAZETTE, LANTERN, BEACON)
rows = st.lists(st.tuples(
    st.integers(0, 2),  # outlet
    st.sampled_from(("Film Alpha", "Film Beta", "Film Gamma", None)),
    st.one_of(st.none(), st.integers(0, 100).map(float)),
    st.one_of(st.none(), st.booleans()),
    st.floats(0.5, 1.0),  # an inferred call's confidence
), min_size=1, max_size=30)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows, st.sampled_from([1, 2, 3, MIN_OTHER_REVIEWS]))  # the default's table reads the kept sums
def test_the_table_matches_the_profile_on_random_stores(generated, min_others):
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    try:
        save(engine, [review(n, f"Critic {n % 4}", film, score, fresh, entry=OUTLETS[o], confidence=c)
                      for n, (o, film, score, fresh, c) in enumerate(generated)])
        with Session(engine) as session:
            for entry in outlet_leniencies(session, min_other_reviews=min_others, minimum=2):
                profile = outlet_profile(session, entry.key, min_other_reviews=min_others, minimum=2)
                assert (entry.reviews, entry.without_film, entry.ties) == (profile.reviews, profile.without_film,
                                                                          profile.ties)
                assert (entry.agreement_base, entry.leniency_base) == (profile.agreement_base, profile.leniency_base)
                for name in ("positive", "agreement", "leniency"):
                    assert same_figure(getattr(entry, name), getattr(profile, name)), name
    finally:
        engine.dispose()
