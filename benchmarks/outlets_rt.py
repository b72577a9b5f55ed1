"""Rotten Tomatoes, Frank's Movie Log and the NYT Movie Reviews API measured on the real material
of ../shared/fixtures/real (issue 5; the named outlets' table is benchmarks/outlets.py).

    python -m benchmarks.outlets_rt [--verbose]

Each page is parsed by its spider (`rottentomatoes`, `franksmovielog`) as a crawl would, and
every item normalised by the pipelines' own functions (aggregator.importers.chain, no verdict
model: the verdict source is the one the page states). The expected facts come from a reading
independent of the spider's:
- Rotten Tomatoes 2024 layout: the card elements' attributes and slotted links, read by regular
  expressions over the raw HTML; the film from <title> and the page's ad data (`cag[release]`);
- Rotten Tomatoes 2021 layout: the JSON-LD `review` array (critic, outlet, URL, date, the
  critic's call as ratingValue 1/-1), the cards' tooltip "Original Score: …" (the spider reads
  the "Rating: …" text) and top-critic icons; the film from JSON-LD and `cag[release]`;
- Frank's Movie Log: the site's own page-data JSON (title, year, date, letter grade → stars by
  the site's "How I Grade" page);
- the NYT API: the response's own fields.
Not-review pages: the eight real articles of pages/not-reviews/ for both spiders, and the blog's
"How I Grade" page. Printed as the table in docs/outlets.md. Stops with a message when the
shared folder is absent (set AGGREGATOR_SHARED_DIR).
"""

from __future__ import annotations

import argparse
import html as html_lib
import json
import os
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from aggregator.spiders.franksmovielog import FranksMovieLogSpider
from aggregator.spiders.rottentomatoes import RottenTomatoesSpider
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from aggregator.identity.publications import default_registry
from aggregator.importers.chain import ImportPublications, normalise_item
from aggregator.importers.nyt_api import read_response, record_to_item
from aggregator.items import ReviewItem
from aggregator.urls import canonical_url

RT = "https://www.rottentomatoes.com"
RT_PAGES = {"/m/host_2020": "host_2020.rt_movie_page.movie.html",
            "/m/harry_potter_and_the_deathly_hallows_part_2":
                "harry_potter_and_the_deathly_hallows_part_2.rt_movie_page.html"}
STARS_OF_GRADE = {"A": 5, "B": 4, "C": 3, "D": 2, "F": 1}
MONTHS = {m: i for i, m in enumerate(
    "january february march april may june july august september october november december".split(), 1)}


def shared_real_dir() -> Path:
    override = os.environ.get("AGGREGATOR_SHARED_DIR")
    root = Path(override) if override else Path(__file__).resolve().parent.parent.parent / "shared"
    return root / "fixtures" / "real"


@dataclass
class Row:
    outlet: str
    reviews_expected: int = 0
    reviews_found: int = 0
    fields: Counter = field(default_factory=Counter)
    """field name → right"""
    expected: Counter = field(default_factory=Counter)
    """field name → expected"""
    silent: int = 0
    not_reviews: int = 0
    misses: list[str] = field(default_factory=list)

    def check(self, name: str, got, want, where: str) -> None:
        self.expected[name] += 1
        if got == want:
            self.fields[name] += 1
        else:
            self.misses.append(f"{where}: {name} {got!r} != {want!r}")


def parse(spider_cls, url: str, body: bytes) -> list[ReviewItem]:
    crawler = get_crawler(spider_cls)
    spider = spider_cls.from_crawler(crawler, url=url)
    crawler.spider = spider
    response = HtmlResponse(url=url, body=body, encoding="utf-8", request=Request(url))
    return [r for r in spider.parse(response) if isinstance(r, ReviewItem)]


def _words(name: str | None) -> str:
    return " ".join(re.findall(r"[a-z]+", (name or "").lower()))


def _long_date(text: str) -> date:
    month, day, year = re.match(r"(\w+) (\d+), (\d{4})", text.strip()).groups()
    return date(int(year), MONTHS[month.lower()], int(day))


# --- expected facts, read independently of the spiders -----------------------------------------


def rt_expected(raw: str) -> tuple[str, int, dict[str, dict]]:
    """(film title, year, {review key: facts}) of one Rotten Tomatoes page."""
    year = int(re.search(r'"cag\[release\]":"(\d{4})"', raw).group(1))
    # "<film> | Rotten Tomatoes" (2024), "<film> (<year>) - Rotten Tomatoes" (2021)
    tag = re.search(r"<title>(.*?)(?: \(\d{4}\))? [|-] Rotten Tomatoes</title>", raw, re.S)
    title = html_lib.unescape(tag.group(1).strip())
    facts: dict[str, dict] = {}
    for block in re.findall(r"<review-speech-balloon-deprecated(.*?)</review-speech-balloon-deprecated>", raw, re.S):
        attr = dict(re.findall(r'(\w+)="([^"]*)"', block.split(">", 1)[0]))
        link = lambda qa: re.search(rf'data-qa="{qa}"\s+href="([^"]*)"[^>]*>\s*(.*?)\s*</a>', block, re.S).groups()  # noqa: E731
        review_url, (critic_href, critic), (_, outlet) = link("full-review-link")[0], link("critic-name"), link("source-link")
        key = canonical_url(review_url) if review_url else f"{RT}/m/{_slug(raw)}#{critic_href}"
        facts[key] = {"critic": html_lib.unescape(critic), "outlet": html_lib.unescape(outlet),
                      "date": _long_date(attr["createdate"]), "rating": attr["originalscore"] or None,
                      "fresh": attr["scorestate"] == "fresh", "top": attr["istopcritic"] == "true"}
    for block in re.findall(r'<script type="application/ld\+json">(.*?)</script>', raw, re.S):
        movie = json.loads(block, strict=False)
        title = movie.get("name", title)
        for review in movie.get("review") or ():
            # canonical_url: a review's identity drops a "#fragment"
            facts[canonical_url(review["url"])] = {"critic": review["author"]["name"],
                                                   "outlet": review["publisher"]["name"],
                                    "date": date.fromisoformat(review["dateCreated"][:10]), "rating": None,
                                    "fresh": review["reviewRating"]["ratingValue"] == 1, "top": None}
    for bubble in re.findall(r'<li class="quote_bubble(.*?)</li>', raw, re.S):
        url = canonical_url(re.search(r"<blockquote[^>]*cite=([^ >]+)", bubble).group(1).strip('"'))
        score = re.search(r'title="Original Score: ([^"]*)"', bubble)
        if url in facts:
            facts[url].update(rating=score.group(1) if score else None, top="rt-icon-top-critic" in bubble)
    return title, year, facts


def _slug(raw: str) -> str:
    return re.search(r'"cag\[urlid\]":"([^"]+)"', raw).group(1)


# --- the measurements --------------------------------------------------------------------------


def measure_rottentomatoes(real: Path, publications: ImportPublications) -> Row:
    row = Row("rottentomatoes")
    for path, name in RT_PAGES.items():
        raw = (real / "pages" / "rottentomatoes" / name).read_text(encoding="utf-8")
        title, year, facts = rt_expected(raw)
        items = {i.url: i for i in parse(RottenTomatoesSpider, RT + path, raw.encode("utf-8"))}
        row.reviews_expected += len(facts)
        row.reviews_found += sum(1 for key in facts if key in items)
        for key, want in facts.items():
            item = items.get(key)
            if item is None:
                row.misses.append(f"{key}: not found")
                continue
            normalise_item(item, publications)
            row.check("critic", item.critics, [want["critic"]], key)
            row.check("film", (item.film_title, item.film_year), (title, year), key)
            row.check("date", item.published, want["date"], key)
            row.check("rating", item.rating_raw, want["rating"], key)
            row.check("verdict source", (item.fresh, item.label_raw), (want["fresh"], "Fresh" if want["fresh"] else "Rotten"), key)
            row.check("outlet", item.publication_raw, want["outlet"], key)
            row.check("top critic", item.top_critic, want["top"], key)
    silent_pages(row, real, RottenTomatoesSpider, [])
    return row


def measure_franksmovielog(real: Path, publications: ImportPublications) -> Row:
    row = Row("franksmovielog")
    folder = real / "pages" / "franksmovielog"
    for record_path in sorted(folder.glob("*.page-data.json")):
        slug = record_path.name.removesuffix(".page-data.json")
        record = json.loads(record_path.read_text())["result"]["data"]["review"]
        items = parse(FranksMovieLogSpider, f"https://www.franksmovielog.com/reviews/{slug}/",
                      (folder / f"{slug}.html").read_bytes())
        row.reviews_expected += 1
        row.reviews_found += len(items) == 1
        if len(items) != 1:
            row.misses.append(f"{slug}: {len(items)} items")
            continue
        item = items[0]
        normalise_item(item, publications)
        stars = STARS_OF_GRADE[record["grade"][0]]
        row.check("film", (item.film_title, item.film_year), (record["movie"]["title"], record["movie"]["year"]), slug)
        row.check("date", item.published, date.fromisoformat(record["date"][:10]), slug)
        row.check("rating", (item.rating_value, item.rating_best), (float(stars), 5.0), slug)
        row.check("verdict source", item.verdict_source, "rating", slug)
    silent_pages(row, real, FranksMovieLogSpider, [folder / "how-i-grade.html"])
    return row


def measure_nyt_api(real: Path, publications: ImportPublications) -> Row:
    row = Row("nytimes (API archive)")
    for path in sorted((real / "api" / "nyt").glob("*.json")):
        for record in read_response(path):
            row.reviews_expected += 1
            item, problem = record_to_item(record)
            if item is None or normalise_item(item, publications):
                row.misses.append(f"{path.name}: {record.get('display_title')!r} not imported ({problem})")
                continue
            row.reviews_found += 1
            where = record["link"]["url"]
            pick = record["critics_pick"] == 1
            row.check("critic", [_words(c) for c in item.critics], [_words(record["byline"])], where)
            row.check("film", item.film_title, html_lib.unescape(record["display_title"]), where)
            row.check("date", item.published, date.fromisoformat(record["publication_date"]), where)
            row.check("rating", (item.rating_raw, item.label_raw), (None, "Critic's Pick" if pick else None), where)
            row.check("verdict source", item.verdict_source, "label" if pick else None, where)
    return row


def silent_pages(row: Row, real: Path, spider_cls, extra: list[Path]) -> None:
    for page in sorted((real / "pages" / "not-reviews").glob("*.html")) + extra:
        row.not_reviews += 1
        row.silent += not parse(spider_cls, f"https://news.example/{page.name}", page.read_bytes())


COLUMNS = ("critic", "film", "date", "rating", "verdict source", "outlet", "top critic")


def table(rows: list[Row]) -> str:
    lines = ["| source | reviews found | " + " | ".join(COLUMNS) + " | fields right | not-review pages silent |",
             "|---" * (len(COLUMNS) + 4) + "|"]
    for row in rows:
        cells = [f"{row.fields[c]}/{row.expected[c]}" if row.expected[c] else "–" for c in COLUMNS]
        total = f"{sum(row.fields.values())}/{sum(row.expected.values())}"
        silent = f"{row.silent}/{row.not_reviews}" if row.not_reviews else "–"
        lines.append(f"| {row.outlet} | {row.reviews_found}/{row.reviews_expected} | " + " | ".join(cells)
                     + f" | {total} | {silent} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--verbose", action="store_true", help="list every field that is not right")
    args = parser.parse_args(argv)
    real = shared_real_dir()
    if not real.is_dir():
        print(f"third-party fixtures not found at {real} (set AGGREGATOR_SHARED_DIR)", file=sys.stderr)
        return 2
    publications = ImportPublications(default_registry())
    rows = [measure_rottentomatoes(real, publications), measure_franksmovielog(real, publications),
            measure_nyt_api(real, publications)]
    print(table(rows))
    if args.verbose:
        for row in rows:
            for miss in row.misses:
                print(f"{row.outlet}: {miss}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
