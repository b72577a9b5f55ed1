"""Every way a user can point the `aggregator` command at something unusable ends in one line on
stderr naming the problem and its fix, exit 2 (1 for a database locked too long), and no
traceback; a database locked by another process is waited out, nothing dropped.

The real command runs in its own process (.venv/bin/aggregator), on real SQLite files.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from aggregator.demo.server import DEMO_PUBLICATIONS, DEMO_SITE, serve_directory

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
EXPECTED_REVIEWS = json.loads((REPO / "tests" / "fixtures" / "demo_expected.json").read_text())["reviews"]


def aggregator(*args: str, env: dict | None = None, home: Path) -> subprocess.CompletedProcess:
    full_env = {key: value for key, value in os.environ.items()
                if key not in ("AGGREGATOR_DATABASE_URL", "AGGREGATOR_PUBLICATIONS")}
    full_env.update({"AGGREGATOR_LOG_LEVEL": "WARNING", "XDG_DATA_HOME": str(home), **(env or {})})
    return subprocess.run([str(BIN / "aggregator"), *args], cwd=REPO, env=full_env,
                          capture_output=True, text=True, timeout=180)


def assert_one_line(result: subprocess.CompletedProcess, code: int, *words: str) -> str:
    """The failure is exactly one stderr line, with `code`, saying each of `words`."""
    lines = result.stderr.splitlines()
    assert result.returncode == code, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def database(tmp_path) -> Path:
    path = tmp_path / "store.sqlite"
    result = aggregator("db", "upgrade", "--db", str(path), home=tmp_path)
    assert result.returncode == 0, result.stderr
    return path


def _read_only(path: Path):
    """Make `path` unwritable, root included (chattr +i), and undo it afterwards; None when this
    machine cannot (no chattr, a filesystem without the attribute)."""
    if os.geteuid() != 0:
        path.chmod(0o555 if path.is_dir() else 0o444)
        return lambda: path.chmod(0o755 if path.is_dir() else 0o644)
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(path)]).returncode != 0:
        return None
    return lambda: subprocess.run(["chattr", "-i", str(path)], check=True)


# --- the database ---------------------------------------------------------------------------


@pytest.mark.parametrize("command, name", [(("runs",), "runs"), (("film", "show", "Anything"), "film show"),
                                           (("export",), "export"), (("db", "upgrade"), "db upgrade")])
def test_unreachable_postgresql(tmp_path, command, name):
    result = aggregator(*command, "--db", "postgresql://nobody@127.0.0.1:1/x", home=tmp_path)
    assert_one_line(result, 2, f"aggregator {name}:", "cannot connect to database postgresql+psycopg://nobody@127.0.0.1:1/x",
                    "Connection refused", "check that the server is running")


@pytest.mark.parametrize("url, words", [
    ("nonsense://", ("unsupported database 'nonsense'", "postgresql+psycopg://USER@HOST/DB")),
    ("://x", ("not a database URL", "sqlite:///PATH")),
])
def test_bad_database_url(tmp_path, url, words):
    assert_one_line(aggregator("runs", "--db", url, home=tmp_path), 2, *words)
    assert_one_line(aggregator("crawl", "--url", "http://127.0.0.1:9/", "--db", url, home=tmp_path), 2, *words)


def test_bad_database_url_in_the_environment(tmp_path):
    result = aggregator("runs", env={"AGGREGATOR_DATABASE_URL": "nonsense://"}, home=tmp_path)
    assert_one_line(result, 2, "unsupported database 'nonsense'")


@pytest.mark.parametrize("command", [("runs",), ("export", "--format", "csv"), ("crawl", "--url", "http://127.0.0.1:9/")])
def test_corrupt_sqlite_file(tmp_path, command):
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(bytes(range(256)) * 64)
    result = aggregator(*command, "--db", str(garbage), home=tmp_path)
    assert_one_line(result, 2, str(garbage), "not a usable SQLite database", "give --db another file")


def test_read_only_sqlite_file_refuses_a_crawl_before_it_starts(tmp_path, database):
    undo = _read_only(database)
    if undo is None:
        pytest.skip("cannot make a file read-only here (root without chattr)")
    try:
        crawl = aggregator("crawl", "--url", "http://127.0.0.1:9/", "--db", str(database), home=tmp_path)
        runs = aggregator("runs", "--db", str(database), home=tmp_path)
    finally:
        undo()
    assert_one_line(crawl, 2, str(database), "read-only", "writable")
    assert runs.returncode == 0 and "no crawl runs recorded" in runs.stdout  # reading still works


def test_read_only_directory(tmp_path, database):
    undo = _read_only(database.parent)
    if undo is None:
        pytest.skip("cannot make a directory read-only here (root without chattr)")
    try:
        # WAL needs -wal and -shm files beside the database: removed at the last close
        crawl = aggregator("crawl", "--url", "http://127.0.0.1:9/", "--db", str(database), home=tmp_path)
        fresh = aggregator("runs", "--db", str(database.parent / "new.sqlite"), home=tmp_path)
    finally:
        undo()
    assert_one_line(crawl, 2, str(database), "writable directory")
    assert_one_line(fresh, 2, "new.sqlite", "writable directory")


def test_bad_busy_timeout_setting(tmp_path, database):
    result = aggregator("runs", "--db", str(database), env={"AGGREGATOR_SQLITE_BUSY_TIMEOUT": "soon"}, home=tmp_path)
    assert_one_line(result, 2, "AGGREGATOR_SQLITE_BUSY_TIMEOUT='soon'", "seconds")


# --- the crawl's arguments and configuration ------------------------------------------------


@pytest.mark.parametrize("args, words", [
    (("--url", "ftp://x"), ("start URL 'ftp://x'", "only http:// and https://")),
    (("--url", "file:///etc/passwd"), ("start URL 'file:///etc/passwd'", "only http:// and https://")),
    (("--url", "not-a-url"), ("start URL 'not-a-url'", "https://example.com/review")),
    (("--start-urls", "https://a.example/,file:///etc/passwd"), ("'file:///etc/passwd'",)),
    (("-a", "url=file:///etc/passwd"), ("'file:///etc/passwd'",)),
    (("--url", "https://a.example/", "-s", "DOWNLOAD_DELAY=abc"), ("DOWNLOAD_DELAY='abc'", "DOWNLOAD_DELAY is a number")),
    (("--url", "https://a.example/", "-s", "CONCURRENT_REQUESTS=1.5"), ("is a whole number",)),
    (("--url", "https://a.example/", "-s", "ROBOTSTXT_OBEY=maybe"), ("is a switch", "ROBOTSTXT_OBEY=1")),
    (("--since", "99999999999d"), ("--since '99999999999d'", "30d")),
    (("--since", "yesterday"), ("--since 'yesterday'", "ISO date")),
])
def test_crawl_usage_errors(tmp_path, database, args, words):
    result = aggregator("crawl", *args, "--db", str(database), home=tmp_path)
    assert_one_line(result, 2, "aggregator crawl:", *words)
    with sqlite3.connect(database) as connection:  # refused before a crawl started
        assert connection.execute("SELECT count(*) FROM crawl_runs").fetchone() == (0,)


@pytest.mark.parametrize("content, words", [
    ("not [valid toml", ("invalid TOML",)),
    ("[publications.Bad_Key]\nname = 'x'\n", ("key must be a lowercase slug",)),
    (None, ("cannot read registry file",)),
])
@pytest.mark.parametrize("crawl", [("--url", "http://127.0.0.1:9/"), ("--since", "2d")])
def test_malformed_publications_environment(tmp_path, database, content, words, crawl):
    registry = tmp_path / "extra.toml"
    if content is not None:
        registry.write_text(content)
    result = aggregator("crawl", *crawl, "--db", str(database),
                        env={"AGGREGATOR_PUBLICATIONS": str(registry)}, home=tmp_path)
    line = assert_one_line(result, 2, str(registry), *words, "AGGREGATOR_PUBLICATIONS")
    assert "run None" not in result.stdout + line


def test_export_into_a_missing_folder(tmp_path, database):
    target = tmp_path / "missing" / "folder" / "x.csv"
    result = aggregator("export", "--format", "csv", "-o", str(target), "--db", str(database), home=tmp_path)
    assert_one_line(result, 2, f"cannot write '{target}'", "does not exist", "create it")
    directory = aggregator("export", "-o", str(tmp_path), "--db", str(database), home=tmp_path)
    assert_one_line(directory, 2, "Is a directory")


# --- a database locked by another process ---------------------------------------------------


class HeldLock:
    """A write lock (BEGIN IMMEDIATE) on a SQLite file, taken by another connection when
    `when()` is true and held for `seconds`, in a thread of the test."""

    def __init__(self, path: Path, seconds: float, when=lambda connection: True):
        self.connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.seconds, self.when, self.taken = seconds, when, threading.Event()
        self.thread = threading.Thread(target=self._hold, daemon=True)

    def _hold(self) -> None:
        deadline = time.monotonic() + 60
        while not self.when(self.connection) and time.monotonic() < deadline:
            time.sleep(0.01)
        self.connection.execute("BEGIN IMMEDIATE")
        self.taken.set()
        time.sleep(self.seconds)
        self.connection.execute("ROLLBACK")

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.thread.join(timeout=90)
        self.connection.close()


def _a_run_is_recorded(connection) -> bool:
    return connection.execute("SELECT count(*) FROM crawl_runs").fetchone()[0] > 0


@pytest.mark.parametrize("when, what", [
    (None, "the crawl's run record"),  # locked before the crawl starts
    (_a_run_is_recorded, f"a batch of {len(EXPECTED_REVIEWS)} reviews"),  # locked once the run is recorded: its reviews wait
])
def test_a_crawl_waits_out_a_lock_held_longer_than_the_busy_timeout(tmp_path, database, when, what):
    """Another connection takes the write lock, and lets it go only once the crawl has said it
    found the database locked past its busy timeout and is trying again."""
    env = {key: value for key, value in os.environ.items() if key != "AGGREGATOR_DATABASE_URL"}
    env.update({"AGGREGATOR_LOG_LEVEL": "WARNING", "XDG_DATA_HOME": str(tmp_path),
                "AGGREGATOR_SQLITE_BUSY_TIMEOUT": "0.3", "AGGREGATOR_PUBLICATIONS": str(DEMO_PUBLICATIONS)})
    lock = sqlite3.connect(database, isolation_level=None)
    with serve_directory(DEMO_SITE) as site:
        if when is None:
            lock.execute("BEGIN IMMEDIATE")
        crawl = subprocess.Popen([str(BIN / "aggregator"), "crawl", "--start-urls", str(site), "--follow",
                                  "--db", str(database)], cwd=REPO, env=env, text=True,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if when is not None:
            while not when(lock) and crawl.poll() is None:
                time.sleep(0.01)
            lock.execute("BEGIN IMMEDIATE")
        held, errors = True, []
        for line in crawl.stderr:
            errors.append(line)
            if held and "locked by another process; trying again" in line:
                lock.execute("ROLLBACK")
                held = False
        if held:
            lock.execute("ROLLBACK")
        output = crawl.stdout.read()
        crawl.wait(timeout=120)
    lock.close()
    stderr = "".join(errors)
    assert crawl.returncode == 0, output + stderr
    assert "Traceback" not in stderr and not held
    assert f"writing {what}" in stderr and "the database is locked by another process; trying again" in stderr
    assert "dropped" not in output
    exported = json.loads(aggregator("export", "--db", str(database), home=tmp_path).stdout)
    assert len(exported) == len(EXPECTED_REVIEWS)


def test_a_command_that_finds_the_database_locked_says_so(tmp_path, database):
    env = {"AGGREGATOR_SQLITE_BUSY_TIMEOUT": "0.3"}
    with HeldLock(database, seconds=8) as lock:
        lock.taken.wait(10)
        result = aggregator("db", "upgrade", "--db", str(database), env=env, home=tmp_path)
    assert_one_line(result, 1, "aggregator db upgrade:", "locked by another process", "try again")


def test_write_retrying_gives_up_after_the_patience(tmp_path, database):
    from aggregator.db.session import DatabaseLocked, make_engine, session_factory, write_retrying

    os.environ["AGGREGATOR_SQLITE_BUSY_TIMEOUT"] = "0.1"
    try:
        engine = make_engine(f"sqlite:///{database}")
    finally:
        del os.environ["AGGREGATOR_SQLITE_BUSY_TIMEOUT"]
    calls = []

    def work(session):
        calls.append(1)
        session.connection().exec_driver_sql("CREATE TABLE scratch (x INTEGER)")

    with HeldLock(database, seconds=2) as lock:
        lock.taken.wait(10)
        with pytest.raises(DatabaseLocked, match="stayed locked by another process for over 0.5 s"):
            write_retrying(session_factory(engine), work, what="scratch", patience=0.5)
        assert len(calls) >= 2  # tried again, then gave up
    write_retrying(session_factory(engine), work, what="scratch", patience=0.5)  # the lock is gone
    engine.dispose()
