from __future__ import annotations

import logging

from scrapy import signals
from scrapy.utils.conf import build_component_list
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.misc import load_object
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from aggregator.db.film_consensus import CrawlConsensus, inferred_urls_of_films
from aggregator.db.history import model_critic_identities
from aggregator.db.learnt_state import crawl_consensus, crawl_habits, crawl_scale_counts
from aggregator.db.session import (
    ensure_schema,
    make_engine,
    resolve_database_url,
    session_factory,
)
from aggregator.db.verdict_loading import retrain_after, retrain_if_due, run_verdict_model
from aggregator.normalise import rate_review
from aggregator.ratings import OutletScales
from aggregator.verdicts import GIVEN_SOURCES
from aggregator.verdicts.text.batch import ReadBatch, reads_in_batches
from aggregator.verdicts.text.model import no_verdict_reason

from .base import CountingPipeline, crawl_publications

logger = logging.getLogger(__name__)

INFER_BATCH_SETTING = "AGGREGATOR_INFER_BATCH"
INFER_BATCH = 64
"""Items whose texts the model reads in one call: a trained model reads ~16x more texts a second
of model time in batches of 64 (python -m benchmarks.inference); 1 reads each item's text as it comes."""
INFER_DELAY_SETTING = "AGGREGATOR_INFER_BATCH_DELAY"
INFER_DELAY = 0.2
"""Seconds the first item of a batch waits at most: a slow crawl does not hold reviews back."""


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
    critics' habits learnt from the stored reviews that carry both (aggregator.verdicts.habits), when
    the database holds any.

    A review that states no rating or label gets a verdict read from its text (source
    "inferred") by the verdict model loaded once when the crawl opens: the newest trained
    model stored in the crawl's database, else the lexicon fallback (aggregator.db.verdict_loading;
    AGGREGATOR_INFER_VERDICTS=0 switches it off). A review left without a verdict is counted
    under `none/<reason>` ("no_text": nothing to read). A model trained from the database
    learnt critics' fresh rates by stored critic: a byline reaches its critic through the
    aliases met on its outlet, read when the crawl opens (aggregator.db.history
    .model_critic_identities). With AGGREGATOR_RETRAIN_VERDICTS_AFTER=N the model is
    retrained when the crawl closes, once N new labelled reviews are stored (counted under
    `retrain/<outcome>`).

    A model trained with film consensus (aggregator.db.film_consensus) also reads how the
    film's other reviews with a given verdict were called, as stored when the crawl opened;
    when the crawl closes, the inferred reviews of films that got new given verdicts in this
    crawl are read again with the stored consensus (counted as `consensus_refreshed`).

    A trained model reads the texts of up to AGGREGATOR_INFER_BATCH items in one call
    (aggregator.verdicts.text.batch), with the verdicts of reading them one by one: an item
    that needs a read waits (its `process_item` returns an awaitable) until that many wait, or
    AGGREGATOR_INFER_BATCH_DELAY seconds after the first of them came, or the pipeline closes,
    whichever is first. Items that need no read (a rating, a label, no model) pass at once;
    the lexicon fallback reads as they come (a batch is no faster for it).
    """

    component = "verdict"

    def __init__(self, crawler):
        super().__init__(crawler)
        self.database_url: str | None = None
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        self.read_batch_size = crawler.settings.getint(INFER_BATCH_SETTING, INFER_BATCH)
        self.read_delay = crawler.settings.getfloat(INFER_DELAY_SETTING, INFER_DELAY)
        self._reads: ReadBatch | None = None
        self._waiting: list[tuple[object, Deferred]] = []
        self._release_call = None

    def open_spider(self):
        self.publications = crawl_publications(self.crawler)
        self.scales = OutletScales()
        self.read_before_learnt: dict[str, list[str]] = {}
        self.habits = None
        self.model = None
        self.critic_identities = None
        self.consensus = CrawlConsensus()
        self.films_with_new_calls: set[str] = set()
        settings = self.crawler.settings
        if stores_reviews(settings):
            self.database_url = resolve_database_url(
                cli_url=settings.get("AGGREGATOR_DB"), settings=settings
            )
            engine = make_engine(self.database_url)
            try:
                ensure_schema(engine)
                sessions = session_factory(engine)
                # kept by the store's earlier crawls, brought up to date with what they wrote
                # since (aggregator.db.learnt_state): not relearnt from every stored review
                self.scales = OutletScales(crawl_scale_counts(sessions))
                self.habits = crawl_habits(sessions)
                with sessions() as session:
                    self.model = run_verdict_model(session, settings)
                    self.critic_identities = model_critic_identities(session, self.model)
                if getattr(self.model, "uses_consensus", False):
                    self.consensus = crawl_consensus(sessions)
            finally:
                engine.dispose()
        else:  # no database to read a trained model from
            self.model = run_verdict_model(None, settings)
        if self.model is not None:
            logger.info("inferring verdicts with %s%s", _model_label(self.model),
                        " (the lexicon fallback)" if self.model.is_fallback else "")

    def process_item(self, item):
        key = item.publication
        publication = self.publications.lookup(key) if key else None
        has_scale = bool(getattr(publication, "scale", None))
        reads = self._read_batch()
        waiting = len(reads) if reads is not None else 0
        reason = rate_review(
            item, publication, None if has_scale else self.scales.learnt(key), self.habits,
            self.model if reads is None else reads, self.consensus.lookup(item.film_key, item.film_year),
            self.critic_identities,
        )
        if reason == "scale_learnt":
            self.count("scale_learnt")
        elif reason not in ("ok", "absent"):
            self.count(f"rating_rejected/{reason}")
            if reason == "unknown_scale" and key and item.url and not has_scale:
                self.read_before_learnt.setdefault(key, []).append(item.url)
        if item.scale:  # the rating is written at once, whether the text waits for a read or not
            self.scales.add(key, item.scale)
        if reads is not None and len(reads) > waiting:
            return self._after_read(item)
        self._count_verdict(item)
        return item

    def _count_verdict(self, item) -> None:
        if item.verdict_source in GIVEN_SOURCES and item.fresh is not None and item.film_key:
            self.films_with_new_calls.add(item.film_key)
        self.count(f"source/{item.verdict_source or 'none'}")
        if (none := no_verdict_reason(item, self.model)) is not None:
            self.count(f"none/{none}")
            logger.info("no verdict for %s: %s", item.url, none)

    def _read_batch(self) -> ReadBatch | None:
        """The batch this crawl's reads wait in, or None where each item's text is read as it
        comes (batches of 1, no model, or a model no faster in batches)."""
        if self.read_batch_size <= 1 or not reads_in_batches(self.model):
            return None
        if self._reads is None or self._reads.model is not self.model:  # a new model: a new batch
            self.release_reads()
            self._reads = ReadBatch(self.model)
        return self._reads

    def _after_read(self, item):
        """An awaitable of `item`, done once the batch it waits in is read."""
        released: Deferred = Deferred()
        self._waiting.append((item, released))
        if len(self._waiting) >= self.read_batch_size:
            self.release_reads()
        elif self._release_call is None:
            from twisted.internet import reactor

            self._release_call = reactor.callLater(self.read_delay, self.release_reads)
        return _when_released(released)

    def release_reads(self) -> int:
        """Read the waiting items' texts in one call, finish their verdicts, count them and hand
        them on; returns how many. If the batched call fails, each text is read alone and only
        an item whose own read fails fails with its error (Scrapy logs it, as it logs an item
        whose one read failed)."""
        if self._release_call is not None:
            if self._release_call.active():
                self._release_call.cancel()
            self._release_call = None
        waiting, self._waiting = self._waiting, []
        if not waiting:
            return 0
        failed = self._reads.run_isolating()  # type: ignore[union-attr]
        for position, (item, released) in enumerate(waiting):
            if position in failed:
                released.errback(Failure(failed[position]))
                continue
            self._count_verdict(item)
            released.callback(item)
        return len(waiting) - len(failed)

    def close_spider(self):
        """Items still waiting are read and handed on. Scrapy waits for a crawl's items before it
        closes the pipelines, so the delay has released them by then: this is the backstop."""
        self.release_reads()

    def spider_closed(self, spider, reason):
        """After the store pipeline has written everything (Scrapy closes the pipelines first)."""
        if self.database_url is None:
            return
        self.reread_on_learnt_scales()
        self.refresh_inferred_with_consensus()
        self.retrain_verdict_model()

    def reread_on_learnt_scales(self) -> None:
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
                verdict_model=self.model, habits=self.habits,
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

    def refresh_inferred_with_consensus(self) -> None:
        """Inferred reviews of the films this crawl gave new calls, read again now that those
        calls are stored (an item inferred before them read the consensus as it was)."""
        if not (self.films_with_new_calls and getattr(self.model, "uses_consensus", False)):
            return
        from aggregator.renormalise import renormalise

        engine = make_engine(self.database_url)
        try:
            with session_factory(engine)() as session:
                urls = inferred_urls_of_films(session, self.films_with_new_calls)
            if urls:
                report = renormalise(session_factory(engine), lookup=self.publications.lookup, urls=urls,
                                     verdict_model=self.model, habits=self.habits)  # fmt: skip
                self.count("consensus_refreshed", report.changed["verdict"])
        except Exception:  # the reviews are stored; `aggregator renormalise` can do it later
            logger.exception("could not re-read inferred verdicts with their films' consensus")
        finally:
            engine.dispose()

    def retrain_verdict_model(self) -> None:
        """With AGGREGATOR_RETRAIN_VERDICTS_AFTER=N, a new verdict model once the database holds
        N labelled reviews more than the newest model learned from (the next crawl uses it)."""
        try:
            after = retrain_after(self.crawler.settings)
        except ValueError as error:
            logger.error("not retraining the verdict model: %s", error)
            self.count("retrain/bad_setting")
            return
        if not after or self.model is None:  # off, or inference itself is off
            return
        engine = make_engine(self.database_url)
        try:
            with session_factory(engine)() as session:
                outcome = retrain_if_due(session, after)
                session.commit()
            self.count(f"retrain/{outcome.status}")
            logger.info("verdict model retraining: %s (%d labelled reviews, %d new)%s",
                        outcome.status, outcome.labelled, outcome.new,
                        f"; stored {outcome.model}" if outcome.model else "")  # fmt: skip
        except Exception:  # the crawl's reviews are stored; `aggregator train-verdicts` can retrain
            logger.exception("could not retrain the verdict model")
            self.count("retrain/failed")
        finally:
            engine.dispose()


async def _when_released(released: Deferred):
    return await maybe_deferred_to_future(released)


def _model_label(model) -> str:
    return f"{getattr(model, 'name', type(model).__name__)}@{getattr(model, 'version', '?')}"


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
