"""Incremental crawls: the window (`--since`) and what is remembered of each fetched URL.

A discovery crawl (feeds, sitemaps, the WordPress API) learns of review pages with a date:
the sitemap's `lastmod`, the feed entry's updated/published date, the post's `modified`.
An entry is not downloaded again when

1. it is older than the window (`--since 2d`): counted as skipped, never requested;
2. its date is not newer than the one stored when the page was last fetched: unchanged,
   never requested;
3. otherwise it is requested conditionally, with the ETag / Last-Modified the server gave
   last time: a 304 is unchanged (nothing downloaded), a 200 is read and stored as usual (the
   store keeps the previous rating and text of a changed review as a revision).

The state of a URL is recorded only when what the page said reached the store, or when it held
no review: a page whose review a pipeline dropped (another film, an invalid item) is not
marked as seen, so a later crawl still fetches it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

from sqlalchemy import select

from aggregator.db.models import FetchState, utcnow
from aggregator.db.publication_store import _chunks, _insert

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([mhdw])\s*$", re.IGNORECASE)
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """The start of a crawl window: "2d", "12h", "30m", "1w" back from `now`, or an ISO date
    or datetime ("2026-11-27", "2026-11-27T09:00:00+00:00"; naive means UTC).
    Raises ValueError with the accepted forms."""
    now = now or datetime.now(timezone.utc)
    match = _DURATION.match(text or "")
    if match:
        return now - timedelta(**{_UNITS[match.group(2).lower()]: float(match.group(1))})
    try:
        when = datetime.fromisoformat((text or "").strip())
    except ValueError:
        raise ValueError(f"--since {text!r}: give a duration (30m, 12h, 2d, 1w) or an ISO date "
                         "(2026-11-27 or 2026-11-27T09:00:00+00:00)") from None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def parse_entry_date(text: str | None) -> datetime | None:
    """A feed's or sitemap's date (W3C/ISO 8601 or RFC 822) as aware UTC; None when unreadable."""
    if not text or not text.strip():
        return None
    text = text.strip()
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if when is None:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


@dataclass
class FetchRecord:
    etag: str | None = None
    last_modified: str | None = None
    lastmod: datetime | None = None
    status: int = 200
    review_url: str | None = None


class FetchStates:
    """The stored fetch state of every URL, read once at the start of a crawl, and the new
    states it learns, written once at its end (`save`)."""

    def __init__(self, sessions):
        self.sessions = sessions
        with sessions() as session:
            self.stored: dict[str, FetchRecord] = {
                row.url: FetchRecord(row.etag, row.last_modified, row.lastmod, row.status, row.review_url)
                for row in session.scalars(select(FetchState))
            }
        self.pending: dict[str, FetchRecord] = {}
        self.unfit: set[str] = set()

    def unchanged_since_stored(self, url: str, lastmod: datetime | None) -> bool:
        """True when the entry's date is not newer than the one stored at the last fetch."""
        record = self.stored.get(url)
        return bool(record and record.lastmod and lastmod and lastmod <= record.lastmod)

    def conditional_headers(self, url: str) -> dict[str, str]:
        record = self.stored.get(url)
        headers: dict[str, str] = {}
        if record and record.etag:
            headers["If-None-Match"] = record.etag
        if record and record.last_modified:
            headers["If-Modified-Since"] = record.last_modified
        return headers

    def fetched(self, url: str, *, status: int, etag: str | None, last_modified: str | None,
                lastmod: datetime | None) -> None:
        """A page was fetched (200) or confirmed (304): remember it, to be written at the end."""
        previous = self.stored.get(url)
        review_url = None
        if status == 304 and previous is not None:
            etag = etag or previous.etag
            last_modified = last_modified or previous.last_modified
            review_url = previous.review_url
        self.pending[url] = FetchRecord(etag, last_modified, lastmod, status, review_url)

    def held_review(self, url: str) -> bool:
        """The page held a stored review when it was last fetched."""
        record = self.stored.get(url)
        return bool(record and record.review_url)

    def stored_review(self, url: str, review_url: str) -> None:
        """The review read from the page fetched at `url` reached the store."""
        if url in self.pending:
            self.pending[url].review_url = review_url

    def not_stored(self, url: str) -> None:
        """The page's review was dropped on its way to the store: do not mark it as seen."""
        self.unfit.add(url)

    def save(self) -> int:
        """Write the states learnt by this crawl; returns how many."""
        rows = {url: record for url, record in self.pending.items() if url not in self.unfit}
        if not rows:
            return 0
        now = utcnow()
        values = [{"url": url, "etag": record.etag, "last_modified": record.last_modified,
                   "lastmod": record.lastmod, "fetched_at": now, "status": record.status,
                   "review_url": record.review_url}
                  for url, record in sorted(rows.items())]
        table = FetchState.__table__
        with self.sessions.begin() as session:  # one upsert per chunk, not a merge per URL
            for chunk in _chunks(values):
                stmt = _insert(session, table)
                stmt = stmt.on_conflict_do_update(
                    index_elements=["url"],
                    set_={name: stmt.excluded[name] for name in values[0] if name != "url"})
                session.execute(stmt, list(chunk))
        return len(rows)
