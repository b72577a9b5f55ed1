"""Start-up of the `aggregator` command: how long a process takes to answer, and what it loads.

    python -m benchmarks.startup [--rounds 15] [--against REV]

Each command below runs as a fresh process (`python -c` importing the CLI from a source tree,
so that two trees can share one virtual environment). `film show` reads a small SQLite store
(a dozen reviews of three films) that each tree builds for itself in a temporary folder with
its own `save_reviews`, so that the store is at that tree's schema head: the time is the
command's start-up and schema check, the query itself takes a few milliseconds. With
`--against REV` the same commands also run from a temporary `git worktree` of REV, paired round
by round (REV, this tree, REV, …) because the machines are shared and noisy; the report gives
medians with min–max and the ratio this tree / REV. Commands that need no database must not
load SQLAlchemy, none but `crawl` should load Scrapy or scikit-learn, and a command on SQLite
needs neither Alembic nor SQLAlchemy's PostgreSQL dialect: the heavy packages each command
loaded are listed.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STORE = "{store}"
"""Stands in a command for the URL of the tree's small store."""
FILM = "The Glass Orchard"
COMMANDS = (("--help",), ("rating", "3½/5"), ("db", "url", "--db", "sqlite:///startup-unused.sqlite"),
            ("film", "show", FILM, "--db", STORE))  # fmt: skip
HEAVY = ("scrapy", "twisted", "sklearn", "numpy", "scipy", "sqlalchemy", "sqlalchemy.dialects.postgresql",
         "alembic", "dateparser")  # fmt: skip
"""Packages (and one sub-package) that cost a command start-up when it loads them."""
FLOOR = "import aggregator.db.models"
"""What every database command imports before it can ask anything (SQLAlchemy, its ORM, the
models): measured in this tree as `python -c FLOOR`, the part of `film show` start-up left."""

_BUILD_STORE = """
import sys
from datetime import date
from types import SimpleNamespace

from sqlalchemy.orm import Session

from aggregator.db.session import ensure_schema, make_engine
from aggregator.db.upsert import save_reviews
from aggregator.items import ReviewItem

outlets = {key: SimpleNamespace(key=key, name=name, aliases=(), domains=(domain,), country=None, language="en",
                                scale="stars/5", weight=1.0, provisional=False)
           for key, name, domain in (("daily-lantern", "The Daily Lantern", "lantern.example"),
                                     ("reel-gazette", "Reel Gazette", "gazette.example"))}
items = []
for n, (film, year) in enumerate([(sys.argv[2], 2031), ("Paper Lanterns", 2030), ("The Quiet Tide", 2029)] * 4):
    key, domain = ("daily-lantern", "lantern.example") if n % 2 else ("reel-gazette", "gazette.example")
    stars = 1 + n % 5
    items.append(ReviewItem(
        url=f"https://{domain}/reviews/{n}", spider="startup", publication_raw=outlets[key].name,
        critic_raw=[f"Critic {n % 4}"], film_raw=film, rating_raw=f"{stars}/5", headline=f"{film} review",
        text="A film, reviewed.", publication=key, critics=[f"Critic {n % 4}"], film_title=film, film_year=year,
        rating_value=float(stars), rating_best=5.0, rating_worst=0.0, scale="stars/5", score=stars * 20.0,
        verdict="positive" if stars >= 3 else "negative", fresh=stars >= 3, verdict_source="rating",
        published=date(year, 5, 1 + n)))
engine = make_engine(sys.argv[1])
ensure_schema(engine)
with Session(engine) as session:
    save_reviews(session, items, outlets)
    session.commit()
engine.dispose()
"""
"""Builds the small store (argv: its URL, the film shown) with the code of the tree it runs in."""


def build_store(tree: Path, folder: Path) -> str:
    """The URL of a small SQLite store in `folder` written by `tree`'s code."""
    url = f"sqlite:///{folder / 'startup.sqlite'}"
    subprocess.run([sys.executable, "-c", _BUILD_STORE, url, FILM], cwd=tree, check=True, capture_output=True)
    return url


def with_store(args: tuple[str, ...], store: str) -> tuple[str, ...]:
    return tuple(store if arg == STORE else arg for arg in args)


def _entry_module(tree: Path) -> str:
    # the entry point moved from aggregator/cli.py to aggregator/cli/main.py (issue 13)
    return "aggregator.cli.main" if (tree / "aggregator" / "cli" / "main.py").exists() else "aggregator.cli"


def _code(tree: Path, args: tuple[str, ...], report_modules: bool) -> str:
    report = "print('MODULES', ' '.join(sys.modules), file=sys.stderr)" if report_modules else "pass"
    return (f"import sys\nsys.argv = ['aggregator', *{list(args)!r}]\nfrom {_entry_module(tree)} import main\n"
            f"try:\n    code = main()\nfinally:\n    {report}\nraise SystemExit(code)")


def run_once(tree: Path, args: tuple[str, ...]) -> float:
    return _run_code(tree, _code(tree, args, False))


def _run_code(tree: Path, code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=tree, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=False)  # fmt: skip
    return time.perf_counter() - start


def heavy_modules(tree: Path, args: tuple[str, ...]) -> list[str]:
    return loaded_and_exit(tree, args)[0]


def loaded_and_exit(tree: Path, args: tuple[str, ...]) -> tuple[list[str], int]:
    """(the heavy packages the command loaded, its exit code): a command timed while failing
    would measure its error path, so the report says so."""
    done = subprocess.run([sys.executable, "-c", _code(tree, args, True)], cwd=tree,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)  # fmt: skip
    names = next((line.split()[1:] for line in done.stderr.splitlines() if line.startswith("MODULES")), [])
    heavy = sorted(heavy for heavy in HEAVY if any(name == heavy or name.startswith(heavy + ".") for name in names))
    return heavy, done.returncode


def _loads(tree: Path, args: tuple[str, ...]) -> str:
    heavy, code = loaded_and_exit(tree, args)
    return f"loads {', '.join(heavy) or 'none of the heavy packages'}" + (f" (EXIT {code})" if code else "")


def _summary(times: list[float]) -> str:
    return f"median {statistics.median(times) * 1000:.0f} ms [{min(times) * 1000:.0f}–{max(times) * 1000:.0f}]"


def measure(rounds: int, against: Path | None) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="startup-store-") as scratch:
        stores = {ROOT: build_store(ROOT, Path(scratch))}
        if against is not None:
            (Path(scratch) / "against").mkdir()
            stores[against] = build_store(against, Path(scratch) / "against")
        lines = [_measure_command(args, rounds, against, stores) for args in COMMANDS]
    floor = [_run_code(ROOT, FLOOR) for _ in range(rounds)]
    return [*lines, f"floor of a database command (python -c {FLOOR!r}): this tree {_summary(floor)}"]


def _measure_command(args: tuple[str, ...], rounds: int, against: Path | None, stores: dict[Path, str]) -> str:
    here: list[float] = []
    there: list[float] = []
    for _ in range(rounds):
        if against is not None:
            there.append(run_once(against, with_store(args, stores[against])))
        here.append(run_once(ROOT, with_store(args, stores[ROOT])))
    label = "aggregator " + " ".join(repr(arg) if " " in arg else "<small store>" if arg == STORE else arg
                                     for arg in args)
    line = f"{label}: this tree {_summary(here)}, {_loads(ROOT, with_store(args, stores[ROOT]))}"
    if against is not None:
        ratio = statistics.median(here) / statistics.median(there)
        line += (f"; {against.name} {_summary(there)}, {_loads(against, with_store(args, stores[against]))}"
                 f"; this/{against.name} {ratio:.2f}")  # fmt: skip
    return line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.startup", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15, help="processes per command and tree (default 15)")
    parser.add_argument("--against", metavar="REV", help="a git revision to pair with this tree")
    args = parser.parse_args(argv)
    if args.against is None:
        print("\n".join(measure(args.rounds, None)))
        return 0
    with tempfile.TemporaryDirectory(prefix="startup-") as scratch:
        tree = Path(scratch) / args.against.replace("/", "_")[:12]
        subprocess.run(["git", "worktree", "add", "--detach", "--quiet", str(tree), args.against], cwd=ROOT, check=True)
        try:
            print("\n".join(measure(args.rounds, tree)))
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
