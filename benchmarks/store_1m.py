"""The shared benchmark stores: a generated store of 1,000,000 reviews on SQLite and PostgreSQL.

    python -m benchmarks.store_1m [--reviews 1000000] [--backend sqlite|postgres|both] [--force]

The schema is the project's own (aggregator.db.session.upgrade to head), so a store follows the
migrations; the rows are those of benchmarks.store_data's fictional world, written as the store
writes them: content_hash is aggregator.db.upsert.content_hash of the very ReviewItem that
`generated_items` gives back, so re-storing one through save_reviews counts it "unchanged".

A built store is cached and reused while its key (the migrations' head, GENERATOR_VERSION, size
and seed) is unchanged: SQLite files under $AGGREGATOR_BENCH_STORES (~/.cache/aggregator-bench/)
with a .json sidecar; PostgreSQL databases `aggregator_bench_<size>` on the server of
$AGGREGATOR_BENCH_POSTGRES_URL, the key in the database's comment. Other benchmarks call
`ensure_store(backend, reviews=...)` for the URL.

Loading (benchmarks.store_load) is fast but plain: worker processes generate and hash the rows,
SQLite takes them by executemany in one transaction, PostgreSQL by COPY.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

from aggregator.db.session import head_revisions, make_engine, sqlite_url
from aggregator.items import ReviewItem
from benchmarks.store_data import DEFAULT_SEED, FULL_SIZE, GENERATOR_VERSION, Outlet, World
from benchmarks.store_load import build_store

SEED = DEFAULT_SEED
STORES_ENV = "AGGREGATOR_BENCH_STORES"
POSTGRES_ENV = "AGGREGATOR_BENCH_POSTGRES_URL"
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


# --- what other benchmarks use ---------------------------------------------------------------


def world(reviews: int = FULL_SIZE["reviews"], seed: int = SEED) -> World:
    return World(reviews, seed)


def generated_items(n: int, *, start: int = 0, store_reviews: int = FULL_SIZE["reviews"],
                    seed: int = SEED) -> list[ReviewItem]:
    """The ReviewItems of reviews start … start+n-1 of the store of `store_reviews`: below its
    size they are stored ones (re-stored: unchanged), at or past it new ones about the same
    films, by the same critics, on the same outlets."""
    generated = world(store_reviews, seed)
    return [generated.review_item(i) for i in range(start, start + n)]


def publications(generated: World) -> dict[str, Outlet]:
    """The registry entries of the world's outlets, as a crawl passes them to save_reviews."""
    return {outlet.key: outlet for outlet in generated.outlets}


def store_key(reviews: int, seed: int = SEED) -> dict[str, Any]:
    return {"head": sorted(head_revisions()), "generator": GENERATOR_VERSION, "reviews": reviews, "seed": seed}


def stores_dir() -> Path:
    return Path(os.environ.get(STORES_ENV) or Path.home() / ".cache" / "aggregator-bench").expanduser()


def size_label(reviews: int) -> str:
    return f"{reviews // 1_000_000}m" if reviews % 1_000_000 == 0 else (
        f"{reviews // 1000}k" if reviews % 1000 == 0 else str(reviews))


def postgres_server_url() -> str:
    return os.environ.get(POSTGRES_ENV) or DEFAULT_POSTGRES


def postgres_database_url(name: str) -> str:
    return make_url(postgres_server_url()).set(database=name).render_as_string(hide_password=False)


def ensure_store(backend: str, reviews: int = FULL_SIZE["reviews"], *, force: bool = False,
                 seed: int = SEED, log=print) -> str:
    """The URL of the cached generated store of `reviews` reviews on `backend` ("sqlite" or
    "postgres"), built first when missing, built under another key, or `force`d."""
    key = store_key(reviews, seed)
    if backend == "sqlite":
        path = stores_dir() / f"store-{size_label(reviews)}.sqlite"
        sidecar = path.with_suffix(".json")
        if not force and path.exists() and sidecar.exists() and json.loads(sidecar.read_text()).get("key") == key:
            return sqlite_url(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        building = path.with_suffix(".building.sqlite")
        for stale in (building, sidecar, *_sqlite_files(path)):
            stale.unlink(missing_ok=True)
        log(f"building {path} ({reviews:,} reviews) …")
        report = build_store(sqlite_url(building), reviews, seed=seed, log=log)
        os.replace(building, path)  # only a complete store is ever found under the name
        sidecar.write_text(json.dumps({"key": key, "seconds": report.seconds, "built_at": _now()}))
        log(f"built {path} ({reviews:,} reviews) in {report.seconds:.0f} s")
        return sqlite_url(path)
    if backend == "postgres":
        name = f"aggregator_bench_{size_label(reviews)}"
        url = postgres_database_url(name)
        if not force and _postgres_key(name) == key:
            return url
        recreate_postgres_database(name)
        log(f"building PostgreSQL database {name} ({reviews:,} reviews) …")
        report = build_store(url, reviews, seed=seed, log=log)
        admin = make_engine(postgres_server_url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:  # the key last: a half-built database has none
            comment = json.dumps({"key": key, "seconds": report.seconds, "built_at": _now()}).replace("'", "''")
            connection.exec_driver_sql(f"COMMENT ON DATABASE {name} IS '{comment}'")
        admin.dispose()
        log(f"built PostgreSQL database {name} ({reviews:,} reviews) in {report.seconds:.0f} s")
        return url
    raise ValueError(f"unknown backend {backend!r}: sqlite or postgres")


def _sqlite_files(path: Path) -> list[Path]:
    return [path, Path(f"{path}-wal"), Path(f"{path}-shm")]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _postgres_key(name: str) -> dict[str, Any] | None:
    admin = make_engine(postgres_server_url())
    try:
        with admin.connect() as connection:
            comment = connection.execute(text(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = :name"),
                {"name": name}).scalar()
    finally:
        admin.dispose()
    return json.loads(comment).get("key") if comment else None


def recreate_postgres_database(name: str) -> None:
    admin = make_engine(postgres_server_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        connection.exec_driver_sql(f"CREATE DATABASE {name}")
    admin.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.store_1m", description=__doc__.split("\n")[0])
    parser.add_argument("--reviews", type=int, default=FULL_SIZE["reviews"])
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--force", action="store_true", help="build again even when the cached store is current")
    args = parser.parse_args(argv)
    for backend in ("sqlite", "postgres") if args.backend == "both" else (args.backend,):
        started = time.perf_counter()
        url = ensure_store(backend, args.reviews, force=args.force)
        print(f"{backend}: {make_url(url).render_as_string(hide_password=True)} ready in "
              f"{time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
