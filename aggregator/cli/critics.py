"""`aggregator critic …`: stored critics (merge, show).

`critic merge [--dry-run]` merges the stored critics the evidence says are one person
(aggregator.db.critic_merge); `critic merge ID ID [--force]` merges two by hand;
`critic show NAME|ID` lists a critic's outlets, profiles, aliases and review count, then their
figures against the consensus (aggregator.query.critic_profile); `critic compare A B` and
`critic similar A` set critics against each other (aggregator.query.critic_compare). Each
takes `--json` (schemas in aggregator/schemas/critic-*.schema.json; docs/queries-critics.md).
"""

from __future__ import annotations

import sys

from aggregator.cli.common import EXIT_NOT_FOUND, EXIT_OK, EXIT_REFUSED, EXIT_USAGE, _open, _open_for
from aggregator.cli.tables import add_output_options, json_text, percent, share_line, write_csv
from aggregator.cli.terminal import for_terminal as shown


def refusal_exit_code(error: Exception) -> int:
    """The exit code of a merge by hand that was not done (a MergeRefused), by its kind."""
    from aggregator.db.critic_merge import CriticNotFound, ProfilesConflict, SameCriticTwice

    if isinstance(error, CriticNotFound):
        return EXIT_NOT_FOUND
    if isinstance(error, SameCriticTwice):  # two ids that are one: a mistake in the arguments
        return EXIT_USAGE
    if isinstance(error, ProfilesConflict):
        return EXIT_REFUSED
    raise TypeError(f"no exit code for the merge refusal {type(error).__name__}") from error


def cmd_critic_merge(args) -> int:
    from aggregator.db.critic_merge import MergeRefused, merge_critics, merge_stored_critics

    if args.ids and len(args.ids) != 2:
        print("aggregator critic merge: give no id (merge on evidence) or exactly two ids",
              file=sys.stderr)
        return EXIT_USAGE
    if args.force and not args.ids:
        print("aggregator critic merge: --force only applies to a merge of two ids", file=sys.stderr)
        return EXIT_USAGE
    opened = _open_for(args, "critic merge", dry_run=args.dry_run)
    if opened is None:
        return EXIT_USAGE
    _, engine, sessions = opened
    note = " (dry run: nothing written)" if args.dry_run else ""
    try:
        with sessions() as session:
            if args.ids:
                try:
                    merge, _ = merge_critics(session, args.ids[0], args.ids[1], force=args.force,
                                             dry_run=args.dry_run)
                except MergeRefused as error:
                    print(f"aggregator critic merge: {error}", file=sys.stderr)
                    return refusal_exit_code(error)
                merges = [merge]
            else:
                merges = merge_stored_critics(session, dry_run=args.dry_run)
            if not args.dry_run:
                session.commit()
    finally:
        engine.dispose()
    for merge in merges:
        merged = ", ".join(f"{c.id} {c.name!r}" for c in merge.merged)
        print(shown(f"critic {merge.into.id} {merge.into.name!r} <- {merged}"))
        for reason in merge.reasons:
            print(shown(f"  {reason}"))
    rows = sum(len(m.merged) for m in merges)
    verb = "would merge" if args.dry_run else "merged"
    print(f"{verb} {rows} critic row{'s' * (rows != 1)} into {len(merges)}{note}")
    return EXIT_OK




def _points(value: float) -> str:
    if abs(value) < 0.05:
        return "level with the others"
    return f"{abs(value):.1f} points {'high' if value > 0 else 'low'}"


def _base_line(base, what: str) -> str:
    return f"      against the other reviews of {base.films} films: {base.calls} {what}, {base.inferred} inferred"


def format_profile(profile) -> str:
    """The consensus figures of `critic show`, under its identity lines."""
    lines = []
    if profile.outlets:
        lines.append("  by outlet  " + ", ".join(f"{o.key} {o.reviews}" for o in profile.outlets))
    years = ("-" if profile.first_year is None else
             f"{profile.first_year}" + (f"-{profile.last_year}" if profile.last_year != profile.first_year else ""))
    lines.append(f"  active   {years} ({profile.undated} undated)")
    lines.append(f"  figures  over {profile.reviews - profile.without_film} reviews with a film "
                 f"({profile.without_film} without one left out); consensus of films with "
                 f">= {profile.min_other_reviews} other reviews")
    lines.append("  agreement   " + share_line(profile.agreement, "reviews")
                 + (f"; {profile.ties} on films the others split evenly left out" if profile.ties else ""))
    lines.append(_base_line(profile.agreement_base, "calls"))
    leniency = profile.leniency
    if leniency.value is None:
        lines.append(f"  leniency    {leniency.too_few} ({leniency.inferred} inferred)")
    else:
        lines.append(f"  leniency    runs {_points(leniency.value)} [{leniency.low:+.1f} to {leniency.high:+.1f}]"
                     f" over {leniency.denominator} scored reviews ({leniency.inferred} inferred)")
    lines.append(_base_line(profile.leniency_base, "scores"))
    lines.append("  contrarian  " + share_line(profile.contrarian, "reviews")
                 + f" on films with a >= {percent(profile.strong_consensus)} consensus")
    lines.append(_base_line(profile.contrarian_base, "calls"))
    scores = profile.scores
    lines.append(f"  scores   {scores.denominator} scored reviews ({scores.inferred} inferred)"
                 + (":" if scores.denominator else ""))
    if scores.denominator:
        widest = max(b.count for b in scores.bins)
        for score_bin in scores.bins:
            bar = "#" * round(30 * score_bin.count / widest) if widest else ""
            lines.append(f"    {score_bin.low:>3}-{score_bin.high - 1 if score_bin.high < 100 else 100:<3}"
                         f" {score_bin.count:>5} {bar}")
    return "\n".join(lines)


def _call(call: bool | None) -> str:
    return "-" if call is None else ("fresh" if call else "rotten")


def _score(score: float | None) -> str:
    return "-" if score is None else f"{score:.0f}"


def format_comparison(comparison) -> str:
    from aggregator.query.report import _table

    a, b = shown(comparison.name_a), shown(comparison.name_b)  # escaped before the widths are measured
    lines = [f"{a} ({comparison.critic_a}) vs {b} ({comparison.critic_b})",
             f"  films both reviewed  {comparison.shared_films}"
             + (f" ({comparison.co_written} co-written reviews left out)" if comparison.co_written else ""),
             "  verdict agreement    " + share_line(comparison.agreement, "films both called")]
    correlation = comparison.correlation
    lines.append("  score correlation    " + (
        f"{correlation.too_few} ({correlation.inferred} inferred)" if correlation.value is None else
        f"r = {correlation.value:+.2f} over {correlation.denominator} films both scored"
        f" ({correlation.inferred} inferred)"))
    difference = comparison.mean_difference
    lines.append("  mean difference      " + (
        f"{difference.too_few}" if difference.value is None else
        f"{a} scores {_points(difference.value)} [{difference.low:+.1f} to {difference.high:+.1f}]"
        f" over {difference.denominator} films"))
    if comparison.disagreements:
        lines += ["", "Films they disagree on most:",
                  _table(["film", "year", a, "", b, "", "difference"],
                         [[shown(d.title), str(d.year or "-"), _score(d.score_a), _call(d.call_a), _score(d.score_b),
                           _call(d.call_b), "-" if d.difference is None else f"{d.difference:+.0f}"]
                          for d in comparison.disagreements])]
    return "\n".join(lines)


def format_similar(similar) -> str:
    from aggregator.query.report import _table

    head = (f"Critics most like {similar.name} ({similar.critic_id}): {similar.candidates} share at least "
            f"{similar.min_overlap} films both called; ranked by the low end of the 95% interval")
    if not similar.critics:
        return head
    rows = [[str(c.critic_id), shown(c.name), str(c.agreement.denominator), percent(c.agreement.value),
             f"{percent(c.agreement.low)}-{percent(c.agreement.high)}", str(c.agreement.inferred)]
            for c in similar.critics]
    return head + "\n" + _table(["id", "critic", "films", "agree", "95% interval", "inferred"], rows)


def _critic_entry(critic, profile) -> dict:
    """A `critic show --json` element: the profile and the identity evidence behind it."""
    from aggregator.query.critic_profile import profile_record

    return {**profile_record(profile),
            "profiles": [{"key": key, "outlet": outlet} for key, outlet in sorted(critic.profiles.items())],
            "aliases": [{"spelling": spelling, "outlet": outlet} for spelling, _, outlet in critic.aliases]}


def cmd_critic_show(args) -> int:
    from aggregator.db.critic_merge import find_critics, review_counts
    from aggregator.query.critic_profile import MIN_OTHER_REVIEWS, critic_profile

    min_others = MIN_OTHER_REVIEWS if args.min_others is None else args.min_others
    _, engine, sessions = _open(args)
    try:
        with sessions() as session:
            critics = find_critics(session, args.critic)
            counts = review_counts(session, [c.id for c in critics])
            profiles = {c.id: critic_profile(session, c.id, min_other_reviews=min_others)
                        for c in critics}
    finally:
        engine.dispose()
    if not critics:
        print(f"aggregator critic show: no critic {args.critic!r} in the database", file=sys.stderr)
        return EXIT_NOT_FOUND
    if args.json:
        print(json_text({"query": args.critic, "critics": [_critic_entry(c, profiles[c.id]) for c in critics]}))
        return EXIT_OK
    if len(critics) > 1:
        print(f"{len(critics)} critics are named {args.critic!r} (namesakes kept apart: no "
              "evidence joins them):")
    for critic in critics:
        print(shown(f"critic {critic.id}: {critic.name}"))
        print(shown(f"  outlets  {', '.join(critic.outlets) or '-'}"))
        print(f"  reviews  {counts.get(critic.id, 0)}")
        for key, outlet in sorted(critic.profiles.items()):
            print(shown(f"  profile  {key}" + (f" (from {outlet})" if outlet else "")))
        for spelling, _, outlet in critic.aliases:
            print(shown(f"  alias    {spelling}" + (f" ({outlet})" if outlet else "")))
        print(shown(format_profile(profiles[critic.id]), keep_newlines=True))
    return EXIT_OK


def _resolve(session, text: str, command: str):
    """The one stored critic `text` (a name or an id) names, or the exit code after saying
    why not: none (not found), or namesakes (listed, so that an id can be given)."""
    from aggregator.db.critic_merge import find_critics

    critics = find_critics(session, text)
    if not critics:
        print(f"aggregator critic {command}: no critic {text!r} in the database", file=sys.stderr)
        return None, EXIT_NOT_FOUND
    if len(critics) > 1:
        print(shown(f"aggregator critic {command}: {len(critics)} critics are named {text!r}; give an id: "
                    + "; ".join(f"{c.id} ({', '.join(c.outlets) or '-'})" for c in critics)), file=sys.stderr)
        return None, EXIT_USAGE
    return critics[0], EXIT_OK


def cmd_critic_compare(args) -> int:
    from aggregator.query.critic_compare import compare_critics, comparison_record

    _, engine, sessions = _open(args)
    try:
        with sessions() as session:
            (a, code_a), (b, code_b) = (_resolve(session, name, "compare") for name in (args.a, args.b))
            if a is None or b is None:
                return code_a or code_b
            if a.id == b.id:
                print(f"aggregator critic compare: {args.a!r} and {args.b!r} are one critic ({a.id})",
                      file=sys.stderr)
                return EXIT_USAGE
            comparison = compare_critics(session, a.id, b.id)
    finally:
        engine.dispose()
    if args.csv:  # the films they disagree on most, one per row
        write_csv(sys.stdout, ("film_id", "title", "year", "score_a", "score_b", "difference", "call_a", "call_b",
                               "opposite_calls"),
                  ((d.film_id, d.title, d.year, d.score_a, d.score_b, d.difference, d.call_a, d.call_b,
                    d.opposite_calls) for d in comparison.disagreements))
        return EXIT_OK
    print(json_text(comparison_record(comparison)) if args.json
          else shown(format_comparison(comparison), keep_newlines=True))
    return EXIT_OK


def cmd_critic_similar(args) -> int:
    from aggregator.query.critic_compare import MIN_OVERLAP, similar_critics, similar_record

    min_overlap = MIN_OVERLAP if args.min_overlap is None else args.min_overlap
    _, engine, sessions = _open(args)
    try:
        with sessions() as session:
            critic, code = _resolve(session, args.critic, "similar")
            if critic is None:
                return code
            similar = similar_critics(session, critic.id, min_overlap=min_overlap, limit=args.limit)
    finally:
        engine.dispose()
    if args.csv:
        write_csv(sys.stdout, ("rank", "critic_id", "name", "shared_films", "agreed", "agreement", "low", "high",
                               "inferred", "too_few"),
                  ((rank, c.critic_id, c.name, c.agreement.denominator, c.agreement.count, c.agreement.value,
                    c.agreement.low, c.agreement.high, c.agreement.inferred, c.agreement.too_few)
                   for rank, c in enumerate(similar.critics, 1)))
        return EXIT_OK
    print(json_text(similar_record(similar)) if args.json else shown(format_similar(similar), keep_newlines=True))
    return EXIT_OK


def register(commands, common) -> None:
    critic = commands.add_parser("critic", help="stored critics").add_subparsers(
        dest="critic_command", required=True)
    merge = critic.add_parser(
        "merge", parents=[common],
        help="merge stored critics that the evidence says are one person (or two ids by hand)")
    merge.add_argument("ids", nargs="*", type=int, metavar="ID",
                       help="two critic ids to merge by hand (see `aggregator critic show`)")
    merge.add_argument("--dry-run", action="store_true", help="print the merges, write nothing")
    merge.add_argument("--force", action="store_true",
                       help="merge two ids even when their profile pages say two people")
    merge.set_defaults(handler=cmd_critic_merge)
    show = critic.add_parser("show", parents=[common],
                             help="a critic's outlets, profiles, aliases and review count")
    show.add_argument("critic", metavar="NAME|ID")
    show.add_argument("--min-others", type=int, metavar="N",
                      help="films enter the consensus figures with at least N other reviews "
                           "(default: MIN_OTHER_REVIEWS, docs/queries-critics.md)")
    show.add_argument("--json", action="store_true",
                      help="print JSON (aggregator/schemas/critic-profile.schema.json)")
    show.set_defaults(handler=cmd_critic_show)
    compare = critic.add_parser("compare", parents=[common],
                                help="two critics over the films both reviewed")
    compare.add_argument("a", metavar="A")
    compare.add_argument("b", metavar="B")
    add_output_options(compare, "critic-compare.schema.json", csv_rows="the films they disagree on most, one per row")
    compare.set_defaults(handler=cmd_critic_compare)
    similar = critic.add_parser("similar", parents=[common],
                                help="the critics whose calls most often match a critic's")
    similar.add_argument("critic", metavar="NAME|ID")
    similar.add_argument("--min-overlap", type=int, metavar="N",
                         help="rank only critics sharing at least N films both called "
                              "(default: MIN_OVERLAP, docs/queries-critics.md)")
    similar.add_argument("--limit", type=int, default=10, metavar="N")
    add_output_options(similar, "critic-similar.schema.json", csv_rows="one critic per row, best first")
    similar.set_defaults(handler=cmd_critic_similar)
