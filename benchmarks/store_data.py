"""A generated, fictional world of outlets, critics and films, and its reviews shaped like crawled ones.

Everything is made up: outlet and critic names are built from word and syllable lists, every
domain ends in `.example`, film titles are word combinations. Each review is a pure function
of (world, index): `World.review_item(i)` gives the same ReviewItem whenever it is asked, so a
benchmark can re-store a stored review unchanged, or store reviews the store does not hold yet
(indices at or past the store's size) about the same films by the same critics.

The normalised fields are the project's own readings where that is cheap: ratings are parsed by
aggregator.ratings.parse_rating on the outlet's scale (a string it rejects stays raw, unscored),
keys come from the identity rules, and an undated review's film link follows
`doubt_about_only_film` as the store would. The text model is not run: inferred calls are drawn.

Opinions have a structure for the query benchmarks to find: each film has a quality, each critic
a leniency (points above or below the others, sd ~6.5), and a review's rating is the outlet scale's
option nearest quality + leniency + noise (3% a random option, some of which the parser rejects);
an unscored review's inferred call leans the same way. Films are chosen with a Zipf-like skew
(film rank ~ u^2.2: the most reviewed films get thousands of reviews, the tail a handful).
"""

from __future__ import annotations

import bisect
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache

from aggregator.db.models import Film, critic_key
from aggregator.identity.critic_identity import profile_key
from aggregator.identity.critics import person_key
from aggregator.identity.film_identity import doubt_about_only_film
from aggregator.identity.films import film_key
from aggregator.items import ReviewItem
from aggregator.ratings import parse_rating

GENERATOR_VERSION = 2
"""Raise when the generated rows change: cached stores built by an older generator are rebuilt."""

DEFAULT_SEED = 16
FULL_SIZE = {"reviews": 1_000_000, "films": 20_000, "critics": 5_000, "outlets": 300}
TEXT_BYTES = 2_700
FIRST_DAY = date(2006, 1, 1)
DAYS = 20 * 365

ADJECTIVES = (
    "amber brass cinder copper crimson distant electric fading gilded glass hollow iron "
    "last little lonely lunar marble midnight northern painted paper pale quiet restless "
    "salt scarlet secret silent silver slow southern still sudden summer tender thin "
    "velvet wandering western white wild winter wooden yellow broken burning crooked "
    "drowned empty final frozen golden hidden long narrow open patient"
).split()
NOUNS = (
    "anchor archive atlas ballad beacon bridge canal cartographer cathedral chorus circus "
    "compass corridor country garden harbour heron horizon island kingdom lantern ledger "
    "lighthouse machine meridian mirror orchard orchestra passage pilgrim quarry river "
    "season signal sparrow station summit tide tower valley vessel voyage window winter "
    "wolf ferry furnace glacier hotel marsh mill minotaur monsoon observatory parade"
).split()
TITLE_PATTERNS = ("The {a} {n}", "{n}", "A {a} {n}", "{n} of the {a}", "The {n}'s Daughter",
                  "{a} {n}s", "Return to the {n}", "{a} {n} Blues")
FIRST_NAMES = (
    "Ada Alma Anders Bea Calla Cyrus Dalia Dorian Edda Elio Fenna Gideon Greer Hale Ines "
    "Ivo Jora Juno Kasper Lark Lio Mabel Marek Nell Odile Orrin Pia Quill Rhea Rowan "
    "Sabel Silas Tamsin Teodor Una Vesna Wren Yusuf Zelie Arlo Brisa Cato Delphine Ezra"
).split()
SYLLABLES = "bran cor dell fen gar hol jask kel lund mor nast orl pell quen rask sev tor vell wyn zan".split()
SURNAME_ENDS = ("by", "ow", "ett", "iski", "ander", "wick", "mere", "ton", "ard", "ley")
OUTLET_WORDS = (
    "lantern reel frame projector marquee balcony aperture celluloid matinee flicker "
    "screen dispatch gazette courier circular bulletin ledger review quarterly weekly"
).split()
OUTLET_KINDS = ("Review", "Gazette", "Dispatch", "Film Weekly", "Courier", "Screen Notes")
# (scale, weight): most outlets rate on stars; a quarter never give a rating.
OUTLET_SCALES = (("stars/4", 3), ("stars/5", 5), ("points/10", 3), ("letter", 1), (None, 4))
RATINGS_BY_SCALE = {
    "stars/4": [f"{v}/4" for v in ("1", "1.5", "2", "2.5", "3", "3.5", "4")]
    + ["★" * n + "½" * h for n in range(1, 5) for h in (0, 1) if n + h / 2 <= 4]
    + ["three stars", "two and a half stars"],
    "stars/5": [f"{v}/5" for v in ("1", "2", "2½", "3", "3½", "4", "4½", "5")]
    + ["★" * n + "☆" * (5 - n) for n in range(1, 6)],
    "points/10": [f"{v}/10" for v in ("3", "4", "5", "6", "6.5", "7", "7.5", "8", "9", "10")],
    "letter": ["A", "A-", "B+", "B", "B-", "C+", "C", "C-", "D", "F"],
}
LABELS = ("Critic's Pick", "Recommended", "Highly recommended")
TAGLINES = ("a quiet triumph", "ambition without a map", "the year's strangest pleasure",
            "handsome and hollow", "a slow-burning marvel", "all surface, no depth",
            "messy, alive and unmissable", "lost in its own fog")
WORDS = (
    "the film camera frame light shadow performance director script scene score ending "
    "story character actor shot cut silence memory journey tension rhythm colour voice "
    "moment world grief hope love city night house road sea war family mother father "
    "daughter son stranger secret careful patient restless luminous clumsy tender brutal "
    "long quiet loud slow sudden beautiful strange familiar honest cheap earnest clever "
    "watch feel hold lose find return leave wait carry break open close turn begin end"
).split()


class _Draws(random.Random):
    """The numbers of one review, seeded by its index alone (no shared state): review i is the
    same whichever order, process or batch asks for it."""

    def __init__(self, seed: int, index: int) -> None:
        super().__init__(seed * 10_000_000_000 + index)

    def unit(self) -> float:
        return self.random()

    def below(self, n: int) -> int:
        return int(self.random() * n)


@dataclass(frozen=True)
class Outlet:
    id: int
    key: str
    name: str
    domain: str
    scale: str | None
    country: str
    language: str = "en"
    weight: float = 1.0
    provisional: bool = False

    @property
    def domains(self) -> tuple[str, ...]:
        return (self.domain,)


@dataclass
class CriticPerson:
    id: int
    name: str
    outlets: list[int]
    """Indices in World.outlets, home first: a critic on two outlets is joined there by the profile page."""
    profile_url: str | None
    profile: str | None = None
    uid: str = ""
    leniency: float = 0.0
    """Points this critic's ratings run above (or below) the others' on the same film."""


@dataclass(frozen=True)
class FilmEntry:
    id: int
    title: str
    year: int
    key: str
    slug: str
    quality: float = 60.0
    """The score (0-100) the critics' ratings of this film gather around."""

    @property
    def uid(self) -> str:
        return Film.make_uid(self.key, self.year)


@dataclass
class World:
    """The outlets, critics and films of a store of `reviews` reviews (counts scale down from the
    full-size store's 300 / 5,000 / 20,000 for tiny test stores)."""

    reviews: int
    seed: int = DEFAULT_SEED
    outlets: list[Outlet] = field(init=False)
    critics: list[CriticPerson] = field(init=False)
    films: list[FilmEntry] = field(init=False)
    runs: int = field(init=False)

    def __post_init__(self) -> None:
        ratio = self.reviews / FULL_SIZE["reviews"]
        n_outlets = max(4, round(FULL_SIZE["outlets"] * ratio))
        n_critics = max(12, round(FULL_SIZE["critics"] * ratio))
        n_films = max(40, round(FULL_SIZE["films"] * ratio))
        self.runs = max(4, self.reviews // 500)
        self.outlets = [_outlet(i, self.seed) for i in range(n_outlets)]
        self.critics = [_critic(i, self.seed, self.outlets) for i in range(n_critics)]
        self.films = _films(n_films, self.seed)
        self._text_pool = _paragraphs(self.seed)
        self._by_key = {film.key: film for film in self.films}

    def review_item(self, index: int) -> ReviewItem:
        draws = _Draws(self.seed, index)
        critic = self.critics[int(len(self.critics) * draws.unit() ** 1.6)]  # some critics are prolific
        outlet = self.outlets[critic.outlets[1 if len(critic.outlets) > 1 and draws.unit() < 0.3 else 0]]
        n_outlets = len(self.outlets)
        film = self.films[int(len(self.films) * draws.unit() ** 2.2)]  # and some films much reviewed
        authors = [critic]
        if draws.unit() < 0.03:  # co-written, with a colleague of the same outlet
            other = self.critics[(critic.id - 1 + (1 + draws.below(7)) * n_outlets) % len(self.critics)]
            if other is not critic and self.outlets[other.outlets[0]] is outlet:
                authors.append(other)
        published = _published(film.year, draws)
        structured = draws.unit() < 0.8  # JSON-LD, else microdata or OpenGraph
        dated = draws.unit() < 0.9
        headline = f"{film.title} review – {TAGLINES[draws.below(len(TAGLINES))]}"
        url = f"https://{outlet.domain}/reviews/{film.slug}-review-{index}/"
        item = ReviewItem(
            url=url, page_url=url, spider="structured_data",
            publication_raw=outlet.name, publication=outlet.key, headline=headline,
            film_raw=film.title if structured else headline,
            film_reason=None if structured else "agreed:headline+title",
            film_year_raw=str(film.year) if dated else None,
            film_title=film.title, film_year=film.year if dated else None, film_key=film.key,
            standfirst_raw=f"{authors[0].name} on {film.title}: {TAGLINES[draws.below(len(TAGLINES))]}.",
            title_raw=f"{headline} | {outlet.name}",
            keywords_raw=[f"{film.title} ({film.year})", "Reviews", "Film"],
            published_raw=(f"{published.isoformat()}T{draws.below(24):02d}:30:00+00:00" if structured
                           else f"{published.day} {published:%B %Y}"),
            published=published, language="en",
            source_format="json-ld" if structured else ("microdata" if draws.unit() < 0.3 else "opengraph"),
            text=self._text(film.title, draws),
        )
        self._credit(item, authors, structured, draws)
        self._rate(item, outlet, structured, draws, film.quality + critic.leniency)
        return item

    def film_link(self, item: ReviewItem, film: FilmEntry) -> tuple[int | None, str | None, str]:
        """(film id, unresolved reason, match rule) as the store links a generated review: by its
        year; without one, the only dated film of its title unless the review is out of its window."""
        if item.film_year is not None:
            return film.id, None, "year"
        doubt = doubt_about_only_film(film.year, item.published, item.headline, item.standfirst_raw)
        return (None, doubt, None) if doubt else (film.id, None, "only_dated")

    def film_of(self, item: ReviewItem) -> FilmEntry:
        return self._by_key[item.film_key]

    def _text(self, title: str, draws: _Draws) -> str:
        pool, parts, size = self._text_pool, [], 0
        while size < TEXT_BYTES:
            paragraph = pool[draws.below(len(pool))]
            parts.append(paragraph)
            size += len(paragraph) + 2
        parts.insert(1, f"{title} is the kind of film that {TAGLINES[draws.below(len(TAGLINES))]} describes best.")
        return "\n\n".join(parts)

    def _credit(self, item: ReviewItem, authors: list[CriticPerson], structured: bool, draws: _Draws) -> None:
        names = [a.name for a in authors]
        item.critics = names
        item.critic_raw = [("By " if draws.unit() < 0.5 else "") + " and ".join(names)]
        if structured:
            item.authors_raw = [{"name": a.name, "urls": [a.profile_url] if a.profile_url else []} for a in authors]
            item.critic_urls = [a.profile_url for a in authors if a.profile_url]
            item.critic_profiles = {a.name: [a.profile_url] for a in authors if a.profile_url}

    def _rate(self, item: ReviewItem, outlet: Outlet, structured: bool, draws: _Draws, opinion: float) -> None:
        rating = None
        opinion += 24 * (draws.unit() + draws.unit() + draws.unit() - 1.5)  # noise, sd ~12
        if outlet.scale and draws.unit() < 0.85:
            options = RATINGS_BY_SCALE[outlet.scale]
            item.rating_raw = (options[draws.below(len(options))] if draws.unit() < 0.03
                               else _nearest_option(outlet.scale, opinion))
            rating = _parsed(item.rating_raw, outlet.scale)
            if rating is not None and structured and "/" in item.rating_raw:
                value, best = item.rating_raw.split("/")
                item.rating_parts = {"value": value, "best": best, "worst": None}
        if rating is not None:
            item.rating_value, item.rating_best, item.rating_worst = rating.value, rating.best, rating.worst
            item.scale, item.score = rating.scale, rating.score
            item.verdict, item.fresh, item.verdict_source = rating.verdict, rating.fresh, "rating"
            item.confidence = 1.0 if draws.unit() < 0.8 else round(0.7 + 0.29 * draws.unit(), 3)
        elif draws.unit() < 0.2:
            item.label_raw = LABELS[draws.below(len(LABELS))]
            item.verdict, item.fresh, item.verdict_source, item.confidence = "positive", True, "label", 1.0
        elif draws.unit() < 0.95:  # read by the text model
            roll = draws.unit() - (opinion - 60) / 100
            item.verdict = "positive" if roll < 0.55 else ("mixed" if roll < 0.75 else "negative")
            item.fresh = item.verdict == "positive" or (item.verdict == "mixed" and draws.unit() < 0.4)
            item.verdict_source, item.confidence = "inferred", round(0.5 + 0.48 * draws.unit(), 3)


@lru_cache(maxsize=None)
def _parsed(raw: str, scale: str):
    return parse_rating(raw, scale)


@lru_cache(maxsize=None)
def _scored_options(scale: str) -> tuple[tuple[float, str], ...]:
    """The scale's options the parser reads, by score."""
    parsed = ((_parsed(raw, scale), raw) for raw in RATINGS_BY_SCALE[scale])
    return tuple(sorted((rating.score, raw) for rating, raw in parsed if rating is not None and rating.score is not None))


def _nearest_option(scale: str, opinion: float) -> str:
    options = _scored_options(scale)
    at = bisect.bisect_left(options, (opinion, ""))
    near = options[max(0, at - 1):at + 1]
    return min(near, key=lambda option: abs(option[0] - opinion))[1]


def _published(year: int, draws: _Draws) -> date:
    """Mostly within a year of the film's release; older films are reviewed as revivals."""
    start = date(year, 1, 1) if year >= FIRST_DAY.year else FIRST_DAY
    span = 500 if year >= FIRST_DAY.year else DAYS
    day = start + timedelta(days=draws.below(span))
    return min(day, FIRST_DAY + timedelta(days=DAYS - 1))


def _outlet(i: int, seed: int) -> Outlet:
    draws = _Draws(seed, -1 - i)
    word = OUTLET_WORDS[i % len(OUTLET_WORDS)]
    kind = OUTLET_KINDS[(i // len(OUTLET_WORDS)) % len(OUTLET_KINDS)]
    number = i // (len(OUTLET_WORDS) * len(OUTLET_KINDS))
    name = f"The {word.capitalize()} {kind}" + (f" {number + 1}" if number else "")
    slug = "-".join(name.lower().replace("the ", "", 1).split())
    total = sum(w for _, w in OUTLET_SCALES)
    roll, scale = draws.below(total), None
    for candidate, weight in OUTLET_SCALES:
        if roll < weight:
            scale = candidate
            break
        roll -= weight
    return Outlet(i + 1, f"bench-{slug}", name, f"{slug}.example", scale, ("US", "GB", "CA", "AU")[i % 4])


def _critic(i: int, seed: int, outlets: list[Outlet]) -> CriticPerson:
    draws = _Draws(seed, -100_000 - i)
    first = FIRST_NAMES[i % len(FIRST_NAMES)]
    n = i // len(FIRST_NAMES)  # a surname per block of first names: every full name distinct
    surname = (SYLLABLES[n % len(SYLLABLES)] + SYLLABLES[(n // len(SYLLABLES)) % len(SYLLABLES)]
               + SURNAME_ENDS[(n // len(SYLLABLES) ** 2) % len(SURNAME_ENDS)]).capitalize()
    name = f"{first} {surname}"
    home = outlets[i % len(outlets)]
    profile_url = None
    placed = [home.id - 1]
    if draws.unit() < 0.4:
        profile_url = f"https://{home.domain}/critics/{first.lower()}-{surname.lower()}/"
        if draws.unit() < 0.25:  # a freelancer: a second outlet links the same profile page
            placed.append((home.id - 1 + 1 + draws.below(len(outlets) - 1)) % len(outlets))
    person = CriticPerson(i + 1, name, placed, profile_url, leniency=16 * (draws.unit() + draws.unit() - 1))
    if profile_url:
        person.profile = profile_key(profile_url, f"https://{home.domain}/")
        person.uid = f"p:{person.profile}"
    else:
        person.uid = f"n:{person_key(name)}@{home.key}"
    return person


def _films(count: int, seed: int) -> list[FilmEntry]:
    films: list[FilmEntry] = []
    seen: set[str] = set()
    i = 0
    while len(films) < count:
        a = ADJECTIVES[i % len(ADJECTIVES)]
        n = NOUNS[(i // len(ADJECTIVES)) % len(NOUNS)]
        pattern = TITLE_PATTERNS[(i // (len(ADJECTIVES) * len(NOUNS))) % len(TITLE_PATTERNS)]
        cycle = i // (len(ADJECTIVES) * len(NOUNS) * len(TITLE_PATTERNS))
        title = pattern.format(a=a.capitalize(), n=n.capitalize()) + (f" {cycle + 1}" if cycle else "")
        i += 1
        key = film_key(title) or ""
        if not key or key in seen:  # one dated film per title: undated reviews link to it
            continue
        seen.add(key)
        draws = _Draws(seed, -1_000_000 - len(films))
        year = 2025 - int(75 * draws.unit() ** 2.5)
        slug = "-".join(title.lower().replace("'", "").split())
        films.append(FilmEntry(len(films) + 1, title, year, key, slug, quality=25 + 60 * draws.unit()))
    return films


def _paragraphs(seed: int, count: int = 400) -> list[str]:
    """Review paragraphs (~250 bytes) that texts are assembled from."""
    paragraphs = []
    for p in range(count):
        draws = _Draws(seed, -10_000_000 - p)
        words = [WORDS[draws.below(len(WORDS))] for _ in range(42)]
        paragraphs.append(" ".join(words).capitalize() + ".")
    return paragraphs


def critic_rows(world: World) -> tuple[list[dict], list[dict], list[dict]]:
    """(critics, critic_aliases, critic_profiles) rows as the store makes them for the world's critics."""
    critics, aliases, profiles = [], [], []
    for person in world.critics:
        critics.append({"id": person.id, "name": person.name, "key": critic_key(person.name), "uid": person.uid})
        for outlet_index in person.outlets:
            aliases.append({"critic_id": person.id, "spelling": person.name, "person_key": person_key(person.name),
                            "outlet": world.outlets[outlet_index].key})
        if person.profile:
            profiles.append({"profile_key": person.profile, "critic_id": person.id,
                             "outlet": world.outlets[person.outlets[0]].key})
    return critics, aliases, profiles


def run_rows(world: World) -> list[dict]:
    """Finished crawl runs the reviews were last seen by, one a day or so over the 20 years."""
    rows = []
    for r in range(world.runs):
        started = datetime(2006, 1, 1, 3, tzinfo=timezone.utc) + timedelta(days=r * DAYS / world.runs)
        rows.append({"id": r + 1, "spider": "structured_data", "args": {"start_urls": [], "follow": True},
                     "started_at": started, "finished_at": started + timedelta(minutes=40),
                     "finish_reason": "finished", "status": "ok", "pages": 900, "items_scraped": 500,
                     "reviews_new": 480, "reviews_updated": 12, "reviews_unchanged": 8, "reviews_skipped": 0,
                     "reviews_recovered": 0, "dropped": {}, "errors": 0, "pid": 4242, "host": "bench"})
    return rows
