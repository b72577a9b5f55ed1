"""The critic of a review whose byline names no person, found where outlets put the real one.

When the byline is a site account ("Staff", the outlet's own name), many outlets name the
critic in the text instead. `critic_from_text` reads only these places, in this order:

1. "review by": a line or paragraph that opens with "Review by X", "Reviewed by X", "Film
   review by X", "A review by X" (with the name ending the line, or followed by a dash, a bar,
   a comma or a full stop: "Theatre Review by X - October 29, 2031"), among the first three
   and the last two paragraphs (further in, it may be a related link). "Written by" and
   "Words by" are not read: in a film review they credit the screenwriter or lyricist.
2. The lead: the first paragraph (the standfirst, or the body's first line; the body's first
   line under a standfirst too, when it names the critic by role) opening with a
   person's name followed by what a critic does: "Jane Doe reviews …", "Jane Doe looks back
   at …", "Jane Doe gives her verdict on …", "Jane Doe, our film critic, assesses …". Only
   verbs that no cast member or director is the subject of in a standfirst are read:
   "Tom Fictional returns as …" or "Greta Fictional revisits …" are NOT critics. After a role
   ("Film critic Jane Doe revisits …") "revisits" and "considers" count too, and after "our"
   ("Our critic Jane Doe finds …") any verb of saying or judging; a reflexive object ("finds
   himself") is a plot summary whoever the subject is.
3. The signature: one of the last two paragraphs reading "— Jane Doe" / "By Jane Doe", or the
   tagline "Jane Doe is a film critic / our critic / a Tribune critic …" as a paragraph of at
   most 20 words ("writer" and "editor" do not count there: a plot summary gives characters
   those jobs).

A name is two to six words, each capitalised or an initial ("A. O."), with particles (de,
van, von, …) only inside; it must not be a site account or the outlet. When the places give
different people, or none, there is no critic: the reason says which (`explain_critic_from_text`)
so the caller can count it. A wrong critic is worse than none.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass

from aggregator.identity.critics import (
    canonical_person_name,
    critics_from_raw,
    is_site_account,
    person_key,
)

# A tag holds no "<": else each "<" of a long run would scan the rest of it (quadratic time).
_BLOCK_TAG = re.compile(r"<\s*(?:/p|br|/div|/h\d|/li|/blockquote|/section)\b[^<>]*>", re.I)
_TAG = re.compile(r"<[^<>]+>")
_WORD = r"[^\W\d_][^\s,;:!?()\[\]\"“”|/]*"
_NAME = rf"(?P<name>(?:{_WORD}\s+){{1,5}}?{_WORD})"
_ROLE_WORDS = r"(?:critic|reviewer|writer|columnist|contributor|correspondent|editor)"
_ROLE = (rf"(?:the\s+)?(?:(?:chief|senior|lead|deputy|associate|contributing|guest|"
         rf"resident|film|movie|cinema|theatre|theater|tv|television|arts|culture|dance|"
         rf"music|stage)\s+){{0,3}}{_ROLE_WORDS}")
_POSSESSIVE = r"(?:her|his|their|a|an|the|our)"
# Verbs no cast member or director is the subject of in a review's standfirst.
_CRITIC_VERBS = (
    rf"reviews|reviewed|re-?reviews|looks\s+back\s+(?:at|on)|"
    rf"(?:gives|delivers|offers)\s+{_POSSESSIVE}\s+verdict|"
    rf"casts\s+{_POSSESSIVE}\s+(?:\w+\s+)?eye\s+(?:over|on)|weighs\s+in\s+on|rates|"
    rf"assesses|takes\s+{_POSSESSIVE}\s+(?:\w+\s+)?look\s+at|sits\s+through|"
    rf"is\s+(?:not\s+)?(?:impressed|convinced|moved|unmoved|underwhelmed)\s+by"
)
# After a role word ("Film critic Jane Doe revisits …") the speaker is known, so a few more
# verbs count; after "our" ("Our critic Jane Doe finds …") any verb of saying or judging does.
# A reflexive object ("finds himself") is a plot, whoever the subject is.
_ROLE_VERBS = rf"{_CRITIC_VERBS}|revisits|re-?watches|considers"
_OUR_ROLE_VERBS = (rf"{_ROLE_VERBS}|watches|finds|says|writes|argues|thinks|explains|sees|is|was|on|went|goes|heads|"
                   r"headed|saw|caught|catches|visits|visited|attends|attended")
_NOT_REFLEXIVE = r"(?!\s+(?:himself|herself|themselves|themself)\b)"
_APPOSITION = rf"(?:\s*,\s*(?P<apposition>[^,]{{1,60}}?\b{_ROLE_WORDS}s?\b[^,]{{0,30}}),)?"
_LEAD_WITH_OUR_ROLE = re.compile(
    rf"^our\s+{_ROLE}\s+{_NAME}{_APPOSITION}\s+(?:{_OUR_ROLE_VERBS})\b{_NOT_REFLEXIVE}", re.I)
_LEAD_WITH_ROLE = re.compile(
    rf"^{_ROLE}\s+{_NAME}{_APPOSITION}\s+(?:{_ROLE_VERBS})\b{_NOT_REFLEXIVE}", re.I)
_LEAD = re.compile(rf"^{_NAME}{_APPOSITION}\s+(?:{_CRITIC_VERBS})\b{_NOT_REFLEXIVE}")
_REVIEW_BY = re.compile(
    rf"^(?:(?:listen\s+to|hear|read|watch)\s+(?:the|this|our)\s+|an?\s+)?(?:(?:film|movie|cinema|theatre|theater|broadway|off-broadway|stage|tv|"
    rf"television|dvd|blu-ray)\s+)?(?:review(?:ed)?|critique)\s+by\s*:?\s+{_NAME}"
    rf"\s*(?:$|[.,|]|\s[-–—]\s|\s\()", re.I)
_SIGNATURE = re.compile(rf"^(?:[—–-]{{1,2}}\s*|by\s+){_NAME}\.?$", re.I)
# "Jane Doe is a Tribune critic." as a paragraph of its own; the role words exclude "writer"
# and "editor", which a plot summary gives characters ("X is a struggling writer").
_TAGLINE = re.compile(
    rf"^{_NAME}\s+(?:is|was)\s+(?:a|an|the|our)\s+"
    rf"(?:(?!as\b|of\b|in\b|like\b|who\b|than\b|playing\b)[\w'’.-]+\s+){{0,4}}"
    rf"(?:critic|reviewer|contributor|columnist)s?\b[^.!?]*[.!?]?$", re.I)
_TAGLINE_MAX_WORDS = 20
_REVIEW_BY_PARAGRAPHS = 3
"""A "review by" line counts in the first three and the last two paragraphs: further in, it
may be a related link or a mention of another critic's review."""
_PARTICLES = {"de", "del", "della", "der", "den", "di", "da", "das", "do", "dos", "du", "la",
              "le", "van", "von", "ten", "ter", "y", "bin", "ibn", "al", "st.", "mc", "mac"}
_NOT_NAME_WORDS = {"the", "a", "an", "this", "that", "our", "my", "in", "on", "at", "review",
                   "reviews", "film", "movie", "critic", "staff", "editor", "editors"}
_INITIAL = re.compile(r"^[^\W\d_]\.?$")
_HEAD_CHARS, _TAIL_CHARS = 20_000, 5_000
"""Only the start (review by, lead) and the end (signature) of a long body are read."""

REASONS = ("review_by", "lead", "signature", "none", "conflict", "not_text")
"""Why `explain_critic_from_text` found its critic, or why it found none."""


def _is_name_word(word: str) -> bool:
    """Capitalised ("Doe", "O'Brien", "McAlister"), all capitals ("DOE") or an initial ("T",
    "T.")."""
    return word[0].isupper()


def _person(candidate: str, outlets: list[str]) -> str | None:
    """`candidate` in canonical form when it is person-shaped (module docstring), else None."""
    words = candidate.split()
    if not 2 <= len(words) <= 6 or words[0].casefold() in _NOT_NAME_WORDS:
        return None
    for index, word in enumerate(words):
        inner = 0 < index < len(words) - 1
        if not (_is_name_word(word) or (inner and word.casefold() in _PARTICLES)):
            return None
    if _INITIAL.match(words[-1]) or all(_INITIAL.match(w) for w in words):
        return None
    name = canonical_person_name(candidate)
    if not name or is_site_account(name, outlets):
        return None
    return name


def _paragraphs(text: str) -> list[str]:
    text = _BLOCK_TAG.sub("\n", text)
    text = html.unescape(html.unescape(_TAG.sub(" ", text)))
    text = re.sub(r"[\u00a0\u2000-\u200b\u202f\u205f\u3000\t ]+", " ", text)
    return [line.strip() for line in re.split(r"\s*\n\s*", text) if line.strip()]


def _lead_on_film(film_title: str | None) -> re.Pattern | None:
    """"Jane Doe revisits <the reviewed film>": revisiting the very film the page reviews is
    what its critic does (a cast member revisits a role, a director a theme)."""
    if not film_title or len(film_title) < 2:
        return None
    title = r"\s+".join(re.escape(word) for word in film_title.split())
    return re.compile(rf"^{_NAME}{_APPOSITION}\s+(?:{_ROLE_VERBS}|returns\s+to|takes\s+another\s+look\s+at|"
                      rf"looks\s+again\s+at)\s+(?:the\s+film\s+|the\s+movie\s+)?[\"'‘“]?{title}\b", re.I)


def explain_critic_from_text(
    text: str | None, publication_names: Iterable[str] = (), film_title: str | None = None,
) -> tuple[str | None, str]:
    """(critic or None, reason): the reason is one of `REASONS` ("review_by", "lead",
    "signature" when found; "none", "conflict" or "not_text" when not). With the reviewed
    `film_title`, a lead whose subject revisits that very film names its critic too."""
    if not isinstance(text, str):
        return None, "not_text"
    paragraphs = _paragraphs(text[:_HEAD_CHARS])
    if not paragraphs:
        return None, "none"
    # the end of a long body: its first, probably cut, paragraph is dropped
    tail = paragraphs if len(text) <= _HEAD_CHARS else _paragraphs(text[-_TAIL_CHARS:])[1:]
    outlets = [p for p in publication_names if isinstance(p, str)]
    found: list[tuple[str, str]] = []

    def take(match: re.Match | None, reason: str) -> None:
        name = _person(match.group("name").rstrip("."), outlets) if match else None
        if name:
            found.append((name, reason))

    ends = paragraphs[:_REVIEW_BY_PARAGRAPHS] + tail[-2:]
    for paragraph in ends:
        take(_REVIEW_BY.match(paragraph), "review_by")
    lead = paragraphs[0]
    on_film = _lead_on_film(film_title)
    take(_LEAD_WITH_OUR_ROLE.match(lead) or _LEAD_WITH_ROLE.match(lead) or _LEAD.match(lead)
         or (on_film.match(lead) if on_film else None), "lead")
    # under a standfirst, the body's first line names the critic by role as surely ("Our critic X went …")
    for opening in paragraphs[1:2]:
        take(_LEAD_WITH_OUR_ROLE.match(opening) or _LEAD_WITH_ROLE.match(opening), "lead")
    for paragraph in tail[-2:] if len(tail) > 1 else ():
        short = len(paragraph.split()) <= _TAGLINE_MAX_WORDS
        take(_SIGNATURE.match(paragraph) or (short and _TAGLINE.match(paragraph)) or None,
             "signature")
    people = {person_key(name) for name, _ in found}
    if not people:
        return None, "none"
    if len(people) > 1:
        return None, "conflict"
    return found[0]


def critic_from_text(text: str | None, publication_names: Iterable[str] = ()) -> str | None:
    """The critic named in a review's standfirst or body (rules in the module docstring), or
    None: no critic rather than a wrong one."""
    return explain_critic_from_text(text, publication_names)[0]


@dataclass(frozen=True)
class CriticsFound:
    critics: list[str]
    """Canonical names, byline order."""
    dropped: list[str]
    """Byline strings that named no person (site accounts, outlets): count them."""
    source: str
    """"byline", "text:<reason>" when read from the text, or "none:<reason>" (no critic)."""


def find_critics(
    raw_bylines: Iterable[str], text: str | None = None, publication_names: Iterable[str] = (),
    film_title: str | None = None,
) -> CriticsFound:
    """The review's critics: from the bylines (`critics_from_raw`); when they name nobody
    (a site account, or no byline), from the standfirst/body `text` (`critic_from_text`)."""
    outlets = [p for p in publication_names if isinstance(p, str)]
    critics, dropped = critics_from_raw(raw_bylines, outlets)
    if critics:
        return CriticsFound(critics, dropped, "byline")
    name, reason = explain_critic_from_text(text, outlets, film_title)
    if name:
        return CriticsFound([name], dropped, f"text:{reason}")
    return CriticsFound([], dropped, f"none:{reason}")
