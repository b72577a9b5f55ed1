"""Rotten Tomatoes film pages: each critic review card becomes a review of its outlet.

A card is a listing of another outlet's review, so the item is keyed on the ORIGINAL review's
URL (the card's "Full Review" link): a later crawl of that outlet's own page is the same review,
and the store lets the outlet's page win for text and rating while keeping the critic's own
fresh/rotten call and the top-critic flag from here (aggregator.db.listings). The outlet is the
publication the card names, resolved by the registry like any other (never Rotten Tomatoes).

Two layouts are read:
- c. 2021: `li[data-qa=quote-bubble]` cards ("Rating: 3/4", a fresh/rotten icon, a top-critic
  icon) and a JSON-LD Movie whose `review` array lists more reviews than the visible cards; the
  generic reader turns those into items (keyed on their outlet URLs), the cards add what the
  JSON-LD lacks: the original score, the top-critic flag. Its reviewRating {1, -1..1} is the
  fresh flag, read here as the critic's call, not as a score.
- c. 2024: `review-speech-balloon[-deprecated]` elements whose attributes carry the original
  score, `scorestate` and `istopcritic`, with slotted links to the review, critic and outlet.

A card without a link to the original review has no URL of its own: it is keyed on the film
page it was listed on plus a fragment naming the critic's Rotten Tomatoes page (a locator of
the card on a real page, not an invented address). Pages without cards (404s, lists, news)
yield nothing and are counted under aggregator/no_review/no_critic_cards.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from scrapy.http import Response, TextResponse

from aggregator.items import ReviewItem
from aggregator.ratings import rating_from_parts
from aggregator.urls import ClaimCheck, canonical_url

from .base.review_page import reviews_on_page
from .base.structured_data import StructuredDataSpider, squash

logger = logging.getLogger(__name__)

YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
RATING_PREFIX = re.compile(r"^(?:Rating|Original Score):\s*", re.IGNORECASE)
WAYBACK_PATH = re.compile(r"^/web/\d{4,14}")


@dataclass
class Card:
    """One critic review card as the page shows it (strings as given; None where absent)."""

    review_url: str | None
    critic: str | None
    critic_url: str | None
    outlet: str | None
    original_score: str | None
    call: str | None
    """"fresh" or "rotten": the critic's own call."""
    top_critic: bool | None
    date: str | None
    quote: str | None


def _text(selection) -> str | None:
    return squash(" ".join(selection.xpath(".//text()").getall())) or None


def _absolute(href: str | None, response_url: str, canonical: str) -> str | None:
    """An absolute link: a site path against the page's canonical URL (a copy served from
    elsewhere still links to Rotten Tomatoes), anything else against the fetched URL, with a
    Wayback Machine prefix ("/web/20210327000000/https://…") stripped."""
    href = (href or "").strip()
    if not href:
        return None
    absolute = urljoin(canonical if href.startswith("/") and not WAYBACK_PATH.match(href) else response_url, href)
    try:
        return canonical_url(absolute)
    except ValueError:
        return None


def _call(state: str | None) -> str | None:
    state = (state or "").lower()
    return "rotten" if "rotten" in state else "fresh" if "fresh" in state else None


def cards_2024(response: TextResponse, canonical: str) -> list[Card]:
    cards = []
    for element in response.xpath("//*[starts-with(local-name(), 'review-speech-balloon')]"):
        link = element.xpath(".//a[@slot='review-url' or @data-qa='full-review-link']")
        critic = element.xpath(".//a[@slot='critic-link' or @data-qa='critic-name']")
        outlet = element.xpath(".//a[@slot='publication-link' or @data-qa='source-link']")
        top = (element.attrib.get("istopcritic") or "").lower()
        cards.append(Card(
            review_url=_absolute(link.attrib.get("href"), response.url, canonical) if link else None,
            critic=_text(critic) if critic else None,
            critic_url=_absolute(critic.attrib.get("href"), response.url, canonical) if critic else None,
            outlet=_text(outlet) if outlet else None,
            original_score=squash(element.attrib.get("originalscore")) or None,
            call=_call(element.attrib.get("scorestate")),
            top_critic=True if top == "true" else False if top == "false" else None,
            date=squash(element.attrib.get("createdate")) or None,
            quote=squash(element.attrib.get("reviewquote")) or None,
        ))
    return cards


def cards_2021(response: TextResponse, canonical: str) -> list[Card]:
    cards = []
    # Inside the critics' section only: audience reviews use the same bubble on 2024 pages.
    for element in response.xpath("//*[@data-qa='critic-reviews']//li[@data-qa='quote-bubble']"):
        icon = element.xpath(".//span[contains(@class, 'media-img') and contains(@class, 'icon')]")
        link = element.xpath(".//a[@data-qa='quote-bubble-review-link']/@href").get()
        critic = element.xpath(".//a[@data-qa='quote-bubble-critic-link']")
        outlet = element.xpath(".//a[@data-qa='quote-bubble-source-link']")
        # "February 7, 2021 | Rating: 3/4 | Full Review…": the date, then the score if any.
        parts = [squash(p) for p in " ".join(element.xpath(
            ".//blockquote/div[contains(@class, 'smaller')]//text()").getall()).split("|")]
        score = next((RATING_PREFIX.sub("", p) for p in parts if RATING_PREFIX.match(p)), None)
        classes = f" {element.attrib.get('class', '')} "
        cards.append(Card(
            review_url=_absolute(link or element.xpath(".//blockquote/@cite").get(), response.url, canonical),
            critic=_text(critic) if critic else None,
            critic_url=_absolute(critic.attrib.get("href"), response.url, canonical) if critic else None,
            outlet=_text(outlet) if outlet else None,
            original_score=score or None,
            call=_call(icon.attrib.get("class") if icon else None),
            top_critic=" top_critic " in classes or bool(element.xpath(".//rt-icon-top-critic")),
            date=parts[0] if parts and parts[0] else None,
            quote=squash(" ".join(element.xpath(".//blockquote//p//text()").getall())) or None,
        ))
    return cards


def film_of(response: TextResponse) -> tuple[str | None, str | None]:
    """(title, year) from the score panel: its title, and its info line "2011, Fantasy, 2h 11m"."""
    title = squash(" ".join(response.xpath(
        "(//h1[@slot='title' or starts-with(@data-qa, 'score-panel')])[1]//text()").getall()))
    info = squash(" ".join(response.xpath(
        "(//p[@slot='info' or contains(@class, 'scoreboard__info')])[1]//text()").getall()))
    year = YEAR.match(info)
    return title or None, year.group(1) if year else None


def _card_key(card: Card, film_page: str) -> str | None:
    if card.review_url:  # already canonical (`_absolute`)
        return card.review_url
    if card.critic_url:  # no link to the original: the card's place on the page it is listed on
        return f"{film_page}#{urlsplit(card.critic_url).path}"
    return None


class RottenTomatoesSpider(StructuredDataSpider):
    name = "rottentomatoes"
    publication = None  # each card's outlet is resolved from the name and link it gives

    def claim_check(self, fetched_url: str) -> ClaimCheck:
        """Whoever runs this spider points it at Rotten Tomatoes film pages (or a copy of them):
        the page is that film page, and its cards are listings of other outlets' reviews."""
        check = super().claim_check(fetched_url)
        return ClaimCheck(fetched_url, check.domains | {"rottentomatoes.com"}, listings_trusted=True)

    def parse(self, response: Response, **kwargs: Any) -> Iterable[Any]:
        stats = self.crawler.stats
        if not isinstance(response, TextResponse):
            stats.inc_value("aggregator/no_review/not_html")
            return
        page = self.read_page(response)
        film_page = page.canonical
        cards = cards_2021(response, film_page) + cards_2024(response, film_page)
        # The generic reader's embedded reviews (2021 JSON-LD), keyed on their outlet URLs.
        items = {i.url: i for i in reviews_on_page(page).items if i.url != film_page}
        if not cards and not items:
            stats.inc_value("aggregator/no_review/no_critic_cards")
            logger.info("no critic review card at %s", response.url)
            return
        title, year = film_of(response)
        for card in cards:
            key = _card_key(card, film_page)
            if key is None:
                stats.inc_value("aggregator/rottentomatoes/card_without_key")
                continue
            item = items.setdefault(key, ReviewItem(url=key, page_url=response.url, source_format="html"))
            apply_card(item, card)
        stats.inc_value("aggregator/pages/with_review")
        stats.inc_value("aggregator/rottentomatoes/cards", len(cards))
        for item in items.values():
            item.spider, item.listed_at = self.name, film_page
            item.film_raw = title or item.film_raw
            item.film_year_raw = year or item.film_year_raw
            call = _binary_call(item.rating_parts)
            if call is not None:
                # The JSON-LD {1 | -1, best 1, worst -1} is the critic's fresh/rotten call.
                item.label_raw = item.label_raw or call
                item.rating_raw = item.rating_parts = None
            yield item


def _binary_call(parts: dict | None) -> str | None:
    """"Fresh" / "Rotten" when structured rating parts are a binary flag (the ratings module's
    rule: a [-1, 1] range of 1), else None."""
    if not parts:
        return None
    rating = rating_from_parts(parts.get("value"), parts.get("best"), parts.get("worst"))
    if rating is None or rating.scale != "binary":
        return None
    return "Fresh" if rating.fresh else "Rotten"


def apply_card(item: ReviewItem, card: Card) -> None:
    """What the card says, over what the JSON-LD said of the same review."""
    if card.critic and not item.critic_raw:
        item.critic_raw = [card.critic]
    if card.critic_url:
        if card.critic_url not in item.critic_urls:
            item.critic_urls.append(card.critic_url)
        if not item.authors_raw and card.critic:
            item.authors_raw = [{"name": card.critic, "urls": [card.critic_url]}]
    item.publication_raw = item.publication_raw or card.outlet
    if card.original_score:
        item.rating_raw, item.rating_parts = card.original_score, None
    if card.call:
        item.label_raw = card.call.capitalize()
    if card.top_critic is not None:
        item.top_critic = card.top_critic
    item.published_raw = item.published_raw or card.date
    item.text = item.text or card.quote
