"""Start-up of the `aggregator` command: how long a process takes to answer, and what it loads.

    python -m benchmarks.startup [--rounds 15] [--against REV]

Each command below runs as a fresh process (`python -c` importing the CLI from a source tree,
so that two trees can share one virtual environment). With `--against REV` the same commands
also run from a temporary `git worktree` of REV, paired round by round (REV, this tree, REV, …)
because the machines are shared and noisy; the report gives medians with min–max and the ratio
this tree / REV. Commands that need no database must not load SQLAlchemy, and none but `crawl`
should load Scrapy or scikit-learn: the heavy packages each command loaded are listed.
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
COMMANDS = (("--help",), ("rating", "3½/5"), ("db", "url", "--db", "sqlite:///startup-unused.sqlite"))
HEAVY = ("scrapy", "twisted", "sklearn", "numpy", "scipy", "sqlalchemy", "alembic", "dateparser")


def _entry_module(tree: Path) -> str:
    # the entry point moved from aggregator/cli.py to aggregator/cli/main.py (issue 13)
    return "aggregator.cli.main" if (tree / "aggregator" / "cli" / "main.py").exists() else "aggregator.cli"


def _code(tree: Path, args: tuple[str, ...], report_modules: bool) -> str:
    report = "print('MODULES', ' '.join(sys.modules), file=sys.stderr)" if report_modules else "pass"
    return (f"import sys\nsys.argv = ['aggregator', *{list(args)!r}]\nfrom {_entry_module(tree)} import main\n"
            f"try:\n    code = main()\nfinally:\n    {report}\nraise SystemExit(code)")


def run_once(tree: Path, args: tuple[str, ...]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", _code(tree, args, False)], cwd=tree,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)  # fmt: skip
    return time.perf_counter() - start


def heavy_modules(tree: Path, args: tuple[str, ...]) -> list[str]:
    done = subprocess.run([sys.executable, "-c", _code(tree, args, True)], cwd=tree,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)  # fmt: skip
    names = next((line.split()[1:] for line in done.stderr.splitlines() if line.startswith("MODULES")), [])
    return sorted({name.split(".")[0] for name in names} & set(HEAVY))


def _summary(times: list[float]) -> str:
    return f"median {statistics.median(times) * 1000:.0f} ms [{min(times) * 1000:.0f}–{max(times) * 1000:.0f}]"


def measure(rounds: int, against: Path | None) -> list[str]:
    lines = []
    for args in COMMANDS:
        here: list[float] = []
        there: list[float] = []
        for _ in range(rounds):
            if against is not None:
                there.append(run_once(against, args))
            here.append(run_once(ROOT, args))
        label = "aggregator " + " ".join(args)
        line = f"{label}: this tree {_summary(here)}, loads {', '.join(heavy_modules(ROOT, args)) or 'none of the heavy packages'}"
        if against is not None:
            ratio = statistics.median(here) / statistics.median(there)
            line += (f"; {against.name} {_summary(there)}, loads {', '.join(heavy_modules(against, args)) or 'none'}"
                     f"; this/{against.name} {ratio:.2f}")  # fmt: skip
        lines.append(line)
    return lines


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
