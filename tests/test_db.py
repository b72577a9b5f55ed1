"""Database URL resolution, engines and migrations (aggregator.db.session, models, migrations)."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from aggregator.db.models import Base
from aggregator.db.session import (
    DatabaseUnavailable,
    SchemaTooNew,
    alembic_config,
    current_revisions,
    default_database_path,
    ensure_schema,
    head_revisions,
    is_current,
    make_engine,
    mask_url,
    resolve_database_url,
    upgrade,
)

TABLES = {
    "publications", "critics", "films", "reviews", "review_critics", "review_revisions",
    "crawl_runs", "alembic_version", "critic_profiles", "critic_aliases", "film_external_ids",
}  # fmt: skip


# --- resolve_database_url --------------------------------------------------------------------


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    monkeypatch.delenv("AGGREGATOR_DATABASE_URL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    return tmp_path


def test_precedence_cli_over_env_over_setting_over_default(clean_env, monkeypatch):
    settings = {"AGGREGATOR_DATABASE_URL": "sqlite:///" + str(clean_env / "setting.sqlite")}
    default = "sqlite:///" + str(clean_env / "default.sqlite")
    assert resolve_database_url(None, settings, default=default).endswith("setting.sqlite")
    assert resolve_database_url(None, None, default=default).endswith("default.sqlite")
    monkeypatch.setenv("AGGREGATOR_DATABASE_URL", "sqlite:///" + str(clean_env / "env.sqlite"))
    assert resolve_database_url(None, settings, default=default).endswith("env.sqlite")
    cli = "sqlite:///" + str(clean_env / "cli.sqlite")
    assert resolve_database_url(cli, settings, default=default).endswith("cli.sqlite")


def test_default_is_the_xdg_sqlite_file_and_its_directory_is_created(clean_env):
    url = resolve_database_url()
    expected = clean_env / "xdg" / "critics-aggregator" / "reviews.sqlite"
    assert default_database_path() == expected
    assert url == f"sqlite:///{expected}"
    assert expected.parent.is_dir()


def test_home_default_when_xdg_unset(monkeypatch):
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    expected = Path.home() / ".local" / "share" / "critics-aggregator" / "reviews.sqlite"
    assert default_database_path() == expected


def test_blank_values_fall_through(clean_env, monkeypatch):
    monkeypatch.setenv("AGGREGATOR_DATABASE_URL", "  ")
    assert resolve_database_url("", {"AGGREGATOR_DATABASE_URL": None}).endswith("reviews.sqlite")


def test_bare_path_is_a_sqlite_file_and_parent_is_created(clean_env):
    path = clean_env / "deep" / "er" / "db.sqlite"
    assert resolve_database_url(str(path)) == f"sqlite:///{path}"
    assert path.parent.is_dir()


def test_plain_postgresql_scheme_uses_psycopg3(clean_env):
    url = resolve_database_url("postgresql://u:secret@db.example/reviews")
    assert url.startswith("postgresql+psycopg://u:secret@db.example")


@pytest.mark.parametrize(
    "bad, reason",
    [("://x", "not a database URL"), ("nonsense://", "unsupported database 'nonsense'")],
)
def test_bad_url_is_a_clear_error(clean_env, bad, reason):
    with pytest.raises(ValueError, match=reason):
        resolve_database_url(bad)


def test_mask_url_hides_password():
    assert "secret" not in mask_url("postgresql+psycopg://u:secret@h/db")


# --- make_engine -------------------------------------------------------------------------------


def test_sqlite_engine_pragmas(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite'}")
    with engine.connect() as connection:
        pragma = lambda name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
        assert pragma("journal_mode") == "wal"
        assert pragma("busy_timeout") == 30000
        assert pragma("foreign_keys") == 1
        assert pragma("synchronous") == 1  # NORMAL
    engine.dispose()


def test_unsupported_backend_is_refused():
    with pytest.raises(ValueError, match="unsupported database 'mysql'"):
        make_engine("mysql://u@h/db")


def test_unreachable_postgres_names_the_url_without_password():
    # Port 1 on loopback: nothing listens there, the connection is refused at once.
    engine = make_engine("postgresql+psycopg://critic:hunter2@127.0.0.1:1/reviews?connect_timeout=2")
    with pytest.raises(DatabaseUnavailable) as caught:
        with engine.connect():
            pass
    message = str(caught.value)
    assert "127.0.0.1:1/reviews" in message and "hunter2" not in message and "***" in message


def test_sqlite_file_under_a_regular_file_is_a_clear_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(DatabaseUnavailable, match="cannot create the directory"):
        make_engine(f"sqlite:///{blocker}/db.sqlite")


def test_sqlite_path_that_is_a_directory_is_a_clear_error(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}")
    with pytest.raises(DatabaseUnavailable, match=f"cannot connect to database sqlite:///{tmp_path}"):
        with engine.connect():
            pass


# --- migrations ----------------------------------------------------------------------------------


def test_migrations_from_empty_to_head_match_the_models(empty_db_url):
    engine = make_engine(empty_db_url)
    assert current_revisions(engine) == frozenset()
    assert not is_current(engine)
    upgrade(engine)
    assert current_revisions(engine) == head_revisions() == frozenset({"0018"})
    assert TABLES <= set(inspect(engine).get_table_names())
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    engine.dispose()


def test_downgrade_to_base_and_up_again(empty_db_url):
    engine = make_engine(empty_db_url)
    upgrade(engine)
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    ensure_schema(engine)
    assert is_current(engine)
    engine.dispose()


def test_ensure_schema_is_idempotent_and_cheap_when_current(empty_db_url):
    engine = make_engine(empty_db_url)
    ensure_schema(engine)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO critics (name, key, uid) VALUES ('Ada Fenwick', 'ada fenwick', 'n:adafenwick@x')"))
    statements: list[str] = []

    from sqlalchemy import event

    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    ensure_schema(engine)
    ensure_schema(engine)
    assert not any("CREATE" in s.upper() for s in statements), statements
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM critics")).scalar() == 1
    engine.dispose()


def test_database_from_a_newer_version_is_a_clear_error(db_engine):
    with db_engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    with pytest.raises(SchemaTooNew, match="9999_future.*upgrade the aggregator"):
        ensure_schema(db_engine)


def _ensure_in_process(url: str, barrier) -> str:
    from aggregator.db.session import ensure_schema, make_engine

    engine = make_engine(url)
    barrier.wait()
    ensure_schema(engine)
    engine.dispose()
    return "ok"


def test_two_processes_creating_one_new_sqlite_file(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.sqlite'}"
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        barrier = manager.Barrier(3)
        with context.Pool(3) as pool:
            results = [pool.apply_async(_ensure_in_process, (url, barrier)) for _ in range(3)]
            assert [r.get(timeout=120) for r in results] == ["ok"] * 3
    engine = make_engine(url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
    assert is_current(engine)
    engine.dispose()


def test_foreign_keys_are_enforced(db_engine):
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError):
        with db_engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO reviews (url, publication_id, content_hash, first_seen, last_seen,"
                    " updated_at) VALUES ('https://x.example/r', 999, 'h', :t, :t, :t)"
                ),
                {"t": "2030-01-01 00:00:00"},
            )


def test_check_constraints_catch_bad_values(db_engine):
    from sqlalchemy.exc import IntegrityError

    with db_engine.begin() as connection:
        connection.execute(text("INSERT INTO publications (key, name, weight, provisional) VALUES ('p', 'P', 1, false)"))
    for column, value in (("verdict", "'great'"), ("verdict_source", "'guess'"), ("score", "101")):
        with pytest.raises(IntegrityError):
            with db_engine.begin() as connection:
                connection.execute(
                    text(
                        f"INSERT INTO reviews (url, publication_id, content_hash, first_seen,"
                        f" last_seen, updated_at, {column}) VALUES ('https://x.example/{column}',"
                        f" (SELECT id FROM publications), 'h', :t, :t, :t, {value})"
                    ),
                    {"t": "2030-01-01 00:00:00+00:00"},
                )
