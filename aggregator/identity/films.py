"""Which film a review is about: headlines to titles, "(2031)" to years, titles to keys.

Pure functions, no Scrapy; the rules are documented where they are made and pinned by
tests/test_names.py and tests/test_films.py. Precision first: a headline that matches no
review pattern gives no title, text with two different years gives no year.
"""

from __future__ import annotations

import html
import re
import unicodedata

from aggregator.strings import kept_when_short


@kept_when_short
def _clean(text: str) -> str:
    text = html.unescape(html.unescape(re.sub(r"<[^>]+>", " ", text)))
    text = unicodedata.normalize("NFC", text)
    text = re.sub(r"[\u00a0\u2000-\u200b\u202f\u205f\u3000]", " ", text)
    return re.sub(r"\s+", " ", text).strip()


# --- film titles -------------------------------------------------------------------------------

_QUOTE_PAIRS = {"‘": "’", "“": "”", "'": "'", '"': '"', "«": "»", "„": "“", "‚": "‘"}
_KIND = (r"(?:film|movie|cinema|tv|television|netflix|streaming|broadway|off-broadway|theater|"
         r"theatre|stage|musical|documentary|dvd|blu-ray|4k|\d{4})")
# Unquoted titles may end in "Movie"/"Film"/"Musical" ("Bee Movie", "High School Musical"),
# so only words that never end a film title are stripped before "review" there.
_KIND_AFTER_TITLE = r"(?:broadway|off-broadway|theater|theatre|tv|netflix|dvd|blu-ray|4k)"
_SEP = r"(?:[:|–—]|-(?=\s)|,)"
_PREFIX = re.compile(rf"^(?:{_KIND}\s+){{0,3}}review(?:ed)?\s*{_SEP}\s*(?P<rest>.+)$", re.I)
_REVIEW_AFTER_QUOTE = re.compile(
    rf"^\s*,?\s*(?:\(\s*\d{{4}}\s*\)\s*)?(?:{_KIND}\s+){{0,3}}review(?:ed)?\b", re.I)
_TRAILING = re.compile(
    rf"^(?P<title>.+?)\s*(?:[:|–—]|\s-)\s*(?:{_KIND}\s+)?review\s*$|^(?P<title2>.+?)\s*\(review\)$",
    re.I)
_SUFFIX = re.compile(
    rf"^(?P<title>.+?)\s+(?:\(\s*\d{{4}}\s*\)\s+)?(?:{_KIND_AFTER_TITLE}\s+){{0,2}}"
    rf"review(?:ed)?\s*(?:$|{_SEP}|\()", re.I)
# "Cannes Film Review: 'X'", "Sundance Review: “X”": the words before "Review:" name the
# festival or the section, the quoted title after it the film.
_LEAD_THEN_QUOTED = re.compile(r"^(?P<lead>[^'\"‘“:|]{1,40}?)\s+review\s*:\s*(?P<rest>['\"‘“].+)$", re.I)
_TITLE_SPLIT = re.compile(r"\s+[-–—]\s+|:\s+|\s+\|\s+")
_YEAR_PAREN = re.compile(r"\(\s*(\d{4})\s*(?:film|movie)?\s*\)|\[\s*(\d{4})\s*\]", re.I)
# Suffixes outlets add to og:title: NYT "(Published 2024)", Time Out's stars "(★★★)".
_HEADLINE_NOISE = re.compile(r"\s*\((?:published\s+\d{4}|[★☆✩✭✮✯½\s]+)\)\s*$", re.I)
# "Year in review", "Peer review", "Book review: …" name no film.
_NOT_TITLE_ENDINGS = {"in", "of", "for", "under", "to", "the", "a", "an", "and", "with", "on",
                      "at", "by", "peer", "judicial"}
_NOT_TITLES = {"book", "album", "game", "concert", "restaurant", "product", "performance",
               "annual", "year", "week", "month", "critics", "critic's", "critics'", "music"}
_MAX_UNQUOTED_WORDS = 6


def _first_quoted(text: str) -> tuple[str, int] | None:
    """(inside, end index) of the first quoted span; an apostrophe (’ followed by a letter or
    digit, as in "Boy’s" or "Naples ’44") never closes a quote."""
    for start, char in enumerate(text):
        close = _QUOTE_PAIRS.get(char)
        if close is None or (start and text[start - 1].isalnum()):
            continue
        end = start + 1
        while (end := text.find(close, end)) != -1:
            following = text[end + 1:end + 2]
            if close in "’'" and following.isalnum():
                end += 1
                continue
            break
        if end > start + 1:
            return text[start + 1:end], end + 1
    return None


def _tidy_title(title: str) -> str | None:
    title = _YEAR_PAREN.sub(" ", title)
    title = title.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    title = re.sub(r"\s+", " ", title).strip(" ,;:–—|-")
    if len(title) > 1 and title[0] == title[-1] and title[0] in "'\"":
        title = title[1:-1].strip(" ,")
    words = title.split()
    if not words or len(words) > 15 or not any(c.isalnum() for c in title):
        return None
    if words[-1].lower() in _NOT_TITLE_ENDINGS or title.lower() in _NOT_TITLES:
        return None
    return title


def _title_from_rest(rest: str) -> str | None:
    """The title inside a headline's text after "Review:": a quoted span, else a short head
    before a dash or colon, else the whole rest when short, else a short head before a comma.
    Sentences with no quoted title ("Review: Positions Wanted by …") give None."""
    quoted = _first_quoted(rest)
    if quoted:
        return _tidy_title(quoted[0])
    head = _TITLE_SPLIT.split(rest, maxsplit=1)[0]
    if head == rest:
        head = rest if len(rest.split()) <= _MAX_UNQUOTED_WORDS else rest.split(", ", 1)[0]
    return _tidy_title(head) if len(head.split()) <= _MAX_UNQUOTED_WORDS else None


def _unquoted_head(title: str) -> str | None:
    """A title that opens with a quoted span is that span ("'X' is a joy: Review" -> X)."""
    quoted = _first_quoted(title)
    if quoted and title[0] in _QUOTE_PAIRS:
        return _tidy_title(quoted[0])
    return _tidy_title(title)


def film_title_from_headline(headline: str) -> str | None:
    """The reviewed title in a review headline, or None when no review pattern matches.

    Patterns: "X review – …" (en/em dash, hyphen, colon), "X (2023) review", "'X' Review: …",
    "‘X’ Broadway review", "Review: X", "Film review: X", "Review | …", "X: Review",
    "X – review". Quotes and HTML entities are normalised; curly quotes inside the title
    become straight ("Naples ’44" -> "Naples '44"); a "(2023)" year is removed (see
    `year_from_text`). An unquoted "X film review" keeps "film" in the title.
    """
    if not isinstance(headline, str):
        return None
    return _headline_title(headline)


@kept_when_short
def _headline_title(headline: str) -> str | None:
    text = _HEADLINE_NOISE.sub("", _clean(headline))
    if not text:
        return None
    quoted = _first_quoted(text)
    if quoted and text[0] in _QUOTE_PAIRS and _REVIEW_AFTER_QUOTE.match(text[quoted[1]:]):
        return _tidy_title(quoted[0])
    prefix = _PREFIX.match(text)
    if prefix:
        return _title_from_rest(prefix.group("rest"))
    lead = _LEAD_THEN_QUOTED.match(text)
    if lead:
        return _title_from_rest(lead.group("rest"))
    trailing = _TRAILING.match(text)
    if trailing:
        return _unquoted_head(trailing.group("title") or trailing.group("title2"))
    suffix = _SUFFIX.match(text)
    if suffix:
        return _unquoted_head(suffix.group("title"))
    return None


def year_from_text(text: str | None) -> int | None:
    """The film year written as "(2023)", "(2023 film)" or "[2023]" in `text`; None when there
    is none, when it is outside 1880..2100, or when two different years appear."""
    if not isinstance(text, str):
        return None
    return _stated_year(text)


@kept_when_short
def _stated_year(text: str) -> int | None:
    years = {int(a or b) for a, b in _YEAR_PAREN.findall(_clean(text))}
    years = {y for y in years if 1880 <= y <= 2100}
    return years.pop() if len(years) == 1 else None


# --- film keys ---------------------------------------------------------------------------------

_ROMAN = re.compile(r"^(x{0,3})(ix|iv|v?i{0,3})$")
_NUMBER_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty".split())}
_COUNTED = {"part", "chapter", "volume", "vol", "episode", "book", "act", "phase", "season"}
_ARTICLES = {"the", "a", "an"}


def _roman_value(token: str) -> int | None:
    match = _ROMAN.match(token)
    if not token or not match:
        return None
    tens, units = match.groups()
    values = {"": 0, "i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7,
              "viii": 8, "ix": 9}
    return 10 * len(tens) + values[units]


def film_key(title: str) -> str:
    """A comparison key for a film title: case, diacritics, punctuation, a leading English
    article, "&"/"and", a "(2023)" year, Roman numerals ("Rocky II" -> "rocky 2"; a lone I, V
    or X only after "Part", "Chapter", … since "Malcolm X" and "I, Tonya" are words) and
    number words after "Part"/"Chapter"/… ("Part Two" -> "part 2") are folded. Every other
    word is kept, so "Strangers" and "All of Us Strangers" stay apart.

    Raises ValueError for a title with no letter or digit.
    """
    if not isinstance(title, str):
        raise ValueError(f"film title must be a string, not {type(title).__name__}")
    return _film_key(title)


@kept_when_short
def _film_key(title: str) -> str:
    text = _YEAR_PAREN.sub(" ", _clean(title))
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = text.replace("&", " and ")
    text = re.sub(r"(?<=\w)['’‘.\-‐/](?=\w)", "", text)  # Spider-Man, A.I., Self/less
    tokens = re.sub(r"[\W_]+", " ", text).split()
    if not tokens:
        raise ValueError(f"film title has no letter or digit: {title!r}")
    folded: list[str] = []
    for index, token in enumerate(tokens):
        after_counter = index > 0 and tokens[index - 1] in _COUNTED
        value = _roman_value(token)
        if value and (len(token) > 1 or after_counter):
            token = str(value)
        elif after_counter and token in _NUMBER_WORDS:
            token = str(_NUMBER_WORDS[token])
        folded.append(token)
    if len(folded) > 1 and folded[0] in _ARTICLES:
        folded = folded[1:]
    return " ".join(folded)
