"""Critics like me: the stored critics whose calls most often match a person's own ratings
(`aggregator critics like-me FILE`; docs/queries-critics.md "Critics like me").

The person's rows (aggregator.query.own_ratings) are matched to stored films, never guessed:
by IMDb id where the store has that id (FilmExternalId), else by the project's film key of the
title (film_key_of, the rule `find_films` and the film pipeline use) and the year. A title
that matches no stored film, or several with no year to choose between them, is listed as
unmatched with the reason. A film rated on several rows counts once, and only when the rows
give it the same score.

The person's call on a film is fresh when their score is at least the store's own FRESH_FROM
(Rotten Tomatoes' 60). A critic's call and score on a film are `critic_compare`'s (their
reviews' call when those agree, the mean of their scores); an inferred call counts by its
calibrated probability of being fresh (`scorecard.fresh_probability`; a critic's P(fresh) on a
film is the mean over their calls of it), so a film on which an
inferred call at 0.8 fresh meets a fresh person counts 0.8 of an agreement, and the share is
the expected share with Wilson's interval at it (docs/queries.md says why that holds).
Critics are stored merged and a review links a critic once, so a merged critic counts once.

Cost: four statements for a file of up to `CHUNK` (500) films, whatever the number of critics
or reviews: the rows are matched in two set-based queries (ids, then title keys); every
critic's agreement is summed in the database in one (one row back per critic, not one per
review); the listed critics' reviews of the matched films, for their scores, in one. Measured
on the 1M-review SQLite benchmark store (benchmarks.store_1m), 500 ratings of popular films
(~65,000 reviews): 0.33-0.74 s on the shared 2-core machine under load.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import case, func, literal, or_, select, union_all
from sqlalchemy.orm import Session, aliased

from aggregator.db.batching import chunks
from aggregator.db.models import Critic, Film, FilmExternalId, Review, ReviewCritic, film_key_of
from aggregator.query.critic_compare import Correlation, _correlation, _Side
from aggregator.query.critic_profile import INFERRED, MIN_INPUTS, MeanFigure, ShareFigure, mean_figure, share_figure
from aggregator.query.own_ratings import OwnRating, OwnRatings, UnreadableRow
from aggregator.ratings.scores import FRESH_FROM

MIN_OVERLAP = 5
"""A critic is ranked only with at least this many films that both they and the person called
(`--min-overlap`): fewer give an interval too wide to rank on."""

LIMIT = 10
"""Critics listed by default (`--limit`)."""

BY_ID, BY_TITLE = "imdb_id", "title"


@dataclass(frozen=True)
class UnmatchedRow:
    line: int
    title: str
    year: int | None
    imdb_id: str | None
    reason: str
    """"no such film", "2 films match, no year", "no film of 2031 (stored: 2029)", or a row
    repeating a film another row rated."""


@dataclass(frozen=True)
class LikeMeCritic:
    critic_id: int
    name: str
    agreement: ShareFigure
    """Films both called; `count` is the expected number whose calls match (an inferred call
    counts by its probability, so it may be fractional); `inferred` films had an inferred call."""
    correlation: Correlation
    """Pearson's r of the critic's and the person's scores over the films both scored."""
    mean_difference: MeanFigure
    """Mean of (the critic's score − the person's score): positive when the critic scores higher."""


@dataclass
class CriticsLikeMe:
    format: str
    """The file's format: "letterboxd", "imdb" or "plain"."""
    rows: int
    """Data rows in the file (blank lines aside)."""
    unreadable: list[UnreadableRow]
    matched_by_id: int
    """Rows counted, matched to a film by their IMDb id."""
    matched_by_title: int
    """Rows counted, matched by title and year (no id, or an id the store does not have)."""
    unmatched: list[UnmatchedRow]
    """Every other readable row, with why it does not count: rows =
    len(unreadable) + matched_by_id + matched_by_title + len(unmatched)."""
    films: int
    """Distinct stored films the person's ratings count on (what agreement is measured over)."""
    fresh_from: float
    min_overlap: int
    candidates: int
    """Critics sharing at least `min_overlap` films both called: ranked, then cut to the limit."""
    critics: list[LikeMeCritic]
    minimum_inputs: int = MIN_INPUTS


def _films_by_imdb_id(session: Session, ids: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in chunks(sorted(set(ids))):
        stmt = (select(FilmExternalId.value, FilmExternalId.film_id)
                .where(FilmExternalId.kind == "imdb", FilmExternalId.value.in_(chunk)))
        found.update((value, film) for value, film in session.execute(stmt))
    return found


def _films_by_key(session: Session, keys: list[str]) -> dict[str, list[tuple[int, int | None]]]:
    """{key: [(film id, year)]} of the stored films with reviews, as `find_films` matches them
    (a year-less film whose reviews all moved to a dated one is no candidate)."""
    reviewed = select(Review.id).where(Review.film_id == Film.id).exists()
    found: dict[str, list[tuple[int, int | None]]] = defaultdict(list)
    for chunk in chunks(sorted(set(keys))):
        stmt = (select(Film.key, Film.id, Film.year).where(Film.key.in_(chunk), reviewed)
                .order_by(Film.year.is_(None), Film.year, Film.id))
        for key, film_id, year in session.execute(stmt):
            found[key].append((film_id, year))
    return found


def _years(films: list[tuple[int, int | None]]) -> str:
    return ", ".join("no year" if year is None else str(year) for _, year in films)


def _by_title(rating: OwnRating, films: list[tuple[int, int | None]]) -> tuple[int | None, str | None]:
    """(film id, None) or (None, why the title and year name no one stored film)."""
    if rating.year is not None:
        same_year = [film for film, year in films if year == rating.year]
        if same_year:  # a key and a year are one film (Film.uid)
            return same_year[0], None
        return None, f"no film of {rating.year} (stored: {_years(films)})" if films else "no such film"
    if len(films) == 1:
        return films[0][0], None
    return None, f"{len(films)} films match, no year" if films else "no such film"


def match_films(session: Session, ratings: list[OwnRating]
                ) -> tuple[dict[int, OwnRating], dict[str, int], list[UnmatchedRow]]:
    """({film id: the row rating it}, {BY_ID: rows, BY_TITLE: rows} of those rows, every other
    row with why it does not count), in two queries per CHUNK rows. A film rated on several
    rows keeps the first when they give one score; with different scores none is kept (which
    to believe is the person's to say)."""
    by_id = _films_by_imdb_id(session, [r.imdb_id for r in ratings if r.imdb_id])
    rest = [r for r in ratings if by_id.get(r.imdb_id or "") is None]
    by_key = _films_by_key(session, [film_key_of(r.title) for r in rest])
    unmatched: list[UnmatchedRow] = []
    rows_of: dict[int, list[OwnRating]] = defaultdict(list)
    how_matched: dict[int, str] = {}
    for rating in ratings:
        film = by_id.get(rating.imdb_id or "")
        how_matched[rating.line] = BY_ID
        if film is None:
            film, reason = _by_title(rating, by_key.get(film_key_of(rating.title), []))
            how_matched[rating.line] = BY_TITLE
            if film is None:
                unmatched.append(UnmatchedRow(rating.line, rating.title, rating.year, rating.imdb_id, reason))
                continue
        rows_of[film].append(rating)
    kept: dict[int, OwnRating] = {}
    how = {BY_ID: 0, BY_TITLE: 0}
    for film, rows in rows_of.items():
        first, *again = rows
        if all(row.score == first.score for row in again):
            kept[film] = first
            how[how_matched[first.line]] += 1
            repeats = [(row, f"same film and score as line {first.line} (counted once there)") for row in again]
        else:
            lines = ", ".join(str(row.line) for row in rows)
            repeats = [(row, f"film rated {len(rows)} times with different scores (lines {lines})") for row in rows]
        unmatched += [UnmatchedRow(row.line, row.title, row.year, row.imdb_id, reason) for row, reason in repeats]
    unmatched.sort(key=lambda row: row.line)
    return kept, how, unmatched


def _fresh_probability_sql(review):
    """`scorecard.fresh_probability` of a review with a call, as SQL: 1 or 0 for a given call,
    the confidence of an inferred fresh call (clamped to 0-1) and 1 - it of a rotten one."""
    given = case((review.fresh.is_(True), 1.0), else_=0.0)
    confidence = case((review.confidence > 1.0, 1.0), (review.confidence < 0.0, 0.0), else_=review.confidence)
    inferred = case((review.confidence.is_(None), given), (review.fresh.is_(True), confidence),
                    else_=1.0 - confidence)
    return given, inferred


def _calls(link, review, films, probability, inferred: int, source):
    """(critic, film, fresh, P(fresh), inferred) of every call on `films` of the reviews `source` selects."""
    return (select(link.critic_id.label("critic"), review.film_id.label("film"), review.fresh.label("fresh"),
                   probability.label("p"), literal(inferred).label("inferred"))
            .select_from(link).join(review, review.id == link.review_id)
            .where(review.film_id.in_(films), review.fresh.is_not(None), source))


def _agreement_by_critic(session: Session, person: dict[int, OwnRating]) -> dict[int, tuple[int, float, int]]:
    """{critic: (films both called, expected agreements, films whose call was inferred)}, in one
    statement per CHUNK films (the sums add up across chunks: each film is in one).

    Grouped in the database, per (critic, film) and then per critic, so that what comes back is
    one row per critic, not one per review (tens of thousands for 500 popular films). Calls
    are read in two halves: the given ones from the covering index (film_id, verdict_source,
    fresh, score) alone, the inferred ones with their confidence from the table."""
    totals: dict[int, list] = defaultdict(lambda: [0, 0.0, 0])
    for chunk in chunks(sorted(person)):
        fresh_films = [film for film in chunk if person[film].score >= FRESH_FROM]
        link, review = aliased(ReviewCritic), aliased(Review)
        given, inferred = _fresh_probability_sql(review)
        every_call = union_all(
            _calls(link, review, chunk, given, 0, func.coalesce(review.verdict_source, "") != INFERRED),
            _calls(link, review, chunk, inferred, 1, review.verdict_source == INFERRED)).subquery("calls")
        c = every_call.c
        per_film = (select(c.critic, c.film, func.count().label("n"),
                           func.sum(case((c.fresh.is_(True), 1), else_=0)).label("fresh"),
                           func.sum(c.p).label("p"), func.max(c.inferred).label("inferred"))
                    .group_by(c.critic, c.film)).subquery("per_film")
        f = per_film.c
        share = f.p / f.n  # the critic's P(fresh) on the film: the mean over their calls of it
        stmt = (select(f.critic, func.count(), func.sum(case((f.film.in_(fresh_films), share), else_=1.0 - share)),
                       func.sum(f.inferred))
                .where(or_(f.fresh == 0, f.fresh == f.n))  # mixed calls on one film give no call
                .group_by(f.critic))
        for critic, called, agreed, called_inferred in session.execute(stmt):
            total = totals[critic]
            total[0] += int(called)
            total[1] += float(agreed)
            total[2] += int(called_inferred)
    return {critic: tuple(total) for critic, total in totals.items()}


def _critics_films(session: Session, film_ids: list[int], critic_ids: list[int]
                   ) -> tuple[dict[int, dict[int, _Side]], dict[int, str]]:
    """({critic: {film: their reviews of it}}, {critic: name}) of `critic_ids` over `film_ids`,
    in one query per CHUNK films: the scores behind the listed critics' correlation and mean
    difference."""
    sides: dict[int, dict[int, _Side]] = defaultdict(dict)
    names: dict[int, str] = {}
    for chunk in chunks(sorted(film_ids)):
        stmt = (select(ReviewCritic.critic_id, Critic.name, Review.film_id, Review.fresh, Review.score,
                       Review.verdict_source)
                .join(Review, Review.id == ReviewCritic.review_id).join(Critic, Critic.id == ReviewCritic.critic_id)
                .where(ReviewCritic.critic_id.in_(critic_ids), Review.film_id.in_(chunk)))
        for row in session.execute(stmt):
            names[row.critic_id] = row.name
            if row.fresh is None and row.score is None:
                continue
            sides[row.critic_id].setdefault(row.film_id, _Side([], [])).add(row)
    return sides, names


def _score_pairs(films: dict[int, _Side], person: dict[int, OwnRating]) -> tuple[list[tuple[float, float]], int]:
    """[(the critic's score, the person's score)] over the films both scored, and on how many
    of them the critic's score came with an inferred call."""
    pairs, inferred = [], 0
    for film, side in sorted(films.items()):
        if side.score is not None:
            pairs.append((side.score, person[film].score))
            inferred += side.inferred_score
    return pairs, inferred


def critics_like_me(session: Session, own: OwnRatings, *, min_overlap: int = MIN_OVERLAP, limit: int = LIMIT,
                    minimum: int = MIN_INPUTS) -> CriticsLikeMe:
    """The critics whose calls most often match the person's, ranked by the lower bound of the
    95% Wilson interval of their agreement (then more films both called, then the lower id)."""
    min_overlap = max(1, min_overlap)
    person, how, unmatched = match_films(session, own.ratings)
    figures = {critic: share_figure(agreed, called, called_inferred, minimum=min_overlap, what="films")
               for critic, (called, agreed, called_inferred) in _agreement_by_critic(session, person).items()
               if called >= min_overlap}
    ranked = sorted(figures, key=lambda critic: (-figures[critic].low, -figures[critic].denominator, critic))
    shown = ranked[:max(0, limit)]
    sides, names = _critics_films(session, list(person), shown) if shown else ({}, {})
    critics = []
    for critic in shown:
        pairs, inferred = _score_pairs(sides[critic], person)
        differences = [critic_score - own_score for critic_score, own_score in pairs]
        critics.append(LikeMeCritic(
            critic, names[critic], figures[critic], _correlation(pairs, inferred, minimum),
            mean_figure(differences, inferred, minimum=minimum, what="films")))
    return CriticsLikeMe(
        format=own.format, rows=own.rows, unreadable=list(own.unreadable),
        matched_by_id=how[BY_ID], matched_by_title=how[BY_TITLE], unmatched=unmatched, films=len(person),
        fresh_from=FRESH_FROM, min_overlap=min_overlap, candidates=len(figures), critics=critics,
        minimum_inputs=minimum)


def like_me_record(result: CriticsLikeMe) -> dict[str, Any]:
    """As aggregator/schemas/critics-like-me.schema.json describes it."""
    return asdict(result)
