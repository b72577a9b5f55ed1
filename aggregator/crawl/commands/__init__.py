"""Scrapy commands of the project (COMMANDS_MODULE): `scrapy crawl` that fails an empty run."""
