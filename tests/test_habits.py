"""aggregator.verdicts.habits: fresh calls learned from critics' and outlets' own calls (fictional rows)."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aggregator.ratings.scales import SCALES
from aggregator.verdicts.habits import (
    CELL_PRIOR_WEIGHT,
    DEFAULT_THRESHOLD,
    FORMAT,
    HABIT_PRIOR_WEIGHT,
    MIN_SCALE_SUPPORT,
    FreshHabits,
    HabitRow,
    HabitsError,
    best_threshold,
    cell_key,
)


def rows(count: int, scale: str, score: float, fresh: bool, critic: str | None = None,
         outlet: str | None = None) -> list[HabitRow]:  # fmt: skip
    return [HabitRow(outlet, critic, scale, score, fresh)] * count


# A fictional sample on stars/4: 1-2 stars rotten, 3+ fresh, 2.5 stars mostly rotten.
STARS_4 = (
    rows(20, "stars/4", 25.0, False)
    + rows(20, "stars/4", 50.0, False)
    + rows(12, "stars/4", 62.5, False)
    + rows(8, "stars/4", 62.5, True)
    + rows(20, "stars/4", 75.0, True)
)


# --- per-scale thresholds ----------------------------------------------------------------------


def test_threshold_maximises_agreement_per_scale() -> None:
    habits = FreshHabits.learn(STARS_4)
    assert habits.threshold("stars/4") == 75.0  # 2.5/4 is called rotten more often than not
    assert habits.threshold_call(62.5, "stars/4") is False
    assert habits.threshold_call(75.0, "stars/4") is True
    assert habits.rule_rates["stars/4"] == [20, 20, 8, 60]


def test_threshold_needs_support_and_falls_back_to_60() -> None:
    few = rows(MIN_SCALE_SUPPORT - 1, "points/100", 65.0, False)
    assert FreshHabits.learn(few).threshold("points/100") == DEFAULT_THRESHOLD
    enough = rows(MIN_SCALE_SUPPORT, "points/100", 65.0, False)
    assert FreshHabits.learn(enough).threshold("points/100") > 65.0  # every call was rotten
    assert FreshHabits().threshold("stars/5") == DEFAULT_THRESHOLD  # nothing learned


@pytest.mark.parametrize(
    ("scored", "expected"),
    [
        ([(50.0, False)] * 20 + [(60.0, True)] * 20, 60.0),  # 51..60 all agree: the nearest 60
        ([(40.0, False)] * 20 + [(50.0, True)] * 20, 50.0),
        ([(70.0, False)] * 20 + [(80.0, True)] * 20, 80.0),
        ([(55.0, True)] * 40, 55.0),  # all fresh: any t <= 55 agrees; 55 is nearest 60
        ([(50.0, False)] * 30 + [(62.5, False)] * 6 + [(62.5, True)] * 4, 62.51),  # just above all
        ([(60.0, True)] * 10 + [(50.0, True)] * 10, DEFAULT_THRESHOLD),  # too few rows
    ],
)
def test_best_threshold(scored: list[tuple[float, bool]], expected: float) -> None:
    assert best_threshold(scored) == pytest.approx(expected)


# --- cells, shrinkage, habits ----------------------------------------------------------------------


def test_cell_rate_is_shrunk_toward_the_scales_rule() -> None:
    habits = FreshHabits.learn(STARS_4)
    probability, rule = habits.fresh_probability(62.5, "stars/4")
    rule_rate = (8 + 1) / (60 + 2)  # fresh share below the threshold, Laplace-smoothed
    assert rule == "scale_cell"
    assert probability == pytest.approx((8 + CELL_PRIOR_WEIGHT * rule_rate) / (20 + CELL_PRIOR_WEIGHT))
    # a score never seen on a learned scale follows the scale's rule
    assert habits.fresh_call(87.5, "stars/4")[::2] == (True, "scale_threshold")
    # a scale never seen follows the default 60
    fresh, confidence, rule = habits.fresh_call(70.0, "letter")
    assert (fresh, rule) == (True, "default_threshold") and 0.5 < confidence < 1


def test_critic_habit_outranks_outlet_and_is_shrunk() -> None:
    learned = STARS_4 + rows(3, "stars/4", 62.5, True, critic="ada-quill", outlet="the-lamplight")
    learned += rows(2, "stars/4", 62.5, False, critic="bo-marsh", outlet="the-lamplight")
    habits = FreshHabits.learn(learned, level_weight=0.0)  # the level is tested below
    cell, _ = habits.fresh_probability(62.5, "stars/4")

    probability, rule = habits.fresh_probability(62.5, "stars/4", critic_key="ada-quill")
    assert rule == "critic_habit"
    assert probability == pytest.approx((3 + HABIT_PRIOR_WEIGHT * cell) / (3 + HABIT_PRIOR_WEIGHT))
    assert habits.fresh_call(62.5, "stars/4", "the-lamplight", "ada-quill")[0] is True
    assert habits.fresh_call(62.5, "stars/4", "the-lamplight", "bo-marsh")[::2] == (False, "critic_habit")
    # a critic the habits never met at this score: the outlet's habit (3 fresh of 5)
    fresh, _, rule = habits.fresh_call(62.5, "stars/4", "the-lamplight", "cy-newcomer")
    assert (fresh, rule) == (True, "outlet_habit")
    # the critic's habit is about one cell: at 3/4 the scale decides
    assert habits.fresh_call(75.0, "stars/4", critic_key="bo-marsh")[::2] == (True, "scale_cell")


def test_minimum_history_before_a_habit_is_trusted() -> None:
    learned = STARS_4 + rows(1, "stars/4", 62.5, True, critic="ada-quill")
    assert FreshHabits.learn(learned).fresh_call(62.5, "stars/4", critic_key="ada-quill")[2] == "critic_habit"
    strict = FreshHabits.learn(learned, min_habit_history=2)
    assert strict.fresh_call(62.5, "stars/4", critic_key="ada-quill")[2] != "critic_habit"


def test_one_call_is_a_nudge_not_a_verdict() -> None:
    # the cell is 95% fresh; a critic who once called it rotten is not made a rotten caller
    learned = rows(40, "stars/5", 60.0, True) + rows(2, "stars/5", 60.0, False)
    learned += rows(1, "stars/5", 60.0, False, critic="dee-harrow")
    fresh, confidence, rule = FreshHabits.learn(learned).fresh_call(60.0, "stars/5", critic_key="dee-harrow")
    assert (fresh, rule) == (True, "critic_habit") and confidence < 0.7


def test_critics_scoring_level_moves_unsure_cells_only() -> None:
    harsh = [HabitRow(None, "eli-stern", "stars/4", score, False) for score in (25.0, 25.0, 37.5, 50.0)]
    generous = [HabitRow(None, "flo-bright", "stars/4", score, True) for score in (100.0, 100.0, 87.5, 100.0)]
    habits = FreshHabits.learn(STARS_4 + harsh + generous)
    neutral, _ = habits.fresh_probability(62.5, "stars/4")
    lenient, rule = habits.fresh_probability(62.5, "stars/4", critic_key="eli-stern")
    assert rule == "critic_level" and lenient > neutral  # a 2.5 from a harsh critic is praise
    assert habits.fresh_probability(62.5, "stars/4", critic_key="flo-bright")[0] < neutral
    # a cell that never wavers is left alone
    firm, _ = habits.fresh_probability(75.0, "stars/4")
    assert habits.fresh_probability(75.0, "stars/4", critic_key="eli-stern") == (firm, "scale_cell")
    off = FreshHabits.learn(STARS_4 + harsh, level_weight=0.0)
    assert off.fresh_probability(62.5, "stars/4", critic_key="eli-stern")[1] == "scale_cell"


def test_cell_key_joins_repeating_decimals() -> None:
    assert cell_key(83.333333) == cell_key(83.33) == "83.33"
    assert cell_key(62.5) == "62.5" and cell_key(60.0) == "60"


# --- bad rows ------------------------------------------------------------------------------------


def test_bad_rows_are_skipped_with_a_reason() -> None:
    bad = [
        ("o", "c", "stars/7", 50.0, True),
        ("o", "c", "binary", 50.0, True),
        ("o", "c", "stars/4", 101.0, True),
        ("o", "c", "stars/4", float("nan"), True),
        ("o", "c", "stars/4", "62.5", True),
        ("o", "c", "stars/4", True, True),
        ("o", "c", "stars/4", 62.5, "POSITIVE"),
        ("o", 7, "stars/4", 62.5, True),
        ("too", "short"),
        "not a row",
    ]
    habits = FreshHabits.learn(bad + STARS_4)  # type: ignore[operator]
    assert habits.rows == len(STARS_4)
    assert habits.skipped == {"unknown_scale": 2, "bad_score": 4, "bad_fresh": 1, "not_a_row": 3}


# --- JSON ---------------------------------------------------------------------------------------


def test_json_round_trip() -> None:
    learned = STARS_4 + rows(2, "stars/4", 62.5, True, critic="ada-quill", outlet="the-lamplight")
    learned += rows(3, "points/6", 5 / 6 * 100, True, critic="ada-quill")
    habits = FreshHabits.learn(learned, habit_prior_weight=3.0)
    loaded = FreshHabits.from_json(habits.to_json())
    assert loaded == habits
    assert json.loads(habits.to_json())["format"] == FORMAT
    for score in (25.0, 62.5, 75.0, 83.333333):
        for critic in (None, "ada-quill", "nobody"):
            assert loaded.fresh_call(score, "stars/4", "the-lamplight", critic) == habits.fresh_call(
                score, "stars/4", "the-lamplight", critic
            )


@pytest.mark.parametrize(
    "text",
    [
        "{not json",
        "[]",
        '{"format": "something-else/1"}',
        json.dumps({"format": FORMAT}),
        json.dumps({**FreshHabits().to_dict(), "cells": {"stars/4": {"62.5": [5, 3]}}}),
        json.dumps({**FreshHabits().to_dict(), "rule_rates": {"stars/4": [1, 2]}}),
        json.dumps({**FreshHabits().to_dict(), "levels": {"x": "y"}}),
    ],
)
def test_damaged_json_is_refused_clearly(text: str) -> None:
    with pytest.raises(HabitsError):
        FreshHabits.from_json(text)


@pytest.mark.parametrize("score", [None, "62.5", True, float("nan"), -1.0, 100.5])
def test_a_score_that_is_not_one_is_refused(score: object) -> None:
    with pytest.raises(ValueError, match="score must be a number"):
        FreshHabits.learn(STARS_4).fresh_call(score, "stars/4")  # type: ignore[arg-type]


# --- never raises -------------------------------------------------------------------------------

_HABITS = FreshHabits.learn(STARS_4 + rows(2, "stars/4", 62.5, True, critic="ada-quill"))


@given(
    st.floats(min_value=0, max_value=100),
    st.sampled_from([*SCALES, "stars/7", ""]),
    st.one_of(st.none(), st.text(max_size=10)),
    st.one_of(st.none(), st.sampled_from(["ada-quill", "", "x"])),
)
def test_fresh_call_never_raises(score: float, scale: str, outlet: str | None, critic: str | None) -> None:
    fresh, confidence, rule = _HABITS.fresh_call(score, scale, outlet, critic)
    assert isinstance(fresh, bool)
    assert 0.5 <= confidence <= 1.0 and not math.isnan(confidence)
    assert rule in ("critic_habit", "outlet_habit", "critic_level", "scale_cell", "scale_threshold",
                    "default_threshold")  # fmt: skip
