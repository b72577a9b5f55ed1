"""benchmarks/startup.py: measures each command as a process and names the heavy packages it loads."""

from __future__ import annotations

from benchmarks.startup import COMMANDS, ROOT, heavy_modules, measure


def test_help_loads_nothing_heavy_and_a_database_command_does() -> None:
    assert heavy_modules(ROOT, ("--help",)) == []
    # the check can fail: a command that opens the database loads SQLAlchemy
    assert "sqlalchemy" in heavy_modules(ROOT, ("db", "url", "--db", "sqlite:///unused.sqlite"))


def test_one_round_reports_every_command() -> None:
    lines = measure(1, None)
    assert len(lines) == len(COMMANDS)
    assert lines[0].startswith("aggregator --help: this tree median ")
    assert "loads none of the heavy packages" in lines[0]
