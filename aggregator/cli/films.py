"""`aggregator film show|unresolved|link` and `aggregator demo`: a film's reviews and scores,
the reviews whose film the store could not single out, and the bundled demo crawl."""

from __future__ import annotations

import argparse
import sys
from datetime import date

from aggregator.cli.common import EXIT_NOT_FOUND, EXIT_OK, _crawl_settings, _open, _report_run
from aggregator.cli.tables import add_output_options
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

    _, _, sessions = _open(args, default=f"sqlite:///{DEMO_DATABASE_PATH}")
    with sessions() as session:
        film = most_reviewed_film(session, args.film)
        if film is None:
            print("the demo crawl stored no film", file=sys.stderr)
            return EXIT_NOT_FOUND
        _print_film(session, film)
    return EXIT_OK


def _the_film(session, args):
    """The one film `args.title` (and `--year`) names, or None after saying why on stderr."""
    from aggregator.query.scores import find_films

    films = find_films(session, args.title, args.year)
    if not films:
        print(f"no film {args.title!r}" + (f" ({args.year})" if args.year else "") + " in the database", file=sys.stderr)
        return None
    if len(films) > 1:
        print(f"{len(films)} films match {args.title!r}; give --year:", file=sys.stderr)
        for film in films:
            print(f"  {shown(film.title)} ({film.year or 'year unknown'})", file=sys.stderr)
        return None
    return films[0]


def cmd_film_show(args) -> int:
    _, _, sessions = _open(args)
    with sessions() as session:
        film = _the_film(session, args)
        if film is None:
            return EXIT_NOT_FOUND
        adjusted = _leniency_adjusted(session, film) if args.adjust_leniency else None
        if args.json:
            _print_scorecard_json(session, film, args.as_of, adjusted)
        elif args.as_of is not None:
            _print_scorecard_as_of(session, film, args.as_of)
        else:
            _print_film(session, film)
        if adjusted is not None and not args.json:
            from aggregator.cli.outlets import format_adjusted

            print(for_terminal_block("leniency-adjusted:\n" + format_adjusted(adjusted)))
    return EXIT_OK


def _leniency_adjusted(session, film):
    """The film's score with each outlet's leniency taken out (docs/queries-outlets.md)."""
    from aggregator.query.outlet_leniency import adjusted_film_score

    return adjusted_film_score(session, film.id)


def _print_scorecard_json(session, film, as_of=None, adjusted=None) -> None:
    import dataclasses
    import json

    from aggregator.query.scorecard import film_scorecard

    # JSON escapes every control character itself: no terminal escaping on top of it.
    document = dataclasses.asdict(film_scorecard(session, film.id, as_of))
    document["as_of"] = as_of.isoformat() if as_of else None
    document["leniency_adjusted"] = None if adjusted is None else {
        name: value for name, value in dataclasses.asdict(adjusted).items()
        if name not in ("film_id", "title", "year", "reviews", "duplicates")}
    print(json.dumps(document, ensure_ascii=False, indent=2))


def _print_scorecard_as_of(session, film, as_of) -> None:
    """The scorecard alone: the reviews table shows today's values, not those of `as_of`."""
    from aggregator.query.report import format_scorecard
    from aggregator.query.scorecard import film_scorecard

    card = film_scorecard(session, film.id, as_of)
    year = f" ({film.year})" if film.year else ""
    head = (f"{film.title}{year}\n  as of the end of {as_of.isoformat()} (UTC): the reviews stored by then,"
            " each with its values then")
    if card.reviews == 0:
        head += f"\n  no reviews of this film were stored by the end of {as_of.isoformat()}"
    print(for_terminal_block(f"{head}\n{format_scorecard(card)}"))


def cmd_film_history(args) -> int:
    """The film's figures after each day that brought reviews or revisions."""
    import dataclasses
    import json

    from aggregator.query.film_history import film_history

    _, engine, sessions = _open(args)
    try:
        with sessions() as session:
            film = _the_film(session, args)
            if film is None:
                return EXIT_NOT_FOUND
            history = film_history(session, film.id, by=args.by)
    finally:
        engine.dispose()
    if args.json:
        document = dataclasses.asdict(history)
        print(json.dumps(document, ensure_ascii=False, indent=2, default=date.isoformat))
    elif args.csv:
        from aggregator.cli.tables import write_csv

        write_csv(sys.stdout, HISTORY_COLUMNS, (_history_cells(day) for day in history.days))
    else:
        print(for_terminal_block(_format_history(history)))
    return EXIT_OK


HISTORY_COLUMNS = (
    "day", "new", "revised", "reviews", "duplicates",
    "fresh", "fresh_low", "fresh_high", "fresh_of", "fresh_inferred",
    "positive", "positive_low", "positive_high", "positive_of", "positive_inferred",
    "score", "score_low", "score_high", "score_median", "score_of", "score_inferred",
    "weighted", "weighted_of", "weighted_total_weight", "weighted_inferred", "labels",
)  # fmt: skip
"""`film history --csv`: one day per row; a figure below the minimum is an empty cell (its `_of` says
how many inputs it had); `day` empty for the undated reviews (`--by published`)."""


def _history_cells(day) -> list:
    share = lambda s: [s.value, s.low, s.high, s.denominator, s.inferred]
    score, weighted = day.score, day.weighted
    return [day.day.isoformat() if day.day else None, day.new, day.revised, day.reviews, day.duplicates,
            *share(day.fresh), *share(day.positive),
            score.value, score.low, score.high, score.median, score.denominator, score.inferred,
            weighted.value, weighted.denominator, weighted.total_weight, weighted.inferred, "; ".join(day.labels)]


def _format_history(history) -> str:
    def share(s) -> str:
        if s.value is None:
            return f"— (of {s.denominator})"
        return f"{s.value:.0%} [{s.low:.0%}–{s.high:.0%}] of {s.denominator}" + (
            f", {s.inferred} inferred" if s.inferred else "")

    def mean(figure, interval: bool = True) -> str:
        if figure.value is None:
            return f"— (of {figure.denominator})"
        bounds = f" [{figure.low:.1f}–{figure.high:.1f}]" if interval else ""
        return f"{figure.value:.1f}{bounds} of {figure.denominator}" + (
            f", {figure.inferred} inferred" if figure.inferred else "")

    year = f" ({history.year})" if history.year else ""
    rows = [[d.day.isoformat() if d.day else "undated", str(d.new), str(d.revised), str(d.reviews),
             share(d.fresh), share(d.positive), mean(d.score), mean(d.weighted, False), ", ".join(d.labels) or "—"]
            for d in history.days]
    headers = ["day", "new", "revised", "reviews", "fresh", "positive", "average score", "weighted", "labels"]
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()
    lines = [f"{history.title}{year}: figures after each day that brought reviews or revisions",
             f"  {history.basis}",
             f"  95% intervals; below {history.min_reviews} inputs a figure is — (of: its inputs)",
             line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)]
    if not rows:
        lines.append("no reviews")
    return "\n".join(lines)


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



def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


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
    show.add_argument("--as-of", type=_day, metavar="DATE",
                      help="the scorecard as the store knew it at the end of DATE (UTC): the reviews stored by"
                           " then, with their values then")
    show.add_argument("--adjust-leniency", action="store_true",
                      help="also the average score with each outlet's leniency taken out (docs/queries-outlets.md)")
    show.set_defaults(handler=cmd_film_show)
    history = film.add_parser("history", parents=[common],
                              help="a film's figures after each day that brought reviews or revisions")
    history.add_argument("title")
    history.add_argument("--year", type=int)
    history.add_argument("--by", choices=("stored", "published"), default="stored",
                         help="days of the store's clock (default: when reviews and revisions were stored)"
                              " or the reviews' publication dates (undated ones last)")
    add_output_options(history, "film-history.schema.json", csv_rows="one day per row")
    history.set_defaults(handler=cmd_film_history)
    unresolved = film.add_parser("unresolved", parents=[common],
                                 help="reviews whose film could not be told apart from another")
    unresolved.set_defaults(handler=cmd_film_unresolved)
    link = film.add_parser("link", parents=[common], help="link a review to a film by hand")
    link.add_argument("url", help="the review's canonical URL")
    link.add_argument("film_id", type=int, help="the film's id (see `aggregator film unresolved`)")
    link.set_defaults(handler=cmd_film_link)
