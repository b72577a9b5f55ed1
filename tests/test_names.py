"""Bylines to critics, headlines to film titles, titles to keys.

The project's own cases use fictional people and films; the real bylines and headlines are
read at test time from ../shared/fixtures/real (expected values are names as printed there).
"""

from __future__ import annotations

import html
import json
import re
import unicodedata

import pytest

from aggregator.identity import (
    canonical_person_name,
    critics_from_raw,
    film_key,
    film_title_from_headline,
    is_site_account,
    split_byline,
    year_from_text,
)

# ------------------------------------------------------------------------------- bylines


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Jane Doe", ["Jane Doe"]),
        ("By Jane Doe", ["Jane Doe"]),
        ("BY JANE DOE", ["Jane Doe"]),
        ("by jane doe", ["jane doe"]),  # mixed/lower case is kept as printed
        ("By: Jane Doe", ["Jane Doe"]),
        ("Reviewed by Jane Doe", ["Jane Doe"]),
        ("Review by Jane Doe", ["Jane Doe"]),
        ("Film review by Jane Doe", ["Jane Doe"]),
        ("Theatre Review by Jane Doe - October 29, 2023", ["Jane Doe"]),
        ("Written by Jane Doe", ["Jane Doe"]),
        ("Words by Jane Doe", ["Jane Doe"]),
        ("Author: Jane Doe", ["Jane Doe"]),
        ("Jane Doe and John Roe", ["Jane Doe", "John Roe"]),
        ("By JANE DOE AND JOHN ROE", ["Jane Doe", "John Roe"]),
        ("Jane Doe, John Roe and Mary Major", ["Jane Doe", "John Roe", "Mary Major"]),
        ("Jane Doe, John Roe, and Mary Major", ["Jane Doe", "John Roe", "Mary Major"]),
        ("Jane Doe & John Roe", ["Jane Doe", "John Roe"]),
        ("Jane Doe; John Roe", ["Jane Doe", "John Roe"]),
        ("By Jane Doe with John Roe", ["Jane Doe", "John Roe"]),
        ("Jane Doe, Chief Film Critic", ["Jane Doe"]),
        ("By Jane Doe, Contributing Critic", ["Jane Doe"]),
        ("Jane Doe, Film Critic and John Roe, Staff Writer", ["Jane Doe", "John Roe"]),
        ("Jane Doe for The Daily Fictional", ["Jane Doe"]),
        ("JANE DOE FOR THE DAILY FICTIONAL", ["Jane Doe"]),
        ("Jane Doe, special to The Daily Fictional", ["Jane Doe"]),
        ("Jane Doe at The Daily Fictional", ["Jane Doe"]),
        ("By Jane Doe | jane.doe@example.com | The Daily Fictional", ["Jane Doe"]),
        ("Jane Doe (@janedoe)", ["Jane Doe"]),
        ("Jane Doe @janedoe", ["Jane Doe"]),
        ("Jane Doe <jane@example.com>", ["Jane Doe"]),
        ("Jane Doe https://example.com/jane", ["Jane Doe"]),
        ("By <a href='/author/jane-doe'>Jane Doe</a>", ["Jane Doe"]),
        ("Jane&nbsp;Doe", ["Jane Doe"]),
        ("  Jane \n  Doe  ", ["Jane Doe"]),
        ("Jane Doe.", ["Jane Doe"]),
        ("Jane Doe, Jr.", ["Jane Doe Jr."]),
        # initials: one canonical form
        ("Q.R. HALLORAN", ["Q. R. Halloran"]),
        ("Q.R. Halloran", ["Q. R. Halloran"]),
        ("Q. R. Halloran", ["Q. R. Halloran"]),
        ("Q.R.Halloran", ["Q. R. Halloran"]),
        ("Q R Halloran", ["Q. R. Halloran"]),
        ("Edna T Marwood", ["Edna T. Marwood"]),
        # case restoration of all-caps names: particles, Mc, O', hyphens
        ("MAEVE O'DONNELL", ["Maeve O'Donnell"]),
        ("MAEVE O’DONNELL", ["Maeve O’Donnell"]),
        ("RORY MCALISTER", ["Rory McAlister"]),
        ("RORY MACALISTER", ["Rory Macalister"]),
        ("OTTILIE VAN DER MARK", ["Ottilie van der Mark"]),
        ("INÈS DE LA FUENTE", ["Inès de la Fuente"]),
        ("ANNE-SOPHIE LAURENTIN", ["Anne-Sophie Laurentin"]),
        ("DARA D'ALVARO", ["Dara D'Alvaro"]),
        ("ÉLODIE MARCHETTI", ["Élodie Marchetti"]),
        ("Ottilie Van Der Mark", ["Ottilie Van Der Mark"]),  # mixed case: as printed
        ("DeShawn Okafor", ["DeShawn Okafor"]),
        # no person-shaped part
        ("", []),
        ("By", []),
        ("12345", []),
        ("jane.doe@example.com", []),
        ("@janedoe", []),
        ("Staff Writer", []),
        ("Chief Film Critic", []),
        ("Posted on 2024-01-01", []),
        # site accounts are names here; is_site_account judges them
        ("Staff", ["Staff"]),
    ],
)
def test_split_byline(raw, expected):
    assert split_byline(raw) == expected


def test_split_byline_gives_nfc():
    decomposed = "E\u0301lodie Marchetti"
    [name] = split_byline(decomposed)
    assert name == unicodedata.normalize("NFC", decomposed) == "Élodie Marchetti"


@pytest.mark.parametrize("bad", [None, 42, ["Jane Doe"], b"Jane Doe"])
def test_split_byline_non_strings(bad):
    assert split_byline(bad) == []


def test_canonical_person_name_is_idempotent():
    for raw in ("Q.R. HALLORAN", "OTTILIE VAN DER MARK", "Maeve O'Donnell", "Edna T Marwood"):
        once = canonical_person_name(raw)
        assert canonical_person_name(once) == once


def test_pathological_byline_is_fast():
    import time

    start = time.perf_counter()
    split_byline("A" + " ." * 5000 + "1")
    split_byline(("Jane Doe, " * 2000) + "and John Roe")
    assert time.perf_counter() - start < 2


# --------------------------------------------------------------------------- site accounts


@pytest.mark.parametrize(
    "name",
    ["Staff", "staff", "STAFF", "Editorial", "The Editors", "Admin", "admin", "Contributor",
     "Guest", "Guest Author", "Web Desk", "News Desk", "Editorial Team", "Daily Fictional Staff",
     "Film Desk", "Associated Press", "The Associated Press", "Reuters", "AP",
     "dailyfictional.com", "www.dailyfictional.com", "https://dailyfictional.com/",
     "desk@example.com", "", "   ", "!!!"],
)
def test_generic_site_accounts(name):
    assert is_site_account(name)


@pytest.mark.parametrize(
    ("name", "outlets"),
    [
        ("The Daily Fictional", ["The Daily Fictional"]),
        ("the daily fictional", ["The Daily Fictional"]),
        ("Daily Fictional", ["The Daily Fictional"]),
        ("Daily Fictional Film", ["The Daily Fictional"]),
        ("Daily Fictional Sport", ["The Daily Fictional"]),
        ("Daily Fictional News", ["The Daily Fictional"]),
        ("DailyFictional", ["dailyfictional.com"]),
        ("thedailyfictional", ["thedailyfictional.com"]),
        ("Reel Notes", ["Reel Notes", "reelnotes.example"]),
    ],
)
def test_outlet_names_are_site_accounts(name, outlets):
    assert is_site_account(name, outlets)


@pytest.mark.parametrize(
    ("name", "outlets"),
    [
        ("Jane Doe", []),
        ("Jane Doe", ["The Daily Fictional"]),
        ("Paul Guest", []),  # "Guest" alone is an account, as a surname it is not
        ("Ada Staffordshire", []),
        ("Fictional Daily", ["The Daily Fictional"]),
        ("Daily Fictional", []),  # without the outlet list it may be a person's name
        ("Q. R. Halloran", ["The Daily Fictional"]),
    ],
)
def test_people_are_not_site_accounts(name, outlets):
    assert not is_site_account(name, outlets)


def test_critics_from_raw():
    critics, dropped = critics_from_raw(
        ["By JANE DOE and Staff", "Jane Doe", "Daily Fictional Sport", "John Roe, Film Critic",
         "", None, "the Daily Fictional", "Editorial", "Q.R. HALLORAN", "Q. R. Halloran"],
        ["The Daily Fictional", "dailyfictional.com"],
    )
    assert critics == ["Jane Doe", "John Roe", "Q. R. Halloran"]
    assert dropped == ["Staff", "Daily Fictional Sport", "the Daily Fictional", "Editorial"]


def test_critics_from_raw_keeps_order_and_drops_strings_with_no_person():
    critics, dropped = critics_from_raw(["Mary Major", "Chief Film Critic", "John Roe", 7])
    assert critics == ["Mary Major", "John Roe"]
    assert dropped == ["Chief Film Critic", "7"]


def test_critics_from_raw_empty():
    assert critics_from_raw([]) == ([], [])
    assert critics_from_raw(None) == ([], [])


# ------------------------------------------------------------------------ headline titles


@pytest.mark.parametrize(
    ("headline", "title"),
    [
        ("The Glass Orchard review – a quiet triumph", "The Glass Orchard"),
        ("The Glass Orchard review — a quiet triumph", "The Glass Orchard"),
        ("The Glass Orchard review - a quiet triumph", "The Glass Orchard"),
        ("The Glass Orchard review: a quiet triumph", "The Glass Orchard"),
        ("The Glass Orchard review | Film | The Daily Fictional", "The Glass Orchard"),
        ("The Glass Orchard review", "The Glass Orchard"),
        ("The Glass Orchard (2031) review – a quiet triumph", "The Glass Orchard"),
        ("Lanterns Over Kell II review – the sequel", "Lanterns Over Kell II"),
        ("Review: The Glass Orchard", "The Glass Orchard"),
        ("REVIEW: The Glass Orchard", "The Glass Orchard"),
        ("Review: The Glass Orchard (2031)", "The Glass Orchard"),
        ("Review: The Glass Orchard – a quiet triumph", "The Glass Orchard"),
        ("Review: ‘The Glass Orchard,’ a Quiet Triumph", "The Glass Orchard"),
        ("Review: In ‘The Glass Orchard,’ Apples Fall Upward", "The Glass Orchard"),
        ("Review: A Quiet Triumph in ‘The Glass Orchard’", "The Glass Orchard"),
        ("Review: ‘Harbour ’59’ Looks Back", "Harbour '59"),
        ("Review: ‘Is It Tuesday?’ Asks Nothing", "Is It Tuesday?"),
        ("Review: The Glass Orchard, with Two Fictional Stars and a Dog", "The Glass Orchard"),
        ("Review: Very, Very, Late", "Very, Very, Late"),
        ("Film review: The Glass Orchard", "The Glass Orchard"),
        ("Movie Review: The Glass Orchard", "The Glass Orchard"),
        ("Theater Review: ‘The Glass Orchard’ Moves Uptown", "The Glass Orchard"),
        ("Review | ‘The Glass Orchard’ is a quiet triumph", "The Glass Orchard"),
        ("'The Glass Orchard' Review: A Quiet Triumph", "The Glass Orchard"),
        ("‘The Glass Orchard’ review: a quiet triumph", "The Glass Orchard"),
        ("“The Glass Orchard” review: a quiet triumph", "The Glass Orchard"),
        ("‘The Glass Orchard’ Broadway review: a quiet triumph", "The Glass Orchard"),
        ("'The Glass Orchard' (2031) review", "The Glass Orchard"),
        ("&#8216;The Glass Orchard&#8217; Review: A Quiet Triumph", "The Glass Orchard"),
        ("&amp;#8216;The Glass Orchard&amp;#8217; Review: Doubly Escaped", "The Glass Orchard"),
        ("<em>The Glass Orchard</em> review: a quiet triumph", "The Glass Orchard"),
        ("'The Glass Orchard' is a quiet triumph: Review", "The Glass Orchard"),
        ("The Glass Orchard: Review", "The Glass Orchard"),
        ("The Glass Orchard – review", "The Glass Orchard"),
        ("The Glass Orchard (review)", "The Glass Orchard"),
        ("Review: The Glass Orchard (★★★)", "The Glass Orchard"),
        ("Review: In ‘The Glass Orchard,’ Apples Fall (Published 2031)", "The Glass Orchard"),
        ("Moth & Ember review – sparks", "Moth & Ember"),
        ("The Orchard Book review – pages", "The Orchard Book"),
        ("A Long Year review – slow", "A Long Year"),
        ("Review: In ‘Moth &amp; Ember,’ Sparks", "Moth & Ember"),
        # a title that ends in "Movie" keeps it: only quoted titles lose "film"/"movie"
        ("The Moth Movie review – sparks", "The Moth Movie"),
        ("'The Moth' movie review: sparks", "The Moth"),
    ],
)
def test_film_title_from_headline(headline, title):
    assert film_title_from_headline(headline) == title


@pytest.mark.parametrize(
    "headline",
    [
        "Review: Positions Wanted by Fictional Minions Experienced at Serving Their Masters",
        "Review | A fictional star brings charm to a robot love story in this one",
        "Year in review: the best films of 2031",
        "Week in review",
        "Book review: The Glass Orchard",
        "Album review – a fictional band returns",
        "The peer review crisis explained",
        "Under review: the studio's fictional merger",
        "Critics review the year",
        "Fictional Studio shares rise after earnings",
        "The Daily Fictional view on cinemas: a city on the brink | Editorial",
        "Jane Doe: 'My next movie – it's going to be a prequel'",
        "Broadway Show Reviews Spring 2031: What To See",
        "Reviews",
        "",
        "   ",
        "Review:",
        "'' review",
    ],
)
def test_headlines_that_name_no_reviewed_title(headline):
    assert film_title_from_headline(headline) is None


@pytest.mark.parametrize("bad", [None, 3, ["Review: X"]])
def test_film_title_from_headline_non_strings(bad):
    assert film_title_from_headline(bad) is None


@pytest.mark.parametrize(
    ("text", "year"),
    [
        ("The Glass Orchard (2031)", 2031),
        ("The Glass Orchard (2031 film)", 2031),
        ("The Glass Orchard [1931]", 1931),
        ("The Glass Orchard ( 1999 ) review", 1999),
        ("The Glass Orchard (1880)", 1880),
        ("The Glass Orchard (2100)", 2100),
        ("The Glass Orchard", None),
        ("The Glass Orchard 2031", None),  # a bare number may be part of the title
        ("The Glass Orchard (1879)", None),
        ("The Glass Orchard (2101)", None),
        ("Orchard (1931) vs Orchard (2031)", None),  # two years: no guess
        ("Orchard (2031) and again (2031)", 2031),
        ("Review: Orchard (Published 2031)", None),
        ("(12345)", None),
        ("", None),
        (None, None),
    ],
)
def test_year_from_text(text, year):
    assert year_from_text(text) == year


# ------------------------------------------------------------------------------ film keys


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("The Glass Orchard", "glass orchard"),
        ("A Glass Orchard", "Glass Orchard"),
        ("An Orchard", "orchard"),
        ("THE GLASS ORCHARD", "the glass orchard"),
        ("Amélie's Orchard", "Amelies Orchard"),
        ("Moth & Ember", "Moth and Ember"),
        ("Lanterns Over Kell II", "Lanterns Over Kell 2"),
        ("Lanterns Over Kell XIV", "Lanterns Over Kell 14"),
        ("Lanterns: Part Two", "Lanterns Part 2"),
        ("Lanterns: Part II", "Lanterns - Part 2"),
        ("Lanterns Chapter IV", "Lanterns chapter four"),
        ("Lanterns Part I", "Lanterns Part 1"),
        ("Web-Walker", "Webwalker"),
        ("Self/Made", "Selfmade"),
        ("A.I. Orchard", "AI Orchard"),
        ("Harbour ’59", "Harbour '59"),
        ("The Glass Orchard (2031)", "The Glass Orchard"),
        ("  The   Glass\tOrchard ", "The Glass Orchard"),
        ("Moth &amp; Ember", "Moth & Ember"),
        ("Ångström", "angstrom"),
        ("Straße", "STRASSE"),
    ],
)
def test_film_key_folds(a, b):
    assert film_key(a) == film_key(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Strangers", "All of Us Strangers"),
        ("Orchard", "The Orchard Keeper"),
        ("Lanterns", "Lanterns 2"),
        ("Lanterns II", "Lanterns III"),
        ("Nine", "9 Lives"),
        ("Agent X", "Agent 10"),  # a lone X is a letter, not ten
        ("I, Orchard", "1 Orchard"),  # a lone I is a word
        ("The Orchard", "Orchards"),
        ("La Orchard", "Orchard"),  # only English articles are dropped
    ],
)
def test_film_key_keeps_what_distinguishes(a, b):
    assert film_key(a) != film_key(b)


def test_film_key_examples():
    assert film_key("The Glass Orchard: Part Two") == "glass orchard part 2"
    assert film_key("The") == "the"
    assert film_key("Orchard 2049") == "orchard 2049"
    assert film_key("鏡の果樹園") == "鏡の果樹園"


@pytest.mark.parametrize("bad", ["", "   ", "!!!", "—", None, 12])
def test_film_key_rejects_titles_with_nothing_to_key(bad):
    with pytest.raises(ValueError):
        film_key(bad)


# ------------------------------------------------------------ real material (../shared)


def _nyt_results(shared_dir):
    for path in sorted((shared_dir / "api" / "nyt").glob("*.json")):
        yield from json.loads(path.read_text(encoding="utf-8"))["results"]


def _squash(text: str) -> str:
    return re.sub(r"[\W_]+", "", html.unescape(text)).casefold()


def test_nyt_api_bylines_each_give_one_person(shared_dir):
    results = list(_nyt_results(shared_dir))
    assert len(results) == 40
    for result in results:
        people = split_byline(result["byline"])
        assert len(people) == 1, result["byline"]
        assert _squash(people[0]) == _squash(result["byline"])
        assert not is_site_account(people[0], ["The New York Times", "nytimes.com"])


def test_nyt_api_upper_and_mixed_case_bylines_meet(shared_dir):
    by_file: dict[str, set[str]] = {}
    for path in sorted((shared_dir / "api" / "nyt").glob("*.json")):
        results = json.loads(path.read_text(encoding="utf-8"))["results"]
        by_file[path.name] = {split_byline(r["byline"])[0] for r in results}
    upper, mixed = by_file["nyt_movie_reviews_api_v2_2017-12.json"], by_file[
        "nyt_movie_reviews_api_v2_2015-07.json"]
    # the same critics, printed "A.O. SCOTT" in one response and "A. O. Scott" in the other
    assert {"A. O. Scott", "Ben Kenigsberg", "Manohla Dargis", "Jeannette Catsoulis"} <= (
        upper & mixed)
    assert "Glenn Kenny" in upper and "Daniel M. Gold" in mixed
    assert all(not name.isupper() for name in upper)


def test_nyt_api_headlines_give_the_reviewed_title(shared_dir):
    agree = none = disagree = 0
    for result in _nyt_results(shared_dir):
        title = film_title_from_headline(result["headline"])
        if title is None:
            none += 1
            continue
        display = film_key(result["display_title"])
        if display.startswith(film_key(title)):
            agree += 1
        else:
            disagree += 1
    # one headline names no title in quotes (a sentence); one headline's title differs
    # from the API's display_title by a word: both are counted, neither is guessed
    assert none == 1
    assert disagree <= 2
    assert agree >= 37


def _meta(page: str, attribute: str, name: str) -> str | None:
    match = re.search(rf'<meta[^>]*{attribute}="{re.escape(name)}"[^>]*content="([^"]*)"', page)
    return html.unescape(match.group(1)) if match else None


def test_not_review_pages_bylines(shared_dir):
    pages = shared_dir / "pages" / "not-reviews"
    expected = {
        "theguardian-2019-5fa3154e.html": [],  # "Editorial"
        "guardian-film-interview-2011.html": ["Emma Brockes"],
        "indiewire-2019-3d8f3404.html": ["David Ehrlich"],
        "nytimes-2019-702d1da6.html": ["Ana Swanson"],  # meta byl "By Ana Swanson"
    }
    for filename, critics in expected.items():
        page = (pages / filename).read_text(encoding="utf-8", errors="replace")
        raw = _meta(page, "name", "author") or _meta(page, "name", "byl")
        site = _meta(page, "property", "og:site_name")
        outlets = [site] if site else ["The New York Times"]
        assert critics_from_raw([raw], outlets)[0] == critics, filename


def test_not_review_pages_outlet_accounts(shared_dir):
    pages = shared_dir / "pages" / "not-reviews"
    bbc = (pages / "bbc-2019-70cb2d5b.html").read_text(encoding="utf-8", errors="replace")
    author = re.search(r'"author":\{"@type":"NewsMediaOrganization","name":"([^"]+)"', bbc)
    assert author and is_site_account(author.group(1), [_meta(bbc, "property", "og:site_name")])

    telegraph = (pages / "telegraph-2019-88c328b6.html").read_text(encoding="utf-8",
                                                                     errors="replace")
    byline = re.search(r'itemprop="name" content="([^"]+)"', telegraph).group(1)
    site = _meta(telegraph, "property", "og:site_name")
    assert critics_from_raw([byline], [site]) == ([], [byline])


def test_not_review_pages_headlines_are_not_reviews(shared_dir):
    for path in sorted((shared_dir / "pages" / "not-reviews").glob("*.html")):
        page = path.read_text(encoding="utf-8", errors="replace")
        title = _meta(page, "property", "og:title")
        assert title, path.name
        assert film_title_from_headline(title) is None, (path.name, title)


def _snippets(shared_dir, outlet: str) -> str:
    return (shared_dir / "publications" / outlet / "snippets.html").read_text(encoding="utf-8")


def _json_strings(text: str, key: str) -> list[str]:
    return [json.loads(f'"{m}"') for m in re.findall(rf'"{key}" ?: ?"((?:[^"\\]|\\.)*)"', text)]


@pytest.mark.parametrize(
    ("outlet", "key", "titles"),
    [
        ("guardian", "headline", {"Stereophonic", "The Outsiders"}),
        ("nytimes", "headline", {"Stereophonic", "The Outsiders"}),
        ("variety", "headline", {"Stereophonic"}),
        ("hollywoodreporter", "headline", {"Stereophonic"}),
        ("nypost", "headline", {"Stereophonic", "The Outsiders"}),
        ("thewrap", "headline", {"Stereophonic"}),
        ("observer", "headline", {"Stereophonic"}),
        ("chicagotribune", "headline", {"Stereophonic"}),
        ("vulture", "headline", {"Stereophonic"}),
        ("washingtonpost", "alternativeHeadline", {"Maybe Happy Ending"}),
    ],
)
def test_publication_headlines_give_the_work_title(shared_dir, outlet, key, titles):
    found = {film_title_from_headline(h) for h in _json_strings(_snippets(shared_dir, outlet), key)}
    found.discard(None)
    assert found == titles


def test_publication_bylines(shared_dir):
    nyt = re.search(r'name="byl" content="([^"]+)"', _snippets(shared_dir, "nytimes")).group(1)
    assert split_byline(nyt) == ["Jesse Green"]

    broadway = _snippets(shared_dir, "talkinbroadway")
    line = re.search(r"Theatre Review by <a [^>]*>[^<]+</a> - [A-Z][a-z]+ \d+, \d{4}", broadway)
    assert split_byline(line.group(0)) == ["Marc Miller"]

    tribune = _snippets(shared_dir, "chicagotribune")
    line = re.search(r"By <a [^>]*rel=\"author\">[^<]+</a> \|[^\n]{0,300}", tribune)
    assert critics_from_raw([line.group(0)], ["Chicago Tribune"])[0] == ["Chris Jones"]

    timeout = _snippets(shared_dir, "timeout")
    line = re.search(r"<strong>Broadway review by [^<]+</strong>", timeout)
    assert split_byline(line.group(0)) == ["Adam Feldman"]


def test_publication_page_titles_never_give_a_wrong_title(shared_dir):
    """Every <title> of the archived pages (reviews, 404s, a wrong outlet's story) gives either
    the reviewed work or None: precision first."""
    works = {"Stereophonic", "The Outsiders", "Maybe Happy Ending"}
    extracted = 0
    for path in sorted((shared_dir / "publications").glob("*/snippets.html")):
        for raw in re.findall(r"<title>([^<]+)", path.read_text(encoding="utf-8")):
            if not raw.strip() or raw.strip().startswith("("):  # the notes' own comments
                continue
            title = film_title_from_headline(raw)
            assert title is None or title in works, (path.parent.name, raw, title)
            extracted += title is not None
    assert extracted >= 15


def test_same_title_films_share_a_key_and_differ_by_year():
    """A remake keeps the title; the key does not invent a difference, the year tells them
    apart (and is never invented: a headline without one gives None)."""
    old, new, bare = ("The Orchard (1931) review – creaky", "The Orchard (2031) review – glossy",
                      "The Orchard review – glossy")
    titles = [film_title_from_headline(h) for h in (old, new, bare)]
    assert titles == ["The Orchard"] * 3
    assert len({film_key(t) for t in titles}) == 1
    assert [year_from_text(h) for h in (old, new, bare)] == [1931, 2031, None]
