from __future__ import annotations

from aggregator.crawl.film_target import is_target_film, target_key

from .base import CountingPipeline


class TargetFilmPipeline(CountingPipeline):
    """In a film-targeted crawl (the spider's `film`, `film_year`), drop every review of
    another film: counted as aggregator/dropped/other_film, with the finer reason under
    aggregator/target/<reason> and per outlet under aggregator/outlet/<key>/<kept|other_film>.
    Other crawls pass through. After the date pipeline: a review stating no year is placed by
    its publication date."""

    component = "target"

    def open_spider(self):
        spider = self.crawler.spider
        self.title = getattr(spider, "film", None)
        self.year = getattr(spider, "film_year", None)
        self.key = target_key(self.title) if self.title else None

    def process_item(self, item):
        if self.key is None:
            return item
        kept, reason = is_target_film(item.film_key, item.film_year, item.published, self.key, self.year)
        self.count(reason)
        outlet = item.publication or "?"
        self.crawler.stats.inc_value(f"aggregator/outlet/{outlet}/{'kept' if kept else 'other_film'}")
        if not kept:
            error = self.drop(item, "other_film", f"{item.film_title!r} ({item.film_year}): {reason}")
            error.log_level = "INFO"  # expected in a targeted crawl, not a warning
            raise error
        return item
