"""`aggregator import nyt-api FILE`: saved New York Times Movie Reviews API responses (read from
../shared at test time) through the crawl's normalisers into the store; bad records counted by
reason; a second import changes nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from aggregator.db.session import session_factory
from aggregator.importers.nyt_api import import_nyt_api, read_response, record_to_item

BIN = Path(sys.executable).parent
NEW = "nyt_movie_reviews_api_v2_2017-12.json"
OLD = "nyt_movie_reviews_api_v2_2015-07.json"


def api_file(shared_dir, name: str) -> Path:
    return shared_dir / "api" / "nyt" / name


def aggregator(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "aggregator"), *args], capture_output=True, text=True, timeout=180)


def exported(db_url: str) -> dict[str, dict]:
    result = aggregator("export", "--format", "json", "--db", db_url)
    assert result.returncode == 0, result.stderr
    return {record["url"]: record for record in json.loads(result.stdout)}


def test_both_formats_map_to_the_review_model(shared_dir):
    new, problem = record_to_item(read_response(api_file(shared_dir, NEW))[3])
    assert problem is None
    assert (new.url, new.critic_raw, new.film_raw, new.label_raw, new.published_raw) == (
        "http://www.nytimes.com/2017/11/23/movies/bombshell-the-hedy-lamarr-story-review-.html",
        ["MANOHLA DARGIS"], "Bombshell: The Hedy Lamarr Story", "Critic's Pick", "2017-11-23")
    assert (new.publication_raw, new.source_format, new.spider) == ("The New York Times", "nyt-api", "import:nyt-api")
    old, _ = record_to_item(read_response(api_file(shared_dir, OLD))[1])
    assert (old.url, old.critic_raw, old.film_raw, old.label_raw, old.published_raw) == (
        "http://movies.nytimes.com/2015/07/10/movies/review-slingshot-documentary-pitches-solution-to-global-water-crisis.html",
        ["Ben Kenigsberg"], "Slingshot", None, "2015-07-10")


@pytest.mark.parametrize("record, reason", [
    ("a string", "not_an_object"),
    ({"display_title": "The Brass Meridian"}, "missing_link_url"),
    ({"display_title": "The Brass Meridian", "link": {"url": "not a url"}}, "bad_link_url"),
    ({"display_title": " ", "link": {"url": "https://www.nytimes.com/x.html"}}, "missing_title"),
    ({"display_title": "The Brass Meridian", "critics_pick": "maybe",
      "link": {"url": "https://www.nytimes.com/x.html"}}, "bad_critics_pick"),
])
def test_records_that_are_not_reviews_say_why(record, reason):
    assert record_to_item(record) == (None, reason)


def test_import_twice_stores_every_record_once_with_the_normalisers_fields(shared_dir, empty_db_url):
    path = str(api_file(shared_dir, NEW))
    first = aggregator("import", "nyt-api", path, "--db", empty_db_url)
    assert first.returncode == 0, first.stderr
    assert "20 records; reviews new 20, updated 0, unchanged 0" in first.stdout
    rows = exported(empty_db_url)
    second = aggregator("import", "nyt-api", path, "--db", empty_db_url)
    assert second.returncode == 0, second.stderr
    assert "20 records; reviews new 0, updated 0, unchanged 20" in second.stdout
    assert len(rows) == 20 and set(exported(empty_db_url)) == set(rows)

    mudbound = rows["http://www.nytimes.com/2017/11/16/movies/mudbound-review-dee-rees.html"]
    assert mudbound["publication"]["key"] == "nytimes"
    assert mudbound["critics"] == ["A. O. Scott"]  # "A.O. SCOTT" through the critic normaliser
    assert mudbound["film"]["title"] == "Mudbound"
    assert (mudbound["label_raw"], mudbound["verdict"], mudbound["fresh"], mudbound["verdict_source"]) == (
        "Critic's Pick", "positive", True, "label")
    assert mudbound["published"] == "2017-11-16"
    assert sum(1 for r in rows.values() if r["label_raw"] == "Critic's Pick") == 7
    assert all(r["rating_raw"] is None and r["score"] is None for r in rows.values())  # the API gives no score
    assert {r["critics"][0] for r in rows.values()} == {
        "Glenn Kenny", "Ken Jaworowski", "Ben Kenigsberg", "Manohla Dargis", "A. O. Scott",
        "Jeannette Catsoulis", "Teo Bugbee"}
    runs = aggregator("runs", "--db", empty_db_url)
    assert runs.stdout.count("import:nyt-api") == 2


def test_the_older_format_and_entities_in_titles(shared_dir, db_engine):
    report = import_nyt_api(api_file(shared_dir, OLD), session_factory(db_engine))
    assert (report.records, report.counts.new, dict(report.bad)) == (20, 20, {})
    from sqlalchemy import select

    from aggregator.db.models import Film
    with session_factory(db_engine)() as session:
        titles = set(session.scalars(select(Film.title)))
    assert "Jackie & Ryan" in titles and "Jackie &amp; Ryan" not in titles


def test_bad_records_are_counted_by_reason_and_the_rest_imported(shared_dir, tmp_path, empty_db_url):
    data = json.loads(api_file(shared_dir, NEW).read_text())
    data["results"][0]["link"] = None
    data["results"][1]["display_title"] = ""
    data["results"][2]["publication_date"] = "2999-01-01"
    data["results"].append(42)
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(data))
    result = aggregator("import", "nyt-api", str(broken), "--db", empty_db_url)
    assert result.returncode == 0, result.stderr
    assert "21 records; reviews new 18, updated 0, unchanged 0" in result.stdout
    assert "not imported: missing_link_url 1, missing_title 1, not_an_object 1" in result.stdout
    assert "imported without a date (unreadable): 1" in result.stdout  # as the crawl stores it


def test_a_file_that_is_not_a_response_is_refused(tmp_path, empty_db_url):
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"status": "OK", "response": {"docs": []}}))
    result = aggregator("import", "nyt-api", str(other), "--db", empty_db_url)
    assert result.returncode == 2
    assert "no `results` list" in result.stderr
    missing = aggregator("import", "nyt-api", str(tmp_path / "absent.json"),
                         "--db", f"sqlite:///{tmp_path / 'never.sqlite'}")
    assert missing.returncode == 2 and "not a readable JSON file" in missing.stderr
    assert not (tmp_path / "never.sqlite").exists()  # refused before any database is created


def test_an_import_the_store_refuses_closes_its_run_as_failed(shared_dir, tmp_path):
    from sqlalchemy import select, text

    from aggregator.db.models import CrawlRun, Review
    from aggregator.db.session import ensure_schema, make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'refusing.sqlite'}")
    ensure_schema(engine)
    with engine.begin() as connection:  # a real database error on the store's first write
        connection.execute(text("CREATE TRIGGER refuse BEFORE INSERT ON reviews "
                                "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"))
    try:
        with pytest.raises(Exception, match="refused by the test"):
            import_nyt_api(api_file(shared_dir, OLD), session_factory(engine))
        with session_factory(engine)() as session:
            runs = session.execute(select(CrawlRun.spider, CrawlRun.status)).all()
            assert session.scalars(select(Review)).all() == []
        assert [tuple(run) for run in runs] == [("import:nyt-api", "failed")]
    finally:
        engine.dispose()
