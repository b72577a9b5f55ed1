"""Bylines to people: who wrote a review, in one canonical spelling.

Pure functions, no Scrapy. Each rule below is a deliberate choice, and the tests pin it
(tests/test_names.py, tests/test_critics.py).

Canonical person names (`canonical_person_name`):
- Unicode NFC; whitespace collapsed; e-mail addresses, @handles, URLs and parentheses removed.
- Initials are written "A. O. Scott": a period after each initial and one space between them
  ("A.O. SCOTT", "A.O. Scott", "A O Scott" all become "A. O. Scott").
- Case is restored only for ALL-CAPS names ("GLENN KENNY" -> "Glenn Kenny"); a name in mixed
  case is kept as printed, since "DeShawn", "bell hooks" or "De Niro" cannot be re-derived.
  Restoring: "Mc" + capital ("MCDONAGH" -> "McDonagh"), one- and two-letter prefixes before
  an apostrophe ("O'BRIEN" -> "O'Brien", "D'ANGELO", "DE'ANDRE" -> "De'Andre"; a one-letter
  tail is a possessive: "ROSA'S" -> "Rosa's"), each part of a hyphenated name, and the
  particles de, van, von, der, da, … in lower case when they stand between other words
  ("JAN VAN DER BERG" -> "Jan van der Berg"). "Mac" is left alone: "MACK", "MACEY" and
  "MACALISTER" cannot tell "Mac" + capital from a plain name, so "MACALISTER" gives
  "Macalister". Identity never depends on that guess: `person_key` folds case, and
  `preferred_spelling` picks a spelling printed in mixed case when one is known.

Comparison (`person_key`): case, diacritics, punctuation and spaces folded ("A. O. Scott",
"A.O. SCOTT" and "AO Scott" share one key). A key says two bylines spell one NAME; whether
they are one PERSON is decided by evidence (aggregator.identity.critic_identity).

Site accounts (`is_site_account`) are never critics: "Staff", "Editorial", "Web Desk",
agencies, domains, and the outlet's own name given the outlet's names.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from aggregator.strings import kept_when_short

# --- bylines -----------------------------------------------------------------------------------

# Linear time on any input (a hostile page's 100,000-character "name"): no pattern may start at
# each character of a long run and scan the rest of it. So a tag holds no "<", an address starts
# where its run starts, and separators (on text `_clean` folded to single spaces) start " ?" or " ".
_TAG = re.compile(r"<[^<>]+>")
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
_HANDLE = re.compile(r"(?<![\w@])@\w{1,30}")
_BRACKETS = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")
_LABEL = re.compile(r"^(?:authors?|critics?|reviewers?|bylines?)\s*:\s*", re.IGNORECASE)
_BY_PREFIX = re.compile(
    r"^(?:(?:[^\W\d_]+\s+){0,3}?(?:review(?:ed|s)?|written|words|posted|story|text|"
    r"report(?:ed|ing)?|compiled|edited|interview(?:ed)?)\s+)?by\b[:\s]*",
    re.IGNORECASE,
)
_SEGMENTS = re.compile(r" ?[|•·] ?| [-–—] ")
_PEOPLE = re.compile(r" ?[,;] ?(?:and )?| (?:and|with) | ?& ?", re.IGNORECASE)
_AFFILIATION = re.compile(r"(?:^| )(?:for|at|from|special to) \S.*$", re.IGNORECASE)
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


@kept_when_short
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
        elif index >= 2 and parts[index - 1] in ("'", "’") and (
                len(part) == 1 or len(parts[index - 2]) > 2):
            out.append(part)  # a possessive-like tail ("rosa's") stays lower; "De'Andre" not
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
    return list(_split_byline(raw))


@kept_when_short
def _split_byline(raw: str) -> tuple[str, ...]:
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
            return tuple(people)
    return ()


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


@kept_when_short
def _words(text: str) -> tuple[str, ...]:
    text = unicodedata.normalize("NFKD", _clean(text).casefold().replace("&", " and "))
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"(?<=\w)['’.](?=\w)", "", text)
    return tuple(re.findall(r"\w+", text))


@kept_when_short
def _outlet_forms(publication: str) -> frozenset[str]:
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
    return frozenset(forms)


def is_site_account(name: str, publication_names: Iterable[str] = ()) -> bool:
    """True when a byline names no person: a generic account ("Staff", "Editorial", "Web
    Desk", "Variety Staff"), a lower-case login handle, a news agency, a domain, or the outlet itself ("the Guardian",
    "Telegraph Sport", "theguardian.com") given `publication_names` (names and domains)."""
    if not isinstance(name, str):
        return True
    text = _clean(name)
    if not text or _EMAIL.fullmatch(text) or _DOMAIN_LIKE.match(text) or _URL.match(text):
        return True
    words = _words(text)
    if not words:
        return True
    if len(text.split()) == 1 and text.islower() and len(text) > 3:
        return True  # a login handle ("tobquennell", "filmfan88"): the account, not a name
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


def name_fits_handle(name: str, handle: str) -> bool:
    """True when a login handle is made from the person's name: "tobquennell", "jsmith",
    "janesmith" or "smithj" for Jane Smith; a single-author blog's account names its author."""
    key = re.sub(r"[^a-z0-9]", "", handle.casefold())
    parts = [re.sub(r"[^a-z0-9]", "", p) for p in _clean(name).casefold().split()]
    parts = [p for p in parts if p]
    if len(parts) < 2 or len(parts[-1]) < 3 or parts[-1] not in key:
        return False
    first, last = parts[0], parts[-1]
    return key.startswith(first[0]) and key.endswith(last) or key == last + first[0] or key == last + first


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



# --- comparison and display --------------------------------------------------------------------


def person_key(name: str) -> str:
    """The comparison form of a person's name: "A. O. Scott" and "A.O. SCOTT" -> "aoscott";
    "" when nothing is left. Equal keys mean one spelling, not yet one person."""
    if not isinstance(name, str):
        return ""
    return _person_key(name)


@kept_when_short
def _person_key(name: str) -> str:
    text = unicodedata.normalize("NFKD", _clean(name)).casefold()
    return "".join(c for c in text if c.isalnum() and not unicodedata.combining(c))


def preferred_spelling(spellings: Iterable[str]) -> str | None:
    """The display form among raw spellings of one name: the most frequent spelling printed
    in mixed case ("MACALISTER" cannot restore "MacAlister", a mixed-case byline can), else the
    canonical form of the first; None when none names a person."""
    canonical: list[tuple[str, bool]] = []
    for raw in spellings:
        if not isinstance(raw, str):
            continue
        letters = [c for c in _clean(raw) if c.isalpha()]
        for person in split_byline(raw):
            canonical.append((person, not all(c.isupper() for c in letters)))
    if not canonical:
        return None
    mixed = Counter(name for name, is_mixed in canonical if is_mixed)
    if mixed:
        best = max(mixed.values())
        return next(name for name, is_mixed in canonical if is_mixed and mixed[name] == best)
    return canonical[0][0]


# --- structured authors (JSON-LD author / creator) ---------------------------------------------

_ORGANISATION_TYPES = {"organization", "newsmediaorganization", "corporation", "ngo",
                       "educationalorganization", "localbusiness", "onlinebusiness",
                       "website", "webpage", "brand"}


@dataclass(frozen=True)
class Author:
    """One person named by a structured author value, with the URLs the page gives for them
    (url, sameAs, an http "@id"): the raw material of critic identity evidence."""

    name: str
    urls: tuple[str, ...] = ()


def _types(node: dict) -> set[str]:
    value = node.get("@type", ())
    values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    return {v.rsplit("/", 1)[-1].casefold() for v in values if isinstance(v, str)}


def _urls_of(node: dict) -> tuple[str, ...]:
    found: list[str] = []
    for key in ("url", "URL", "sameAs", "@id"):
        value = node.get(key)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict):
                item = item.get("@id") or item.get("url")
            url = item.strip() if isinstance(item, str) else ""
            if url.lower().startswith(("http://", "https://")) and url not in found:
                found.append(url)
    return tuple(found)


def authors(value, publication_names: Iterable[str] = ()) -> list[Author]:
    """The people in a JSON-LD-like author value: a string ("By Jane Doe and John Roe"), an
    object ({"name": …} or givenName + familyName, with url / sameAs), a list of either, or an
    "@id" reference the caller has already resolved to its object. Organisations, site
    accounts, bare URLs and unresolved references name nobody. Canonical names, de-duplicated
    by `person_key` (the first one's URLs extended by the later ones')."""
    outlets = [p for p in publication_names if isinstance(p, str)]
    found: dict[str, Author] = {}

    def add(name: str, urls: tuple[str, ...]) -> None:
        if not name or is_site_account(name, outlets):
            return
        key = person_key(name)
        if key in found:
            merged = found[key].urls + tuple(u for u in urls if u not in found[key].urls)
            found[key] = Author(found[key].name, merged)
        elif key:
            found[key] = Author(name, urls)

    def walk(node, depth: int = 0) -> None:
        if depth > 4 or node is None:
            return
        if isinstance(node, str):
            if not _URL.match(node.strip()):
                for person in split_byline(node):
                    add(person, ())
        elif isinstance(node, (list, tuple)):
            for child in node:
                walk(child, depth + 1)
        elif isinstance(node, dict):
            if _types(node) & _ORGANISATION_TYPES:
                return
            name = node.get("name")
            if isinstance(name, list):
                name = next((n for n in name if isinstance(n, str) and n.strip()), None)
            if not (isinstance(name, str) and name.strip()):
                given, family = node.get("givenName"), node.get("familyName")
                parts = [p for p in (given, family) if isinstance(p, str) and p.strip()]
                name = " ".join(parts) if len(parts) == 2 else None
            if isinstance(name, str) and not _URL.match(name.strip()):
                people = split_byline(name)
                urls = _urls_of(node) if len(people) == 1 else ()
                for person in people:
                    add(person, urls)

    walk(value)
    return list(found.values())


def author_names(value, publication_names: Iterable[str] = ()) -> list[str]:
    """Canonical names of the people in a JSON-LD-like author value (see `authors`)."""
    return [author.name for author in authors(value, publication_names)]


def critic_key(name: str) -> str:
    """Matching key of a critic, first version: accent-folded, case-folded, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", name)
    folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(folded.casefold().split())
