"""Which database, how to connect to it, and bringing its schema up to date.

SQLite is the default (one file under the XDG data directory) and is tuned so that two crawls
can write into the same file at once (WAL, a busy timeout). PostgreSQL goes through psycopg 3.
The schema is owned by the Alembic migrations in `aggregator/migrations/`, run
programmatically: no alembic.ini is needed at run time.
"""

from __future__ import annotations

import os
import sqlite3
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

ENV_VAR = "AGGREGATOR_DATABASE_URL"
SETTING = "AGGREGATOR_DATABASE_URL"
SQLITE_BUSY_TIMEOUT_S = 30
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
# Any constant: serialises concurrent migrations of one PostgreSQL database.
_PG_MIGRATION_LOCK_ID = 0x6167677265  # "aggre"


def data_dir() -> Path:
    """$XDG_DATA_HOME/critics-aggregator (~/.local/share/critics-aggregator when unset)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "critics-aggregator"


def default_database_path() -> Path:
    return data_dir() / "reviews.sqlite"


def demo_database_path() -> Path:
    return data_dir() / "demo.sqlite"


# As computed at import; the functions above re-read the environment on every call.
DEFAULT_DATABASE_PATH = default_database_path()
DEMO_DATABASE_PATH = demo_database_path()


class DatabaseUnavailable(RuntimeError):
    """The database named by a URL cannot be reached or opened."""


def sqlite_url(path: str | os.PathLike[str]) -> str:
    return URL.create("sqlite", database=str(Path(path).expanduser())).render_as_string()


def resolve_database_url(
    cli_url: str | None = None, settings: Any = None, *, default: str | None = None
) -> str:
    """The database URL to use: `cli_url` > $AGGREGATOR_DATABASE_URL > the setting of that
    name (`settings` is anything with .get, e.g. Scrapy Settings) > `default` > the default
    SQLite file. A bare filesystem path is taken as a SQLite file. The parent directory of a
    SQLite file is created.
    """
    candidates = (
        cli_url,
        os.environ.get(ENV_VAR),
        settings.get(SETTING) if settings is not None else None,
        default,
    )
    chosen = next((c.strip() for c in candidates if c and str(c).strip()), None)
    url = _normalise_url(chosen) if chosen else sqlite_url(default_database_path())
    _create_sqlite_parent(url)
    return url


def _normalise_url(raw: str) -> str:
    if "://" not in raw:
        return sqlite_url(raw)
    try:
        url = make_url(raw)
    except ArgumentError as exc:
        raise ValueError(f"not a database URL: {mask_url(raw)!r} ({exc})") from None
    # psycopg 3 is the driver this project ships with; the bare scheme would pick psycopg2.
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise ValueError(
            f"unsupported database {url.get_backend_name()!r} in {mask_url(url)}:"
            " use sqlite or postgresql"
        )
    return url.render_as_string(hide_password=False)


def _create_sqlite_parent(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return
    database = parsed.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        parent = Path(database).expanduser().parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseUnavailable(
                f"cannot create the directory {parent} of database {mask_url(parsed)}: {exc}"
            ) from exc


def mask_url(url: str | URL) -> str:
    """The URL with its password hidden, fit for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable database URL>"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An Engine for `url`, tuned per backend; connection failures raise DatabaseUnavailable."""
    try:
        parsed = make_url(_normalise_url(url))
    except ArgumentError as exc:
        raise ValueError(f"not a database URL: {mask_url(url)!r} ({exc})") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        _create_sqlite_parent(parsed.render_as_string(hide_password=False))
        connect_args = dict(kwargs.pop("connect_args", {}))
        connect_args.setdefault("timeout", SQLITE_BUSY_TIMEOUT_S)
        engine = create_engine(parsed, connect_args=connect_args, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
    elif backend == "postgresql":
        if parsed.drivername != "postgresql+psycopg":
            raise ValueError(
                f"PostgreSQL URLs must use psycopg 3 (postgresql+psycopg://): {mask_url(parsed)}"
            )
        kwargs.setdefault("pool_pre_ping", True)
        engine = create_engine(parsed, **kwargs)
    else:
        raise ValueError(
            f"unsupported database {backend!r} in {mask_url(parsed)}: use sqlite or postgresql"
        )
    event.listen(engine, "handle_error", _connection_error_naming_url(parsed))
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_S * 1000}")
        _use_wal(cursor)
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def _use_wal(cursor: Any) -> None:
    """Switch the file to WAL (persistent, so normally already done). The switch needs an
    exclusive lock and SQLite reports "locked" at once instead of waiting on the busy
    handler, so when several processes open a new file together it is retried here."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_S
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
                return
            cursor.execute("PRAGMA journal_mode = WAL").fetchone()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _connection_error_naming_url(url: URL):
    masked = mask_url(url)

    def handle(context: Any) -> None:
        # Only failures to *open* a connection: errors in statements keep their own message.
        # A locked SQLite file is a transient state, not an unreachable database.
        if (
            context.connection is None
            and isinstance(context.sqlalchemy_exception, OperationalError)
            and "locked" not in str(context.original_exception)
        ):
            reason = str(context.original_exception).strip().splitlines()[0:1]
            raise DatabaseUnavailable(
                f"cannot connect to database {masked}: {reason[0] if reason else 'unknown error'}"
            ) from context.original_exception

    return handle


RUN_CACHE = "run_cache"
"""Session.info key of a dict shared by every session of one session_factory (one store run),
for what the store reads once per run rather than once per batch
(aggregator.db.provisional_outlets)."""


def session_factory(engine: Engine) -> sessionmaker[Session]:
    # expire_on_commit=False: callers read rows after the per-batch commit without reloading.
    # sessionmaker copies `info` into each session shallowly: the RUN_CACHE dict is shared.
    return sessionmaker(bind=engine, expire_on_commit=False, info={RUN_CACHE: {}})


# --- migrations ----------------------------------------------------------------------------


def alembic_config(connection: Any = None):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


class SchemaTooNew(RuntimeError):
    """The database was migrated by a newer version of the aggregator than this one."""


@lru_cache(maxsize=1)
def _script_revisions() -> tuple[frozenset[str], frozenset[str]]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    known = frozenset(rev.revision for rev in script.walk_revisions())
    return frozenset(script.get_heads()), known


def head_revisions() -> frozenset[str]:
    return _script_revisions()[0]


def current_revisions(engine: Engine) -> frozenset[str]:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return frozenset(MigrationContext.configure(connection).get_current_heads())


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply the migrations up to `revision`, holding a database-wide lock so that two
    processes starting on one new database migrate it once."""
    from alembic import command

    with engine.connect() as connection:
        backend = connection.dialect.name
        if backend == "sqlite":
            # pysqlite would otherwise run each DDL statement in autocommit; an IMMEDIATE
            # transaction makes the whole upgrade atomic and makes a second process wait.
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        elif backend == "postgresql":
            lock = text("SELECT pg_advisory_xact_lock(:key)")
            connection.execute(lock, {"key": _PG_MIGRATION_LOCK_ID})
        command.upgrade(alembic_config(connection), revision)
        connection.commit()


def ensure_schema(engine: Engine, *, attempts: int = 5) -> None:
    """Upgrade the database when it is behind the code's migrations; a no-op (one small
    query) when it is current. Safe when several processes start at once."""
    for attempt in range(1, attempts + 1):
        try:
            current = current_revisions(engine)
            if current == head_revisions():
                return
            unknown = current - _script_revisions()[1]
            if unknown:
                raise SchemaTooNew(
                    f"database {mask_url(engine.url)} is at revision {', '.join(sorted(unknown))},"
                    " which this version of the aggregator does not know: upgrade the aggregator"
                )
            upgrade(engine)
            return
        except DBAPIError as exc:
            # A concurrent migrator can still surface as "locked" past the busy timeout, or as
            # "already exists" if it raced us outside a lock; re-check and retry.
            message = str(exc).lower()
            retryable = "locked" in message or "already exists" in message or "busy" in message
            if not retryable or attempt == attempts:
                raise
            time.sleep(0.2 * attempt)


def is_current(engine: Engine) -> bool:
    return current_revisions(engine) == head_revisions()
