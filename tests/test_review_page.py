"""The written rule for "this page is a review" (spiders/base/review_page.py), case by case,
on small pages written for these tests (fictional outlets, critics and films)."""

from __future__ import annotations

import json

import pytest

from tests.spider_harness import parse_page, raw_view, stat

URL = "https://www.quillandreel.example/reviews/the-salt-cartographer/"


def page(head: str = "", body: str = "") -> str:
    return f"<!doctype html><html lang='en'><head>{head}</head><body>{body}</body></html>"


def jsonld(data) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def test_structured_review_with_rating_and_graph_references():
    graph = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebPage", "@id": URL, "url": URL},
            {
                "@type": "Review",
                "@id": URL + "#review",
                "url": URL + "?utm_source=feed",
                "author": {"@id": "#person"},
                "publisher": {"@id": "#org"},
                "itemReviewed": {"@type": "Movie", "name": "The Salt Cartographer", "dateCreated": "2025",
                                 "director": {"@type": "Person", "name": "Ines Varga-Lodz"}},
                "reviewRating": {"@type": "Rating", "ratingValue": "4", "bestRating": "5", "worstRating": "1"},
                "datePublished": "2025-10-02T09:00:00+01:00",
                "headline": "A map of grief, drawn in brine",
            },
            {"@type": "Person", "@id": "#person", "name": "Tobiah Wrenfield", "url": "https://www.quillandreel.example/critics/tobiah/"},
            {"@type": "Organization", "@id": "#org", "name": "Quill & Reel"},
        ],
    }
    items, requests, spider = parse_page(URL, page(jsonld(graph), "<article><p>Body one.</p><p>Body two.</p></article>"))
    assert [raw_view(i) for i in items] == [
        {
            "url": URL,
            "page_url": URL,
            "publication_raw": "Quill & Reel",
            "critic_raw": ["Tobiah Wrenfield"],
            "critic_urls": ["https://www.quillandreel.example/critics/tobiah/"],
            "film_raw": "The Salt Cartographer",
            "film_year_raw": "2025",
            "film_ids_raw": [],
            "rating_raw": "4/5",
            "rating_parts": {"value": "4", "best": "5", "worst": "1"},
            "label_raw": None,
            "published_raw": "2025-10-02T09:00:00+01:00",
            "headline": "A map of grief, drawn in brine",
            "source_format": "json-ld",
        }
    ]
    assert items[0].text == "Body one.\n\nBody two."
    assert requests == []
    assert stat(spider, "aggregator/pages/with_review") == 1


def test_microdata_review_with_letter_grade():
    body = """
    <article itemscope itemtype="https://schema.org/Review">
      <h1 itemprop="name">Ledger of Small Hours</h1>
      <span itemprop="author" itemscope itemtype="https://schema.org/Person"><span itemprop="name">Pell Arkwright</span></span>
      <div itemprop="itemReviewed" itemscope itemtype="https://schema.org/Movie"><span itemprop="name">Ledger of Small Hours</span></div>
      <div itemprop="reviewRating" itemscope itemtype="https://schema.org/Rating"><meta itemprop="ratingValue" content="B+"></div>
      <time itemprop="datePublished" datetime="2026-01-15">15 January 2026</time>
      <p itemprop="reviewBody">It hums.</p>
    </article>"""
    items, _, _ = parse_page(URL, page('<meta property="og:site_name" content="Quill &amp; Reel">', body))
    (item,) = items
    assert (item.film_raw, item.critic_raw, item.rating_raw, item.source_format) == (
        "Ledger of Small Hours", ["Pell Arkwright"], "B+", "microdata")
    assert item.publication_raw == "Quill & Reel"
    assert item.published_raw == "2026-01-15"


def test_movie_page_with_embedded_critic_reviews_yields_one_item_per_review_url():
    movie = {
        "@context": "http://schema.org",
        "@type": "Movie",
        "name": "Harbour of Lanterns",
        "review": [
            {"@type": "Review", "url": "https://a.example/r/1?utm_medium=x", "author": {"@type": "Person", "name": "Ama One"},
             "publisher": {"@type": "Organization", "name": "Outlet A"}, "dateCreated": "2025-02-01",
             "reviewRating": {"@type": "Rating", "bestRating": "1", "worstRating": "-1", "ratingValue": 1}},
            {"@type": "Review", "url": "https://b.example/r/2", "author": {"@type": "Person", "name": "Bo Two"},
             "publisher": {"@type": "Organization", "name": "Outlet B"}, "dateCreated": "2025-02-03",
             "reviewRating": {"@type": "Rating", "bestRating": "1", "worstRating": "-1", "ratingValue": -1}},
        ],
    }
    # A registered outlet's film page that lists other sites' reviews: each kept as a listing.
    listing_page = "https://www.theguardian.com/film/harbour-of-lanterns"
    items, _, _ = parse_page(listing_page, page(jsonld(movie)))
    assert [(i.url, i.publication_raw, i.critic_raw, i.rating_parts["value"], i.page_url, i.listed_at)
            for i in items] == [
        ("https://a.example/r/1", "Outlet A", ["Ama One"], "1", listing_page, listing_page),
        ("https://b.example/r/2", "Outlet B", ["Bo Two"], "-1", listing_page, listing_page),
    ]
    assert all(i.film_raw == "Harbour of Lanterns" for i in items)


def test_an_unknown_sites_claims_about_other_sites_reviews_are_refused_and_counted():
    movie = {"@context": "http://schema.org", "@type": "Movie", "name": "Harbour of Lanterns",
             "review": [{"@type": "Review", "url": f"https://www.nytimes.com/r/{n}", "author": "Ama One",
                         "reviewRating": {"ratingValue": 0, "bestRating": 4}} for n in range(3)]}
    items, _, spider = parse_page("https://agg.example/m/harbour", page(jsonld(movie)))
    assert items == []
    assert stat(spider, "aggregator/refused/foreign_claim") == 3


def test_a_canonical_link_on_another_site_is_not_the_pages_identity():
    article = {"@context": "https://schema.org", "@type": "Review", "url": "https://www.nytimes.com/x-review",
               "itemReviewed": {"@type": "Movie", "name": "Harbour of Lanterns"}, "author": "Ama One"}
    head = jsonld(article) + '<link rel="canonical" href="https://www.nytimes.com/x-review">'
    (item,), _, spider = parse_page("https://spoof.example/x", page(head))
    assert item.url == "https://spoof.example/x" and item.listed_at is None
    assert stat(spider, "aggregator/refused/foreign_claim") == 2  # the canonical link and the Review's url
    (item,), _, _ = parse_page("https://m.spoof.example/x", page(head.replace("www.nytimes.com", "www.spoof.example")))
    assert item.url == "https://www.spoof.example/x-review"  # its own site's other host: vouched


def test_one_page_yields_at_most_the_page_cap_of_reviews():
    movie = {"@context": "http://schema.org", "@type": "Movie", "name": "Harbour of Lanterns",
             "review": [{"@type": "Review", "url": f"https://agg.example/r/{n}", "author": f"Critic {n}"}
                        for n in range(5000)]}
    items, _, spider = parse_page("https://agg.example/m/harbour", page(jsonld(movie)))
    assert len(items) == 50
    assert stat(spider, "aggregator/refused/over_page_cap") == 4950


def test_article_with_review_headline_is_a_review():
    article = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": "The Salt Cartographer review – a map of grief",
               "author": [{"@type": "Person", "name": "Tobiah Wrenfield"}, {"@type": "Person", "name": "Odile Marsh"}],
               "datePublished": "2025-10-02", "publisher": {"@type": "Organization", "name": "Quill & Reel"}}
    body = '<article><span class="stars" aria-label="4 out of 5 stars">★★★★☆</span><p>Text.</p></article>'
    items, _, _ = parse_page(URL, page(jsonld(article), body))
    (item,) = items
    assert item.film_raw == "The Salt Cartographer"  # the title the sources agree on (film_candidates)
    assert item.critic_raw == ["Tobiah Wrenfield", "Odile Marsh"]
    assert item.rating_raw == "4 out of 5 stars"


def test_organisation_author_is_not_a_critic():
    article = {"@type": "NewsArticle", "headline": "Review: The Salt Cartographer",
               "author": {"@type": "Organization", "name": "Quill & Reel"}}
    (item,) = parse_page(URL, page(jsonld(article)))[0]
    assert item.critic_raw == []


def test_canonical_link_wins_and_tracking_is_stripped():
    article = {"@type": "NewsArticle", "headline": "Review: The Salt Cartographer"}
    head = jsonld(article) + '<link rel="canonical" href="/reviews/salt/?utm_campaign=x&amp;page=2#top">'
    (item,) = parse_page("http://127.0.0.1:8000/q/salt.html", page(head))[0]
    assert item.url == "http://127.0.0.1:8000/reviews/salt/?page=2"
    assert item.page_url == "http://127.0.0.1:8000/q/salt.html"


@pytest.mark.parametrize(
    ("head", "body", "reason"),
    [
        ("", "<p>Just text.</p>", "no_structured_data"),
        (jsonld({"@type": "Event", "name": "Festival"}), "", "not_an_article"),
        (jsonld({"@type": "NewsArticle", "headline": "Festival announces its jury"}), "", "no_review_signal"),
        (jsonld({"@type": "NewsArticle", "headline": "Our critics' favourite things", "articleSection": "Reviews"}), "",
         "no_reviewed_title"),
        ('<meta property="og:type" content="article"><meta property="og:title" content="An interview with a director">', "",
         "no_review_signal"),
    ],
)
def test_pages_that_are_not_reviews_say_why(head, body, reason):
    items, _, spider = parse_page("https://news.example/story", page(head, body))
    assert items == []
    assert stat(spider, f"aggregator/no_review/{reason}") == 1


def test_review_section_and_rating_make_a_plain_headline_the_title():
    article = {"@type": "BlogPosting", "headline": "The Salt Cartographer", "articleSection": ["Film Reviews"]}
    body = '<article><div class="rating">3.5/5</div></article>'
    (item,) = parse_page(URL, page(jsonld(article), body))[0]
    assert item.film_raw == "The Salt Cartographer"
    assert item.rating_raw == "3.5/5"


def test_broken_json_ld_block_is_counted_not_fatal():
    head = '<script type="application/ld+json">{"@type": "Review", oops</script>' + jsonld(
        {"@type": "NewsArticle", "headline": "Review: The Salt Cartographer"})
    items, _, spider = parse_page(URL, page(head))
    assert len(items) == 1
    assert stat(spider, "aggregator/structured/bad_json_ld") == 1


def test_listing_pages_are_followed_only_when_asked_and_only_on_site():
    body = ('<a href="/reviews/a/">a</a><a href="/reviews/a/?utm_source=home#top">a again</a>'
            '<a href="https://elsewhere.example/x">x</a>')
    from tests.spider_harness import make_spider, response_for

    spider = make_spider(url=None, start_urls="http://127.0.0.1:8123/", follow="1")
    requests = list(spider.parse(response_for("http://127.0.0.1:8123/", page("", body))))
    assert {r.url for r in requests} == {"http://127.0.0.1:8123/reviews/a/"}
    items, requests, _ = parse_page("https://www.quillandreel.example/", page("", body))
    assert requests == []


def test_spider_without_start_urls_fails_fast():
    from tests.spider_harness import make_spider

    with pytest.raises(ValueError, match="no start URL"):
        make_spider(url=None)


def test_a_publication_spider_is_a_few_lines_on_the_base_and_its_hooks_run():
    from aggregator.spiders.base.structured_data import StructuredDataSpider

    class QuillSpider(StructuredDataSpider):
        name = "quill_test"
        publication = "quill-and-reel"
        start_urls = ["https://www.quillandreel.example/reviews/"]

        def pre_process_page(self, page, response):
            # The outlet prints its grade in a badge the generic reader does not know.
            page.visible_ratings.extend(response.css(".verdict-badge::text").getall())
            return page

        def post_process_item(self, item, response, page):
            return None if "sponsored" in response.url else item

    article = jsonld({"@type": "NewsArticle", "headline": "Review: The Salt Cartographer"})
    body = "<article><span class='verdict-badge'>B-</span></article>"
    (item,), _, spider = parse_page(URL, page(article, body), spider_cls=QuillSpider)
    assert (item.spider, item.publication, item.rating_raw) == ("quill_test", "quill-and-reel", "B-")
    assert spider.follow_links is False
    assert parse_page(URL + "sponsored/", page(article, body), spider_cls=QuillSpider)[0] == []


def test_authors_standfirst_title_and_keywords_are_kept_raw_for_the_identity_pipelines():
    article = {"@context": "https://schema.org", "@type": "NewsArticle",
               "headline": "The Salt Cartographer review – a map of grief", "keywords": "Drama, Reviews",
               "author": [{"@type": "Person", "name": "Tobiah Wrenfield",
                           "url": "https://www.quillandreel.example/critics/tobiah/"},
                          {"@type": "Person", "name": "Odile Marsh", "sameAs": "https://social.example/@odile"},
                          {"@type": "Person", "name": "Ines Varga-Lodz", "url": "/critics/ines/"},
                          {"@type": "Organization", "name": "Quill & Reel", "url": "https://www.quillandreel.example/"}]}
    head = (jsonld(article) + "<title>The Salt Cartographer review | Quill &amp; Reel</title>"
            + '<meta property="og:description" content="Tobiah Wrenfield and Odile Marsh review a voyage.">'
            + '<meta property="article:tag" content="Sea,Grief">'
            + '<meta property="article:tag" content="Mother, May I? (Film)">')
    (item,), _, _ = parse_page(URL, page(head, "<article><p>Text.</p></article>"))
    assert item.authors_raw == [
        {"name": "Tobiah Wrenfield", "urls": ["https://www.quillandreel.example/critics/tobiah/"]},
        {"name": "Odile Marsh", "urls": ["https://social.example/@odile"]},
        {"name": "Ines Varga-Lodz", "urls": []},  # a relative URL is not evidence of anything
    ]
    assert item.critic_urls == ["https://www.quillandreel.example/critics/tobiah/", "https://social.example/@odile",
                                "/critics/ines/"]  # unchanged: other code reads it as before
    assert item.standfirst_raw == "Tobiah Wrenfield and Odile Marsh review a voyage."
    assert item.title_raw == "The Salt Cartographer review | Quill & Reel"
    # a comma-joined tag list is split; a tag naming a work is one tag, commas and all
    assert item.keywords_raw == ["Drama", "Reviews", "Sea", "Grief", "Mother, May I? (Film)"]


def test_embedded_reviews_take_no_standfirst_title_or_tags_from_the_page_they_sit_on():
    movie = {"@context": "https://schema.org", "@type": "Movie", "name": "Harbour of Lanterns",
             "review": [{"@type": "Review", "url": "https://a.example/r/1", "description": "Ama One reviews it.",
                         "author": {"@type": "Person", "name": "Ama One"}}]}
    head = (jsonld(movie) + "<title>Harbour of Lanterns | Aggregator</title>"
            + '<meta property="og:description" content="Every review of Harbour of Lanterns.">'
            + '<meta property="article:tag" content="Drama">')
    (item,), _, _ = parse_page("https://www.theguardian.com/film/harbour", page(head))
    assert (item.standfirst_raw, item.title_raw, item.keywords_raw) == ("Ama One reviews it.", None, [])
    assert item.authors_raw == [{"name": "Ama One", "urls": []}]
