"""Films: a review's film from all its raw values, external ids, the choice among same-title
films. Fictional films only (the headline patterns are pinned in tests/test_names.py)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from aggregator.identity.film_identity import (
    WINDOW_AFTER,
    WINDOW_BEFORE,
    FilmCandidate,
    FilmGuess,
    choose_film,
    clean_title,
    explain_film_choice,
    external_ids,
    film_from_raw,
    review_window,
)
from aggregator.identity.films import film_key

# ------------------------------------------------------------------------------ titles


@pytest.mark.parametrize(
    ("raw", "title"),
    [
        ("The Glass Orchard", "The Glass Orchard"),
        ("&#8216;The Glass Orchard&#8217;", "The Glass Orchard"),
        ("“The Glass Orchard”", "The Glass Orchard"),
        ("Harbour ’59", "Harbour '59"),
        ("The Glass Orchard (2031)", "The Glass Orchard"),
        ("The Glass Orchard (2031 film)", "The Glass Orchard"),
        ("The Glass Orchard (Movie)", "The Glass Orchard"),
        ("<i>The Glass Orchard</i>", "The Glass Orchard"),
        ("  The   Glass\u00a0Orchard ", "The Glass Orchard"),
        ("Moth &amp; Ember", "Moth & Ember"),
        ("E\u0301clair", "Éclair"),
        ("2031", "2031"),  # a film may be called by a number: only a bare year in () is removed
        ("", None), ("  ", None), ("''", None), ("—", None), (None, None), (7, None),
    ],
)
def test_clean_title(raw, title):
    assert clean_title(raw) == title


def test_title_sources_in_order():
    work = {"@type": "Movie", "name": "The Tin Cormorant"}
    assert film_from_raw(work, headline="Other Film review – x").title_source == "item_reviewed"
    assert film_from_raw(None, film_raw="The Tin Cormorant review – x",
                         headline="Other Film review – x").title == "The Tin Cormorant"
    assert film_from_raw(None, film_raw="The Tin Cormorant").title_source == "film_raw"
    assert film_from_raw(None, headline="Review: The Tin Cormorant").title_source == "headline"
    guess = film_from_raw(None, headline="A bird of a film",
                          title_tag="The Tin Cormorant review | The Daily Fictional")
    assert (guess.title, guess.title_source) == ("The Tin Cormorant", "title_tag")
    guess = film_from_raw(None, headline="A bird of a film",
                          keywords=["Film", "The Tin Cormorant (Movie)", "Culture"])
    assert (guess.title, guess.title_source) == ("The Tin Cormorant", "keywords")
    guess = film_from_raw(None, headline="A bird of a film",
                          standfirst="<p>Jane Doe's <em>The Tin Cormorant</em> soars</p>")
    assert (guess.title, guess.title_source) == ("The Tin Cormorant", "standfirst")
    assert film_from_raw("The Tin Cormorant").title_source == "item_reviewed"


def test_no_title_is_none_with_a_reason():
    guess = film_from_raw(None, headline="Fictional Studios shares rise",
                          keywords=["Film", "Culture"], standfirst="No emphasis here")
    assert guess == FilmGuess(None, None, None, {}, None, "no_title")
    assert film_from_raw().reason == "no_title"
    assert film_from_raw({"name": "!!!"}).reason == "no_title"
    # two different "(Movie)" keywords: which one is reviewed is not known
    guess = film_from_raw(None, keywords=["The Tin Cormorant (Movie)", "Glass Harbour (Film)"])
    assert guess.title is None


def test_remakes_share_a_key_and_differ_by_year():
    old = film_from_raw(None, headline="The Orchard (1931) review – creaky")
    new = film_from_raw({"name": "The Orchard", "dateCreated": "2031-03-01"})
    bare = film_from_raw(None, headline="The Orchard review – glossy")
    assert old.key == new.key == bare.key == film_key("Orchard")
    assert (old.year, new.year, bare.year) == (1931, 2031, None)
    assert film_key("Strangers") != film_key("All of Them Strangers")


@pytest.mark.parametrize(
    ("kwargs", "year", "reason"),
    [
        ({"item_reviewed": {"name": "X", "dateCreated": "2031-05-01"}}, 2031, "ok"),
        ({"item_reviewed": {"name": "X", "datePublished": "2031"}}, 2031, "ok"),
        ({"item_reviewed": {"name": "X", "copyrightYear": 2031}}, 2031, "ok"),
        ({"item_reviewed": {"name": "X", "releasedEvent": {"startDate": "2031-01-09"}}}, 2031,
         "ok"),
        ({"item_reviewed": {"name": "X (2031)"}}, 2031, "ok"),
        ({"film_raw": "X", "year_raw": "2031"}, 2031, "ok"),
        ({"film_raw": "X", "year_raw": "2031-10-10T00:00:00Z"}, 2031, "ok"),
        ({"headline": "X (2031) review – fine"}, 2031, "ok"),
        ({"headline": "Review: X", "keywords": ["X (2031 film)"]}, 2031, "ok"),
        ({"headline": "X (2031) review", "year_raw": "2031"}, 2031, "ok"),
        # never invented
        ({"headline": "X review – the best film of 2031"}, None, "ok"),
        ({"headline": "Review: X (Published 2031)"}, None, "ok"),
        ({"film_raw": "X", "year_raw": "sometime"}, None, "ok"),
        ({"film_raw": "X", "year_raw": "1066"}, None, "ok"),
        ({"item_reviewed": {"name": "X", "dateCreated": True}}, None, "ok"),
        # the sources disagree: no year
        ({"headline": "X (1931) review", "year_raw": "2031"}, None, "year_conflict"),
        ({"item_reviewed": {"name": "X", "dateCreated": "1931"}, "headline": "X (2031) review"},
         None, "year_conflict"),
    ],
)
def test_years(kwargs, year, reason):
    guess = film_from_raw(**kwargs)
    assert (guess.year, guess.reason) == (year, reason)
    assert guess.title == "X"


# ------------------------------------------------------------------------ external ids


@pytest.mark.parametrize(
    ("values", "ids"),
    [
        ("https://www.imdb.com/title/tt0123456/", {"imdb": "tt0123456"}),
        (["https://m.imdb.com/title/tt01234567/?ref_=x"], {"imdb": "tt01234567"}),
        ("https://www.imdb.com/fr/title/tt0123456", {"imdb": "tt0123456"}),
        ("tt0123456", {"imdb": "tt0123456"}),
        ("https://www.themoviedb.org/movie/603-the-glass-orchard", {"tmdb": "603"}),
        ("https://www.themoviedb.org/fr-FR/movie/603", {"tmdb": "603"}),
        ("https://www.wikidata.org/wiki/Q4115189", {"wikidata": "Q4115189"}),
        ("http://www.wikidata.org/entity/q4115189", {"wikidata": "Q4115189"}),
        ([{"@id": "https://www.wikidata.org/wiki/Q7"}, {"url": "https://www.imdb.com/title/tt0000007/"}],
         {"wikidata": "Q7", "imdb": "tt0000007"}),
        # one id of a kind, given twice, is one id
        (["tt0123456", "https://www.imdb.com/title/tt0123456/"], {"imdb": "tt0123456"}),
        # never invented, never guessed
        (["tt0123456", "https://www.imdb.com/title/tt7654321/"], {}),  # two: neither
        ("tt12345", {}),  # too short
        ("see tt0123456 here", {}),  # a bare id must be the whole string
        ("https://www.imdb.com/name/nm0000001/", {}),  # a person
        ("https://www.themoviedb.org/tv/1399", {}),  # a series
        ("Q42", {}),
        ("603", {}),
        ("https://en.wikipedia.org/wiki/The_Glass_Orchard", {}),
        ([], {}), (None, {}), (42, {}),
    ],
)
def test_external_ids(values, ids):
    assert external_ids(values) == ids


def test_film_from_raw_reads_ids_from_the_work_and_the_links():
    guess = film_from_raw({"name": "X", "sameAs": ["https://www.imdb.com/title/tt0123456/"]},
                          ids_raw=["https://www.wikidata.org/wiki/Q99"])
    assert guess.ids == {"imdb": "tt0123456", "wikidata": "Q99"}
    guess = film_from_raw({"name": "X", "sameAs": "https://www.imdb.com/title/tt0123456/"},
                          ids_raw=["https://www.imdb.com/title/tt0999999/"])
    assert guess.ids == {}


# ------------------------------------------------------------- choosing among same-title films


def test_review_window_is_documented():
    assert (WINDOW_BEFORE, WINDOW_AFTER) == (1, 2)
    assert review_window(2031) == (2030, 2033)


OLD, NEW = FilmCandidate(1931, {"imdb": "tt0000011"}, "The Orchard", 1), FilmCandidate(
    2031, {}, "The Orchard", 2)


@pytest.mark.parametrize(
    ("candidates", "published", "kwargs", "chosen", "reason"),
    [
        ([OLD, NEW], date(2031, 5, 1), {}, NEW, "publication_date"),
        ([OLD, NEW], date(1932, 12, 31), {}, OLD, "publication_date"),
        ([OLD, NEW], date(2030, 9, 1), {}, NEW, "publication_date"),
        ([OLD, NEW], datetime(2033, 12, 31, 23, 0), {}, NEW, "publication_date"),
        ([OLD, NEW], date(2034, 1, 1), {}, None, "outside_window"),
        ([OLD, NEW], None, {}, None, "ambiguous"),
        ([OLD, NEW], date(2031, 5, 1), {"year": 1931}, OLD, "stated_year"),
        ([OLD, NEW], date(2031, 5, 1), {"year": 1999}, None, "year_mismatch"),
        ([OLD, NEW], date(2031, 5, 1), {"ids": {"imdb": "tt0000011"}}, OLD, "external_id"),
        # a candidate with another id of the same kind is another film
        ([OLD, NEW], date(1931, 5, 1), {"ids": {"imdb": "tt0000099"}}, None, "outside_window"),
        ([OLD, NEW], date(2031, 5, 1), {"ids": {"imdb": "tt0000099"}}, NEW, "publication_date"),
        ([OLD], date(1931, 5, 1), {"ids": {"imdb": "tt0000099"}}, None, "no_candidates"),
        ([FilmCandidate(2030), FilmCandidate(2031)], date(2031, 3, 1), {}, None, "ambiguous"),
        ([FilmCandidate(2030, {"imdb": "tt1"}), FilmCandidate(2031, {"imdb": "tt1"})], None,
         {"ids": {"imdb": "tt1"}}, None, "id_conflict"),
        ([FilmCandidate(2030), FilmCandidate(2030)], None, {"year": 2030}, None, "ambiguous"),
        ([OLD], date(2031, 1, 1), {}, None, "outside_window"),
        ([OLD], None, {}, OLD, "only_candidate"),
        ([FilmCandidate(None)], date(2031, 1, 1), {}, None, "outside_window"),
        ([], date(2031, 1, 1), {}, None, "no_candidates"),
        (None, None, {}, None, "no_candidates"),
    ],
)
def test_explain_film_choice(candidates, published, kwargs, chosen, reason):
    assert explain_film_choice(candidates, published, **kwargs) == (chosen, reason)
    assert choose_film(candidates, published, **kwargs) == chosen


def test_choose_film_accepts_dicts_and_objects():
    rows = [{"year": 1931, "id": 1}, {"year": 2031, "id": 2}]
    assert choose_film(rows, date(2032, 1, 1)) == {"year": 2031, "id": 2}

    class Row:
        def __init__(self, year):
            self.year = year

    old, new = Row(1931), Row(2031)
    assert choose_film([old, new], date(1930, 6, 1)) is old
