from __future__ import annotations

import logging

from scrapy import signals
from scrapy.utils.conf import build_component_list
from scrapy.utils.misc import load_object

from aggregator.db.history import learn_habits, scale_counts_by_publication
from aggregator.db.session import (
    ensure_schema,
    make_engine,
    resolve_database_url,
    session_factory,
)
from aggregator.normalise import rate_review
from aggregator.ratings import OutletScales

from .base import CountingPipeline, crawl_publications

logger = logging.getLogger(__name__)


class DecideVerdictPipeline(CountingPipeline):
    """The rating read on the outlet's scale, and the verdict with its source and confidence.

    An outlet the registry gives no scale gets one learnt from its other ratings
    (aggregator.ratings.learned_scale): from the database's stored reviews when the crawl
    opens, and from the ratings of this crawl as they pass. A rating rejected as
    "unknown_scale" is read again on the learnt scale (counted as `scale_learnt`). Those seen
    before their outlet's scale could be learnt are re-read in the database once the crawl
    has stored everything (`scale_learnt_at_close`), through aggregator.renormalise; items
    are never held back. History is read only when the crawl stores into a database.

    The fresh call of a scored review the critic did not call is made with the outlets' and
    critics' habits learnt from the stored reviews that carry both (aggregator.habits), when
    the database holds any.
    """

    component = "verdict"

    def __init__(self, crawler):
        super().__init__(crawler)
        self.database_url: str | None = None
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    def open_spider(self):
        self.publications = crawl_publications(self.crawler)
        self.scales = OutletScales()
        self.read_before_learnt: dict[str, list[str]] = {}
        self.habits = None
        settings = self.crawler.settings
        if stores_reviews(settings):
            self.database_url = resolve_database_url(
                cli_url=settings.get("AGGREGATOR_DB"), settings=settings
            )
            engine = make_engine(self.database_url)
            try:
                ensure_schema(engine)
                with session_factory(engine)() as session:
                    self.scales = OutletScales(scale_counts_by_publication(session))
                    self.habits = learn_habits(session)
            finally:
                engine.dispose()

    def process_item(self, item):
        key = item.publication
        publication = self.publications.lookup(key) if key else None
        has_scale = bool(getattr(publication, "scale", None))
        reason = rate_review(
            item, publication, None if has_scale else self.scales.learnt(key), self.habits
        )
        if reason == "scale_learnt":
            self.count("scale_learnt")
        elif reason not in ("ok", "absent"):
            self.count(f"rating_rejected/{reason}")
            if reason == "unknown_scale" and key and item.url and not has_scale:
                self.read_before_learnt.setdefault(key, []).append(item.url)
        if item.scale:
            self.scales.add(key, item.scale)
        self.count(f"source/{item.verdict_source or 'none'}")
        return item

    def spider_closed(self, spider, reason):
        """After the store pipeline has written everything (Scrapy closes the pipelines first)."""
        if self.database_url is None:
            return
        learnt = {
            key: scale
            for key in self.read_before_learnt
            if (scale := self.scales.learnt(key))
        }
        urls = [url for key in learnt for url in self.read_before_learnt[key]]
        if not urls:
            return
        from aggregator.renormalise import renormalise

        engine = make_engine(self.database_url)
        try:
            report = renormalise(
                session_factory(engine),
                lookup=self.publications.lookup,
                urls=urls,
                learnt_scales=learnt,
            )
            if report.changed["rating"]:
                self.count("scale_learnt_at_close", report.changed["rating"])
        except (
            Exception
        ):  # the reviews are stored; `aggregator renormalise` can fix them later
            logger.exception(
                "could not re-read %d ratings on their outlets' learnt scales",
                len(urls),
            )
        finally:
            engine.dispose()


def stores_reviews(settings) -> bool:
    """Whether this crawl's pipelines include the store (else there is no database to learn from)."""
    from .store_reviews import StoreReviewsPipeline

    for component in build_component_list(settings.getwithbase("ITEM_PIPELINES")):
        try:
            cls = load_object(component) if isinstance(component, str) else component
        except (ImportError, NameError, ValueError):
            continue
        if isinstance(cls, type) and issubclass(cls, StoreReviewsPipeline):
            return True
    return False
