"""What every `aggregator` sub-command shares: exit codes, opening the database, crawl reports.

Sub-commands live in the modules listed in `aggregator.cli.main.COMMAND_MODULES`; each has
`register(commands, common)`. The database code is imported when a command opens it, so that
`aggregator --help` and the commands that need no database do not load SQLAlchemy.
"""

from __future__ import annotations

import sys

from aggregator.cli.terminal import for_terminal as shown

EXIT_OK, EXIT_EMPTY_RUN, EXIT_NOT_FOUND, EXIT_USAGE = 0, 1, 2, 2
EXIT_RUNTIME = 1
"""A failure while working that no argument caused: a database locked past the patience."""
EXIT_REFUSED = 1
"""The command understood and declined: `rating` (not a rating it can read), `critic merge ID ID`
(the evidence says two people), `train-verdicts` (too few labelled examples)."""
EXIT_REJECTED = EXIT_REFUSED


def _open(args, *, default: str | None = None):
    from aggregator.db.session import ensure_schema, make_engine, resolve_database_url, session_factory

    url = resolve_database_url(cli_url=args.db, default=default)
    engine = make_engine(url)
    ensure_schema(engine)
    return url, engine, session_factory(engine)


def _open_for(args, command: str, *, dry_run: bool):
    """`_open`, except that a dry run writes nothing, migrations included: a database not at
    the current schema is refused (None, after saying why) rather than upgraded."""
    if not dry_run:
        return _open(args)
    from aggregator.db.session import is_current, make_engine, mask_url, resolve_database_url, session_factory

    url = resolve_database_url(cli_url=args.db)
    engine = make_engine(url)
    if not is_current(engine):
        print(f"aggregator {command}: {mask_url(url)} is not at the current schema;"
              " run `aggregator db upgrade` first", file=sys.stderr)
        engine.dispose()
        return None
    return url, engine, session_factory(engine)


def _crawl_settings(args) -> dict:
    return {"LOG_LEVEL": "INFO" if args.verbose else "WARNING"}


def _report_run(result, out) -> int:
    if result.run_id is None or result.status is None:  # the database failed it (logged above)
        where = "before it could record a run" if result.run_id is None else f"before it could finish run {result.run_id}"
        print(f"aggregator crawl: the {result.spider} crawl stopped {where} in the database;"
              " the error is logged above", file=sys.stderr)
        return EXIT_RUNTIME
    print(
        f"run {result.run_id} ({result.spider}): {result.status}; reviews new {result.count('new')}, "
        f"updated {result.count('updated')}, unchanged {result.count('unchanged')}; "
        f"pages {result.stats.get('response_received_count', 0)}",
        file=out,
    )
    if result.dropped:
        print(shown("  dropped: " + ", ".join(f"{k} {v}" for k, v in sorted(result.dropped.items()))), file=out)
    if result.status == "interrupted":  # stopped by a signal: it stored what the line above says
        print("interrupted before the end: run the same command again to fetch the rest", file=out)
        return EXIT_EMPTY_RUN
    if result.status != "ok":
        reasons = result.no_review_reasons or {"nothing fetched": 1}
        print(shown("no review found: " + ", ".join(f"{k} ({v} page{'s' * (v != 1)})"
                                                    for k, v in sorted(reasons.items()))), file=out)
        return EXIT_EMPTY_RUN
    return EXIT_OK
