from __future__ import annotations

from aggregator.normalise import normalise_critics

from .base import CountingPipeline, crawl_publications


class NormaliseCriticsPipeline(CountingPipeline):
    """Bylines to canonical critic names; site accounts and outlet names are not critics."""

    component = "critic"

    def open_spider(self):
        self.publications = crawl_publications(self.crawler)

    def process_item(self, item):
        publication = self.publications.lookup(item.publication) if item.publication else None
        outlet_names = (publication.name, *publication.aliases, *publication.domains) if publication else ()
        if item.publication_raw:
            outlet_names += (item.publication_raw,)
        dropped = normalise_critics(item, outlet_names)
        if dropped:
            self.count("site_account", len(dropped))
        if not item.critics:
            self.count("none")
        return item
