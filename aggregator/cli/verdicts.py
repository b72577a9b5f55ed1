"""`aggregator verdict …`: manual verdicts and the review queue.

- `verdict set URL positive|mixed|negative`: a person's verdict (source "manual", confidence
  1.0, fresh when positive), kept by re-crawls and `aggregator renormalise`.
- `verdict clear URL`: drops it; the review's verdict is decided again from what it states,
  as `aggregator renormalise` would.
- `verdict review [--below 0.6] [--limit N] [--publication KEY]`: the verdicts a person
  should check, inferred ones first, the least sure first.

The work is in aggregator.db.verdict_store; an unknown URL exits 2 with the reason.
"""

from __future__ import annotations

import sys

from aggregator.cli.common import EXIT_NOT_FOUND, EXIT_OK, EXIT_USAGE, _open
from aggregator.cli.terminal import for_terminal as shown
from aggregator.items import VERDICTS
from aggregator.verdicts import REVIEW_BELOW


def cmd_verdict_set(args) -> int:
    from aggregator.db.verdict_store import VerdictError, set_manual_verdict

    _, engine, sessions = _open(args)
    try:
        with sessions() as session:
            change = set_manual_verdict(session, args.url, args.verdict)
            session.commit()
    except VerdictError as error:
        print(f"aggregator verdict set: {error}", file=sys.stderr)
        return EXIT_NOT_FOUND
    finally:
        engine.dispose()
    verdict, source = change.before
    was = f"{verdict or 'no verdict'}" + (f" ({source})" if source else "")
    print(shown(f"{change.url}: {args.verdict} (manual; was {was}); kept by later crawls and renormalise"))
    return EXIT_OK


def cmd_verdict_clear(args) -> int:
    from aggregator.db.verdict_store import VerdictError, clear_manual_verdict
    from aggregator.identity.publications import RegistryError, load_registry
    from aggregator.renormalise import renormalise

    try:
        registry = load_registry(extra_paths=args.publications)
    except RegistryError as error:
        print(f"aggregator verdict clear: {error}", file=sys.stderr)
        return EXIT_USAGE
    _, engine, sessions = _open(args)
    try:
        with sessions() as session:
            cleared = clear_manual_verdict(session, args.url)
            session.commit()
        if cleared is None:
            print(shown(f"{args.url}: no manual verdict to clear (nothing changed)"))
            return EXIT_OK
        review_id, url = cleared
        renormalise(sessions, lookup=registry.get, urls=[url])
        from aggregator.db.models import Review

        with sessions() as session:
            review = session.get(Review, review_id)
            verdict, source, confidence = review.verdict, review.verdict_source, review.confidence
    except VerdictError as error:
        print(f"aggregator verdict clear: {error}", file=sys.stderr)
        return EXIT_NOT_FOUND
    finally:
        engine.dispose()
    decided = "no verdict" if verdict is None else f"{verdict} ({source}, confidence {_confidence(confidence)})"
    print(shown(f"{url}: manual verdict cleared; decided again: {decided}"))
    return EXIT_OK


def cmd_verdict_review(args) -> int:
    from sqlalchemy import select

    from aggregator.db.models import Publication
    from aggregator.db.verdict_store import low_confidence_verdicts

    if not 0 < args.below <= 1 or (args.limit is not None and args.limit < 1):
        print("aggregator verdict review: --below must be in (0, 1] and --limit at least 1", file=sys.stderr)
        return EXIT_USAGE
    _, engine, sessions = _open(args)
    try:
        with sessions() as session:
            if args.publication is not None and session.scalar(
                select(Publication.id).where(Publication.key == args.publication)
            ) is None:
                print(f"aggregator verdict review: no publication {args.publication!r}", file=sys.stderr)
                return EXIT_NOT_FOUND
            rows = low_confidence_verdicts(session, args.below, args.limit, args.publication)
    finally:
        engine.dispose()
    if not rows:
        print(f"no verdict with a confidence below {args.below:g} to check")
        return EXIT_OK
    for row in rows:
        print(shown(row.url))
        print(shown(f"  {row.outlet}; film {row.film or '—'}; verdict {row.verdict}"
                    f" ({row.source}, confidence {_confidence(row.confidence)})"))
        if row.excerpt:
            print(shown(f"  “{row.excerpt}”"))
    print(f"{len(rows)} verdict{'s' * (len(rows) != 1)} below confidence {args.below:g};"
          " settle one with `aggregator verdict set URL positive|mixed|negative`")
    return EXIT_OK


def _confidence(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def register(commands, common) -> None:
    verdict = commands.add_parser("verdict", help="manual verdicts and the verdicts to check")
    sub = verdict.add_subparsers(dest="verdict_command", required=True)

    set_ = sub.add_parser("set", parents=[common], help="set a review's verdict by hand")
    set_.add_argument("url", help="the review's canonical URL")
    set_.add_argument("verdict", choices=VERDICTS)
    set_.set_defaults(handler=cmd_verdict_set)

    clear = sub.add_parser("clear", parents=[common], help="drop a manual verdict; decide it again")
    clear.add_argument("url", help="the review's canonical URL")
    clear.add_argument("--publications", metavar="FILE", action="append", default=[],
                       help="extra registry file, as given to the crawl (repeatable)")
    clear.set_defaults(handler=cmd_verdict_clear)

    review = sub.add_parser("review", parents=[common],
                            help="low-confidence verdicts for a person to check, inferred first")
    review.add_argument("--below", type=float, default=REVIEW_BELOW,
                        help=f"list verdicts with a confidence under this (default {REVIEW_BELOW})")
    review.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    review.add_argument("--publication", metavar="KEY", help="only this outlet's reviews")
    review.set_defaults(handler=cmd_verdict_review)
