"""spiders/outlets: the per-outlet reading patterns, on the project's own fictional pages
(tests/fixtures/outlets/), through the generic spider; and how an outlet's reading is chosen."""

from __future__ import annotations

from pathlib import Path

import pytest
from aggregator.spiders import outlets
from aggregator.spiders.base.review_page import Page, reviews_on_page
from aggregator.spiders.base.schema_org import Graph
from aggregator.spiders.base.structured_data import StructuredDataSpider
from aggregator.spiders.outlets import OutletReading, StarRow, reading_for, script_value

from aggregator.identity.publications import default_registry
from aggregator.normalise import date_review, normalise_critics, rate_review
from tests.spider_harness import parse_page, response_for, stat

FIXTURES = Path(__file__).parent / "fixtures" / "outlets"
SITE = "https://www.lanternledger.example/film/2025/"
STAR_ROW = SITE + "mar/14/tidewater-lanterns-review"
BADGE = SITE + "apr/02/harbour-of-small-hours-review"

LANTERN = OutletReading(
    key="lantern-ledger",
    star_row=StarRow(
        row=("//header//h1/following-sibling::*[1][contains(@class, 'stars')]",),
        star="./*[contains(@class, 'star')]",
        filled="self::*[contains(@class, 'star--full')]",
        half="self::*[contains(@class, 'star--half')]",
        empty="self::*[contains(@class, 'star--empty')]",
        size=5,
    ),
    rating_in_title=True,
    label=("//header//p",),
    byline=("//header//a[@rel='author']",),
    date=("//*[contains(@class, 'dateline')]",),
    article="//header//h1",
)


class LanternSpider(StructuredDataSpider):
    """A publication spider for the fictional outlet: its reading is chosen by its key."""

    name = "lantern_ledger"
    publication = "lantern-ledger"


@pytest.fixture
def lantern(monkeypatch):
    monkeypatch.setitem(outlets.BY_KEY, "lantern-ledger", LANTERN)
    return LANTERN


def read(url: str, fixture: str, spider_cls=LanternSpider):
    items, _, spider = parse_page(url, FIXTURES / fixture, spider_cls)
    for item in items:
        normalise_critics(item)
        rate_review(item)
        date_review(item)
    return items, spider


def test_star_row_after_the_headline_is_the_rating_not_a_related_cards(lantern):
    items, spider = read(STAR_ROW, "star-row.html")
    assert len(items) == 1
    item = items[0]
    assert (item.rating_raw, item.score, item.verdict_source) == ("3.5/5", 70.0, "rating")
    assert stat(spider, "aggregator/outlet/rating/lantern-ledger") == 1


def test_visible_byline_and_dateline_fill_what_structured_data_leaves_out(lantern):
    item = read(STAR_ROW, "star-row.html")[0][0]
    assert item.critic_raw == ["Odile Prentiss"]
    assert item.critics == ["Odile Prentiss"]
    assert item.published_raw == "Fri 14 Mar 2025 09.00 GMT"
    assert item.published.isoformat() == "2025-03-14"


def test_without_the_reading_the_same_page_has_no_rating():
    # the visible page still gives the byline and date (issue 14); the star row needs the reading
    item = read(STAR_ROW, "star-row.html", StructuredDataSpider)[0][0]
    assert item.rating_raw is None
    assert item.critic_raw and item.published_raw


def test_title_glyphs_and_a_label_badge(lantern):
    items, spider = read(BADGE, "badge.html")
    item = items[0]
    assert (item.rating_raw, item.score) == ("★★★★☆", 80.0)
    assert item.label_raw == "Critic’s Pick"
    assert (item.verdict_source, item.fresh) == ("rating", True)
    assert stat(spider, "aggregator/outlet/label/lantern-ledger") == 1


def test_a_label_place_holding_other_text_gives_no_label(lantern, monkeypatch):
    monkeypatch.setitem(outlets.BY_KEY, "lantern-ledger",
                        OutletReading(key="lantern-ledger", label=("//article/p",)))
    item = read(BADGE, "badge.html")[0][0]
    assert item.label_raw is None


def test_a_star_row_of_unknown_shape_is_left_unread_and_counted(lantern, caplog):
    items, spider = read(STAR_ROW, "changed-star-row.html")
    assert len(items) == 1
    assert (items[0].rating_raw, items[0].score) == (None, None)
    assert stat(spider, "aggregator/outlet/unread_star_row/lantern-ledger") == 1
    assert "does not recognise" in caplog.text


def test_a_star_row_of_another_size_is_left_unread(lantern, monkeypatch):
    four = StarRow(row=LANTERN.star_row.row, star=LANTERN.star_row.star,
                   filled=LANTERN.star_row.filled, empty=LANTERN.star_row.empty,
                   half=LANTERN.star_row.half, size=4)
    monkeypatch.setitem(outlets.BY_KEY, "lantern-ledger", OutletReading(key="lantern-ledger", star_row=four))
    items, spider = read(STAR_ROW, "star-row.html")
    assert items[0].rating_raw is None
    assert stat(spider, "aggregator/outlet/unread_star_row/lantern-ledger") == 1


def test_outlet_headline_markup_makes_an_article_of_a_page_with_broken_json_ld(lantern):
    url = SITE + "feb/02/the-quiet-ferry-review"
    items, spider = read(url, "no-structured-data.html")
    assert stat(spider, "aggregator/structured/bad_json_ld") == 1
    assert len(items) == 1
    item = items[0]
    assert (item.headline, item.critic_raw, item.rating_raw) == (
        "The Quiet Ferry review – a crossing that never arrives", ["Odile Prentiss"], "1/5")
    # the generic reader alone reads the visible article too (issue 14), without the star row
    (plain,), _, _ = parse_page(url, FIXTURES / "no-structured-data.html")
    assert (plain.headline, plain.source_format, plain.rating_raw) == (item.headline, "html", None)


def test_reading_is_chosen_by_key_then_by_the_registry_domain_of_url_or_canonical(tmp_path, monkeypatch):
    assert reading_for("guardian") is outlets.BY_KEY["guardian"]
    assert reading_for("variety") is None, "read by the generic reader alone"
    assert reading_for(None, "https://www.theguardian.com/film/x").key == "guardian"
    assert reading_for(None, "http://web.archive.org/web/20240101000000/https://www.nytimes.com/x").key == "nytimes"
    assert reading_for(None, "http://127.0.0.1:8080/page.html", "https://nypost.com/2024/x/").key == "nypost"
    assert reading_for(None, "http://127.0.0.1:8080/page.html", None) is None

    registry = tmp_path / "lantern.toml"
    registry.write_text('[publications.lantern-ledger]\nname = "The Lantern Ledger"\n'
                        'domains = ["lanternledger.example"]\ncountry = "GB"\nlanguage = "en"\n')
    monkeypatch.setenv("AGGREGATOR_PUBLICATIONS", str(registry))
    monkeypatch.setitem(outlets.BY_KEY, "lantern-ledger", LANTERN)
    default_registry.cache_clear()
    try:
        assert reading_for(None, STAR_ROW) is LANTERN
        items, _ = read(STAR_ROW, "star-row.html", StructuredDataSpider)
        assert items[0].rating_raw == "3.5/5"
    finally:
        monkeypatch.delenv("AGGREGATOR_PUBLICATIONS")
        default_registry.cache_clear()


def test_every_catalogued_reading_names_a_registry_entry():
    registry = default_registry()
    for reading in outlets.READINGS:
        assert registry.get(reading.key) is not None, reading.key
    assert len(outlets.BY_KEY) == len(outlets.READINGS)


def test_script_values_are_read_from_inline_json_and_assignments_not_json_ld():
    page = """<html><head>
    <script type="application/ld+json">{"kicker": "From JSON-LD"}</script>
    <script>window.data = {"page": {"kicker":"Critic\\u2019s Pick", "publishDate":"2025-01-02"}};</script>
    <script>window._page.originalPublishDate = "2025-01-01";</script>
    </head><body></body></html>"""
    response = response_for("https://www.lanternledger.example/x", page)
    assert script_value(response, "kicker") == "Critic’s Pick"
    assert script_value(response, "publishDate") == "2025-01-02"
    assert script_value(response, "originalPublishDate") == "2025-01-01"
    assert script_value(response, "missing") is None


# --- the review rule's use of what a reading found (pure: a Page built by hand) ------------

def _page(nodes=(), meta=None, **found) -> Page:
    url = STAR_ROW
    return Page(url=url, canonical=url, graph=Graph(list(nodes)), meta=meta or {},
                h1="Tidewater Lanterns review – a harbour town lit by small wonders", **found)


ARTICLE = {"@type": "NewsArticle", "headline": "Tidewater Lanterns review – a harbour town lit by small wonders"}


def test_structured_author_and_date_win_over_the_visible_byline_and_dateline():
    node = {**ARTICLE, "author": {"@type": "Person", "name": "Odile Prentiss"},
            "datePublished": "2025-03-14T09:00:00+00:00"}
    verdict = reviews_on_page(_page([node], bylines=["Benedek Aroha"], outlet_date="Sat 15 Mar 2025"))
    item = verdict.items[0]
    assert (item.critic_raw, item.published_raw) == (["Odile Prentiss"], "2025-03-14T09:00:00+00:00")
    verdict = reviews_on_page(_page([ARTICLE], meta={"author": ["Meta Name"]},
                                    bylines=["Benedek Aroha"], outlet_date="Sat 15 Mar 2025"))
    item = verdict.items[0]
    assert (item.critic_raw, item.published_raw) == (["Benedek Aroha"], "Sat 15 Mar 2025")


def test_label_goes_to_the_item_and_a_structured_review_gets_it_too():
    assert reviews_on_page(_page([ARTICLE], label="Critic’s Pick")).items[0].label_raw == "Critic’s Pick"
    review = {"@type": "Review", "itemReviewed": {"@type": "Movie", "name": "Tidewater Lanterns"}}
    item = reviews_on_page(_page([review], label="Recommended", bylines=["Odile Prentiss"])).items[0]
    assert (item.label_raw, item.critic_raw) == ("Recommended", ["Odile Prentiss"])


def test_outlet_article_markup_stands_in_for_missing_structured_data():
    assert reviews_on_page(_page()).reason == "no_structured_data"
    verdict = reviews_on_page(_page(outlet_article=True))
    assert verdict.reason == "ok"
    assert verdict.items[0].headline.startswith("Tidewater Lanterns review")
    interview = _page(outlet_article=True)
    interview.h1 = "Odile Prentiss on forty years of harbour films"
    verdict = reviews_on_page(interview)  # the URL says "review", the headline names no title
    assert (verdict.items, verdict.reason) == ([], "no_reviewed_title")
