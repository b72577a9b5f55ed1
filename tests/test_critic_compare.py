"""Critic against critic (aggregator.query.critic_compare, `aggregator critic compare|similar`),
on SQLite and PostgreSQL. Every outlet, critic and film here is fictional."""

from __future__ import annotations

import csv
import io
import json
import math

import jsonschema
from hypothesis import HealthCheck, given, settings
from sqlalchemy import and_, case, event, func, or_, select
from sqlalchemy.orm import Session, aliased

from aggregator.cli.common import EXIT_NOT_FOUND, EXIT_USAGE
from aggregator.cli.main import main
from aggregator.db.models import Critic, Review, ReviewCritic
from aggregator.query.critic_compare import _agreement_by_critic, compare_critics, pearson, similar_critics
from aggregator.query.critic_profile import INFERRED, wilson_interval
from tests.test_critic_profile import (
    GAZETTE,
    OTHERS,
    TARGET,
    _schema,
    build_store,
    critic_id,
    hand_store,
    others,
    review,
    rows,
    save,
    url_of,
)

BRAM = OTHERS[0]


def store(engine) -> None:
    """The profile tests' store and Winter Arcade: the target and Bram Castell share seven films."""
    save(engine, [*hand_store(), review(8, TARGET, "Winter Arcade", 80, entry=GAZETTE),
                  *others(80, "Winter Arcade", [70, 80, 90])])


def test_compare_computed_by_hand(db_engine):
    store(db_engine)
    with Session(db_engine) as session:
        comparison = compare_critics(session, critic_id(db_engine, TARGET), critic_id(db_engine, BRAM))
    assert (comparison.shared_films, comparison.co_written) == (7, 0)
    agreement = comparison.agreement  # every film but Salt Meridian; Paper Wolves and Northern Glass inferred
    assert (agreement.count, agreement.denominator, agreement.inferred) == (6, 7, 2)
    assert (agreement.low, agreement.high) == wilson_interval(6, 7)
    # both scored: Copper Tide 90/60, Salt Meridian 30/80, Lantern Hours 50/20, Quiet Engines 70/80,
    # Winter Arcade 80/70
    assert comparison.correlation.denominator == 5
    assert math.isclose(comparison.correlation.value, 160 / math.sqrt(2320 * 2480))
    assert math.isclose(comparison.mean_difference.value, (30 - 50 + 30 - 10 + 10) / 5)
    assert [(d.title, d.difference, d.opposite_calls) for d in comparison.disagreements] == [
        ("Salt Meridian", -50.0, True), ("The Copper Tide", 30.0, False), ("Lantern Hours", 30.0, False),
        ("Quiet Engines", -10.0, False), ("Winter Arcade", 10.0, False)]


def test_opposite_calls_without_scores_rank_after_score_differences(db_engine):
    save(db_engine, [review(1, TARGET, "Film One", None, True), review(2, BRAM, "Film One", None, False),
                     review(3, TARGET, "Film Two", 70), review(4, BRAM, "Film Two", 65),
                     review(5, TARGET, "Film Three", 50), review(6, BRAM, "Film Three", 50)])
    with Session(db_engine) as session:
        comparison = compare_critics(session, critic_id(db_engine, TARGET), critic_id(db_engine, BRAM))
    # Film Three: same score, same call: no disagreement
    assert [(d.title, d.difference, d.opposite_calls) for d in comparison.disagreements] == [
        ("Film Two", 5.0, False), ("Film One", None, True)]
    assert comparison.correlation.value is None and comparison.correlation.too_few.startswith("too few: 2")


def test_a_review_both_wrote_is_on_neither_side(db_engine):
    save(db_engine, [review(1, (TARGET, BRAM), "Film One", 90),  # would be a free agreement
                     review(2, TARGET, "Film Two", 80), review(3, BRAM, "Film Two", 30)])
    with Session(db_engine) as session:
        a, b = critic_id(db_engine, TARGET), critic_id(db_engine, BRAM)
        comparison = compare_critics(session, a, b, minimum=1)
        similar = similar_critics(session, a, min_overlap=1)
    assert (comparison.shared_films, comparison.co_written) == (1, 1)
    assert (comparison.agreement.count, comparison.agreement.denominator) == (0, 1)
    (other,) = similar.critics
    assert (other.name, other.agreement.count, other.agreement.denominator) == (BRAM, 0, 1)


def test_similar_ranks_by_the_low_end_of_the_interval(db_engine):
    store(db_engine)
    with Session(db_engine) as session:
        target = critic_id(db_engine, TARGET)
        similar = similar_critics(session, target, min_overlap=2)
        fewer = similar_critics(session, target, min_overlap=7, limit=1)
    # agreements counted by hand from the store: Bram 6/7, Jory 4/6, Ines 4/7, Kit 1/4
    assert [(c.name, c.agreement.count, c.agreement.denominator) for c in similar.critics] == [
        (BRAM, 6, 7), ("Jory Pell", 4, 6), ("Ines Moreau", 4, 7), ("Kit Amsel", 1, 4)]
    assert [c.agreement.low for c in similar.critics] == sorted((c.agreement.low for c in similar.critics),
                                                                reverse=True)
    assert similar.candidates == 4  # Lior Dunmore called one film the target called
    assert (fewer.candidates, [c.name for c in fewer.critics]) == (2, [BRAM])


def test_similar_is_one_statement_whatever_the_number_of_critics(db_engine):
    store(db_engine)
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    with Session(db_engine) as session:
        target = critic_id(db_engine, TARGET)
        event.listen(db_engine, "before_cursor_execute", listener)
        try:
            similar_critics(session, target, min_overlap=1)
        finally:
            event.remove(db_engine, "before_cursor_execute", listener)
    assert len([s for s in statements if "review_critics" in s]) == 1, statements


def test_compare_and_similar_commands_print_tables_and_valid_json(db_engine, capsys):
    store(db_engine)
    url = url_of(db_engine)
    assert main(["critic", "compare", TARGET, BRAM, "--db", url]) == 0
    out = capsys.readouterr().out
    assert "  films both reviewed  7\n" in out
    assert "  score correlation    r = +0.07 over 5 films both scored (0 inferred)" in out
    assert "Salt Meridian    2031  30           rotten  80            fresh   -50" in out
    assert main(["critic", "compare", TARGET, BRAM, "--json", "--db", url]) == 0
    record = json.loads(capsys.readouterr().out)
    jsonschema.validate(record, _schema("critic-compare.schema.json"))
    assert record["agreement"]["count"] == 6 and len(record["disagreements"]) == 5
    assert main(["critic", "similar", TARGET, "--min-overlap", "2", "--db", url]) == 0
    assert "1   Bram Castell  7      86%" in capsys.readouterr().out
    assert main(["critic", "similar", TARGET, "--min-overlap", "2", "--limit", "2", "--json", "--db", url]) == 0
    record = json.loads(capsys.readouterr().out)
    jsonschema.validate(record, _schema("critic-similar.schema.json"))
    assert [c["name"] for c in record["critics"]] == [BRAM, "Jory Pell"] and record["candidates"] == 4
    assert main(["critic", "similar", TARGET, "--min-overlap", "2", "--limit", "2", "--csv", "--db", url]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["rank"], r["name"]) for r in rows] == [("1", BRAM), ("2", "Jory Pell")]
    assert main(["critic", "compare", TARGET, BRAM, "--csv", "--db", url]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 5 and {"title", "score_a", "score_b", "difference"} <= set(rows[0])
    assert ("Salt Meridian", "30.0", "80.0", "-50.0") in {(r["title"], r["score_a"], r["score_b"], r["difference"])
                                                           for r in rows}


def test_critics_are_named_by_name_or_id_and_namesakes_are_refused(db_engine, capsys):
    save(db_engine, [review(1, TARGET, "Film One", 80), review(2, TARGET, "Film One", 60, entry=GAZETTE),
                     review(3, BRAM, "Film One", 70)])
    url = url_of(db_engine)
    assert main(["critic", "compare", TARGET, BRAM, "--db", url]) == EXIT_USAGE
    assert "2 critics are named 'Odile Varga'; give an id: " in capsys.readouterr().err
    with Session(db_engine) as session:
        first = session.scalars(select(Critic.id).where(Critic.name == TARGET).order_by(Critic.id)).first()
    assert main(["critic", "compare", str(first), BRAM, "--db", url]) == 0
    assert main(["critic", "compare", str(first), str(first), "--db", url]) == EXIT_USAGE
    assert main(["critic", "similar", "Nobody Here", "--db", url]) == EXIT_NOT_FOUND
    assert "aggregator critic similar: no critic 'Nobody Here'" in capsys.readouterr().err


def test_pearson_by_hand():
    assert math.isclose(pearson([(1, 2), (2, 4), (3, 6)]), 1.0)
    assert math.isclose(pearson([(1, 3), (2, 2), (3, 1)]), -1.0)
    assert pearson([(1, 5), (2, 5), (3, 5)]) is None


# --- property: per-film agreement recomputed from the rows; similar == compare ----------------


def expected_agreement(plain: list[dict], a: str, b: str) -> tuple[int, int, int]:
    """(agreed, films both called, of them with an inferred call) by the per-film rule."""
    def calls(name: str, other: str, film: str):
        mine = [r for r in plain if r["film"] == film and name in r["critics"] and other not in r["critics"]
                and r["fresh"] is not None]
        return {r["fresh"] for r in mine}, any(r["inferred"] for r in mine)

    agreed = called = inferred = 0
    for film in {r["film"] for r in plain if r["film"] is not None}:
        (mine, mine_inferred), (theirs, theirs_inferred) = calls(a, b, film), calls(b, a, film)
        if len(mine) == 1 and len(theirs) == 1:
            called += 1
            agreed += mine == theirs
            inferred += mine_inferred or theirs_inferred
    return agreed, called, inferred


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows)
def test_compare_and_similar_match_a_plain_recomputation(generated):
    engine, plain = build_store(generated)
    try:
        with Session(engine) as session:
            ids = dict(session.execute(select(Critic.name, Critic.id)).all())
            for name, a in ids.items():
                similar = {c.name: c.agreement for c in similar_critics(session, a, min_overlap=1, limit=99).critics}
                for other, b in ids.items():
                    if other == name:
                        continue
                    expected = expected_agreement(plain, name, other)
                    agreement = compare_critics(session, a, b, minimum=1).agreement
                    assert (agreement.count, agreement.denominator, agreement.inferred) == expected
                    if expected[1]:
                        found = similar[other]
                        assert (found.count, found.denominator, found.inferred) == expected
                    else:
                        assert other not in similar
    finally:
        engine.dispose()


# --- property: the 1M-store form of `similar` gives exactly the figures of the plain form --------


def _counts(review, *group):
    return (*group, func.count().label("n"),
            func.sum(case((review.fresh.is_(True), 1), else_=0)).label("fresh"),
            func.sum(case((review.verdict_source == INFERRED, 1), else_=0)).label("inferred"))


def reference_agreement(critic_id: int, min_overlap: int):
    """The statement `similar` used before the 1M benchmark (kept as the reference): A's calls per
    film, every other critic's calls per film among A's films, and the reviews both wrote per
    (B, film) subtracted from both sides."""
    link, review = aliased(ReviewCritic), aliased(Review)
    mine = (select(*_counts(review, review.film_id.label("film")))
            .select_from(link).join(review, review.id == link.review_id)
            .where(link.critic_id == critic_id, review.film_id.is_not(None), review.fresh.is_not(None))
            .group_by(review.film_id)).subquery("mine")
    their_link, theirs = aliased(ReviewCritic), aliased(Review)
    other_side = (select(*_counts(theirs, their_link.critic_id.label("other"), theirs.film_id.label("film")))
                  .select_from(mine).join(theirs, theirs.film_id == mine.c.film)
                  .join(their_link, their_link.review_id == theirs.id)
                  .where(their_link.critic_id != critic_id, theirs.fresh.is_not(None))
                  .group_by(their_link.critic_id, theirs.film_id)).subquery("theirs")
    my_link, co_link, co_review = aliased(ReviewCritic), aliased(ReviewCritic), aliased(Review)
    co_written = (select(*_counts(co_review, co_link.critic_id.label("other"), co_review.film_id.label("film")))
                  .select_from(my_link).join(co_review, co_review.id == my_link.review_id)
                  .join(co_link, co_link.review_id == co_review.id)
                  .where(my_link.critic_id == critic_id, co_link.critic_id != critic_id,
                         co_review.film_id.is_not(None), co_review.fresh.is_not(None))
                  .group_by(co_link.critic_id, co_review.film_id)).subquery("co_written")
    co = {name: func.coalesce(getattr(co_written.c, name), 0) for name in ("n", "fresh", "inferred")}
    a_n, a_fresh, a_inferred = (getattr(mine.c, name) - co[name] for name in ("n", "fresh", "inferred"))
    b = other_side.c
    b_n, b_fresh, b_inferred = (getattr(b, name) - co[name] for name in ("n", "fresh", "inferred"))
    clear = and_(a_n > 0, b_n > 0, or_(a_fresh == 0, a_fresh == a_n), or_(b_fresh == 0, b_fresh == b_n))
    matched = and_(clear, or_(and_(a_fresh == 0, b_fresh == 0), and_(a_fresh == a_n, b_fresh == b_n)))
    inferred = and_(clear, or_(a_inferred > 0, b_inferred > 0))
    shared = func.sum(case((clear, 1), else_=0))
    return (select(b.other, Critic.name, shared.label("shared"),
                   func.sum(case((matched, 1), else_=0)).label("agreed"),
                   func.sum(case((inferred, 1), else_=0)).label("inferred"))
            .select_from(other_side)
            .join(mine, mine.c.film == b.film)
            .outerjoin(co_written, and_(co_written.c.other == b.other, co_written.c.film == b.film))
            .join(Critic, Critic.id == b.other)
            .group_by(b.other, Critic.name).having(shared >= min_overlap))


def figures(session, stmt) -> list[tuple]:
    return sorted((r.other, r.name, int(r.shared), int(r.agreed), int(r.inferred)) for r in session.execute(stmt))


def test_the_reference_sees_a_review_both_wrote_and_a_mixed_film(db_engine):
    """By hand: Film One counts only once the review both wrote is left out (A's calls are mixed
    with it), Film Four (inferred) and Five only with it; Two and Three count either way. Shared 3
    (One, Two, Three), agreed 2 (One rotten, Two fresh), none inferred (with the reviews both
    wrote: 4, 3 and 1)."""
    save(db_engine, [review(1, (TARGET, BRAM), "Film One", 90), review(2, TARGET, "Film One", 20),  # A mixed
                     review(3, BRAM, "Film One", 30),  # without the co-written one: A rotten, B rotten
                     review(4, (TARGET, BRAM), "Film Two", 80), review(5, BRAM, "Film Two", 85),
                     review(6, TARGET, "Film Two", 75),  # without it: A fresh, B fresh
                     review(7, TARGET, "Film Three", 70), review(8, BRAM, "Film Three", 20),  # clear, opposite
                     review(9, (TARGET, BRAM), "Film Four", None, True),  # only reviews both wrote:
                     review(10, (TARGET, BRAM), "Film Five", 10)])  # on neither side
    with Session(db_engine) as session:
        a = critic_id(db_engine, TARGET)
        new, old = figures(session, _agreement_by_critic(a, 1)), figures(session, reference_agreement(a, 1))
    assert new == old == [(critic_id(db_engine, BRAM), BRAM, 3, 2, 0)]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows)
def test_similar_gives_the_reference_figures(generated):
    engine, _ = build_store(generated)
    try:
        with Session(engine) as session:
            for critic in session.scalars(select(Critic.id)):
                for min_overlap in (1, 2):
                    assert (figures(session, _agreement_by_critic(critic, min_overlap))
                            == figures(session, reference_agreement(critic, min_overlap)))
    finally:
        engine.dispose()
