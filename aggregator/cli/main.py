"""The `aggregator` command: the parser of every command group (COMMAND_GROUPS), and `main`."""

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

COMMAND_GROUPS = {
    "aggregator.cli.films": ("demo", "film"),
    "aggregator.cli.leaderboards": ("films",),
    "aggregator.cli.store": ("export", "runs", "renormalise", "db"),
    "aggregator.cli.ratings": ("rating",),
    "aggregator.cli.crawl": ("crawl",),
    "aggregator.cli.critics": ("critic",),
    "aggregator.cli.outlets": ("outlet", "outlets"),
    "aggregator.cli.like_me": ("critics",),
    "aggregator.cli.importing": ("import",),
    "aggregator.cli.train": ("train-verdicts",),
    "aggregator.cli.verdicts": ("verdict",),
}
"""The modules adding sub-commands, each through register(commands, common), in the order
--help lists them, with the top-level commands each adds (tests/test_cli_startup.py holds the
two equal). A command's own module is the only one `main` loads: the others cost start-up
(the rating scales, the verdict rules, argparse's set-up) that the command does not use."""
COMMAND_MODULES = tuple(COMMAND_GROUPS)
_MODULE_OF = {command: module for module, commands in COMMAND_GROUPS.items() for command in commands}


def build_parser(modules: Sequence[str] = COMMAND_MODULES) -> argparse.ArgumentParser:
    """The `aggregator` parser with the commands of `modules` (by default, all of them)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", metavar="URL", help="database URL (outranks AGGREGATOR_DATABASE_URL)")
    common.add_argument("-v", "--verbose", action="store_true", help="log the crawl at INFO level")

    parser = argparse.ArgumentParser(prog="aggregator", description="Critics' review aggregator.")
    commands = parser.add_subparsers(dest="command", required=True)
    for module in modules:
        importlib.import_module(module).register(commands, common)
    return parser


def parse_arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """`argv` (default sys.argv[1:]) parsed as the whole parser would, building only the
    parser of the command it names; with no known command first (`--help`, a typo), all."""
    argv = list(sys.argv[1:] if argv is None else argv)
    module = _MODULE_OF.get(argv[0]) if argv else None
    if module is None:
        return build_parser().parse_args(argv)
    args, extras = build_parser((module,)).parse_known_args(argv)
    if extras:  # an error, whose usage line argparse draws from the whole parser's commands
        return build_parser().parse_args(argv)
    return args


def command_name(args: argparse.Namespace) -> str:
    """"film show", "db upgrade", "crawl": the words that chose the handler."""
    words = [args.command] + [value for name, value in sorted(vars(args).items())
                              if name.endswith(("_command", "_source")) and isinstance(value, str)]
    return " ".join(words)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_arguments(argv)
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
