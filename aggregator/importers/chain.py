"""The crawl's pipeline chain for items that do not come from a crawl.

clean → publication → critic → film → verdict → date → validate, each step the same function
the Scrapy pipeline of that concern calls (aggregator.normalise, aggregator.validate, the
registry's resolution), in the same order (aggregator/settings.py ITEM_PIPELINES); then the
store (aggregator.db.upsert.save_reviews). Nothing here decides anything of its own.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from aggregator.identity.publications import Publication, Registry
from aggregator.items import ReviewItem
from aggregator.normalise import (
    clean_fields,
    date_review,
    find_item_critics,
    identify_film,
    rate_review,
)
from aggregator.validate import review_problems


class ImportPublications:
    """The registry, plus the provisional entries made for outlets it does not know (as the
    crawl's CrawlPublications keeps them), resolved once per (name, host)."""

    def __init__(self, registry: Registry):
        self.registry = registry
        self.provisional: dict[str, Publication] = {}
        self._known: dict[tuple, Publication] = {}

    def lookup(self, key: str) -> Publication | None:
        return self.provisional.get(key) or self.registry.get(key)

    def resolve(self, item: ReviewItem) -> str:
        """The item's registry key, as ResolvePublicationPipeline gives it."""
        if item.publication:
            if self.registry.get(item.publication) is None:
                raise ValueError(f"unknown publication key {item.publication!r}")
            return item.publication
        url = item.outlet_url
        key = (item.publication_raw, urlsplit(url or "").netloc)
        if key not in self._known:
            found = self.registry.resolve(name=item.publication_raw, url=url)
            if found is None:
                found = self.registry.provisional(item.publication_raw, url)
                self.provisional.setdefault(found.key, found)
            self._known[key] = found
        return self._known[key].key


def normalise_item(item: ReviewItem, publications: ImportPublications, habits: Any = None,
                   model: Any = None, consensus: Any = None, critic_identities: Any = None) -> list[str]:
    """Run `item` through the chain in place; the validation problems (empty when fit to store),
    "unknown_publication" when no outlet could be named at all. `consensus`
    (aggregator.db.film_consensus.CrawlConsensus) gives a model that reads it the film's tally;
    `critic_identities` (aggregator.db.history.model_critic_identities) lead a byline to the
    stored critic whose fresh rate a database-trained model learnt, as in a crawl."""
    clean_fields(item)
    try:
        item.publication = publications.resolve(item)
    except ValueError:
        return ["unknown_publication"]
    entry = publications.lookup(item.publication)
    names = (entry.name, *entry.aliases, *entry.domains) if entry else ()
    if item.publication_raw:
        names += (item.publication_raw,)
    find_item_critics(item, names)
    identify_film(item)
    tally = consensus.lookup(item.film_key, item.film_year) if consensus is not None else None
    rate_review(item, entry, None, habits, model, tally, critic_identities)
    date_review(item)
    return review_problems(item)
