"""Crawl runs: when each started and ended, why, and what it stored or dropped.

A run that stored no review is "empty" and one that ended on an error is "failed", so a
publication whose pages changed never passes for a success.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.db.models import CrawlRun, utcnow
from aggregator.db.upsert import UpsertCounts

# Finish reasons of a run that ended as planned; any other reason marks the run failed.
OK_FINISH_REASONS = frozenset(
    {"finished", "closespider_itemcount", "closespider_pagecount", "closespider_timeout"}
)


def start_run(session: Session, spider: str, args: Mapping[str, Any] | None = None) -> int:
    """Record a run as "running" and return its id. Commits at once, so the run is visible to
    `aggregator runs` during the crawl and no SQLite write lock is held across it."""
    run = CrawlRun(spider=spider, args=_jsonable(dict(args or {})), status="running")
    session.add(run)
    session.commit()
    return run.id


def finish_run(
    session: Session,
    run_id: int,
    *,
    finish_reason: str | None,
    stats: Mapping[str, Any],
    counts: UpsertCounts,
    dropped: Mapping[str, int],
    confirmed_unchanged: int = 0,
    skipped: int = 0,
) -> CrawlRun:
    """Close a run: "failed" for an error finish reason, else "ok" when it stored or saw at
    least one review and "empty" when it stored none (a broken spider must not look fine).
    An incremental crawl also counts the reviews it confirmed unchanged without downloading
    them (`confirmed_unchanged`: a lastmod not newer than the stored one, a 304) as unchanged,
    and the entries it left alone as older than its window as `skipped`. Commits."""
    run = session.get(CrawlRun, run_id)
    if run is None:
        raise LookupError(f"no crawl run with id {run_id}")
    run.finished_at = utcnow()
    run.finish_reason = finish_reason
    run.pages = int(
        stats.get("response_received_count") or stats.get("downloader/response_count") or 0
    )
    run.items_scraped = int(stats.get("item_scraped_count", 0) or 0)
    run.errors = int(stats.get("log_count/ERROR", 0) or 0)
    run.reviews_new, run.reviews_updated = counts.new, counts.updated
    run.reviews_unchanged = counts.unchanged + confirmed_unchanged
    run.reviews_skipped = skipped
    all_dropped = dict(dropped)
    for reason, count in counts.skipped.items():
        all_dropped[f"store/{reason}"] = all_dropped.get(f"store/{reason}", 0) + count
    run.dropped = {str(k): int(v) for k, v in sorted(all_dropped.items())}
    if finish_reason not in OK_FINISH_REASONS:
        run.status = "failed"
    else:
        run.status = "ok" if counts.stored + confirmed_unchanged > 0 else "empty"
    session.commit()
    return run


def list_runs(session: Session, limit: int = 20) -> list[CrawlRun]:
    """The latest runs, newest first."""
    stmt = select(CrawlRun).order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc()).limit(limit)
    return list(session.scalars(stmt))


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))
