"""The `aggregator` command: crawl, demo, film, export, runs, db."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from aggregator.db.session import (
    DEMO_DATABASE_PATH,
    ensure_schema,
    make_engine,
    resolve_database_url,
    session_factory,
    upgrade,
)

EXIT_OK, EXIT_EMPTY_RUN, EXIT_NOT_FOUND, EXIT_USAGE = 0, 1, 2, 2


def _open(args, *, default: str | None = None):
    url = resolve_database_url(cli_url=args.db, default=default)
    engine = make_engine(url)
    ensure_schema(engine)
    return url, engine, session_factory(engine)


def _crawl_settings(args) -> dict:
    return {"LOG_LEVEL": "INFO" if args.verbose else "WARNING"}


def _report_run(result, out) -> int:
    print(
        f"run {result.run_id} ({result.spider}): {result.status}; reviews new {result.count('new')}, "
        f"updated {result.count('updated')}, unchanged {result.count('unchanged')}; "
        f"pages {result.stats.get('response_received_count', 0)}",
        file=out,
    )
    if result.dropped:
        print("  dropped: " + ", ".join(f"{k} {v}" for k, v in sorted(result.dropped.items())), file=out)
    if result.status != "ok":
        reasons = result.no_review_reasons or {"nothing fetched": 1}
        print("no review found: " + ", ".join(f"{k} ({v} page{'s' * (v != 1)})" for k, v in sorted(reasons.items())), file=out)
        return EXIT_EMPTY_RUN
    return EXIT_OK


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


def cmd_demo(args) -> int:
    from aggregator.crawling import run_crawl
    from aggregator.demo.server import DEMO_PUBLICATIONS, DEMO_SITE, demo_start_urls, serve_directory

    url = resolve_database_url(cli_url=args.db, default=f"sqlite:///{DEMO_DATABASE_PATH}")
    print(f"demo database: {url}")
    with serve_directory(DEMO_SITE) as base_url:
        start_urls = demo_start_urls(base_url)
        print(f"serving the demo sites at {base_url} and crawling them through Scrapy …")
        result = run_crawl(
            "structured_data",
            database_url=url,
            spider_args={"start_urls": ",".join(start_urls), "follow": "1"},
            start_urls=start_urls,
            settings={**_crawl_settings(args), "AGGREGATOR_PUBLICATION_FILES": [str(DEMO_PUBLICATIONS)]},
        )
    code = _report_run(result, sys.stdout)
    if code != EXIT_OK:
        return code
    from aggregator.report import most_reviewed_film

    _, engine, sessions = _open(args, default=f"sqlite:///{DEMO_DATABASE_PATH}")
    with sessions() as session:
        film = most_reviewed_film(session, args.film)
        if film is None:
            print("the demo crawl stored no film", file=sys.stderr)
            return EXIT_NOT_FOUND
        _print_film(session, film)
    return EXIT_OK


def cmd_film_show(args) -> int:
    from aggregator.scores import find_films

    _, _, sessions = _open(args)
    with sessions() as session:
        films = find_films(session, args.title, args.year)
        if not films:
            print(f"no film {args.title!r}" + (f" ({args.year})" if args.year else "") + " in the database", file=sys.stderr)
            return EXIT_NOT_FOUND
        if len(films) > 1:
            print(f"{len(films)} films match {args.title!r}; give --year:", file=sys.stderr)
            for film in films:
                print(f"  {film.title} ({film.year or 'year unknown'})", file=sys.stderr)
            return EXIT_NOT_FOUND
        _print_film(session, films[0])
    return EXIT_OK


def _print_film(session, film) -> None:
    from aggregator.report import format_film_summary
    from aggregator.scores import film_summary

    print(format_film_summary(film_summary(session, film.id)))


def cmd_export(args) -> int:
    from aggregator.export import write_csv, write_json

    _, _, sessions = _open(args)
    writer = write_json if args.format == "json" else write_csv
    out = open(args.output, "w", encoding="utf-8", newline="") if args.output else sys.stdout
    try:
        with sessions() as session:
            writer(session, out)
    finally:
        if args.output:
            out.close()
    return EXIT_OK


def cmd_runs(args) -> int:
    from aggregator.db.runs import list_runs
    from aggregator.report import format_runs

    _, _, sessions = _open(args)
    with sessions() as session:
        print(format_runs(list_runs(session, limit=args.limit)))
    return EXIT_OK


def cmd_db_upgrade(args) -> int:
    url = resolve_database_url(cli_url=args.db)
    upgrade(make_engine(url))
    print(f"database at head: {url}")
    return EXIT_OK


def cmd_db_url(args) -> int:
    print(resolve_database_url(cli_url=args.db))
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", metavar="URL", help="database URL (outranks AGGREGATOR_DATABASE_URL)")
    common.add_argument("-v", "--verbose", action="store_true", help="log the crawl at INFO level")

    parser = argparse.ArgumentParser(prog="aggregator", description="Critics' review aggregator.")
    commands = parser.add_subparsers(dest="command", required=True)

    crawl = commands.add_parser("crawl", parents=[common], help="run a spider into the database")
    crawl.add_argument("--url", help="one page, read by the generic structured-data spider")
    crawl.add_argument("--spider", default="structured_data", help="spider name (see `scrapy list`)")
    crawl.add_argument("--start-urls", help="comma-separated start URLs")
    crawl.add_argument("--follow", action="store_true", help="follow same-site links from listing pages")
    crawl.add_argument("-a", dest="arg", action="append", default=[], metavar="NAME=VALUE", help="spider argument")
    crawl.set_defaults(handler=cmd_crawl)

    demo = commands.add_parser("demo", parents=[common], help="crawl the bundled demo sites and show a film")
    demo.add_argument("--film", help="the film to show (default: the most reviewed)")
    demo.set_defaults(handler=cmd_demo)

    film = commands.add_parser("film", help="films").add_subparsers(dest="film_command", required=True)
    show = film.add_parser("show", parents=[common], help="a film's reviews and aggregate scores")
    show.add_argument("title")
    show.add_argument("--year", type=int)
    show.set_defaults(handler=cmd_film_show)

    export = commands.add_parser("export", parents=[common], help="every review, raw and normalised")
    export.add_argument("--format", choices=("json", "csv"), default="json")
    export.add_argument("--output", "-o", help="file to write (default: standard output)")
    export.set_defaults(handler=cmd_export)

    runs = commands.add_parser("runs", parents=[common], help="recorded crawl runs")
    runs.add_argument("--limit", type=int, default=20)
    runs.set_defaults(handler=cmd_runs)

    db = commands.add_parser("db", help="database").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", parents=[common], help="apply migrations").set_defaults(handler=cmd_db_upgrade)
    db.add_parser("url", parents=[common], help="the database URL in use").set_defaults(handler=cmd_db_url)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
