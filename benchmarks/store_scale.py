"""What the store costs at scale: a crawl and a batch re-store into the 1M store (issue 16).

    python -m benchmarks.store_scale [--backend sqlite|postgres|both] [--rounds 5] [--restore 50000]
                                     [--reviews 1000000]

a. `aggregator crawl --url <one fictional review page> --db <url>` as a whole process, into the
   generated store (benchmarks.store_1m) and into an empty one migrated once before the rounds;
   each crawl reads a page no store holds yet (a new review). Goal: store ÷ empty ≤ 1.2.
   The crawl's log lines are timed as they arrive, so the table also says where the time goes:
   start (process start → spider opened: imports, schema check, the run record, what the
   pipelines load), crawl (→ closing spider: fetch, pipelines) and close (→ exit: the last batch,
   the run's end, what runs after a crawl).
b. `save_reviews` of `--restore` generated reviews that are NEW (reviews past the store's size:
   the same films, critics and outlets), then of the same reviews again, UNCHANGED, in the batch
   size a crawl uses (AGGREGATOR_STORE_BATCH_SIZE), each batch in its own committed transaction
   as the store pipeline writes it, under a crawl run. Goal: unchanged ÷ new reviews/s ≥ 5.

The store is kept as it was: every row the rounds added (reviews, their links, critics, films,
outlets, runs, revisions, verdict models, fetch state) is deleted by id after the round, outside
the timings. Rounds are paired (store, empty / new, unchanged), backends side by side.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from sqlalchemy import func, select, text

from aggregator.db import film_aggregates, outlet_leniency_sums
from aggregator.db.models import Base
from aggregator.db.runs import start_run
from aggregator.db.session import ensure_schema, make_engine, session_factory, sqlite_url, write_retrying
from aggregator.db.upsert import UpsertCounts, save_reviews
from aggregator.settings import AGGREGATOR_STORE_BATCH_SIZE
from benchmarks.store_1m import (
    FULL_SIZE,
    ensure_store,
    generated_items,
    postgres_database_url,
    publications,
    recreate_postgres_database,
    world,
)

PHASES = (("start", "Spider opened"), ("crawl", "Closing spider"))
# Tables whose rows a round adds, children first: deleted by id (or key) after the round.
_ADDED_BY_ID = ("review_revisions", "reviews", "critic_aliases", "critics", "films", "publications",
                "verdict_models", "crawl_runs")
_ADDED_BY_PARENT = (("review_critics", "review_id", "reviews"), ("review_critics", "critic_id", "critics"),
                    ("critic_profiles", "critic_id", "critics"), ("film_external_ids", "film_id", "films"))


# --- the page a crawl reads ----------------------------------------------------------------------


def review_page(base: str, token: str) -> bytes:
    """A fictional review page with JSON-LD, keyed on its own address (a new review per token)."""
    url = f"{base}/reviews/{token}/"
    body = " ".join(["The lighthouse keeper's daughter returns to the quarry town and the film lets her"
                     " look, slowly, at what the tide left behind."] * 22)
    data = {
        "@context": "https://schema.org", "@type": "Review", "url": url,
        "headline": f"The Glass Meridian {token} review – a slow-burning marvel",
        "author": {"@type": "Person", "name": "Orla Venwick", "url": f"{base}/critics/orla-venwick/"},
        "publisher": {"@type": "Organization", "name": "The Scale Bench Courier"},
        "itemReviewed": {"@type": "Movie", "name": f"The Glass Meridian {token}", "dateCreated": "2024"},
        "reviewRating": {"@type": "Rating", "ratingValue": "3", "bestRating": "4"},
        "datePublished": "2024-05-17T09:00:00+00:00", "reviewBody": body,
    }
    return (f"<!doctype html><html lang='en'><head><title>{data['headline']}</title>"
            f"<link rel='canonical' href='{url}'><meta property='og:site_name' content='The Scale Bench Courier'>"
            f"<script type='application/ld+json'>{json.dumps(data)}</script></head><body><article>"
            f"<h1>{data['headline']}</h1><p class='byline'>By Orla Venwick</p><p>{body}</p>"
            "</article></body></html>").encode()


class PageServer:
    """Serves review_page on 127.0.0.1 from a thread: /reviews/<token>/ (anything else 404)."""

    def __init__(self) -> None:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                parts = self.path.strip("/").split("/")
                page = review_page(owner.base, parts[1]) if len(parts) == 2 and parts[0] == "reviews" else None
                self.send_response(200 if page else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page or b"")))
                self.end_headers()
                self.wfile.write(page or b"")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- keeping the store as it was ------------------------------------------------------------------


@dataclass
class Snapshot:
    """The highest id of each table a round adds to: what is above it afterwards is the round's."""

    max_ids: dict[str, int]
    fetch_urls: int = 0

    @classmethod
    def take(cls, engine) -> Snapshot:
        tables = Base.metadata.tables
        with engine.connect() as connection:
            return cls({name: connection.execute(select(func.coalesce(func.max(tables[name].c.id), 0))).scalar_one()
                        for name in _ADDED_BY_ID})

    def restore(self, engine, url_prefix: str | None = None) -> None:
        with engine.begin() as connection:
            # the stored films the round's reviews were of: their kept sums are counted again below
            touched = sorted(connection.execute(text(
                "SELECT DISTINCT film_id FROM reviews WHERE id > :top AND film_id <= :films"),
                {"top": self.max_ids["reviews"], "films": self.max_ids["films"]}).scalars())
            for kept in ("film_aggregates", "outlet_film_sums"):
                connection.execute(text(f"DELETE FROM {kept} WHERE film_id > :top"), {"top": self.max_ids["films"]})
            for kept in ("outlet_film_sums", "outlet_leniency_sums"):  # (rebuilt below, from what is left)
                connection.execute(text(f"DELETE FROM {kept} WHERE publication_id > :top"),
                                   {"top": self.max_ids["publications"]})
            for child, column, parent in _ADDED_BY_PARENT:
                connection.execute(text(f"DELETE FROM {child} WHERE {column} > :top"), {"top": self.max_ids[parent]})
            for name in _ADDED_BY_ID:
                connection.execute(text(f"DELETE FROM {name} WHERE id > :top"), {"top": self.max_ids[name]})
            if url_prefix:
                connection.execute(text("DELETE FROM fetch_state WHERE url LIKE :prefix"), {"prefix": url_prefix + "%"})
        with session_factory(engine)() as session:
            film_aggregates.refresh(session, touched)
            outlet_leniency_sums.rebuild(session)  # the films deleted above took their pairs' shares along
            session.commit()
        if engine.dialect.name == "postgresql":  # the next round finds no dead rows of this one
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                for name in ("reviews", "review_critics", "films", "critics", "critic_aliases"):
                    connection.exec_driver_sql(f"VACUUM ANALYZE {name}")


# --- a: one page crawled --------------------------------------------------------------------------


@dataclass
class CrawlTiming:
    seconds: float
    phases: dict[str, float] = field(default_factory=dict)


def crawl_one_page(db_url: str, page_url: str) -> CrawlTiming:
    """`aggregator crawl --url page_url --db db_url -v` as its own process, timed, with the time
    its log lines arrived (PHASES); raises when the crawl fails or stores nothing."""
    command = [_aggregator_command(), "crawl", "--url", page_url, "--db", db_url, "-v"]
    started = time.perf_counter()
    marks: dict[str, float] = {}
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    log = []
    for line in process.stderr:
        log.append(line)
        for phase, marker in PHASES:
            if phase not in marks and marker in line:
                marks[phase] = time.perf_counter() - started
    code = process.wait()
    seconds = time.perf_counter() - started
    stored = any("1 new" in line or "'aggregator/reviews/new': 1" in line for line in log)
    if code != 0 or not stored:
        raise RuntimeError(f"crawl of {page_url} into {db_url} failed (exit {code}):\n" + "".join(log[-30:]))
    phases, previous = {}, 0.0
    for phase, _ in PHASES:
        if phase in marks:
            phases[phase], previous = marks[phase] - previous, marks[phase]
    phases["close"] = seconds - previous
    return CrawlTiming(seconds, phases)


def _aggregator_command() -> str:
    beside = Path(sys.executable).with_name("aggregator")
    return str(beside) if beside.exists() else (shutil.which("aggregator") or "aggregator")


def empty_store(backend: str, directory: Path) -> str:
    """A migrated store without a review (SQLite file in `directory`, or a fresh PostgreSQL database)."""
    if backend == "sqlite":
        url = sqlite_url(directory / "empty.sqlite")
    else:
        recreate_postgres_database("aggregator_bench_empty")
        url = postgres_database_url("aggregator_bench_empty")
    engine = make_engine(url)
    ensure_schema(engine)
    engine.dispose()
    return url


# --- b: a batch stored new, then again unchanged --------------------------------------------------


@dataclass
class RestoreTiming:
    insert_per_s: float
    unchanged_per_s: float
    insert: UpsertCounts
    unchanged: UpsertCounts


def store_in_batches(engine, items, outlets, batch_size: int = AGGREGATOR_STORE_BATCH_SIZE) -> tuple[float, UpsertCounts]:
    """(seconds, counts) of storing `items` as the store pipeline does: a run, then each batch
    through save_reviews in its own committed transaction."""
    sessions = session_factory(engine)
    started = time.perf_counter()
    run_id = write_retrying(sessions, lambda session: start_run(session, "bench_store_scale", {}), what="the run")
    counts = UpsertCounts()
    for start in range(0, len(items), batch_size):
        batch = items[start:start + batch_size]
        counts += write_retrying(sessions, lambda session, batch=batch: save_reviews(
            session, batch, outlets, run_id=run_id), what="a batch")
    return time.perf_counter() - started, counts


def new_then_unchanged(engine, count: int, *, store_reviews: int, first: int, seed: int | None = None) -> RestoreTiming:
    """Store `count` reviews the store does not hold (indices first … first+count-1, at or past
    its size), then the same reviews again; the caller restores the store."""
    kwargs = {} if seed is None else {"seed": seed}
    outlets = publications(world(store_reviews, **kwargs))
    fresh = generated_items(count, start=first, store_reviews=store_reviews, **kwargs)
    inserted_s, inserted = store_in_batches(engine, fresh, outlets)
    again = generated_items(count, start=first, store_reviews=store_reviews, **kwargs)
    unchanged_s, unchanged = store_in_batches(engine, again, outlets)
    return RestoreTiming(count / inserted_s, count / unchanged_s, inserted, unchanged)


# --- the rounds -----------------------------------------------------------------------------------


@dataclass
class Figures:
    crawl_store: list[CrawlTiming] = field(default_factory=list)
    crawl_empty: list[CrawlTiming] = field(default_factory=list)
    restores: list[RestoreTiming] = field(default_factory=list)


def run_backend_round(backend: str, store_url: str, empty_url: str, server: PageServer, round_no: int,
                      restore: int, reviews: int, figures: Figures, log=print) -> None:
    engine = make_engine(store_url)
    try:
        snapshot = Snapshot.take(engine)
        token = f"{backend}-{round_no}-{time.time_ns()}"
        figures.crawl_store.append(crawl_one_page(store_url, f"{server.base}/reviews/{token}-store/"))
        figures.crawl_empty.append(crawl_one_page(empty_url, f"{server.base}/reviews/{token}-empty/"))
        if restore:
            timing = new_then_unchanged(engine, restore, store_reviews=reviews, first=reviews + round_no * restore)
            if timing.insert.new != restore or timing.unchanged.unchanged != restore:
                raise RuntimeError(f"expected {restore} new then {restore} unchanged, got {timing.insert} / {timing.unchanged}")
            figures.restores.append(timing)
        snapshot.restore(engine, server.base)
    finally:
        engine.dispose()
    last = figures.restores[-1] if restore else None
    log(f"  {backend} round {round_no + 1}: crawl {figures.crawl_store[-1].seconds:.2f} s into the store,"
        f" {figures.crawl_empty[-1].seconds:.2f} s empty"
        + (f"; {last.insert_per_s:,.0f} new/s, {last.unchanged_per_s:,.0f} unchanged/s" if last else ""))


def spread(values: list[float], unit: str = "", digits: int = 2) -> str:
    if not values:
        return "–"
    return f"{statistics.median(values):,.{digits}f}{unit} [{min(values):,.{digits}f}–{max(values):,.{digits}f}]"


def report(figures: dict[str, Figures], reviews: int, restore: int, rounds: int) -> str:
    backends = list(figures)
    rows: list[tuple[str, list[str]]] = []

    def row(label: str, cell) -> None:
        rows.append((label, [cell(figures[b]) for b in backends]))

    def ratios(f: Figures) -> list[float]:
        return [a.seconds / b.seconds for a, b in zip(f.crawl_store, f.crawl_empty)]

    row(f"crawl 1 page, {reviews:,} store (s)", lambda f: spread([t.seconds for t in f.crawl_store]))
    for phase in ("start", "crawl", "close"):
        row(f"  of which {phase}", lambda f, p=phase: spread([t.phases.get(p, 0.0) for t in f.crawl_store]))
    row("crawl 1 page, empty store (s)", lambda f: spread([t.seconds for t in f.crawl_empty]))
    for phase in ("start", "crawl", "close"):
        row(f"  of which {phase}", lambda f, p=phase: spread([t.phases.get(p, 0.0) for t in f.crawl_empty]))
    row("  ratio store ÷ empty (goal ≤ 1.2)", lambda f: spread(ratios(f)))
    if restore:
        row(f"store {restore:,} new (reviews/s)", lambda f: spread([r.insert_per_s for r in f.restores], digits=0))
        row(f"re-store {restore:,} unchanged (reviews/s)",
            lambda f: spread([r.unchanged_per_s for r in f.restores], digits=0))
        row("  ratio unchanged ÷ new (goal ≥ 5)",
            lambda f: spread([r.unchanged_per_s / r.insert_per_s for r in f.restores]))
    width = max(len(label) for label, _ in rows)
    cells = max(len(c) for _, values in rows for c in values)
    lines = [f"store_scale: {rounds} paired rounds, median [min–max]",
             f"{'':{width}}  " + "  ".join(f"{b:<{cells}}" for b in backends)]
    lines += [f"{label:{width}}  " + "  ".join(f"{c:<{cells}}" for c in values) for label, values in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.store_scale", description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--restore", type=int, default=50_000, help="reviews stored new then unchanged (0: skip)")
    parser.add_argument("--reviews", type=int, default=FULL_SIZE["reviews"], help="size of the generated store")
    args = parser.parse_args(argv)
    backends = ("sqlite", "postgres") if args.backend == "both" else (args.backend,)
    figures = {backend: Figures() for backend in backends}
    server = PageServer()
    with tempfile.TemporaryDirectory(prefix="store-scale-") as directory:
        stores = {b: (ensure_store(b, args.reviews), empty_store(b, Path(directory))) for b in backends}
        try:
            for round_no in range(args.rounds):
                for backend in backends:
                    run_backend_round(backend, *stores[backend], server, round_no, args.restore, args.reviews,
                                      figures[backend])
        finally:
            server.close()
    print(report(figures, args.reviews, args.restore, args.rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
