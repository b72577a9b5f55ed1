"""Each film's figures kept as sums in `film_aggregates` (issue 17), by the store, in the
transaction that changes the film's reviews.

Ranking films or taking a film's consensus for every review of a critic or an outlet would
otherwise group the whole reviews table at each question (3.6 s on 100,000 reviews). The sums
are those the scorecard's figures are made of (aggregator.query.scorecard): reviews with a
film, each critic once per film (a review whose critic wrote an earlier-stored review of the
same film is left out), an inferred call counted by its probability of fresh.

How they stay true: every write that can change what a film counts (a review stored, updated,
moved to another film or given another critic, an inferred call read again, critics merged, a
film link made by hand, an outlet's weight changed, renormalise) names the films it touched
with `films_changed`; just before the session commits, those films' sums are computed again
from their reviews, exactly, in the same transaction (`before_commit`). A review just inserted
(the common write: a crawl's new reviews) is named with `reviews_added` instead, and only its
share is added to its film's sums and its outlet's: a recount would read every review of the
film for each batch that brings one (a store batch of new reviews into 1M reviews was 7× slower).
It counts unless one of its critics has an earlier review of the film; were one of them to have a
later review it did not write itself (another transaction's, committed first), the film is
counted again instead. An unchanged re-crawl names no film, so it changes nothing. Each outlet's sums per film (`outlet_film_sums`, the leniency table's input) are
kept with them, film by film, and each outlet's leniency-table sums over its films with those
(aggregator.db.outlet_leniency_sums: the touched films' share read before and after, the
difference added). `rebuild` computes every film again (the benchmark stores); `stale_films`
lists the films whose kept sums differ from their reviews' (the tests' proof).

On PostgreSQL two crawls may change one film at once: each takes a transaction-scoped advisory
lock on the film's bucket (film id % 64) before computing or adding to it, every bucket at once, so the second computes after the first commits and sees its
reviews (READ COMMITTED takes a new snapshot per statement). On SQLite the write lock orders them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import and_, bindparam, case, delete, event, exists, func, not_, select, text, tuple_, update
from sqlalchemy.orm import Session, aliased

from aggregator.db import outlet_leniency_sums
from aggregator.db.batching import chunks, values_in
from aggregator.db.models import FilmAggregate, OutletFilmSums, Publication, Review, ReviewCritic

TOP_CRITIC_FACTOR = 2.0
"""A top critic's review (the listing's top-critic flag) weighs this many times its outlet's
registry weight in the weighted score, here and in the scorecard (which publishes it with every
weighted figure): Rotten Tomatoes singles them out; 2 makes them count more without letting five
of them outvote fifty other critics."""
FIGURES = ("reviews", "called", "expected_fresh", "called_inferred", "scored", "score_sum",
           "scored_inferred", "weight_sum", "weighted_sum")
PLAIN = ("all_calls", "all_fresh", "all_calls_inferred", "all_scored", "all_score_sum", "all_scored_inferred")
"""Every review of the film, each call counted as given (fresh or not, however it was made):
the totals a critic's or an outlet's leave-one-out consensus subtracts its own reviews from
(aggregator.query.critic_profile.FilmSums)."""
KEPT = FIGURES + PLAIN
_PENDING = "films_to_refresh"
_ADDED = "reviews_to_add"
_LOCK_NAMESPACE = 17_001
_LOCK_BUCKETS = 64
"""pg_advisory_xact_lock(namespace, film id % buckets): the films being counted again. Bucketed,
because each lock a transaction holds takes a slot of the server's shared lock table
(max_locks_per_transaction × connections): a lock per film ran out of it when one transaction
counted thousands of films again."""


def figure_columns(review: Any = Review, weight: Any = Publication.weight, only: Any = None) -> dict[str, Any]:
    """The sums of FIGURES as SQL aggregates over rows with the columns of Review (`review`: the
    entity or a subquery's columns) and their outlet's `weight`; with `only`, over the rows
    where it holds."""
    def among(value):
        return value if only is None else case((only, value), else_=None)

    called = review.fresh.is_not(None)
    p_fresh = fresh_probability_sql(review)
    inferred = review.verdict_source == "inferred"
    factor = case((review.top_critic == True, TOP_CRITIC_FACTOR), else_=1.0)  # noqa: E712
    scored_weight = case((review.score.is_not(None), weight * factor), else_=None)
    return {
        "reviews": func.count(among(review.id)),
        "called": func.count(among(review.fresh)),
        "expected_fresh": func.coalesce(func.sum(among(p_fresh)), 0.0),
        "called_inferred": func.coalesce(func.sum(among(case((and_(called, inferred), 1), else_=0))), 0),
        "scored": func.count(among(review.score)),
        "score_sum": func.coalesce(func.sum(among(review.score)), 0.0),
        "scored_inferred": func.coalesce(func.sum(among(case((and_(review.score.is_not(None), inferred), 1),
                                                             else_=0))), 0),
        "weight_sum": func.coalesce(func.sum(among(scored_weight)), 0.0),
        "weighted_sum": func.coalesce(func.sum(among(scored_weight * review.score)), 0.0),
    }


def fresh_probability_sql(review: Any = Review):
    """aggregator.query.scorecard.fresh_probability in SQL: NULL without a call, the call for a
    given verdict, the confidence of an inferred fresh call and 1 - that of a rotten one."""
    return case(
        (review.fresh.is_(None), None),
        (and_(review.verdict_source == "inferred", review.confidence.is_not(None)),
         case((review.fresh == True, review.confidence), else_=1.0 - review.confidence)),  # noqa: E712
        (review.fresh == True, 1.0),  # noqa: E712
        else_=0.0,
    )


def plain_columns(review: Any) -> dict[str, Any]:
    """The sums of PLAIN (every review, a call counted as given) as SQL aggregates."""
    inferred = review.verdict_source == "inferred"
    return {
        "all_calls": func.count(review.fresh),
        "all_fresh": func.coalesce(func.sum(case((review.fresh == True, 1), else_=0)), 0),  # noqa: E712
        "all_calls_inferred": func.coalesce(func.sum(case((and_(review.fresh.is_not(None), inferred), 1),
                                                          else_=0)), 0),
        "all_scored": func.count(review.score),
        "all_score_sum": func.coalesce(func.sum(review.score), 0.0),
        "all_scored_inferred": func.coalesce(func.sum(case((and_(review.score.is_not(None), inferred), 1),
                                                           else_=0)), 0),
    }


def _with_a_film(review) -> list:
    return [review.film_id.is_not(None)]


def first_of_its_critics(selected: Callable[[Any], list] = _with_a_film):
    """No critic of the review wrote an earlier-stored review of the same film among the
    reviews `selected` (conditions on an alias of Review) keeps."""
    return Review.id.not_in(repeated_reviews(selected))


def repeated_reviews(selected: Callable[[Any], list] = _with_a_film):
    """SELECT the ids of the `selected` reviews one of whose critics has an earlier-stored
    review of the same film among them: each (critic, film)'s reviews numbered in id order, in
    one sorted pass, and those after the first. (A correlated "earlier review by the same
    critic" probe, or a join from each (critic, film)'s first id to the film's later reviews,
    walks a popular film's thousands of reviews once per critic: minutes on 1M.)"""
    link, review = aliased(ReviewCritic), aliased(Review)
    numbered = (
        select(link.review_id, func.row_number().over(partition_by=(link.critic_id, review.film_id),
                                                      order_by=review.id).label("nth"))
        .join(review, review.id == link.review_id)
        .where(*selected(review))
        .subquery("numbered")
    )
    return select(numbered.c.review_id).where(numbered.c.nth > 1).distinct()


def _figures_of(among: Callable[[Any], Any] | None):
    """SELECT film_id, FIGURES…, PLAIN… of the given films (None: every film), grouped by film:
    each review read once, flagged counted or not (a critic's repeated review of the film)."""
    def selected(review) -> list:
        return [review.film_id.is_not(None)] if among is None else [among(review.film_id)]

    repeated = repeated_reviews(selected).subquery("repeated")  # joined once, not a test per aggregate
    rows = (
        select(Review.id, Review.film_id, Review.fresh, Review.score, Review.verdict_source, Review.confidence,
               Review.top_critic, Publication.weight, repeated.c.review_id.is_(None).label("counted"))
        .join(Publication, Publication.id == Review.publication_id)
        .outerjoin(repeated, repeated.c.review_id == Review.id)
        .where(*selected(Review))
        .subquery("rows")
    )
    counted = figure_columns(rows.c, rows.c.weight, only=rows.c.counted)
    plain = plain_columns(rows.c)
    return (
        select(rows.c.film_id, *(counted[name].label(name) for name in FIGURES),
               *(plain[name].label(name) for name in PLAIN))
        .group_by(rows.c.film_id)
    )


OUTLET_SUMS = ("reviews", "scored", "score_sum", "score_squares", "scored_inferred", "calls", "fresh",
               "calls_inferred", "expected_fresh")


def _outlet_sums_of(among: Callable[[Any], Any] | None, reviews: Any = None):
    """SELECT publication_id, film_id, OUTLET_SUMS… of the given films' reviews (None: every film),
    or of the reviews `reviews` (a condition on Review) keeps, grouped by outlet and film."""
    inferred = Review.verdict_source == "inferred"
    p_fresh = fresh_probability_sql()
    where = Review.film_id.is_not(None) if among is None else among(Review.film_id)
    if reviews is not None:
        where = and_(Review.film_id.is_not(None), reviews)
    columns = {
        "reviews": func.count(),
        "scored": func.count(Review.score),
        "score_sum": func.coalesce(func.sum(Review.score), 0.0),
        "score_squares": func.coalesce(func.sum(Review.score * Review.score), 0.0),
        "scored_inferred": func.count(case((inferred, Review.score))),
        "calls": func.count(Review.fresh),
        "fresh": func.coalesce(func.sum(case((Review.fresh == True, 1), else_=0)), 0),  # noqa: E712
        "calls_inferred": func.count(case((inferred, Review.fresh))),
        "expected_fresh": func.coalesce(func.sum(p_fresh), 0.0),
    }
    return (select(Review.publication_id, Review.film_id, *(columns[name].label(name) for name in OUTLET_SUMS))
            .where(where).group_by(Review.publication_id, Review.film_id))


def films_changed(session: Session, film_ids: Iterable[int | None]) -> None:
    """Count these films again before the session commits."""
    session.info.setdefault(_PENDING, set()).update(i for i in film_ids if i is not None)


def reviews_added(session: Session, review_ids: Iterable[int]) -> None:
    """These reviews were just inserted, their critics linked: add their share to their films'
    sums before the session commits (see the module docstring)."""
    session.info.setdefault(_ADDED, set()).update(review_ids)


def films_of_reviews(session: Session, review_ids: Iterable[int]) -> set[int]:
    found: set[int] = set()
    for chunk in chunks(sorted(set(review_ids))):
        found.update(session.scalars(select(Review.film_id).where(Review.id.in_(chunk), Review.film_id.is_not(None))))
    return found


def refresh(session: Session, film_ids: Iterable[int]) -> None:
    """Compute the sums of these films again from their reviews (a film no counted review is of
    loses its row), and their outlets' leniency sums with them."""
    ids = sorted(set(film_ids))
    if not ids:
        return
    _lock(session, ids)
    with outlet_leniency_sums.kept_through(session, ids):
        _recount(session, ids)


def _recount(session: Session, ids: list[int]) -> None:
    for chunk in chunks(ids):
        def among(column, chunk=chunk):  # the chunk as one bound parameter (batching.values_in)
            return values_in(session, column, chunk)

        session.execute(delete(FilmAggregate).where(among(FilmAggregate.film_id)),
                        execution_options={"synchronize_session": False})
        session.execute(FilmAggregate.__table__.insert().from_select(["film_id", *KEPT], _figures_of(among)))
        session.execute(delete(OutletFilmSums).where(among(OutletFilmSums.film_id)),
                        execution_options={"synchronize_session": False})
        session.execute(OutletFilmSums.__table__.insert().from_select(
            ["publication_id", "film_id", *OUTLET_SUMS], _outlet_sums_of(among)))


def _lock(session: Session, film_ids: Iterable[int]) -> None:
    """PostgreSQL: these films' bucket locks, every one at once, in one order (no deadlock); a
    lock the transaction holds already is taken again at no wait."""
    if session.get_bind().dialect.name == "postgresql":
        buckets = sorted({film_id % _LOCK_BUCKETS for film_id in film_ids})
        session.execute(text("SELECT pg_advisory_xact_lock(:namespace, bucket)"
                             " FROM unnest(CAST(:buckets AS integer[])) AS bucket"),
                        {"namespace": _LOCK_NAMESPACE, "buckets": buckets})


def _by_a_critic_of_the_review(*conditions: Callable[[Any], Any]):
    """EXISTS a review of the same film by one of Review's critics, where `conditions` (on an
    alias of Review) hold."""
    mine, theirs, other = aliased(ReviewCritic), aliased(ReviewCritic), aliased(Review)
    return exists(
        select(1).select_from(mine)
        .join(theirs, theirs.critic_id == mine.critic_id)
        .join(other, other.id == theirs.review_id)
        .where(mine.review_id == Review.id, other.film_id == Review.film_id, *(c(other) for c in conditions))
    )


def add_reviews(session: Session, review_ids: Sequence[int]) -> set[int]:
    """Add these new reviews' share to their films' and outlets' sums; returns the films to count
    again instead (one of the review's critics has a later review of the film it did not add)."""
    if not review_ids:
        return set()
    def added(column):
        return values_in(session, column, review_ids)

    rows = (
        select(Review.id, Review.film_id, Review.fresh, Review.score, Review.verdict_source, Review.confidence,
               Review.top_critic, Publication.weight,
               not_(_by_a_critic_of_the_review(lambda other: other.id < Review.id)).label("counted"),
               _by_a_critic_of_the_review(lambda other: other.id > Review.id,
                                          lambda other: not_(added(other.id))).label("overtaken"))
        .join(Publication, Publication.id == Review.publication_id)
        .where(added(Review.id), Review.film_id.is_not(None))
        .cte("added").prefix_with("MATERIALIZED")  # each flag tested once, not once per sum using it
    )
    counted, plain = figure_columns(rows.c, rows.c.weight, only=rows.c.counted), plain_columns(rows.c)
    shares = session.execute(
        select(rows.c.film_id, func.max(case((rows.c.overtaken, 1), else_=0)).label("overtaken"),
               *(counted[name].label(name) for name in FIGURES), *(plain[name].label(name) for name in PLAIN))
        .group_by(rows.c.film_id)).mappings().all()
    recount = {row["film_id"] for row in shares if row["overtaken"]}
    _add_to(session, FilmAggregate, ("film_id",), KEPT,
            [row for row in shares if row["film_id"] not in recount])
    outlet_shares = [row for row in session.execute(_outlet_sums_of(None, reviews=added(Review.id))).mappings()
                     if row["film_id"] not in recount]
    _add_to(session, OutletFilmSums, ("publication_id", "film_id"), OUTLET_SUMS, outlet_shares)
    return recount


def _add_to(session: Session, model, keys: tuple[str, ...], sums: tuple[str, ...], shares) -> None:
    """Add each share's `sums` to the row of its `keys` in `model`'s table (made when missing)."""
    if not shares:
        return
    table = model.__table__
    kept: dict[tuple, dict[str, Any]] = {}
    for chunk in chunks(sorted({tuple(row[k] for k in keys) for row in shares})):
        found = select(*(table.c[name] for name in keys + sums)).where(
            values_in(session, table.c[keys[0]], [key[0] for key in chunk]) if len(keys) == 1
            else tuple_(*(table.c[name] for name in keys)).in_(chunk))
        kept.update({tuple(row[k] for k in keys): dict(row) for row in session.execute(found).mappings()})
    updates, inserts = [], []
    for share in shares:
        key = tuple(share[k] for k in keys)
        old = kept.get(key)
        total = {name: (old[name] if old else 0) + (share[name] or 0) for name in sums}
        (updates if old else inserts).append({**dict(zip(keys, key)), **total})
    if inserts:
        session.execute(table.insert(), inserts)
    if updates:
        key_columns = {name: table.c[name] for name in keys}
        statement = update(table).where(*(column == bindparam(f"key_{name}") for name, column in key_columns.items()))
        session.execute(statement, [{**{f"key_{name}": row[name] for name in keys},
                                     **{name: row[name] for name in sums}} for row in updates])


def rebuild(session: Session) -> int:
    """Every film's sums computed again; returns the films kept."""
    session.info.pop(_PENDING, None)
    session.execute(delete(FilmAggregate), execution_options={"synchronize_session": False})
    session.execute(FilmAggregate.__table__.insert().from_select(["film_id", *KEPT], _figures_of(None)))
    session.execute(delete(OutletFilmSums), execution_options={"synchronize_session": False})
    session.execute(OutletFilmSums.__table__.insert().from_select(
        ["publication_id", "film_id", *OUTLET_SUMS], _outlet_sums_of(None)))
    outlet_leniency_sums.rebuild(session)
    return session.scalar(select(func.count()).select_from(FilmAggregate)) or 0


def stale_films(session: Session, *, tolerance: float = 1e-6) -> list[int]:
    """Films whose kept sums differ from their reviews' now (a film kept without reviews, or
    with reviews and not kept, included)."""
    kept = {row.film_id: row for row in session.execute(select(FilmAggregate.film_id, *(
        getattr(FilmAggregate, name) for name in KEPT)))}
    fresh = {row.film_id: row for row in session.execute(_figures_of(None))}
    stale = set(kept) ^ set(fresh)
    for film_id in set(kept) & set(fresh):
        if any(abs(float(getattr(kept[film_id], name)) - float(getattr(fresh[film_id], name) or 0)) > tolerance
               for name in KEPT):
            stale.add(film_id)
    kept_outlets = {(row[0], row[1]): row[2:] for row in session.execute(select(
        OutletFilmSums.publication_id, OutletFilmSums.film_id, *(getattr(OutletFilmSums, n) for n in OUTLET_SUMS)))}
    fresh_outlets = {(row[0], row[1]): row[2:] for row in session.execute(_outlet_sums_of(None))}
    for pair in set(kept_outlets) | set(fresh_outlets):
        old, new = kept_outlets.get(pair), fresh_outlets.get(pair)
        if old is None or new is None or any(abs(float(a) - float(b)) > tolerance for a, b in zip(old, new)):
            stale.add(pair[1])
    return sorted(stale)


@event.listens_for(Session, "before_commit")
def _refresh_pending(session: Session) -> None:
    pending = session.info.pop(_PENDING, None) or set()
    added = session.info.pop(_ADDED, None)
    film_of = dict(session.execute(select(Review.id, Review.film_id).where(
        values_in(session, Review.id, sorted(added)), Review.film_id.is_not(None))).all()) if added else {}
    touched = sorted(pending | set(film_of.values()))
    if not touched:
        return
    _lock(session, touched)  # before a share is read: a rival commits first
    with outlet_leniency_sums.kept_through(session, touched):
        pending |= add_reviews(session, sorted(i for i, film_id in film_of.items() if film_id not in pending))
        if pending:
            _recount(session, sorted(pending))


@event.listens_for(Session, "after_rollback")
def _forget_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_ADDED, None)
