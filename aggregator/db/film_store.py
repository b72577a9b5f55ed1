"""Which stored film a batch of reviews is about.

Films (`match_films`): by external id first (IMDb, TMDb, Wikidata: `film_external_ids`);
then the exact (key, year); a review without a year joins the single dated film of its key
unless the page says it reviews a remake or reboot, or was published outside that film's
review window (`doubt_about_only_film`: the review of a new film of an old title is not
filed under the old one), and among several `choose_film` decides (stated ids, then the publication date). When it
cannot, the review is stored with no film and the reason (`Review.film_unresolved`), for
`aggregator film unresolved` / `aggregator film link`. A manual link is never undone.

Each link records its rule (`Review.film_match`, MATCH_RULES). "only_dated" and "chosen"
depend on which films of the title are stored: when a batch stores a new dated film of a
key, the undated reviews linked to that key by those rules are chosen again
(`_rechoose_for_new_films`): moved to the film the publication date now points to, or left
without a film as "ambiguous" (listed by `aggregator film unresolved`) when it cannot say.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from aggregator.db.batching import chunks as _chunks
from aggregator.db.critic_store import _insert
from aggregator.db.critic_store import (
    insert_ignoring_duplicates as _insert_ignoring_duplicates,
)
from aggregator.db.film_aggregates import films_changed, films_of_reviews
from aggregator.db.models import Film, FilmExternalId, Publication, Review, film_key_of
from aggregator.db.revisions import drop_orphan_films, note_vacated_films
from aggregator.identity.film_identity import (
    FilmCandidate,
    doubt_about_only_film,
    explain_film_choice,
    external_ids,
)
from aggregator.items import ReviewItem

ID_KINDS = ("imdb", "tmdb", "wikidata")
MATCH_RULES = ("external_id", "year", "only_dated", "chosen", "undated", "manual")
"""How a review's film was chosen: a stated external id; the stated year; the only dated film
of its title (no year stated); `choose_film` among several (publication date, ids); the
year-less film of a title no dated film has; by hand (`aggregator film link`)."""
RECHOSEN = ("only_dated", "chosen")


@dataclass(frozen=True)
class FilmMatch:
    film_id: int | None
    unresolved: str | None = None
    """Why a review that names a film has none (film_identity reasons), else None."""
    key: str | None = None
    rule: str | None = None
    """How the film was chosen (MATCH_RULES); None without a film."""


NO_FILM = FilmMatch(None)


def _film_row(item: ReviewItem) -> dict[str, Any] | None:
    if not (item.film_title and item.film_title.strip()):
        return None
    key = item.film_key or film_key_of(item.film_title)
    if not key:
        return None
    uid = Film.make_uid(key, item.film_year)
    return {"uid": uid, "key": key, "title": item.film_title.strip(), "year": item.film_year}


def _item_ids(item: ReviewItem) -> dict[str, str]:
    ids = item.film_ids if isinstance(item.film_ids, dict) else {}
    return {k: v for k, v in ids.items() if k in ID_KINDS and isinstance(v, str) and v}


def _get_or_create_films(session: Session, rows: dict[str, dict[str, Any]],
                         created: set[str] | None = None) -> dict[str, int]:
    """{uid: film id} for `rows`, inserting the missing films (their uids added to `created`)."""
    table = Film.__table__
    for chunk in _chunks([rows[uid] for uid in sorted(rows)]):
        stmt = _insert(session, table).on_conflict_do_nothing().returning(table.c.uid)
        inserted = session.execute(stmt, list(chunk)).scalars().all()
        if created is not None:
            created.update(inserted)
    ids: dict[str, int] = {}
    for chunk in _chunks(sorted(rows)):
        ids.update(session.execute(select(Film.uid, Film.id).where(Film.uid.in_(chunk))).all())
    return ids


def _films_by_key(session: Session, keys: Iterable[str]) -> dict[str, list[FilmCandidate]]:
    """{key: dated films of that key, with their external ids}, in id order."""
    films: dict[str, list[FilmCandidate]] = {}
    rows = []
    for chunk in _chunks(sorted(set(keys))):
        stmt = select(Film.id, Film.key, Film.year, Film.title).where(
            Film.key.in_(chunk), Film.year.is_not(None)).order_by(Film.id)
        rows.extend(session.execute(stmt).all())
    ids = _external_ids_of(session, [row.id for row in rows])
    for row in rows:
        films.setdefault(row.key, []).append(
            FilmCandidate(row.year, ids.get(row.id, {}), row.title, row.id))
    return films


def _external_ids_of(session: Session, film_ids: Sequence[int]) -> dict[int, dict[str, str]]:
    found: dict[int, dict[str, str]] = {}
    for chunk in _chunks(sorted(set(film_ids))):
        stmt = select(FilmExternalId.film_id, FilmExternalId.kind, FilmExternalId.value).where(
            FilmExternalId.film_id.in_(chunk))
        for film_id, kind, value in session.execute(stmt):
            found.setdefault(film_id, {})[kind] = value
    return found


def _conflicts(film_ids: dict[str, str], ids: dict[str, str]) -> bool:
    return any(film_ids.get(kind) not in (None, value) for kind, value in ids.items())


def match_films(session: Session, items: Sequence[ReviewItem]) -> dict[str, FilmMatch]:
    """{review url: FilmMatch} for the items (rules in the module docstring), creating the
    films and external ids they need, and moving year-less reviews stored earlier to the
    dated film they now belong to, so the result does not depend on crawl order."""
    rows = {item.url: _film_row(item) for item in items}
    wanted_ids = {item.url: _item_ids(item) for item in items}
    pairs = sorted({pair for ids in wanted_ids.values() for pair in ids.items()})
    by_external: dict[tuple[str, str], int] = {}
    for kind in ID_KINDS:
        values = sorted(v for k, v in pairs if k == kind)
        for chunk in _chunks(values):
            stmt = select(FilmExternalId.value, FilmExternalId.film_id).where(
                FilmExternalId.kind == kind, FilmExternalId.value.in_(chunk))
            by_external.update({(kind, v): f for v, f in session.execute(stmt)})
    matches: dict[str, FilmMatch] = {}
    for url, ids in wanted_ids.items():
        films = {by_external[pair] for pair in ids.items() if pair in by_external}
        key = rows[url]["key"] if rows[url] else None
        if len(films) == 1:
            matches[url] = FilmMatch(films.pop(), None, key, "external_id")
        elif films:
            matches[url] = FilmMatch(None, "id_conflict", key)

    dated: dict[str, dict[str, Any]] = {}
    for url, row in rows.items():
        if row and row["year"] is not None and url not in matches:
            dated.setdefault(row["uid"], row)  # the title as the batch first spelled it
    created: set[str] = set()
    ids_by_uid = _get_or_create_films(session, dated, created)
    keys = {row["key"] for row in rows.values() if row}
    candidates = _films_by_key(session, keys)
    undated: dict[str, dict[str, Any]] = {}
    for item in items:
        row = rows[item.url]
        if item.url in matches or row is None:
            continue
        ids = wanted_ids[item.url]
        if row["year"] is not None:
            film_id = ids_by_uid[row["uid"]]
            same = next((c for c in candidates.get(row["key"], []) if c.id == film_id), None)
            if same is not None and _conflicts(same.ids, ids):
                matches[item.url] = FilmMatch(None, "id_conflict", row["key"])
            else:
                matches[item.url] = FilmMatch(film_id, None, row["key"], "year")
            continue
        options = [c for c in candidates.get(row["key"], []) if not _conflicts(c.ids, ids)]
        doubt = doubt_about_only_film(options[0].year, _day(item.published), item.headline,
                                      item.standfirst_raw) if len(options) == 1 else None
        if doubt:  # a remake, or a review decades away from the only film of the title
            matches[item.url] = FilmMatch(None, doubt, row["key"])
        elif len(options) == 1:  # the single dated film of the key, as before choose_film
            matches[item.url] = FilmMatch(options[0].id, None, row["key"], "only_dated")
        elif not options:
            undated.setdefault(row["uid"], row)
        else:
            chosen, reason = explain_film_choice(options, _day(item.published), ids=ids)
            matches[item.url] = FilmMatch(chosen.id if chosen else None,
                                          None if chosen else reason, row["key"],
                                          "chosen" if chosen else None)
    undated_ids = _get_or_create_films(session, undated)
    for item in items:
        row = rows[item.url]
        if item.url not in matches:
            matches[item.url] = (FilmMatch(undated_ids[row["uid"]], None, row["key"], "undated")
                                 if row else NO_FILM)
    _record_external_ids(session, matches, wanted_ids, by_external)
    _settle_undated_reviews(session, candidates)
    new_keys = {dated[uid]["key"] for uid in created if uid in dated}
    _rechoose_for_new_films(session, {k: candidates.get(k, []) for k in new_keys}, set(matches))
    return matches


def _day(value: Any) -> date | None:
    return value if isinstance(value, date) else None


def _record_external_ids(session, matches, wanted_ids, by_external) -> None:
    """Store the ids a review gives for the film it was matched to, when the film has no id
    of that kind yet and no other film holds that id."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    film_ids = sorted({m.film_id for m in matches.values() if m.film_id is not None})
    held = _external_ids_of(session, film_ids)
    for url, match in matches.items():
        if match.film_id is None:
            continue
        for kind, value in wanted_ids[url].items():
            if (kind, value) in by_external or kind in held.get(match.film_id, {}):
                continue
            held.setdefault(match.film_id, {})[kind] = value
            rows.setdefault((kind, value), {"kind": kind, "value": value,
                                            "film_id": match.film_id})
    _insert_ignoring_duplicates(session, FilmExternalId.__table__,
                                [rows[pair] for pair in sorted(rows)])


def _settle_undated_reviews(session: Session, candidates: dict[str, list[FilmCandidate]]) -> None:
    """Reviews stored on the year-less film of a key that now has dated films: moved to the
    one dated film, or to the one `choose_film` picks by publication date, else unresolved."""
    keys = sorted(key for key, films in candidates.items() if films)
    uids = [Film.make_uid(key, None) for key in keys]
    undated: dict[int, str] = {}
    for chunk in _chunks(uids):
        undated.update(session.execute(select(Film.id, Film.key).where(Film.uid.in_(chunk))).all())
    if not undated:
        return
    note_vacated_films(session, undated)  # deleted after the batch if all their reviews moved
    moves = []
    for chunk in _chunks(sorted(undated)):
        stmt = select(Review.id, Review.film_id, Review.published, Review.film_ids_raw, Review.headline,
                      Review.standfirst_raw).where(
            Review.film_id.in_(chunk), Review.film_link_manual.is_(False)).order_by(Review.id)
        for review_id, film_id, published, ids_raw, headline, standfirst in session.execute(stmt):
            key = undated[film_id]
            ids = external_ids(ids_raw or [])
            options = [c for c in candidates[key] if not _conflicts(c.ids, ids)]
            if not options:
                continue
            moves.append(_choice(review_id, key, options, published, ids, (headline, standfirst)))
    _move(session, moves)


def _choice(review_id: int, key: str, options: list[FilmCandidate], published, ids,
            texts: tuple[str | None, ...] = ()) -> dict[str, Any]:
    """The film (or the reason there is none) of an undated review among `options`."""
    doubt = doubt_about_only_film(options[0].year, _day(published), *texts) if len(options) == 1 else None
    if doubt:
        chosen, reason, rule = None, doubt, None
    elif len(options) == 1:
        chosen, reason, rule = options[0], None, "only_dated"
    else:
        chosen, reason = explain_film_choice(options, published, ids=ids)
        rule = "chosen" if chosen else None
    return {"review_id": review_id, "to_id": chosen.id if chosen else None,
            "reason": None if chosen else reason, "key": key, "rule": rule}


def _move(session: Session, moves: list[dict[str, Any]]) -> None:
    if moves:
        films_changed(session, films_of_reviews(session, [move["review_id"] for move in moves]))
        films_changed(session, [move["to_id"] for move in moves])
        table = Review.__table__
        stmt = (update(table).where(table.c.id == bindparam("review_id"))
                .values(film_id=bindparam("to_id"), film_unresolved=bindparam("reason"),
                        film_key=bindparam("key"), film_match=bindparam("rule")))
        session.execute(stmt, moves)


REDOUBTED = ("outside_window", "remake", "ambiguous")
"""Reasons a review was left without a film that a new dated film of its title may settle."""


def _rechoose_for_new_films(session: Session, candidates: dict[str, list[FilmCandidate]],
                            batch_urls: set[str]) -> None:
    """Choose again for the stored undated reviews whose film was chosen among the dated films
    of a key ("only_dated", "chosen") that now has a new dated film, and for those left
    without one because the only film then stored could not be theirs (REDOUBTED: the review
    of a remake may now find the remake). Manual links, and the batch's own reviews (matched
    just now), are left alone."""
    key_of = {film.id: key for key, films in candidates.items() if len(films) > 1 for film in films}
    rows = []
    for chunk in _chunks(sorted(key_of)):
        rows += session.execute(
            select(Review.id, Review.url, Review.film_id, Review.film_match, Review.published,
                   Review.film_ids_raw, Review.film_key, Review.headline, Review.standfirst_raw)
            .where(Review.film_id.in_(chunk), Review.film_match.in_(RECHOSEN),
                   Review.film_link_manual.is_(False)).order_by(Review.id)).all()
    keys = sorted(candidates)
    for chunk in _chunks(keys):
        rows += session.execute(
            select(Review.id, Review.url, Review.film_id, Review.film_match, Review.published,
                   Review.film_ids_raw, Review.film_key, Review.headline, Review.standfirst_raw)
            .where(Review.film_id.is_(None), Review.film_key.in_(chunk),
                   Review.film_unresolved.in_(REDOUBTED), Review.film_link_manual.is_(False))
            .order_by(Review.id)).all()
    moves = []
    for review_id, url, film_id, rule, published, ids_raw, key, headline, standfirst in rows:
        key = key_of.get(film_id, key)
        if url in batch_urls or not candidates.get(key):
            continue
        ids = external_ids(ids_raw or [])
        options = [c for c in candidates[key] if not _conflicts(c.ids, ids)]
        move = _choice(review_id, key, options, published, ids, (headline, standfirst)) if options else None
        if move and (move["to_id"], move["rule"]) != (film_id, rule):
            moves.append(move)
    _move(session, moves)


# --- unresolved reviews, settled by hand ----------------------------------------------------------


@dataclass(frozen=True)
class UnresolvedReview:
    url: str
    outlet: str
    film_raw: str | None
    headline: str | None
    published: date | None
    reason: str
    candidates: list[FilmCandidate]


def unresolved_reviews(session: Session) -> list[UnresolvedReview]:
    """Reviews that name a film the store could not single out, with the candidate films."""
    stmt = (select(Review.url, Publication.key, Review.film_raw, Review.headline,
                   Review.published, Review.film_unresolved, Review.film_key)
            .join(Publication, Publication.id == Review.publication_id)
            .where(Review.film_id.is_(None), Review.film_unresolved.is_not(None))
            .order_by(Review.url))
    rows = session.execute(stmt).all()
    films = _films_by_key(session, [row.film_key for row in rows if row.film_key])
    return [UnresolvedReview(row.url, row.key, row.film_raw, row.headline, row.published,
                             row.film_unresolved, films.get(row.film_key, []))
            for row in rows]


class LinkError(LookupError):
    """No such review or film."""


def link_film(session: Session, url: str, film_id: int) -> None:
    """Link the review at `url` to film `film_id` by hand: crawls and renormalise keep it."""
    if session.get(Film, film_id) is None:
        raise LinkError(f"no film with id {film_id}")
    previous = session.scalar(select(Review.film_id).where(Review.url == url))
    result = session.execute(update(Review).where(Review.url == url).values(
        film_id=film_id, film_unresolved=None, film_link_manual=True, film_match="manual"))
    if result.rowcount != 1:
        raise LinkError(f"no review with url {url!r}")
    films_changed(session, [previous, film_id])
    drop_orphan_films(session, [previous])
