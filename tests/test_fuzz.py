"""Fuzzing the readers a hostile page reaches (issue 15): the page reader, the rating, date,
byline and URL parsers never raise, and what they return is in range.

Hypothesis, derandomised so CI runs the same examples every time, a few hundred per reader and
no per-example deadline: the whole file takes seconds.
"""

from __future__ import annotations

import json
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aggregator.dates import parse_date
from aggregator.identity.critics import split_byline
from aggregator.ratings.reading import explain_rating
from aggregator.urls import canonical_url, pick_canonical
from tests.spider_harness import make_spider, response_for

FUZZ = settings(max_examples=300, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
HOSTILE_TEXT = st.lists(st.text(max_size=6) | st.sampled_from(
    ["\x00", "\ud800", "\u202e", "\u200b", "\x1b[31m", "★", "½", "/", "10", "-", "NaN", "inf", "<", "&amp;",
     " out of ", "Rating: ", "B+", "2026-", "By ", "@", "http://", "https://x.example/", "%", "(", ")"]),
    max_size=12).map("".join)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | HOSTILE_TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["@type", "@id", "@graph", "name", "author", "itemReviewed", "reviewRating",
                         "ratingValue", "bestRating", "url", "datePublished", "review", "headline"]) | HOSTILE_TEXT,
        children, max_size=5),
    max_leaves=25)


@FUZZ
@given(HOSTILE_TEXT, st.sampled_from([None, "stars/4", "stars/5", "letter", "out_of_10"]))
def test_a_rating_string_never_raises_and_scores_within_range(text, scale):
    try:
        rating, reason = explain_rating(text, scale)
    except KeyError:  # an unknown scale name is the caller's error, not the page's
        return
    assert (rating is None) == (reason != "ok")
    if rating is not None:
        assert 0 <= rating.score <= 100


@FUZZ
@given(HOSTILE_TEXT)
def test_a_date_string_never_raises_and_is_never_in_the_future(text):
    today = date(2026, 12, 6)
    found = parse_date(text, today=today)
    assert found is None or date(1870, 1, 1) <= found <= today


@FUZZ
@given(HOSTILE_TEXT)
def test_a_byline_never_raises(text):
    assert all(isinstance(name, str) and name for name in split_byline(text))


@FUZZ
@given(HOSTILE_TEXT, HOSTILE_TEXT)
def test_a_claimed_url_never_raises(canonical, og_url):
    chosen = pick_canonical(canonical, og_url, "https://www.outlet.example/film/a-review")
    assert canonical_url(chosen) == chosen


@FUZZ
@given(JSON_VALUES, HOSTILE_TEXT, HOSTILE_TEXT)
def test_the_page_reader_never_raises_on_any_json_ld_or_markup(block, headline, text):
    spider = make_spider(url="https://www.outlet.example/film/a-review")
    script = json.dumps(block, allow_nan=True).replace("</", "<\\/")
    body = (f'<html><head><title>{headline}</title><script type="application/ld+json">{script}</script></head>'
            f"<body><article><h1>{headline}</h1><p>{text}</p></article></body></html>")
    raw = body.encode("utf-8", "surrogatepass")  # a page is bytes: a lone surrogate is three bad ones
    for result in spider.parse(response_for("https://www.outlet.example/film/a-review", raw)):
        assert getattr(result, "url", "").startswith("https://")
