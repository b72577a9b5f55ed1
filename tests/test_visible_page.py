"""What the visible page says (spiders/base/visible_page.py), on small pages of our own."""

from __future__ import annotations

from datetime import date

from aggregator.spiders.base.visible_page import (
    article_headline,
    introduced_names,
    masthead_name,
    rating_labels,
    sign_off,
    stated_film_year,
    tag_links,
    visible_bylines,
    visible_dates,
)
from lxml import html as lxml_html

from aggregator.identity.critic_text import critic_from_text, explain_critic_from_text
from aggregator.identity.film_identity import doubt_about_only_film


def root(body: str):
    return lxml_html.fromstring(f"<html><head><title>t</title></head><body>{body}</body></html>")


CARDS = """
<header><h1><a href="/">The Reel Lantern</a></h1></header>
<article><h1 class="entry-title">The Copper Tide review – patient</h1>
<span class="byline">By MARGARET O'HALLORAN</span><time datetime="2026-03-04">March 4</time>
<p>Body.</p><footer class="tags"><a rel="tag" href="/tag/copper-tide">The Copper Tide</a></footer></article>
<aside class="related"><div class="card"><h1 itemprop="headline">Another film review</h1>
<span class="author">By Someone Else</span><time datetime="2020-01-01">old</time></div></aside>
"""


def test_the_articles_own_headline_byline_and_date_not_the_cards():
    page = root(CARDS)
    assert article_headline(page) == "The Copper Tide review – patient"
    assert visible_bylines(page, {}) == ["By MARGARET O'HALLORAN"]
    assert visible_dates(page, []) == ["2026-03-04"]
    assert masthead_name(page) == "The Reel Lantern"


def test_tags_and_old_newspaper_metas():
    assert tag_links(root(CARDS)) == ["The Copper Tide"]  # the article's own footer is not chrome
    page = root('<div class="entry"><p>x</p><p class="tag-metadata">Tags: <a rel="tag" href="/t/a">Low Water</a></p></div>')
    assert tag_links(page) == ["Low Water"]
    assert visible_bylines(root("<p>x</p>"), {"byl": ["By HAROLD QUENNELL"]}) == ["By HAROLD QUENNELL"]


def test_a_date_opening_the_text_and_a_timestamp_without_a_day():
    page = root('<abbr class="published">9:47 PM</abbr><p>SEP 22, 2014—A taut thriller.</p>')
    assert visible_dates(page, ["SEP 22, 2014—A taut thriller."]) == ["SEP 22, 2014"]


def test_a_rating_in_alt_text_but_not_a_grading_legend():
    one = root('<article><img alt="4 stars (out of 5)" src="s.svg"><img alt="4 stars (out of 5)" src="s.svg"></article>')
    assert rating_labels(one) == ["4 stars (out of 5)"]
    legend = root("".join(f'<p><img alt="{n} stars (out of 5)" src="s.svg"></p>' for n in range(1, 6)))
    assert rating_labels(legend) == []


def test_a_year_stated_with_the_running_time_or_in_a_fact_box():
    assert stated_film_year(root("<h1>Low Water</h1><span>2013 <span>|</span> 90 mins.</span>")) == "2013"
    assert stated_film_year(root("<dl><dt>Director</dt><dd>A. Vane</dd><dt>Year</dt><dd>2026</dd></dl>")) == "2026"
    assert stated_film_year(root("<p><strong>Year:</strong> 2019</p>")) == "2019"
    assert stated_film_year(root("<p>In 2013 the town flooded.</p>")) is None
    assert stated_film_year(root("<dl><dt>Year</dt><dd>2019–2021</dd></dl>")) is None


def test_a_critic_who_revisits_the_very_film_reviewed():
    lead = "Tobiah Wrenn revisits The Lamplit Shore, the coastal drama that divided audiences."
    assert explain_critic_from_text(lead, (), "The Lamplit Shore") == ("Tobiah Wrenn", "lead")
    assert critic_from_text(lead) is None  # without the title, "revisits" names no critic
    assert critic_from_text("Greta Vell revisits her role as the widow.", ()) is None


def test_listen_to_the_review_by():
    assert critic_from_text("Podcast: Play\n\nListen to the review by Dana Morrow, above.") == "Dana Morrow"


def test_doubt_about_the_only_film_of_a_title():
    assert doubt_about_only_film(1977, date(2018, 10, 1), "Suspiria review") == "outside_window"
    assert doubt_about_only_film(2017, date(2018, 10, 1), "Guadagnino's remake") == "remake"
    assert doubt_about_only_film(2017, date(2018, 10, 1), "a patient film") is None
    assert doubt_about_only_film(None, date(2018, 10, 1), "remake") is None


OLD_STATIC = """<html><head><title>Gravel Saints (2005) - The Celluloid Porch</title></head><body>
<table><tr><td><font size="6">&nbsp;The Celluloid Porch</font></td></tr>
<tr><td><p>One.</p><p>Two.</p><p align="right"><b>&mdash; Cuthbert Vanderhook</b><br>
<font class="small">Reviewed October 14, 2005</font></p>
<p>- a dash opening a sentence is not a signature</p></td></tr></table></body></html>"""


def test_an_old_static_page_signed_and_dated_at_its_foot_with_a_plain_text_masthead():
    page = lxml_html.fromstring(OLD_STATIC)
    assert (visible_bylines(page, {}), sign_off(page)) == ([], "Cuthbert Vanderhook")
    assert visible_dates(page, []) == ["October 14, 2005"]
    assert masthead_name(page) == "The Celluloid Porch"


def test_a_title_suffix_the_page_never_prints_is_not_a_site_name():
    page = lxml_html.fromstring("<html><head><title>Gravel Saints - Movie Review</title></head>"
                                "<body><p>Movie Review</p></body></html>")
    assert masthead_name(page) is None
    page = lxml_html.fromstring("<html><head><title>Gravel Saints - Porch</title></head>"
                                "<body><p>The Porch Society</p></body></html>")
    assert masthead_name(page) is None


def test_names_an_author_gives_themselves_even_in_a_sidebar():
    page = root('<aside class="widget"><p>I&#8217;m Tobiah Quennell. I teach maths.</p></aside>'
                "<p>I'm not sure about this one.</p>")
    assert introduced_names(page) == ["Tobiah Quennell"]
