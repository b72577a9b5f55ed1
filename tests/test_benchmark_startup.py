"""benchmarks/startup.py: measures each command as a process and names the heavy packages it loads."""

from __future__ import annotations

from benchmarks.startup import COMMANDS, ROOT, build_store, heavy_modules, loaded_and_exit, measure, with_store


def test_help_loads_nothing_heavy_and_a_database_command_does() -> None:
    assert heavy_modules(ROOT, ("--help",)) == []
    # the check can fail: a command that opens the database loads SQLAlchemy
    assert "sqlalchemy" in heavy_modules(ROOT, ("db", "url", "--db", "sqlite:///unused.sqlite"))


def test_film_show_reads_the_small_store_without_alembic(tmp_path) -> None:
    film_show = next(args for args in COMMANDS if args[:2] == ("film", "show"))
    store = build_store(ROOT, tmp_path)
    # sub-packages are told apart: the SQLite store loads SQLAlchemy but not its PostgreSQL dialect
    assert loaded_and_exit(ROOT, with_store(film_show, store)) == (["sqlalchemy"], 0)
    assert loaded_and_exit(ROOT, ("film", "show", "No Such Film", "--db", store)) == (["sqlalchemy"], 2)


def test_one_round_reports_every_command() -> None:
    lines = measure(1, None)
    assert len(lines) == len(COMMANDS) + 1  # and the floor
    assert lines[0].startswith("aggregator --help: this tree median ")
    assert "loads none of the heavy packages" in lines[0]
    assert not any("EXIT" in line for line in lines), lines  # every command answered
    assert lines[-2].startswith("aggregator film show 'The Glass Orchard' --db <small store>: this tree median ")
    assert lines[-1].startswith("floor of a database command (python -c 'import aggregator.db.models'): this tree")
