"""Item-level normalisation steps (aggregator/normalise.py) that the pipelines call."""

from __future__ import annotations

from datetime import date

from aggregator.items import ReviewItem
from aggregator.normalise import (
    clean_fields,
    clean_string,
    date_review,
    find_item_critics,
    identify_film,
    normalise_critics,
    rate_review,
)


def test_clean_string_decodes_entities_and_folds_space():
    assert clean_string("  Quill &amp; Reel\u00a0 \n Weekly ") == "Quill & Reel Weekly"
    assert clean_string("Cafe\u0301") == "Café"  # NFC
    assert clean_string("   ") is None
    assert clean_string("One\n line.\n\n\n  Two  \n") == "One line. Two"
    assert clean_string("One\n line.\n\n\n  Two  \n", multiline=True) == "One line.\n\nTwo"


def test_clean_fields_reports_what_it_changed_and_dedupes_lists():
    item = ReviewItem(headline=" A  review ", critic_raw=["Jo Bloggs", " Jo Bloggs ", ""], film_raw="Tidy")
    assert sorted(clean_fields(item)) == ["critic_raw", "headline"]
    assert item.headline == "A review"
    assert item.critic_raw == ["Jo Bloggs"]


def test_identify_film_from_headline_and_year_only_where_stated():
    item = ReviewItem(film_raw="The Glass Orchard (2025) review – ripe and strange")
    identity = identify_film(item)
    assert (identity.title, identity.year) == ("The Glass Orchard", 2025)
    assert item.film_key == identity.key

    item = ReviewItem(film_raw="The Glass Orchard", film_year_raw="2025-03-01")
    assert identify_film(item).year == 2025
    item = ReviewItem(film_raw="The Glass Orchard")
    assert identify_film(item).year is None


def test_rate_review_structured_parts_string_and_scale_from_publication():
    class Outlet:
        scale = "stars/4"

    item = ReviewItem(rating_raw="4", rating_parts={"value": "4", "best": "5", "worst": "1"})
    assert rate_review(item) == "ok"
    assert (item.score, item.verdict, item.fresh, item.verdict_source) == (80.0, "positive", True, "rating")

    item = ReviewItem(rating_raw="3 stars")
    assert rate_review(item) == "unknown_scale"
    assert item.score is None
    assert rate_review(item, Outlet()) == "ok"
    assert item.score == 75.0

    item = ReviewItem(rating_raw="11/10")
    assert rate_review(item) == "out_of_range"
    assert item.score is None and item.verdict is None

    item = ReviewItem()
    assert rate_review(item) == "absent"
    assert item.verdict_source is None


def test_rate_review_reads_a_grade_stated_in_the_text():
    item = ReviewItem(text="First paragraph.\n\nGrade: B+")
    rate_review(item)
    assert (item.verdict, item.verdict_source) == ("positive", "text")


def test_normalise_critics_drops_site_accounts():
    item = ReviewItem(critic_raw=["By MARGUERITE OKONJO-HALLER and Tobiah Wrenfield"])
    assert normalise_critics(item) == []
    assert item.critics == ["Marguerite Okonjo-Haller", "Tobiah Wrenfield"]
    item = ReviewItem(critic_raw=["Staff"])
    assert normalise_critics(item) == ["Staff"]
    assert item.critics == []
    item = ReviewItem(critic_raw=["The Lantern Review"])
    normalise_critics(item, ("The Lantern Review",))
    assert item.critics == []


def test_date_review():
    item = ReviewItem(published_raw="2025-06-14T10:00:00+01:00")
    assert date_review(item) == date(2025, 6, 14)
    item = ReviewItem(published_raw="not a date")
    assert date_review(item) is None


def test_normalise_critics_falls_back_to_the_standfirst_and_ties_profiles_to_their_critic():
    item = ReviewItem(critic_raw=["Staff"], standfirst_raw="Juno Paradis-Oyelaran reviews a voyage into grief.",
                      text="The film opens at sea.",
                      authors_raw=[{"name": "Staff", "urls": ["https://www.lanternreview.example/author/staff/"]}])
    assert normalise_critics(item) == ["Staff"]
    assert (item.critics, item.critic_profiles) == (["Juno Paradis-Oyelaran"], {})
    # the standfirst is read once when the body is only the description
    item = ReviewItem(critic_raw=[], standfirst_raw="Juno Paradis-Oyelaran reviews it.",
                      text="Juno Paradis-Oyelaran reviews it.")
    assert find_item_critics(item).source == "text:lead"
    # a name in the text never overrides a byline that names a person
    item = ReviewItem(critic_raw=["Hamish Oduya"], standfirst_raw="Juno Paradis-Oyelaran reviews it.",
                      authors_raw=[{"name": "HAMISH ODUYA", "urls": ["https://www.morningledger.example/profile/hamish-oduya"]}])
    assert find_item_critics(item).source == "byline"
    assert item.critic_profiles == {"Hamish Oduya": ["https://www.morningledger.example/profile/hamish-oduya"]}
    # known-bad raw values name nobody and break nothing
    item = ReviewItem(critic_raw=["Staff"], standfirst_raw=None, text=None, authors_raw=[{"name": None}, "x"])
    assert (find_item_critics(item).source, item.critics, item.critic_profiles) == ("none:not_text", [], {})


def test_identify_film_reads_every_raw_source_and_keeps_no_year_when_they_disagree():
    item = ReviewItem(film_raw="The Glass Orchard", film_year_raw="2025",
                      film_ids_raw=["https://www.imdb.com/title/tt0000000/"])  # the zero id: no real film's
    identity = identify_film(item)
    assert (identity.title, identity.year, identity.reason, identity.ids) == (
        "The Glass Orchard", 2025, "ok", {"imdb": "tt0000000"})
    assert item.film_ids == {"imdb": "tt0000000"}
    item = ReviewItem(film_raw="The Glass Orchard (2024)", film_year_raw="2025")
    identity = identify_film(item)
    assert (identity.title, identity.year, identity.reason) == ("The Glass Orchard", None, "year_conflict")
    item = ReviewItem(film_raw=None, headline="A ripe and strange fable", keywords_raw=["The Glass Orchard (Movie)"])
    assert (identify_film(item).title, identify_film(item).title_source) == ("The Glass Orchard", "keywords")
    # a second run over the same item gives the same result and clears stale ids
    item.film_ids = {"imdb": "tt0000000"}
    identify_film(item)
    assert item.film_ids == {}
