"""`aggregator crawl`: run a spider into the database.

Three ways (docs/discovery.md):
- a spider over pages or start URLs (`--url`, `--start-urls`, `--spider NAME`);
- `--since 2d`: new and changed reviews of every configured publication (or `--publication`,
  or one `--spider` of the platform spiders), found through the WordPress API, feeds and
  sitemaps, unchanged pages not downloaded again;
- `--film "TITLE" [--year Y]`: ask every configured publication that can be asked, keep only
  the reviews of that film, and show its summary (`--rt-url` adds a Rotten Tomatoes film page;
  outlets that cannot be searched are named and skipped).
"""

from __future__ import annotations

import math
import sys
from urllib.parse import urlsplit

from aggregator.cli.common import EXIT_NOT_FOUND, EXIT_OK, EXIT_USAGE, _crawl_settings, _open, _report_run
from aggregator.cli.errors import UsageError, explain, one_line
from aggregator.cli.terminal import for_terminal as shown

PLATFORM_SPIDERS = ("discover", "wordpress", "feeds", "sitemaps")


def _pairs(values: list[str], flag: str) -> dict[str, str]:
    """NAME=VALUE arguments of `flag` (-a, -s); ValueError naming the one without "="."""
    pairs = {}
    for pair in values:
        name, equals, value = pair.partition("=")
        if not equals or not name.strip():
            raise ValueError(f"{flag} {pair!r}: expected NAME=VALUE")
        pairs[name.strip()] = value
    return pairs


def _settings(args) -> dict:
    settings = _crawl_settings(args)
    if args.publications:
        settings["AGGREGATOR_PUBLICATION_FILES"] = list(args.publications)
    given = _pairs(args.set, "-s")
    _check_setting_types(given)
    settings.update(given)
    return settings


_BOOLEANS = {"1", "0", "true", "false", "True", "False"}
"""What Scrapy's Settings.getbool reads."""
_FRACTIONAL = ("DELAY", "TIMEOUT", "CONCURRENCY", "FACTOR")
"""Suffixes of the settings with a whole-number default that Scrapy reads as a float
(DOWNLOAD_TIMEOUT = 180, AUTOTHROTTLE_TARGET_CONCURRENCY = 1)."""


def _check_setting_types(given: dict[str, str]) -> None:
    """A -s value that Scrapy would fail to read once the crawl has started (a number setting
    given "abc", a switch given "maybe") is refused now, as a usage error. The type is the
    setting's default's: Scrapy's, or the project's (aggregator/settings.py)."""
    from aggregator.crawl.crawling import project_settings

    defaults = project_settings()
    for name, value in given.items():
        default = defaults.get(name)
        if isinstance(default, bool):
            if value.strip() not in _BOOLEANS:
                raise UsageError(f"-s {name}={value!r}: {name} is a switch; give {name}=1 or {name}=0")
        elif isinstance(default, (int, float)):
            try:
                number = float(value)
            except ValueError:
                number = None
            if number is None or not math.isfinite(number):  # NaN or inf is no delay, timeout or count
                raise UsageError(f"-s {name}={value!r}: {name} is a number; give e.g. {name}={default}")
            # Counts are read with getint: "1.5" would fail inside the crawl.
            if isinstance(default, int) and not number.is_integer() and not name.endswith(_FRACTIONAL):
                raise UsageError(f"-s {name}={value!r}: {name} is a whole number; give e.g. {name}={default}")


def _check_start_urls(spider_args: dict) -> None:
    """The spider's start URLs (from --url, --start-urls, or -a url=/start_urls=) must be
    absolute http(s) URLs with a host: a file:, ftp: or data: URL would have Scrapy read local
    files or other servers."""
    given = [spider_args["url"]] if spider_args.get("url") else []
    given += [u for u in str(spider_args.get("start_urls") or "").split(",") if u.strip()]
    for url in given:
        parts = urlsplit(url.strip())
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise UsageError(f"start URL {url!r}: only http:// and https:// pages can be crawled; "
                             "give the page's full address, e.g. https://example.com/review")


def _since(text: str) -> str:
    from aggregator.crawl.fetch_state import parse_since

    try:
        return parse_since(text).isoformat()
    except OverflowError:  # a duration reaching before year 1 (99999999999d)
        raise UsageError(f"--since {text!r} reaches further back than dates go; give a duration "
                         "such as 30d or 1w, or an ISO date (2026-11-27)") from None


def _platform_args(args) -> dict:
    spider_args: dict = _pairs(args.arg, "-a")
    if args.since:
        spider_args["since"] = _since(args.since)
    if args.film:
        spider_args["film"] = args.film
        if args.year:
            spider_args["year"] = str(args.year)
    if args.publication:
        spider_args["publications"] = ",".join(args.publication)
    if args.rt_url:
        spider_args["rt_url"] = args.rt_url
    return spider_args


_SOURCE = {"wordpress": lambda d: d.platform == "wordpress", "feeds": lambda d: bool(d.feeds),
           "sitemaps": lambda d: bool(d.sitemaps)}


def _check_registry(args, spider: str) -> None:
    """What a platform crawl needs from the registry, refused before the crawl starts with a
    usage error (the spiders check it too, for `scrapy crawl`): known --publication keys, an
    outlet the chosen spider can serve, and for --film one outlet it can ask."""
    from aggregator.crawl.film_target import askable
    from aggregator.identity.publications import load_registry

    registry = load_registry(extra_paths=args.publications)
    unknown = [key for key in args.publication if registry.get(key) is None]
    if unknown:
        raise ValueError(f"no publication {', '.join(map(repr, unknown))} in the registry")
    outlets = [registry.get(key) for key in args.publication] if args.publication else list(registry)
    if spider in _SOURCE:
        refused = [p.key for p in outlets if not _SOURCE[spider](p.discovery)]
        if (args.publication and refused) or len(refused) == len(outlets):
            raise ValueError(f"spider {spider!r} cannot serve {', '.join(refused[:8])}"
                             f"{' …' if len(refused) > 8 else ''}: the registry gives no {spider} for "
                             "it (the discover spider, the default, reads robots.txt sitemaps)")
    elif args.film and not args.rt_url and not any(askable(p) for p in outlets):
        keys = ", ".join(p.key for p in outlets[:8]) + (" …" if len(outlets) > 8 else "")
        raise ValueError(f"no configured publication can be searched for a film ({keys}): none has a WordPress "
                         "API, a search_url, feeds or sitemaps in the registry; give --rt-url, or add those "
                         "fields (docs/discovery.md)")


def _print_progress(publication: str, event: str, count: int) -> None:
    # per-page events ("fetch", "review") are summed in the film report, not printed
    words = {"asked": "asked", "listed": f"{count} listed", "no_search": "no search: skipped"}
    if event in words:
        print(shown(f"  {publication}: {words[event]}"), flush=True)


def cmd_crawl(args) -> int:
    from aggregator.crawl.crawling import run_crawl
    from aggregator.db.session import resolve_database_url

    url = resolve_database_url(cli_url=args.db)
    discovery = bool(args.since or args.film or args.publication)
    if args.year and not args.film:
        print("aggregator crawl: --year goes with --film", file=sys.stderr)
        return EXIT_USAGE
    if args.rt_url and not (args.film and args.spider in (None, "discover")):
        print("aggregator crawl: --rt-url goes with --film (the discover spider)", file=sys.stderr)
        return EXIT_USAGE
    if discovery and (args.url or args.start_urls or args.follow):
        print("aggregator crawl: --since/--film/--publication choose their pages from the registry;"
              " not with --url/--start-urls/--follow", file=sys.stderr)
        return EXIT_USAGE
    spider = args.spider or ("discover" if discovery else "structured_data")
    if discovery and spider not in PLATFORM_SPIDERS:
        print(f"aggregator crawl: --since/--film/--publication work with the spiders {', '.join(PLATFORM_SPIDERS)}",
              file=sys.stderr)
        return EXIT_USAGE
    try:
        if args.rt_url:
            from aggregator.crawl.film_target import check_rt_url

            check_rt_url(args.rt_url)
        if discovery:
            _check_registry(args, spider)
            spider_args, start_urls = _platform_args(args), []
        else:
            spider_args = _pairs(args.arg, "-a")
            if args.url:
                spider_args["url"] = args.url
                start_urls = [args.url]
            else:
                if args.start_urls:
                    spider_args["start_urls"] = args.start_urls
                if args.follow:
                    spider_args["follow"] = "1"
                start_urls = [u for u in (args.start_urls or "").split(",") if u]
            _check_start_urls(spider_args)
        settings = _settings(args)
        _preflight(args)
        if args.film:
            print(f"asking every configured publication for {args.film!r}"
                  + (f" ({args.year})" if args.year else "") + " …", flush=True)
        result = run_crawl(spider, database_url=url, spider_args=spider_args, start_urls=start_urls,
                           settings=settings, on_progress=_print_progress if args.film else None)
    except (KeyError, ValueError) as error:
        if explain(error) is not None:
            raise  # a usage, registry or database error: aggregator.cli.main adds its fix
        print(f"aggregator crawl: {one_line(str(error))}", file=sys.stderr)
        return EXIT_USAGE
    if args.film:
        return _film_report(args, result)
    code = _report_run(result, sys.stdout)
    if args.since:
        print(f"  skipped {result.count('skipped')} ({shown(_skipped_why(result))}); "
              f"not downloaded again {_confirmed(result)} (unchanged since the stored copy)")
    return code


def _preflight(args) -> None:
    """What would otherwise fail inside the crawl, where Scrapy logs it as a traceback and the
    run is never recorded: the registry (packaged, $AGGREGATOR_PUBLICATIONS, --publications)
    must load, and the database must open, be migrated and take a write."""
    from aggregator.db.session import check_writable
    from aggregator.identity.publications import load_registry

    load_registry(extra_paths=args.publications)
    _, engine, _ = _open(args)
    try:
        check_writable(engine)
    finally:
        engine.dispose()


_SKIPPED = {"older_than_window": "older than the window", "sitemap_older_than_window": "sitemaps older than the window",
            "over_cap": "over AGGREGATOR_DISCOVERY_MAX_ENTRIES", "other_title": "another film's title"}


def _skipped_why(result) -> str:
    prefix = "aggregator/discovery/skipped/"
    counts = {k.removeprefix(prefix): v for k, v in sorted(result.stats.items()) if k.startswith(prefix)}
    if set(counts) <= {"older_than_window"}:
        return "older than the window"
    return ", ".join(f"{_SKIPPED.get(k, k)} {v}" for k, v in counts.items())


def _confirmed(result) -> int:
    prefixes = ("aggregator/discovery/unchanged/", "aggregator/discovery/not_refetched/")
    return sum(v for k, v in result.stats.items() if k.startswith(prefixes))


def _film_report(args, result) -> int:
    from aggregator.cli.common import _open
    from aggregator.cli.films import _print_film
    from aggregator.query.scores import find_films

    not_asked = 0
    for outlet, events in sorted(result.outlets().items()):
        if events.get("no_search"):
            not_asked += 1
            if set(events) == {"no_search"}:
                continue  # named as it was skipped; a line only for what the film's cards gave it
        print(shown(f"  {outlet}: {events.get('fetch', 0)} pages fetched, {events.get('review', 0)} reviews read, "
                    f"{events.get('kept', 0)} of this film, {events.get('other_film', 0)} of another"))
    if not_asked:
        print(f"  {not_asked} publication{'s' * (not_asked != 1)} not asked (no search: no WordPress API, "
              "search_url, feeds or sitemaps in the registry)")
    code = _report_run(result, sys.stdout)
    if code != EXIT_OK:
        return code
    _, engine, sessions = _open(args)
    with sessions() as session:
        films = find_films(session, args.film, args.year)
        if not films and args.year:  # its reviews stated no year: stored under the title alone
            films = [f for f in find_films(session, args.film) if f.year is None]
        if not films:
            print(f"no film {args.film!r} in the database after the crawl", file=sys.stderr)
        for film in films:  # namesakes of several years when no --year was given
            print()
            _print_film(session, film)
    engine.dispose()
    return EXIT_OK if films else EXIT_NOT_FOUND


def register(commands, common) -> None:
    crawl = commands.add_parser("crawl", parents=[common], help="run a spider into the database")
    crawl.add_argument("--url", help="one page, read by the generic structured-data spider")
    crawl.add_argument("--spider", help="spider name (see `scrapy list`; default structured_data, "
                                        "or discover with --since/--film/--publication)")
    crawl.add_argument("--start-urls", help="comma-separated start URLs")
    crawl.add_argument("--follow", action="store_true", help="follow same-site links from listing pages")
    crawl.add_argument("--since", metavar="WHEN",
                       help="incremental: only reviews new or changed since WHEN (2d, 12h, 1w or an ISO date)")
    crawl.add_argument("--film", metavar="TITLE", help="ask every configured publication for this film's reviews")
    crawl.add_argument("--year", type=int, help="the film's year (with --film)")
    crawl.add_argument("--rt-url", metavar="URL",
                       help="with --film: also read this Rotten Tomatoes film page (its critics' cards) in the same run")
    crawl.add_argument("--publication", metavar="KEY", action="append", default=[],
                       help="only this registry publication (repeatable)")
    crawl.add_argument("--publications", metavar="FILE", action="append", default=[],
                       help="extra registry file layered on the packaged one (repeatable)")
    crawl.add_argument("-a", dest="arg", action="append", default=[], metavar="NAME=VALUE", help="spider argument")
    crawl.add_argument("-s", "--set", dest="set", action="append", default=[], metavar="NAME=VALUE",
                       help="Scrapy setting for this crawl (e.g. DOWNLOAD_DELAY=0)")
    crawl.set_defaults(handler=cmd_crawl)
