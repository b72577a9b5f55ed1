"""Each outlet's leniency-table sums kept in `outlet_leniency_sums`, one row per outlet, by the
store, in the transaction that changes the films' sums (issue 17).

The leniency table (`aggregator outlets`, aggregator.query.outlet_leniency) compares every
outlet's reviews of a film with the film's other reviews, then sums over the outlet's films:
`leniency_sums` below, one row per (outlet, film) of `outlet_film_sums` against the film's
`film_aggregates`. At 1M reviews that is 800,000 pairs and eighteen conditional sums each:
1.2 s on SQLite, most of it the sums themselves. Kept per outlet, the table reads 300 rows.

How they stay true: an (outlet, film) pair's share of its outlet's sums depends only on the
outlet's sums of the film and the film's totals, so when the store is about to change films'
sums (aggregator.db.film_aggregates, under those films' locks) it reads the touched films'
shares per outlet (`shares_of_films`), changes the films, reads them again and adds the
difference to each outlet's row (`add_difference`): a write costs two grouped reads of the
touched films' pairs. The difference is added in SQL (`x = x + :dx`, outlets in id order), not
read and written back, because two crawls changing different films on PostgreSQL change the
same outlets' rows at once. `rebuild` computes every outlet again; `stale_outlets` lists the
outlets whose kept sums differ from a count made now.

Kept for one leave-one-out minimum only, KEPT_MIN_OTHER_REVIEWS (the table's default): the table
asked with another minimum computes its sums from the pairs as before.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Float, and_, bindparam, case, cast, delete, func, literal, select, update
from sqlalchemy.orm import Session

from aggregator.db.batching import chunks, values_in
from aggregator.db.models import FilmAggregate, OutletFilmSums, OutletLeniencySums

KEPT_MIN_OTHER_REVIEWS = 5
"""The leave-one-out minimum the kept sums are counted for: a film counts towards an outlet's
leniency (or agreement) when it has at least this many other scores (or calls). It is the
query layer's default (aggregator.query.critic_profile.MIN_OTHER_REVIEWS takes it from here)."""
COUNTS = ("with_film", "called", "called_inferred", "lenient_n", "lenient_inferred", "lenient_films",
          "lenient_base", "lenient_base_inferred", "ties", "agree", "agree_n", "agree_inferred", "agree_films",
          "agree_base", "agree_base_inferred")
FLOATS = ("expected", "lenient_sum", "lenient_squares")
SUMS = COUNTS + FLOATS


def leniency_sums(min_other_reviews: int, *, outlets: Callable[[Any], Any] | None = None,
                  films: Callable[[Any], Any] | None = None):
    """SELECT outlet, SUMS… grouped by outlet: each outlet's reviews of each film (its
    outlet_film_sums row) against the film's totals (film_aggregates PLAIN), leave-one-out by
    subtraction, the pairs limited to the outlets or films the conditions on the column keep.

    For an outlet's c scores s of a film whose other scores have mean m:
    Σ(s − m) = S − c·m and Σ(s − m)² = Q − 2·m·S + c·m²."""
    sums = OutletFilmSums
    per_outlet_film = select(
        sums.publication_id.label("outlet"), sums.film_id.label("film"), sums.reviews.label("n"),
        sums.scored, sums.score_sum, sums.score_squares.label("squares"), sums.scored_inferred, sums.calls,
        sums.fresh, sums.calls_inferred, sums.expected_fresh.label("expected"))
    if outlets is not None:
        per_outlet_film = per_outlet_film.where(outlets(sums.publication_id))
    if films is not None:
        per_outlet_film = per_outlet_film.where(films(sums.film_id))
    own = per_outlet_film.subquery("own")
    kept = FilmAggregate
    film = select(kept.film_id.label("film"), kept.all_scored.label("scored"), kept.all_score_sum.label("score_sum"),
                  kept.all_scored_inferred.label("scored_inferred"), kept.all_calls.label("calls"),
                  kept.all_fresh.label("fresh"), kept.all_calls_inferred.label("calls_inferred")).subquery("film")

    other_scored = film.c.scored - own.c.scored
    other_mean = (film.c.score_sum - own.c.score_sum) / cast(other_scored, Float)
    comparable = and_(own.c.scored > 0, other_scored >= min_other_reviews)
    other_calls = film.c.calls - own.c.calls
    other_fresh = film.c.fresh - own.c.fresh
    compared = and_(own.c.calls > 0, other_calls >= min_other_reviews)
    tie = literal(2) * other_fresh == other_calls
    agreeing = case((literal(2) * other_fresh > other_calls, own.c.fresh), else_=own.c.calls - own.c.fresh)
    counted = and_(compared, ~tie)

    def when(condition, value, zero=0):
        return func.sum(case((condition, value), else_=zero))

    return (
        select(own.c.outlet, func.sum(own.c.n).label("with_film"),
               func.sum(own.c.calls).label("called"), func.sum(own.c.expected).label("expected"),
               func.sum(own.c.calls_inferred).label("called_inferred"),
               when(comparable, own.c.scored).label("lenient_n"),
               when(comparable, own.c.score_sum - own.c.scored * other_mean, 0.0).label("lenient_sum"),
               when(comparable, own.c.squares - 2.0 * other_mean * own.c.score_sum
                    + own.c.scored * other_mean * other_mean, 0.0).label("lenient_squares"),
               when(comparable, own.c.scored_inferred).label("lenient_inferred"),
               when(comparable, 1).label("lenient_films"), when(comparable, other_scored).label("lenient_base"),
               when(comparable, film.c.scored_inferred - own.c.scored_inferred).label("lenient_base_inferred"),
               when(and_(compared, tie), own.c.calls).label("ties"),
               when(counted, agreeing).label("agree"), when(counted, own.c.calls).label("agree_n"),
               when(counted, own.c.calls_inferred).label("agree_inferred"),
               when(counted, 1).label("agree_films"), when(counted, other_calls).label("agree_base"),
               when(counted, film.c.calls_inferred - own.c.calls_inferred).label("agree_base_inferred"))
        .join_from(own, film, film.c.film == own.c.film).group_by(own.c.outlet))


Shares = dict[int, dict[str, float]]


@contextmanager
def kept_through(session: Session, film_ids: Iterable[int]) -> Iterator[None]:
    """The outlets' kept sums follow whatever the block does to these films' sums: their shares
    read before it and after it, the difference added. The films must be locked already."""
    ids = sorted(set(film_ids))
    before = shares_of_films(session, ids)
    yield
    add_difference(session, before, shares_of_films(session, ids))


def shares_of_films(session: Session, film_ids: Iterable[int]) -> Shares:
    """Per outlet, the share of its kept sums that these films' pairs make now."""
    shares: Shares = {}
    for chunk in chunks(sorted(set(film_ids))):
        statement = leniency_sums(KEPT_MIN_OTHER_REVIEWS, films=lambda column, chunk=chunk: values_in(
            session, column, chunk))
        for row in session.execute(statement).mappings():
            share = shares.setdefault(row["outlet"], dict.fromkeys(SUMS, 0))
            for name in SUMS:
                share[name] += row[name] or 0
    return shares


def add_difference(session: Session, before: Shares, after: Shares) -> None:
    """Add after − before to each outlet's kept row (made when missing), outlets in id order."""
    zero = dict.fromkeys(SUMS, 0)
    changes = []
    for outlet in sorted(set(before) | set(after)):
        old, new = before.get(outlet, zero), after.get(outlet, zero)
        difference = {name: new[name] - old[name] for name in SUMS}
        if any(difference.values()):
            changes.append({"key": outlet, **{f"d_{name}": value for name, value in difference.items()}})
    if not changes:
        return
    _make_missing_rows(session, [change["key"] for change in changes])
    table = OutletLeniencySums.__table__
    session.execute(update(table).where(table.c.publication_id == bindparam("key"))
                    .values({name: table.c[name] + bindparam(f"d_{name}") for name in SUMS}), changes)


def _make_missing_rows(session: Session, outlet_ids: list[int]) -> None:
    """A zero row for each of these outlets that has none yet (rare: an outlet's first film); a
    row a rival transaction makes at the same moment is left as it is (ON CONFLICT DO NOTHING),
    so the addition after it holds."""
    kept = set()
    for chunk in chunks(outlet_ids):
        kept.update(session.scalars(select(OutletLeniencySums.publication_id).where(
            values_in(session, OutletLeniencySums.publication_id, chunk))))
    missing = [{"publication_id": outlet, **dict.fromkeys(SUMS, 0)} for outlet in outlet_ids if outlet not in kept]
    if not missing:
        return
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    session.execute(insert(OutletLeniencySums).on_conflict_do_nothing(index_elements=["publication_id"]), missing)


def insert_every_outlet():
    """INSERT INTO outlet_leniency_sums every outlet's sums counted from the pairs (rebuild,
    migration 0018)."""
    statement = leniency_sums(KEPT_MIN_OTHER_REVIEWS)
    names = ["publication_id", *(column.key for column in list(statement.selected_columns)[1:])]
    return OutletLeniencySums.__table__.insert().from_select(names, statement)


def rebuild(session: Session) -> int:
    """Every outlet's sums counted again from the pairs; returns the outlets kept."""
    session.execute(delete(OutletLeniencySums), execution_options={"synchronize_session": False})
    session.execute(insert_every_outlet())
    return session.scalar(select(func.count()).select_from(OutletLeniencySums)) or 0


def stale_outlets(session: Session, *, tolerance: float = 1e-9) -> list[int]:
    """Outlets whose kept sums differ from a count made now (to rounding, relative to the sum)."""
    kept = {row["publication_id"]: row for row in session.execute(select(OutletLeniencySums.__table__)).mappings()}
    fresh = {row["outlet"]: row for row in session.execute(leniency_sums(KEPT_MIN_OTHER_REVIEWS)).mappings()}
    stale = []
    for outlet in sorted(set(kept) | set(fresh)):
        old, new = kept.get(outlet), fresh.get(outlet)
        for name in SUMS:
            a, b = float(old[name]) if old else 0.0, float((new[name] if new else 0) or 0)
            if not math.isclose(a, b, rel_tol=tolerance, abs_tol=1e-6):
                stale.append(outlet)
                break
    return stale
