"""What an `aggregator` command loads before it answers (issue 16), and the cheap readings that
let it skip the rest: each command builds only its own group's parser (aggregator.cli.main), a
database at the head is recognised without Alembic (aggregator.db.schema_revisions), and the
JSON columns pick JSONB without importing the PostgreSQL dialect on SQLite
(aggregator.db.models.PortableJSON). Times are measured by benchmarks/startup.py, not here.
"""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import JSON
from sqlalchemy.orm import Session

from aggregator.cli.main import COMMAND_GROUPS, build_parser, parse_arguments
from aggregator.db.schema_revisions import script_revisions, stored_revisions
from aggregator.db.session import alembic_config, current_revisions, ensure_schema, make_engine, upgrade
from aggregator.db.upsert import save_reviews
from aggregator.items import ReviewItem
from tests.factories import outlet

ROOT = Path(__file__).resolve().parent.parent
FILM = "The Glass Orchard"
NEVER_AT_START = ("scrapy", "twisted", "sklearn", "numpy", "dateparser", "alembic", "sqlalchemy.dialects.postgresql")
"""Loaded by no command below on a SQLite store at the head."""


def loaded_by(*args: str) -> tuple[subprocess.CompletedProcess, set[str]]:
    """Runs `aggregator ARGS` as a fresh process: (the process, the modules it had loaded)."""
    code = ("import sys\nfrom aggregator.cli.main import main\ntry:\n    code = main(sys.argv[1:])\n"
            "finally:\n    print('MODULES', ' '.join(sys.modules), file=sys.stderr)\nraise SystemExit(code)")
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip
    modules = next(line.split()[1:] for line in done.stderr.splitlines() if line.startswith("MODULES"))
    return done, set(modules)


def among(modules: set[str], packages: tuple[str, ...]) -> list[str]:
    return sorted(p for p in packages if any(m == p or m.startswith(p + ".") for m in modules))


@pytest.fixture
def store(tmp_path) -> str:
    """A SQLite store at the head holding one review of FILM."""
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    engine = make_engine(url)
    ensure_schema(engine)
    item = ReviewItem(url="https://lantern.example/reviews/1", spider="test", publication_raw="The Daily Lantern",
                      critic_raw=["Ada Fenwick"], film_raw=FILM, rating_raw="4/5", headline=f"{FILM} review",
                      publication="daily-lantern", critics=["Ada Fenwick"], film_title=FILM, film_year=2031,
                      rating_value=4.0, rating_best=5.0, rating_worst=0.0, scale="stars/5", score=80.0,
                      verdict="positive", fresh=True, verdict_source="rating", published=date(2031, 5, 1))  # fmt: skip
    with Session(engine) as session:
        save_reviews(session, [item], {"daily-lantern": outlet("daily-lantern", "The Daily Lantern")})
        session.commit()
    engine.dispose()
    return url


# --- what each command loads -----------------------------------------------------------------


def test_help_loads_no_database_crawl_or_date_code() -> None:
    done, modules = loaded_by("--help")
    assert done.returncode == 0 and "train-verdicts" in done.stdout  # every group listed
    assert among(modules, NEVER_AT_START + ("sqlalchemy",)) == []


def test_rating_loads_only_the_rating_reader() -> None:
    done, modules = loaded_by("rating", "3½/5")
    assert done.returncode == 0 and "score" in done.stdout
    assert among(modules, NEVER_AT_START + ("sqlalchemy",)) == []
    assert "aggregator.cli.films" not in modules and "aggregator.cli.verdicts" not in modules


def test_film_show_on_a_current_store_loads_neither_alembic_nor_the_postgresql_dialect(store) -> None:
    done, modules = loaded_by("film", "show", FILM, "--db", store)
    assert done.returncode == 0, done.stderr
    assert FILM in done.stdout and "Ada Fenwick" in done.stdout
    assert "sqlalchemy" in modules  # it did open the store
    assert among(modules, NEVER_AT_START) == []
    # only the film group's parser was built: neither the rating scales nor the verdict rules
    assert among(modules, ("aggregator.cli.ratings", "aggregator.cli.verdicts", "aggregator.ratings",
                           "aggregator.verdicts")) == []  # fmt: skip


def test_a_store_behind_the_head_is_still_upgraded_through_alembic(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    engine = make_engine(url)
    upgrade(engine, "0005")
    engine.dispose()
    done, modules = loaded_by("film", "show", FILM, "--db", url)
    assert done.returncode == 2 and "no film" in done.stderr  # upgraded, then found nothing
    assert "alembic" in modules
    engine = make_engine(url)
    assert current_revisions(engine) == script_revisions()[0]
    engine.dispose()


# --- the schema revisions read without Alembic ------------------------------------------------


def test_the_revisions_read_from_file_names_are_alembics() -> None:
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(alembic_config())
    heads, known = script_revisions()
    assert heads == frozenset(scripts.get_heads()) and len(heads) == 1
    assert known == frozenset(revision.revision for revision in scripts.walk_revisions())


@pytest.mark.parametrize("revision", [None, "0001", "0005", "head"])
def test_the_stored_revisions_are_read_as_alembic_reads_them(empty_db_url, revision) -> None:
    from alembic.runtime.migration import MigrationContext

    engine = make_engine(empty_db_url)
    if revision is not None:
        upgrade(engine, revision)
    with engine.connect() as connection:
        assert stored_revisions(connection) == frozenset(MigrationContext.configure(connection).get_current_heads())
        assert bool(stored_revisions(connection)) == (revision is not None)
    engine.dispose()


# --- the parser of one command group ---------------------------------------------------------


def test_each_group_registers_the_commands_main_routes_to_it() -> None:
    for module, commands in COMMAND_GROUPS.items():
        parser = argparse.ArgumentParser()
        subparsers = parser.add_subparsers()
        importlib.import_module(module).register(subparsers, argparse.ArgumentParser(add_help=False))
        assert tuple(subparsers.choices) == commands, module


@pytest.mark.parametrize("argv", [
    ["film", "show", FILM, "--year", "2031", "--db", "x.sqlite"],
    ["rating", "3½/5", "--scale", "stars/5", "--json"],
    ["db", "url"],
    ["verdict", "review", "--below", "0.5"],
    ["crawl", "--url", "https://lantern.example/reviews/1", "-v"],
    ["renormalise", "--dry-run"],
])
def test_one_groups_parser_reads_arguments_as_the_whole_parser(argv) -> None:
    assert vars(parse_arguments(argv)) == vars(build_parser().parse_args(argv))


@pytest.mark.parametrize("argv", [["film", "show", FILM, "--bogus"], ["flim"], ["film"], []])
def test_one_groups_parser_fails_as_the_whole_parser(argv, capsys) -> None:
    with pytest.raises(SystemExit) as whole:
        build_parser().parse_args(argv)
    expected = capsys.readouterr().err
    with pytest.raises(SystemExit) as one:
        parse_arguments(argv)
    assert (one.value.code, capsys.readouterr().err) == (whole.value.code, expected)


# --- the JSON columns ---------------------------------------------------------------------------


def test_the_json_type_is_the_variant_it_replaced_on_both_backends() -> None:
    from sqlalchemy.dialects import postgresql, sqlite
    from sqlalchemy.dialects.postgresql import JSONB

    from aggregator.db.models import JSONType

    variant = JSON().with_variant(JSONB(), "postgresql")
    for dialect in (sqlite.dialect(), postgresql.psycopg.dialect()):
        ours, theirs = JSONType.dialect_impl(dialect), variant.dialect_impl(dialect)
        assert JSONType.compile(dialect=dialect) == variant.compile(dialect=dialect)
        bind, their_bind = ours.bind_processor(dialect), theirs.bind_processor(dialect)
        for value in (None, [], {"a": [1]}):
            assert repr(bind(value) if bind else value) == repr(their_bind(value) if their_bind else value)
    assert (JSONType.should_evaluate_none, JSONType.hashable) == (variant.should_evaluate_none, variant.hashable)
    assert JSONType.compile(dialect=postgresql.psycopg.dialect()) == "JSONB"  # the check can fail
