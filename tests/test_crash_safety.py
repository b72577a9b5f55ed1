"""Crash safety of the store (issue 15): a crawl killed with SIGKILL part-way and run again loses
no review, with and without a JOBDIR; the next run marks the killed one `killed`; a SIGTERM ends
the run as `interrupted` with what it stored.

Real processes throughout: `aggregator crawl` against a local HTTP server of generated review
pages, into a SQLite file. So that the run after the kill cannot simply fetch everything again,
the server then answers 410 Gone for every page the killed crawl had scraped (the killed crawl
logs each scraped item): those reviews must come from the killed run's spool.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from aggregator.db import spool

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

BIN = Path(sys.executable).parent
PAGES = 300
KILL_AT = int(PAGES * 0.4)
PAGE_DELAY_S = 0.004
"""Each review page takes this long to answer, so that the crawl lasts long enough to be
killed at a chosen point (≈ 300 × 4 ms / 8 connections)."""
WORDS = "lantern orchard harbour brine ledger amber cinder vellum thistle meridian copper gull".split()


def review_page(base: str, n: int) -> bytes:
    title = " ".join(WORDS[(n * k) % len(WORDS)].capitalize() for k in (1, 3, 7))
    data = {
        "@context": "https://schema.org",
        "@type": "Review",
        "url": f"{base}r/{n}.html",
        "author": {"@type": "Person", "name": f"Critic {WORDS[n % len(WORDS)].capitalize()}son"},
        "publisher": {"@type": "Organization", "name": "Crash Test Review"},
        "itemReviewed": {"@type": "Movie", "name": f"{title} {n}", "dateCreated": str(2000 + n % 25)},
        "reviewRating": {"@type": "Rating", "ratingValue": str(1 + n % 5), "bestRating": "5"},
        "datePublished": f"2025-{1 + n % 12:02d}-{1 + n % 28:02d}",
        "headline": f"{title} {n} review",
    }
    text = " ".join(WORDS[(n + i) % len(WORDS)] for i in range(120))
    return (
        f"<!doctype html><html lang='en'><head><title>{title} {n} review</title>"
        f"<script type='application/ld+json'>{json.dumps(data)}</script></head>"
        f"<body><article><h1>{title} {n} review</h1><p>{text.capitalize()}.</p></article>"
        "<nav><a href='/'>Home</a></nav></body></html>"
    ).encode()


class Site:
    """Generated review pages /r/0.html … and an index linking them all; counts the review pages
    it answered, and answers 410 Gone for the paths in `gone`."""

    def __init__(self, pages: int = PAGES) -> None:
        self.pages = pages
        self.hits = 0
        self.gone: set[str] = set()
        self._lock = threading.Lock()

    def body(self, path: str) -> bytes | None:
        if path == "/":
            links = "".join(f"<li><a href='/r/{n}.html'>review {n}</a></li>" for n in range(self.pages))
            return f"<!doctype html><html><head><title>Index</title></head><body><ul>{links}</ul></body></html>".encode()
        match = re.fullmatch(r"/r/(\d+)\.html", path)
        if match and int(match[1]) < self.pages:
            with self._lock:
                self.hits += 1
            time.sleep(PAGE_DELAY_S)
            return review_page(self.base, int(match[1]))
        return None

    @contextmanager
    def serving(self):
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802 (http.server's name)
                body = None if self.path in site.gone else site.body(self.path)
                self.send_response(200 if body else 410 if self.path in site.gone else 404)
                body = body or b"gone"
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 128

            def handle_error(self, request, client_address):
                pass  # the killed crawl's connections reset: expected, not worth a traceback

        server = Server(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{server.server_address[1]}/"
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()

    def urls(self) -> set[str]:
        return {f"{self.base}r/{n}.html" for n in range(self.pages)}


def crawl_command(site: Site, db: str, *extra: str) -> list[str]:
    return [str(BIN / "aggregator"), "crawl", "--start-urls", site.base, "--follow", "--db", db,
            "-s", "LOG_LEVEL=DEBUG", *extra]


def crawl_env(tmp_path: Path) -> dict:
    return {**os.environ, "XDG_DATA_HOME": str(tmp_path / "xdg"), "AGGREGATOR_INFER_VERDICTS": "0"}


def start_and_signal(command, env, site: Site, log: Path, signum: int, at: int = KILL_AT) -> int:
    """Run `command` until the site has answered `at` review pages, then send it `signum`; wait for
    it to end and return its exit code (negative: the signal's number)."""
    with log.open("w") as stderr, log.with_suffix(".out").open("w") as stdout:
        process = subprocess.Popen(command, env=env, stdout=stdout, stderr=stderr)
        deadline = time.monotonic() + 60
        while site.hits < at and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        assert process.poll() is None, f"the crawl ended before it was signalled:\n{log.read_text()[-3000:]}"
        process.send_signal(signum)
        return process.wait(timeout=60)


def scraped_urls(log: Path) -> set[str]:
    """The reviews the crawl's pipelines had passed (Scrapy logs each item once it has)."""
    return set(re.findall(r"Scraped from <\d+ (\S+)>", log.read_text()))


def stored(db_file: Path) -> list[str]:
    with sqlite3.connect(db_file) as connection:
        if not connection.execute("SELECT 1 FROM sqlite_master WHERE name = 'reviews'").fetchone():
            return []  # the crawl has not created its schema yet
        return [url for (url,) in connection.execute("SELECT url FROM reviews")]


def runs(db_file: Path) -> list[dict]:
    with sqlite3.connect(db_file) as connection:
        connection.row_factory = sqlite3.Row
        return [dict(row) for row in connection.execute("SELECT * FROM crawl_runs ORDER BY id")]


@pytest.mark.parametrize("jobdir", [False, True], ids=["no-jobdir", "jobdir"])
def test_kill_9_at_40_percent_then_the_same_command_loses_no_review(tmp_path, jobdir):
    db_file = tmp_path / "crawl.sqlite"
    extra = ("-s", f"JOBDIR={tmp_path / 'job'}") if jobdir else ()
    env = crawl_env(tmp_path)
    with Site().serving() as site:
        command = crawl_command(site, f"sqlite:///{db_file}", *extra)
        code = start_and_signal(command, env, site, tmp_path / "killed.log", signal.SIGKILL)
        assert code == -signal.SIGKILL
        answered = site.hits
        scraped = scraped_urls(tmp_path / "killed.log")
        assert len(scraped) >= KILL_AT // 2, "the killed crawl should have scraped reviews"
        stored_before = stored(db_file)
        assert len(stored_before) < len(scraped), "the test needs reviews the kill left unstored"
        site.gone = {url.removeprefix(site.base.rstrip("/")) for url in scraped}  # only the spool has them now

        again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stdout + again.stderr[-4000:]
    urls = stored(db_file)
    assert len(urls) == len(set(urls)) == PAGES
    assert set(urls) == site.urls()
    recovered = re.search(r"recovered (\d+) reviews of run 1 from its spool", again.stderr)
    assert recovered and int(recovered[1]) >= len(scraped) - len(stored_before), again.stderr[-4000:]
    assert "run 1 was still 'running' but its process is gone: marked 'killed'" in again.stderr
    killed, resumed = runs(db_file)
    assert killed["status"] == "killed" and killed["finished_at"] is not None
    # Its row counts what it stored and what was recovered: every review it had scraped, and the
    # few it had received but not yet logged.
    assert len(scraped) <= killed["reviews_new"] <= answered
    assert killed["reviews_recovered"] == int(recovered[1])
    assert resumed["status"] == "ok"
    assert not any(spool.spool_dir_for(f"sqlite:///{db_file}").glob("*.jsonl")), "a finished run leaves no spool"


def test_sigterm_reports_what_was_stored_and_a_jobdir_resume_completes(tmp_path):
    db_file = tmp_path / "term.sqlite"
    env = crawl_env(tmp_path)
    with Site().serving() as site:
        command = crawl_command(site, f"sqlite:///{db_file}", "-s", f"JOBDIR={tmp_path / 'job'}")
        log = tmp_path / "term.log"
        code = start_and_signal(command, env, site, log, signal.SIGTERM)
        assert code != 0, "an interrupted crawl is not a success"
        (run,) = runs(db_file)
        urls = stored(db_file)
        assert run["status"] == "interrupted" and run["finish_reason"] == "shutdown"
        assert 0 < len(urls) == run["reviews_new"]
        text, report = log.read_text(), log.with_suffix(".out").read_text()
        assert "stored no review" not in text and "no review found" not in report
        assert f"was interrupted (finish reason shutdown) after storing {len(urls)} reviews" in text
        assert f"run 1 (structured_data): interrupted; reviews new {len(urls)}," in report

        resumed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr[-4000:]
    assert sorted(stored(db_file)) == sorted(site.urls())
    assert [r["status"] for r in runs(db_file)] == ["interrupted", "ok"]


def test_a_quiet_crawl_stores_its_reviews_on_the_interval_not_at_its_end(tmp_path):
    db_file = tmp_path / "quiet.sqlite"
    release = threading.Event()

    class Stalling(Site):
        def body(self, path):  # the first ten reviews at once, then a page that hangs
            if path == "/r/10.html":
                release.wait(60)
            return super().body(path)

    site = Stalling(pages=11)
    with site.serving():
        command = crawl_command(site, f"sqlite:///{db_file}", "-s", "AGGREGATOR_STORE_FLUSH_INTERVAL=0.5",
                                "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1")
        process = subprocess.Popen(command, env=crawl_env(tmp_path), stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not (db_file.exists() and len(stored(db_file)) == 10):
                time.sleep(0.1)
            assert len(stored(db_file)) == 10, "ten reviews in a batch of 200 should be stored on the interval"
            assert process.poll() is None, "…while the crawl still waits for its last page"
        finally:
            process.kill()
            process.wait()
            release.set()


# --- the spool, the runs' bookkeeping: real files, real processes, a real database ---------------


def test_a_review_replays_exactly_as_it_was_spooled_and_stored_batches_are_skipped(tmp_path):
    from dataclasses import replace
    from datetime import date

    from aggregator.db.upsert import UpsertCounts, content_hash
    from aggregator.items import ReviewItem

    odd = ReviewItem(url="https://a.example/r/1", critics=["Ada \ud800Fenwick"], text="nul\x00 text",
                     published=date(2025, 6, 14), rating_parts={"value": 3.5, "best": 5},
                     critic_profiles={"Ada": ["https://a.example/ada"]}, film_ids={"imdb": "tt01"},
                     authors_raw=[{"name": "Ada", "urls": []}], top_critic=False, score=70.0)
    log = spool.Spool.create(tmp_path, run_id=7)
    seqs = [log.append(replace(odd, url=f"https://a.example/r/{n}")) for n in range(5)]
    log.mark_stored(seqs[0], seqs[1], UpsertCounts(new=2))
    assert log.unstored == 3
    log.close(delete=False)
    with (tmp_path / "run-7.jsonl").open("ab") as torn:  # a write a power cut cut short
        torn.write(b'{"seq":5,"item":{"url":"https://a.ex')

    items, counts, unreadable = spool.read_spool(tmp_path / "run-7.jsonl")
    assert [i.url for i in items] == [f"https://a.example/r/{n}" for n in (2, 3, 4)]
    assert items[0] == replace(odd, url="https://a.example/r/2")
    assert content_hash(items[0]) == content_hash(replace(odd, url="https://a.example/r/2"))
    assert counts == {"new": 2, "updated": 0, "unchanged": 0} and unreadable == 1


HOLDER = """
import sys, time
from aggregator.db.spool import Spool
from aggregator.items import ReviewItem
log = Spool.create(__import__("pathlib").Path(sys.argv[1]), run_id=3)
log.append(ReviewItem(url="https://a.example/r/held"))
print("ready", flush=True)
time.sleep(60)
"""


def test_a_live_runs_spool_is_never_claimed_and_a_killed_ones_is_claimed_once(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        assert spool.claim_leftovers(tmp_path) == []
    finally:
        holder.kill()
        holder.wait()
    (claimed,) = spool.claim_leftovers(tmp_path)
    try:
        assert claimed.run_id == 3 and [i.url for i in claimed.items] == ["https://a.example/r/held"]
        assert spool.claim_leftovers(tmp_path) == [], "a claimed spool is locked for its claimant"
    finally:
        claimed.release(delete=True)
    assert not (tmp_path / "run-3.jsonl").exists()


def test_a_jobdir_left_by_a_dead_crawl_is_told_from_one_in_use_and_one_closed(tmp_path):
    (tmp_path / "requests.seen").write_bytes(b"x")
    (tmp_path / "requests.queue").mkdir()
    guard = spool.JobdirGuard(tmp_path)
    assert not guard.left_by_dead_crawl() and not guard.in_use()  # never marked: a clean pause
    guard.hold(run_id=1)
    other = spool.JobdirGuard(tmp_path)
    assert other.in_use() and not other.left_by_dead_crawl()
    guard.release()
    assert not other.in_use() and not other.left_by_dead_crawl()

    (tmp_path / spool.JOBDIR_MARK).write_text("{}")  # a mark nobody holds: its crawl died
    assert other.left_by_dead_crawl()
    assert other.reset_request_state() == ["requests.seen", "requests.queue"]
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_run_bookkeeping_interrupted_killed_and_recovered(db_engine):
    from sqlalchemy.orm import Session

    from aggregator.db.models import CrawlRun
    from aggregator.db.runs import add_recovered, finish_run, mark_killed, running_on, start_run
    from aggregator.db.upsert import UpsertCounts

    with Session(db_engine) as session:
        stopped = start_run(session, "s", pid=os.getpid(), host="here")
        run = finish_run(session, stopped, finish_reason="shutdown", stats={}, counts=UpsertCounts(new=3), dropped={})
        assert (run.status, run.reviews_new) == ("interrupted", 3)
        dead = start_run(session, "s", pid=2**22 + 12345, host="here")
        elsewhere = start_run(session, "s", pid=1, host="there")
        assert [r.id for r in running_on(session, "here")] == [dead]
        assert mark_killed(session, dead, {"new": 4, "unchanged": 1})
        assert not mark_killed(session, dead, {}), "a run is marked killed once"
        assert not mark_killed(session, stopped, {}), "a finished run is never marked killed"
        add_recovered(session, dead, UpsertCounts(new=2, unchanged=1))
        session.expire_all()
        killed = session.get(CrawlRun, dead)
        assert (killed.status, killed.finish_reason) == ("killed", "killed")
        assert (killed.reviews_new, killed.reviews_unchanged, killed.reviews_recovered) == (6, 2, 3)
        assert session.get(CrawlRun, elsewhere).status == "running"
