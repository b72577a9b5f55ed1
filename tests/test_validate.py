"""The last check before storing: known-bad items must each be caught, with their reason."""

from __future__ import annotations

from datetime import date

import pytest

from aggregator.items import ReviewItem
from aggregator.validate import PROBLEMS, review_problems

TODAY = date(2026, 11, 23)


def fit_item(**changes) -> ReviewItem:
    item = ReviewItem(url="https://www.lanternreview.example/reviews/x/", publication="lantern-review",
                      film_title="The Glass Orchard", published=date(2025, 6, 14), score=70.0,
                      scale="stars/5", verdict="positive", fresh=True, verdict_source="rating", confidence=1.0)
    for key, value in changes.items():
        setattr(item, key, value)
    return item


def test_a_fit_item_has_no_problem():
    assert review_problems(fit_item(), today=TODAY) == []


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"url": None}, "missing_url"),
        ({"url": "ftp://x.example/a"}, "bad_url"),
        ({"url": "https://x.example/a b"}, "bad_url"),
        ({"publication": None}, "missing_publication"),
        ({"film_title": None}, "missing_film_title"),
        ({"published": date(2027, 1, 1)}, "published_in_future"),
        ({"published": date(1850, 1, 1)}, "published_too_early"),
        ({"score": 101.0}, "score_out_of_range"),
        ({"score": -0.5}, "score_out_of_range"),
        ({"scale": "stars/7"}, "unknown_scale"),
        ({"verdict": "great"}, "bad_verdict"),
        ({"verdict_source": None}, "verdict_without_source"),
        ({"verdict_source": "guess"}, "verdict_without_source"),
        ({"confidence": 1.5}, "bad_confidence"),
    ],
)
def test_each_known_bad_item_is_caught(changes, problem):
    assert problem in PROBLEMS
    assert review_problems(fit_item(**changes), today=TODAY) == [problem]


def test_every_problem_is_reported_not_just_the_first():
    problems = review_problems(fit_item(url=None, film_title=None, score=150.0), today=TODAY)
    assert problems == ["missing_url", "missing_film_title", "score_out_of_range"]
