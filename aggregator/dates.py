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
"""

from __future__ import annotations

import email.utils
import re
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache

EARLIEST = date(1880, 1, 1)
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


def _fallback(text: str, languages: tuple[str, ...] | None) -> date | None:
    try:
        parsed = _dateparser(languages).get_date_data(text)
    except Exception:  # dateparser raises assorted errors on odd input; it is only a fallback
        return None
    if parsed is None or parsed.date_obj is None or parsed.period != "day":
        return None
    return parsed.date_obj.date()


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
    text = re.sub(r"\s+", " ", raw.replace("\u00a0", " ")).strip()
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
    return _checked(_fallback(text, tuple(languages) if languages else None), today)
