"""`aggregator film show|unresolved|link` and `aggregator demo`: a film's reviews and scores,
the reviews whose film the store could not single out, and the bundled demo crawl."""

from __future__ import annotations

import sys

from aggregator.cli.common import EXIT_NOT_FOUND, EXIT_OK, _crawl_settings, _open, _report_run
from aggregator.cli.terminal import for_terminal as shown
from aggregator.cli.terminal import for_terminal_block


def cmd_demo(args) -> int:
    from aggregator.crawl.crawling import run_crawl
    from aggregator.db.session import DEMO_DATABASE_PATH, resolve_database_url
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
    from aggregator.query.report import most_reviewed_film

    _, engine, sessions = _open(args, default=f"sqlite:///{DEMO_DATABASE_PATH}")
    with sessions() as session:
        film = most_reviewed_film(session, args.film)
        if film is None:
            print("the demo crawl stored no film", file=sys.stderr)
            return EXIT_NOT_FOUND
        _print_film(session, film)
    return EXIT_OK


def cmd_film_show(args) -> int:
    from aggregator.query.scores import find_films

    _, _, sessions = _open(args)
    with sessions() as session:
        films = find_films(session, args.title, args.year)
        if not films:
            print(f"no film {args.title!r}" + (f" ({args.year})" if args.year else "") + " in the database", file=sys.stderr)
            return EXIT_NOT_FOUND
        if len(films) > 1:
            print(f"{len(films)} films match {args.title!r}; give --year:", file=sys.stderr)
            for film in films:
                print(f"  {shown(film.title)} ({film.year or 'year unknown'})", file=sys.stderr)
            return EXIT_NOT_FOUND
        if args.json:
            _print_scorecard_json(session, films[0])
        else:
            _print_film(session, films[0])
    return EXIT_OK


def _print_scorecard_json(session, film) -> None:
    import dataclasses
    import json

    from aggregator.query.scorecard import film_scorecard

    # JSON escapes every control character itself: no terminal escaping on top of it.
    print(json.dumps(dataclasses.asdict(film_scorecard(session, film.id)), ensure_ascii=False, indent=2))


def cmd_film_unresolved(args) -> int:
    """Reviews that name a film the store could not single out, with the candidates."""
    from aggregator.db.film_store import unresolved_reviews

    _, engine, sessions = _open(args)
    with sessions() as session:
        reviews = unresolved_reviews(session)
    engine.dispose()
    if not reviews:
        print("no unresolved reviews")
        return EXIT_OK
    for review in reviews:
        title = review.film_raw or review.headline or "(no title)"
        print(shown(review.url))
        print(shown(f"  outlet {review.outlet}; title {title!r}; "
                    f"published {review.published or 'unknown'}; reason {review.reason}"))
        for film in review.candidates:
            ids = ", ".join(f"{kind} {value}" for kind, value in sorted(film.ids.items()))
            print(shown(f"  candidate film {film.id}: {film.title} ({film.year or 'year unknown'})"
                        + (f" [{ids}]" if ids else "")))
    print(f"{len(reviews)} unresolved; settle one with `aggregator film link URL FILM_ID`")
    return EXIT_OK


def cmd_film_link(args) -> int:
    from aggregator.db.film_store import LinkError, link_film

    _, engine, sessions = _open(args)
    try:
        with sessions() as session:
            link_film(session, args.url, args.film_id)
            session.commit()
    except LinkError as error:
        print(f"aggregator film link: {error}", file=sys.stderr)
        return EXIT_NOT_FOUND
    finally:
        engine.dispose()
    print(shown(f"linked {args.url} to film {args.film_id} (kept by later crawls and renormalise)"))
    return EXIT_OK


def _print_film(session, film) -> None:
    from aggregator.query.report import format_film_summary, format_scorecard
    from aggregator.query.scorecard import film_scorecard
    from aggregator.query.scores import film_summary

    summary = format_film_summary(film_summary(session, film.id))
    head, _, table = summary.partition("\n\n")  # the scorecard goes between the figures and the reviews
    print(for_terminal_block(f"{head}\n{format_scorecard(film_scorecard(session, film.id))}\n\n{table}"))



def register(commands, common) -> None:
    demo = commands.add_parser("demo", parents=[common], help="crawl the bundled demo sites and show a film")
    demo.add_argument("--film", help="the film to show (default: the most reviewed)")
    demo.set_defaults(handler=cmd_demo)


    film = commands.add_parser("film", help="films").add_subparsers(dest="film_command", required=True)
    show = film.add_parser("show", parents=[common], help="a film's reviews and aggregate scores")
    show.add_argument("title")
    show.add_argument("--year", type=int)
    show.add_argument("--json", action="store_true",
                      help="print the scorecard as JSON (aggregator/schemas/film-scorecard.schema.json)")
    show.set_defaults(handler=cmd_film_show)
    unresolved = film.add_parser("unresolved", parents=[common],
                                 help="reviews whose film could not be told apart from another")
    unresolved.set_defaults(handler=cmd_film_unresolved)
    link = film.add_parser("link", parents=[common], help="link a review to a film by hand")
    link.add_argument("url", help="the review's canonical URL")
    link.add_argument("film_id", type=int, help="the film's id (see `aggregator film unresolved`)")
    link.set_defaults(handler=cmd_film_link)
