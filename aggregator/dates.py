"""Publication dates: fast paths for the shapes pages actually use, dateparser last.

Rules, chosen so that a stored date is never a guess:
- A datetime with an offset gives the calendar date in its OWN offset, as the page wrote it
  ("2024-04-19T23:59:00-04:00" -> 2024-04-19; "2024-04-20T03:59:16Z" -> 2024-04-20).
- Day, month and year must all be present: "June 2025" gives None, not June 1st.
- Relative expressions ("yesterday", "3 days ago") give None: their date depends on when the
  parser runs, so a re-normalisation would change them.
- All-numeric dates are read only when unambiguous ("31/12/2024", "2024/12/31"); "03/04/2025"
  gives None unless the caller passes `date_order` ("DMY" or "MDY") for the outlet.
- A date later than today + 1 day, or before 1880, gives None (a misparse, not a review).
- The first complete date in the string is taken ("Published April 11, 2024 Updated …").

dateparser reads what the fast paths do not (other languages, odd spellings), but it costs
0.2–20 ms a string, most of it spent trying every language on text that is no date at all
("© 2024 Outlet", "Top 10 films of 2023"). Only a string of a date's shape reaches it: with
the day, month and year it must find, that is three numbers, or two and a month name of one
of the languages it would try (`_could_be_date`). Its answers are remembered per
(text, languages), bounded (`FALLBACK_MEMO_SIZE`): a crawl meets the same strings again.
"""

from __future__ import annotations

import email.utils
import re
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from typing import NamedTuple

EARLIEST = date(1880, 1, 1)
FALLBACK_MEMO_SIZE = 4096
MAX_LENGTH = 200
"""Longer strings are not date strings but text; they give None instead of a slow parse."""

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
            ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
            ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>\d{4})"
_ENGLISH = (
    re.compile(rf"(?<![\w-]){_DAY}\.?\s+(?:of\s+)?{_MONTH},?\s+{_YEAR}(?!\d)", re.IGNORECASE),
    re.compile(rf"(?<![\w-]){_MONTH}\s+{_DAY},?\s+{_YEAR}(?!\d)", re.IGNORECASE),
)
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}(?::?\d{2}(?::?\d{2}(?:[.,]\d+)?)?)?)?"
                  r"\s*(?:Z|[+-]\d{2}(?::?\d{2})?)?$", re.IGNORECASE)
_BASIC = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_EPOCH = re.compile(r"^\d{10}(?:\d{3})?$")
_NUMERIC = re.compile(r"^(\d{1,4})[/.-](\d{1,2})[/.-](\d{1,4})(?:[ T,].*)?$")
_RFC2822 = re.compile(r"^(?:[a-z]{3},\s*)?\d{1,2}\s+[a-z]{3}\s+\d{4}\s+\d{1,2}:\d{2}", re.I)
_DATEPARSER_SETTINGS = {
    "PREFER_DATES_FROM": "past",
    "PREFER_DAY_OF_MONTH": "first",  # moot with REQUIRE_PARTS, kept for safety
    "REQUIRE_PARTS": ["day", "month", "year"],
    "RETURN_AS_TIMEZONE_AWARE": False,
    "PARSERS": ["custom-formats", "absolute-time"],  # no "relative-time", no "timestamp"
}


def _checked(value: date | None, today: date) -> date | None:
    if value is None or not EARLIEST <= value <= today + timedelta(days=1):
        return None
    return value


def _make_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _iso(text: str) -> date | None:
    try:
        return datetime.fromisoformat(text.replace(" Z", "Z").replace("z", "Z")).date()
    except ValueError:
        return None


def _numeric(text: str, date_order: str | None) -> date | None:
    match = _NUMERIC.match(text)
    if not match:
        return None
    first, second, third = match.groups()
    if len(first) == 4:
        return _make_date(int(first), int(second), int(third))
    if len(third) != 4:
        return None  # two-digit years are ambiguous centuries
    a, b, year = int(first), int(second), int(third)
    if a > 12 and b <= 12:
        return _make_date(year, b, a)
    if b > 12 and a <= 12:
        return _make_date(year, a, b)
    if a == b:
        return _make_date(year, a, b)
    if date_order == "DMY":
        return _make_date(year, b, a)
    if date_order == "MDY":
        return _make_date(year, a, b)
    return None


def _english(text: str) -> date | None:
    found = [(m.start(), m) for pattern in _ENGLISH for m in [pattern.search(text)] if m]
    if not found:
        return None
    match = min(found, key=lambda pair: pair[0])[1]
    month = _MONTHS[match.group("month").lower()]
    return _make_date(int(match.group("year")), month, int(match.group("day")))


@lru_cache(maxsize=32)
def _dateparser(languages: tuple[str, ...] | None):
    from dateparser.date import DateDataParser  # slow import (~0.3 s), paid only on fallback

    return DateDataParser(languages=list(languages) if languages else None,
                          settings=_DATEPARSER_SETTINGS)


@lru_cache(maxsize=FALLBACK_MEMO_SIZE)
def _fallback(text: str, languages: tuple[str, ...] | None) -> date | None:
    try:
        parsed = _dateparser(languages).get_date_data(text)
    except Exception:  # dateparser raises assorted errors on odd input; it is only a fallback
        return None
    if parsed is None or parsed.date_obj is None or parsed.period != "day":
        return None
    return parsed.date_obj.date()


# ------------------------------------------------------------------ the shape of a date
# dateparser accepts a language for a string only when every word of it is a word of that
# language, split where its dictionary's words are bounded by non-letters; months come from
# a month name or a number, days from a number (a number word among its "simplifications",
# "one" -> "1", counts). So a string it can read as a day, month and year holds three
# numbers, or two and a month name of a language it tries. The check below asks no more
# than that, on the text made as dateparser makes it (sanitised, accents stripped, lower
# case), and errs towards "could be": a wrong "could be" costs time, a wrong "cannot" a date.

_MONTH_KEYS = ("january", "february", "march", "april", "may", "june", "july", "august",
               "september", "october", "november", "december")
_LETTER_VARIANTS = str.maketrans("یک", "يك")  # Persian/Arabic letters dateparser equates
_DIGIT_RUN = re.compile(r"\d+")
_BACKREFERENCE = re.compile(r"\\\d")


class _DateWords(NamedTuple):
    """What a date in the languages dateparser tries can be written with."""

    months: frozenset[str]  # month names that are one run of letters
    month_phrases: tuple[str, ...]  # the others ("de novembre", "thg 12", "6月"): substrings
    number_words: dict[str | None, object]  # `regex` patterns by the letter a match starts with
    numbers_made: dict[str, int]  # how many numbers each of their alternatives writes
    letter_runs: object  # a compiled `regex` pattern: runs of letters as dateparser splits them


def _leading_letter(pattern: str) -> str | None:
    """The letter every match of a simplification `pattern` starts with, or None when it is
    not that simple (a group or a class first, a quantified letter, a top-level "|")."""
    at = 0
    while pattern.startswith(("(?<!", "(?<=", "(?=", "(?!"), at):  # zero-width: skip it
        at = _group_end(pattern, at) + 1
    rest = pattern[at:]
    if "|" in rest and _has_top_level_bar(rest):
        return None
    if rest[:1].isalpha() and rest[1:2] not in ("?", "*", "{"):
        return rest[0].lower()
    return None


def _group_end(pattern: str, start: int) -> int:
    depth, at = 0, start
    while at < len(pattern):
        char = pattern[at]
        if char == "\\":
            at += 2
            continue
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0:
            return at
        at += 1
    return len(pattern)


def _has_top_level_bar(pattern: str) -> bool:
    depth, at = 0, 0
    while at < len(pattern):
        char = pattern[at]
        if char == "\\":
            at += 2
            continue
        depth += {"(": 1, "[": 1, ")": -1, "]": -1}.get(char, 0)
        if char == "|" and depth == 0:
            return True
        at += 1
    return False


@lru_cache(maxsize=32)
def _date_words(languages: tuple[str, ...] | None) -> _DateWords | None:
    """The month names and number words of the locales dateparser tries for `languages`,
    from its own data; None when it knows no such languages (it will refuse them itself)."""
    import regex  # dateparser's own regex engine: the same idea of a letter as its splitter
    from dateparser.languages.loader import default_loader
    from dateparser.utils import normalize_unicode

    try:
        locales = list(default_loader.get_locales(languages=list(languages) if languages else None))
    except Exception:  # an unknown language code: dateparser raises the same on construction
        return None
    runs = regex.compile(r"[^\W\d_]+", regex.UNICODE)
    months: set[str] = set()
    phrases: set[str] = set()
    numbers: dict[str | None, list[str]] = {}
    numbers_made: dict[str, int] = {}
    for locale in locales:
        spaced = not locale.info.get("no_word_spacing")
        for key in _MONTH_KEYS:
            for word in locale.info.get(key, ()):
                word = normalize_unicode(word).lower().translate(_LETTER_VARIANTS)
                if spaced and runs.fullmatch(word):
                    months.add(word)
                elif word:
                    phrases.add(word)
        for simplification in locale.info.get("simplifications", ()):
            pattern, replacement = next(iter(simplification.items()))
            made = len(_DIGIT_RUN.findall(_BACKREFERENCE.sub("", str(replacement))))
            if not made:
                continue
            pattern = normalize_unicode(pattern)
            name = f"n{len(numbers_made)}"
            numbers_made[name] = made
            bounded = rf"(?<=\A|\W|_)(?:{pattern})(?=\Z|\W|_)" if spaced else f"(?:{pattern})"
            numbers.setdefault(_leading_letter(pattern) if spaced else None, []).append(
                f"(?P<{name}>{bounded})")
    number_words = {letter: regex.compile("|".join(group), regex.IGNORECASE | regex.UNICODE)
                    for letter, group in numbers.items()}
    return _DateWords(frozenset(months), tuple(sorted(phrases)), number_words, numbers_made, runs)


def _number_words(made: str, runs: list[str], words: _DateWords) -> int:
    """How many numbers dateparser's number words ("one", "первое") write into `made`."""
    found = 0
    for letter in {None, *(run[0] for run in runs)}:
        pattern = words.number_words.get(letter)
        if pattern is not None:
            found += sum(words.numbers_made[match.lastgroup] for match in pattern.finditer(made))
    return found


def _could_be_date(text: str, languages: tuple[str, ...] | None) -> bool:
    """False when dateparser, asked for `languages`, cannot find a day, month and year in
    `text`: fewer than two numbers, or two and no month name."""
    words = _date_words(languages)
    if words is None:
        return True  # not ours to judge: dateparser decides (and refuses the language)
    from dateparser.date import sanitize_date
    from dateparser.utils import normalize_unicode

    made = normalize_unicode(sanitize_date(text)).lower().translate(_LETTER_VARIANTS)
    # a run of five or more digits may hold a whole date ("20250614"): count it as three
    numbers = sum(1 if len(run) < 5 else 3 for run in _DIGIT_RUN.findall(made))
    if numbers >= 3:
        return True
    runs = words.letter_runs.findall(made)
    month = (any(run in words.months for run in runs)
             or any(phrase in made for phrase in words.month_phrases))
    needed = (2 if month else 3) - numbers
    return needed <= 0 or _number_words(made, runs, words) >= needed


def parse_date(
    raw: str | None,
    *,
    languages: list[str] | tuple[str, ...] | None = None,
    date_order: str | None = None,
    today: date | None = None,
) -> date | None:
    """The calendar date in `raw`, or None (rules in the module docstring).

    `languages`: ISO 639-1 codes for the dateparser fallback ("14 juin 2025" needs ["fr"]);
    `date_order`: "DMY" or "MDY" to read ambiguous all-numeric dates of a known outlet;
    `today`: the reference for the "not in the future" check (default: the local date).
    """
    if not isinstance(raw, str):
        return None
    text = " ".join(raw.split())  # every Unicode space (no-break ones too) as one; ~5x re.sub
    if not text or len(text) > MAX_LENGTH:
        return None
    if date_order not in (None, "DMY", "MDY"):
        raise ValueError(f"date_order must be 'DMY' or 'MDY', not {date_order!r}")
    today = today or date.today()

    if _ISO.match(text):
        return _checked(_iso(text), today)
    if basic := _BASIC.match(text):
        return _checked(_make_date(*map(int, basic.groups())), today)
    if _EPOCH.match(text):
        seconds = int(text[:10])  # a 13-digit value is milliseconds
        return _checked(datetime.fromtimestamp(seconds, tz=timezone.utc).date(), today)
    if _NUMERIC.match(text):
        return _checked(_numeric(text, date_order), today)
    if _RFC2822.match(text):
        try:
            return _checked(email.utils.parsedate_to_datetime(text).date(), today)
        except (TypeError, ValueError, IndexError):
            pass
    if not languages or "en" in languages:
        english = _english(text)
        if english is not None:
            return _checked(english, today)
    if not re.search(r"\d{4}", text):
        return None  # no year, nothing complete to read: "TBD", "yesterday-ish", "June 14"
    languages = tuple(languages) if languages else None
    if not _could_be_date(text, languages):
        return None  # a year and no date around it: "© 2024 Outlet", "Top 10 films of 2023"
    return _checked(_fallback(text, languages), today)
