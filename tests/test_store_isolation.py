"""One review the database refuses costs only itself (issue 15): the store pipeline retries a
failed batch item by item, drops the bad item with its reason and stores the rest.

The items reach the store pipeline directly, as they would if the clean step ever let a NUL or
a lone surrogate through: PostgreSQL refuses a NUL in text, no driver encodes a lone surrogate.
(tests/test_hostile_text.py crawls the same strings through every pipeline: cleaned, all stored.)
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import date

import pytest
from aggregator.pipelines.store_reviews import StoreReviewsPipeline
from aggregator.spiders.base.structured_data import StructuredDataSpider
from scrapy.utils.test import get_crawler
from sqlalchemy import select

from aggregator.db.models import Review
from aggregator.db.session import make_engine, session_factory
from aggregator.db.upsert import content_hash
from aggregator.items import ReviewItem

SITE = "https://lantern.example"


def review(n, **changes) -> ReviewItem:
    item = ReviewItem(
        url=f"{SITE}/reviews/{n}", page_url=f"{SITE}/reviews/{n}", spider="structured_data",
        publication_raw="The Daily Lantern", critic_raw=["Ada Fenwick"], film_raw="The Glass Orchard",
        rating_raw="4/5", headline=f"The Glass Orchard review {n}", text="A patient, luminous film.",
        publication="daily-lantern", critics=["Ada Fenwick"], film_title="The Glass Orchard",
        film_key="glass orchard", rating_value=4.0, rating_best=5.0, rating_worst=0.0, scale="stars/5",
        score=80.0, verdict="positive", fresh=True, verdict_source="rating", published=date(2031, 5, 1),
    )  # fmt: skip
    return replace(item, **changes)


NUL_TEXT = review("nul-text", text="A patient\x00 luminous film.")
SURROGATE_AUTHOR = review("surrogate-author", critic_raw=["Ada \ud800Fenwick"], critics=["Ada \ud800Fenwick"])


# Outside a crawl there is no reactor to flush on a timer; the spool (crash safety) is its own
# concern, tested in its own files.
PIPELINE_ALONE = {"AGGREGATOR_STORE_FLUSH_INTERVAL": 0, "AGGREGATOR_SPOOL": False}


def store(db_url: str, items: list[ReviewItem], **settings):
    """The store pipeline as Scrapy runs it (open, items, close, closed); its crawler's stats."""
    crawler = get_crawler(StructuredDataSpider, {"AGGREGATOR_DB": db_url, **PIPELINE_ALONE, **settings})
    crawler.spider = StructuredDataSpider.from_crawler(crawler, url=f"{SITE}/")
    pipeline = StoreReviewsPipeline.from_crawler(crawler)
    pipeline.open_spider()
    for item in items:
        pipeline.process_item(item)
    asyncio.run(pipeline.close_spider())
    pipeline.spider_closed(crawler.spider, "finished")
    return pipeline, crawler.stats.get_stats()


def stored_urls(db_url: str) -> set[str]:
    engine = make_engine(db_url)
    try:
        with session_factory(engine)() as session:
            return set(session.scalars(select(Review.url)))
    finally:
        engine.dispose()


def test_ten_good_reviews_are_stored_beside_a_nul_and_a_lone_surrogate(empty_db_url, caplog):
    good = [review(n) for n in range(10)]
    batch = good[:5] + [NUL_TEXT] + good[5:8] + [SURROGATE_AUTHOR] + good[8:]
    with caplog.at_level(logging.WARNING, logger="aggregator.pipelines.store_reviews"):
        pipeline, stats = store(empty_db_url, batch)
    on_postgres = empty_db_url.startswith("postgresql")
    # SQLite keeps a NUL in text; PostgreSQL refuses it. Neither takes a lone surrogate.
    refused = [SURROGATE_AUTHOR] + ([NUL_TEXT] if on_postgres else [])
    assert stored_urls(empty_db_url) == {i.url for i in batch} - {i.url for i in refused}
    assert stats["aggregator/dropped/store_error"] == len(refused)
    assert stats["aggregator/reviews/new"] == len(batch) - len(refused)
    assert pipeline.failed_batches == 0 and stats["aggregator/run_status"] == "ok"
    drops = [r.getMessage() for r in caplog.records if "store_error" in r.getMessage()]
    assert len(drops) == len(refused)
    assert any(SURROGATE_AUTHOR.url in line and "UnicodeEncodeError" in line for line in drops)
    if on_postgres:
        assert any(NUL_TEXT.url in line and "DataError" in line and "NUL" in line for line in drops)
    assert all(len(line) < 600 for line in drops)  # the error's first line, not its SQL and parameters


def test_a_batch_whose_every_review_is_refused_is_a_failed_batch(empty_db_url):
    bad = [review(n, critics=[f"Critic \udc80{n}"]) for n in range(3)]
    pipeline, stats = store(empty_db_url, bad)
    assert stored_urls(empty_db_url) == set()
    assert pipeline.failed_batches == 1
    assert stats["aggregator/dropped/store_error"] == 3
    assert stats["aggregator/run_status"] == "failed"


def test_only_the_batch_with_the_bad_review_is_retried_and_later_batches_are_whole(empty_db_url, caplog):
    items = [review(n) for n in range(4)] + [SURROGATE_AUTHOR] + [review(n) for n in range(4, 9)]
    with caplog.at_level(logging.WARNING, logger="aggregator.pipelines.store_reviews"):
        pipeline, stats = store(empty_db_url, items, AGGREGATOR_STORE_BATCH_SIZE=3)
    assert stored_urls(empty_db_url) == {i.url for i in items} - {SURROGATE_AUTHOR.url}
    assert stats["aggregator/dropped/store_error"] == 1 and pipeline.failed_batches == 0
    retried = [r for r in caplog.records if "storing them one by one" in r.getMessage()]
    assert len(retried) == 1  # batches of 3: only the second held the bad review


def test_a_database_refusing_every_write_is_not_tried_review_after_review(tmp_path, caplog):
    """A read-only database (likewise a locked or unreachable one) refuses each item as it
    refused the batch; after two such refusals the rest are dropped untried, not waited on."""
    db_file = tmp_path / "store.sqlite"
    db_url = f"sqlite:///{db_file}"
    crawler = get_crawler(StructuredDataSpider, {"AGGREGATOR_DB": db_url, **PIPELINE_ALONE})
    crawler.spider = StructuredDataSpider.from_crawler(crawler, url=f"{SITE}/")
    pipeline = StoreReviewsPipeline.from_crawler(crawler)
    pipeline.open_spider()
    read_only = make_engine(f"sqlite:///file:{db_file}?mode=ro&uri=true")
    pipeline.sessions = session_factory(read_only)
    with caplog.at_level(logging.WARNING, logger="aggregator.pipelines.store_reviews"):
        for n in range(10):
            pipeline.process_item(review(n))
        asyncio.run(pipeline.close_spider())
    read_only.dispose()
    pipeline.engine.dispose()
    messages = [r.getMessage() for r in caplog.records]
    assert len([m for m in messages if m.startswith("dropped https://")]) == 2
    assert any("dropped the other 8 reviews of the batch untried" in m and "readonly" in m for m in messages)
    assert crawler.stats.get_value("aggregator/dropped/store_error") == 10
    assert pipeline.failed_batches == 1
    assert stored_urls(db_url) == set()


def test_the_content_hash_of_a_lone_surrogate_is_a_hash_not_an_error():
    assert len(content_hash(SURROGATE_AUTHOR)) == 64
    assert content_hash(SURROGATE_AUTHOR) != content_hash(review("surrogate-author"))


@pytest.mark.parametrize("bad", [NUL_TEXT, SURROGATE_AUTHOR], ids=["nul", "surrogate"])
def test_a_lone_bad_review_is_dropped_and_counted(empty_db_url, bad):
    if bad is NUL_TEXT and not empty_db_url.startswith("postgresql"):
        pytest.skip("SQLite stores a NUL in text: nothing to refuse")
    pipeline, stats = store(empty_db_url, [bad])
    assert stored_urls(empty_db_url) == set()
    assert stats["aggregator/dropped/store_error"] == 1 and pipeline.failed_batches == 1
