"""`aggregator import …`: archives imported without a crawl (aggregator/importers)."""

from __future__ import annotations

import sys

from aggregator.cli.common import EXIT_EMPTY_RUN, EXIT_OK, EXIT_USAGE, _open
from aggregator.cli.terminal import for_terminal as shown


def cmd_import_nyt_api(args) -> int:
    from aggregator.importers.nyt_api import NytApiFormatError, import_nyt_api, read_response

    try:  # a file that is no API response is refused before any database is created
        read_response(args.file)
    except NytApiFormatError as error:
        print(f"aggregator import nyt-api: {error}", file=sys.stderr)
        return EXIT_USAGE
    _, engine, sessions = _open(args)
    try:
        report = import_nyt_api(args.file, sessions)
    except NytApiFormatError as error:
        print(f"aggregator import nyt-api: {error}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        engine.dispose()
    counts = report.counts
    print(f"run {report.run_id} (import:nyt-api): {report.records} records; reviews new {counts.new}, "
          f"updated {counts.updated}, unchanged {counts.unchanged}")
    bad = dict(report.bad)
    for reason, count in counts.skipped.items():
        bad[f"store/{reason}"] = bad.get(f"store/{reason}", 0) + count
    if bad:
        print(shown("  not imported: " + ", ".join(f"{k} {v}" for k, v in sorted(bad.items()))))
    if report.unparsed_dates:
        print(f"  imported without a date (unreadable): {report.unparsed_dates}")
    return EXIT_OK if counts.stored else EXIT_EMPTY_RUN


def register(commands, common) -> None:
    importer = commands.add_parser("import", help="import review archives without a crawl")
    sources = importer.add_subparsers(dest="import_source", required=True)
    nyt = sources.add_parser("nyt-api", parents=[common],
                             help="a saved New York Times Movie Reviews API (v2) response")
    nyt.add_argument("file", help="the response's JSON file")
    nyt.set_defaults(handler=cmd_import_nyt_api)
