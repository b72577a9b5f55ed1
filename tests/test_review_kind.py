"""Is it a film review? aggregator.identity.review_kind on the page's own signals, and the
generic spider refusing other kinds by default (issue 14: a game, a book and a dance review
with "X review" headlines were stored as films)."""

from __future__ import annotations

import json

import pytest
from aggregator.spiders.base.structured_data import StructuredDataSpider
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from aggregator.identity.review_kind import FILM_ONLY, parse_kinds, review_kind
from aggregator.items import ReviewItem

FILM_TEXT = "The film is the director's best. Its screenplay and cinematography hold the movie up."


@pytest.mark.parametrize(("types", "kind"), [
    (["VideoGame"], "game"), (["Book"], "book"), (["MusicAlbum"], "album"), (["TVEpisode"], "tv"),
    (["TheaterEvent"], "stage"), (["DanceEvent"], "stage"), (["Restaurant"], "restaurant"),
    (["Movie"], "film"), (["https://schema.org/VideoGame"], "game"),
])  # fmt: skip
def test_the_reviewed_items_schema_type_decides_first(types, kind):
    got = review_kind(reviewed_types=types, sections=["Film"], headline="Copperline review")
    assert (got.kind, got.signal) == (kind, "schema_type")


@pytest.mark.parametrize(("sections", "kind"), [
    (["Games"], "game"), (["Book Reviews"], "book"), (["Music"], "album"), (["Dance"], "stage"),
    (["Food & Drink"], "restaurant"),
    (["Restaurants"], "restaurant"), (["Television"], "tv"),
])  # fmt: skip
def test_a_section_naming_one_other_kind_decides(sections, kind):
    assert review_kind(sections=sections, headline="The Salt Orchard review").kind == kind


def test_sections_naming_film_too_or_genre_tags_do_not_decide():
    assert review_kind(sections=["Film", "Music"], headline="Copperline review").is_film
    assert review_kind(sections=["music drama", "science fiction"], headline="Copperline review").is_film


def test_url_folders_decide_but_not_the_slug_words():
    assert review_kind(url_path="/games/2025/copperline-review/").kind == "game"
    assert review_kind(url_path="/film/2025/the-games-we-played-review/").is_film


@pytest.mark.parametrize(("headline", "kind"), [
    ("Copperline season 2, episode 4 review: the long night", "tv"),
    ("Hollow Pines S02E04 review", "tv"),
    ("'A Winter for Magpies' Broadway review: a chilly revival", "stage"),
    ("Theatre review: The Salt Orchard at the Lyric", "stage"),
    ("The Glass Foxes – Undertow review: a bruising second album", "album"),
    ("Maison Perrault review: a bistro that earns its queues", "restaurant"),
    ("Copperline review (PS5): a patient climb", "game"),
])  # fmt: skip
def test_headline_words_name_another_kind(headline, kind):
    assert review_kind(headline=headline).kind == kind


def test_a_headline_naming_the_film_side_is_a_film_review():
    headline = "'A Winter for Magpies' review: the Broadway hit makes a clumsy leap to the screen"
    assert review_kind(headline=headline).is_film
    # a musical or a novel adaptation is still a film
    assert review_kind(headline="The Salt Orchard review: a musical with nothing to sing about").is_film


def test_the_url_slug_names_broadway_when_the_headline_does_not():
    path = "/story/entertainment/music/2025/01/02/copperline-review-broadway-debut/123456789/"
    assert review_kind(url_path=path, headline="'Copperline' review: a charming robot romance").kind == "stage"


def test_the_texts_telling_words_must_clearly_outnumber_the_film_words():
    game = "The gameplay loop is tight, the boss fights fair, the multiplayer lively and co-op generous."
    assert review_kind(text=game).kind == "game"
    assert review_kind(text=game + " " + FILM_TEXT * 2).is_film
    assert review_kind(text="The menu was long.").is_film  # one word decides nothing


def test_no_signal_is_a_film_by_default():
    assert (review_kind().kind, review_kind().signal) == ("film", "default")


def test_parse_kinds():
    assert parse_kinds(None) == FILM_ONLY == parse_kinds(" ")
    assert parse_kinds("film, Stage") == {"film", "stage"}
    with pytest.raises(ValueError, match="unknown review kind.*podcast.*known are film, game"):
        parse_kinds("film,podcast")


# --- the spider ------------------------------------------------------------------------------

def _page(headline: str, section: str, item_reviewed: dict, text: str) -> str:
    review = {"@context": "https://schema.org", "@type": "Review", "headline": headline,
              "itemReviewed": item_reviewed, "author": {"@type": "Person", "name": "Odile Prentiss"},
              "datePublished": "2025-05-02", "reviewRating": {"@type": "Rating", "ratingValue": 4, "bestRating": 5}}
    return f"""<html lang="en"><head><title>{headline} | The Lantern Quarterly</title>
<meta property="og:site_name" content="The Lantern Quarterly">
<meta property="article:section" content="{section}">
<script type="application/ld+json">{json.dumps(review)}</script></head>
<body><article><h1>{headline}</h1><p>{text}</p></article></body></html>"""


def _crawl(html: str, **arguments: str) -> tuple[list[ReviewItem], dict]:
    url = "https://lanternquarterly.example/2025/05/review/"
    crawler = get_crawler(StructuredDataSpider)
    spider = StructuredDataSpider.from_crawler(crawler, url=url, **arguments)
    crawler.spider = spider
    response = HtmlResponse(url=url, body=html.encode(), encoding="utf-8", request=Request(url))
    items = [r for r in spider.parse(response) if isinstance(r, ReviewItem)]
    return items, crawler.stats.get_stats()


GAME = _page("Copperline review", "Games", {"@type": "CreativeWork", "name": "Copperline"},
             "The gameplay is generous: levels, bosses, crafting and co-op, and a patch on the way.")
BOOK = _page("The Salt Orchard review – a slow, rich novel", "Culture",
             {"@type": "CreativeWork", "name": "The Salt Orchard"},
             "Its chapters are long, its readers patient; the paperback runs to 600 pages, and the "
             "novelist's publisher has kept every chapter.")
DANCE = _page("A Winter for Magpies review – ice and grace", "Dance", {"@type": "Thing", "name": "A Winter for Magpies"},
              "The choreography is severe and the dancers tireless.")
FILM = _page("Copperline review – a patient heist", "Film", {"@type": "Movie", "name": "Copperline"}, FILM_TEXT)


@pytest.mark.parametrize(("html", "kind"), [(GAME, "game"), (BOOK, "book"), (DANCE, "stage")])
def test_the_spider_counts_and_skips_other_kinds(html, kind):
    items, stats = _crawl(html)
    assert items == []
    assert stats["aggregator/no_review/not_a_film_review"] == 1
    assert stats[f"aggregator/no_review/not_a_film_review/{kind}"] == 1


def test_a_film_review_is_kept_and_kinds_let_others_in():
    items, _ = _crawl(FILM)
    assert [i.film_raw for i in items] == ["Copperline"]
    items, _ = _crawl(DANCE, kinds="film,stage")
    assert [i.film_raw for i in items] == ["A Winter for Magpies"]


def test_an_unknown_kind_argument_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown review kind"):
        _crawl(FILM, kinds="films")


def test_an_articles_own_json_ld_section_names_the_kind():
    """An article review (no Review node) filed by its JSON-LD articleSection alone."""
    article = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": "Copperline review",
               "articleSection": "Games", "datePublished": "2025-05-02",
               "author": {"@type": "Person", "name": "Odile Prentiss"}}
    html = f"""<html><head><title>Copperline review</title>
<script type="application/ld+json">{json.dumps(article)}</script></head>
<body><article><h1>Copperline review</h1><div class="rating">4/5</div><p>A quiet one.</p></article></body></html>"""
    items, stats = _crawl(html)
    assert items == []
    assert stats["aggregator/no_review/not_a_film_review/game"] == 1
    items, _ = _crawl(html.replace('"Games"', '"Film"'))
    assert [i.headline for i in items] == ["Copperline review"]  # the film pipeline reads the title from it
