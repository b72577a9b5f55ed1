"""A film's scorecard: what its critics think, and how sure we are (docs/queries.md).

`film_scorecard(session, film_id)` reads the film's reviews (two queries) and hands plain rows
to `scorecard_from_rows`, which computes every figure in Python, so a test can recompute it from
rows it made up. Every figure states its denominator and how many of its inputs were inferred
(read from the text by the verdict model); below `MIN_REVIEWS` it is "too few" (no value, a
reason) rather than a number.

What counts: reviews linked to the film (a review with no film is no film's), each critic once
per film: a review one of whose critics wrote an earlier-stored review of the same film is left
out (`Scorecard.duplicates`), so a merged critic or a syndicated review counts once.

`film_scorecard(session, film_id, as_of=DATE)` is the scorecard as the store knew it at the end of
DATE: the rows come from aggregator.query.history (reviews stored by then, with their values then),
the figures from the same code.
"""

from __future__ import annotations

import copy
import functools
import json
import math
import os
import statistics
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from importlib import resources

from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.db.film_aggregates import TOP_CRITIC_FACTOR  # noqa: F401  (published with the figures)
from aggregator.db.models import VERDICT_SOURCES, Film, Publication, Review, ReviewCritic
from aggregator.query.history import ScoreInput, end_of, film_states, rows_at
from aggregator.query.intervals import Z95, sample_sd, t_quantile_975, wilson  # noqa: F401  (re-exported)
from aggregator.query.scores import NO_SOURCE, FilmNotFound

MIN_REVIEWS = 5
"""Inputs a figure needs before it is a number: below it a share's interval spans most of
[0, 1] and one review moves the mean by a fifth of its distance from the others."""
HISTOGRAM_BINS = 10
"""Score bins of 10 points: 0-9, 10-19, ..., 90-100 (100 falls in the last)."""
LABELS_RESOURCE = "query/labels.toml"
LABELS_ENV = "AGGREGATOR_LABELS"
"""A TOML file whose [bands] / [certified] tables replace the packaged ones (labels.toml)."""


@dataclass(frozen=True)
class Label:
    """A badge and the rule that gave it."""

    kind: str
    """"band" (on the average score) or "certified"."""
    name: str
    rule: str
    """The rule, with the figures it was met on: "average 84.0 >= 81 (of 12 scored)"."""
    source: str
    """The file the rule came from ("aggregator/query/labels.toml" or the user's file)."""


@dataclass(frozen=True)
class Share:
    """A share of reviews with its 95% interval. `value` is the expected share: a given call
    counts 1 or 0, an inferred fresh call its probability of being fresh (`fresh_probability`)."""

    value: float | None
    low: float | None
    high: float | None
    denominator: int
    """Reviews with the call this share is of."""
    expected: float
    """The expected number of positive calls among them (the numerator)."""
    inferred: int
    """Of the denominator, calls the verdict model made."""
    reason: str | None = None
    """Why there is no value ("too few: 3 reviews, 5 needed"), else None."""


@dataclass(frozen=True)
class Average:
    """The mean of the scores (0-100) with its 95% interval (Student's t), and their median."""

    value: float | None
    low: float | None
    high: float | None
    median: float | None
    denominator: int
    inferred: int
    reason: str | None = None


@dataclass(frozen=True)
class OutletWeight:
    """How much one outlet's scored reviews weigh in the weighted score, published."""

    outlet: str
    registry_weight: float
    reviews: int
    top_critic_reviews: int


@dataclass(frozen=True)
class Weighted:
    """Σ weight × score / Σ weight, weight = registry weight × TOP_CRITIC_FACTOR for a top critic."""

    value: float | None
    denominator: int
    total_weight: float
    inferred: int
    top_critic_factor: float
    weights: list[OutletWeight]
    reason: str | None = None


@dataclass(frozen=True)
class Bin:
    low: int
    high: int
    """Inclusive: 0-9, …, 90-100."""
    count: int


@dataclass(frozen=True)
class Subset:
    """The same figures over the top critics' reviews."""

    reviews: int
    fresh: Share
    score: Average


@dataclass
class Scorecard:
    film_id: int | None
    title: str | None
    year: int | None
    reviews: int
    """Reviews counted: the film's, each critic once."""
    duplicates: int
    """Reviews left out because one of their critics already counted for this film."""
    fresh: Share
    """Rotten Tomatoes-style: the share of fresh calls."""
    positive: Share
    """The share of positive among 3-way verdicts (positive/mixed/negative), as called."""
    score: Average
    weighted: Weighted
    source_counts: dict[str, int]
    histogram: list[Bin]
    top_critics: Subset
    labels: list[Label] = field(default_factory=list)
    min_reviews: int = MIN_REVIEWS
    as_of: date | None = None
    """None: as the store holds it now; a date: as it held it at the end of that day (UTC),
    revised reviews with their values then (aggregator.query.history)."""


# --- statistics -------------------------------------------------------------------------------


def fresh_probability(row: ScoreInput) -> float | None:
    """The chance the review is fresh: its call for a given verdict, and for an inferred one the
    model's calibrated probability. `confidence` is stored as the probability of the call made
    (aggregator.verdicts.text.model.inference_from_probability), so P(fresh) is the confidence
    of a fresh call and 1 - confidence of a rotten one."""
    if row.fresh is None:
        return None
    if row.verdict_source == "inferred" and row.confidence is not None:
        confidence = min(1.0, max(0.0, row.confidence))
        return confidence if row.fresh else 1.0 - confidence
    return 1.0 if row.fresh else 0.0


def too_few(count: int, needed: int = MIN_REVIEWS) -> str | None:
    return f"too few: {count} review{'s' * (count != 1)}, {needed} needed" if count < needed else None


def share_of(values: list[float], inferred: int, needed: int = MIN_REVIEWS) -> Share:
    """The expected share of `values` (1, 0 or a probability each) with its Wilson interval."""
    n, expected = len(values), sum(values)
    reason = too_few(n, needed)
    if reason:
        return Share(None, None, None, n, expected, inferred, reason)
    value = expected / n
    low, high = wilson(value, n)
    return Share(value, low, high, n, expected, inferred)


def average_of(scores: list[float], inferred: int, needed: int = MIN_REVIEWS) -> Average:
    n = len(scores)
    reason = too_few(n, needed)
    if reason:
        return Average(None, None, None, None, n, inferred, reason)
    mean = statistics.fmean(scores)
    half = t_quantile_975(n - 1) * sample_sd(scores, mean) / math.sqrt(n)
    return Average(mean, max(0.0, mean - half), min(100.0, mean + half), statistics.median(scores), n, inferred)


# --- the scorecard ----------------------------------------------------------------------------


def counted_once(rows: list[ScoreInput]) -> tuple[list[ScoreInput], int]:
    """The rows in review id order, each critic once: a row one of whose critics is on an earlier
    row is dropped (the same rule as the leaderboard's SQL). Returns (kept, dropped count)."""
    seen: set[int] = set()
    kept: list[ScoreInput] = []
    for row in sorted(rows, key=lambda r: r.review_id):
        if not seen.isdisjoint(row.critic_ids):
            seen.update(row.critic_ids)
            continue
        seen.update(row.critic_ids)
        kept.append(row)
    return kept, len(rows) - len(kept)


def _fresh_share(rows: list[ScoreInput]) -> Share:
    called = [r for r in rows if r.fresh is not None]
    return share_of([fresh_probability(r) for r in called], sum(r.verdict_source == "inferred" for r in called))


def _average(rows: list[ScoreInput]) -> Average:
    scored = [r for r in rows if r.score is not None]
    return average_of([r.score for r in scored], sum(r.verdict_source == "inferred" for r in scored))


def review_weight(row: ScoreInput) -> float:
    return row.outlet_weight * (TOP_CRITIC_FACTOR if row.top_critic else 1.0)


def _weighted(rows: list[ScoreInput]) -> Weighted:
    scored = [r for r in rows if r.score is not None]
    inferred = sum(r.verdict_source == "inferred" for r in scored)
    outlets: dict[str, list[ScoreInput]] = {}
    for row in scored:
        outlets.setdefault(row.outlet, []).append(row)
    weights = [
        OutletWeight(key, group[0].outlet_weight, len(group), sum(r.top_critic for r in group))
        for key, group in sorted(outlets.items())
    ]
    total = sum(review_weight(r) for r in scored)
    reason = too_few(len(scored))
    value = None if reason or not total else sum(review_weight(r) * r.score for r in scored) / total
    return Weighted(value, len(scored), total, inferred, TOP_CRITIC_FACTOR, weights, reason)


def histogram(scores: list[float]) -> list[Bin]:
    counts = Counter(min(int(score // HISTOGRAM_BINS), HISTOGRAM_BINS - 1) for score in scores)
    width = 100 // HISTOGRAM_BINS
    return [Bin(i * width, i * width + width - 1 + (i == HISTOGRAM_BINS - 1), counts.get(i, 0))
            for i in range(HISTOGRAM_BINS)]


def scorecard_from_rows(rows: list[ScoreInput], *, film_id: int | None = None, title: str | None = None,
                        year: int | None = None, as_of: date | None = None,
                        rules: tuple[dict, str] | None = None) -> Scorecard:
    """Every figure of the scorecard from the film's rows (no database); `rules` as label_rules()
    returns them, read once by a caller computing many scorecards."""
    kept, duplicates = counted_once(rows)
    verdicts = [r for r in kept if r.verdict is not None]
    positive = share_of([1.0 if r.verdict == "positive" else 0.0 for r in verdicts],
                        sum(r.verdict_source == "inferred" for r in verdicts))
    sources = Counter(r.verdict_source or NO_SOURCE for r in kept)
    known = (*VERDICT_SOURCES, NO_SOURCE)  # and any other present (history.UNRECORDED as of a date)
    top = [r for r in kept if r.top_critic]
    card = Scorecard(
        film_id=film_id, title=title, year=year, reviews=len(kept), duplicates=duplicates,
        fresh=_fresh_share(kept), positive=positive, score=_average(kept), weighted=_weighted(kept),
        source_counts={s: sources.get(s, 0) for s in (*known, *sorted(set(sources) - set(known)))},
        histogram=histogram([r.score for r in kept if r.score is not None]),
        top_critics=Subset(len(top), _fresh_share(top), _average(top)), as_of=as_of,
    )
    card.labels = film_labels(card, rules)
    return card


def film_rows(session: Session, film_id: int, as_of: date | None = None) -> list[ScoreInput]:
    """The film's reviews as ScoreInputs, in two queries; `as_of` a date: as the store had them at
    the end of that day (its reviews, revisions and their critics read once: history.film_states)."""
    if as_of is not None:
        return rows_at(film_states(session, session.get(Film, film_id)), end_of(as_of))
    stmt = (
        select(Review.id, Review.fresh, Review.verdict, Review.verdict_source, Review.confidence,
               Review.score, Review.top_critic, Publication.key, Publication.weight)
        .join(Publication, Publication.id == Review.publication_id)
        .where(Review.film_id == film_id)
    )
    critics: dict[int, list[int]] = {}
    critic_stmt = (
        select(ReviewCritic.review_id, ReviewCritic.critic_id)
        .join(Review, Review.id == ReviewCritic.review_id)
        .where(Review.film_id == film_id)
    )
    for review_id, critic_id in session.execute(critic_stmt):
        critics.setdefault(review_id, []).append(critic_id)
    return [
        ScoreInput(r.id, tuple(critics.get(r.id, ())), r.fresh, r.verdict, r.verdict_source, r.confidence,
                   r.score, r.key, r.weight if r.weight is not None else 1.0, bool(r.top_critic))
        for r in session.execute(stmt)
    ]


def load_schema(name: str) -> dict:
    """The JSON Schema of a --json shape: "film-scorecard", "films-top" (aggregator/schemas/)."""
    text = resources.files("aggregator").joinpath(f"schemas/{name}.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


def film_scorecard(session: Session, film_id: int, as_of: date | None = None) -> Scorecard:
    """The film's scorecard now, or `as_of` the end of a day (UTC): only the reviews stored by then,
    each with the values it had then (docs/queries.md, "History")."""
    film = session.execute(select(Film.title, Film.year).where(Film.id == film_id)).one_or_none()
    if film is None:
        raise FilmNotFound(f"no film with id {film_id}")
    return scorecard_from_rows(film_rows(session, film_id, as_of), film_id=film_id, title=film.title,
                               year=film.year, as_of=as_of)


# --- labels -----------------------------------------------------------------------------------


class LabelRulesError(ValueError):
    """The labels file is not of the shape labels.toml documents."""


def label_rules() -> tuple[dict, str]:
    """The label rules (the packaged labels.toml, its tables replaced by those of
    $AGGREGATOR_LABELS) and where they came from: read again only when that variable or the
    file's modification time changes (a server answers many scorecards with one reading)."""
    path = os.environ.get(LABELS_ENV)
    try:
        stamp = os.stat(path).st_mtime_ns if path else None
    except OSError:
        stamp = None  # (reading it below says what is wrong with it)
    return copy.deepcopy(_label_rules(path, stamp))


@functools.lru_cache(maxsize=4)
def _label_rules(path: str | None, _stamp: int | None) -> tuple[dict, str]:
    text = resources.files("aggregator").joinpath(LABELS_RESOURCE).read_text(encoding="utf-8")
    rules, source = tomllib.loads(text), f"aggregator/{LABELS_RESOURCE}"
    if path:
        with open(path, "rb") as handle:
            user = tomllib.load(handle)
        for table in ("bands", "certified"):
            rules[table] = {**rules[table], **user.get(table, {})}
        source = path
    try:
        levels = sorted(((float(b["min_score"]), str(b["name"])) for b in rules["bands"]["levels"]), reverse=True)
        certified = rules["certified"]
        for key in ("min_fresh_share", "min_reviews", "min_top_critics"):
            float(certified[key])
        str(certified["name"])
        int(rules["bands"]["min_reviews"])
    except (KeyError, TypeError, ValueError) as error:
        raise LabelRulesError(f"{source}: label rules not as labels.toml documents ({error!r})") from error
    rules["bands"]["levels"] = levels
    return rules, source


def film_labels(card: Scorecard, rules: tuple[dict, str] | None = None) -> list[Label]:
    """The band of the average score (when enough reviews are scored) and the certified label
    (when its rule is met), each saying which rule gave it."""
    table, source = rules or label_rules()
    labels = []
    bands, scored = table["bands"], card.score.denominator
    if card.score.value is not None and scored >= int(bands["min_reviews"]):
        for bound, name in bands["levels"]:
            if card.score.value >= bound:
                labels.append(Label("band", name, f"average {card.score.value:.1f} >= {bound:g}"
                                    f" (of {scored} scored)", source))
                break
    rule = table["certified"]
    share, called, top = card.fresh.value, card.fresh.denominator, card.top_critics.reviews
    if (share is not None and share >= float(rule["min_fresh_share"]) and called >= int(rule["min_reviews"])
            and top >= int(rule["min_top_critics"])):
        labels.append(Label("certified", str(rule["name"]),
                            f"fresh {share:.0%} >= {float(rule['min_fresh_share']):.0%}, {called} reviews"
                            f" >= {rule['min_reviews']}, {top} top critics >= {rule['min_top_critics']}",
                            source))
    return labels
