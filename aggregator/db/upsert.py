"""Storing a batch of normalised reviews, and the bookkeeping of crawl runs.

A review's identity is its canonical URL. `save_reviews` handles a whole batch with a few
set-based statements: get-or-create the batch's publications, critics and films, read the
batch's existing reviews in one select, then insert the new ones, update the changed ones
(keeping their previous values as a revision) and only touch `last_seen` on the rest.

Every insert is "insert … on conflict do nothing" followed by a select, and rows are written
in sorted key order, so two processes writing the same URLs at once neither duplicate rows nor
deadlock each other. The caller owns the transaction: it commits once per batch.

A review listed by an aggregator (a Rotten Tomatoes card: `item.listed_at`) and crawled on its
outlet's page is one row: aggregator.db.listings merges them, the same whichever comes first.
Publications' get-or-create lives in aggregator.db.publication_store.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from aggregator.db.critic_store import get_critic_ids, ordered_critic_ids
from aggregator.db.film_aggregates import films_changed, reviews_added
from aggregator.db.film_store import match_films
from aggregator.db.listings import (
    LISTING_COLUMNS,
    align_listing_schemes,
    apply_listings,
    listing_columns,
    page_overlay,
)
from aggregator.db.models import (
    VERDICT_SOURCES,
    VERDICTS,
    Review,
    ReviewCritic,
    ReviewRevision,
    critic_key,  # noqa: F401 - re-exported: the habits key of a critic name
    utcnow,
)
from aggregator.db.publication_store import (  # noqa: F401
    CHUNK,
    _chunks,
    _insert,
    _publication_ids,
    _publication_row,
    refresh_registry_rows,
)
from aggregator.db.revisions import credits_of, drop_orphan_films, note_vacated_films, recredited, revision_row
from aggregator.db.url_identity import adopt_stored_addresses
from aggregator.items import ReviewItem

# Fields a change of which keeps the old values as a ReviewRevision ("the text or rating").
REVISED_FIELDS = ("rating_raw", "rating_parts", "score", "verdict", "headline", "text")
# Set by a person (verdict_source "manual"): a crawl never overwrites them.
MANUAL_FIELDS = ("verdict", "fresh", "verdict_source", "confidence")


@dataclass
class UpsertCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    """Items not stored, by reason ("missing_url", "invalid_score", ...)."""
    unresolved_film: dict[str, int] = field(default_factory=dict)
    """Reviews written without a film although they name one, by reason ("ambiguous", …):
    listed by `aggregator film unresolved`."""
    urls: set[str] = field(default_factory=set, compare=False, repr=False)
    """The reviews written or confirmed (a discovery crawl marks their pages as fetched)."""

    @property
    def stored(self) -> int:
        """Reviews written or confirmed by the batch (new + updated + unchanged)."""
        return self.new + self.updated + self.unchanged

    def __add__(self, other: UpsertCounts) -> UpsertCounts:
        def added(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
            total = dict(a)
            for reason, count in b.items():
                total[reason] = total.get(reason, 0) + count
            return total

        return UpsertCounts(
            self.new + other.new,
            self.updated + other.updated,
            self.unchanged + other.unchanged,
            added(self.skipped, other.skipped),
            added(self.unresolved_film, other.unresolved_film),
            self.urls | other.urls,
        )


# --- validation and hashing ------------------------------------------------------------------


def item_problem(item: ReviewItem) -> str | None:
    """Why `item` cannot be stored, or None. The validate pipeline should have caught these;
    the store checks again rather than let one bad item abort a batch."""
    if not (item.url and item.url.strip()):
        return "missing_url"
    if not item.publication:
        return "missing_publication"
    if item.verdict is not None and item.verdict not in VERDICTS:
        return "invalid_verdict"
    if item.verdict_source is not None and item.verdict_source not in VERDICT_SOURCES:
        return "invalid_verdict_source"
    for name, low, high in (("score", 0, 100), ("confidence", 0, 1)):
        value = getattr(item, name)
        if value is not None and not (
            isinstance(value, (int, float)) and math.isfinite(value) and low <= value <= high
        ):
            return f"invalid_{name}"
    if item.published is not None and not isinstance(item.published, date):
        return "invalid_published"
    if item.film_year is not None and not isinstance(item.film_year, int):
        return "invalid_film_year"
    return None


def _published(item: ReviewItem) -> date | None:
    value = item.published
    return value.date() if isinstance(value, datetime) else value


_INFERRED_CALL = frozenset({"verdict", "fresh", "confidence"})
# Fields added after reviews were stored: hashed only when set, so a stored review whose page
# did not change still hashes as it did.
_HASHED_WHEN_SET = frozenset({"film_reason"})


def content_hash(item: ReviewItem) -> str:
    """Hash of what the page said and what the pipelines made of it (not page_url/spider:
    fetching the same review from another address is not a change). An inferred call is left
    out: it moves with the model and the film's consensus (aggregator.db.film_consensus), not
    with the page, and an unchanged page must stay "unchanged"; `aggregator renormalise` and
    the crawl's close (aggregator.pipelines.decide_verdict) keep inferred calls current."""
    inferred = item.verdict_source == "inferred"
    payload = {
        "publication": item.publication,
        "critics": list(item.critics),
        "film": [item.film_title, item.film_year, item.film_key],
        "published": _published(item),
        **{name: getattr(item, name) for name in _HASHED_ITEM_FIELDS
           if not (inferred and name in _INFERRED_CALL) and not (name in _HASHED_WHEN_SET and getattr(item, name) is None)},
        # A listing's own fields, only where set: hashes of other reviews stay as they were.
        **{name: getattr(item, name) for name in ("listed_at", "top_critic") if getattr(item, name) is not None},
    }
    encoded = json.dumps(payload, sort_keys=True, default=str, ensure_ascii=False)
    # A lone surrogate has no UTF-8 form: hashed as its code point's bytes rather than raising
    # (any other string encodes exactly as under "strict", so stored hashes stay valid).
    return hashlib.sha256(encoded.encode("utf-8", errors="surrogatepass")).hexdigest()


# The stored raw values, and the normalised ones derived from them (`aggregator renormalise`).
RAW_FIELDS = (
    "publication_raw", "critic_raw", "critic_urls", "authors_raw", "film_raw", "film_year_raw",
    "film_ids_raw", "rating_raw", "rating_parts", "label_raw", "published_raw", "headline", "text",
    "language", "source_format", "standfirst_raw", "title_raw", "keywords_raw", "film_reason",
)  # fmt: skip
NORMALISED_FIELDS = (
    "rating_value", "rating_best", "rating_worst", "scale", "score", "verdict", "fresh",
    "verdict_source", "confidence",
)  # fmt: skip
_HASHED_ITEM_FIELDS = RAW_FIELDS + NORMALISED_FIELDS


def get_film_ids(session: Session, items: Sequence[ReviewItem]) -> dict[str, int | None]:
    """{review url: film id or None}: `match_films` without the reasons."""
    return {url: match.film_id for url, match in match_films(session, items).items()}


# --- the batch -------------------------------------------------------------------------------


_EXISTING_COLUMNS = (
    Review.id, Review.url, Review.content_hash, Review.verdict_source, Review.film_link_manual, Review.film_id,
    *(getattr(Review, name) for name in sorted(_INFERRED_CALL)),
)  # fmt: skip
# Set by `aggregator film link`: a crawl keeps them while film_link_manual is true.
MANUAL_FILM_FIELDS = ("film_id", "film_unresolved", "film_key", "film_match")
# Read only for changed reviews: the text is the bulk of a row.
_REVISED_COLUMNS = (Review.url, Review.film_id, *[getattr(Review, name) for name in REVISED_FIELDS])


def save_reviews(
    session: Session,
    items: Iterable[ReviewItem],
    publications: Mapping[str, Any] | None,
    run_id: int | None = None,
) -> UpsertCounts:
    """Insert, update or confirm a batch of normalised reviews; the caller commits.

    `publications` maps registry keys to entries (attributes key, name, domains, country,
    language, scale, weight, provisional); a key it lacks is stored as a provisional outlet.
    Items that cannot be stored are counted in `UpsertCounts.skipped` by reason.

    A page stored under its exact URL with the same content hash (the usual case of a
    re-crawl) costs one look-up and a touch: it is confirmed before any identity work.
    """
    items = list(items)
    confirmed = _confirm_unchanged(session, items, publications or {}, run_id)
    if not confirmed.unchanged:
        return _save_batch(session, items, publications, run_id)
    rest = [item for item in items if item.url not in confirmed.urls]
    return confirmed + _save_batch(session, rest, publications, run_id) if rest else confirmed


def _confirm_unchanged(session: Session, items: Sequence[ReviewItem], publications: Mapping[str, Any],
                       run_id: int | None) -> UpsertCounts:
    """Touch the outlet pages (not listings, met once in the batch) whose exact URL is stored
    with the hash they have now; counted as unchanged. What they would take of the whole
    path: last_seen and run, the inferred call as this crawl read it, and their outlets' rows
    refreshed from the registry."""
    counts = UpsertCounts()
    met = Counter(item.url for item in items)
    pages = {item.url: item for item in items
             if not item.listed_at and met[item.url] == 1 and item_problem(item) is None}
    if not pages:
        return counts
    stored = _existing(session, list(pages))
    same = sorted(url for url, row in stored.items() if row["content_hash"] == content_hash(pages[url]))
    if same:
        # (stored pages: their outlets' rows exist; only what the registry now says differently)
        outlets = {pages[url].publication for url in same}
        refresh_registry_rows(session, {key: _publication_row(key, publications.get(key), None)
                                        for key in sorted(outlets) if publications.get(key) is not None},
                              publications)
        _touch(session, sorted(stored[url]["id"] for url in same), run_id, utcnow())
        _refresh_inferred_calls(session, [pages[url] for url in same], stored)
        counts.unchanged, counts.urls = len(same), set(same)
    return counts


def _save_batch(session, items: list[ReviewItem], publications, run_id) -> UpsertCounts:
    counts = UpsertCounts()
    batch: dict[str, ReviewItem] = {}
    listed_too: dict[str, ReviewItem] = {}  # listings of reviews whose page is in this batch
    align_listing_schemes(session, items)
    adopt_stored_addresses(session, items)  # one row per page, whichever address reached it
    for item in items:
        problem = item_problem(item)
        if problem:
            counts.skipped[problem] = counts.skipped.get(problem, 0) + 1
            continue
        previous = batch.pop(item.url, None)  # the last occurrence of a url wins, but a listing
        if previous is not None and bool(previous.listed_at) != bool(item.listed_at):  # and its page
            listed_too[item.url] = item if item.listed_at else previous  # are both kept: one review
            item = previous if item.listed_at else item
        batch[item.url] = item
    if not batch:
        return counts
    if listed_too:  # the page first, then its listing: the row the two batches would give
        pages = _save_batch(session, list(batch.values()), publications, run_id)
        listed = _save_batch(session, list(listed_too.values()), publications, run_id)
        pages.skipped = (counts + pages + listed).skipped  # with the items this call skipped
        pages.urls |= listed.urls
        return pages

    now = utcnow()
    # A review listed by an aggregator and by its outlet's page is one row (aggregator.db.listings):
    # a listing of a review whose page is stored only updates what the listing owns.
    stored = _existing(session, list(batch), _EXISTING_COLUMNS + LISTING_COLUMNS)
    onto_pages = [batch.pop(url) for url in sorted(batch) if batch[url].listed_at
                  and url in stored and not stored[url]["listing_only"]]
    if onto_pages:
        updated, unchanged, revisions = apply_listings(session, onto_pages, stored, run_id, now)
        counts.updated, counts.unchanged = updated, unchanged
        counts.urls.update(item.url for item in onto_pages)
        if revisions:
            session.execute(_insert(session, ReviewRevision.__table__), revisions)
    if not batch:
        return counts
    ordered = [batch[url] for url in sorted(batch)]
    arrival = list(batch.values())  # new names and titles are taken as first met
    publication_ids = _publication_ids(session, arrival, publications or {})
    critic_ids = get_critic_ids(session, arrival)
    films = match_films(session, arrival)
    hashes = {item.url: content_hash(item) for item in ordered}

    def values(item: ReviewItem) -> dict[str, Any]:
        return {
            "url": item.url,
            "page_url": item.page_url,
            "spider": item.spider,
            "publication_id": publication_ids[item.publication],
            "film_id": films[item.url].film_id,
            "film_unresolved": films[item.url].unresolved,
            "film_key": films[item.url].key,
            "film_match": films[item.url].rule,
            **{name: getattr(item, name) for name in _HASHED_ITEM_FIELDS},
            "published": _published(item),
            "content_hash": hashes[item.url],
            "last_seen": now,
            "updated_at": now,
            "last_run_id": run_id,
            **(listing_columns(item) if item.listed_at else page_overlay(item, stored.get(item.url))),
        }

    existing = {url: stored[url] for url in batch if url in stored}  # read with the listings
    inserted = _insert_new(session, [i for i in ordered if i.url not in existing], values, now)
    counts.new = len(inserted)
    if len(inserted) < len(ordered) - len(existing):
        # Another process inserted some of these since our select: treat them as existing.
        raced = [url for url in batch if url not in existing and url not in inserted]
        existing.update(_existing(session, raced))

    is_same = {url: row["content_hash"] == hashes[url] for url, row in existing.items()}
    changed = [batch[url] for url in sorted(existing) if not is_same[url]]
    unchanged_ids = sorted(row["id"] for url, row in existing.items() if is_same[url])
    _update_changed(session, changed, existing, values, run_id, now, critic_ids)
    counts.updated += len(changed)
    counts.unchanged += len(unchanged_ids)
    _touch(session, unchanged_ids, run_id, now)
    _refresh_inferred_calls(session, [batch[url] for url in sorted(existing) if is_same[url]], existing)
    counts.urls.update(inserted)
    counts.urls.update(existing)

    for item in [batch[url] for url in inserted] + changed:
        reason = films[item.url].unresolved
        if reason and not existing.get(item.url, {}).get("film_link_manual"):
            counts.unresolved_film[reason] = counts.unresolved_film.get(reason, 0) + 1
    links = {url: review_id for url, review_id in inserted.items()}
    links.update({item.url: existing[item.url]["id"] for item in changed})
    link_critics(session, [batch[url] for url in sorted(links)], links, critic_ids)
    # a new review's share is added to its film's sums; the films updated reviews are of now and
    # were of before (a manual film link keeps the stored one) are counted again: before the commit
    reviews_added(session, inserted.values())
    films_changed(session, [films[item.url].film_id for item in changed])
    films_changed(session, [existing[item.url]["film_id"] for item in changed])
    drop_orphan_films(session)
    return counts


def _existing(
    session: Session, urls: Sequence[str], columns: Sequence[Any] = _EXISTING_COLUMNS
) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(sorted(urls)):
        stmt = select(*columns).where(Review.url.in_(chunk))
        for row in session.execute(stmt).mappings():
            found[row["url"]] = dict(row)
    return found


def _insert_new(session, items, values, now) -> dict[str, int]:
    """{url: id} of the reviews this call inserted (a url inserted concurrently is absent)."""
    table = Review.__table__
    inserted: dict[str, int] = {}
    stmt = (
        _insert(session, table)
        .on_conflict_do_nothing(index_elements=["url"])
        .returning(table.c.id, table.c.url)
    )
    for chunk in _chunks(items):
        # A listing's row sets other columns than a page's: one executemany per column set
        by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for item in chunk:
            row = {**values(item), "first_seen": now}
            by_columns.setdefault(tuple(sorted(row)), []).append(row)
        for rows in by_columns.values():
            for review_id, url in session.execute(stmt, rows):
                inserted[url] = review_id
    return inserted


def _update_changed(session, items, existing, values, run_id, now, critic_ids) -> None:
    if not items:
        return
    previous = _existing(session, [item.url for item in items], _REVISED_COLUMNS)
    credits = credits_of(session, [existing[item.url]["id"] for item in items])
    revisions = []
    by_columns: dict[tuple[bool, bool], list[dict[str, Any]]] = {}
    for item in items:
        old = {**existing[item.url], **previous[item.url]}
        new = values(item)
        manual_verdict, manual_film = old["verdict_source"] == "manual", bool(old["film_link_manual"])
        for name in (MANUAL_FIELDS if manual_verdict else ()) + (
                MANUAL_FILM_FIELDS if manual_film else ()):
            new.pop(name)
        by_columns.setdefault((manual_verdict, manual_film), []).append({"id": old["id"], **new})
        credit = credits[old["id"]]
        if any(old[name] != new.get(name, old[name]) for name in REVISED_FIELDS) or recredited(
                credit, new.get("film_id", old["film_id"]), ordered_critic_ids(item, critic_ids)):
            revisions.append(revision_row(old, credit, now, run_id))
    if revisions:
        session.execute(_insert(session, ReviewRevision.__table__), revisions)
    for _, rows in sorted(by_columns.items()):  # one executemany per column set
        session.execute(update(Review), sorted(rows, key=lambda row: row["id"]))
    # the films these reviews left, deleted at the end of the batch if no review is of them now
    left = [credits[existing[item.url]["id"]]["film_id"] for item in items]
    note_vacated_films(session, left)
    films_changed(session, left)


def _refresh_inferred_calls(session: Session, items: Sequence[ReviewItem], existing) -> None:
    """An unchanged page's inferred call as the crawl read it now (a newer model, a film
    consensus that moved): written in place, without a revision, the review still unchanged."""
    rows = [
        {"id": existing[item.url]["id"], **{name: getattr(item, name) for name in sorted(_INFERRED_CALL)}}
        for item in items
        if item.verdict_source == "inferred" and existing[item.url]["verdict_source"] == "inferred"
        and any(getattr(item, name) != existing[item.url][name] for name in _INFERRED_CALL)
    ]  # fmt: skip
    if rows:
        session.execute(update(Review), rows)
        by_id = {row["id"]: row["film_id"] for row in existing.values()}
        films_changed(session, [by_id[row["id"]] for row in rows])


def _touch(session: Session, review_ids: Sequence[int], run_id: int | None, now) -> None:
    seen: dict[str, Any] = {"last_seen": now}
    if run_id is not None:
        seen["last_run_id"] = run_id
    for chunk in _chunks(review_ids):
        session.execute(
            update(Review).where(Review.id.in_(chunk)).values(**seen),
            execution_options={"synchronize_session": False},
        )


def link_critics(session, items, review_ids, critic_ids) -> None:
    """Replace the critic links of reviews {url: id} by the items' critics, in byline order
    (`critic_ids` from get_critic_ids: {critic_ref(item, name): id}, see aggregator.db.critic_store)."""
    if not items:
        return
    ids = [review_ids[item.url] for item in items]
    for chunk in _chunks(sorted(ids)):
        session.execute(delete(ReviewCritic).where(ReviewCritic.review_id.in_(chunk)))
    rows = []
    for item in items:
        for position, critic_id in enumerate(ordered_critic_ids(item, critic_ids)):
            rows.append({"review_id": review_ids[item.url], "critic_id": critic_id,
                         "position": position})
    table = ReviewCritic.__table__
    for chunk in _chunks(rows):
        session.execute(_insert(session, table).on_conflict_do_nothing(), list(chunk))
