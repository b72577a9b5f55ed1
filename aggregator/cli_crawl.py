"""`aggregator crawl`: run a spider into the database."""

from __future__ import annotations

import sys

from aggregator.cli_common import EXIT_USAGE, _crawl_settings, _report_run
from aggregator.db.session import resolve_database_url


def cmd_crawl(args) -> int:
    from aggregator.crawling import run_crawl

    url = resolve_database_url(cli_url=args.db)
    spider_args = dict(kv.split("=", 1) for kv in args.arg)
    if args.url:
        spider_args["url"] = args.url
        start_urls = [args.url]
    else:
        if args.start_urls:
            spider_args["start_urls"] = args.start_urls
        if args.follow:
            spider_args["follow"] = "1"
        start_urls = [u for u in (args.start_urls or "").split(",") if u]
    try:
        result = run_crawl(args.spider, database_url=url, spider_args=spider_args,
                           start_urls=start_urls, settings=_crawl_settings(args))
    except (KeyError, ValueError) as error:
        print(f"aggregator crawl: {error}", file=sys.stderr)
        return EXIT_USAGE
    return _report_run(result, sys.stdout)


def register(commands, common) -> None:
    crawl = commands.add_parser("crawl", parents=[common], help="run a spider into the database")
    crawl.add_argument("--url", help="one page, read by the generic structured-data spider")
    crawl.add_argument("--spider", default="structured_data", help="spider name (see `scrapy list`)")
    crawl.add_argument("--start-urls", help="comma-separated start URLs")
    crawl.add_argument("--follow", action="store_true", help="follow same-site links from listing pages")
    crawl.add_argument("-a", dest="arg", action="append", default=[], metavar="NAME=VALUE", help="spider argument")
    crawl.set_defaults(handler=cmd_crawl)
