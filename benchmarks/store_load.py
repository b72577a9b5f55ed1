"""Loading a generated store fast: the rows of benchmarks.store_data written as the store writes them.

Two worker processes generate and hash the reviews while the database takes them: SQLite by
executemany of values put through the columns' own SQLAlchemy bind processors (exactly what Core
would store) in one transaction, journal off for the build only; PostgreSQL by COPY on the
workers' own connections (the server compresses the texts in parallel). The secondary indexes
of the reviews and their links (and on PostgreSQL their foreign keys) are dropped for the load
and created again as the migrations defined them. benchmarks.store_1m caches the result.
"""

from __future__ import annotations

import gc
import json
import multiprocessing
import sqlite3
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import JSON, inspect, text
from sqlalchemy.engine import make_url

from aggregator.db import film_aggregates
from aggregator.db.models import (
    CrawlRun,
    Critic,
    CriticAlias,
    CriticProfile,
    Film,
    Publication,
    Review,
    ReviewCritic,
)
from aggregator.db.session import make_engine, session_factory, upgrade
from aggregator.db.upsert import NORMALISED_FIELDS, RAW_FIELDS, content_hash
from benchmarks.store_data import DEFAULT_SEED, World, critic_rows, run_rows

CHUNK = 10_000
"""Reviews per unit of work handed to a generator process."""
# Loaded in this order (foreign keys); reviews and their links come from the workers.
TABLES = (Publication, Critic, CriticAlias, CriticProfile, Film, CrawlRun, Review, ReviewCritic)


# --- building ----------------------------------------------------------------------------------


@dataclass
class BuildReport:
    seconds: float
    counts: dict[str, int]


def build_store(url: str, reviews: int, *, seed: int = DEFAULT_SEED, workers: int = 2, log=None) -> BuildReport:
    """Migrate the (empty) database at `url` to head and load the generated store into it
    (`log`, when given, hears of the progress every 200,000 reviews)."""
    started = time.perf_counter()
    engine = make_engine(url)
    upgrade(engine)
    backend = engine.dialect.name
    generated = World(reviews, seed)
    columns = _loaded_columns(engine)
    collecting = gc.isenabled()
    gc.disable()
    try:
        if backend == "sqlite":
            engine.dispose()
            _load_sqlite(make_url(url).database, generated, columns, workers, _progress(log, started))
        else:
            _load_postgres(engine, generated, columns, workers, _progress(log, started))
    finally:
        if collecting:
            gc.enable()
    if backend == "sqlite":
        engine = make_engine(url)
    with session_factory(engine)() as session:  # what the store keeps as it writes, kept at once
        film_aggregates.rebuild(session)
        session.commit()
    with engine.connect() as connection:
        counts = {model.__tablename__: connection.execute(
            text(f"SELECT count(*) FROM {model.__tablename__}")).scalar_one() for model in TABLES}
    engine.dispose()
    return BuildReport(time.perf_counter() - started, counts)


def _progress(log, started: float):
    done = [0]

    def advance(count: int) -> None:
        before, done[0] = done[0], done[0] + count
        if log is not None and before // 200_000 != done[0] // 200_000:
            log(f"  {done[0]:,} reviews loaded after {time.perf_counter() - started:.0f} s")

    return advance


def _loaded_columns(engine) -> dict[str, list[str]]:
    """Per table, the model's columns the migrated database has (a column the migrations have
    not got yet is left out rather than failing the build)."""
    inspector = inspect(engine)
    return {model.__tablename__: [c.name for c in model.__table__.columns
                                  if c.name in {col["name"] for col in inspector.get_columns(model.__tablename__)}]
            for model in TABLES}


def _static_rows(generated: World) -> dict[str, list[dict[str, Any]]]:
    critics, aliases, profiles = critic_rows(generated)
    return {
        "publications": [{"id": o.id, "key": o.key, "name": o.name, "domain": o.domain, "country": o.country,
                          "language": o.language, "scale": o.scale, "weight": o.weight, "provisional": False}
                         for o in generated.outlets],
        "critics": critics,
        "critic_aliases": [{"id": n + 1, **row} for n, row in enumerate(aliases)],
        "critic_profiles": profiles,
        "films": [{"id": f.id, "title": f.title, "year": f.year, "key": f.key, "uid": f.uid} for f in generated.films],
        "crawl_runs": run_rows(generated),
    }


def review_rows(generated: World, start: int, stop: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(reviews, review_critics) rows of reviews start … stop-1, the values save_reviews writes."""
    critic_ids = {person.name: person.id for person in generated.critics}
    outlet_ids = {outlet.key: outlet.id for outlet in generated.outlets}
    reviews, links = [], []
    for index in range(start, stop):
        item = generated.review_item(index)
        film_id, unresolved, rule = generated.film_link(item, generated.film_of(item))
        first_seen = datetime(item.published.year, item.published.month, item.published.day, 9,
                              tzinfo=timezone.utc) + timedelta(hours=index % 72)
        row = {
            "id": index + 1, "url": item.url, "page_url": item.page_url, "spider": item.spider,
            "publication_id": outlet_ids[item.publication], "film_id": film_id, "film_unresolved": unresolved,
            "film_key": item.film_key, "film_link_manual": False, "film_match": rule,
            **{name: getattr(item, name) for name in RAW_FIELDS + NORMALISED_FIELDS},
            "published": item.published, "listing_only": False, "content_hash": content_hash(item),
            "first_seen": first_seen, "last_seen": first_seen + timedelta(days=index % 400),
            "updated_at": first_seen, "last_run_id": 1 + index % generated.runs,
        }
        reviews.append(row)
        links.extend({"review_id": index + 1, "critic_id": critic_ids[name], "position": position}
                     for position, name in enumerate(item.critics))
    return reviews, links


_WORKER: dict[str, Any] = {}


def _start_worker(reviews: int, seed: int, backend: str, columns: dict[str, list[str]],
                  copy_into: str | None, in_pool: bool = True) -> None:
    if in_pool:
        gc.disable()  # millions of short-lived rows: the cyclic collector would cost more than the work
    _WORKER.update(world=World(reviews, seed), encode=_encoders(backend, columns), columns=columns)
    if copy_into is not None:
        import psycopg

        _WORKER["connection"] = psycopg.connect(copy_into)


def _generate_chunk(bounds: tuple[int, int]) -> tuple[list[tuple], list[tuple]]:
    reviews, links = review_rows(_WORKER["world"], *bounds)
    encode = _WORKER["encode"]
    return encode["reviews"](reviews), encode["review_critics"](links)


def _copy_chunk(bounds: tuple[int, int]) -> int:
    """In a worker, on its own connection: COPY one chunk's reviews and links, committed. The
    server compresses the texts (pglz, as for any stored review), so two connections load
    twice as fast as one."""
    reviews, links = _generate_chunk(bounds)
    connection = _WORKER["connection"]
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
        _copy(cursor, "reviews", _WORKER["columns"]["reviews"], reviews)
        _copy(cursor, "review_critics", _WORKER["columns"]["review_critics"], links)
    connection.commit()
    return len(reviews)


def _copy(cursor, table: str, names: Sequence[str], rows: list[tuple]) -> None:
    with cursor.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as stream:
        for row in rows:
            stream.write_row(row)


def _encoders(backend: str, columns: dict[str, list[str]]):
    """Per table, rows → tuples in `columns` order, each value as the driver takes it: through
    the column type's SQLAlchemy bind processor on SQLite (exactly what Core stores: a None in
    a JSON column is JSON null, as save_reviews writes it), JSON as text for COPY on PostgreSQL.
    A column a row does not give gets its model default, or SQL NULL (as an insert omitting it)."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = sqlite.dialect() if backend == "sqlite" else postgresql.dialect()
    tables = {model.__tablename__: model.__table__ for model in TABLES}
    encoders = {}
    for name, names in columns.items():
        table = tables[name]
        if backend == "sqlite":
            processors = [table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in names]
        else:
            processors = [_json_text if _is_json(table.c[c].type) else None for c in names]
        processors = [p or _as_is for p in processors]
        columns_of = [(c, p, _scalar_default(table.c[c])) for c, p in zip(names, processors)]

        def encode(rows, columns_of=columns_of):
            return [tuple(p(row[c]) if c in row else (None if d is None else p(d)) for c, p, d in columns_of)
                    for row in rows]

        encoders[name] = encode
    return encoders


def _as_is(value: Any) -> Any:
    return value


def _is_json(type_: Any) -> bool:
    return isinstance(type_, JSON) or isinstance(getattr(type_, "impl_instance", None), JSON)


def _json_text(value: Any) -> str:
    return json.dumps(value)


def _scalar_default(column) -> Any:
    default = column.default
    return default.arg if default is not None and default.is_scalar else None


def _chunks(total: int) -> list[tuple[int, int]]:
    return [(start, min(start + CHUNK, total)) for start in range(0, total, CHUNK)]


def _in_workers(generated: World, backend: str, columns, workers: int, work, copy_into: str | None = None):
    """`work` of each chunk of the reviews, in order, in `workers` processes (inline with 0)."""
    args = (generated.reviews, generated.seed, backend, columns, copy_into)
    if workers <= 0 or generated.reviews <= CHUNK:
        _start_worker(*args, in_pool=False)
        try:
            yield from map(work, _chunks(generated.reviews))
        finally:
            if "connection" in _WORKER:
                _WORKER.pop("connection").close()
        return
    context = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
    with context.Pool(workers, initializer=_start_worker, initargs=args) as pool:
        yield from pool.imap(work, _chunks(generated.reviews))


def _secondary_indexes_sqlite(connection: sqlite3.Connection, tables: Sequence[str]) -> list[tuple[str, str]]:
    marks = ",".join("?" * len(tables))
    return connection.execute(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({marks})",
        list(tables)).fetchall()


def _load_sqlite(path: str, generated: World, columns: dict[str, list[str]], workers: int, advance) -> None:
    connection = sqlite3.connect(path, isolation_level=None)
    # For the build only: a crash leaves a file ensure_store never uses (it is renamed when done).
    connection.execute("PRAGMA journal_mode = OFF")
    connection.execute("PRAGMA synchronous = OFF")
    connection.execute("PRAGMA cache_size = -1000000")
    connection.execute("PRAGMA foreign_keys = OFF")
    indexes = _secondary_indexes_sqlite(connection, ["reviews", "review_critics"])
    connection.execute("BEGIN")
    for name, _ in indexes:
        connection.execute(f'DROP INDEX "{name}"')
    encoders = _encoders("sqlite", columns)

    def insert(table: str, rows: list[tuple]) -> None:
        names = columns[table]
        connection.executemany(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                               rows)

    for table, rows in _static_rows(generated).items():
        insert(table, encoders[table](rows))
    for reviews, links in _in_workers(generated, "sqlite", columns, workers, _generate_chunk):
        insert("reviews", reviews)
        insert("review_critics", links)
        advance(len(reviews))
    for _, sql in indexes:
        connection.execute(sql)
    connection.execute("COMMIT")
    connection.execute("ANALYZE")
    connection.execute("PRAGMA journal_mode = WAL")  # as the store keeps its files
    connection.close()


def _load_postgres(engine, generated: World, columns: dict[str, list[str]], workers: int, advance) -> None:
    """The outlets, critics, films and runs in one transaction, then the reviews by the workers,
    with the reviews' and links' secondary indexes and foreign keys put back afterwards."""
    dropped_indexes = ("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
                       " AND tablename IN ('reviews', 'review_critics')"
                       " AND indexname NOT IN (SELECT conname FROM pg_constraint)")
    dropped_keys = ("SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
                    " WHERE contype = 'f' AND conrelid IN ('reviews'::regclass, 'review_critics'::regclass)")
    raw = engine.raw_connection()
    try:
        connection = raw.driver_connection
        with connection.cursor() as cursor:
            indexes = cursor.execute(dropped_indexes).fetchall()
            keys = cursor.execute(dropped_keys).fetchall()
            for table, name, _ in keys:
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            for name, _ in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
            encoders = _encoders("postgresql", columns)
            for table, rows in _static_rows(generated).items():
                _copy(cursor, table, columns[table], encoders[table](rows))
        connection.commit()
        libpq = make_url(str(engine.url.render_as_string(hide_password=False))).set(drivername="postgresql")
        for loaded in _in_workers(generated, "postgresql", columns, workers, _copy_chunk,
                                  copy_into=libpq.render_as_string(hide_password=False)):
            advance(loaded)
        with connection.cursor() as cursor:
            for _, sql in indexes:
                cursor.execute(sql)
            for table, name, definition in keys:
                cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
            for model in TABLES:  # ids were given: the sequences go on after them
                table = model.__tablename__
                if "id" in columns[table]:
                    cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                                   f" (SELECT coalesce(max(id), 0) + 1 FROM {table}), false)")
        connection.commit()
        connection.autocommit = True
        with connection.cursor() as cursor:  # these tables only: the server may hold other stores
            cursor.execute("VACUUM ANALYZE " + ", ".join(model.__tablename__ for model in TABLES))
    finally:
        raw.close()
