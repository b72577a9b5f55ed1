"""Is it a film review? What a review page is a review of, from the page's own signals.

An outlet that reviews films often reviews games, books, albums, television, the stage and
restaurants too, under the same "X review" headlines. `review_kind` reads, strongest first:

1. the reviewed item's schema.org type (`itemReviewed` or the work holding the review):
   VideoGame → "game", Book → "book", MusicAlbum/MusicRecording → "album", TVSeries/TVSeason/
   TVEpisode → "tv", TheaterEvent/DanceEvent/Event → "stage", Restaurant/FoodEstablishment →
   "restaurant"; an app, a place, a business, a person, a course → "other"; Movie/Film →
   "film" (Product, CreativeWork and Thing decide nothing: film reviews are marked up so too);
2. the headline's or URL slug's surest words: "Broadway", "West End", "theatre review",
   "Season 2", "Episode 4" (a Broadway musical filed under "music" is a stage review);
3. the page's sections, tags and URL path segments naming another kind ("games", "books",
   "music", "tv", "theatre", "dance", "restaurants"), unless they also name films;
4. the headline's other words ("album", "restaurant", "PS5"); not "novel" or "musical",
   which film headlines use of adaptations. Steps 2 and 4 skip a headline that names the film
   side ("… makes a clumsy leap to the screen");
5. the words of the text: a kind's telling words ("gameplay", "chapters", "tracks",
   "episode", "choreography", "menu") clearly outnumbering the film words ("film", "movie",
   "director", "screenplay", "cinema").

Anything else is "film": a page with no signal keeps being read as the film review its
headline says it is. The answer comes with the signal that decided it, for the stats.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

FILM = "film"
OTHER_KINDS = ("game", "book", "album", "tv", "stage", "restaurant", "other")
KINDS = (FILM, *OTHER_KINDS)
FILM_ONLY = frozenset({FILM})


def parse_kinds(value: str | None) -> frozenset[str]:
    """`film,stage` → the kinds a crawl stores; FILM_ONLY when not given. An unknown kind is
    an error that names the known ones."""
    if value is None or not str(value).strip():
        return FILM_ONLY
    kinds = frozenset(part.strip().lower() for part in str(value).split(",") if part.strip())
    unknown = sorted(kinds - set(KINDS))
    if unknown:
        raise ValueError(f"unknown review kind(s) {', '.join(unknown)}: known are {', '.join(KINDS)}")
    return kinds

SCHEMA_TYPES: dict[str, str] = {
    "movie": FILM, "film": FILM, "videogame": "game", "game": "game", "book": "book",
    "musicalbum": "album", "musicrecording": "album", "musicplaylist": "album",
    "tvseries": "tv", "tvseason": "tv", "tvepisode": "tv", "theaterevent": "stage",
    "danceevent": "stage", "musicevent": "stage", "restaurant": "restaurant",
    "foodestablishment": "restaurant", "cafeorcoffeeshop": "restaurant", "barorpub": "restaurant",
    # reviewed things that are never a film: an app, a place, a business, a person, a course
    "softwareapplication": "other", "mobileapplication": "other", "webapplication": "other",
    "videogameseries": "game", "bookseries": "book", "podcastseries": "other", "podcastepisode": "other",
    "hotel": "other", "lodgingbusiness": "other", "localbusiness": "other", "place": "other",
    "touristattraction": "other", "organization": "other", "person": "other", "course": "other",
    "vehicle": "other", "car": "other", "recipe": "other", "musicgroup": "album",
}  # fmt: skip

SECTION_WORDS: dict[str, str] = {
    "film": FILM, "films": FILM, "movie": FILM, "movies": FILM, "cinema": FILM,
    "game": "game", "games": "game", "gaming": "game", "videogames": "game", "video-games": "game",
    "book": "book", "books": "book", "literature": "book",
    "music": "album", "album": "album", "albums": "album", "records": "album",
    "tv": "tv", "television": "tv", "tv-shows": "tv", "streaming-series": "tv",
    "theatre": "stage", "theater": "stage", "stage": "stage", "dance": "stage", "opera": "stage",
    "legit": "stage", "broadway": "stage", "off-broadway": "stage", "musicals": "stage",
    "restaurant": "restaurant", "restaurants": "restaurant", "food": "restaurant",
    "dining": "restaurant", "food-and-drink": "restaurant",
}  # fmt: skip
"""A section, tag or URL path segment (lower case) and the kind it names."""

STRONG_HEADLINE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("stage", re.compile(r"\b(?:off-)?broadway\b|\bwest end\b|\b(?:theat(?:er|re)|play|ballet|opera) review\b", re.I)),
    ("tv", re.compile(r"\b(?:season\s+\d+|series\s+\d+|episode\s+\d+|s\d+\s*e\d+|season\s+(?:premiere|finale))\b", re.I)),
)  # fmt: skip
"""Words of a headline (or URL slug) that name another kind more surely than a section does:
a Broadway musical filed under "music" is a stage review."""
HEADLINE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("album", re.compile(r"\b(?:album|EP|LP|mixtape)\b")),
    ("restaurant", re.compile(r"\b(?:restaurant|bistro|brasserie|trattoria)\b", re.I)),
    ("game", re.compile(r"\b(?:PS5|PS4|Xbox|Nintendo Switch|Steam Deck)\b")),
)  # fmt: skip
FILM_HEADLINE = re.compile(r"\b(?:film|movie|screen|cinema|documentary)\b", re.I)
"""A headline naming the film side ("Broadway musical makes clumsy leap to the screen") is not
read as another kind's."""

TEXT_WORDS: dict[str, frozenset[str]] = {
    FILM: frozenset("""film films movie movies director directed directs screenplay screenwriter
        cinema cinematographer cinematography filmmaker filmmakers runtime theaters theatres
        premiered cameo camera frames""".split()),
    "game": frozenset("""gameplay console controller levels boss bosses multiplayer playthrough
        quests developer developers patch dlc co-op crafting""".split()),
    "book": frozenset("""chapter chapters paperback hardback hardcover isbn novelist memoir
        publisher pages readers""".split()),
    "album": frozenset("""album albums tracks lp vinyl chorus verses singer band guitar guitars
        synths tracklist songwriting""".split()),
    "tv": frozenset("""episode episodes season seasons showrunner finale binge sitcom
        episodic""".split()),
    "stage": frozenset("""choreography choreographer choreographed dancers dancer ballet
        staging playwright playwrights curtain intermission interval proscenium
        understudy broadway off-broadway onstage musicals stagecraft""".split()),
    "restaurant": frozenset("""menu menus chef chefs dish dishes courses dessert desserts waiter
        waiters reservations starters diners""".split()),
}  # fmt: skip
"""Telling words of each kind, read in the opening of the text."""
TEXT_WINDOW = 4000
MIN_OTHER_WORDS = 4
"""A kind's words needed before the text alone says "not a film"..."""
OTHER_OVER_FILM = 2.0
"""...and how many times the film words they must outnumber."""

_WORD = re.compile(r"[a-z][a-z'-]*")


@dataclass(frozen=True)
class ReviewKind:
    kind: str
    """"film" or one of OTHER_KINDS."""
    signal: str
    """What decided: "schema_type", "section", "url", "headline", "text" or "default"."""

    @property
    def is_film(self) -> bool:
        return self.kind == FILM


def review_kind(
    *,
    reviewed_types: Iterable[str] = (),
    sections: Iterable[str] = (),
    url_path: str = "",
    headline: str | None = None,
    text: str | None = None,
) -> ReviewKind:
    """The kind of thing reviewed (rules in the module docstring)."""
    for schema_type in reviewed_types:
        kind = SCHEMA_TYPES.get(str(schema_type).rsplit("/", 1)[-1].lower())
        if kind:
            return ReviewKind(kind, "schema_type")
    slug = _slug_words(url_path)
    if not (headline and FILM_HEADLINE.search(headline)):
        for kind, pattern in STRONG_HEADLINE_PATTERNS:
            if headline and pattern.search(headline):
                return ReviewKind(kind, "headline")
            if slug and pattern.search(slug):
                return ReviewKind(kind, "url")
    for signal, words in (("section", _section_words(sections)), ("url", _path_words(url_path))):
        named = {SECTION_WORDS[w] for w in words if w in SECTION_WORDS}
        others = named - {FILM}
        if others and FILM not in named and len(others) == 1:
            return ReviewKind(others.pop(), signal)
    if headline and not FILM_HEADLINE.search(headline):
        for kind, pattern in HEADLINE_PATTERNS:
            if pattern.search(headline):
                return ReviewKind(kind, "headline")
    if text:
        counts = _text_counts(text)
        film_words = counts.pop(FILM)
        kind, words = max(counts.items(), key=lambda pair: pair[1])
        if words >= MIN_OTHER_WORDS and words >= OTHER_OVER_FILM * max(film_words, 1):
            return ReviewKind(kind, "text")
    return ReviewKind(FILM, "default")


_SECTION_FILLER = frozenset({"review", "reviews", "and", "&", "the", "new", "latest"})


def _section_words(sections: Iterable[str]) -> set[str]:
    """The kind words of sections that name one kind whole ("Book Reviews", "Games", "film"):
    a genre tag such as "science fiction" or "music drama" names no kind."""
    words = set()
    for section in sections:
        if not isinstance(section, str):
            continue
        folded = " ".join(section.strip().lower().replace("&", " and ").split())
        if folded.replace(" ", "-") in SECTION_WORDS:
            words.add(folded.replace(" ", "-"))
            continue
        parts = [w for w in folded.replace("/", " ").replace(",", " ").split() if w not in _SECTION_FILLER]
        if parts and all(part in SECTION_WORDS for part in parts):
            words.update(parts)
    return words


def _path_words(path: str) -> set[str]:
    # only the folders: the slug (last segment) is the headline's words
    segments = [s for s in path.lower().split("/") if s]
    return set(segments[:-1])


def _slug_words(path: str) -> str:
    """The headline's words in the URL: its last worded segment (a trailing story id skipped)."""
    segments = [s for s in path.lower().split("/") if "-" in s and any(c.isalpha() for c in s)]
    return segments[-1].rsplit(".", 1)[0].replace("-", " ").replace("_", " ") if segments else ""


def _text_counts(text: str) -> dict[str, int]:
    words = _WORD.findall(text[:TEXT_WINDOW].lower())
    return {kind: sum(1 for word in words if word in vocabulary) for kind, vocabulary in TEXT_WORDS.items()}
