"""benchmarks.ratings: the evaluation command runs on the real sample (one fold: fast)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # `pytest` run without `python -m` from the checkout
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks.ratings import (
    RULES,
    BenchmarkError,
    fresh_agreement,
    intended_reading,
    labelled_reviews,
    load_rows,
    main,
    parse_report,
    parse_speed,
)


@pytest.fixture(scope="module")
def real_rows(shared_dir) -> list[dict[str, str]]:
    return load_rows(shared_dir / "scores" / "rt-critic-reviews" / "critic_reviews.csv")


@pytest.mark.shared
def test_every_distinct_string_is_read_as_intended(real_rows) -> None:
    report = parse_report(row["originalScore"] for row in real_rows)
    assert report.distinct == 153  # 152 score strings and the empty one
    assert report.crashes == []
    assert report.unintended == []
    assert report.parsed + sum(report.rejected.values()) == report.distinct


@pytest.mark.shared
def test_held_out_agreement_on_one_fold(real_rows) -> None:
    reviews, left_out = labelled_reviews(real_rows)
    assert len(reviews) == 5719 and left_out["no_score"] == 1667
    result = fresh_agreement(reviews, folds=5, seed=0, only_folds=1)
    plain, learned, decided = (result.share(rule) for rule in RULES)
    assert 1000 < result.total < 2000
    assert plain > 0.9 and learned > 0.9
    assert decided > plain  # habits and text must earn their place on films they never saw
    assert sum(total for _, total, _ in result.by_fresh_rule.values()) == result.total


def test_parse_speed_is_measured() -> None:
    assert parse_speed(["3/4", "B+", "★★★½☆"], rounds=1, minimum_seconds=0.01) > 1000


@pytest.mark.parametrize(
    ("text", "intended"),
    [("3/4", 75.0), ("B-minus", 67.0), ("b+", 83.0), ("3 stars", "unknown_scale"), ("?!", None)],
)
def test_intended_readings_come_from_the_hand_checked_tests(text: str, intended: object) -> None:
    assert intended_reading(text) == intended


def test_missing_csv_is_a_clear_error(tmp_path, capsys) -> None:
    missing = tmp_path / "critic_reviews.csv"
    with pytest.raises(BenchmarkError, match="not found"):
        load_rows(missing)
    assert main(["--csv", str(missing)]) == 2
    assert "AGGREGATOR_SHARED_DIR" in capsys.readouterr().err
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(BenchmarkError, match="lacks the columns"):
        load_rows(other)
