"""The `aggregator` command: crawl, demo, film, export, runs, db, rating, renormalise."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from aggregator.db.session import (
    DEMO_DATABASE_PATH,
    make_engine,
    resolve_database_url,
    upgrade,
)
from aggregator.cli_common import (  # noqa: F401  (re-exported for callers of aggregator.cli)
    EXIT_EMPTY_RUN,
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_REJECTED,
    EXIT_USAGE,
    _crawl_settings,
    _open,
    _open_for,
    _report_run,
)

# Modules adding sub-commands, each through register(commands, common).
COMMAND_MODULES = (
    "aggregator.cli_crawl",
    "aggregator.cli_critics",
    "aggregator.cli_import",
    "aggregator.cli_train",
    "aggregator.cli_verdicts",
)


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
        print(f"{review.url}\n  outlet {review.outlet}; title {title!r}; "
              f"published {review.published or 'unknown'}; reason {review.reason}")
        for film in review.candidates:
            ids = ", ".join(f"{kind} {value}" for kind, value in sorted(film.ids.items()))
            print(f"  candidate film {film.id}: {film.title} ({film.year or 'year unknown'})"
                  + (f" [{ids}]" if ids else ""))
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
    print(f"linked {args.url} to film {args.film_id} (kept by later crawls and renormalise)")
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


def cmd_rating(args) -> int:
    """How one rating string is read: exit 0 with the reading, 1 with the reason it is not."""
    import json

    from aggregator.ratings import REASON_TEXT, explain_rating

    rating, reason = explain_rating(args.text, args.scale)
    if args.json:
        reading = None
        if rating is not None:
            fields = ("raw", "value", "best", "worst", "scale", "score", "verdict", "fresh")
            reading = {name: getattr(rating, name) for name in fields}
        answer = {"input": args.text, "scale_given": args.scale, "reason": reason,
                  "explanation": REASON_TEXT.get(reason, reason), "rating": reading}
        print(json.dumps(answer, ensure_ascii=False, indent=2))
    elif rating is None:
        print(f"{args.text!r}: rejected ({reason}): {REASON_TEXT.get(reason, reason)}")
    else:
        fresh = "yes" if rating.fresh else "no" if rating.fresh is not None else "-"
        print(f"{args.text!r}" + (f" (outlet scale {args.scale})" if args.scale else "") + ":")
        for name, value in (("value", _number(rating.value)), ("best", _number(rating.best)),
                            ("worst", _number(rating.worst)), ("scale", rating.scale),
                            ("score", _number(rating.score)), ("verdict", rating.verdict or "-"),
                            ("fresh", fresh)):
            print(f"  {name:<8} {value}")
    return EXIT_OK if rating is not None else EXIT_REJECTED


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.6f}".rstrip("0").rstrip(".")


def cmd_renormalise(args) -> int:
    from aggregator.db.session import mask_url
    from aggregator.publications import RegistryError, load_registry
    from aggregator.renormalise import GROUPS, renormalise

    if args.batch_size < 1:
        print("aggregator renormalise: --batch-size must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    try:
        registry = load_registry(extra_paths=args.publications)
    except RegistryError as error:
        print(f"aggregator renormalise: {error}", file=sys.stderr)
        return EXIT_USAGE
    opened = _open_for(args, "renormalise", dry_run=args.dry_run)
    if opened is None:
        return EXIT_USAGE
    url, engine, sessions = opened
    if args.publication is not None:
        from sqlalchemy import select

        from aggregator.db.models import Publication

        with sessions() as session:
            if session.scalar(select(Publication.id).where(Publication.key == args.publication)) is None:
                print(f"no publication {args.publication!r} in {mask_url(url)}", file=sys.stderr)
                engine.dispose()
                return EXIT_NOT_FOUND
    report = renormalise(sessions, lookup=registry.get, publication=args.publication,
                         batch_size=args.batch_size, dry_run=args.dry_run)
    engine.dispose()
    note = " (dry run: nothing written)" if args.dry_run else ""
    print(f"renormalised {report.reviews} reviews of {mask_url(url)} in {report.batches} batches{note}")
    for group in GROUPS:
        extra = f" ({report.manual_kept} manual verdicts kept)" if group == "verdict" and report.manual_kept else ""
        print(f"  {group:<8} {report.changed[group]:>7} changed{extra}")
    print(f"  reviews changed {report.rows_changed}, unchanged {report.reviews - report.rows_changed}")
    if report.unfit:
        print("  left as they were (unfit under the current rules): " + _by_reason(report.unfit))
    if report.rating_rejected:
        print("  ratings rejected: " + _by_reason(report.rating_rejected))
    if report.learnt_scales:
        learnt = ", ".join(f"{key} {scale}" for key, scale in sorted(report.learnt_scales.items()))
        print(f"  learnt scales: {learnt}; {report.scale_learnt} ratings read on them")
    if report.revisions:
        print(f"  replaced scores and verdicts kept as revisions: {report.revisions}")
    return EXIT_OK


def _by_reason(counts: dict[str, int]) -> str:
    return ", ".join(f"{reason} {count}" for reason, count in sorted(counts.items()))


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", metavar="URL", help="database URL (outranks AGGREGATOR_DATABASE_URL)")
    common.add_argument("-v", "--verbose", action="store_true", help="log the crawl at INFO level")

    parser = argparse.ArgumentParser(prog="aggregator", description="Critics' review aggregator.")
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", parents=[common], help="crawl the bundled demo sites and show a film")
    demo.add_argument("--film", help="the film to show (default: the most reviewed)")
    demo.set_defaults(handler=cmd_demo)

    film = commands.add_parser("film", help="films").add_subparsers(dest="film_command", required=True)
    show = film.add_parser("show", parents=[common], help="a film's reviews and aggregate scores")
    show.add_argument("title")
    show.add_argument("--year", type=int)
    show.set_defaults(handler=cmd_film_show)
    unresolved = film.add_parser("unresolved", parents=[common],
                                 help="reviews whose film could not be told apart from another")
    unresolved.set_defaults(handler=cmd_film_unresolved)
    link = film.add_parser("link", parents=[common], help="link a review to a film by hand")
    link.add_argument("url", help="the review's canonical URL")
    link.add_argument("film_id", type=int, help="the film's id (see `aggregator film unresolved`)")
    link.set_defaults(handler=cmd_film_link)

    export = commands.add_parser("export", parents=[common], help="every review, raw and normalised")
    export.add_argument("--format", choices=("json", "csv"), default="json")
    export.add_argument("--output", "-o", help="file to write (default: standard output)")
    export.set_defaults(handler=cmd_export)

    runs = commands.add_parser("runs", parents=[common], help="recorded crawl runs")
    runs.add_argument("--limit", type=int, default=20)
    runs.set_defaults(handler=cmd_runs)

    from aggregator.scales import SCALES

    rating = commands.add_parser("rating", help="show how a rating string is read")
    rating.add_argument("text", help='the rating as a page writes it, e.g. "3 1/2 stars"')
    rating.add_argument("--scale", choices=sorted(SCALES), help="the outlet's scale, for ratings that do not state theirs")
    rating.add_argument("--json", action="store_true", help="machine-readable output")
    rating.set_defaults(handler=cmd_rating)

    renorm = commands.add_parser("renormalise", parents=[common],
                                 help="re-apply the normalisers to the stored raw values")
    renorm.add_argument("--publication", metavar="KEY", help="only this outlet's reviews")
    renorm.add_argument("--dry-run", action="store_true", help="count what would change, write nothing")
    renorm.add_argument("--batch-size", type=int, default=200, help="reviews per transaction (default 200)")
    renorm.add_argument("--publications", metavar="FILE", action="append", default=[],
                        help="extra registry file, as given to the crawl (repeatable)")
    renorm.set_defaults(handler=cmd_renormalise)

    db = commands.add_parser("db", help="database").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", parents=[common], help="apply migrations").set_defaults(handler=cmd_db_upgrade)
    db.add_parser("url", parents=[common], help="the database URL in use").set_defaults(handler=cmd_db_url)

    for module in COMMAND_MODULES:
        importlib.import_module(module).register(commands, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except BrokenPipeError:  # `aggregator export | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
