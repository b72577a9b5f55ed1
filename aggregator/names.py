"""Who wrote it, about which film: bylines to people, headlines to film titles, titles to keys.

Pure functions, no Scrapy. First versions (issue 4 holds the deep ones): each rule below is a
deliberate choice, documented where it is made, and the tests pin it.

Canonical person names:
- Unicode NFC; whitespace collapsed; e-mail addresses, @handles, URLs and parentheses removed.
- Initials are written "A. O. Scott": a period after each initial and one space between them
  ("A.O. SCOTT", "A.O. Scott", "A O Scott" all become "A. O. Scott").
- Case is restored only for ALL-CAPS names ("GLENN KENNY" -> "Glenn Kenny"); a name in mixed
  case is kept as printed, since "DeShawn", "bell hooks" or "De Niro" cannot be re-derived.
  Restoring: "Mc" + capital ("MCDONAGH" -> "McDonagh"; "Mac" is left alone: Mack, Macey),
  one-letter prefixes before an apostrophe ("O'BRIEN" -> "O'Brien", "D'ANGELO"), each part
  of a hyphenated name, and the particles de, van, von, der, … in lower case when they stand
  between other words ("JAN VAN DER BERG" -> "Jan van der Berg").
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable

# --- bylines -----------------------------------------------------------------------------------

_TAG = re.compile(r"<[^>]+>")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
_HANDLE = re.compile(r"(?<![\w@])@\w{1,30}")
_BRACKETS = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")
_LABEL = re.compile(r"^(?:authors?|critics?|reviewers?|bylines?)\s*:\s*", re.IGNORECASE)
_BY_PREFIX = re.compile(
    r"^(?:(?:[^\W\d_]+\s+){0,3}?(?:review(?:ed|s)?|written|words|posted|story|text|"
    r"report(?:ed|ing)?|compiled|edited|interview(?:ed)?)\s+)?by\b[:\s]*",
    re.IGNORECASE,
)
_SEGMENTS = re.compile(r"\s*[|•·]\s*|\s+[-–—]\s+")
_PEOPLE = re.compile(r"\s*[,;]\s*(?:and\s+)?|\s+(?:and|with)\s+|\s*&\s*", re.IGNORECASE)
_AFFILIATION = re.compile(r"(?:^|\s+)(?:for|at|from|special\s+to)\s+\S.*$", re.IGNORECASE)
_NAME_SUFFIXES = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"}
_ROLE_NOUNS = {
    "critic", "critics", "writer", "writers", "editor", "reporter", "reporters",
    "correspondent", "columnist", "contributor", "reviewer", "journalist", "blogger",
    "producer", "photographer",
}
_PARTICLES = {"de", "del", "della", "der", "den", "di", "da", "das", "do", "dos", "du", "la",
              "le", "van", "von", "ten", "ter", "y", "bin", "ibn", "al"}
# "A.O." -> "A. O."; a lone capital ("Daniel M Gold") gets its period. Letters after an
# apostrophe are never initials ("Rosa's").
_JOINED_INITIALS = re.compile(r"(?<![^\W\d_])(?<!['’])([^\W\d_])\.\s*(?=[^\W\d_])")
_LONE_INITIAL = re.compile(r"(?<![^\W\d_])(?<!['’])([^\W\d_])(?![\w.'’-])")
_NAME_CHARS = re.compile(r"^[^\W\d_]+(?:[.'’\-\s][^\W\d_]*)*$")


def _clean(text: str) -> str:
    text = html.unescape(html.unescape(_TAG.sub(" ", text)))
    text = unicodedata.normalize("NFC", text)
    text = re.sub(r"[\u00a0\u2000-\u200b\u202f\u205f\u3000]", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def _is_role(chunk: str) -> bool:
    words = re.findall(r"[^\W\d_]+", chunk.lower())
    return bool(words) and words[-1] in _ROLE_NOUNS


def _capitalise_word(word: str, position: int, count: int) -> str:
    lower = word.lower()
    if lower in _PARTICLES and 0 < position < count - 1:
        return lower
    parts = re.split(r"([-'’])", lower)
    out = []
    for index, part in enumerate(parts):
        if part in ("-", "'", "’") or not part:
            out.append(part)
        elif index >= 2 and parts[index - 1] in ("'", "’") and len(parts[index - 2]) > 1:
            out.append(part)  # possessive-like tail ("rosa's") stays lower
        elif part.startswith("mc") and len(part) > 2:
            out.append("Mc" + part[2:].capitalize())
        else:
            out.append(part.capitalize())
    return "".join(out)


def canonical_person_name(name: str) -> str:
    """One spelling of a person's name (rules in the module docstring); "" when none is left."""
    text = _clean(name).strip(" \t\"'“”‘’«»,;:-–—")
    text = _JOINED_INITIALS.sub(r"\1. ", text)
    text = _LONE_INITIAL.sub(lambda m: m[1] + "." if m[1].isupper() else m[1], text)
    letters = [c for c in text if c.isalpha()]
    if len(letters) > 1 and all(c.isupper() for c in letters):
        words = text.split(" ")
        text = " ".join(_capitalise_word(w, i, len(words)) for i, w in enumerate(words))
    return unicodedata.normalize("NFC", text)


def _people_in(segment: str) -> list[str]:
    chunks = [c for c in _PEOPLE.split(segment) if c and c.strip()]
    names: list[str] = []
    for chunk in chunks:
        chunk = _AFFILIATION.sub("", chunk.strip()).strip(" ,")
        last = chunk.rsplit(" ", 1)[-1]
        if chunk.endswith(".") and len(last) > 2 and last.lower() not in _NAME_SUFFIXES:
            chunk = chunk[:-1]  # a sentence's full stop, not an initial's or "Jr."
        if not chunk or _is_role(chunk):
            continue
        if chunk.lower() in _NAME_SUFFIXES and names:
            names[-1] = f"{names[-1]} {chunk}"
            continue
        if not _NAME_CHARS.match(chunk) or len(chunk.split()) > 6:
            continue
        names.append(chunk)
    return names


def split_byline(raw: str) -> list[str]:
    """The people named by one byline string, in canonical form and printed order.

    "By GLENN KENNY and Jane Doe" -> ["Glenn Kenny", "Jane Doe"]. Prefixes ("By", "Reviewed
    by", "Theatre review by"), roles after a comma ("Chief Film Critic"), affiliations ("for
    The Guardian"), trailing parts after "|" or a spaced dash (dates, outlet), e-mail
    addresses and handles are removed. Site accounts ("Staff") are NOT judged here: see
    `is_site_account`. A string with no name-shaped part gives [].
    """
    if not isinstance(raw, str):
        return []
    text = _clean(raw)
    text = _EMAIL.sub(" ", text)
    text = _URL.sub(" ", text)
    text = _HANDLE.sub(" ", text)
    text = _BRACKETS.sub(" ", text)
    text = re.sub(r"\s+", " ", text).strip()
    text = _BY_PREFIX.sub("", _LABEL.sub("", text))
    for segment in _SEGMENTS.split(text):
        people = [canonical_person_name(p) for p in _people_in(_BY_PREFIX.sub("", segment))]
        people = [p for p in people if p]
        if people:
            return people
    return []


# --- site accounts -----------------------------------------------------------------------------

_ACCOUNTS = {
    "staff", "editorial", "editors", "editor", "admin", "administrator", "contributor",
    "contributors", "guest", "guest author", "guest contributor", "guest writer", "guest post",
    "web desk", "news desk", "desk", "newsroom", "team", "editorial team", "editorial staff",
    "editorial board", "staff writer", "staff reporter", "staff report", "wire", "wire services",
    "wire reports", "press release", "sponsored", "sponsored content", "partner content",
    "anonymous", "unknown", "author", "webmaster", "site editor", "reviewer", "critic",
    "our critic", "film critic", "associated press", "ap", "reuters", "afp",
    "agence france presse", "pa", "pa media", "press association", "tribune news service",
}
_ACCOUNT_LAST_WORDS = {"staff", "desk", "team", "editors", "newsroom", "reporters",
                       "contributors", "admin", "administrator", "webmaster"}
_DESK_WORDS = {"sport", "sports", "news", "film", "films", "movies", "culture", "arts",
               "entertainment", "reviews", "online", "digital", "web", "magazine", "staff",
               "desk", "team", "editors", "uk", "us"}
_DOMAIN_LIKE = re.compile(r"^[\w-]+(?:\.[\w-]+)*\.[a-z]{2,24}$", re.IGNORECASE)


def _words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKD", _clean(text).casefold().replace("&", " and "))
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"(?<=\w)['’.](?=\w)", "", text)
    return re.findall(r"\w+", text)


def _outlet_forms(publication: str) -> set[str]:
    """Squashed spellings an account may use for an outlet: "The Guardian" -> guardian,
    theguardian; "theguardian.com" -> theguardian, theguardiancom."""
    text = publication.strip()
    forms = set()
    if _DOMAIN_LIKE.match(text):
        host = text.lower().removeprefix("www.")
        forms.add(re.sub(r"\W", "", host.split(".")[0]))
    words = _words(text)
    if words:
        forms.add("".join(words))
        if words[0] == "the" and len(words) > 1:
            forms.add("".join(words[1:]))
    return forms


def is_site_account(name: str, publication_names: Iterable[str] = ()) -> bool:
    """True when a byline names no person: a generic account ("Staff", "Editorial", "Web
    Desk", "Variety Staff"), a news agency, a domain, or the outlet itself ("the Guardian",
    "Telegraph Sport", "theguardian.com") given `publication_names` (names and domains)."""
    if not isinstance(name, str):
        return True
    text = _clean(name)
    if not text or _EMAIL.fullmatch(text) or _DOMAIN_LIKE.match(text) or _URL.match(text):
        return True
    words = _words(text)
    if not words:
        return True
    if words[0] == "the" and len(words) > 1:
        words = words[1:]
    if " ".join(words) in _ACCOUNTS or words[-1] in _ACCOUNT_LAST_WORDS:
        return True
    outlets = set().union(*(_outlet_forms(p) for p in publication_names if isinstance(p, str)))
    while words:
        if "".join(words) in outlets or "the" + "".join(words) in outlets:
            return True
        if words[-1] not in _DESK_WORDS:
            return False
        words = words[:-1]
    return False


def critics_from_raw(
    raw_list: Iterable[str], publication_names: Iterable[str] = ()
) -> tuple[list[str], list[str]]:
    """(canonical critic names, dropped strings that name no person), each de-duplicated
    with first-seen order kept. A raw string with no person in it is dropped whole; from
    "Jane Doe and Staff" only "Staff" is dropped."""
    outlets = [p for p in publication_names if isinstance(p, str)]
    critics: list[str] = []
    dropped: list[str] = []
    seen: set[str] = set()

    def drop(text: str) -> None:
        if text and text not in dropped:
            dropped.append(text)

    for raw in raw_list or ():
        if raw is None:
            continue
        if not isinstance(raw, str):
            drop(repr(raw))
            continue
        if not raw.strip():
            continue
        people = split_byline(raw)
        if not people:
            drop(_clean(raw))
        for person in people:
            if is_site_account(person, outlets):
                drop(person)
                continue
            key = person.casefold()
            if key not in seen:
                seen.add(key)
                critics.append(person)
    return critics, dropped


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
    text = _HEADLINE_NOISE.sub("", _clean(headline))
    if not text:
        return None
    quoted = _first_quoted(text)
    if quoted and text[0] in _QUOTE_PAIRS and _REVIEW_AFTER_QUOTE.match(text[quoted[1]:]):
        return _tidy_title(quoted[0])
    prefix = _PREFIX.match(text)
    if prefix:
        return _title_from_rest(prefix.group("rest"))
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
