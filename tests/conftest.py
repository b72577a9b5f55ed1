"""Fixtures shared by the whole suite.

`shared_dir` finds the third-party material in `../shared` (the checkout's parent, or
AGGREGATOR_SHARED_DIR). Where it is absent (a user's clone) the tests that need it skip with
the reason; under CI=true its absence is a failure, since CI always has it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def _shared_root() -> Path:
    override = os.environ.get("AGGREGATOR_SHARED_DIR")
    return Path(override) if override else REPO_ROOT.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The `fixtures/real` folder of ../shared (third-party pages, APIs, datasets)."""
    real = _shared_root() / "fixtures" / "real"
    if not real.is_dir():
        reason = f"third-party fixtures not found at {real} (set AGGREGATOR_SHARED_DIR)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason + "; CI must have them")
        pytest.skip(reason)
    return real


# --- databases (aggregator.db): every store test runs on SQLite and on PostgreSQL ----------

POSTGRES_URL_ENV = "AGGREGATOR_TEST_POSTGRES_URL"
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _postgres_base_url() -> str:
    url = os.environ.get(POSTGRES_URL_ENV)
    if not url:
        pytest.skip(f"{POSTGRES_URL_ENV} is not set (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)")
    return url


@pytest.fixture(params=BACKENDS)
def empty_db_url(request, tmp_path):
    """URL of an empty database: a new SQLite file, or a fresh PostgreSQL schema (selected
    through search_path, dropped afterwards) so runs are isolated and re-runnable."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.sqlite'}"
        return
    import uuid

    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from aggregator.db.session import make_engine

    base = make_url(_postgres_base_url())
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = make_engine(base.render_as_string(hide_password=False))
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        scoped = base.update_query_dict({"options": f"-csearch_path={schema}"})
        yield scoped.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def db_engine(empty_db_url):
    """An Engine on a database migrated to head (parametrised: "sqlite", "postgres")."""
    from aggregator.db.session import ensure_schema, make_engine

    engine = make_engine(empty_db_url)
    ensure_schema(engine)
    yield engine
    engine.dispose()
