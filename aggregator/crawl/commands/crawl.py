from __future__ import annotations

from scrapy.commands.crawl import Command as ScrapyCrawlCommand


class Command(ScrapyCrawlCommand):
    """`scrapy crawl NAME`, recorded as a crawl run like any other, exiting 1 when the run
    stored no review or failed: a publication whose pages changed must not look like success."""

    def short_desc(self) -> str:
        return "Run a spider of the project; exit 1 when the run stores no review"

    def _create_crawler(self, spname):
        self._crawler = super()._create_crawler(spname)
        return self._crawler

    def run(self, args, opts) -> None:
        super().run(args, opts)
        status = self._crawler.stats.get_value("aggregator/run_status") if self._crawler.stats else None
        if status != "ok":
            self.exitcode = 1
