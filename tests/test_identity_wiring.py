"""Critic and film identity wired through the crawl: a page (written for these tests: fictional
outlets, critics and films) goes through the spider and the clean, publication, critic and film
pipelines, and the item says who wrote it about which film, with the pipelines counting what
they decided."""

from __future__ import annotations

import json

import pytest
from aggregator.pipelines.clean_fields import CleanFieldsPipeline
from aggregator.pipelines.identify_film import IdentifyFilmPipeline
from aggregator.pipelines.normalise_critics import NormaliseCriticsPipeline
from aggregator.pipelines.resolve_publication import ResolvePublicationPipeline
from aggregator.spiders.base.structured_data import StructuredDataSpider
from scrapy.utils.test import get_crawler

from aggregator.demo.server import DEMO_PUBLICATIONS
from aggregator.items import ReviewItem
from aggregator.normalise import find_item_critics, identify_film
from tests.spider_harness import parse_page

LANTERN = "https://www.lanternreview.example/2031/03/the-salt-cartographer-review/"

# Deliberately the zero ids, which no IMDb title, Wikidata item or TMDb film has: the films here
# are fictional and must never be given a real record's id.
FAKE_IMDB, FAKE_WIKIDATA, FAKE_TMDB = "tt0000000", "Q0", "0"


def page(head: str = "", body: str = "") -> str:
    return f"<!doctype html><html lang='en'><head>{head}</head><body>{body}</body></html>"


def jsonld(data) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def meta(prop: str, content: str) -> str:
    return f'<meta property="{prop}" content="{content}">'


@pytest.fixture
def crawler():
    crawler = get_crawler(StructuredDataSpider, {"AGGREGATOR_PUBLICATION_FILES": [str(DEMO_PUBLICATIONS)]})
    crawler.spider = StructuredDataSpider.from_crawler(crawler, url="https://www.lanternreview.example/")
    return crawler


def run_pipelines(crawler, item: ReviewItem) -> ReviewItem:
    for cls in (CleanFieldsPipeline, ResolvePublicationPipeline, NormaliseCriticsPipeline,
                IdentifyFilmPipeline):
        instance = cls.from_crawler(crawler)
        if hasattr(instance, "open_spider"):
            instance.open_spider()
        item = instance.process_item(item)
    return item


def counted(crawler, component: str) -> dict:
    prefix = f"aggregator/{component}/"
    return {k.removeprefix(prefix): v for k, v in crawler.stats.get_stats().items() if k.startswith(prefix)}


def crawl(crawler, url: str, html: str) -> ReviewItem:
    (item,), _, _ = parse_page(url, html)
    return run_pipelines(crawler, item)


def yoast_page(author_name: str, standfirst: str, body: str = "<p>The film opens at sea.</p>") -> str:
    graph = {"@context": "https://schema.org", "@graph": [
        {"@type": "Article", "@id": LANTERN + "#article", "url": LANTERN,
         "headline": "The Salt Cartographer review – a map of grief, drawn in brine",
         "author": {"@id": "https://www.lanternreview.example/#/schema/person/1"},
         "publisher": {"@id": "https://www.lanternreview.example/#organization"},
         "datePublished": "2031-03-14T09:00:00+00:00"},
        {"@type": "Person", "@id": "https://www.lanternreview.example/#/schema/person/1",
         "name": author_name, "url": "https://www.lanternreview.example/author/staff/"},
        {"@type": "Organization", "@id": "https://www.lanternreview.example/#organization",
         "name": "The Lantern Review"},
    ]}
    head = (jsonld(graph) + meta("og:site_name", "The Lantern Review") + meta("og:type", "article")
            + meta("og:description", standfirst))
    return page(head, f"<article>{body}</article>")


def test_a_staff_byline_falls_back_to_the_critic_named_in_the_standfirst(crawler):
    html = yoast_page("Staff", "Juno Paradis-Oyelaran reviews a slow, salt-stung voyage into grief.")
    item = crawl(crawler, LANTERN, html)
    assert item.critic_raw == ["Staff"]
    assert item.standfirst_raw.startswith("Juno Paradis-Oyelaran reviews")
    assert item.critics == ["Juno Paradis-Oyelaran"]
    assert item.critic_profiles == {}  # the staff account's page is not the critic's
    assert counted(crawler, "critic") == {"site_account": 1, "from_text/lead": 1}


def test_a_staff_byline_with_a_review_by_line_and_an_outlet_byline(crawler):
    body = "<p>Review by Orsolya Pennington-Baird</p><p>The film opens at sea.</p>"
    item = crawl(crawler, LANTERN, yoast_page("The Lantern Review", "A voyage into grief.", body))
    assert item.critics == ["Orsolya Pennington-Baird"]
    # the "Review by" line is the visible byline under a site account (spiders/base/visible_page.py)
    assert counted(crawler, "critic") == {"site_account": 1}


def test_a_staff_byline_and_a_text_naming_two_people_gives_no_critic_and_says_why(crawler):
    body = "<p>The film opens at sea.</p><p>— Hamish Oduya</p>"
    html = yoast_page("Staff", "Juno Paradis-Oyelaran reviews a voyage into grief.", body)
    item = crawl(crawler, LANTERN, html)
    assert item.critics == []
    assert counted(crawler, "critic") == {"site_account": 1, "none": 1, "none/conflict": 1}


def test_a_cast_member_in_the_standfirst_is_not_taken_for_the_critic(crawler):
    html = yoast_page("Staff", "Kwabena Lindqvist returns as a cartographer lost at sea.")
    item = crawl(crawler, LANTERN, html)
    assert item.critics == []
    assert counted(crawler, "critic") == {"site_account": 1, "none": 1}


def test_a_co_written_review_keeps_each_authors_profile_with_that_author(crawler):
    article = {"@context": "https://schema.org", "@type": "NewsArticle",
               "headline": "The Salt Cartographer review – a map of grief",
               "author": [
                   {"@type": "Person", "name": "MARGUERITE OKONJO-HALLER",
                    "url": "https://www.lanternreview.example/author/marguerite-okonjo-haller/"},
                   {"@type": "Person", "name": "Tobiah Wrenfield",
                    "sameAs": ["https://www.quillandreel.example/critics/tobiah/",
                               "https://social.example/@tobiah"]},
                   {"@type": "Person", "name": "Staff", "url": "https://www.lanternreview.example/author/staff/"},
               ]}
    item = crawl(crawler, LANTERN, page(jsonld(article)))
    assert item.authors_raw == [
        {"name": "MARGUERITE OKONJO-HALLER",
         "urls": ["https://www.lanternreview.example/author/marguerite-okonjo-haller/"]},
        {"name": "Tobiah Wrenfield",
         "urls": ["https://www.quillandreel.example/critics/tobiah/", "https://social.example/@tobiah"]},
        {"name": "Staff", "urls": ["https://www.lanternreview.example/author/staff/"]},
    ]
    assert item.critics == ["Marguerite Okonjo-Haller", "Tobiah Wrenfield"]
    assert item.critic_profiles == {
        "Marguerite Okonjo-Haller": ["https://www.lanternreview.example/author/marguerite-okonjo-haller/"],
        "Tobiah Wrenfield": ["https://www.quillandreel.example/critics/tobiah/", "https://social.example/@tobiah"],
    }
    assert counted(crawler, "critic") == {"site_account": 1, "with_profile": 1}


def test_one_author_string_naming_two_people_ties_its_url_to_neither():
    item = ReviewItem(critic_raw=["Hamish Oduya and Solveig Amankwah-Reyes"],
                      authors_raw=[{"name": "Hamish Oduya and Solveig Amankwah-Reyes",
                                    "urls": ["https://www.morningledger.example/profile/hamish-oduya"]}])
    found = find_item_critics(item)
    assert (found.critics, found.source) == (["Hamish Oduya", "Solveig Amankwah-Reyes"], "byline")
    assert item.critic_profiles == {}


def test_item_reviewed_same_as_gives_the_films_external_ids(crawler):
    review = {"@context": "https://schema.org", "@type": "Review", "url": LANTERN,
              "author": {"@type": "Person", "name": "Juno Paradis-Oyelaran"},
              "itemReviewed": {"@type": "Movie", "name": "The Salt Cartographer", "dateCreated": "2031",
                               "sameAs": [f"https://www.imdb.com/title/{FAKE_IMDB}/",
                                          f"https://www.wikidata.org/wiki/{FAKE_WIKIDATA}",
                                          f"https://www.themoviedb.org/movie/{FAKE_TMDB}"]},
              "reviewRating": {"@type": "Rating", "ratingValue": "4", "bestRating": "5"}}
    item = crawl(crawler, LANTERN, page(jsonld(review)))
    assert (item.film_title, item.film_year) == ("The Salt Cartographer", 2031)
    assert item.film_ids == {"imdb": FAKE_IMDB, "wikidata": FAKE_WIKIDATA, "tmdb": FAKE_TMDB}
    assert counted(crawler, "film") == {"external_ids": 1}


def test_two_imdb_ids_for_one_film_cancel_and_a_bare_number_is_no_id():
    item = ReviewItem(film_raw="The Salt Cartographer",
                      film_ids_raw=[f"https://www.imdb.com/title/{FAKE_IMDB}/",
                                    "https://www.imdb.com/title/tt00000000/", "12345"])
    assert identify_film(item).ids == {}
    assert item.film_ids == {}


def test_the_title_tag_and_keywords_name_the_film_and_its_year_when_the_headline_does_not(crawler):
    article = {"@context": "https://schema.org", "@type": "NewsArticle",
               "headline": "A map of grief, drawn in brine", "keywords": "Reviews, The Salt Cartographer (2031 film)"}
    head = jsonld(article) + "<title>The Salt Cartographer review | The Lantern Review</title>"
    body = "<article><span class='stars' aria-label='4 out of 5'>★★★★</span></article>"
    item = crawl(crawler, LANTERN, page(head, body))
    assert item.title_raw == "The Salt Cartographer review | The Lantern Review"
    assert item.keywords_raw == ["Reviews", "The Salt Cartographer (2031 film)"]
    # the title from the <title> tag's review pattern, the year from the keyword
    assert (item.film_title, item.film_year) == ("The Salt Cartographer", 2031)
    assert counted(crawler, "film") == {}


def test_sources_that_disagree_on_the_year_keep_no_year_and_are_counted(crawler):
    films = IdentifyFilmPipeline.from_crawler(crawler)
    item = films.process_item(ReviewItem(film_raw="The Salt Cartographer (2031) review – brine",
                                         film_year_raw="2029-05-01"))
    assert (item.film_title, item.film_year) == ("The Salt Cartographer", None)
    item = films.process_item(ReviewItem(headline="Review: Nightjar Crossing",
                                         title_raw="Review: Nightjar Crossing | The Lantern Review"))
    assert item.film_title == "Nightjar Crossing"
    assert counted(crawler, "film") == {"year_conflict": 1, "no_year": 1, "title_from/headline": 1}


def test_renormalise_keeps_a_critic_found_in_the_standfirst(db_engine):
    """The page context the critic reader used is stored, so renormalise repeats its call."""
    from aggregator.db.session import session_factory
    from aggregator.db.upsert import save_reviews
    from aggregator.normalise import clean_fields, identify_film, normalise_critics
    from aggregator.renormalise import renormalise
    from tests.factories import outlet

    item = ReviewItem(
        url="https://www.quillandreel.example/reviews/the-salt-cartographer/", publication="quill",
        publication_raw="Quill & Reel", critic_raw=["Staff"], film_raw="Review: The Salt Cartographer",
        standfirst_raw="Juno Paradis-Oyelaran reviews a map of grief drawn in brine.",
        title_raw="Review: The Salt Cartographer | Quill & Reel", keywords_raw=["Film reviews"],
    )
    clean_fields(item)
    normalise_critics(item, ("Quill & Reel",))
    identify_film(item)
    assert item.critics == ["Juno Paradis-Oyelaran"]
    sessions = session_factory(db_engine)
    with sessions.begin() as session:
        save_reviews(session, [item], {"quill": outlet("quill", "Quill & Reel", ("quillandreel.example",))})

    report = renormalise(sessions)
    assert report.reviews == 1
    assert report.changed["critics"] == 0
