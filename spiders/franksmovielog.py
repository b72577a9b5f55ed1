"""Frank's Movie Log (franksmovielog.com, 2020 Gatsby build): a one-critic film blog.

Its review pages carry no JSON-LD, no OpenGraph and no rating text: the film's title is the
page's second <h1>, the year opens the line under it ("1972 | 88 mins."), the review's date
opens the text ("NOV 21, 2015—…") and the rating exists only as an image's alt text,
"2 stars (out of 5)". `pre_process_page` reads those into one schema.org Review node, so the
generic rule and item builder do the rest.

Which rating is stored: the page's stars. The site's own "How I Grade" page says the stars are
what it shows readers (5 = a great movie … 1 = an awful movie), while a finer letter grade
(A = 5 stars, B = 4, … F = 1; A- and A+ are both 5 stars) is kept "behind the scenes": it
appears only in the site's build data (page-data.json), never on the review page. A crawl can
only see, and can only re-check, the stars, so `rating_raw` is the alt text as published;
tests/test_franksmovielog.py checks each page's stars against the letter grade of the site's
own record by that mapping.

The blog names no byline on its pages: it is Frank Showalter's log (the footer links his
Letterboxd profile, which is kept as the critic's profile URL).

The page repeats its article for two screen sizes: only the first copy is read.
"""

from __future__ import annotations

import re

from scrapy.http import Response

from .base.review_page import Page
from .base.schema_org import Graph
from .base.structured_data import StructuredDataSpider, squash

CRITIC = "Frank Showalter"
SITE_NAME = "Frank's Movie Log"
STARS_ALT = re.compile(r"^\s*[1-5] stars? \(out of 5\)\s*$", re.IGNORECASE)
DATE_OPENING = re.compile(r"^\s*([A-Z]{3} \d{1,2}, \d{4})\s*[—–-]\s*")
YEAR_OPENING = re.compile(r"^\s*(\d{4})\b")


def review_node(response: Response) -> tuple[dict, list[str]] | None:
    """(the page's review as a schema.org Review node, its paragraphs), or None for a page that
    is not a review (no film heading or no "N stars (out of 5)" image in its first article)."""
    article = response.xpath("(//article)[1]")
    alt = next((a for a in article.xpath(".//img/@alt").getall() if STARS_ALT.match(a)), None)
    title = squash(" ".join(response.xpath("//h1[not(ancestor::header)][1]//text()").getall()))
    if not (article and alt and title):
        return None
    paragraphs = [squash(p) for p in article.xpath("./main/p").xpath("string()").getall()]
    paragraphs = [p for p in paragraphs if p]
    opening = DATE_OPENING.match(paragraphs[0]) if paragraphs else None
    if opening:
        paragraphs[0] = paragraphs[0][opening.end():]
    year = YEAR_OPENING.match(squash(" ".join(response.xpath(
        "//h1[not(ancestor::header)][1]/following-sibling::span[2]//text()").getall())))
    profile = response.xpath("//footer//a[contains(@href, 'letterboxd.com/')]/@href").get()
    node = {
        "@type": "Review",
        "headline": title,
        "itemReviewed": {"@type": "Movie", "name": title, "dateCreated": year.group(1) if year else None},
        "author": {"@type": "Person", "name": CRITIC, "url": profile},
        "publisher": {"@type": "Organization", "name": SITE_NAME},
        "datePublished": opening.group(1) if opening else None,
        "reviewRating": squash(alt),
    }
    return node, paragraphs


class FranksMovieLogSpider(StructuredDataSpider):
    name = "franksmovielog"
    publication = "franksmovielog"
    follow_allow = (r"/reviews/[\w-]+/?$",)

    def pre_process_page(self, page: Page, response: Response) -> Page:
        found = review_node(response)
        if found is None:  # not one of its review pages: no visible article to read either
            page.h1, page.paragraphs = None, []
            return page  # the generic rule finds no review in it, and says why
        page.graph, page.paragraphs = Graph([found[0]]), found[1]
        return page
