"""Pages from outlets nobody wrote a rule for (issue 14), read as a crawl reads them.

Every labelled page of tests/fixtures/pages/tuning/ (the project's own, one per shape the
issue lists: the WordPress "Review: Another Look at X" under a site account, visible bylines
in capitals or with a role, "Reviewed by", the 2010 newspaper metas, a Product.review, a
festival "Cannes Film Review: 'X'", a quoted headline, a headline that is only the title, a
grade closing a review without the word "review", cards with their own headlines, game,
book, album, TV, dance and restaurant reviews, lists, interviews, box-office news) must give
exactly its expected output; the real pages of ../shared (a film blog's review pages served
from an unknown host, a radio station's WordPress post, real articles that are not reviews)
too. benchmarks/pages.py measures the same pages, with the held-out ones, field by field.
"""

from __future__ import annotations

import pytest

from benchmarks.outlets import crawl_page
from benchmarks.pages import CORPUS, Case, Tally, labelled_cases, real_cases, score_case

TUNING = list(labelled_cases(CORPUS / "tuning"))


def _outcome(case: Case) -> list[str]:
    tally = Tally()
    score_case(case, tally)
    return tally.misses


def test_the_corpus_is_varied_enough_to_measure_on():
    kinds = {case.kind for case in TUNING}
    assert len(TUNING) >= 20
    assert {"film", "not_review", "game", "book", "album", "tv", "stage", "restaurant"} <= kinds


@pytest.mark.parametrize("case", TUNING, ids=[c.name for c in TUNING])
def test_own_page_reads_as_labelled(case):
    assert _outcome(case) == []


HELD_OUT = list(labelled_cases(CORPUS / "held_out"))
KNOWN_HELD_OUT_MISSES = {
    # "***1/2" whose scale only the sidebar's legend states ("(out of four stars)")
    "e-oldstatic-table-stars": ["e-oldstatic-table-stars: rating missing (expected 88)"],
}


@pytest.mark.parametrize("case", HELD_OUT, ids=[c.name for c in HELD_OUT])
def test_held_out_page_once_measured_stays_as_read(case):
    """The held-out pages were measured before the rules that read them were written (their
    first figure is in docs/unknown-outlets.md); now they guard those rules."""
    assert _outcome(case) == KNOWN_HELD_OUT_MISSES.get(case.name, [])


def test_real_pages_of_outlets_with_no_rule_read_as_the_pages_say(shared_dir):
    misses = [miss for case in real_cases(shared_dir) for miss in _outcome(case)]
    assert misses == []


def test_the_film_blog_is_read_without_its_own_spider(shared_dir):
    cases = [c for c in real_cases(shared_dir) if c.name == "film-blog/blue-ruin-2013"]
    items, stats = crawl_page(cases[0].url, cases[0].html)
    (item,) = items
    assert item.source_format == "html"
    assert item.film_reason == "agreed:headline+url"
    assert item.critics == []  # the blog names no byline: nobody is invented
    assert item.publication_raw == "Frank's Movie Log"  # its masthead, not a <title> guess


def test_a_site_account_is_never_the_critic():
    case = next(c for c in TUNING if c.name == "wp-another-look")
    items, _ = crawl_page(case.url, case.html)
    (item,) = items
    assert "admin" in [a.lower() for a in item.critic_raw]
    assert item.critics == list(case.critics)


def test_refused_pages_say_why():
    reasons = {}
    for case in TUNING:
        if case.kind != "film":
            _, stats = crawl_page(case.url, case.html)
            reasons[case.name] = sorted(k.removeprefix("aggregator/no_review/") for k in stats if "/no_review/" in k)
    for name, keys in reasons.items():
        kind = next(c.kind for c in TUNING if c.name == name)
        assert keys, name
        if kind != "not_review":
            assert f"not_a_film_review/{kind}" in keys, (name, keys)


def test_a_star_row_is_read_from_its_label_not_its_glyphs():
    from aggregator.spiders.base.structured_data import StructuredDataSpider
    from scrapy.http import HtmlResponse

    html = """<html><head><meta property="og:type" content="article"><title>t</title></head><body><article>
    <h1>Low Water review – patient</h1><div class="review-rating"><span class="stars" aria-label="4 out of 5 stars">
    ★★★★<span class="off">★</span></span></div><div class="article-rating" aria-label="Rated 3.5 out of 5 stars">★★★½☆</div>
    <p>Body.</p></article></body></html>"""
    response = HtmlResponse(url="https://x.example/r/", body=html.encode(), encoding="utf-8")
    ratings = StructuredDataSpider._visible_ratings(response)
    assert ratings[0] == "4 out of 5 stars" and "3.5 out of 5 stars" in ratings
