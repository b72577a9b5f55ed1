"""A review's film from everything the page gave: title, year, external ids, and which of
several same-title films it is.

Title (`film_from_raw`), the first source that gives one, in this order:
1. the reviewed work (JSON-LD itemReviewed: its name);
2. `film_raw` (what the spider stored: itemReviewed's name or the headline), read as a
   headline when a review pattern matches, else as a plain title;
3. the headline, then the <title> tag, read with the headline patterns only
   (aggregator.identity.films.film_title_from_headline);
4. a tag or keyword naming the work "X (Movie)" / "X (Film)" / "X (2031 film)";
5. the first emphasised title (<em>, <i>, <cite>) of the standfirst.
Quotes and entities are normalised first (`clean_title`): curly quotes become straight, a
"(2031)" year and a "(Movie)" tag are removed, surrounding quotes are dropped.

Year: from the reviewed work (dateCreated, datePublished, copyrightYear, releasedEvent),
`film_year_raw`, and a "(2031)" in film_raw, the headline, the title tag or a keyword. It is
never invented: no source, no year; two sources that disagree, no year (reason
"year_conflict").

External ids (`external_ids`): IMDb "tt" + 7 or more digits, TMDb movie ids
(themoviedb.org/movie/<id>) and Wikidata items (wikidata.org/wiki/Q…, /entity/Q…), read from
sameAs values and links. A bare "tt1234567" is accepted (the form is unmistakable); a bare
"Q42" or number is not. Two different ids of one kind cancel each other: none is kept.

Choice among same-title films (`choose_film`): an external id shared with exactly one
candidate decides; else a year the review states; else the publication date, since a review
appears from the year before a film's year (festival screenings) to two years after it
(late releases, home video): `review_window`. One candidate inside the window is chosen;
none or several give None, and so does a lone candidate outside the window (a retrospective
of a classic or the review of an unknown remake: not to be guessed).
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from aggregator.identity.films import film_key, film_title_from_headline, year_from_text

WINDOW_BEFORE = 1
"""A review may appear this many calendar years before the film's year (festivals)."""
WINDOW_AFTER = 2
"""… and this many after it (late releases, home video)."""

_IMDB = re.compile(r"(?:^|imdb\.com/(?:[a-z]{2}/)?title/)(tt\d{7,})(?![\d])", re.I)
_TMDB = re.compile(r"themoviedb\.org/(?:[a-z]{2}(?:-[a-z]{2})?/)?movie/(\d+)(?![\d])", re.I)
_WIKIDATA = re.compile(r"wikidata\.org/(?:wiki|entity)/(Q\d+)(?![\d])", re.I)
_EMPHASIS = re.compile(r"<(em|i|cite)\b[^>]*>(.*?)</\1\s*>", re.I | re.S)
_KIND_TAG = re.compile(r"^(?P<title>.+?)\s*\(\s*(?:(?P<year>\d{4})\s+)?(?:movie|film)\s*\)$", re.I)
_YEAR_AT_START = re.compile(r"^\s*(\d{4})(?:\b|-)")
_SUFFIX_YEAR = re.compile(r"\s*[(\[]\s*\d{4}\s*(?:film|movie)?\s*[)\]]\s*$", re.I)
_SUFFIX_KIND = re.compile(r"\s*\(\s*(?:movie|film)\s*\)\s*$", re.I)
_QUOTES = str.maketrans({"‘": "'", "’": "'", "‚": "'", "“": '"', "”": '"', "„": '"',
                         "«": '"', "»": '"'})


def clean_title(raw: str | None) -> str | None:
    """A plain title from a raw one: tags and entities decoded, NFC, curly quotes straight,
    a trailing "(2031)"/"(Movie)" and surrounding quotes removed; None when nothing with a
    letter or digit is left."""
    if not isinstance(raw, str):
        return None
    text = html.unescape(html.unescape(re.sub(r"<[^>]+>", " ", raw)))
    text = unicodedata.normalize("NFC", text).translate(_QUOTES)
    text = " ".join(text.split())
    for _ in range(2):
        text = _SUFFIX_KIND.sub("", _SUFFIX_YEAR.sub("", text)).strip()
    if len(text) > 1 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1].strip()
    return text if any(c.isalnum() for c in text) else None


def _year(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        year = value
    elif isinstance(value, (date, datetime)):
        year = value.year
    elif isinstance(value, dict):
        return _year(value.get("startDate") or value.get("datePublished"))
    elif isinstance(value, str):
        match = _YEAR_AT_START.match(value)
        year = int(match.group(1)) if match else year_from_text(value)
    else:
        return None
    return year if year is not None and 1880 <= year <= 2100 else None


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return _strings(value.get("@id") or value.get("url") or value.get("name"))
    if isinstance(value, (list, tuple, set, frozenset)):
        return [s for item in value for s in _strings(item)]
    return []


def external_ids(values: Any) -> dict[str, str]:
    """{"imdb": "tt…", "tmdb": "<digits>", "wikidata": "Q…"} from sameAs values and links
    (strings, lists, {"@id"/"url"} objects); a kind with two different ids is left out."""
    found: dict[str, set[str]] = {"imdb": set(), "tmdb": set(), "wikidata": set()}
    for text in _strings(values):
        text = text.strip()
        for kind, pattern in (("imdb", _IMDB), ("tmdb", _TMDB), ("wikidata", _WIKIDATA)):
            match = pattern.search(text)
            if match and (kind != "imdb" or match.start(1) > 0 or match.group(0) == text):
                found[kind].add(match.group(1).lower() if kind == "imdb" else
                                match.group(1).upper() if kind == "wikidata" else match.group(1))
    return {kind: ids.pop() for kind, ids in found.items() if len(ids) == 1}


@dataclass(frozen=True)
class FilmGuess:
    title: str | None
    year: int | None
    key: str | None
    ids: dict[str, str] = field(default_factory=dict)
    title_source: str | None = None
    """"item_reviewed", "film_raw", "headline", "title_tag", "keywords", "standfirst"."""
    reason: str = "ok"
    """"ok", "no_title", or "year_conflict" (the sources disagree: no year is kept)."""


def _title_from_keywords(keywords: Iterable[str]) -> tuple[str | None, int | None]:
    titles = {}
    for keyword in keywords:
        match = _KIND_TAG.match(keyword.strip()) if isinstance(keyword, str) else None
        if match and (title := clean_title(match.group("title"))):
            year = int(match["year"]) if match["year"] else None
            titles.setdefault(film_key(title), (title, year))
    return next(iter(titles.values())) if len(titles) == 1 else (None, None)


def _title_from_standfirst(standfirst: str) -> str | None:
    match = _EMPHASIS.search(standfirst)
    return clean_title(match.group(2)) if match else None


def film_from_raw(
    item_reviewed: Any = None, *, film_raw: str | None = None, headline: str | None = None,
    title_tag: str | None = None, keywords: Iterable[str] = (), standfirst: str | None = None,
    year_raw: str | None = None, ids_raw: Iterable[str] = (),
) -> FilmGuess:
    """The review's film from the page's raw values (rules in the module docstring).
    `item_reviewed` is the JSON-LD itemReviewed object (or its name as a string)."""
    work = item_reviewed if isinstance(item_reviewed, dict) else {}
    work_name = work.get("name") if work else item_reviewed
    keywords = [k for k in (keywords or ()) if isinstance(k, str)]
    keyword_title, keyword_year = _title_from_keywords(keywords)
    candidates = [
        ("item_reviewed", clean_title(work_name if isinstance(work_name, str) else None)),
        ("film_raw", film_title_from_headline(film_raw) or clean_title(film_raw)
         if isinstance(film_raw, str) else None),
        ("headline", film_title_from_headline(headline)),
        ("title_tag", film_title_from_headline(title_tag)),
        ("keywords", keyword_title),
        ("standfirst", _title_from_standfirst(standfirst) if isinstance(standfirst, str) else None),
    ]
    title, source, key = None, None, None
    for source_name, candidate in candidates:
        candidate = clean_title(candidate)
        if candidate:
            try:
                key = film_key(candidate)
            except ValueError:
                continue
            title, source = candidate, source_name
            break
    years = {y for y in (
        *(_year(work.get(k)) for k in ("dateCreated", "datePublished", "copyrightYear",
                                       "releasedEvent")),
        _year(year_raw), keyword_year,
        *(year_from_text(t) for t in (film_raw, headline, title_tag, work_name)
          if isinstance(t, str)),
    ) if y is not None}
    ids = external_ids([*_strings(work.get("sameAs")), *_strings(work.get("url")),
                        *_strings(work.get("@id")), *_strings(list(ids_raw or ()))])
    if title is None:
        return FilmGuess(None, None, None, ids, None, "no_title")
    if len(years) > 1:
        return FilmGuess(title, None, key, ids, source, "year_conflict")
    return FilmGuess(title, years.pop() if years else None, key, ids, source, "ok")


# --- choosing among same-title films -------------------------------------------------------------


@dataclass(frozen=True)
class FilmCandidate:
    """A known film the review may be about (e.g. a row of the store)."""

    year: int | None
    ids: dict[str, str] = field(default_factory=dict)
    title: str | None = None
    id: Any = None


def review_window(film_year: int) -> tuple[int, int]:
    """The calendar years (first, last) in which reviews of a film of `film_year` appear."""
    return film_year - WINDOW_BEFORE, film_year + WINDOW_AFTER


def _attribute(candidate: Any, name: str, default=None):
    if isinstance(candidate, dict):
        return candidate.get(name, default)
    return getattr(candidate, name, default)


def explain_film_choice(
    candidates: Sequence[Any], published: date | None, *, year: int | None = None,
    ids: dict[str, str] | None = None,
) -> tuple[Any | None, str]:
    """(chosen candidate or None, reason). Reasons: "external_id", "stated_year",
    "publication_date", "only_candidate" (one candidate, nothing against it) when chosen;
    "no_candidates", "id_conflict", "year_mismatch", "outside_window", "ambiguous" when not.
    Candidates are `FilmCandidate`s, or any objects / dicts with `year` and optional `ids`."""
    candidates = list(candidates or ())
    if not candidates:
        return None, "no_candidates"
    if ids:
        matching = [c for c in candidates
                    if any((_attribute(c, "ids") or {}).get(k) == v for k, v in ids.items())]
        if len(matching) == 1:
            return matching[0], "external_id"
        if len(matching) > 1:
            return None, "id_conflict"
        # a candidate carrying another id of the same kind is another film
        candidates = [c for c in candidates if all(
            (_attribute(c, "ids") or {}).get(k) in (None, v) for k, v in ids.items())]
        if not candidates:
            return None, "no_candidates"
    if year is not None:
        stated = [c for c in candidates if _attribute(c, "year") == year]
        if len(stated) == 1:
            return stated[0], "stated_year"
        return None, "ambiguous" if stated else "year_mismatch"
    if isinstance(published, datetime):
        published = published.date()
    if isinstance(published, date):
        inside = [c for c in candidates if isinstance(_attribute(c, "year"), int)
                  and review_window(_attribute(c, "year"))[0] <= published.year
                  <= review_window(_attribute(c, "year"))[1]]
        if len(inside) == 1:
            return inside[0], "publication_date"
        return None, "ambiguous" if inside else "outside_window"
    if len(candidates) == 1:
        return candidates[0], "only_candidate"
    return None, "ambiguous"


def choose_film(
    candidates: Sequence[Any], published: date | None, *, year: int | None = None,
    ids: dict[str, str] | None = None,
) -> Any | None:
    """The candidate film a review is about, or None when the evidence does not single one
    out (rules in the module docstring; `explain_film_choice` gives the reason)."""
    return explain_film_choice(candidates, published, year=year, ids=ids)[0]


_REMAKE = re.compile(r"\b(?:remake|remade|reboot|rebooted|reimagining|re-imagining)\b", re.I)


def doubt_about_only_film(film_year: int | None, published: date | None, *texts: str | None) -> str | None:
    """Why a review stating no year should NOT join the only dated film of its title, or None:
    "remake" when the page says it reviews a remake or reboot, "outside_window" when it was
    published outside the years reviews of that film appear (`review_window`: decades later
    is a retrospective or a new film of the same title, not to be guessed)."""
    if film_year is None:
        return None
    if any(isinstance(t, str) and _REMAKE.search(t) for t in texts):
        return "remake"
    if isinstance(published, datetime):
        published = published.date()
    if isinstance(published, date):
        first, last = review_window(film_year)
        if not first <= published.year <= last:
            return "outside_window"
    return None
