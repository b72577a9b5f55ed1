"""`aggregator export|runs|renormalise|db upgrade|db url`: the store as a whole: every review
out, the recorded crawl runs, the normalisers re-applied to stored raw values, the schema."""

from __future__ import annotations

import os
import sys

from aggregator.cli.common import EXIT_NOT_FOUND, EXIT_OK, EXIT_USAGE, _open, _open_for
from aggregator.cli.errors import UsageError
from aggregator.cli.terminal import for_terminal as shown
from aggregator.cli.terminal import for_terminal_block


def cmd_export(args) -> int:
    from functools import partial

    from aggregator.query.export import write_csv, write_json

    if args.raw_cells and args.format != "csv":
        raise UsageError("--raw-cells goes with --format csv")
    _, _, sessions = _open(args)
    writer = write_json if args.format == "json" else partial(write_csv, raw_cells=args.raw_cells)
    out = _output(args.output) if args.output else sys.stdout
    try:
        with sessions() as session:
            writer(session, out)
    finally:
        if args.output:
            out.close()
    return EXIT_OK


def _output(path: str):
    try:
        return open(path, "w", encoding="utf-8", newline="")
    except FileNotFoundError:
        raise UsageError(f"cannot write {path!r}: the folder {os.path.dirname(os.path.abspath(path))!r} "
                         "does not exist; create it or give -o a path in an existing folder") from None
    except OSError as error:
        raise UsageError(f"cannot write {path!r}: {error.strerror or error}; give -o a file you can write") from None


def cmd_runs(args) -> int:
    from aggregator.db.runs import list_runs
    from aggregator.query.report import format_runs

    _, _, sessions = _open(args)
    with sessions() as session:
        print(for_terminal_block(format_runs(list_runs(session, limit=args.limit))))
    return EXIT_OK


def cmd_db_upgrade(args) -> int:
    from aggregator.db.session import make_engine, resolve_database_url, upgrade

    url = resolve_database_url(cli_url=args.db)
    upgrade(make_engine(url))
    print(f"database at head: {url}")
    return EXIT_OK


def cmd_db_url(args) -> int:
    from aggregator.db.session import resolve_database_url

    print(resolve_database_url(cli_url=args.db))
    return EXIT_OK


def cmd_renormalise(args) -> int:
    from aggregator.db.session import mask_url
    from aggregator.identity.publications import RegistryError, load_registry
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
        print("  left as they were (unfit under the current rules): " + shown(_by_reason(report.unfit)))
    if report.rating_rejected:
        print("  ratings rejected: " + shown(_by_reason(report.rating_rejected)))
    if report.learnt_scales:
        learnt = ", ".join(f"{key} {scale}" for key, scale in sorted(report.learnt_scales.items()))
        print(shown(f"  learnt scales: {learnt}; {report.scale_learnt} ratings read on them"))
    if report.revisions:
        print(f"  replaced scores and verdicts kept as revisions: {report.revisions}")
    return EXIT_OK


def _by_reason(counts: dict[str, int]) -> str:
    return ", ".join(f"{reason} {count}" for reason, count in sorted(counts.items()))



def register(commands, common) -> None:
    export = commands.add_parser(
        "export", parents=[common], help="every review, raw and normalised",
        description="Every stored review, raw and normalised, as JSON or CSV (docs/export.md). "
                    "In CSV, a text cell starting with =, +, -, @, a tab or a carriage return, which a "
                    "spreadsheet would run as a formula, is written with a leading ' (OWASP, CSV "
                    "injection); numbers and plain numbers such as -2 are written as they are.")
    export.add_argument("--format", choices=("json", "csv"), default="json")
    export.add_argument("--output", "-o", help="file to write (default: standard output)")
    export.add_argument("--raw-cells", action="store_true",
                        help="CSV: write every cell as stored, formula cells included")
    export.set_defaults(handler=cmd_export)

    runs = commands.add_parser("runs", parents=[common], help="recorded crawl runs")
    runs.add_argument("--limit", type=int, default=20)
    runs.set_defaults(handler=cmd_runs)


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
