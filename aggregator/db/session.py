"""Which database, how to connect to it, and bringing its schema up to date.

SQLite is the default (one file under the XDG data directory) and is tuned so that two crawls
can write into the same file at once (WAL, a busy timeout, `write_retrying` for a lock held
longer than that). PostgreSQL goes through psycopg 3. A database that cannot be used raises one
of the DatabaseUnavailable errors below, whose message names the problem and the fix.
The schema is owned by the Alembic migrations in `aggregator/migrations/`, run
programmatically: no alembic.ini is needed at run time. Whether a database is at the head is
read without Alembic (aggregator.db.schema_revisions), which is imported only to upgrade.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from aggregator.db.schema_revisions import script_revisions, stored_revisions

ENV_VAR = "AGGREGATOR_DATABASE_URL"
SETTING = "AGGREGATOR_DATABASE_URL"
SQLITE_BUSY_TIMEOUT_S = 30
"""How long one SQLite statement waits for another process's lock (busy_timeout)."""
BUSY_TIMEOUT_ENV = "AGGREGATOR_SQLITE_BUSY_TIMEOUT"
LOCK_PATIENCE_S = 600
"""How long `write_retrying` keeps retrying a transaction that found the database locked."""
LOCK_PATIENCE_ENV = "AGGREGATOR_DB_LOCK_PATIENCE"
URL_FORMS = "give a file path, sqlite:///PATH or postgresql+psycopg://USER@HOST/DB"

logger = logging.getLogger(__name__)
T = TypeVar("T")
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


class DatabaseUrlError(ValueError):
    """A database URL that is not one, or names a backend the aggregator does not support."""


class DatabaseUnavailable(RuntimeError):
    """The database named by a URL cannot be reached or opened."""


class DatabaseCorrupt(DatabaseUnavailable):
    """The SQLite file is not a database, or its pages are damaged."""


class DatabaseReadOnly(DatabaseUnavailable):
    """The database (the SQLite file, or its directory) cannot be written."""


class DatabaseLocked(DatabaseUnavailable):
    """Another process held the database's write lock for longer than the lock patience."""


def _seconds_from_env(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value < 1e6:
        raise DatabaseUrlError(f"{name}={raw!r} is not a number of seconds: give e.g. {name}={default:g}")
    return value


def sqlite_busy_timeout() -> float:
    """Seconds a SQLite statement waits on a lock: $AGGREGATOR_SQLITE_BUSY_TIMEOUT, else 30."""
    return _seconds_from_env(BUSY_TIMEOUT_ENV, SQLITE_BUSY_TIMEOUT_S)


def lock_patience() -> float:
    """Seconds `write_retrying` retries a locked write: $AGGREGATOR_DB_LOCK_PATIENCE, else 600."""
    return _seconds_from_env(LOCK_PATIENCE_ENV, LOCK_PATIENCE_S)


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
    except ArgumentError:
        raise DatabaseUrlError(f"not a database URL: {mask_url(raw)!r}: {URL_FORMS}") from None
    # psycopg 3 is the driver this project ships with; the bare scheme would pick psycopg2.
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise DatabaseUrlError(
            f"unsupported database {url.get_backend_name()!r} in {mask_url(url)}:"
            f" use sqlite or postgresql ({URL_FORMS})"
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
    except ArgumentError:
        raise DatabaseUrlError(f"not a database URL: {mask_url(url)!r}: {URL_FORMS}") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        _create_sqlite_parent(parsed.render_as_string(hide_password=False))
        busy_timeout = sqlite_busy_timeout()
        connect_args = dict(kwargs.pop("connect_args", {}))
        connect_args.setdefault("timeout", busy_timeout)
        engine = create_engine(parsed, connect_args=connect_args, **kwargs)
        event.listen(engine, "connect", lambda connection, _record: _sqlite_pragmas(connection, busy_timeout))
    elif backend == "postgresql":
        if parsed.drivername != "postgresql+psycopg":
            raise DatabaseUrlError(
                f"PostgreSQL URLs must use psycopg 3 (postgresql+psycopg://): {mask_url(parsed)}"
            )
        kwargs.setdefault("pool_pre_ping", True)
        engine = create_engine(parsed, **kwargs)
    else:
        raise DatabaseUrlError(
            f"unsupported database {backend!r} in {mask_url(parsed)}: use sqlite or postgresql"
        )
    event.listen(engine, "handle_error", _connection_error_naming_url(parsed))
    return engine


def _sqlite_pragmas(dbapi_connection: Any, busy_timeout: float) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        _use_wal(cursor, busy_timeout)
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def _use_wal(cursor: Any, busy_timeout: float) -> None:
    """Switch the file to WAL (persistent, so normally already done). The switch needs an
    exclusive lock and SQLite reports "locked" at once instead of waiting on the busy
    handler, so when several processes open a new file together it is retried here."""
    deadline = time.monotonic() + busy_timeout
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


_SQLITE_CORRUPT = ("SQLITE_NOTADB", "SQLITE_CORRUPT")


def _sqlite_problem(url: URL, error: BaseException) -> DatabaseUnavailable | None:
    """The DatabaseUnavailable a SQLite error stands for, when it is about the file itself
    (not a database, damaged, read-only, cannot be opened); None for any other error."""
    if not isinstance(error, sqlite3.DatabaseError):
        return None
    name = getattr(error, "sqlite_errorname", "") or ""
    message = str(error).strip()
    path = url.database or "(memory)"
    if name.startswith(_SQLITE_CORRUPT) or "file is not a database" in message or "malformed" in message:
        return DatabaseCorrupt(
            f"{path} is not a usable SQLite database ({message}): give --db another file, or move"
            " this one away and a new database is created"
        )
    if name.startswith("SQLITE_READONLY") or "readonly database" in message:
        return DatabaseReadOnly(
            f"{path} is read-only ({message}): make the file and its directory writable, or give"
            " --db a path you can write"
        )
    if name.startswith("SQLITE_CANTOPEN") or "unable to open database file" in message:
        return DatabaseUnavailable(
            f"cannot connect to database {mask_url(url)}: {message}; check that {path} is a file"
            " (or no file yet) in a writable directory: SQLite creates -wal and -shm files beside it"
        )
    return None


def _connection_error_naming_url(url: URL):
    masked = mask_url(url)

    def handle(context: Any) -> None:
        problem = _sqlite_problem(url, context.original_exception)
        if problem is not None:
            raise problem from context.original_exception
        # Otherwise only failures to *open* a connection: errors in statements keep their own
        # message. A locked SQLite file is a transient state, not an unreachable database.
        if (
            context.connection is None
            and isinstance(context.sqlalchemy_exception, OperationalError)
            and "locked" not in str(context.original_exception)
        ):
            reason = str(context.original_exception).strip().splitlines()[0:1]
            raise DatabaseUnavailable(
                f"cannot connect to database {masked}: {reason[0] if reason else 'unknown error'};"
                " check that the server is running and that --db (or AGGREGATOR_DATABASE_URL) names it"
            ) from context.original_exception

    return handle


def is_locked(error: BaseException) -> bool:
    """Whether a database error is another process holding the SQLite lock (after the busy
    timeout), the one error a writer should wait out rather than report."""
    original = getattr(error, "orig", error)
    if not isinstance(original, sqlite3.OperationalError):
        return False
    name = getattr(original, "sqlite_errorname", "") or ""
    return name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "database is locked" in str(original)


def write_retrying(sessions: sessionmaker[Session], work: Callable[[Session], T], *, what: str,
                   patience: float | None = None) -> T:
    """`work(session)` in one transaction, committed; when the database is locked by another
    process past the busy timeout, rolled back and run again (on a new transaction) until
    `patience` seconds (default `lock_patience()`) have gone, then DatabaseLocked. `work` must
    be safe to run again: everything it wrote was rolled back."""
    patience = lock_patience() if patience is None else patience
    deadline = time.monotonic() + patience
    pause = 0.05
    while True:
        try:
            with sessions.begin() as session:
                return work(session)
        except DBAPIError as exc:
            if not is_locked(exc):
                raise
            if time.monotonic() >= deadline:
                raise DatabaseLocked(
                    f"could not write {what}: the database stayed locked by another process for"
                    f" over {patience:g} s; stop the other writer, or raise {LOCK_PATIENCE_ENV}"
                ) from exc
            logger.warning("writing %s: the database is locked by another process; trying again", what)
            time.sleep(pause)
            pause = min(pause * 2, 1.0)


def check_writable(engine: Engine) -> None:
    """Raise DatabaseReadOnly (or another DatabaseUnavailable) now, before a command has done
    any work, when a SQLite database could be read but not written. A write lock held by
    another process says the file is writable: it passes."""
    if engine.dialect.name != "sqlite":
        return
    try:
        with engine.connect() as connection:
            # DDL in a transaction rolled back: a real write that leaves nothing behind.
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            connection.exec_driver_sql("CREATE TABLE aggregator_write_check (x INTEGER)")
            connection.exec_driver_sql("ROLLBACK")
    except DBAPIError as exc:
        if not is_locked(exc):
            raise


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


def head_revisions() -> frozenset[str]:
    return script_revisions()[0]


def current_revisions(engine: Engine) -> frozenset[str]:
    with engine.connect() as connection:
        return stored_revisions(connection)


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
    """Upgrade the database when it is behind the code's migrations; a no-op (two small
    queries, no Alembic import) when it is current. Safe when several processes start at once."""
    for attempt in range(1, attempts + 1):
        try:
            current = current_revisions(engine)
            if current == head_revisions():
                return
            unknown = current - script_revisions()[1]
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
