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
no review: a page whose review a pipeline dropped (another film, an invalid item) or the store
refused or failed to write is not marked as seen, so a later crawl still fetches it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

from sqlalchemy import select

from aggregator.db.batching import chunks, dialect_insert
from aggregator.db.models import FetchState, utcnow

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


reviews_stored = object()
"""Signal the store pipeline sends, once its writes are done and in the reactor's thread, with
`urls`: the canonical URLs of the reviews it wrote or confirmed in this crawl."""


class FetchStates:
    """The stored fetch state of the URLs a crawl asks about, and the states it learns.

    Rows are read only for the URLs a crawl looks at: a listing reads its candidate entries in
    batches (`read`), and a URL asked about otherwise is read on first use; the table as a whole
    is never loaded. What the crawl learns is written once at its end (`save`), and only for
    the pages whose outcome is settled (`_settled`)."""

    def __init__(self, sessions):
        self.sessions = sessions
        self.stored: dict[str, FetchRecord | None] = {}
        """URL → its stored state (None: no row), for the URLs read so far."""
        self.rows_read = 0
        self.pending: dict[str, FetchRecord] = {}
        self.unfit: set[str] = set()
        self._reviews_yielded: dict[str, int] = {}
        self._reviews_passed: dict[str, list[str]] = {}
        self._reviews_stored: set[str] = set()

    # --- reading the stored states -----------------------------------------------------------

    def read(self, urls: Iterable[str]) -> None:
        """Read the stored states of `urls` not read yet, a batch of URLs per statement."""
        wanted = sorted({url for url in urls if url not in self.stored})
        if not wanted:
            return
        with self.sessions() as session:
            for chunk in chunks(wanted):
                self.stored.update(dict.fromkeys(chunk))
                for row in session.scalars(select(FetchState).where(FetchState.url.in_(chunk))):
                    self.rows_read += 1
                    self.stored[row.url] = FetchRecord(row.etag, row.last_modified, row.lastmod,
                                                       row.status, row.review_url)

    def _record(self, url: str) -> FetchRecord | None:
        if url not in self.stored:
            self.read([url])
        return self.stored[url]

    def unchanged_since_stored(self, url: str, lastmod: datetime | None) -> bool:
        """True when the entry's date is not newer than the one stored at the last fetch."""
        if lastmod is None:
            return False
        record = self._record(url)
        return bool(record and record.lastmod and lastmod <= record.lastmod)

    def conditional_headers(self, url: str) -> dict[str, str]:
        record = self._record(url)
        headers: dict[str, str] = {}
        if record and record.etag:
            headers["If-None-Match"] = record.etag
        if record and record.last_modified:
            headers["If-Modified-Since"] = record.last_modified
        return headers

    def held_review(self, url: str) -> bool:
        """The page held a stored review when it was last fetched."""
        record = self._record(url)
        return bool(record and record.review_url)

    # --- what this crawl learns --------------------------------------------------------------

    def fetched(self, url: str, *, status: int, etag: str | None, last_modified: str | None,
                lastmod: datetime | None) -> None:
        """A page was fetched (200) or confirmed (304): remember it, to be written at the end
        once its outcome is settled (a 304 is: the stored state it confirms was)."""
        review_url = None
        if status == 304:
            previous = self._record(url)
            if previous is not None:
                etag = etag or previous.etag
                last_modified = last_modified or previous.last_modified
                review_url = previous.review_url
        self.pending[url] = FetchRecord(etag, last_modified, lastmod, status, review_url)

    def page_read(self, url: str, reviews: int) -> None:
        """The page's callback ran to its end and yielded `reviews` review items (0: a page
        that holds no review, such as a news story or an interview)."""
        self._reviews_yielded[url] = self._reviews_yielded.get(url, 0) + reviews

    def review_passed(self, url: str, review_url: str) -> None:
        """A review read from the page fetched at `url` passed every pipeline up to the store."""
        self._reviews_passed.setdefault(url, []).append(review_url)

    def reviews_stored(self, review_urls: Iterable[str]) -> None:
        """The store wrote (or confirmed unchanged) these reviews."""
        self._reviews_stored.update(review_urls)

    def not_stored(self, url: str) -> None:
        """The page's review was dropped on its way to the store: do not mark it as seen."""
        self.unfit.add(url)

    def _settled(self, url: str, record: FetchRecord) -> bool:
        """A page counts as fetched when it was confirmed unchanged (304), or when its callback
        ran to its end and every review it yielded was stored. A page whose review a pipeline
        dropped or the store refused, or whose callback failed or never ran, is not: the next
        crawl requests it again without validators."""
        if record.status == 304:
            return True
        if url in self.unfit or url not in self._reviews_yielded:
            return False
        passed = self._reviews_passed.get(url, [])
        return (len(passed) == self._reviews_yielded[url]
                and all(review in self._reviews_stored for review in passed))

    def _review_of(self, url: str, record: FetchRecord) -> str | None:
        """The stored review a settled page holds: the one a 304 confirmed, else the first it gave."""
        if record.status == 304:
            return record.review_url
        return next(iter(self._reviews_passed.get(url, ())), None)

    def save(self) -> int:
        """Write the states learnt by this crawl for the settled pages; returns how many."""
        rows = {url: record for url, record in self.pending.items() if self._settled(url, record)}
        if not rows:
            return 0
        now = utcnow()
        values = [{"url": url, "etag": record.etag, "last_modified": record.last_modified,
                   "lastmod": record.lastmod, "fetched_at": now, "status": record.status,
                   "review_url": self._review_of(url, record)}
                  for url, record in sorted(rows.items())]
        table = FetchState.__table__
        with self.sessions.begin() as session:  # one upsert per chunk, not a merge per URL
            for chunk in chunks(values):
                stmt = dialect_insert(session, table)
                stmt = stmt.on_conflict_do_update(
                    index_elements=["url"],
                    set_={name: stmt.excluded[name] for name in values[0] if name != "url"})
                session.execute(stmt, list(chunk))
        return len(rows)
