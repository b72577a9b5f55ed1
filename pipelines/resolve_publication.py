from __future__ import annotations

from .base import CountingPipeline, crawl_publications


class ResolvePublicationPipeline(CountingPipeline):
    """The outlet: a registry entry by domain or name, else a provisional entry flagged for review."""

    component = "publication"

    def open_spider(self):
        self.publications = crawl_publications(self.crawler)

    def process_item(self, item):
        registry = self.publications.registry
        if item.publication:  # set by a publication spider: it must name a registry entry
            if registry.get(item.publication) is None:
                raise self.drop(item, "unknown_publication_key", item.publication)
            self.count("from_spider")
            return item
        publication = registry.resolve(name=item.publication_raw, url=item.url)
        if publication is not None:
            self.count("resolved")
        else:
            publication = registry.provisional(item.publication_raw, item.url)
            self.publications.provisional.setdefault(publication.key, publication)
            self.count("provisional")
        item.publication = publication.key
        return item
