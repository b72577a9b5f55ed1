"""How fast the comparison queries answer on the 1M benchmark stores (issue 17).

    python -m benchmarks.queries [--reviews 1000000] [--backend sqlite|postgres|both] [--targets 200]
                                 [--only scorecard,top,...] [--json FILE]

The stores are benchmarks.store_1m's (built, or reused from its cache): the project's own schema,
a fictional world with Zipf-like film popularity, ~5,000 critics each with a leniency, ~300
outlets and ~28% unscored reviews with inferred calls (benchmarks.store_data). Each query is the
function the CLI calls (aggregator.query.*) on one warm session, timed call by call over random
targets drawn with a fixed seed (both backends get the same targets), after 3 calls not counted.
It prints p50 / p95 / max in milliseconds per query and backend beside the issue's goal.

Targets: `--targets` (200) random films, years, critics, critic pairs, persons; the table of
every outlet has no target (it is one question) and is asked `TABLE_ROUNDS` times.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select

from aggregator.db.models import Critic, Film, ReviewCritic
from aggregator.db.session import make_engine, session_factory
from benchmarks.store_1m import FULL_SIZE, ensure_store

TABLE_ROUNDS = 20
LIKE_ME_RATINGS = 500
PROFILE_REVIEWS = 2_000
"""Critic profile targets: the critics with about this many reviews (the issue's case)."""


@dataclass(frozen=True)
class Goal:
    p50_ms: float
    p95_ms: float | None = None


GOALS = {
    "scorecard": Goal(2, 10),
    "top": Goal(50),
    "critic_profile": Goal(50),
    "critic_compare": Goal(20),
    "critic_similar": Goal(500),
    "outlet_table": Goal(1000),
    "outlet_profile": Goal(100),
    "like_me": Goal(1000),
}


def _targets(session, rng: random.Random, count: int) -> dict[str, list[Callable[[], object]]]:
    """The calls to time, per query: each a closure over one random target."""
    from aggregator.query.critic_compare import compare_critics, similar_critics
    from aggregator.query.critic_profile import critic_profile
    from aggregator.query.leaderboard import top_films
    from aggregator.query.scorecard import film_scorecard

    films = list(session.execute(select(Film.id, Film.title, Film.year)))
    years = sorted({year for _, _, year in films if year is not None})
    by_reviews = session.execute(select(ReviewCritic.critic_id, func.count()).group_by(ReviewCritic.critic_id)
                                 .order_by(func.count().desc())).all()
    near = sorted(by_reviews, key=lambda row: abs(row[1] - PROFILE_REVIEWS))[:20]
    prolific = [critic for critic, _ in by_reviews[:300]]
    calls: dict[str, list[Callable[[], object]]] = {}
    calls["scorecard"] = [(lambda f=rng.choice(films)[0]: film_scorecard(session, f)) for _ in range(count)]
    calls["top"] = [(lambda y=rng.choice([None, *years[-30:]]), by=rng.choice(("positive", "score", "weighted")):
                     top_films(session, by=by, filters=_filters(y), limit=100)) for _ in range(count)]
    calls["critic_profile"] = [(lambda c=rng.choice(near)[0]: critic_profile(session, c)) for _ in range(count)]
    calls["critic_compare"] = [(lambda a=rng.choice(prolific), b=rng.choice(prolific): compare_critics(session, a, b))
                               for _ in range(count)]
    calls["critic_similar"] = [(lambda c=rng.choice(prolific): similar_critics(session, c)) for _ in range(count)]
    try:
        from aggregator.query.outlet_leniency import outlet_table
        from aggregator.query.outlet_profile import outlet_profile
    except ImportError:  # an older tree without the outlet queries
        pass
    else:
        from aggregator.db.models import Publication
        keys = list(session.scalars(select(Publication.key)))
        calls["outlet_table"] = [(lambda: outlet_table(session)) for _ in range(TABLE_ROUNDS)]
        calls["outlet_profile"] = [(lambda k=rng.choice(keys): outlet_profile(session, k)) for _ in range(count)]
    try:
        from aggregator.query.like_me import critics_like_me
        from aggregator.query.own_ratings import read_own_ratings
    except ImportError:
        pass
    else:
        persons = [read_own_ratings(_plain_csv(rng, films)) for _ in range(max(10, count // 4))]
        calls["like_me"] = [(lambda p=person: critics_like_me(session, p)) for person in persons]
    return calls


def _filters(year):
    from aggregator.query.leaderboard import Filters

    return Filters(year=year)


def _plain_csv(rng: random.Random, films) -> str:
    """A person's LIKE_ME_RATINGS ratings as the plain title,year,score CSV."""
    lines = ["title,year,score"]
    for _, title, year in rng.sample(films, min(LIKE_ME_RATINGS, len(films))):
        quoted = '"' + title.replace('"', '""') + '"'
        lines.append(f"{quoted},{year or ''},{rng.randrange(0, 101)}")
    return "\n".join(lines) + "\n"


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def measure(url: str, *, targets: int, only: set[str] | None, seed: int = 17) -> dict[str, dict[str, float]]:
    engine = make_engine(url)
    results: dict[str, dict[str, float]] = {}
    try:
        with session_factory(engine)() as session:
            for name, calls in _targets(session, random.Random(seed), targets).items():
                if only and name not in only:
                    continue
                for call in calls[:3]:  # warm: caches, compiled statements, pages
                    call()
                times = []
                for call in calls:
                    started = time.perf_counter()
                    call()
                    times.append((time.perf_counter() - started) * 1000)
                    session.expunge_all()  # every call reads as a new request would
                results[name] = {"n": len(times), "p50": statistics.median(times),
                                 "p95": _percentile(times, 0.95), "max": max(times)}
                print(f"  {name:15} n={len(times):4}  p50 {results[name]['p50']:8.1f} ms  "
                      f"p95 {results[name]['p95']:8.1f} ms  max {results[name]['max']:8.1f} ms  {_verdict(name, results[name])}",
                      flush=True)
    finally:
        engine.dispose()
    return results


def _verdict(name: str, result: dict[str, float]) -> str:
    goal = GOALS[name]
    met = result["p50"] <= goal.p50_ms and (goal.p95_ms is None or result["p95"] <= goal.p95_ms)
    wanted = f"p50 ≤ {goal.p50_ms:g}" + (f", p95 ≤ {goal.p95_ms:g}" if goal.p95_ms else "")
    return f"(goal {wanted} ms: {'met' if met else 'NOT met'})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.queries", description=__doc__.split("\n")[0])
    parser.add_argument("--reviews", type=int, default=FULL_SIZE["reviews"])
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--targets", type=int, default=200)
    parser.add_argument("--only", help="comma-separated query names: " + ", ".join(GOALS))
    parser.add_argument("--json", metavar="FILE", help="write the figures to FILE")
    args = parser.parse_args(argv)
    only = set(args.only.split(",")) if args.only else None
    figures = {}
    for backend in ("sqlite", "postgres") if args.backend == "both" else (args.backend,):
        url = ensure_store(backend, args.reviews)
        print(f"{backend}, {args.reviews:,} reviews:", flush=True)
        figures[backend] = measure(url, targets=args.targets, only=only)
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"reviews": args.reviews, "targets": args.targets, "figures": figures}, out, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
