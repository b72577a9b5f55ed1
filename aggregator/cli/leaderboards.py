"""`aggregator films top`: the best-received films, ranked by a shrunk figure
(aggregator.query.leaderboard; docs/queries.md)."""

from __future__ import annotations

import argparse
import sys
from datetime import date

from aggregator.cli.common import EXIT_OK, _open
from aggregator.cli.tables import add_output_options, positive_int, write_csv
from aggregator.cli.terminal import for_terminal, for_terminal_block


def cmd_films_top(args) -> int:
    import dataclasses
    import json

    from aggregator.query.leaderboard import Filters, top_films
    from aggregator.query.report import format_leaderboard

    _, engine, sessions = _open(args)
    try:
        with sessions() as session:
            options = {name: value for name, value in (("min_reviews", args.min_reviews), ("limit", args.limit))
                       if value is not None}
            board = top_films(session, by=args.by, filters=Filters(args.year, args.since, args.publication),
                              **options)
    finally:
        engine.dispose()
    if args.csv:
        write_csv(sys.stdout, ("rank", "film_id", "title", "year", "reviews", "value", "denominator", "inferred",
                               "shrunk"),
                  ((e.rank, e.film_id, e.title, e.year, e.reviews, e.value, e.denominator, e.inferred, e.shrunk)
                   for e in board.entries))
        return EXIT_OK
    if args.json:
        document = dataclasses.asdict(board)
        document["filters"]["since"] = args.since.isoformat() if args.since else None
        print(json.dumps(document, ensure_ascii=False, indent=2))
        return EXIT_OK
    entries = [dataclasses.replace(e, title=for_terminal(e.title)) for e in board.entries]
    print(for_terminal_block(format_leaderboard(dataclasses.replace(board, entries=entries))))
    return EXIT_OK


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None




def register(commands, common) -> None:
    # no query module here: `aggregator --help` must not load SQLAlchemy (tests/test_architecture.py)
    films = commands.add_parser("films", help="films compared").add_subparsers(dest="films_command", required=True)
    top = films.add_parser("top", parents=[common], help="the best-received films, ranked by a shrunk score")
    top.add_argument("--year", type=int, help="films of this year")
    top.add_argument("--since", type=_date, metavar="DATE", help="only reviews published on or after DATE")
    top.add_argument("--min-reviews", type=positive_int, metavar="N",
                     help="films with at least N reviews informing the figure (default: the scorecard's minimum)")
    top.add_argument("--by", choices=("positive", "score", "weighted"), default="score",
                     help="the figure ranked (default score)")
    top.add_argument("--publication", metavar="KEY", help="only this outlet's reviews (registry key)")
    top.add_argument("--limit", type=positive_int, metavar="N", help="films listed (default 20)")
    add_output_options(top, "films-top.schema.json", csv_rows="one film per row, best first")
    top.set_defaults(handler=cmd_films_top)
