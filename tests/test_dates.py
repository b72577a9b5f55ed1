"""Publication dates: fast paths, the dateparser fallback, and what must give None."""

from __future__ import annotations

import html
import json
import re
import time
from datetime import date

import pytest

from aggregator import dates
from aggregator.dates import parse_date

TODAY = date(2031, 6, 15)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # ISO 8601: the date in the value's own offset
        ("2025-06-14", date(2025, 6, 14)),
        ("2025-06-14T10:00:00Z", date(2025, 6, 14)),
        ("2025-06-14T10:00:00z", date(2025, 6, 14)),
        ("2024-04-20T03:59:16.000Z", date(2024, 4, 20)),
        ("2024-04-19T23:59:00-04:00", date(2024, 4, 19)),
        ("2024-04-11T21:15:12-0400", date(2024, 4, 11)),
        ("2025-06-14T23:30:00+05:30", date(2025, 6, 14)),
        ("2024-11-12T00:00:00-05:00", date(2024, 11, 12)),
        ("2023-10-30 02:00:42", date(2023, 10, 30)),
        ("2024-04-12 01:00", date(2024, 4, 12)),
        ("2019-11-19T13:16+0000", date(2019, 11, 19)),
        ("2024-04-20T00:01:32.300-04:00", date(2024, 4, 20)),
        ("  2025-06-14  ", date(2025, 6, 14)),
        ("20191118", date(2019, 11, 18)),
        # epoch seconds and milliseconds (UTC)
        ("1713585556000", date(2024, 4, 20)),
        ("1713585556", date(2024, 4, 20)),
        # RFC 2822
        ("Tue, 19 Nov 2019 13:16:00 +0000", date(2019, 11, 19)),
        ("Sat, 14 Jun 2025 10:00:00 GMT", date(2025, 6, 14)),
        ("14 Jun 2025 23:00:00 -0700", date(2025, 6, 14)),
        # English text dates
        ("14 June 2025", date(2025, 6, 14)),
        ("14 Jun 2025", date(2025, 6, 14)),
        ("14th June 2025", date(2025, 6, 14)),
        ("14th of June, 2025", date(2025, 6, 14)),
        ("June 14, 2025", date(2025, 6, 14)),
        ("June 14 2025", date(2025, 6, 14)),
        ("JUNE 14, 2025", date(2025, 6, 14)),
        ("Jun. 14, 2025", date(2025, 6, 14)),
        ("Sept. 3, 2024", date(2024, 9, 3)),
        ("Nov. 12, 2024", date(2024, 11, 12)),
        ("Tuesday November 12 2024", date(2024, 11, 12)),
        ("Fri 19 Apr 2024 23.59 EDT", date(2024, 4, 19)),
        ("November 12, 2024 2:00 p.m. ET", date(2024, 11, 12)),
        ("Apr 19, 2024 8:59pm PT", date(2024, 4, 19)),
        ("Published: 14 June 2025", date(2025, 6, 14)),
        ("Published April 11, 2024Updated Nov. 28, 2024", date(2024, 4, 11)),
        ("14\u00a0June\u00a02025", date(2025, 6, 14)),
        # unambiguous all-numeric dates
        ("31/12/2024", date(2024, 12, 31)),
        ("12/31/2024", date(2024, 12, 31)),
        ("2024/12/31", date(2024, 12, 31)),
        ("31.12.2024", date(2024, 12, 31)),
        ("05/05/2024", date(2024, 5, 5)),
    ],
)
def test_parse_date(raw, expected):
    assert parse_date(raw, today=TODAY) == expected


@pytest.mark.parametrize(
    "raw",
    [
        None, "", "   ", "TBD", "tbc", "yesterday-ish", "yesterday", "today", "3 days ago",
        "2 hours ago", "last week", "June 2025", "June 14", "2025", "14/06", "Coming soon",
        "00:00-YY-DD-MM",  # a CMS's bogus datetime attribute
        "2025-02-30", "2025-13-01", "31 February 2025", "2025-00-10",
        "03/04/2025",  # day/month order unknown
        "10/29/23",  # two-digit year
        "2031-06-17",  # beyond today + 1 day
        "1879-12-31", "1700-01-01", "0000-00-00", "9999-12-31",
        "x" * 500, "Published sometime in the spring of the year 2025 or so",
        "2025-06-14T25:00:00Z", "1e10", "-1713585556",
    ],
)
def test_parse_date_gives_none(raw):
    assert parse_date(raw, today=TODAY) is None


@pytest.mark.parametrize("bad", [42, 3.5, ["2025-06-14"], date(2025, 6, 14)])
def test_parse_date_non_strings(bad):
    assert parse_date(bad, today=TODAY) is None


def test_tomorrow_is_tolerated_for_time_zones_ahead():
    assert parse_date("2031-06-16", today=TODAY) == date(2031, 6, 16)
    assert parse_date("2031-06-17", today=TODAY) is None


def test_date_order_reads_ambiguous_numeric_dates():
    assert parse_date("03/04/2025", date_order="DMY", today=TODAY) == date(2025, 4, 3)
    assert parse_date("03/04/2025", date_order="MDY", today=TODAY) == date(2025, 3, 4)
    assert parse_date("31/12/2024", date_order="MDY", today=TODAY) == date(2024, 12, 31)
    with pytest.raises(ValueError, match="date_order"):
        parse_date("03/04/2025", date_order="YMD")


@pytest.mark.parametrize(
    ("raw", "languages", "expected"),
    [
        ("14 juin 2025", ["fr"], date(2025, 6, 14)),
        ("le 3 mars 2024", ["fr"], date(2024, 3, 3)),
        ("14. Juni 2025", ["de"], date(2025, 6, 14)),
        ("14 de junio de 2025", ["es"], date(2025, 6, 14)),
        ("14 giugno 2025", ["it"], date(2025, 6, 14)),
        ("14 juin 2025", None, date(2025, 6, 14)),  # detected when no language is given
        ("juin 2025", ["fr"], None),  # no day: not guessed
        ("hier", ["fr"], None),  # relative: not read
        ("il y a 3 jours", ["fr"], None),
    ],
)
def test_dateparser_fallback(raw, languages, expected):
    assert parse_date(raw, languages=languages, today=TODAY) == expected


def test_english_fast_path_is_skipped_for_other_languages():
    # "mar" is not March in French text read with languages=["fr"]
    assert parse_date("14 June 2025", languages=["en"], today=TODAY) == date(2025, 6, 14)
    assert parse_date("14 mai 2025", languages=["fr"], today=TODAY) == date(2025, 5, 14)


def test_default_today_is_the_local_date():
    assert parse_date(date.today().isoformat()) == date.today()
    assert parse_date("2999-01-01") is None


def test_dateparser_is_not_called_on_fast_paths(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("dateparser used for a fast-path string")

    monkeypatch.setattr(dates, "_fallback", refuse)
    for raw in ("2025-06-14T10:00:00Z", "14 June 2025", "June 14, 2025", "20191118",
                "Tue, 19 Nov 2019 13:16:00 +0000", "31/12/2024", "TBD", ""):
        parse_date(raw, today=TODAY)


def test_dateparser_errors_give_none(monkeypatch):
    class Exploding:
        def get_date_data(self, text):
            raise RuntimeError("boom")

    dates._fallback.cache_clear()  # a remembered answer would not reach the exploding parser
    monkeypatch.setattr(dates, "_dateparser", lambda languages: Exploding())
    assert parse_date("14 juin 2025", languages=["fr"], today=TODAY) is None
    dates._fallback.cache_clear()


# ------------------------------------------------------- the date shape before dateparser

YEAR_BEARING_NON_DATES = [
    "© 2024 Outlet", "Copyright 2024 The Film Stage. All rights reserved.", "Updated for 2024 season",
    "Top 10 films of 2023", "The best films of 2024 so far", "Best of 2024", "2024 in review",
    "The 2024 Oscars", "Cannes 2024: day 3", "Sundance 2025", "Class of 2023", "Released in 2019",
    "June 2025", "Updated June 2025", "juin 2025", "Tuesday June 2025", "Festival 2024 – part 2",
]


@pytest.fixture
def spied_fallback(monkeypatch):
    """Counts the strings handed to dateparser, still answering as it would."""
    handed = []
    real = dates._fallback.__wrapped__  # not the memo: every call must be seen

    def spy(text, languages):
        handed.append(text)
        return real(text, languages)

    monkeypatch.setattr(dates, "_fallback", spy)
    return handed


@pytest.mark.parametrize("raw", YEAR_BEARING_NON_DATES)
@pytest.mark.parametrize("languages", [None, ["en"], ["fr"], ["de", "es"]])
def test_a_year_without_a_date_is_not_handed_to_dateparser(raw, languages, spied_fallback):
    assert parse_date(raw, languages=languages, today=TODAY) is None
    assert spied_fallback == []


@pytest.mark.parametrize(
    ("raw", "languages", "expected"),
    [
        ("14 juin 2025", ["fr"], date(2025, 6, 14)),
        ("le 3 mars 2024", ["fr"], date(2024, 3, 3)),
        ("14 juin 2025", None, date(2025, 6, 14)),
        ("14. Juni 2025", ["de"], date(2025, 6, 14)),
        ("14 de junio de 2025", ["es"], date(2025, 6, 14)),
        ("14 de junio de 2025", None, date(2025, 6, 14)),
        ("14 giugno 2025", ["it"], date(2025, 6, 14)),
        ("14 fevrier 2025", ["fr"], date(2025, 2, 14)),  # accents dropped, as dateparser does
        ("June one, 2024", ["en"], date(2024, 6, 1)),  # a number word is a number
        ("2024年6月14日", None, date(2024, 6, 14)),  # no spaces between words: month "6月"
        ("14 VI 2025", None, date(2025, 6, 14)),  # a Roman month (Hungarian "vi")
        ("14 июня 2025", ["ru"], date(2025, 6, 14)),
        ("14 juin 2025 à 10:00", ["fr"], date(2025, 6, 14)),
    ],
)
def test_a_date_shape_still_reaches_dateparser(raw, languages, expected, spied_fallback):
    assert parse_date(raw, languages=languages, today=TODAY) == expected
    assert spied_fallback == [raw]


def test_an_unknown_language_is_left_to_dateparser(spied_fallback):
    # dateparser refuses the code itself; the shape check has no words to judge with
    assert parse_date("© 2024 Outlet", languages=["xx"], today=TODAY) is None
    assert spied_fallback == ["© 2024 Outlet"]


@pytest.mark.parametrize("raw", YEAR_BEARING_NON_DATES + ["14 juin 2025", "June one, 2024", "2024年6月14日",
                                                          "14 VI 2025", "Published 20250614", "le 3 mars 2024"])
@pytest.mark.parametrize("languages", [None, ("en",), ("fr",)])
def test_the_shape_check_never_refuses_what_dateparser_reads(raw, languages):
    if dates._fallback.__wrapped__(raw, languages) is not None:
        assert dates._could_be_date(raw, languages)


def test_dateparser_answers_are_remembered(monkeypatch):
    dates._fallback.cache_clear()
    calls = []
    real = dates._dateparser

    def counting(languages):
        calls.append(languages)
        return real(languages)

    monkeypatch.setattr(dates, "_dateparser", counting)
    for _ in range(3):
        assert parse_date("14 juin 2025", languages=["fr"], today=TODAY) == date(2025, 6, 14)
    assert parse_date("14 juin 2025", languages=["fr"], today=date(2025, 6, 1)) is None  # today still applies
    assert calls == [("fr",)]
    assert dates._fallback.cache_info().maxsize == dates.FALLBACK_MEMO_SIZE
    dates._fallback.cache_clear()


def test_iso_fast_path_rate():
    samples = ["2025-06-14T10:00:00Z", "2024-04-20T03:59:16.000Z", "2023-10-30 02:00:42",
               "2024-04-19T23:59:00-04:00"]
    calls = 20_000
    start = time.perf_counter()
    for i in range(calls):
        parse_date(samples[i % 4], today=TODAY)
    rate = calls / (time.perf_counter() - start)
    assert rate > 20_000, f"ISO fast path only {rate:,.0f} calls/s"


# ------------------------------------------------------------ real material (../shared)


def test_not_review_pages_published_times(shared_dir):
    expected = {
        "guardian-film-interview-2011.html": date(2011, 11, 18),
        "theguardian-2019-5fa3154e.html": date(2019, 11, 18),
        "indiewire-2019-3d8f3404.html": date(2019, 11, 13),
        "latimes-2019-098bb3e9.html": date(2019, 11, 20),
    }
    for filename, day in expected.items():
        page = (shared_dir / "pages" / "not-reviews" / filename).read_text(errors="replace")
        raw = re.search(r'property="article:published_time" content="([^"]+)"', page).group(1)
        assert parse_date(raw) == day, filename


def test_not_review_pages_json_ld_and_visible_dates(shared_dir):
    pages = shared_dir / "pages" / "not-reviews"
    hollywood = (pages / "hollywoodreporter-2019-8267acac.html").read_text(errors="replace")
    raw = re.search(r'"datePublished": "([^"]+)"', hollywood).group(1)
    assert parse_date(raw) == date(2019, 11, 19)

    nyt = (pages / "nytimes-2019-702d1da6.html").read_text(errors="replace")
    raw = re.search(r'name="pdate" content="(\d{8})"', nyt).group(1)
    assert parse_date(raw) == date(2019, 11, 18)

    telegraph = (pages / "telegraph-2019-88c328b6.html").read_text(errors="replace")
    raw = re.search(r'itemprop="datePublished" datetime="([^"]+)"', telegraph).group(1)
    assert parse_date(raw) == date(2019, 11, 19)


def test_nyt_api_dates(shared_dir):
    for path in sorted((shared_dir / "api" / "nyt").glob("*.json")):
        for result in json.loads(path.read_text(encoding="utf-8"))["results"]:
            published = parse_date(result["publication_date"])
            assert published is not None and published.isoformat() == result["publication_date"]


def test_publication_snippet_dates(shared_dir):
    guardian = (shared_dir / "publications" / "guardian" / "snippets.html").read_text()
    published = re.findall(r'"datePublished":"([^"]+)"', guardian)
    assert published and all(parse_date(raw) for raw in published)

    tribune = (shared_dir / "publications" / "chicagotribune" / "snippets.html").read_text()
    visible = re.search(r'<time datetime="(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})"', tribune)
    assert parse_date(visible.group(1)) == date(2024, 4, 19)

    variety = (shared_dir / "publications" / "variety" / "snippets.html").read_text()
    bogus = re.search(r'class="c-timestamp" datetime="([^"]+)"', variety)
    if bogus:  # the page's broken attribute ("00:00-YY-DD-MM") must not become a date
        assert parse_date(html.unescape(bogus.group(1))) is None
