"""The reviewed film's title from every place a page names it, chosen by how many agree.

A small outlet's review rarely says "X review": "Review: Another Look at X", "'X' makes a case
for …", a headline that is only the title, or one that does not name the film at all. Each
source of the page gives candidate titles:

- `headline`: the review pattern (aggregator.identity.films.film_title_from_headline), the
  quoted phrases, the headline itself once "Review:" and the site name are cut;
  og:title and the <title> tag count as the headline (they repeat it: never a second vote);
- `standfirst`: its emphasised (<em>, <i>, <cite>) and quoted phrases;
- `tags`: the post's tags and keywords ("X (2026 film)" is a strong one; a genre, "Reviews"
  or a kind word is none);
- `url`: the URL slug, which votes for a candidate whose words it holds ("/x-2013/");
and a candidate named in a source's plain words (the headline, the standfirst) has that
source's vote too. The title most sources carry is chosen; among equals, one a strong form
gave (a pattern, a quote, an emphasis, a film tag) counts one vote more, and wins a tie. A lone candidate
is taken only when a strong form gave it. `choose_title` says which sources agreed: the
reason is kept with the review (`ReviewItem.film_reason`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from aggregator.identity.films import _first_quoted, _tidy_title, film_key, film_title_from_headline

STRONG_FORMS = frozenset({"pattern", "quoted", "emphasis", "film_tag", "title_year"})
SOURCES = ("headline", "standfirst", "tags", "url")

_EMPHASIS = re.compile(r"<(em|i|cite)\b[^>]*>(.*?)</\1\s*>", re.I | re.S)
_FILM_TAG = re.compile(r"^(?P<title>.+?)\s*\(\s*(?:\d{4}\s+)?(?:film|movie)\s*\)$", re.I)
_REVIEW_PREFIX = re.compile(r"^\s*(?:film\s+|movie\s+)?review(?:ed)?\s*[:|–—-]\s*", re.I)
# "Review: X is a thunderous portrait of …": the subject before the verb may be the title.
_SUBJECT = re.compile(
    r"^(?P<subject>[A-Z0-9'\"‘“][^:|–—]{0,80}?)\s+(?:is|are|was|were|makes?|gives|offers|feels|turns|"
    r"brings|takes|proves|delivers|finds|has|does|isn't|doesn't|can't|won't|will|looks|plays|becomes|"
    r"gets|goes|keeps|remains|stays|works|fails|soars|sings|shines|stumbles)\b")
_TITLE_YEAR = re.compile(r"^(?P<title>.+?)\s*\((?P<year>(?:18|19|20)\d{2})\)$")
"""A headline that is only a title and its year, "Marrowbone Station (2024)": a film blog's post."""
_COLON_LEAD = re.compile(r"^(?P<lead>[A-Z0-9'\"‘“][^:]{0,60}?)\s*:\s+\S")
_SITE_CUT = re.compile(r"\s+[|–—-]\s+[^|–—-]{2,60}$")
_NOT_TITLE_TAGS = frozenset({
    "review", "reviews", "film", "films", "movie", "movies", "cinema", "film review", "film reviews",
    "movie review", "movie reviews", "drama", "comedy", "horror", "thriller", "documentary",
    "animation", "romance", "action", "sci-fi", "science fiction", "fantasy", "western", "musical",
    "crime", "mystery", "family", "war", "history", "biography", "arts", "culture", "entertainment",
    "featured", "news", "top stories", "streaming", "netflix", "new releases", "in theaters",
    "in cinemas", "festival", "festivals", "home video", "blu-ray", "dvd", "uncategorized",
    "opinion", "critics", "critic", "interview", "interviews", "features", "video", "trailer",
})
MAX_TAG_WORDS = 8


@dataclass(frozen=True)
class TitleChoice:
    title: str | None
    sources: tuple[str, ...] = ()
    """The sources that carried the chosen title, in SOURCES order."""
    reason: str = "none"
    """"agreed:headline+url", "only:headline" (one strong source), or "none"."""
    year: str | None = None
    """The year the headline states beside the chosen title ("Title (2024)"), else None."""


@dataclass
class _Candidate:
    title: str
    sources: set[str] = field(default_factory=set)
    forms: set[str] = field(default_factory=set)
    order: int = 0


def _quoted_phrases(text: str) -> list[str]:
    phrases = []
    rest = text
    while rest and (found := _first_quoted(rest)):
        inside, end = found
        if inside[:1].isupper() or inside[:1].isdigit():
            phrases.append(inside)
        rest = rest[end:]
    return phrases


def without_site_name(title: str | None, site_name: str | None) -> str | None:
    """"X review – The Lantern Review" → "X review": a site name can end in "Review" itself."""
    if title and site_name:
        for separator in (" | ", " - ", " – ", " — ", " :: "):
            if title.endswith(separator + site_name):
                return title[: -len(separator + site_name)].strip()
    return title


def _plain_headline(headline: str, site_names: Iterable[str]) -> str:
    text = " ".join(re.sub(r"<[^>]+>", " ", headline).split())
    for name in site_names:
        text = without_site_name(text, name)
    return _REVIEW_PREFIX.sub("", text).strip()


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.casefold().replace("'", "").replace("’", ""))


def _mentions(haystack_words: list[str], title: str) -> bool:
    needle = _words(title)
    if not needle:
        return False
    n = len(needle)
    return any(haystack_words[i:i + n] == needle for i in range(len(haystack_words) - n + 1))


def _slug_spells(slug_words: list[str], title: str) -> bool:
    """An old site's file name runs the title's words together: "gravelsaints.html"."""
    joined = "".join(_words(title))
    return len(joined) >= 6 and any(word.startswith(joined) for word in slug_words)


def choose_title(
    *, headline: str | None = None, og_title: str | None = None, title_tag: str | None = None,
    standfirst: str | None = None, tags: Iterable[str] = (), url_path: str = "",
    site_names: Iterable[str] = (),
) -> TitleChoice:
    """The film's title the page's sources agree on (rules in the module docstring)."""
    site_names = tuple(n for n in site_names if n)
    site_keys = {_key(n) for n in site_names}
    candidates: dict[str, _Candidate] = {}
    stated_years: dict[str, str] = {}

    def offer(title: str | None, source: str, form: str) -> None:
        title = _tidy_title(title) if title else None
        key = _key(title) if title else None
        if not key or key in site_keys or title.casefold() in _NOT_TITLE_TAGS:
            return
        candidate = candidates.setdefault(key, _Candidate(title, order=len(candidates)))
        candidate.sources.add(source)
        candidate.forms.add(form)

    for index, text in enumerate((headline, og_title, title_tag)):
        if not text:
            continue
        text = " ".join(text.split())
        offer(film_title_from_headline(text) or (index and film_title_from_headline(_SITE_CUT.sub("", text))),
              "headline", "pattern")
        for phrase in _quoted_phrases(text):
            offer(phrase, "headline", "quoted")
        plain = _plain_headline(text, site_names)
        if index:  # a <title> ends in the site's name more often than not
            plain = _SITE_CUT.sub("", plain)
        if len(plain.split()) <= MAX_TAG_WORDS:
            offer(plain, "headline", "plain")
        if titled := _TITLE_YEAR.match(plain):
            offer(titled.group("title"), "headline", "title_year")
            if key := _key(_tidy_title(titled.group("title"))):
                stated_years.setdefault(key, titled.group("year"))
        if subject := _SUBJECT.match(plain):
            offer(subject.group("subject"), "headline", "subject")
        if lead := _COLON_LEAD.match(plain):  # "The Salt Orchard: grief, brine and one long take"
            offer(lead.group("lead"), "headline", "colon_lead")
    if standfirst:
        for match in _EMPHASIS.finditer(standfirst):
            offer(re.sub(r"<[^>]+>", "", match.group(2)), "standfirst", "emphasis")
        for phrase in _quoted_phrases(re.sub(r"<[^>]+>", "", standfirst)):
            offer(phrase, "standfirst", "quoted")
    for tag in tags:
        if not isinstance(tag, str) or not tag.strip():
            continue
        tag = tag.strip()
        film_tag = _FILM_TAG.match(tag)
        if film_tag:
            offer(film_tag.group("title"), "tags", "film_tag")
        elif tag.casefold() not in _NOT_TITLE_TAGS and "review" not in tag.casefold() \
                and len(tag.split()) <= MAX_TAG_WORDS:
            offer(tag, "tags", "tag")

    # a source's plain words vote for a candidate they name
    slug = url_path.rstrip("/").rsplit("/", 1)[-1]
    plain_sources = {
        "headline": _words(" ".join(filter(None, (headline, og_title, title_tag)))),
        "standfirst": _words(re.sub(r"<[^>]+>", " ", standfirst or "")),
        "url": _words(re.sub(r"\.\w+$", "", slug).replace("-", " ").replace("_", " ")),
    }
    for candidate in candidates.values():
        for source, words in plain_sources.items():
            if source not in candidate.sources and (
                    _mentions(words, candidate.title) or (source == "url" and _slug_spells(words, candidate.title))):
                candidate.sources.add(source)

    def rank(candidate: _Candidate) -> tuple:
        strong = bool(candidate.forms & STRONG_FORMS)  # a pattern, quote, emphasis or film tag: one vote more
        return (len(candidate.sources) + strong, strong, "pattern" in candidate.forms, -candidate.order)

    ranked = sorted(candidates.values(), key=rank, reverse=True)
    for candidate in ranked:
        strong = bool(candidate.forms & STRONG_FORMS)
        if len(candidate.sources) >= 2 or strong:
            sources = tuple(s for s in SOURCES if s in candidate.sources)
            how = "agreed" if len(sources) >= 2 else "only"
            return TitleChoice(candidate.title, sources, f"{how}:{'+'.join(sources)}",
                               stated_years.get(_key(candidate.title) or ""))
    return TitleChoice(None)


def _key(title: str) -> str | None:
    try:
        return film_key(title)
    except ValueError:
        return None
