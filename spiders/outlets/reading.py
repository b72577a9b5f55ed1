"""How one outlet's pages are read beyond what the generic reader sees: a declarative record.

Most named outlets publish everything in JSON-LD and meta tags, which the generic reader
(spiders/base) already reads. What it cannot know is where an outlet puts the rest: a row of
star icons in the headline area, a "Critic's Pick" badge, a byline or dateline in visible
markup. An `OutletReading` names those places (XPath), and `read_outlet` adds what it finds to
the `Page` before the review rule runs, so the same rule and the same pipelines decide the
rest. Reading is done with the parts the project already has: a rating string found here is
read by aggregator.ratings like any other, a label through aggregator.verdicts.label_call, a
"Grade: B" closing the text by aggregator.verdicts.stated_in_text (no outlet code at all).

Where an outlet's markup has changed, the part is left unread rather than misread: a star
row of another size, or with a star of an unknown shape, gives no rating (counted under
`aggregator/outlet/unread_star_row/<outlet>` and logged).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from scrapy.http import TextResponse

from aggregator.verdicts import label_call

from ..base.review_page import Page

logger = logging.getLogger(__name__)

WHITESPACE = re.compile(r"\s+")
TITLE_STARS = re.compile(r"\(\s*([★☆½]+)\s*\)\s*$")
"""Stars closing a title: "Broadway review: The Outsiders (★★★)"."""
VISIBLE_TEXT = ".//text()[not(ancestor::script or ancestor::style)]"
MAX_FIELD_LENGTH = 120
"""Longer text found at a byline, dateline or label place is not one (the markup moved)."""


def squash(text: str | None) -> str:
    return WHITESPACE.sub(" ", text or "").strip()


@dataclass(frozen=True)
class StarRow:
    """A row of star icons with no text: the rating is the number of filled (and half) stars
    out of the row's size. Each star must be recognised as filled, half or empty."""

    row: tuple[str, ...]
    """XPaths of the row, tried in order; the first match is read (related-story cards with
    their own rows come later or elsewhere, so the XPath names the headline's row)."""
    star: str
    """XPath, from the row, of each star."""
    filled: str
    """XPath, from a star, that matches only a filled star (likewise `half`, `empty`)."""
    empty: str
    size: int
    half: str | None = None


@dataclass(frozen=True)
class OutletReading:
    """Where one outlet's pages say what structured data leaves out. Every field is optional."""

    key: str
    """The outlet's registry key (aggregator/identity/publications.toml)."""
    star_row: StarRow | None = None
    rating_text: tuple[str, ...] = ()
    """XPaths whose text is a rating as shown ("5 out of 5 stars")."""
    rating_in_title: bool = False
    """og:title / twitter:title end with the rating in star glyphs: "… (★★★)"."""
    label: tuple[str, ...] = ()
    """XPaths whose text may be the outlet's verdict label ("Critic’s Pick"); only a label
    aggregator.verdicts knows is taken, so the same place holding other text is harmless."""
    label_in_script: tuple[str, ...] = ()
    """Keys of inline-script JSON whose value may be such a label ("kicker")."""
    byline: tuple[str, ...] = ()
    """XPaths of the critic's name, read when structured data names no author."""
    date: tuple[str, ...] = ()
    """XPaths of the publication date (text or an attribute), read when structured data has none."""
    date_meta: tuple[str, ...] = ()
    """Meta names holding the publication date ("article.published")."""
    date_in_script: tuple[str, ...] = ()
    """Keys of inline-script JSON holding the publication date ("publishDate")."""
    article: str | None = None
    """XPath of the outlet's article headline: where it matches, the page is an article even
    when its structured data is missing or unreadable."""
    notes: str = field(default="", compare=False)
    """What the reading relies on in the outlet's markup, as observed (docs/outlets.md)."""


def read_outlet(reading: OutletReading, page: Page, response: TextResponse,
                count: Callable[[str], None]) -> Page:
    """The page with what `reading` finds added: a rating (in place of the generic guesses),
    the outlet's label, a byline, a date, and whether it is one of the outlet's articles."""
    rating = _rating(reading, page, response, count)
    if rating:
        page.visible_ratings = [rating]
        count(f"rating/{reading.key}")
    page.label = _label(reading, response)
    if page.label:
        count(f"label/{reading.key}")
    page.bylines = _texts(response, reading.byline)[:1]
    page.outlet_date = (
        next(iter(_texts(response, reading.date)), None)
        or page.meta_first(*reading.date_meta)
        or next((v for k in reading.date_in_script if (v := script_value(response, k))), None)
    )
    page.outlet_article = bool(reading.article and response.xpath(reading.article))
    return page


def _rating(reading: OutletReading, page: Page, response: TextResponse,
            count: Callable[[str], None]) -> str | None:
    if reading.star_row is not None:
        stars = read_star_row(reading.star_row, response)
        if stars == "unread":
            count(f"unread_star_row/{reading.key}")
            logger.warning("%s: a star row the %s reading does not recognise", response.url,
                           reading.key)
        elif stars:
            return stars
    for text in _texts(response, reading.rating_text):
        return text
    if reading.rating_in_title:
        for title in (page.meta_first("og:title"), page.meta_first("twitter:title")):
            match = TITLE_STARS.search(title or "")
            if match:
                return match.group(1)
    return None


def read_star_row(row: StarRow, response: TextResponse) -> str | None:
    """"3/5" from a row of 3 filled and 2 empty stars; None when the page has no such row;
    "unread" when the row is there but its size or a star's shape is not the known one."""
    found = next((match for xpath in row.row if (match := response.xpath(xpath))), None)
    if not found:
        return None
    value, size = 0.0, 0
    for star in found[0].xpath(row.star):
        size += 1
        if star.xpath(row.filled):
            value += 1
        elif row.half and star.xpath(row.half):
            value += 0.5
        elif not star.xpath(row.empty):
            return "unread"
    if size != row.size:
        return "unread"
    return f"{value:g}/{size}"


def _label(reading: OutletReading, response: TextResponse) -> str | None:
    for text in _texts(response, reading.label, limit=5):
        if label_call(text) is not None:
            return text
    for key in reading.label_in_script:  # the page data, read only when the markup has none
        text = script_value(response, key)
        if text and label_call(text) is not None:
            return text
    return None


def _texts(response: TextResponse, xpaths: tuple[str, ...], limit: int = 1) -> list[str]:
    """The text of the first `limit` matches of each XPath, in order; an attribute's value
    when the XPath selects one. Text too long to be a name, date or label is skipped."""
    found = []
    for xpath in xpaths:
        for node in response.xpath(xpath)[:limit]:
            if isinstance(node.root, str):  # an attribute or a text node
                text = squash(node.root)
            else:
                text = squash(" ".join(node.xpath(VISIBLE_TEXT).getall()))
            if text and len(text) <= MAX_FIELD_LENGTH:
                found.append(text)
    return found


@lru_cache(maxsize=64)
def _script_key(key: str) -> re.Pattern[str]:
    # "key":"value" in JSON, key = "value" in assignments (window._page.key = "…")
    return re.compile(rf"""(?:["']{re.escape(key)}["']\s*:|\.{re.escape(key)}\s*=)\s*("(?:[^"\\]|\\.)*")""")


def script_value(response: TextResponse, key: str) -> str | None:
    """The first string value of `key` in the page's inline scripts (not JSON-LD), decoded."""
    pattern = _script_key(key)
    for script in response.xpath("//script[not(@src) and not(contains(@type, 'ld+json'))]/text()"):
        match = pattern.search(script.get())
        if match:
            try:
                value = squash(json.loads(match.group(1)))
            except ValueError:
                continue
            if value and len(value) <= MAX_FIELD_LENGTH:
                return value
    return None
