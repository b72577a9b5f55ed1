"""One review seen twice: on an aggregator's listing (a Rotten Tomatoes critic card) and on the
outlet's own page. Both are keyed on the original review's URL, so they meet on one row.

The rule, whichever is crawled first:
- the outlet's page wins for what it states: text and headline, rating, verdict, label, date;
- the listing fills what the page does not state (a group at a time: the whole rating, never a
  raw string from one and a score from the other), and is remembered in `Review.listing`
  (its values, their hash, the groups it filled), so a re-crawl of either side recomputes the
  same row;
- the critic's own fresh/rotten call from the listing is kept (`critic_call`, and `fresh`);
- the listing's top-critic flag and page (`top_critic`, `listed_at`) are kept;
- a person's verdict (verdict_source "manual") is never overwritten.

`merge_listing` is the pure rule; `save_reviews` (aggregator.db.upsert) calls `page_overlay`
for outlet pages and `apply_listings` for listings of reviews whose page is already stored.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from aggregator.db.batching import chunks as _chunks
from aggregator.db.film_aggregates import films_changed
from aggregator.db.models import Review
from aggregator.db.revisions import credits_of, revision_row
from aggregator.items import ReviewItem

# Fields the outlet's page wins on, in groups taken whole from one side; the first field of a
# group says whether the page states it.
GROUPS: dict[str, tuple[str, ...]] = {
    "rating": ("rating_raw", "rating_parts", "rating_value", "rating_best", "rating_worst",
               "scale", "score"),
    "text": ("text", "headline"),
    "label": ("label_raw",),
    "published": ("published", "published_raw"),
    "verdict": ("verdict", "verdict_source", "confidence"),
}
LISTED_FIELDS = tuple(f for fields in GROUPS.values() for f in fields) + ("fresh",)
CALLS = {"fresh": True, "rotten": False}
MANUAL_FIELDS = ("verdict", "fresh", "verdict_source", "confidence")


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _stated(values: Mapping[str, Any], group: str) -> bool:
    if group == "rating":
        return not (_empty(values.get("rating_raw")) and _empty(values.get("rating_parts")))
    return not _empty(values.get(GROUPS[group][0]))


def critic_call(label: str | None) -> str | None:
    """"fresh" / "rotten" when the listing's label is the critic's own call, else None."""
    word = (label or "").strip().lower()
    return word if word in CALLS else None


def listing_values(item: ReviewItem) -> dict[str, Any]:
    """What a listing says of the fields the page wins on, JSON-ready, with its hash."""
    values = {name: getattr(item, name) for name in LISTED_FIELDS}
    published = values["published"]
    if published is not None:  # a date, as the store keeps it
        values["published"] = (published.date() if isinstance(published, datetime) else published).isoformat()
    encoded = json.dumps(values, sort_keys=True, default=str, ensure_ascii=False)
    return {"values": values, "hash": hashlib.sha256(encoded.encode("utf-8")).hexdigest()}


def merge_listing(page: Mapping[str, Any], listing: Mapping[str, Any], call: str | None) -> tuple[dict[str, Any], list[str]]:
    """(the merged values of LISTED_FIELDS, the groups taken from the listing).

    `page`: the outlet page's values; `listing`: the listing's (`listing_values(...)["values"]`);
    `call`: the critic's own call from the listing ("fresh" / "rotten" / None)."""
    merged: dict[str, Any] = {}
    filled = []
    for group, fields in GROUPS.items():
        if group == "verdict":  # the verdict goes with the rating it was read from
            take = "rating" in filled or _empty(page.get("verdict"))
        else:
            take = not _stated(page, group) and _stated(listing, group)
        source = listing if take else page
        if take:
            filled.append(group)
        merged.update({name: source.get(name) for name in fields})
    if isinstance(merged.get("published"), str):
        merged["published"] = date.fromisoformat(merged["published"])
    elif isinstance(merged.get("published"), datetime):
        merged["published"] = merged["published"].date()
    fresh = CALLS.get(call) if call else None
    merged["fresh"] = fresh if fresh is not None else (
        listing.get("fresh") if "verdict" in filled else page.get("fresh"))
    return merged, filled


# --- the store's side --------------------------------------------------------------------------


LISTING_COLUMNS = (Review.listing, Review.listing_only, Review.top_critic, Review.critic_call,
                   Review.listed_at)
"""What the store reads of a batch's stored reviews (with its own columns) for the rule above."""


def listing_columns(item: ReviewItem) -> dict[str, Any]:
    """The columns a listing item writes on a row of its own (no outlet page stored yet)."""
    return {"listed_at": item.listed_at, "top_critic": item.top_critic,
            "critic_call": critic_call(item.label_raw), "listing": listing_values(item),
            "listing_only": True}


def page_overlay(item: ReviewItem, stored: Mapping[str, Any] | None) -> dict[str, Any]:
    """The columns an outlet page's item writes beyond its own values: merged with the stored
    listing of the same review, if any."""
    if not stored or not stored.get("listing"):
        return {"listing_only": False}
    listing = dict(stored["listing"])
    page = {name: getattr(item, name) for name in LISTED_FIELDS}
    merged, filled = merge_listing(page, listing["values"], stored.get("critic_call"))
    return {**merged, "listing": {**listing, "filled": filled}, "listing_only": False}


def apply_listings(session: Session, items: Iterable[ReviewItem], stored: Mapping[str, Mapping[str, Any]],
                   run_id: int | None, now) -> tuple[int, int, list[dict[str, Any]]]:
    """Listings of reviews whose outlet page is stored: update the listing's columns and what it
    fills in, leaving the page's values, critics and film alone. A few set-based statements
    for the whole batch: one touch of the unchanged, one read and one update of the changed.
    Returns (updated, unchanged, revisions of the replaced values)."""
    seen: dict[str, Any] = {"last_seen": now, **({"last_run_id": run_id} if run_id is not None else {})}
    unchanged_ids: list[int] = []
    changed = []
    for item in items:
        row = stored[item.url]
        listing = listing_values(item)
        call = critic_call(item.label_raw)
        old = row.get("listing") or {}
        if (old.get("hash") == listing["hash"] and row["critic_call"] == call
                and row["top_critic"] == item.top_critic and row["listed_at"] == item.listed_at):
            unchanged_ids.append(row["id"])
        else:
            changed.append((item, row, listing, call))
    for chunk in _chunks(sorted(unchanged_ids)):
        session.execute(update(Review).where(Review.id.in_(chunk)).values(**seen),
                        execution_options={"synchronize_session": False})
    currents = _current_values(session, [row["id"] for _, row, _, _ in changed])
    revisions = []
    credits = credits_of(session, currents) if changed else {}
    by_columns: dict[bool, list[dict[str, Any]]] = {}
    for item, row, listing, call in changed:
        current = currents[row["id"]]
        page = dict(current)
        for group in (row.get("listing") or {}).get("filled", ()):  # what the old listing filled
            page.update({name: None for name in GROUPS[group]})  # in is not the page's
        merged, filled = merge_listing(page, listing["values"], call)
        manual = current["verdict_source"] == "manual"
        if manual:
            for name in MANUAL_FIELDS:
                merged.pop(name, None)
        if any(current[name] != merged[name] for name in ("rating_raw", "score", "verdict", "headline", "text")
               if name in merged):
            revisions.append(revision_row({**current, "id": row["id"]}, credits.get(row["id"]), now, run_id))
        by_columns.setdefault(manual, []).append({
            "id": row["id"], **merged, "listed_at": item.listed_at, "top_critic": item.top_critic,
            "critic_call": call, "listing": {**listing, "filled": filled}, "last_seen": now,
            "updated_at": now, "last_run_id": run_id})
    for _, rows in sorted(by_columns.items()):  # one executemany per column set
        session.execute(update(Review), sorted(rows, key=lambda values: values["id"]))
    films_changed(session, [row.get("film_id") for _, row, _, _ in changed])
    return len(changed), len(unchanged_ids), revisions


def _current_values(session: Session, review_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """{review id: its stored values of LISTED_FIELDS and content_hash}."""
    columns = [Review.id, *[getattr(Review, name) for name in LISTED_FIELDS], Review.content_hash]
    found: dict[int, dict[str, Any]] = {}
    for chunk in _chunks(sorted(review_ids)):
        for row in session.execute(select(*columns).where(Review.id.in_(chunk))).mappings():
            found[row["id"]] = dict(row)
    return found


def scheme_twin(url: str) -> str | None:
    """The same address under the other web scheme (http ↔ https), or None."""
    for scheme, other in (("http://", "https://"), ("https://", "http://")):
        if url.startswith(scheme):
            return other + url[len(scheme):]
    return None


def align_listing_schemes(session: Session, items: list[ReviewItem]) -> None:
    """Let a listing and its outlet's page meet when only their scheme differs.

    Listings (Rotten Tomatoes cards, archives such as the NYT API) often link the outlet's
    review as http:// while the page now declares https:// (aggregator.urls keeps schemes, as
    an http-only site must not be rewritten). A listing whose twin is stored, or is a page in
    this batch, takes the twin's URL; a page whose twin is stored only as a listing re-keys that
    row to the page's own URL, so the page wins the key as it wins the text. When both
    addresses are already stored, nothing is merged: two rows say the site treats them apart.
    """
    keyed = [item for item in items if item.url and scheme_twin(item.url)]
    if not keyed:
        return
    pages_here = {item.url for item in keyed if not item.listed_at}
    urls = {item.url for item in keyed}
    twins = {scheme_twin(item.url) for item in keyed} - urls
    stored: dict[str, dict[str, Any]] = {}
    lookup = sorted(twins | urls)
    for start in range(0, len(lookup), 500):
        stmt = select(Review.id, Review.url, Review.listing_only).where(Review.url.in_(lookup[start:start + 500]))
        stored.update({row.url: {"id": row.id, "listing_only": row.listing_only} for row in session.execute(stmt)})
    for item in keyed:
        twin = scheme_twin(item.url)
        if item.url in stored or twin in urls and twin not in pages_here:
            continue
        if item.listed_at:
            if twin in pages_here or twin in stored:
                item.url = twin
        elif twin in stored and stored[twin]["listing_only"]:
            session.execute(update(Review).where(Review.id == stored[twin]["id"]).values(url=item.url))
            stored[item.url] = stored.pop(twin)
