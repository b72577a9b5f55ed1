"""Crawl runs: when each started and ended, why, and what it stored or dropped.

A run that stored no review is "empty" and one that ended on an error is "failed", so a
publication whose pages changed never passes for a success. A run stopped by a signal (Ctrl-C,
SIGTERM: Scrapy's finish reason "shutdown") is "interrupted", with the counts of what it stored.
A run whose process died (kill -9, a crash, a power cut) is found "running" by a later run on
the same host, and marked "killed" (`mark_killed`), with what its spool says it stored and the
reviews recovered from that spool (aggregator.db.spool).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from aggregator.db import spool
from aggregator.db.models import CrawlRun, utcnow
from aggregator.db.upsert import UpsertCounts, save_reviews
from aggregator.items import ReviewItem

logger = logging.getLogger(__name__)

# Finish reasons of a run that ended as planned; any other reason marks the run failed.
OK_FINISH_REASONS = frozenset(
    {"finished", "closespider_itemcount", "closespider_pagecount", "closespider_timeout"}
)
# Finish reasons of a run someone stopped (a signal, the engine shut down): "interrupted".
INTERRUPTED_FINISH_REASONS = frozenset({"shutdown"})
KILLED_FINISH_REASON = "killed"
"""The finish reason given to a run whose process was found gone."""


def start_run(
    session: Session,
    spider: str,
    args: Mapping[str, Any] | None = None,
    *,
    pid: int | None = None,
    host: str | None = None,
) -> int:
    """Record a run as "running" and return its id. Commits at once, so the run is visible to
    `aggregator runs` during the crawl and no SQLite write lock is held across it. `pid` and
    `host` say which process runs it, so that a later run can tell it died."""
    run = CrawlRun(spider=spider, args=_jsonable(dict(args or {})), status="running", pid=pid, host=host)
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
    """Close a run: "interrupted" when it was shut down, "failed" for another error finish reason,
    else "ok" when it stored or saw at least one review and "empty" when it stored none (a
    broken spider must not look fine).
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
    if finish_reason in INTERRUPTED_FINISH_REASONS:
        run.status = "interrupted"
    elif finish_reason not in OK_FINISH_REASONS:
        run.status = "failed"
    else:
        run.status = "ok" if counts.stored + confirmed_unchanged > 0 else "empty"
    session.commit()
    return run


def running_on(session: Session, host: str, *, exclude: int | None = None) -> list[CrawlRun]:
    """The runs still "running" that a process on `host` started (other than `exclude`)."""
    stmt = select(CrawlRun).where(CrawlRun.status == "running", CrawlRun.host == host)
    if exclude is not None:
        stmt = stmt.where(CrawlRun.id != exclude)
    return list(session.scalars(stmt.order_by(CrawlRun.id)))


def mark_killed(session: Session, run_id: int, stored: Mapping[str, int], finished_at=None) -> bool:
    """Close a run whose process is gone as "killed", its counts those its spool recorded as
    stored (`stored`: new, updated, unchanged). Only a run still "running" is changed (two
    runs may find it at once); True when this call changed it. Commits."""
    marked = session.execute(
        update(CrawlRun)
        .where(CrawlRun.id == run_id, CrawlRun.status == "running")
        .values(
            status="killed",
            finish_reason=KILLED_FINISH_REASON,
            finished_at=finished_at or utcnow(),
            reviews_new=int(stored.get("new", 0)),
            reviews_updated=int(stored.get("updated", 0)),
            reviews_unchanged=int(stored.get("unchanged", 0)),
        )
    ).rowcount
    session.commit()
    return bool(marked)


def add_recovered(session: Session, run_id: int, counts: UpsertCounts) -> None:
    """Count in the run `run_id` the reviews a later run stored from its spool. Commits."""
    session.execute(
        update(CrawlRun)
        .where(CrawlRun.id == run_id)
        .values(
            reviews_new=CrawlRun.reviews_new + counts.new,
            reviews_updated=CrawlRun.reviews_updated + counts.updated,
            reviews_unchanged=CrawlRun.reviews_unchanged + counts.unchanged,
            reviews_recovered=CrawlRun.reviews_recovered + counts.stored,
        )
    )
    session.commit()


@dataclass
class Recovery:
    """What `recover_dead_runs` did for one dead run."""

    run_id: int
    marked_killed: bool
    counts: UpsertCounts = field(default_factory=UpsertCounts)
    """The reviews stored from its spool."""
    failed: list[tuple[str | None, str]] = field(default_factory=list)
    """(url, error) of spooled reviews the database refused."""
    unreadable: int = 0


def recover_dead_runs(
    sessions,
    *,
    host: str,
    own_run_id: int,
    spool_dir: Path | None,
    publications: Callable[[str], Any],
    batch_size: int = 200,
) -> list[Recovery]:
    """Close the runs on `host` whose process is gone, and store what their spools hold.

    A run is dead when its spool can be locked (its process held the lock while alive), or,
    without a spool, when no process has its pid. A dead "running" run becomes "killed"; the
    reviews its spool received but had not marked stored are written for it (counted in its row
    as recovered); then the spool is deleted. A spool of a finished run (a batch the database
    refused) is stored the same way. Runs started on other hosts are never judged."""
    leftovers = {left.run_id: left for left in spool.claim_leftovers(spool_dir, exclude={own_run_id})}
    try:
        with sessions() as session:
            running = running_on(session, host, exclude=own_run_id)
            known = {run.id for run in session.scalars(select(CrawlRun).where(CrawlRun.id.in_(list(leftovers))))}
            dead = [run.id for run in running if run.id in leftovers or _gone(run, spool_dir)]
        results = []
        for run_id in sorted(set(dead) | (set(leftovers) & known)):
            left = leftovers.get(run_id)
            stored = left.counts if left else {}
            died = datetime.fromtimestamp(os.stat(left.path).st_mtime, timezone.utc) if left else None
            with sessions() as session:
                result = Recovery(run_id, mark_killed(session, run_id, stored, finished_at=died))
            if left and left.items:
                _store_spooled(sessions, left.items, publications, result, batch_size)
                with sessions() as session:
                    add_recovered(session, run_id, result.counts)
            result.unreadable = left.unreadable if left else 0
            results.append(result)
        for run_id, left in leftovers.items():
            if run_id not in known:  # its database was replaced since: not this database's reviews
                logger.warning("the spool %s belongs to no run of this database: left as %s.orphan",
                               left.path, left.path.name)
                left.path.rename(left.path.with_name(left.path.name + ".orphan"))
        for left in leftovers.values():
            left.release(delete=left.path.exists())
        leftovers.clear()
        return results
    finally:
        for left in leftovers.values():  # an error above: the spools stay for the next run
            left.release(delete=False)


def _store_spooled(sessions, items: list[ReviewItem], publications, result: Recovery, batch_size: int) -> None:
    """Store a dead run's spooled reviews for it in batches, one transaction each; a batch that
    fails is tried item by item, and an item that still fails is reported in `result.failed`."""

    def write(batch: list[ReviewItem]) -> None:
        entries = {key: publications(key) for key in {i.publication for i in batch}}
        with sessions.begin() as session:
            result.counts += save_reviews(session, batch, entries, run_id=result.run_id)

    for start in range(0, len(items), batch_size):
        batch = items[start : start + batch_size]
        try:
            write(batch)
        except Exception:
            for item in batch:
                try:
                    write([item])
                except Exception as error:  # reported with its URL, not fatal
                    first_line = (str(error).splitlines() or [""])[0][:300]
                    result.failed.append((item.url, f"{type(error).__name__}: {first_line}"))


def _gone(run: CrawlRun, spool_dir: Path | None) -> bool:
    """A run without a claimable spool is dead when its spool is absent too and its pid is no
    process (a run that is alive or finishing holds, or has just deleted, its spool)."""
    if spool_dir is not None and (spool_dir / f"run-{run.id}.jsonl").exists():
        return False  # locked: its process lives
    if not run.pid or run.pid == os.getpid() or os.name == "nt":  # Windows' os.kill(pid, 0) kills
        return False
    try:
        os.kill(run.pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # PermissionError: a process of another user has it
        return False
    return False


def list_runs(session: Session, limit: int = 20) -> list[CrawlRun]:
    """The latest runs, newest first."""
    stmt = select(CrawlRun).order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc()).limit(limit)
    return list(session.scalars(stmt))


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))
