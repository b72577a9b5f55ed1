"""`aggregator critics like-me FILE`: the stored critics whose calls most often match a
person's own ratings (aggregator.query.like_me; docs/queries-critics.md "Critics like me").

FILE is a Letterboxd ratings.csv export, an IMDb ratings export or a plain title,year,score
CSV, told apart by its header; an unknown header is refused (exit 2) with the columns each
format needs. `--json` prints aggregator/schemas/critics-like-me.schema.json, `--csv` one
ranked critic per row (the unmatched and unreadable rows are then counted on stderr).
"""

from __future__ import annotations

import argparse
import sys

from aggregator.cli.common import EXIT_OK, EXIT_USAGE, _open
from aggregator.cli.tables import add_output_options, percent, write_csv
from aggregator.cli.terminal import for_terminal as shown

CSV_HEADER = ("rank", "critic_id", "name", "films", "agreed", "agreement", "low", "high", "inferred",
              "scored_films", "correlation", "mean_difference", "mean_difference_low", "mean_difference_high")


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'s' * (n != 1)}"


def _difference(figure) -> str:
    return "-" if figure.value is None else f"{figure.value:+.1f} [{figure.low:+.1f} to {figure.high:+.1f}]"


def format_like_me(result) -> str:
    from aggregator.query.report import _table

    lines = [(f"Your ratings ({result.format}): {_count(result.rows, 'row')}; {_count(result.films, 'film')} counted "
              f"({result.matched_by_id} by IMDb id, {result.matched_by_title} by title and year), "
              f"{len(result.unmatched)} unmatched, {len(result.unreadable)} unreadable; "
              f"your call is fresh from {result.fresh_from:g}/100"),
             (f"Critics most like you: {result.candidates} share at least {result.min_overlap} films both "
              "called; ranked by the low end of the 95% interval")]
    if result.critics:
        rows = [[str(rank), str(c.critic_id), shown(c.name), str(c.agreement.denominator),
                 percent(c.agreement.value), f"{percent(c.agreement.low)}-{percent(c.agreement.high)}",
                 str(c.agreement.inferred), str(c.correlation.denominator),
                 "-" if c.correlation.value is None else f"{c.correlation.value:+.2f}", _difference(c.mean_difference)]
                for rank, c in enumerate(result.critics, 1)]
        lines.append(_table(["#", "id", "critic", "films", "agree", "95% interval", "inferred", "scored", "r",
                             "their score - yours"], rows))
    if result.unmatched:
        lines += ["", "Unmatched rows (not guessed):",
                  _table(["line", "title", "year", "why"],
                         [[str(u.line), shown(u.title), str(u.year or "-"), u.reason] for u in result.unmatched])]
    if result.unreadable:
        lines += ["", "Unreadable rows:",
                  _table(["line", "why"], [[str(u.line), shown(u.reason)] for u in result.unreadable])]
    return "\n".join(lines)


def csv_rows(result):
    for rank, c in enumerate(result.critics, 1):
        agreement, difference = c.agreement, c.mean_difference
        yield (rank, c.critic_id, c.name, agreement.denominator, agreement.count, agreement.value, agreement.low,
               agreement.high, agreement.inferred, c.correlation.denominator, c.correlation.value,
               difference.value, difference.low, difference.high)


def cmd_critics_like_me(args) -> int:
    import json

    from aggregator.query.like_me import MIN_OVERLAP, critics_like_me, like_me_record
    from aggregator.query.own_ratings import OwnRatingsError, read_own_ratings_file

    try:
        own = read_own_ratings_file(args.file)
    except OSError as error:
        print(shown(f"aggregator critics like-me: cannot read {args.file}: {error.strerror or error}"),
              file=sys.stderr)
        return EXIT_USAGE
    except OwnRatingsError as error:
        print(shown(f"aggregator critics like-me: {args.file}: {error}"), file=sys.stderr)
        return EXIT_USAGE
    min_overlap = MIN_OVERLAP if args.min_overlap is None else args.min_overlap
    _, engine, sessions = _open(args)
    try:
        with sessions() as session:
            result = critics_like_me(session, own, min_overlap=min_overlap, limit=args.limit)
    finally:
        engine.dispose()
    if args.json:
        print(json.dumps(like_me_record(result), ensure_ascii=False, allow_nan=False, indent=2))
    elif args.csv:
        write_csv(sys.stdout, CSV_HEADER, csv_rows(result))
        if result.unmatched or result.unreadable:
            print(f"aggregator critics like-me: {len(result.unmatched)} rows unmatched, {len(result.unreadable)}"
                  " unreadable (listed without --csv)", file=sys.stderr)
    else:
        print(shown(format_like_me(result), keep_newlines=True))
    return EXIT_OK


def _at_least(minimum: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}: {text!r}")
        return value
    return parse


def register(commands, common) -> None:
    # no query module here: `aggregator --help` must not load SQLAlchemy (tests/test_architecture.py)
    critics = commands.add_parser("critics", help="critics ranked against you").add_subparsers(
        dest="critics_command", required=True)
    like_me = critics.add_parser(
        "like-me", parents=[common], help="the critics whose calls most often match your own ratings",
        description="FILE: a Letterboxd ratings.csv export (Date, Name, Year, Letterboxd URI, Rating), an IMDb "
                    "ratings export (Const, Your Rating, Title, Year, …) or a CSV with the header title,year,score "
                    "(score 0-100).")
    like_me.add_argument("file", metavar="FILE", help="your ratings (CSV, UTF-8)")
    like_me.add_argument("--min-overlap", type=_at_least(1), metavar="N",
                         help="rank only critics sharing at least N films both called "
                              "(default: like_me.MIN_OVERLAP = 5, docs/queries-critics.md)")
    like_me.add_argument("--limit", type=_at_least(0), default=10, metavar="N", help="critics listed (default 10)")
    add_output_options(like_me, "critics-like-me.schema.json", csv_rows="one ranked critic per row")
    like_me.set_defaults(handler=cmd_critics_like_me)
