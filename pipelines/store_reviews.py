from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Future, ThreadPoolExecutor

from scrapy import signals

from aggregator.crawl.fetch_state import reviews_stored
from aggregator.db.runs import finish_run, start_run
from aggregator.db.session import ensure_schema, make_engine, resolve_database_url, session_factory
from aggregator.db.upsert import UpsertCounts, save_reviews

from .base import CountingPipeline, crawl_publications

logger = logging.getLogger(__name__)


class StoreReviewsPipeline(CountingPipeline):
    """Reviews upserted on their canonical URL in batches, and the crawl recorded as a run.

    Items are buffered and written AGGREGATOR_STORE_BATCH_SIZE at a time in one transaction,
    and the rest when the spider closes (also on a graceful shutdown). When the spider has
    closed, the run is finished with its reason, counts and drops; a run that stored no review
    is marked "empty" and the crawl command exits non-zero for it.
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
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    def open_spider(self):
        settings = self.crawler.settings
        url = resolve_database_url(cli_url=settings.get("AGGREGATOR_DB"), settings=settings)
        self.engine = make_engine(url)
        ensure_schema(self.engine)
        self.sessions = session_factory(self.engine)
        self.publications = crawl_publications(self.crawler)
        spider = self.crawler.spider
        with self.sessions.begin() as session:
            self.run_id = start_run(session, spider.name, self._spider_args(spider))
        self.crawler.stats.set_value("aggregator/run_id", self.run_id)

    def process_item(self, item):
        self.buffer.append(item)
        if len(self.buffer) >= self.batch_size:
            self.flush()
        return item

    async def close_spider(self):
        self.flush()
        for future in self.pending:
            await asyncio.wrap_future(future)
        self.writer.shutdown()
        self.crawler.signals.send_catch_log(reviews_stored, urls=frozenset(self.stored_urls))

    def flush(self):
        if not self.buffer:
            return
        batch, self.buffer = self.buffer, []
        publications = {key: self.publications.lookup(key) for key in {i.publication for i in batch}}
        self.pending = [f for f in self.pending if not f.done()]
        self.pending.append(self.writer.submit(self._write, batch, publications))

    def _write(self, batch, publications) -> None:
        """In the writer thread: one transaction per batch; a failed batch is counted, not fatal."""
        try:
            with self.sessions.begin() as session:
                counts = save_reviews(session, batch, publications, run_id=self.run_id)
        except Exception:
            self.failed_batches += 1
            self.crawler.stats.inc_value("aggregator/dropped/store_error", len(batch))
            logger.exception("could not store a batch of %d reviews", len(batch))
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
        with self.sessions.begin() as session:
            run = finish_run(
                session, self.run_id, finish_reason=reason, stats=stats, counts=self.counts,
                dropped=dropped, confirmed_unchanged=confirmed, skipped=skipped,
            )
            status = run.status
        self.crawler.stats.set_value("aggregator/reviews/unchanged", self.counts.unchanged + confirmed)
        self.crawler.stats.set_value("aggregator/reviews/skipped", skipped)
        self.crawler.stats.set_value("aggregator/run_status", status)
        if status != "ok":
            logger.error(
                "crawl run %s of %s is %r: it stored no review (finish reason %s)",
                self.run_id, spider.name, status, reason,
            )
        self.engine.dispose()

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
