"""Running crawls: starting them (crawling.py), the Scrapy command that fails an empty run
(commands/), what a discovery crawl already fetched (fetch_state.py: conditional requests,
--since), the middleware and extension Scrapy loads through aggregator.settings, and the film
a targeted crawl looks for (film_target.py). The spiders and pipelines themselves sit at the
top of the checkout (`spiders/`, `pipelines/`)."""
