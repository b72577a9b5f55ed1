"""aggregator.verdicts.decide: the verdict, fresh call and source of a review."""

from __future__ import annotations

import csv
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aggregator.ratings import Rating, parse_rating, rating_from_parts
from aggregator.scales import SCALES
from aggregator.verdicts import (
    FRESH_THRESHOLDS,
    LABELS,
    NO_DECISION,
    TEXT_CONFIDENCE,
    Decision,
    decide,
    label_key,
    stated_in_text,
)


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


def test_critic_is_accepted_and_unused() -> None:
    rating = parse_rating("4/5")
    assert decide(rating, critic="Jane Fictional") == decide(rating)


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
