"""Each pipeline as Scrapy runs it: a thin adapter that counts what it changes or drops.

The store pipeline is exercised end to end (tests/test_end_to_end.py); these cover the rest,
with known-bad items that must be dropped with their reason.
"""

from __future__ import annotations

from datetime import date

import pytest
from aggregator.pipelines.clean_fields import CleanFieldsPipeline
from aggregator.pipelines.decide_verdict import DecideVerdictPipeline
from aggregator.pipelines.identify_film import IdentifyFilmPipeline
from aggregator.pipelines.normalise_critics import NormaliseCriticsPipeline
from aggregator.pipelines.parse_dates import ParseDatesPipeline
from aggregator.pipelines.resolve_publication import ResolvePublicationPipeline
from aggregator.pipelines.validate_review import ValidateReviewPipeline
from aggregator.spiders.base.structured_data import StructuredDataSpider
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from aggregator.demo.server import DEMO_PUBLICATIONS
from aggregator.items import ReviewItem


@pytest.fixture
def crawler():
    crawler = get_crawler(StructuredDataSpider, {"AGGREGATOR_PUBLICATION_FILES": [str(DEMO_PUBLICATIONS)]})
    crawler.spider = StructuredDataSpider.from_crawler(crawler, url="https://www.lanternreview.example/")
    return crawler


def pipeline(cls, crawler):
    instance = cls.from_crawler(crawler)
    if hasattr(instance, "open_spider"):
        instance.open_spider()
    return instance


def stats(crawler) -> dict:
    return {k: v for k, v in crawler.stats.get_stats().items() if k.startswith("aggregator/")}


def test_clean_fields_counts_changed_fields(crawler):
    item = ReviewItem(headline="  Two&nbsp;spaces ", film_raw="Tidy")
    pipeline(CleanFieldsPipeline, crawler).process_item(item)
    assert item.headline == "Two spaces"
    assert stats(crawler) == {"aggregator/clean/changed/headline": 1}


def test_resolve_publication_registry_provisional_and_unknown_key(crawler):
    resolve = pipeline(ResolvePublicationPipeline, crawler)
    known = resolve.process_item(ReviewItem(url="https://www.lanternreview.example/x/", publication_raw="Lantern"))
    assert known.publication == "lantern-review"
    stranger = resolve.process_item(ReviewItem(url="https://films.unknown-blog.example/r/1", publication_raw="Unknown Blog"))
    assert stranger.publication and stranger.publication != "lantern-review"
    assert resolve.publications.lookup(stranger.publication).provisional is True
    with pytest.raises(DropItem, match="unknown_publication_key"):
        resolve.process_item(ReviewItem(url="https://x.example/", publication="no-such-outlet"))
    assert stats(crawler) == {
        "aggregator/publication/resolved": 1,
        "aggregator/publication/provisional": 1,
        "aggregator/dropped/unknown_publication_key": 1,
    }


def test_normalise_critics_drops_the_outlet_name_and_counts_it(crawler):
    critics = pipeline(NormaliseCriticsPipeline, crawler)
    item = critics.process_item(ReviewItem(publication="lantern-review", critic_raw=["The Lantern Review"]))
    assert item.critics == []
    item = critics.process_item(ReviewItem(publication="lantern-review", critic_raw=["By JUNO PARADIS-OYELARAN"]))
    assert item.critics == ["Juno Paradis-Oyelaran"]
    assert stats(crawler) == {"aggregator/critic/site_account": 1, "aggregator/critic/none": 1}


def test_identify_film_counts_missing_title_and_year(crawler):
    films = pipeline(IdentifyFilmPipeline, crawler)
    assert films.process_item(ReviewItem(film_raw="Review: The Glass Orchard (2025)")).film_year == 2025
    films.process_item(ReviewItem(film_raw="Review: Nightjar Crossing"))
    films.process_item(ReviewItem(film_raw="!!!"))
    assert stats(crawler) == {"aggregator/film/no_year": 1, "aggregator/film/no_title": 1}


def test_decide_verdict_uses_the_outlet_scale_and_counts_rejections(crawler):
    verdicts = pipeline(DecideVerdictPipeline, crawler)
    item = verdicts.process_item(ReviewItem(publication="lantern-review", rating_raw="4 stars"))
    assert (item.score, item.verdict_source) == (80.0, "rating")
    verdicts.process_item(ReviewItem(publication="lantern-review", rating_raw="7/5"))
    assert stats(crawler) == {
        "aggregator/verdict/source/rating": 1,
        "aggregator/verdict/rating_rejected/out_of_range": 1,
        "aggregator/verdict/source/none": 1,
        "aggregator/verdict/none/no_text": 1,
    }


def test_parse_dates_counts_unparsed_and_absent(crawler):
    dates = pipeline(ParseDatesPipeline, crawler)
    assert dates.process_item(ReviewItem(published_raw="14 June 2025")).published == date(2025, 6, 14)
    dates.process_item(ReviewItem(published_raw="sometime soon"))
    dates.process_item(ReviewItem())
    assert stats(crawler) == {"aggregator/date/unparsed": 1, "aggregator/date/absent": 1}


def test_validate_drops_known_bad_items_with_their_reason(crawler):
    validate = pipeline(ValidateReviewPipeline, crawler)
    good = ReviewItem(url="https://www.lanternreview.example/x/", publication="lantern-review", film_title="The Glass Orchard")
    assert validate.process_item(good) is good
    with pytest.raises(DropItem, match="missing_film_title"):
        validate.process_item(ReviewItem(url="https://www.lanternreview.example/y/", publication="lantern-review"))
    with pytest.raises(DropItem, match="missing_url"):
        validate.process_item(ReviewItem(publication="lantern-review", film_title="X", score=140.0))
    assert stats(crawler) == {
        "aggregator/dropped/missing_film_title": 1,
        "aggregator/dropped/missing_url": 1,
        "aggregator/validate/also/score_out_of_range": 1,
    }


def test_normalise_critics_counts_a_critic_read_from_the_standfirst(crawler):
    critics = pipeline(NormaliseCriticsPipeline, crawler)
    item = critics.process_item(ReviewItem(publication="lantern-review", critic_raw=["Lantern Review Staff"],
                                           standfirst_raw="Juno Paradis-Oyelaran reviews a voyage into grief."))
    assert item.critics == ["Juno Paradis-Oyelaran"]
    assert stats(crawler) == {"aggregator/critic/site_account": 1, "aggregator/critic/from_text/lead": 1}


def test_identify_film_counts_year_conflicts_fallback_titles_and_external_ids(crawler):
    films = pipeline(IdentifyFilmPipeline, crawler)
    films.process_item(ReviewItem(film_raw="The Glass Orchard (2024)", film_year_raw="2025"))
    films.process_item(ReviewItem(headline="Review: Nightjar Crossing (2026)",
                                  film_ids_raw=["https://www.wikidata.org/wiki/Q0"]))  # Q0: no real item
    assert stats(crawler) == {
        "aggregator/film/year_conflict": 1,
        "aggregator/film/title_from/headline": 1,
        "aggregator/film/external_ids": 1,
    }
