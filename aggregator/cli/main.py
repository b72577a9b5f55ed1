"""The `aggregator` command: the parser of every command group (COMMAND_MODULES), and `main`."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from aggregator.cli.common import (  # noqa: F401  (re-exported for callers of aggregator.cli.main)
    EXIT_EMPTY_RUN,
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_REJECTED,
    EXIT_USAGE,
)

# Modules adding sub-commands, each through register(commands, common), in the order --help lists them.
COMMAND_MODULES = (
    "aggregator.cli.films",
    "aggregator.cli.store",
    "aggregator.cli.ratings",
    "aggregator.cli.crawl",
    "aggregator.cli.critics",
    "aggregator.cli.importing",
    "aggregator.cli.train",
    "aggregator.cli.verdicts",
)


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", metavar="URL", help="database URL (outranks AGGREGATOR_DATABASE_URL)")
    common.add_argument("-v", "--verbose", action="store_true", help="log the crawl at INFO level")

    parser = argparse.ArgumentParser(prog="aggregator", description="Critics' review aggregator.")
    commands = parser.add_subparsers(dest="command", required=True)
    for module in COMMAND_MODULES:
        importlib.import_module(module).register(commands, common)
    return parser


def command_name(args: argparse.Namespace) -> str:
    """"film show", "db upgrade", "crawl": the words that chose the handler."""
    words = [args.command] + [value for name, value in sorted(vars(args).items())
                              if name.endswith(("_command", "_source")) and isinstance(value, str)]
    return " ".join(words)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except BrokenPipeError:  # `aggregator export | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as error:
        from aggregator.cli.errors import explain, one_line

        known = explain(error)
        if known is None:
            raise  # not an error the user can fix: a bug, whose traceback is wanted
        message, code = known
        print(f"aggregator {command_name(args)}: {one_line(message)}", file=sys.stderr)
        return code


if __name__ == "__main__":
    sys.exit(main())
