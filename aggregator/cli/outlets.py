"""`aggregator outlet show KEY`, `aggregator outlet adjust FILM_TITLE`, `aggregator outlets`:
publications against each other (aggregator.query.outlet_profile, aggregator.query.outlet_leniency;
docs/queries-outlets.md). Query code is imported inside the handlers, so that `aggregator --help`
loads no SQLAlchemy."""

from __future__ import annotations

import argparse
import sys

from aggregator.cli.common import EXIT_NOT_FOUND, EXIT_OK, _open
from aggregator.cli.tables import add_output_options, json_text, percent, positive_int, share_line, write_csv
from aggregator.cli.terminal import for_terminal as shown
from aggregator.cli.terminal import for_terminal_block


def _runs(figure, what: str = "scored reviews") -> str:
    """"runs 6.0 points high [+2.1 to +9.9] over 40 scored reviews (0 inferred)"."""
    if figure.value is None:
        return f"{figure.too_few} ({figure.inferred} inferred)"
    level = ("level with the others" if abs(figure.value) < 0.05
             else f"{abs(figure.value):.1f} points {'high' if figure.value > 0 else 'low'}")
    return (f"runs {level} [{figure.low:+.1f} to {figure.high:+.1f}] over {figure.denominator} {what}"
            f" ({figure.inferred} inferred)")


def _base_line(base, what: str) -> str:
    return f"      against the other outlets' reviews of {base.films} films: {base.calls} {what}, {base.inferred} inferred"


def format_outlet(profile) -> str:
    years = ("-" if profile.first_year is None else
             f"{profile.first_year}" + (f"-{profile.last_year}" if profile.last_year != profile.first_year else ""))
    scales = ", ".join(f"{s.scale or 'no rating'} {s.reviews}" for s in profile.scales) or "-"
    lines = [
        f"outlet {profile.key}: {profile.name}" + (" (provisional)" if profile.provisional else ""),
        f"  reviews    {profile.reviews} ({profile.without_film} without a film, left out of the figures below)",
        f"  critics    {profile.critics}",
        f"  active     {years} ({profile.undated} undated)",
        f"  scales     {scales}",
        "  positive   " + share_line(profile.positive, "reviews with a call")
        + " (an inferred call counts by its probability)",
        "  agreement  " + share_line(profile.agreement, "reviews")
        + (f"; {profile.ties} on films the others split evenly left out" if profile.ties else ""),
        _base_line(profile.agreement_base, "calls"),
        "  leniency   " + _runs(profile.leniency),
        _base_line(profile.leniency_base, "scores"),
        (f"  consensus of films with >= {profile.min_other_reviews} other outlets' reviews;"
         f" a figure needs >= {profile.minimum_inputs} inputs"),
    ]
    return "\n".join(lines)


def cmd_outlet_show(args) -> int:
    from aggregator.query.critic_profile import MIN_OTHER_REVIEWS
    from aggregator.query.outlet_profile import OutletNotStored, outlet_profile, outlet_profile_record, similar_keys

    min_others = MIN_OTHER_REVIEWS if args.min_others is None else args.min_others
    _, engine, sessions = _open(args)
    try:
        with sessions() as session:
            try:
                profile = outlet_profile(session, args.key, min_other_reviews=min_others)
            except OutletNotStored as error:
                close = similar_keys(session, args.key)
                hint = f"; did you mean {', '.join(close)}?" if close else "; `aggregator outlets` lists them"
                print(shown(f"aggregator outlet show: {error}{hint}"), file=sys.stderr)
                return EXIT_NOT_FOUND
    finally:
        engine.dispose()
    print(json_text(outlet_profile_record(profile)) if args.json else for_terminal_block(format_outlet(profile)))
    return EXIT_OK


CSV_HEADER = ("key", "name", "reviews", "without_film", "comparable", "leniency", "leniency_low", "leniency_high",
              "leniency_inferred", "agreement_reviews", "agreement", "agreement_low", "agreement_high", "ties",
              "positive_reviews", "positive", "positive_low", "positive_high", "positive_inferred")


def _csv_row(entry) -> list:
    lenient, agree, positive = entry.leniency, entry.agreement, entry.positive
    return [entry.key, entry.name, entry.reviews, entry.without_film, lenient.denominator, lenient.value,
            lenient.low, lenient.high, lenient.inferred, agree.denominator, agree.value, agree.low, agree.high,
            entry.ties, positive.denominator, positive.value, positive.low, positive.high, positive.inferred]


def format_table(table) -> str:
    from aggregator.query.report import _table

    def leniency(figure) -> str:
        return "too few" if figure.value is None else f"{figure.value:+.1f} [{figure.low:+.1f} to {figure.high:+.1f}]"

    def share(figure) -> str:
        return ("too few" if figure.value is None
                else f"{percent(figure.value)} [{percent(figure.low)}-{percent(figure.high)}]")

    head = (f"{len(table.entries)} of {table.outlets} outlets (with >= {table.min_reviews} comparable reviews;"
            f" {table.left_out} with fewer left out), by {table.sort}; leniency: mean points above the other"
            f" outlets on films with >= {table.min_other_reviews} other scores")
    rows = [[shown(e.key), shown(e.name), str(e.reviews), str(e.leniency.denominator), leniency(e.leniency),
             share(e.agreement), share(e.positive), str(e.positive.inferred)] for e in table.entries]
    return head + "\n" + _table(["outlet", "name", "reviews", "comparable", "leniency (95%)", "agreement",
                                 "positive", "inferred"], rows)


def cmd_outlets(args) -> int:
    from aggregator.query.outlet_leniency import MIN_COMPARABLE, outlet_table, outlet_table_record

    options = {} if args.min_others is None else {"min_other_reviews": args.min_others}
    _, engine, sessions = _open(args)
    try:
        with sessions() as session:
            table = outlet_table(session, sort=args.sort, limit=args.limit,
                                 min_reviews=MIN_COMPARABLE if args.min_reviews is None else args.min_reviews,
                                 **options)
    finally:
        engine.dispose()
    if args.json:
        print(json_text(outlet_table_record(table)))
    elif args.csv:
        write_csv(sys.stdout, CSV_HEADER, (_csv_row(e) for e in table.entries))
    else:
        print(for_terminal_block(format_table(table)))
    return EXIT_OK


def format_adjusted(result) -> str:
    def mean(figure) -> str:
        if figure.value is None:
            return figure.too_few
        return f"{figure.value:.1f} [{figure.low:.1f}-{figure.high:.1f}] over {figure.denominator} scored reviews"

    lines = [f"{result.title} ({result.year or 'year unknown'})",
             f"  plain score     {mean(result.plain)}",
             f"  adjusted score  {mean(result.adjusted)}",
             (f"  corrected       {result.corrected} reviews; {result.uncorrected} not (their outlet has fewer"
              f" than {result.min_comparable} comparable reviews)")]
    for c in result.corrections:
        what = (f"{-c.leniency:+.1f} (runs {c.leniency:+.1f} over {c.comparable} comparable)" if c.applied
                else f"no correction ({c.comparable} comparable)")
        lines.append(f"    {c.key:<24} {c.reviews:>4} reviews  {what}")
    lines.append(f"  method: {result.method}")
    return "\n".join(lines)


def cmd_outlet_adjust(args) -> int:
    from aggregator.query.outlet_leniency import MIN_COMPARABLE, adjusted_film_score
    from aggregator.query.scores import find_films

    _, engine, sessions = _open(args)
    try:
        with sessions() as session:
            films = find_films(session, args.title, args.year)
            if len(films) != 1:
                if not films:
                    print(shown(f"aggregator outlet adjust: no film {args.title!r}"
                                + (f" ({args.year})" if args.year else "") + " in the database"), file=sys.stderr)
                else:
                    print(shown(f"aggregator outlet adjust: {len(films)} films match {args.title!r}; give --year: "
                                + ", ".join(str(f.year or "year unknown") for f in films)), file=sys.stderr)
                return EXIT_NOT_FOUND
            options = {} if args.min_others is None else {"min_other_reviews": args.min_others}
            result = adjusted_film_score(session, films[0].id,
                                         min_comparable=MIN_COMPARABLE if args.min_comparable is None
                                         else args.min_comparable, **options)
    finally:
        engine.dispose()
    print(for_terminal_block(format_adjusted(result)))
    return EXIT_OK


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be at least 0: {text!r}")
    return value




def register(commands, common) -> None:
    min_others_help = ("films enter the consensus figures with at least N other outlets' reviews "
                       "(default: critic_profile.MIN_OTHER_REVIEWS, docs/queries-outlets.md)")
    outlet = commands.add_parser("outlet", help="one publication against the others").add_subparsers(
        dest="outlet_command", required=True)
    show = outlet.add_parser("show", parents=[common],
                             help="an outlet's reviews, critics, scales, fresh share, agreement and leniency")
    show.add_argument("key", metavar="KEY", help="the outlet's registry key")
    show.add_argument("--min-others", type=positive_int, metavar="N", help=min_others_help)
    show.add_argument("--json", action="store_true", help="JSON (aggregator/schemas/outlet-profile.schema.json)")
    show.set_defaults(handler=cmd_outlet_show)
    adjust = outlet.add_parser("adjust", parents=[common],
                               help="a film's average score with each outlet's leniency subtracted")
    adjust.add_argument("title", metavar="FILM_TITLE")
    adjust.add_argument("--year", type=int)
    adjust.add_argument("--min-comparable", type=positive_int, metavar="N",
                        help="correct only outlets with at least N comparable reviews (default: MIN_COMPARABLE = 20)")
    adjust.add_argument("--min-others", type=positive_int, metavar="N", help=min_others_help)
    adjust.set_defaults(handler=cmd_outlet_adjust)

    outlets = commands.add_parser("outlets", parents=[common], help="the leniency table of every outlet")
    outlets.add_argument("--min-reviews", type=_count, metavar="N",
                         help="outlets with at least N comparable reviews (default: MIN_COMPARABLE = 20)")
    outlets.add_argument("--sort", choices=("leniency", "reviews", "positive"), default="leniency",
                         help="most lenient, most reviews or highest fresh share first (default leniency)")
    outlets.add_argument("--limit", type=positive_int, metavar="N", help="outlets listed (default all)")
    outlets.add_argument("--min-others", type=positive_int, metavar="N", help=min_others_help)
    add_output_options(outlets, "outlets.schema.json", csv_rows="one outlet per row")
    outlets.set_defaults(handler=cmd_outlets)
