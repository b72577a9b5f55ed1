"""aggregator.ratings: every rating string a critic gives, read or rejected for a stated reason."""

from __future__ import annotations

import csv
import math
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aggregator.ratings import (
    LETTER_POINTS,
    REASONS,
    Rating,
    explain_rating,
    explain_rating_parts,
    parse_rating,
    rating_from_parts,
)
from aggregator.ratings.scales import SCALES

# --- formats ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "score", "scale"),
    [
        ("3/4", 75.0, "stars/4"),
        ("'3/4'", 75.0, "stars/4"),
        ("3.5/4.0", 87.5, "stars/4"),
        (".5/5", 10.0, "stars/5"),
        ("9.1421/10", 91.421, "points/10"),
        ("15/20", 75.0, "points/20"),
        ("84/100", 84.0, "points/100"),
        ("5/6", 83.333333, "points/6"),
        ("0/4", 0.0, "stars/4"),
        ("3,5/5", 70.0, "stars/5"),
        ("4.5/ 5", 90.0, "stars/5"),
        ("3 / 4", 75.0, "stars/4"),
        ("7/10.", 70.0, "points/10"),
        ("(3/4)", 75.0, "stars/4"),
        ("4 out of 5", 80.0, "stars/5"),
        ("4.5 of 5", 90.0, "stars/5"),
        ("3.5 stars out of 4", 87.5, "stars/4"),
        ("3 / 4 stars", 75.0, "stars/4"),
        ("four out of five stars", 80.0, "stars/5"),
        ("Three-and-a-half stars out of five", 70.0, "stars/5"),
        ("1 star (out of 5)", 20.0, "stars/5"),
        ("5 stars (out of 5)", 100.0, "stars/5"),
        ("3½/5", 70.0, "stars/5"),
        ("2 1/2/4", 62.5, "stars/4"),
        ("★★★☆☆", 60.0, "stars/5"),
        ("★★★½☆", 70.0, "stars/5"),
        ("★☆☆☆", 25.0, "stars/4"),
        ("A+", 100.0, "letter"),
        ("A", 100.0, "letter"),
        ("A-", 91.0, "letter"),
        ("B+", 83.0, "letter"),
        ("B", 75.0, "letter"),
        ("B-", 67.0, "letter"),
        ("C+", 58.0, "letter"),
        ("C", 50.0, "letter"),
        ("C-", 42.0, "letter"),
        ("D+", 33.0, "letter"),
        ("D", 25.0, "letter"),
        ("D-", 16.0, "letter"),
        ("F", 0.0, "letter"),
        ("A minus", 91.0, "letter"),
        ("B plus", 83.0, "letter"),
        ("B-minus", 67.0, "letter"),
        ("B -", 67.0, "letter"),
        ("“B+”", 83.0, "letter"),
        ("B+/A-", 87.0, "letter"),
        ("B+ to A-", 87.0, "letter"),
        ("+2 out of -4..+4", 75.0, "symmetric/4"),
        ("low +2 out of -4..+4", 75.0, "symmetric/4"),
        ("0 out of -4..+4", 50.0, "symmetric/4"),
        ("-4 out of -4..+4", 0.0, "symmetric/4"),
        ("-1 of -4 to +4", 37.5, "symmetric/4"),
        ("84%", 84.0, "points/100"),
        ("84 percent", 84.0, "points/100"),
        ("Rating: 3/4", 75.0, "stars/4"),
        ("Grade: B+", 83.0, "letter"),
        ("3.05/5", 61.0, "stars/5"),  # rounded onto the band edge it means
    ],
)
def test_reads_formats(text: str, score: float, scale: str) -> None:
    rating, reason = explain_rating(text)
    assert reason == "ok"
    assert rating is not None
    assert rating.score == pytest.approx(score, abs=1e-6)
    assert rating.scale == scale
    assert rating.raw == text
    if rating.scale != "letter":
        expected = (rating.value - rating.worst) / (rating.best - rating.worst) * 100
        assert rating.score == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(
    ("text", "scale", "score"),
    [
        ("3", "stars/4", 75.0),
        ("7", "points/10", 70.0),
        ("3 stars", "stars/5", 60.0),
        ("3½ stars", "stars/4", 87.5),
        ("3 ½ stars", "stars/4", 87.5),
        ("3 1/2 stars", "stars/4", 87.5),
        ("three and a half stars", "stars/4", 87.5),
        ("★★★½", "stars/4", 87.5),
        ("****1/2", "stars/5", 90.0),
        ("⭐️⭐️⭐️", "stars/5", 60.0),
        ("*", "stars/4", 25.0),
        ("half a star", "stars/4", 12.5),
        ("1/2 star", "stars/4", 12.5),
        ("½", "stars/4", 12.5),
        ("no stars", "stars/4", 0.0),
        ("zero stars", "stars/5", 0.0),
        ("+2", "symmetric/4", 75.0),
        ("3/4", "stars/5", 75.0),  # the string's own denominator wins
    ],
)
def test_reads_unstated_scales_with_the_outlets_scale(text: str, scale: str, score: float) -> None:
    rating = parse_rating(text, scale)
    assert rating is not None
    assert rating.score == pytest.approx(score)
    assert rating.scale == ("stars/4" if text == "3/4" else scale)
    assert parse_rating(text, SCALES[scale]) == rating  # a Scale works as well as its name


@pytest.mark.parametrize(
    ("text", "scale", "reason"),
    [
        ("11/10", None, "out_of_range"),
        ("6 out of 5", None, "out_of_range"),
        ("-1 stars", None, "out_of_range"),
        ("-1/5", None, "out_of_range"),
        ("2.1/2", None, "out_of_range"),
        ("110%", None, "out_of_range"),
        ("-5%", None, "out_of_range"),
        ("-5 out of -4..+4", None, "out_of_range"),
        ("5 stars", "stars/4", "out_of_range"),
        ("★★★★★", "stars/4", "out_of_range"),
        ("0", "binary", "out_of_range"),
        ("3/7", None, "unknown_scale"),
        ("1/2", None, "unknown_scale"),
        ("0/0", None, "unknown_scale"),
        ("7", None, "unknown_scale"),
        ("3.5", None, "unknown_scale"),
        ("3 stars", None, "unknown_scale"),
        ("3 1/2 stars", None, "unknown_scale"),
        ("three and a half stars", None, "unknown_scale"),
        ("★★★½", None, "unknown_scale"),
        ("****1/2", None, "unknown_scale"),
        ("3", "letter", "unknown_scale"),
        ("F+", None, "unknown_scale"),
        ("+2 out of -3..+3", None, "unknown_scale"),
        ("+2 out of -4..+5", None, "unknown_scale"),
        ("short", None, "not_a_rating"),
        ("E", None, "not_a_rating"),
        ("no", "stars/4", "not_a_rating"),
        ("one", "stars/4", "not_a_rating"),
        ("3-4 stars", None, "not_a_rating"),
        ("1e5/10", None, "not_a_rating"),
        ("A fine film, " * 20, None, "not_a_rating"),
        (3, None, "not_a_rating"),
        ("", None, "empty"),
        ("   ", None, "empty"),
        ("''", None, "empty"),
        (None, None, "empty"),
        ("7", "stars/7", "invalid_scale"),
        ("3/4", "stars/7", "invalid_scale"),
        ("7", 10, "invalid_scale"),
    ],
)
def test_rejects_with_a_reason(text: object, scale: object, reason: str) -> None:
    assert reason in REASONS
    assert explain_rating(text, scale) == (None, reason)  # type: ignore[arg-type]
    assert parse_rating(text, scale) is None  # type: ignore[arg-type]


# --- verdict and fresh --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "verdict", "fresh"),
    [
        (0.0, "negative", False),
        (39.999999, "negative", False),
        (40.0, "mixed", False),
        (59.999999, "mixed", False),
        (60.0, "mixed", True),
        (60.999999, "mixed", True),
        (61.0, "positive", True),
        (100.0, "positive", True),
    ],
)
def test_bands_are_half_open(score: float, verdict: str, fresh: bool) -> None:
    rating = Rating("x", score, 100.0, 0.0, "points/100", score)
    assert (rating.verdict, rating.fresh) == (verdict, fresh)


def test_binary_flag_is_a_call_not_a_score() -> None:
    fresh, rotten = parse_rating("1", "binary"), parse_rating("-1", "binary")
    assert fresh is not None and rotten is not None
    assert (fresh.score, fresh.verdict, fresh.fresh) == (None, "positive", True)
    assert (rotten.score, rotten.verdict, rotten.fresh) == (None, "negative", False)


def test_rating_is_frozen_and_comparable() -> None:
    rating = parse_rating("3/4")
    with pytest.raises(AttributeError):
        rating.score = 10.0  # type: ignore[misc, union-attr]
    assert rating == Rating("3/4", 3.0, 4.0, 0.0, "stars/4", 75.0)
    assert hash(rating) == hash(Rating("3/4", 3.0, 4.0, 0.0, "stars/4", 75.0))


# The Rating type and its score live in aggregator.ratings.scores; callers import them from
# aggregator.ratings, which must keep offering every name they use.
_NAMES_CALLERS_IMPORT = (
    "FRESH_FROM", "LEARN_MIN_RATINGS", "LEARN_MIN_SHARE", "LEARNABLE_KINDS", "LETTER_POINTS",
    "NEGATIVE_BELOW", "OutletScales", "POSITIVE_FROM", "REASONS", "REASON_TEXT", "Rating",
    "explain_rating", "explain_rating_parts", "learned_scale", "parse_rating",
    "rating_from_parts", "verdict_for_score",
)  # fmt: skip


def test_every_public_name_is_importable_from_ratings() -> None:
    import aggregator.ratings as ratings
    import aggregator.ratings.scores as rating_scores

    missing = [name for name in _NAMES_CALLERS_IMPORT if not hasattr(ratings, name)]
    assert missing == []
    assert set(_NAMES_CALLERS_IMPORT) <= set(ratings.__all__)
    assert ratings.Rating is rating_scores.Rating
    assert ratings.verdict_for_score is rating_scores.verdict_for_score


@pytest.mark.parametrize("first", ["aggregator.ratings.scores", "aggregator.ratings"])
def test_rating_modules_import_in_either_order(first: str) -> None:
    # A fresh interpreter: an import cycle shows only when the other module is not loaded yet.
    code = f"import {first}; import aggregator.ratings; import aggregator.ratings.scores"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parent.parent)


# --- structured data ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parts", "score", "scale"),
    [
        ((4, 5, 1), 80.0, "stars/5"),  # schema.org's worst of 1 does not shift the scale
        ((4, None, None), 80.0, "stars/5"),  # schema.org defaults: best 5, worst 1
        (("4", "5", "1"), 80.0, "stars/5"),
        (("4,5", "5", None), 90.0, "stars/5"),
        ((1, 5, 1), 20.0, "stars/5"),
        ((0.5, 5, None), 10.0, "stars/5"),  # a defaulted worst does not bound the value
        ((7, 10, 1), 70.0, "points/10"),
        ((84, 100, 0), 84.0, "points/100"),
        ((2, 4, -4), 75.0, "symmetric/4"),
        (("B+", None, None), 83.0, "letter"),
        (("3½ stars", 5, None), 70.0, "stars/5"),
    ],
)
def test_rating_from_parts(parts: tuple[object, object, object], score: float, scale: str) -> None:
    rating = rating_from_parts(*parts)
    assert rating is not None
    assert (rating.score, rating.scale) == (pytest.approx(score), scale)


def test_fresh_flag_from_structured_data_is_binary() -> None:
    # Rotten Tomatoes' JSON-LD gives {ratingValue 1, bestRating "1", worstRating "-1"}.
    fresh = rating_from_parts(1, "1", "-1")
    rotten = rating_from_parts(-1, 1, -1)
    assert fresh is not None and rotten is not None
    assert (fresh.scale, fresh.score) == ("binary", None)
    assert (fresh.fresh, fresh.verdict) == (True, "positive")
    assert (rotten.scale, rotten.fresh) == ("binary", False)
    # the raw written for structured data reads back to the same rating
    assert parse_rating(fresh.raw) == fresh
    symmetric = rating_from_parts(-3.5, 4, -4)
    assert symmetric is not None and parse_rating(symmetric.raw) == symmetric


@pytest.mark.parametrize(
    ("parts", "reason"),
    [
        ((6, 5, 1), "out_of_range"),
        ((0.5, 5, 1), "out_of_range"),  # below the worst the page states
        ((0, 1, -1), "out_of_range"),  # a fresh flag is 1 or -1
        ((5, 4, -4), "out_of_range"),
        ((4, 5, 2), "unknown_scale"),
        ((4, 7, 1), "unknown_scale"),
        ((None, 5, 1), "empty"),
        (("", 5, 1), "empty"),
        (("  ", 5, 1), "empty"),
        (("abc", 5, 1), "not_a_rating"),
        ((True, 5, 1), "not_a_rating"),
        ((float("nan"), 5, 1), "not_a_rating"),
        ((float("inf"), 5, 1), "not_a_rating"),
        ((10**400, 5, 1), "not_a_rating"),
        ((4, "five", 1), "not_a_rating"),
        ((4, 5, "one"), "not_a_rating"),
        (([4], 5, 1), "not_a_rating"),
    ],
)
def test_rating_from_parts_rejects(parts: tuple[object, object, object], reason: str) -> None:
    assert explain_rating_parts(*parts) == (None, reason)
    assert rating_from_parts(*parts) is None


# --- never raises -------------------------------------------------------------------------

_SCALE_ARGUMENTS = st.sampled_from([None, "", *SCALES, "stars/7"])
_RATINGISH = st.text(alphabet="0123456789./ -+½★☆*ABCDFabcdf%ofoutstar", max_size=24)


@given(st.one_of(st.text(max_size=200), _RATINGISH), _SCALE_ARGUMENTS)
def test_never_raises_and_always_explains(text: str, scale: str | None) -> None:
    rating, reason = explain_rating(text, scale)
    assert reason in REASONS
    assert (rating is None) == (reason != "ok")
    assert parse_rating(text, scale) == rating
    if rating is not None:
        assert rating.scale in SCALES
        assert rating.verdict in ("positive", "mixed", "negative")
        if rating.score is not None:
            assert 0.0 <= rating.score <= 100.0
            assert rating.worst <= rating.value <= rating.best


_PART = st.one_of(
    st.none(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.booleans(),
)


@given(_PART, _PART, _PART)
def test_parts_never_raise(value: object, best: object, worst: object) -> None:
    rating, reason = explain_rating_parts(value, best, worst)
    assert reason in REASONS
    if rating is not None and rating.score is not None:
        assert 0.0 <= rating.score <= 100.0


@given(
    st.decimals(min_value=0, max_value=100, places=2),
    st.sampled_from([4, 5, 6, 10, 20, 100]),
)
def test_fractions_are_linear_or_out_of_range(value: Decimal, best: int) -> None:
    value = abs(value)  # "-0.00" is a minus sign hypothesis may draw, and out of range
    rating, reason = explain_rating(f"{value}/{best}")
    if value > best:
        assert reason == "out_of_range"
    else:
        assert rating is not None
        assert rating.score == pytest.approx(float(value) / best * 100, abs=1e-6)


# --- real data: every score string in Rotten Tomatoes' critic reviews -------------------------

# Hand-checked readings of the strings whose format is not a plain "x/y" (facts: string → score).
REAL_TRICKY = {
    "'2.5/4'": 62.5,
    "'3/4'": 75.0,
    ".5/5": 10.0,
    "3 / 5": 60.0,
    "3/5 ": 60.0,
    "4.5/ 5": 90.0,
    "7.5/ 10": 75.0,
    "4.5 of 5": 90.0,
    "2/6": 33.333333,
    "8.71245284/10": 87.124528,
    "9.1421/10": 91.421,
    "15.5/20": 77.5,
    "0 out of -4..+4": 50.0,
    "low +2 out of -4..+4": 75.0,
    "A minus": 91.0,
    "B -": 67.0,
    "B-minus": 67.0,
    "B-plus": 83.0,
    "C -": 42.0,
}
# Strings no reader can place without the outlet's scale, and strings that are not ratings.
REAL_REJECTED = {
    **dict.fromkeys(
        ["2", "2.0", "3", "3.00", "3.4", "3.5", "4.5", "5", "6", "6.0", "7"], "unknown_scale"
    ),
    "3 stars": "unknown_scale",
    "3 1/2 stars": "unknown_scale",
    "short": "not_a_rating",
    "Half Price": "not_a_rating",
    "Big Screen Watch": "not_a_rating",
    "": "empty",
}
_PLAIN_FRACTION = re.compile(r"'?\s*(\d*\.?\d+)\s*/\s*(\d*\.?\d+)\s*'?\s*")


def _real_rows(shared_dir) -> list[dict[str, str]]:
    path = shared_dir / "scores" / "rt-critic-reviews" / "critic_reviews.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.shared
def test_every_real_score_string_is_read_as_intended(shared_dir) -> None:
    distinct = {row["originalScore"] for row in _real_rows(shared_dir)}
    assert len(distinct - {""}) == 152
    for text in sorted(distinct):
        rating, reason = explain_rating(text)
        assert reason in REASONS, text
        if text in REAL_REJECTED:
            assert (rating, reason) == (None, REAL_REJECTED[text]), text
            continue
        assert rating is not None, (text, reason)
        if text in REAL_TRICKY:
            expected = REAL_TRICKY[text]
        elif text.strip() in LETTER_POINTS or text.strip().lower() in LETTER_POINTS:
            expected = LETTER_POINTS[text.strip().lower()]
        else:  # anything else must be a plain fraction, read linearly
            match = _PLAIN_FRACTION.fullmatch(text)
            assert match, f"{text!r} parsed but is neither hand-checked nor a plain fraction"
            expected = float(match[1]) / float(match[2]) * 100
        assert rating.score == pytest.approx(expected, abs=1e-6), text


@pytest.mark.shared
def test_real_unscaled_strings_read_with_the_outlets_scale(shared_dir) -> None:
    assert parse_rating("3 1/2 stars", "stars/4").score == 87.5  # type: ignore[union-attr]
    assert parse_rating("3 stars", "stars/5").score == 60.0  # type: ignore[union-attr]
    assert parse_rating("5", "points/10").score == 50.0  # type: ignore[union-attr]


@pytest.mark.shared
def test_score_rule_agrees_with_critics_own_calls(shared_dir) -> None:
    # PROVENANCE.md: the plain ">= 60 is fresh" rule agrees about 94% of the time.
    agree = total = 0
    for row in _real_rows(shared_dir):
        rating = parse_rating(row["originalScore"])
        if rating is None:
            continue
        total += 1
        agree += rating.fresh == (row["scoreSentiment"] == "POSITIVE")
    assert total > 5000
    assert math.isclose(agree / total, 0.939, abs_tol=0.005)
