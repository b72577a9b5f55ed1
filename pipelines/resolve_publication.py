from __future__ import annotations

import logging
from urllib.parse import urlsplit

from .base import CountingPipeline, crawl_publications

logger = logging.getLogger(__name__)


class ResolvePublicationPipeline(CountingPipeline):
    """The outlet: a registry entry by domain or name, else a provisional entry flagged for review."""

    component = "publication"

    def open_spider(self):
        self.publications = crawl_publications(self.crawler)
        self._known = {}

    def process_item(self, item):
        registry = self.publications.registry
        if item.publication:  # set by a publication spider: it must name a registry entry
            if registry.get(item.publication) is None:
                raise self.drop(item, "unknown_publication_key", item.publication)
            self.count("from_spider")
            return item
        url = item.outlet_url  # not a listing page's host (a Rotten Tomatoes card without a link)
        name = item.publication_raw
        # A listing names other outlets by design; an outlet's own page only itself.
        if not item.listed_at and registry.name_claim_refused(name, url):
            self.count("refused_name_claim")
            logger.warning("%s names itself %r, a registered outlet on other domains: ignored", url, name)
            name = None
        publication, provisional = self._resolve(name, urlsplit(url or "").netloc, url)
        if provisional:
            self.publications.provisional.setdefault(publication.key, publication)
        self.count("provisional" if provisional else "resolved")
        item.publication = publication.key
        return item

    def _resolve(self, name, host, url):
        """Resolved once per outlet name and host: a crawl meets the same few again and again."""
        key = (name, host)
        if key not in self._known:
            registry = self.publications.registry
            publication = registry.resolve(name=name, url=url)
            self._known[key] = (publication, False) if publication else (registry.provisional(name, url), True)
        return self._known[key]
