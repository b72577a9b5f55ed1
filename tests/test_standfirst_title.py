"""The first emphasised title of a page's visible standfirst (spiders/base: Page
.standfirst_markup, review_page.with_emphasis) names the film of a rated review whose headline
does not, and reaches the film identity through `standfirst_raw`. Fictional pages."""

from __future__ import annotations

import json

from aggregator.identity.film_identity import film_from_raw
from aggregator.normalise import clean_fields, identify_film
from tests.spider_harness import parse_page

URL = "https://lantern.example/film/reviews/a-slow-patient-tide"


def page(standfirst: str, description: str | None) -> str:
    article = {"@context": "https://schema.org", "@type": "NewsArticle",
               "headline": "A slow, patient tide", "articleSection": "Film reviews",
               "author": {"@type": "Person", "name": "Wren Halloway"},
               "datePublished": "2031-05-01", "url": URL}
    meta = f'<meta property="og:description" content="{description}">' if description else ""
    return f"""<html lang="en"><head><title>A slow, patient tide | The Daily Lantern</title>
<link rel="canonical" href="{URL}">{meta}
<script type="application/ld+json">{json.dumps(article)}</script></head>
<body><article><h1>A slow, patient tide</h1>
<div class="article-standfirst"><p>{standfirst}</p></div>
<span class="rating" aria-label="4 out of 5 stars">★★★★☆</span>
<p>The tide comes in slowly, and the film lets it.</p></article></body></html>"""


def test_the_emphasised_title_names_the_film_and_is_kept_in_the_standfirst():
    words = "Wren Halloway on The Copper Tide, a drama that takes its time."
    [item], _, _ = parse_page(URL, page(
        "Wren Halloway on <em>The Copper Tide</em>, a drama <!-- x --> that takes its time.", words))
    assert item.film_raw == "The Copper Tide"
    assert item.standfirst_raw == ("Wren Halloway on <em>The Copper Tide</em>, a drama that "
                                   "takes its time.")
    clean_fields(item)
    guess = identify_film(item)
    assert (guess.title, guess.title_source) == ("The Copper Tide", "film_raw")
    # on its own, the stored standfirst still names the film (renormalise, film_from_raw)
    assert film_from_raw(standfirst=item.standfirst_raw).title == "The Copper Tide"


def test_a_description_in_other_words_is_kept_as_given():
    [item], _, _ = parse_page(URL, page("Wren Halloway on <i>The Copper Tide</i>.",
                                        "A drama that takes its time."))
    assert item.film_raw == "The Copper Tide"
    assert item.standfirst_raw == "A drama that takes its time."


def test_without_emphasis_the_headline_is_the_title_as_before():
    [item], _, _ = parse_page(URL, page("Wren Halloway on a drama that takes its time.",
                                        "Wren Halloway on a drama that takes its time."))
    assert item.film_raw == "A slow, patient tide"
    assert item.standfirst_raw == "Wren Halloway on a drama that takes its time."
