"""`aggregator rating TEXT [--scale S] [--json]`: how one rating string is read."""

from __future__ import annotations

from aggregator.cli.common import EXIT_OK, EXIT_REJECTED


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



def register(commands, common) -> None:
    from aggregator.ratings.scales import SCALES

    rating = commands.add_parser("rating", help="show how a rating string is read")
    rating.add_argument("text", help='the rating as a page writes it, e.g. "3 1/2 stars"')
    rating.add_argument("--scale", choices=sorted(SCALES), help="the outlet's scale, for ratings that do not state theirs")
    rating.add_argument("--json", action="store_true", help="machine-readable output")
    rating.set_defaults(handler=cmd_rating)
