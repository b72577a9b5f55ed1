"""One page, one row, whatever address it was reached at.

A page's canonical URL can move while the page stays the same: a site goes from http to https,
from www. to its bare domain, serves a mobile m. host, or links a page with and without its
trailing slash (aggregator.urls.url_twins). Keyed on the address alone, each move would store the
review again, and its critic would count twice in a film's score.

`adopt_stored_addresses` keeps the first address: an outlet page whose exact URL is not stored
but one of its twins is takes the stored twin's URL, and twins within one batch take the first
one's. Listings meet their pages by scheme in aggregator.db.listings.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.db.batching import values_in
from aggregator.db.models import Review
from aggregator.items import ReviewItem
from aggregator.urls import url_twins


def adopt_stored_addresses(session: Session, items: list[ReviewItem]) -> int:
    """Re-key outlet pages onto the address their page is stored (or first met) under; returns
    how many items were re-keyed."""
    pages = [item for item in items if item.url and not item.listed_at]
    twins = {item.url: url_twins(item.url) for item in pages}
    lookup = sorted({url for url, others in twins.items() for url in (url, *others)})
    stored = set(session.scalars(select(Review.url).where(values_in(session, Review.url, lookup)))) if lookup else set()
    first_met: dict[str, str] = {}  # any address of a page -> the address the batch keys it on
    moved = 0
    for item in pages:
        url = item.url
        if url not in stored:
            known = sorted(twin for twin in twins[url] if twin in stored)
            url = known[0] if known else first_met.get(url, url)
        for address in (item.url, *twins[item.url]):
            first_met.setdefault(address, url)
        if url != item.url:
            item.url = url
            moved += 1
    return moved
