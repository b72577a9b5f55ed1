"""Item-level normalisation steps: each fills the normalised twin of one concern from raw fields.

The pipelines call these one per concern; `aggregator renormalise` calls them over stored raw
values. Each returns what it decided so the caller can count it; none touches the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from aggregator.dates import parse_date
from aggregator.identity import critics_from_raw
from aggregator.identity.critic_text import CriticsFound, find_critics
from aggregator.identity.critics import authors, critic_key, person_key
from aggregator.identity.film_identity import FilmGuess, clean_title, film_from_raw
from aggregator.items import ReviewItem
from aggregator.ratings import Rating, explain_rating, rating_from_parts
from aggregator.strings import PARAGRAPH_BREAK, clean_string, cut_text  # noqa: F401  (importable from here)
from aggregator.verdicts import NO_DECISION, stated_in_text
from aggregator.verdicts.decision import PendingDecision, decide_later
from aggregator.verdicts.text.batch import ReadBatch, read_text

MULTILINE_FIELDS = frozenset({"text"})
RAW_STRING_FIELDS = (
    "url", "page_url", "publication_raw", "film_raw", "film_year_raw", "rating_raw", "label_raw",
    "published_raw", "headline", "text", "language", "standfirst_raw", "title_raw",
)
RAW_LIST_FIELDS = ("critic_raw", "critic_urls", "film_ids_raw", "keywords_raw")

# The longest value kept, in characters once cleaned. Past its cap a name, title, rating or URL
# is not one (a 100,000-character "name" is a hostile or broken page): it is dropped. Prose past
# its cap is cut, at a word. Either way `aggregator/clean/capped/<field>` counts it.
NAME_CAP = 200
"""A byline, an author's or an outlet's name (bylines with roles and dates fit easily)."""
TITLE_CAP = 500
"""A headline, a film title, a <title> tag, a keyword."""
SHORT_CAP = 100
"""A rating ("3½/5"), a verdict label, a year, a language tag."""
DATE_CAP = 200
"""A date as printed, with its "Published … · Updated …" wording."""
URL_CAP = 2_000
"""The common limit of browsers and servers."""
STANDFIRST_CAP = 5_000
"""A standfirst or description: a paragraph or two."""
TEXT_CAP = 200_000
"""A review body: the longest real reviews run to ~60,000 characters."""
FIELD_CAPS = {
    "url": URL_CAP, "page_url": URL_CAP, "critic_urls": URL_CAP, "film_ids_raw": URL_CAP,
    "publication_raw": NAME_CAP, "critic_raw": NAME_CAP, "authors_raw": NAME_CAP,
    "film_raw": TITLE_CAP, "headline": TITLE_CAP, "title_raw": TITLE_CAP, "keywords_raw": TITLE_CAP,
    "rating_raw": SHORT_CAP, "rating_parts": SHORT_CAP, "label_raw": SHORT_CAP,
    "film_year_raw": SHORT_CAP, "language": SHORT_CAP, "published_raw": DATE_CAP,
    "standfirst_raw": STANDFIRST_CAP, "text": TEXT_CAP,
}  # fmt: skip
CUT_FIELDS = frozenset({"standfirst_raw", "text"})
RAW_READ_FACTOR = 10
"""A raw value is read up to ten times its cap: cleaning (entities, white space) shrinks it, but
not by more; the rest of a 10 MB body is not worth cleaning to keep 200 KB of it."""


@dataclass
class FieldsCleaned:
    """What the clean step did to one item: the fields it changed, and a field's name once for
    each value of it that was over its cap (cut or dropped)."""

    changed: list[str] = field(default_factory=list)
    capped: list[str] = field(default_factory=list)


def clean_fields(item: ReviewItem) -> list[str]:
    """Clean every raw string field in place; returns the names of the fields it changed."""
    return clean_item_fields(item).changed


def clean_item_fields(item: ReviewItem) -> FieldsCleaned:
    """Clean every raw string field in place (aggregator.strings.clean_string) and hold each to
    its cap (FIELD_CAPS); the structured authors and rating parts alike."""
    done = FieldsCleaned()

    def cleaned(name: str, value) -> str | None:
        """`value` cleaned and held to the cap of field `name`: None when dropped."""
        cap, cut = FIELD_CAPS[name], name in CUT_FIELDS
        over = isinstance(value, str) and len(value) > RAW_READ_FACTOR * cap  # however it cleans
        if over and not cut:
            text = None
        else:
            text = clean_string(value[: RAW_READ_FACTOR * cap] if over else value,
                                multiline=name in MULTILINE_FIELDS)
        if not over and (text is None or len(text) <= cap):
            return text
        done.capped.append(name)
        return cut_text(text, cap) if cut and text else None

    for name in RAW_STRING_FIELDS:
        before = getattr(item, name)
        after = cleaned(name, before)
        if after != before:
            setattr(item, name, after)
            done.changed.append(name)
    for name in RAW_LIST_FIELDS:
        before = getattr(item, name)
        after = list(dict.fromkeys(s for s in (cleaned(name, v) for v in before) if s))
        if after != before:
            setattr(item, name, after)
            done.changed.append(name)
    structured = [a for a in (_cleaned_author(a, cleaned) for a in item.authors_raw) if a]
    if structured != item.authors_raw:
        item.authors_raw = structured
        done.changed.append("authors_raw")
    if isinstance(item.rating_parts, dict):
        parts = {key: cleaned("rating_parts", value) if isinstance(value, str) else value
                 for key, value in item.rating_parts.items()}
        if parts != item.rating_parts:
            item.rating_parts = parts
            done.changed.append("rating_parts")
    return done


def _cleaned_author(author, cleaned):
    """A structured author ({"name", "urls"}) cleaned like the byline it repeats; None when its
    name is gone (empty, or over the cap of a name)."""
    if not isinstance(author, dict) or not isinstance(author.get("name"), str):
        return author
    name = cleaned("authors_raw", author["name"])
    if not name:
        return None
    urls = author.get("urls")
    if isinstance(urls, list):  # held to the URL cap uncounted: critic_urls holds and counts them
        urls = [u for u in dict.fromkeys(clean_string(u) for u in urls if isinstance(u, str)
                                         and len(u) <= RAW_READ_FACTOR * URL_CAP) if u and len(u) <= URL_CAP]
    return {**author, "name": name, "urls": urls}


def normalise_critics(item: ReviewItem, publication_names: tuple[str, ...] = ()) -> list[str]:
    """Fill `critics` and `critic_profiles`; returns the raw strings that named no person
    (site accounts, outlets). `find_item_critics` gives the whole decision."""
    return find_item_critics(item, publication_names).dropped


def find_item_critics(item: ReviewItem, publication_names: tuple[str, ...] = ()) -> CriticsFound:
    """Fill `critics` from the bylines; when they name nobody (a site account, no byline), from
    the critic the standfirst or body names ("Jane Doe reviews …", "Review by Jane Doe", a
    signature: aggregator.identity.critic_text). Fill `critic_profiles` with each critic's own profile
    URLs from `authors_raw`. The returned `source` says where the critics came from."""
    outlets = tuple(p for p in publication_names if isinstance(p, str))
    names, dropped = _critics_from_raw(tuple(item.critic_raw), outlets)
    if names:
        found = CriticsFound(list(names), list(dropped), "byline")
    else:
        found = find_critics((), _critic_text(item), outlets, item.film_title or clean_title(item.film_raw))
        found = CriticsFound(found.critics, list(dropped), found.source)
    item.critics = list(found.critics)
    item.critic_profiles = critic_profiles(item.critics, item.authors_raw, outlets)
    return found


def _critic_text(item: ReviewItem) -> str | None:
    """The standfirst, then the body: where a critic posting under a site account is named.
    A body that is only the description (no body on the page) is not read twice."""
    standfirst, text = item.standfirst_raw, item.text
    if standfirst and text and not text.lstrip().startswith(standfirst.strip()[:200]):
        return f"{standfirst}\n\n{text}"
    return text or standfirst


def critic_profiles(
    critics: list[str], authors_raw: list[dict], publication_names: tuple[str, ...] = ()
) -> dict[str, list[str]]:
    """{critic: profile URLs} for the critics whose structured author gave URLs; each URL stays
    with the author it was given for (a name naming two people gets none: whose would it be?)."""
    nodes = [{"name": a.get("name"), "sameAs": list(a.get("urls") or ())}
             for a in authors_raw or () if isinstance(a, dict) and isinstance(a.get("name"), str)]
    urls_by_key = {person_key(a.name): list(a.urls) for a in authors(nodes, publication_names)}
    profiles = {}
    for critic in critics:
        urls = urls_by_key.get(person_key(critic))
        if urls:
            profiles[critic] = urls
    return profiles


@lru_cache(maxsize=4096)
def _critics_from_raw(raw: tuple[str, ...], publication_names: tuple[str, ...]):
    """A crawl sees the same few bylines again and again; reading one costs ~0.1 ms."""
    names, dropped = critics_from_raw(list(raw), publication_names)
    return tuple(names), tuple(dropped)


def identify_film(item: ReviewItem) -> FilmGuess:
    """Fill film_title, film_year, film_key and film_ids from every raw field that names the
    film (aggregator.identity.film_identity.film_from_raw): the reviewed work (film_raw, film_year_raw,
    film_ids_raw), the headline, the <title>, keywords, the standfirst. A year only where the
    page states one, and none when its sources disagree; external ids only as the page gives."""
    guess = film_from_raw(
        film_raw=item.film_raw, headline=item.headline, title_tag=item.title_raw,
        keywords=item.keywords_raw, standfirst=item.standfirst_raw,
        year_raw=item.film_year_raw, ids_raw=item.film_ids_raw,
    )
    item.film_title, item.film_year, item.film_key = guess.title, guess.year, guess.key
    item.film_ids = dict(guess.ids)
    return guess


IMPOSSIBLE_RATINGS = frozenset({"out_of_range", "bad_structured_rating"})
"""Reasons a stated rating was rejected that make it wrong rather than unreadable ("11/10",
"-3 stars", NaN of 4): the review keeps no verdict the model would infer from its text in its
place (a "3 stars" of unknown scale still may)."""


def rate_review(
    item: ReviewItem, publication=None, learnt_scale: str | None = None, habits=None, model=None,
    consensus: tuple[int, int] | None = None, critic_identities=None,
) -> str:
    """Fill rating, score, verdict and fresh; returns the rating reader's reason code:
    "ok", "scale_learnt" (read on `learnt_scale`, the scale learnt from the outlet's other
    ratings: aggregator.ratings.learned_scale), "absent" when the page gave no rating, or why
    a given rating was rejected (a code of aggregator.ratings.REASONS).

    A rating whose scale the string does not state ("3", "3 stars") is read on the
    registry's scale (`publication.scale`); only for an outlet the registry gives no scale
    is it read on `learnt_scale`. Every normalised rating and verdict field is (re)written, so
    a second call on the same item gives the same result. `habits` (aggregator.verdicts.habits
    .FreshHabits, learnt from stored reviews) lets the outlet's and critic's habits make the
    fresh call where the critic did not. `model` (aggregator.verdicts.text.model.VerdictModel) reads a
    verdict from the text of a review that states no rating or label (source "inferred");
    aggregator.verdicts.text.model.no_verdict_reason says why a review got none. `consensus`
    is the film's (fresh, reviews) tally of its other reviews with a given verdict
    (aggregator.db.film_consensus), which a model trained with it reads beside the text.
    `critic_identities` (aggregator.db.history.model_critic_identities, given for a model
    trained from the database) lead the byline to the stored critic whose fresh rate the
    model learnt (`model_critic_key`); the habits find it themselves.

    `model` may be a ReadBatch (aggregator.verdicts.text.batch) over the model: the rating is
    written at once, and a verdict that waits on a read of the text is written when the batch
    runs (until then the verdict fields are None); a verdict that needs no read at once.
    """
    rating, reason = None, "absent"
    registry_scale = getattr(publication, "scale", None)
    if item.rating_parts:
        parts = item.rating_parts
        rating = rating_from_parts(parts.get("value"), parts.get("best"), parts.get("worst"), raw=item.rating_raw)
        reason = "ok" if rating else "bad_structured_rating"
    if rating is None and item.rating_raw and not item.rating_parts:
        rating, reason = explain_rating(item.rating_raw, scale=registry_scale)
        if reason == "unknown_scale" and learnt_scale and not registry_scale:
            relearnt, learnt_reason = explain_rating(item.rating_raw, scale=learnt_scale)
            if relearnt is not None:
                rating, reason = relearnt, "scale_learnt"
            elif learnt_reason == "out_of_range":  # "7" from an outlet that rates out of 4
                reason = learnt_reason
    critic = critic_key(item.critics[0]) if item.critics else None
    outlet = getattr(publication, "key", None) or item.publication
    batch = model if isinstance(model, ReadBatch) else None
    if batch is not None:
        model = batch.model
    if reason in IMPOSSIBLE_RATINGS:  # the page's rating is broken: no guess stands in for it
        model = None
    decision = decide_later(rating=rating, label=item.label_raw, text=item.text, publication=publication,
                            critic=critic, habits=habits, model=model, consensus=consensus,
                            model_critic=model_critic_key(critic, outlet, critic_identities))
    if isinstance(decision, PendingDecision):
        if batch is None:
            decision = decision.finish(read_text(model, decision.read))
        else:
            finish = decision.finish
            batch.defer(decision.read, lambda inference: _write_verdict(item, finish(inference)))
    _write_rating(item, rating, registry_scale, decision.source)
    _write_verdict(item, NO_DECISION if isinstance(decision, PendingDecision) else decision)
    return reason


def _write_rating(item: ReviewItem, rating: Rating | None, registry_scale, source: str | None) -> None:
    """The rating fields of rate_review's decision (`source` is the decision's)."""
    if rating is None and source == "text":
        stated = stated_in_text(item.text, registry_scale)
        if isinstance(stated, Rating):  # a rating written in the text is kept like any other
            rating = stated
            if not item.rating_raw:  # the page's own rating string, even unread, is kept
                item.rating_raw = stated.raw
    if rating is not None:
        item.rating_value, item.rating_best, item.rating_worst = rating.value, rating.best, rating.worst
        item.scale, item.score = rating.scale, rating.score
    else:
        item.rating_value = item.rating_best = item.rating_worst = item.scale = item.score = None


def _write_verdict(item: ReviewItem, decision) -> None:
    item.verdict, item.fresh = decision.verdict, decision.fresh
    item.verdict_source, item.confidence = decision.source, decision.confidence


def model_critic_key(critic: str | None, outlet: str | None, identities=None) -> str | None:
    """The key a verdict model reads the fresh rate of the critic signing `critic` (a byline's
    `critic_key`) on `outlet` under. With `identities` ({outlet: {byline key: key or None}},
    aggregator.db.history.model_critic_identities): the stored critic met under that byline
    there, so every spelling of a merged critic reads one rate and namesakes each their own;
    None (unknown) when two critics were met under it there; the byline's key when none was
    (a critic known by name alone, if at all). Without them (a model keyed by name): the
    byline's key."""
    if not critic or identities is None:
        return critic
    met = identities.get(outlet or "", {})
    return met[critic] if critic in met else critic


def date_review(item: ReviewItem) -> date | None:
    item.published = parse_date(item.published_raw, languages=[item.language[:2]] if item.language else None)
    return item.published

