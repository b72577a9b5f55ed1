from __future__ import annotations

from aggregator.normalise import find_item_critics

from .base import CountingPipeline, crawl_publications


class NormaliseCriticsPipeline(CountingPipeline):
    """Bylines to canonical critic names; site accounts and outlet names are not critics. When
    the byline names nobody, the critic the standfirst or body names is taken, counted under
    `from_text/<how>`; a review left with no critic is counted under `none` (and `none/conflict`
    when the text named two different people)."""

    component = "critic"

    def open_spider(self):
        self.publications = crawl_publications(self.crawler)

    def process_item(self, item):
        publication = self.publications.lookup(item.publication) if item.publication else None
        outlet_names = (publication.name, *publication.aliases, *publication.domains) if publication else ()
        if item.publication_raw:
            outlet_names += (item.publication_raw,)
        found = find_item_critics(item, outlet_names)
        if found.dropped:
            self.count("site_account", len(found.dropped))
        if found.source.startswith("text:"):
            self.count(f"from_text/{found.source.removeprefix('text:')}")
        if not item.critics:
            self.count("none")
            if found.source == "none:conflict":
                self.count("none/conflict")
        if item.critic_profiles:
            self.count("with_profile")
        return item
