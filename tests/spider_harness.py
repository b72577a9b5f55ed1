"""Running a spider's callback on a saved page, without the network: the fixture-test harness."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from aggregator.spiders.base.structured_data import StructuredDataSpider
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from aggregator.items import ReviewItem

RAW_FIELDS = (
    "url", "page_url", "publication_raw", "critic_raw", "critic_urls", "film_raw", "film_year_raw",
    "film_ids_raw", "rating_raw", "rating_parts", "label_raw", "published_raw", "headline",
    "source_format",
)


def make_spider(spider_cls=StructuredDataSpider, url: str = "https://example.org/", **kwargs):
    crawler = get_crawler(spider_cls)
    spider = spider_cls.from_crawler(crawler, url=url, **kwargs)
    crawler.spider = spider
    return spider


def response_for(url: str, body: str | bytes) -> HtmlResponse:
    data = body.encode("utf-8") if isinstance(body, str) else body
    return HtmlResponse(url=url, body=data, encoding="utf-8", request=Request(url))


def parse_page(url: str, body: str | bytes | Path, spider_cls=StructuredDataSpider):
    """(review items, follow-up requests, spider) for one page."""
    if isinstance(body, Path):
        body = body.read_bytes()
    spider = make_spider(spider_cls, url=url)
    results = list(spider.parse(response_for(url, body)))
    items = [r for r in results if isinstance(r, ReviewItem)]
    requests = [r for r in results if isinstance(r, Request)]
    return items, requests, spider


def raw_view(item: ReviewItem) -> dict:
    """The raw fields a spider is responsible for, as a plain dict to compare with expectations."""
    data = dataclasses.asdict(item)
    return {name: data[name] for name in RAW_FIELDS}


def stat(spider, key: str):
    return spider.crawler.stats.get_value(key)
