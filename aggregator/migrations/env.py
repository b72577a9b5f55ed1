"""Alembic environment for the aggregator's schema.

Run programmatically by `aggregator.db.session.upgrade`, which hands over an open connection
(already inside the transaction that holds the migration lock) in
`config.attributes["connection"]`. Run from the `alembic` command line, the database comes
from the usual precedence (`aggregator.db.session.resolve_database_url`) unless the config
sets `sqlalchemy.url`.
"""

from __future__ import annotations

from alembic import context

from aggregator.db.models import Base
from aggregator.db.session import make_engine, resolve_database_url

config = context.config
target_metadata = Base.metadata


def _configure(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite can only ALTER a table by copying it: batch mode does that for later migrations.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def run_migrations_offline() -> None:
    url = config.get_main_option("sqlalchemy.url") or resolve_database_url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or resolve_database_url())
    try:
        with engine.connect() as connection:
            _configure(connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
