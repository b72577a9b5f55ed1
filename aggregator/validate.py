"""The last check before a review is stored: what makes an item unfit, by a named reason.

The validate pipeline drops an item with problems and counts each reason; tests feed it
known-bad items, since a check that cannot fail is a defect.
"""

from __future__ import annotations

from datetime import date, timedelta

from aggregator.items import VERDICT_SOURCES as SOURCE_NAMES
from aggregator.items import VERDICTS as VERDICT_NAMES
from aggregator.items import ReviewItem
from aggregator.ratings.scales import SCALES

VERDICTS = frozenset(VERDICT_NAMES)
VERDICT_SOURCES = frozenset(SOURCE_NAMES)
PROBLEMS = (
    "missing_url",
    "bad_url",
    "missing_publication",
    "missing_film_title",
    "published_in_future",
    "published_too_early",
    "score_out_of_range",
    "unknown_scale",
    "bad_verdict",
    "verdict_without_source",
    "bad_confidence",
)
EARLIEST_REVIEW = date(1890, 1, 1)


def review_problems(item: ReviewItem, today: date | None = None) -> list[str]:
    """Every reason (from PROBLEMS) this item must not be stored; empty when it is fit."""
    problems = []
    if not item.url:
        problems.append("missing_url")
    elif not item.url.startswith(("http://", "https://")) or " " in item.url:
        problems.append("bad_url")
    if not item.publication:
        problems.append("missing_publication")
    if not item.film_title:
        problems.append("missing_film_title")
    if item.published is not None:
        if item.published > (today or date.today()) + timedelta(days=1):
            problems.append("published_in_future")
        elif item.published < EARLIEST_REVIEW:
            problems.append("published_too_early")
    if item.score is not None and not 0 <= item.score <= 100:
        problems.append("score_out_of_range")
    if item.scale is not None and item.scale not in SCALES:
        problems.append("unknown_scale")
    if item.verdict is not None and item.verdict not in VERDICTS:
        problems.append("bad_verdict")
    if item.verdict is not None and item.verdict_source not in VERDICT_SOURCES:
        problems.append("verdict_without_source")
    if item.confidence is not None and not 0 <= item.confidence <= 1:
        problems.append("bad_confidence")
    return problems
