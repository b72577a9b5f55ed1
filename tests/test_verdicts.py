"""aggregator.verdicts.decide: the verdict, fresh call and source of a review."""

from __future__ import annotations

import csv
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aggregator.ratings import Rating, parse_rating, rating_from_parts
from aggregator.ratings.scales import SCALES
from aggregator.verdicts import (
    CUE_WINDOW,
    FRESH_THRESHOLDS,
    LABELS,
    NO_DECISION,
    TEXT_CONFIDENCE,
    TEXT_CUE_CONFIDENCE,
    Decision,
    cue_score,
    decide,
    label_key,
    stated_in_text,
)
from aggregator.verdicts.habits import FreshHabits, HabitRow


@dataclass
class Outlet:
    """Stands in for a publication registry entry."""

    name: str
    scale: str | None


FOUR_STARS = Outlet("The Fictional Gazette", "stars/4")
NO_SCALE = Outlet("Imaginary Weekly", None)


# --- a rating ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "verdict", "fresh"),
    [
        ("1.5/4", "negative", False),
        ("2/5", "mixed", False),
        ("3/5", "mixed", True),
        ("2.5/4", "positive", True),
        ("B-", "positive", True),
        ("C+", "mixed", False),
        ("9/10", "positive", True),
    ],
)
def test_scored_rating_decides(text: str, verdict: str, fresh: bool) -> None:
    assert decide(parse_rating(text)) == Decision(verdict, fresh, "rating", 1.0)


def test_every_scored_scale_has_a_threshold() -> None:
    scored = {name for name, scale in SCALES.items() if scale.kind != "binary"}
    assert set(FRESH_THRESHOLDS) == scored


def test_critics_own_call_overrides_the_threshold_not_the_verdict() -> None:
    rotten_call = decide(parse_rating("2.5/4"), label="Rotten")
    assert rotten_call == Decision("positive", False, "rating", 1.0)
    assert decide(parse_rating("2.5/5"), label="Fresh") == Decision("mixed", True, "rating", 1.0)
    assert decide(parse_rating("2.5/5"), label="Half Price").fresh is False  # no call: threshold


def test_binary_flag_is_the_critics_label() -> None:
    assert decide(rating_from_parts(1, "1", "-1")) == Decision("positive", True, "label", 1.0)
    assert decide(rating_from_parts(-1, 1, -1)) == Decision("negative", False, "label", 1.0)


def test_raw_rating_string_is_read_on_the_outlets_scale() -> None:
    assert decide("3 stars", publication=FOUR_STARS) == Decision("positive", True, "rating", 1.0)
    assert decide("3 stars", publication=NO_SCALE) == NO_DECISION
    assert decide("3 stars", publication=Outlet("Bad Entry", "stars/7")) == NO_DECISION
    assert decide("3 stars", publication=object()) == NO_DECISION


def test_without_habits_the_critic_is_unused() -> None:
    rating = parse_rating("4/5")
    assert decide(rating, critic="Jane Fictional") == decide(rating)
    assert decide(rating).fresh_rule == "default_table"


# --- a rating stated in the text --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "publication", "verdict", "fresh"),
    [
        ("A fine entertainment.\nRating: 4/5", None, "positive", True),
        ("Overall a muddle. Grade: C-. See something else.", None, "mixed", False),
        ("Full review | Original Score: 3/4", None, "positive", True),
        ("MPAA rating: PG-13 for peril. Our rating: 2/4", None, "mixed", False),
        ("Rating: 3/4; Score: 75%", None, "positive", True),  # two fields, one score
        ("It drags in the middle.\n\n★☆☆☆☆", None, "negative", False),
        ("It sings.\n★★★½", FOUR_STARS, "positive", True),
        ("Verdict: 4/5", None, "positive", True),
        ("Verdict: Must see!", None, "positive", True),
        ("Our verdict: skip it.", None, "negative", False),
    ],
)
def test_rating_stated_in_text(text: str, publication: object, verdict: str, fresh: bool) -> None:
    expected = Decision(verdict, fresh, "text", TEXT_CONFIDENCE)
    assert decide(text=text, publication=publication) == expected


@pytest.mark.parametrize(
    "text",
    [
        "IMDb rating: 7/10. We disagree.",  # someone else's rating
        "Tomatometer score: 85%",
        "Rating: 15",  # a bare number: a certificate as likely as a score
        "Rating: R for violence",
        "Rating: 3/4 at first, then on reflection Rating: 2/4",  # two different ratings
        "Verdict: A charming mess",  # prose: later work (text inference)
        "It sings.\n★★★½",  # stars with no stated scale and no outlet scale
        "Three stars would be generous.",
        "",
    ],
)
def test_text_that_states_no_rating(text: str) -> None:
    assert decide(text=text) == NO_DECISION


def test_text_rating_outranks_label_and_label_keeps_fresh() -> None:
    decision = decide(text="Grade: B+", label="Rotten")
    assert decision == Decision("positive", False, "text", TEXT_CONFIDENCE)


def test_stated_in_text_returns_what_it_found() -> None:
    assert stated_in_text("Rating: 3/4") == parse_rating("3/4")
    assert stated_in_text("Verdict: Skip it") == ("negative", False)
    assert stated_in_text(None) is None


# --- labels ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "verdict", "fresh"),
    [
        ("Critic's Pick", "positive", True),
        ("Critic’s Pick", "positive", True),
        ("CRITICS' PICK", "positive", True),
        ("NYT Critic's Pick", "positive", True),
        ("Recommended", "positive", True),
        ("Not recommended", "negative", False),
        ("Must-see!", "positive", True),
        ("must see", "positive", True),
        ("Skip It", "negative", False),
        ("Fresh", "positive", True),
        ("rotten", "negative", False),
        ("Certified Fresh", "positive", True),
        ("POSITIVE", "positive", True),
    ],
)
def test_labels(label: str, verdict: str, fresh: bool) -> None:
    assert decide(label=label) == Decision(verdict, fresh, "label", 1.0)


@pytest.mark.parametrize("label", ["Half Price", "short", "Worth a look", "", "   ", "Fresh" * 20])
def test_unknown_labels_decide_nothing(label: str) -> None:
    assert decide(label=label) == NO_DECISION


def test_label_table_keys_are_normalised() -> None:
    assert all(label_key(key) == key for key in LABELS)
    assert all(verdict in ("positive", "mixed", "negative") for verdict, _ in LABELS.values())


def test_nothing_decides_nothing() -> None:
    assert decide() == Decision(None, None, None, None)


# --- learned habits and text cues ---------------------------------------------------------------


@dataclass
class Registered:
    """Stands in for a registry Publication or a db Critic: something with a `.key`."""

    key: str
    scale: str | None = None


def _row(score: float, fresh: bool, critic: str | None = None, outlet: str | None = None) -> HabitRow:
    return HabitRow(outlet, critic, "stars/4", score, fresh)


# Fictional calls: 2.5/4 is a coin toss, 3/4 always fresh, 2/4 always rotten; Ada Quill of the
# Lamplight calls 2.5/4 rotten, the Lamplight's other critics call it fresh.
HABITS = FreshHabits.learn(
    [_row(50.0, False)] * 30 + [_row(75.0, True)] * 30
    + [_row(62.5, True)] * 10 + [_row(62.5, False)] * 10
    + [_row(62.5, False, "ada-quill", "the-lamplight")] * 4
    + [_row(62.5, True, "bo-marsh", "the-lamplight")] * 3
    + [_row(62.5, True, "cy-fen", "the-lamplight")] * 3,
    level_weight=0.0,
)  # fmt: skip
LAMPLIGHT = Registered("the-lamplight", "stars/4")
PRAISE = "A delight from start to finish: witty, charming and great fun."
PAN = "Overlong, tedious and a disappointing misfire."


def test_decision_rule_takes_no_part_in_equality() -> None:
    assert Decision("positive", True, "rating", 1.0, "own_call") == Decision("positive", True, "rating", 1.0)


def test_critics_own_call_beats_habits() -> None:
    decision = decide("2.5/4", label="Fresh", critic="ada-quill", habits=HABITS)
    assert (decision.fresh, decision.confidence, decision.fresh_rule) == (True, 1.0, "own_call")


def test_critic_habit_then_outlet_habit_then_the_scale() -> None:
    by_ada = decide("2.5/4", publication=LAMPLIGHT, critic=Registered("ada-quill"), habits=HABITS)
    assert (by_ada.verdict, by_ada.fresh, by_ada.source, by_ada.fresh_rule) == (
        "positive", False, "rating", "critic_habit"
    )  # fmt: skip
    assert 0.5 < by_ada.confidence < 1.0
    by_newcomer = decide("2.5/4", publication=LAMPLIGHT, critic="dee-newcomer", habits=HABITS)
    assert (by_newcomer.fresh, by_newcomer.fresh_rule) == (True, "outlet_habit")
    elsewhere = decide("2.5/4", publication="another-outlet", critic="dee-newcomer", habits=HABITS)
    assert elsewhere.fresh_rule == "scale_cell"
    firm = decide("3/4", critic="ada-quill", habits=HABITS)
    assert (firm.fresh, firm.fresh_rule) == (True, "scale_cell") and firm.confidence > 0.9


def test_text_tips_a_borderline_call_with_lower_confidence() -> None:
    unsure = decide("2.5/4", habits=HABITS)
    assert unsure.fresh_rule == "scale_cell" and unsure.confidence < 0.6
    panned = decide("2.5/4", text=PAN, habits=HABITS)
    praised = decide("2.5/4", text=PRAISE, habits=HABITS)
    assert {panned.fresh, praised.fresh} == {False, True}
    tipped = panned if panned.fresh != unsure.fresh else praised
    assert tipped.fresh_rule == "text_cue"
    assert 0.5 <= tipped.confidence <= TEXT_CUE_CONFIDENCE
    assert tipped.verdict == "positive"  # the text moves the fresh call, never the score's band


def test_text_does_not_move_a_sure_call() -> None:
    assert decide("3/4", text=PAN, habits=HABITS).fresh is True
    assert decide("2/4", text=PRAISE, habits=HABITS).fresh is False
    # a critic's habit that is sure enough is not overruled by a quote either
    assert decide("2.5/4", text=PRAISE, critic="ada-quill", habits=HABITS).fresh is False


def test_without_habits_text_cues_are_not_read() -> None:
    assert decide("2.5/4", text=PAN) == Decision("positive", True, "rating", 1.0)


def test_rating_stated_in_text_uses_habits_and_stays_below_text_confidence() -> None:
    decision = decide(text="Rating: 2.5/4", critic="ada-quill", habits=HABITS)
    assert (decision.source, decision.fresh, decision.fresh_rule) == ("text", False, "critic_habit")
    assert decision.confidence <= TEXT_CONFIDENCE


@pytest.mark.parametrize(
    ("text", "score"),
    [
        ("A delight.", 1),
        ("Tedious.", -1),
        ("Never dull, not boring.", 2),  # negated pans
        ("It is not funny.", -1),
        ("Charming, but overlong and tedious.", 1 - 2 - 2),  # after "but", cues count double
        ("Well worth seeing, and a lot of fun.", 1 + 1 + 1 + 1),  # phrases and the cue "fun"
        ("The jokes wear thin; it falls flat.", -1),
        ("A film about a boy and his dog.", 0),
        ("", 0),
    ],
)
def test_cue_score(text: str, score: float) -> None:
    assert cue_score(text) == score


def test_cue_score_reads_the_end_of_a_long_text_and_never_raises() -> None:
    long_text = "Tedious. " * 500 + "x" * CUE_WINDOW + " A delight."
    assert cue_score(long_text) == 1
    assert cue_score(None) == cue_score(42) == 0


# --- never raises -------------------------------------------------------------------------


@given(
    st.one_of(st.none(), st.text(max_size=40)),
    st.one_of(st.none(), st.text(max_size=40)),
    st.one_of(st.none(), st.text(max_size=400)),
    st.sampled_from([None, FOUR_STARS, NO_SCALE, Outlet("Bad Entry", "nope"), "a string"]),
)
def test_decide_never_raises(
    rating: str | None, label: str | None, text: str | None, publication: object
) -> None:
    decision = decide(rating, label=label, text=text, publication=publication)
    with_habits = decide(rating, label=label, text=text, publication=publication,
                         critic="ada-quill", habits=HABITS)  # fmt: skip
    assert (with_habits.verdict, with_habits.source) == (decision.verdict, decision.source)
    assert with_habits.confidence is None or 0.5 <= with_habits.confidence <= 1.0
    assert decision.verdict in (None, "positive", "mixed", "negative")
    assert decision.source in (None, "rating", "label", "text")
    assert (decision.verdict is None) == (decision.source is None) == (decision.confidence is None)


@given(st.text(alphabet="Rating:Grade Verdict 0123456789/.★☆½ABCF+-\n|;", max_size=120))
def test_stated_fields_never_raise(text: str) -> None:
    found = stated_in_text(text, "stars/4")
    assert found is None or isinstance(found, (Rating, tuple))


# --- real data ----------------------------------------------------------------------------


@pytest.mark.shared
def test_decide_on_real_ratings(shared_dir) -> None:
    path = shared_dir / "scores" / "rt-critic-reviews" / "critic_reviews.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    agree = total = 0
    for row in rows:
        decision = decide(row["originalScore"])
        own_fresh = row["scoreSentiment"] == "POSITIVE"
        if decision.source is not None:
            assert decision.source == "rating"
            total += 1
            agree += decision.fresh == own_fresh
        # the critic's own call, given as a label, always wins
        assert decide(row["originalScore"], label=row["scoreSentiment"]).fresh == own_fresh
    assert total == 5719
    assert agree / total >= 0.93
