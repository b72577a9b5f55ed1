from __future__ import annotations

import asyncio
import logging
import os
import socket
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from scrapy import signals
from scrapy.utils.asyncio import create_looping_call
from scrapy.utils.job import job_dir

from aggregator.crawl.fetch_state import reviews_stored
from aggregator.db.runs import finish_run, recover_dead_runs, start_run
from aggregator.db.session import ensure_schema, make_engine, resolve_database_url, session_factory, write_retrying
from aggregator.db.spool import JobdirGuard, Spool, spool_dir_for
from aggregator.db.upsert import UpsertCounts, save_reviews

from .base import CountingPipeline, crawl_publications

logger = logging.getLogger(__name__)


class StoreReviewsPipeline(CountingPipeline):
    """Reviews upserted on their canonical URL in batches, and the crawl recorded as a run.

    Items are buffered and written AGGREGATOR_STORE_BATCH_SIZE at a time in one transaction,
    every AGGREGATOR_STORE_FLUSH_INTERVAL seconds (5) when fewer arrived, and the rest when the
    spider closes (also on a graceful shutdown). When the spider has closed, the run is finished
    with its reason, counts and drops; a run that stored no review is marked "empty" and the
    crawl command exits non-zero for it; one shut down by a signal is "interrupted".

    Crash safety (aggregator.db.spool): each item is appended to the run's spool before it is
    handed on (AGGREGATOR_SPOOL, on by default; fdatasync at most every
    AGGREGATOR_SPOOL_FSYNC_INTERVAL seconds), and a batch marked there once stored. At the start
    the runs of this host whose process died are marked "killed" and their spooled, unstored
    items stored (aggregator/reviews/recovered); a JOBDIR such a crawl left is started over.
    """

    component = "store"

    def __init__(self, crawler):
        super().__init__(crawler)
        self.batch_size = crawler.settings.getint("AGGREGATOR_STORE_BATCH_SIZE", 200)
        self.buffer = []
        self.counts = UpsertCounts()
        self.failed_batches = 0
        # One writer thread: batches are written in order, off the reactor's thread, while
        # the crawl goes on parsing (the database driver releases the GIL while it works).
        self.writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store-reviews")
        self.pending: list[Future] = []
        self.stored_urls: set[str] = set()
        """Reviews written or confirmed: a discovery crawl marks their pages as fetched."""
        self.spool: Spool | None = None
        self.buffered_seqs: list[int] = []
        self.flush_interval = crawler.settings.getfloat("AGGREGATOR_STORE_FLUSH_INTERVAL", 5.0)
        self.ticker = None
        self.jobdir_reset: list[str] = []
        jobdir = job_dir(crawler.settings)
        self.jobdir = JobdirGuard(Path(jobdir)) if jobdir else None
        # Here, not at open_spider: the scheduler reads the JOBDIR before the pipelines open.
        if self.jobdir is not None and self.jobdir.left_by_dead_crawl():
            self.jobdir_reset = self.jobdir.reset_request_state()
            logger.warning(
                "JOBDIR %s was left by a crawl that died: Scrapy saves its request queue only at a "
                "clean close, so its list of seen requests is dropped (%s) and this crawl fetches "
                "the pages again; reviews already stored are confirmed, not duplicated",
                jobdir, ", ".join(self.jobdir_reset) or "nothing to drop")
        elif self.jobdir is not None and self.jobdir.in_use():
            logger.error("JOBDIR %s is in use by another running crawl: give each crawl its own", jobdir)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self._start_ticker, signal=signals.engine_started)

    def open_spider(self):
        settings = self.crawler.settings
        url = resolve_database_url(cli_url=settings.get("AGGREGATOR_DB"), settings=settings)
        self.engine = make_engine(url)
        ensure_schema(self.engine)
        self.sessions = session_factory(self.engine)
        self.publications = crawl_publications(self.crawler)
        spider = self.crawler.spider
        host = socket.gethostname()
        self.run_id = write_retrying(self.sessions, lambda session: start_run(
            session, spider.name, self._spider_args(spider), pid=os.getpid(), host=host), what="the crawl's run record")
        self.crawler.stats.set_value("aggregator/run_id", self.run_id)
        spool_dir = spool_dir_for(url) if settings.getbool("AGGREGATOR_SPOOL", True) else None
        if spool_dir is not None:
            try:
                self.spool = Spool.create(spool_dir, self.run_id, fsync_interval=settings.getfloat(
                    "AGGREGATOR_SPOOL_FSYNC_INTERVAL", 0.5))
            except OSError as error:
                self.count("spool/unavailable")
                logger.error("cannot create the crawl's spool in %s (%s): a kill would lose the reviews"
                             " not yet written; set AGGREGATOR_SPOOL=0 to crawl without one", spool_dir, error)
        self._recover(host, spool_dir)
        if self.jobdir is not None:
            self.jobdir.hold(self.run_id)
            if self.jobdir_reset:
                self.crawler.stats.set_value("aggregator/jobdir/reset", 1)

    def _recover(self, host: str, spool_dir) -> None:
        """Close the dead runs of this host and store what their spools hold, before crawling."""
        recovered = recover_dead_runs(
            self.sessions, host=host, own_run_id=self.run_id, spool_dir=spool_dir,
            publications=self.publications.lookup, batch_size=self.batch_size,
        )
        for run in recovered:
            stored = run.counts
            if stored.stored or run.failed:
                logger.warning(
                    "recovered %d reviews of run %d from its spool (%d new, %d updated, %d unchanged)%s",
                    stored.stored, run.run_id, stored.new, stored.updated, stored.unchanged,
                    f"; {len(run.failed)} refused by the database" if run.failed else "")
            if run.marked_killed:
                self.count("killed_runs")
                logger.warning("run %d was still 'running' but its process is gone: marked 'killed'", run.run_id)
            for url, error in run.failed:
                self.crawler.stats.inc_value("aggregator/dropped/store_error")
                logger.warning("dropped %s (recovered from run %d): store_error %s", url, run.run_id, error)
            if run.unreadable:
                self.count("spool/unreadable", run.unreadable)
            self.crawler.stats.inc_value("aggregator/reviews/recovered", stored.stored)

    def process_item(self, item):
        if self.spool is not None:  # on disk before the item is handed on: a kill -9 cannot take it
            seq = self.spool.append(item)
            if seq is not None:
                self.buffered_seqs.append(seq)
            else:  # stored as usual, only not protected
                self.count(f"spool/{self.spool.refused}")
                logger.warning("review %s is not in the spool (%s)", getattr(item, "url", None), self.spool.refused)
        self.buffer.append(item)
        if len(self.buffer) >= self.batch_size:
            self.flush()
        return item

    async def close_spider(self):
        if self.ticker is not None and self.ticker.running:
            self.ticker.stop()
        self.flush()
        for future in self.pending:
            await asyncio.wrap_future(future)
        self.writer.shutdown()
        self.crawler.signals.send_catch_log(reviews_stored, urls=frozenset(self.stored_urls))

    def _start_ticker(self) -> None:
        """The interval flush runs while the engine does (never for a pipeline driven alone)."""
        if self.flush_interval > 0:
            self.ticker = create_looping_call(self._flush_on_interval)
            self.ticker.start(self.flush_interval, now=False)

    def _flush_on_interval(self) -> None:
        """A quiet crawl's reviews reach the database within the interval, not at its end."""
        self.flush()
        if self.spool is not None:
            self.spool.sync()

    def flush(self):
        if not self.buffer:
            return
        batch, self.buffer = self.buffer, []
        seqs, self.buffered_seqs = self.buffered_seqs, []
        publications = {key: self.publications.lookup(key) for key in {i.publication for i in batch}}
        self.pending = [f for f in self.pending if not f.done()]
        self.pending.append(self.writer.submit(self._store, batch, publications, seqs))

    def _store(self, batch, publications, seqs) -> None:
        """In the writer thread: `_write` the batch, then mark it stored in the spool unless the
        database refused all of it (then the spool keeps it for the next run)."""
        failed_before = self.failed_batches
        self._write(batch, publications)
        if self.spool is not None and seqs and self.failed_batches == failed_before:
            self.spool.mark_stored(seqs[0], seqs[-1], self.counts)

    def _write(self, batch, publications) -> None:
        """In the writer thread: one transaction per batch. A batch that fails is retried item
        by item, each in its own transaction, so that a review the database refuses (a string
        it cannot take) costs only itself: it is dropped (aggregator/dropped/store_error) and
        logged with its URL and the error. Only a batch none of whose items could be stored
        counts as failed; that is counted, not fatal."""
        from sqlalchemy.exc import OperationalError

        from aggregator.db.session import DatabaseUnavailable

        database_failing = (OperationalError, DatabaseUnavailable)  # not the item's doing

        def described(error: Exception) -> str:
            lines = str(error).strip().splitlines()  # SQLAlchemy appends the SQL and parameters
            return f"{type(error).__name__}: {lines[0][:300] if lines else ''}"

        try:  # a database locked by another process is waited out (lock patience), not failed
            counts = write_retrying(self.sessions, lambda session: save_reviews(
                session, batch, publications, run_id=self.run_id), what=f"a batch of {len(batch)} reviews")
        except Exception as batch_error:
            logger.warning("a batch of %d reviews failed (%s): storing them one by one",
                           len(batch), described(batch_error))
            logger.debug("the batch's error", exc_info=batch_error)
            counts, failed, refused_in_a_row, last_error = UpsertCounts(), 0, 0, batch_error
            for position, item in enumerate(batch):
                if refused_in_a_row >= 2 and not counts.stored:
                    # The database, not the items, is failing (locked, unreachable, read-only):
                    # each further try would wait as long again for the same answer.
                    self.crawler.stats.inc_value("aggregator/dropped/store_error", len(batch) - position)
                    logger.error("dropped the other %d reviews of the batch untried: the database "
                                 "refuses every write (%s)", len(batch) - position, described(last_error))
                    failed += len(batch) - position
                    break
                try:
                    with self.sessions.begin() as session:
                        counts += save_reviews(session, [item], publications, run_id=self.run_id)
                    refused_in_a_row = 0
                except Exception as error:
                    failed, last_error = failed + 1, error
                    refused_in_a_row = refused_in_a_row + 1 if isinstance(error, database_failing) else 0
                    self.crawler.stats.inc_value("aggregator/dropped/store_error")
                    logger.warning("dropped %s: store_error %s", getattr(item, "url", None), described(error))
            if failed == len(batch):
                self.failed_batches += 1
                logger.error("could not store a batch of %d reviews (%s)", len(batch), described(batch_error))
                return
        self.counts += counts
        self.stored_urls.update(counts.urls)
        for name in ("new", "updated", "unchanged"):
            self.crawler.stats.set_value(f"aggregator/reviews/{name}", getattr(self.counts, name))
        # Stored without a film (two same-title candidates, no evidence): `aggregator film unresolved`.
        for reason, count in self.counts.unresolved_film.items():
            self.crawler.stats.set_value(f"aggregator/film/unresolved/{reason}", count)

    def spider_closed(self, spider, reason):
        stats = self.crawler.stats.get_stats()
        dropped = {
            key.removeprefix("aggregator/dropped/"): value
            for key, value in stats.items()
            if key.startswith("aggregator/dropped/")
        }
        if self.failed_batches:  # reviews were lost on the way to the database: not a success
            reason = "store_failed"
        # An incremental crawl confirms reviews unchanged without downloading them, and leaves
        # entries older than its window alone (spiders/platforms/base.py counts both).
        confirmed = _sum_under(stats, "aggregator/discovery/unchanged/")
        skipped = _sum_under(stats, "aggregator/discovery/skipped/")
        run = write_retrying(self.sessions, lambda session: finish_run(
            session, self.run_id, finish_reason=reason, stats=stats, counts=self.counts,
            dropped=dropped, confirmed_unchanged=confirmed, skipped=skipped,
        ), what="the crawl's run record")
        status = run.status
        self.crawler.stats.set_value("aggregator/reviews/unchanged", self.counts.unchanged + confirmed)
        self.crawler.stats.set_value("aggregator/reviews/skipped", skipped)
        self.crawler.stats.set_value("aggregator/run_status", status)
        stored = (f"{run.reviews_new + run.reviews_updated + run.reviews_unchanged} reviews ({run.reviews_new} new, "
                  f"{run.reviews_updated} updated, {run.reviews_unchanged} unchanged)")
        if status == "empty":
            logger.error("crawl run %s of %s is 'empty': it stored no review (finish reason %s)",
                         self.run_id, spider.name, reason)
        elif status == "interrupted":
            logger.warning("crawl run %s of %s was interrupted (finish reason %s) after storing %s;"
                           " run it again to fetch the rest", self.run_id, spider.name, reason, stored)
        elif status != "ok":
            logger.error("crawl run %s of %s is %r (finish reason %s) after storing %s",
                         self.run_id, spider.name, status, reason, stored)
        self._close_spool()
        if self.jobdir is not None:  # Scrapy has saved the JOBDIR's queue: a resume can trust it
            self.jobdir.release()
        self.engine.dispose()

    def _close_spool(self) -> None:
        """After the run's row is final: a kill before this point still finds the spool."""
        if self.spool is None:
            return
        unstored = self.spool.unstored
        if unstored:
            logger.warning("%d reviews of run %s are not in the database: kept in %s, stored by the next"
                           " crawl into this database", unstored, self.run_id, self.spool.path)
        self.spool.close(delete=not unstored)

    @staticmethod
    def _spider_args(spider) -> dict:
        args = {
            "start_urls": list(getattr(spider, "start_urls", []))[:20],
            "follow": bool(getattr(spider, "follow_links", False)),
        }
        # What a discovery crawl was asked (aggregator crawl --since / --film / --publication).
        for name in ("since", "film", "film_year"):
            if getattr(spider, name, None) is not None:
                args[name] = str(getattr(spider, name))
        if getattr(spider, "outlets", None):
            args["publications"] = [p.key for p in spider.outlets]
        return args


def _sum_under(stats, prefix: str) -> int:
    return sum(int(v or 0) for k, v in stats.items() if k.startswith(prefix))
