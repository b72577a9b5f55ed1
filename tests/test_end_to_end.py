"""End to end: real HTTP crawls through Scrapy, in their own processes as a user runs them,
into a real SQLite file and a real PostgreSQL server, then the queries."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from aggregator.demo.server import DEMO_PUBLICATIONS, DEMO_SITE, serve_directory

REPO = Path(__file__).resolve().parent.parent
EXPECTED = json.loads((REPO / "tests" / "fixtures" / "demo_expected.json").read_text())
EXPECTED_REVIEWS = dict(EXPECTED["reviews"])
BIN = Path(sys.executable).parent


def run(*args: str, cwd: Path = REPO, env: dict | None = None, timeout: int = 180) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "AGGREGATOR_LOG_LEVEL": "WARNING", **(env or {})}
    return subprocess.run(args, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout)


def aggregator(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return run(str(BIN / "aggregator"), *args, **kwargs)


def exported(db_url: str) -> dict[str, dict]:
    result = aggregator("export", "--format", "json", "--db", db_url)
    assert result.returncode == 0, result.stderr
    return {record["url"]: record for record in json.loads(result.stdout)}


def as_expected(record: dict) -> dict:
    return {
        "publication": record["publication"]["key"],
        "critics": record["critics"],
        "film_title": record["film"]["title"],
        "rating_raw": record["rating_raw"],
        "score": record["score"],
        "verdict": record["verdict"],
        "verdict_source": record["verdict_source"],
        "published": record["published"],
    }


def test_demo_twice_leaves_exactly_the_expected_reviews(empty_db_url):
    first = aggregator("demo", "--db", empty_db_url)
    assert first.returncode == 0, first.stdout + first.stderr
    assert f"reviews new {len(EXPECTED_REVIEWS)}, updated 0, unchanged 0" in first.stdout
    rows = exported(empty_db_url)
    assert set(rows) == set(EXPECTED_REVIEWS)
    for url, expected in EXPECTED_REVIEWS.items():
        wanted = {k: expected[k] for k in as_expected(rows[url])}
        assert as_expected(rows[url]) == wanted, url

    second = aggregator("demo", "--db", empty_db_url)
    assert second.returncode == 0, second.stdout + second.stderr
    assert f"reviews new 0, updated 0, unchanged {len(EXPECTED_REVIEWS)}" in second.stdout
    volatile = {"page_url", "first_seen", "last_seen", "updated_at", "last_run_id"}  # the port, the clock
    steady = lambda records: {u: {k: v for k, v in r.items() if k not in volatile} for u, r in records.items()}  # noqa: E731
    assert steady(exported(empty_db_url)) == steady(rows)

    runs = aggregator("runs", "--db", empty_db_url)
    assert runs.returncode == 0
    assert runs.stdout.count("structured_data") == 2 and " ok " in runs.stdout


@pytest.mark.parametrize("film", EXPECTED["films"], ids=lambda f: f"{f['title']} ({f['year']})")
def test_film_show_matches_the_expected_summary(demo_db, film):
    year = ["--year", str(film["year"])] if film["year"] else []
    result = aggregator("film", "show", film["title"], *year, "--db", demo_db)
    assert result.returncode == 0, result.stderr
    summary = film["summary"]
    assert f"reviews: {summary['reviews']}" in result.stdout
    if summary["average_score"] is not None:
        assert f"average score: {summary['average_score']:.1f}/100 (from {summary['scored']} scored)" in result.stdout
    for url in film["reviews"]:
        assert EXPECTED_REVIEWS[url]["published"] in result.stdout
    # every aggregate says how many of its inputs a model inferred
    inferred = summary["by_verdict_source"]["inferred"]
    known = summary["reviews"] - summary["by_verdict"]["unscored"]
    assert f"negative {_percent(summary['by_verdict']['negative'], known)} (of {known}, {inferred} inferred)" in result.stdout
    assert f"{summary['reviews']} reviews: " in result.stdout and f", {inferred} inferred" in result.stdout


def _percent(part: int, whole: int) -> str:
    return f"{part / whole * 100:.0f}%" if whole else "—"


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite'}"
    result = aggregator("demo", "--db", url)
    assert result.returncode == 0, result.stdout + result.stderr
    return url


def test_crawl_obeys_robots_txt_and_names_itself(tmp_path):
    db = f"sqlite:///{tmp_path / 'crawl.sqlite'}"
    with serve_directory(DEMO_SITE) as site:
        result = aggregator("crawl", "--start-urls", str(site), "--follow", "--db", db,
                            env={"AGGREGATOR_PUBLICATIONS": str(DEMO_PUBLICATIONS)})
        log = site.request_log
    assert result.returncode == 0, result.stdout + result.stderr
    assert log.count("/robots.txt") == 1
    assert log.requested_under("/private/") == []
    assert all("critics-aggregator/" in agent for agent in log.user_agents())
    assert len(exported(db)) == len(EXPECTED_REVIEWS)


def test_crawl_of_one_page_that_is_not_a_review_says_why(tmp_path):
    db = f"sqlite:///{tmp_path / 'one.sqlite'}"
    interview = next(p for p in EXPECTED["no_review"] if p["kind"] == "interview")
    with serve_directory(DEMO_SITE) as site:
        result = aggregator("crawl", "--url", site.url(interview["page"]), "--db", db)
    assert result.returncode == 1
    assert "no review found: no_review_signal (1 page)" in result.stdout
    assert exported(db) == {}
    runs = aggregator("runs", "--db", db)
    assert "empty ⚠" in runs.stdout


def test_a_spider_refusing_its_arguments_is_a_usage_error_not_a_traceback(tmp_path):
    db = f"sqlite:///{tmp_path / 'none.sqlite'}"
    result = aggregator("crawl", "--spider", "structured_data", "--db", db)  # no start URL
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("aggregator crawl: ") and "Traceback" not in result.stderr


def test_scrapy_commands_work_from_the_project_root_and_are_recorded(tmp_path):
    db = f"sqlite:///{tmp_path / 'scrapy.sqlite'}"
    listed = run(str(BIN / "scrapy"), "list")
    assert listed.returncode == 0, listed.stderr
    assert "structured_data" in listed.stdout.split()

    review = next(iter(EXPECTED_REVIEWS.values()))["page"]
    env = {"AGGREGATOR_DATABASE_URL": db, "AGGREGATOR_PUBLICATIONS": str(DEMO_PUBLICATIONS)}
    with serve_directory(DEMO_SITE) as site:
        stored = run(str(BIN / "scrapy"), "crawl", "structured_data", "-a", f"url={site.url(review)}", env=env)
        empty = run(str(BIN / "scrapy"), "crawl", "structured_data", "-a", f"url={site.url('/')}", env=env)
    assert stored.returncode == 0, stored.stderr
    assert empty.returncode == 1, "a run that stores no review must not look like success"
    runs = aggregator("runs", "--db", db).stdout
    assert "ok" in runs and "empty ⚠" in runs


def test_two_crawls_into_one_sqlite_file_at_once(tmp_path):
    db = f"sqlite:///{tmp_path / 'shared.sqlite'}"
    env = {**os.environ, "AGGREGATOR_LOG_LEVEL": "WARNING", "AGGREGATOR_PUBLICATIONS": str(DEMO_PUBLICATIONS)}
    with serve_directory(DEMO_SITE) as site:
        command = [str(BIN / "aggregator"), "crawl", "--start-urls", str(site), "--follow", "--db", db]
        crawls = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                  for _ in range(2)]
        outputs = [c.communicate(timeout=180) for c in crawls]
    assert [c.returncode for c in crawls] == [0, 0], outputs
    assert len(exported(db)) == len(EXPECTED_REVIEWS)
