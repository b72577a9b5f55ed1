"""The named outlets measured on their real markup fragments (issue 5).

    python -m benchmarks.outlets [--verbose]

For each outlet in ../shared/fixtures/real/publications/: its archived pages are put back
together from their fragments (benchmarks/outlet_pages.py), parsed by the default generic
spider (`structured_data`, which applies the outlet's own reading by the page's host, as in a
user's `aggregator crawl --url`) and normalised by the same functions the pipelines call.
Printed per outlet: reviews found on its review pages (recall), fields right out of fields
expected on them (critic, film, date, rating, verdict source), and not-review pages (404s,
roundups, other outlets' pages) that yielded nothing; then the eight real not-review articles
of pages/not-reviews/ (precision). The same table is in docs/outlets.md.

The verdict source is the one the page states (rating, label, text or none): no verdict
model is run, so a crawl's "inferred" verdicts on unrated reviews are not counted here.
Stops with a message when the shared folder is absent (set AGGREGATOR_SHARED_DIR).
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from aggregator.spiders.base.structured_data import StructuredDataSpider
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from aggregator.items import ReviewItem
from benchmarks.outlet_pages import OUTLETS, PAGES, Facts, FragmentPage, assemble

FIELDS = ("critic", "film", "date", "rating", "source")
NOT_REVIEW_ARTICLES = "pages/not-reviews"


def shared_real_dir() -> Path:
    override = os.environ.get("AGGREGATOR_SHARED_DIR")
    root = Path(override) if override else Path(__file__).resolve().parent.parent.parent / "shared"
    return root / "fixtures" / "real"


OUTLET_PAGE_KINDS = "film,stage"
"""The real outlet pages are theatre reviews on the outlets' film-review templates: their
readings are measured with the stage let in. A default crawl refuses them (not_a_film_review)."""


def crawl_page(url: str, html: str, outlet_readings: bool = True, kinds: str | None = None) -> tuple[list, dict]:
    """(normalised items, the spider's aggregator/* stats) of one page, as a crawl reads it;
    without the outlets' own readings (spiders/outlets) when `outlet_readings` is false; with
    `kinds` as the spider's `-a kinds=` (films only when None)."""
    from aggregator.identity.publications import default_registry
    from aggregator.normalise import (
        clean_fields,
        date_review,
        identify_film,
        normalise_critics,
        rate_review,
    )

    spider = _spider(url, kinds)
    if not outlet_readings:
        spider.read_outlet = lambda page, response: page
    response = HtmlResponse(url=url, body=html.encode("utf-8"), encoding="utf-8", request=Request(url))
    items = [r for r in spider.parse(response) if isinstance(r, ReviewItem)]
    registry = default_registry()
    for item in items:
        clean_fields(item)
        publication = registry.resolve(item.publication_raw, item.url)
        item.publication = publication.key if publication else None
        normalise_critics(item, publication.names if publication else ())
        identify_film(item)
        rate_review(item, publication)
        date_review(item)
    stats = {k: v for k, v in spider.crawler.stats.get_stats().items() if k.startswith("aggregator/")}
    return items, stats


def _spider(url: str, kinds: str | None = None) -> StructuredDataSpider:
    crawler = get_crawler(StructuredDataSpider)
    spider = StructuredDataSpider.from_crawler(crawler, url=url, kinds=kinds)
    crawler.spider = spider
    return spider


def observed(item) -> dict:
    """The item's values of FIELDS, in the form Facts holds them."""
    published = item.published.isoformat() if isinstance(item.published, date) else None
    return {
        "critic": tuple(item.critics),
        "film": item.film_title,
        "date": published,
        "rating": (item.rating_raw, item.score, item.label_raw),
        "source": item.verdict_source,
    }


def expected(facts: Facts) -> dict:
    return {
        "critic": facts.critics,
        "film": facts.film,
        "date": facts.date,
        "rating": (facts.rating_raw, facts.score, facts.label),
        "source": facts.source,
    }


@dataclass
class OutletScore:
    outlet: str
    review_pages: int = 0
    reviews_found: int = 0
    right: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))
    generic_right: int = 0
    """Fields right with the generic reader alone (no outlet reading): what the readings add."""
    other_pages: int = 0
    other_silent: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def fields_right(self) -> int:
        return sum(self.right.values())

    @property
    def fields_expected(self) -> int:
        return self.review_pages * len(FIELDS)


def fields_right(page: FragmentPage, items: list) -> int:
    if page.facts is None or len(items) != 1:
        return 0
    got, want = observed(items[0]), expected(page.facts)
    return sum(got[name] == want[name] for name in FIELDS)


def score_page(page: FragmentPage, items: list, score: OutletScore) -> None:
    if page.facts is None:
        score.other_pages += 1
        if not items:
            score.other_silent += 1
        else:
            score.misses.append(f"{page.id}: not a review, yielded {len(items)}")
        return
    score.review_pages += 1
    if len(items) != 1:
        score.misses.append(f"{page.id}: {len(items)} reviews found, 1 expected")
        if not items:
            return
    score.reviews_found += 1
    got, want = observed(items[0]), expected(page.facts)
    for name in FIELDS:
        if got[name] == want[name]:
            score.right[name] += 1
        else:
            score.misses.append(f"{page.id}: {name} {got[name]!r}, expected {want[name]!r}")


def evaluate(real: Path) -> tuple[list[OutletScore], dict[str, int]]:
    scores = {outlet: OutletScore(outlet) for outlet in OUTLETS}
    for page in PAGES:
        html = assemble(real, page)
        items, _ = crawl_page(page.url, html, kinds=OUTLET_PAGE_KINDS)
        score_page(page, items, scores[page.outlet])
        generic, _ = crawl_page(page.url, html, outlet_readings=False, kinds=OUTLET_PAGE_KINDS)
        scores[page.outlet].generic_right += fields_right(page, generic)
    articles = {}
    for path in sorted((real / NOT_REVIEW_ARTICLES).glob("*.html")):
        items, _ = crawl_page(f"https://news.example/{path.name}", path.read_bytes().decode("utf-8", "replace"))
        articles[path.name] = len(items)
    return list(scores.values()), articles


def table(scores: list[OutletScore], articles: dict[str, int]) -> str:
    head = ("| outlet | reviews found | critic | film | date | rating / label | verdict source | "
            "fields right | generic reader alone | not-review pages silent |")
    lines = [head, "|---" * (head.count("|") - 1) + "|"]
    total = OutletScore("all")
    for s in scores:
        total.review_pages += s.review_pages
        total.reviews_found += s.reviews_found
        total.other_pages += s.other_pages
        total.other_silent += s.other_silent
        total.generic_right += s.generic_right
        for name in FIELDS:
            total.right[name] += s.right[name]
        lines.append(_row(s))
    lines.append(_row(total, bold=True))
    silent = sum(1 for n in articles.values() if n == 0)
    lines.append("")
    lines.append(f"Real not-review articles (pages/not-reviews/) yielding no review: "
                 f"{silent}/{len(articles)}.")
    return "\n".join(lines)


def _row(s: OutletScore, bold: bool = False) -> str:
    n = s.review_pages
    cells = [s.outlet, f"{s.reviews_found}/{n}", *(f"{s.right[f]}/{n}" for f in FIELDS),
             f"{s.fields_right}/{s.fields_expected}", f"{s.generic_right}/{s.fields_expected}",
             f"{s.other_silent}/{s.other_pages}" if s.other_pages else "–"]
    if bold:
        cells = [f"**{c}**" for c in cells]
    return "| " + " | ".join(cells) + " |"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.outlets", description=__doc__.split("\n")[0])
    parser.add_argument("--verbose", action="store_true", help="list every wrong field")
    args = parser.parse_args(argv)
    real = shared_real_dir()
    if not (real / "publications").is_dir():
        print(f"the outlets' fragments are not at {real / 'publications'} "
              "(set AGGREGATOR_SHARED_DIR to the folder holding fixtures/real)", file=sys.stderr)
        return 2
    scores, articles = evaluate(real)
    print(table(scores, articles))
    misses = [m for s in scores for m in s.misses]
    misses += [f"{NOT_REVIEW_ARTICLES}/{name}: yielded {n}" for name, n in articles.items() if n]
    if misses:
        print(f"\n{len(misses)} wrong:" if args.verbose else f"\n{len(misses)} wrong (--verbose lists them)")
        if args.verbose:
            print("\n".join(f"  {m}" for m in misses))
    return 0


if __name__ == "__main__":
    sys.exit(main())
