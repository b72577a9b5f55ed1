"""Importers: review archives read without a crawl (an API's saved responses), put through the
same normalisers and store as crawled pages (`aggregator import …`)."""
