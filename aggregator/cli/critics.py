"""`aggregator critic …`: stored critics (merge, show).

`critic merge [--dry-run]` merges the stored critics the evidence says are one person
(aggregator.db.critic_merge); `critic merge ID ID [--force]` merges two by hand;
`critic show NAME|ID` lists a critic's outlets, profiles, aliases and review count.
"""

from __future__ import annotations

import sys

from aggregator.cli.common import EXIT_NOT_FOUND, EXIT_OK, EXIT_REFUSED, EXIT_USAGE, _open, _open_for
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


def cmd_critic_show(args) -> int:
    from aggregator.db.critic_merge import find_critics, review_counts

    _, engine, sessions = _open(args)
    try:
        with sessions() as session:
            critics = find_critics(session, args.critic)
            counts = review_counts(session, [c.id for c in critics])
    finally:
        engine.dispose()
    if not critics:
        print(f"aggregator critic show: no critic {args.critic!r} in the database", file=sys.stderr)
        return EXIT_NOT_FOUND
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
    show.set_defaults(handler=cmd_critic_show)
