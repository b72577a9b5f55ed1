"""The generic spider on real third-party pages, read from ../shared at test time."""

from __future__ import annotations

import pytest

from aggregator.normalise import rate_review
from tests.spider_harness import parse_page, stat

RT_2021 = "rottentomatoes/host_2020.rt_movie_page.movie.html"
NOT_REVIEWS = [
    "bbc-2019-70cb2d5b.html",
    "guardian-film-interview-2011.html",
    "hollywoodreporter-2019-8267acac.html",
    "indiewire-2019-3d8f3404.html",
    "latimes-2019-098bb3e9.html",
    "nytimes-2019-702d1da6.html",
    "telegraph-2019-88c328b6.html",
    "theguardian-2019-5fa3154e.html",
]


@pytest.mark.parametrize("name", NOT_REVIEWS)
def test_real_articles_that_are_not_reviews_yield_nothing(shared_dir, name):
    items, _, spider = parse_page(f"https://news.example/{name}", shared_dir / "pages" / "not-reviews" / name)
    assert items == []
    reasons = {k for k in spider.crawler.stats.get_stats() if k.startswith("aggregator/no_review/")}
    assert len(reasons) == 1


def test_rotten_tomatoes_2021_json_ld_reviews_carry_a_fresh_flag_not_a_score(shared_dir):
    items, _, spider = parse_page("https://www.rottentomatoes.com/m/host_2020", shared_dir / "pages" / RT_2021)
    assert len(items) == 24
    assert stat(spider, "aggregator/pages/with_review") == 1
    first = items[0]
    assert first.url == "https://www.mercurynews.com/2020/08/12/streaming-movie-picks-host-is-the-freakout-for-our-times/"
    assert (first.publication_raw, first.critic_raw, first.film_raw) == ("San Jose Mercury News", ["Randy Myers"], "Host")
    assert first.critic_urls == ["https://www.rottentomatoes.com/critic/randy-myers"]
    assert first.published_raw == "2021-02-07T00:33:11-08:00"
    assert first.rating_parts == {"value": "1", "best": "1", "worst": "-1"}
    # Every review is keyed on the outlet's own URL, never on the aggregator's page.
    assert len({i.url for i in items}) == 24
    assert not any("rottentomatoes.com/m/" in i.url for i in items)

    for item in items:
        rate_review(item)
        assert item.score is None, "a [-1, 1] reviewRating of 1 is the fresh flag, not a score of 100"
        assert item.scale == "binary"
        assert item.verdict_source == "label"
        assert item.fresh is (item.rating_parts["value"] == "1")
