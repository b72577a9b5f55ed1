"""A discovery crawl reads the stored fetch state only of the URLs it looks at (the candidate
entries of each listing, in batches), never the whole fetch_state table: the state of other
outlets' pages and of unrelated URLs stays in the database."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import event, insert

from aggregator.crawl.fetch_state import FetchStates
from aggregator.db.batching import CHUNK
from aggregator.db.models import FetchState
from aggregator.db.session import make_engine, session_factory
from tests.discovery_harness import QUARRY, fixture_sites, observed

WHEN = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
SINCE = "2026-11-25"


def _elsewhere(n: int) -> str:
    return f"https://www.elsewhere-review.example/reviews/{n}/"


def _seed(sessions, urls) -> None:
    with sessions.begin() as session:
        session.execute(insert(FetchState), [
            {"url": url, "etag": f'"{url}"', "lastmod": WHEN, "fetched_at": WHEN, "status": 200} for url in urls])


def test_only_the_urls_asked_about_are_read_in_batches(db_engine):
    sessions = session_factory(db_engine)
    ours = [f"{QUARRY}/arts/2026/11/{day}/review.html" for day in range(1, 4)]
    _seed(sessions, [_elsewhere(n) for n in range(700)] + ours)

    statements = []
    listener = lambda *args: statements.append((args[2], args[3]))  # noqa: E731
    event.listen(db_engine, "before_cursor_execute", listener)
    try:
        states = FetchStates(sessions)
        assert statements == [] and states.rows_read == 0  # nothing read before it is asked
        candidates = ours + [f"{QUARRY}/never-fetched/{n}" for n in range(CHUNK)]
        states.read(candidates)
        assert states.rows_read == 3 and len(statements) == 2  # 503 URLs: two IN-lists
        states.read(ours)  # already read: no statement
        assert len(statements) == 2
        # what the crawl decides from them is as before
        assert states.unchanged_since_stored(ours[0], WHEN)
        assert states.conditional_headers(ours[1]) == {"If-None-Match": f'"{ours[1]}"'}
        assert not states.held_review(ours[2]) and not states.unchanged_since_stored(candidates[-1], WHEN)
        assert len(statements) == 2
        # a URL no listing announced is read on its own, once
        assert states.conditional_headers(_elsewhere(5)) == {"If-None-Match": f'"{_elsewhere(5)}"'}
        assert states.held_review(_elsewhere(5)) is False
        assert states.rows_read == 4 and len(statements) == 3
    finally:
        event.remove(db_engine, "before_cursor_execute", listener)
    assert all(" IN " in sql.upper() for sql, _ in statements)  # never the whole table


def test_a_crawl_of_one_outlet_reads_no_state_of_another(tmp_path, empty_db_url):
    with fixture_sites(tmp_path) as sites:
        first = sites.crawl(empty_db_url, "--since", SINCE)
        assert first.returncode == 0, first.stdout + first.stderr
        engine = make_engine(empty_db_url)
        _seed(session_factory(engine), [_elsewhere(n) for n in range(600)])  # unrelated URLs
        engine.dispose()

        mark = sites.log.mark()
        record = tmp_path / "observed.json"
        again = sites.crawl(empty_db_url, "--since", SINCE, "--publication", "quarry-gazette", observe=record)
        assert again.returncode == 0, again.stdout + again.stderr
        conditional = {(r.path, r.status) for r in sites.log.since(mark) if r.conditional}
    seen = observed(record)
    asked = [value for read in seen["reads"] for value in read["parameters"]]
    assert asked and all(url.startswith(QUARRY) for url in asked), asked
    assert all(" IN " in read["sql"].upper() for read in seen["reads"])
    # the two pages of the Quarry Gazette's feed in the window: read at once, before either is asked
    assert seen["stats"]["aggregator/discovery/states_read"] == 2 and len(seen["reads"]) == 1
    # and the crawl decides as before: both answered 304, the review counted unchanged
    assert conditional == {("/arts/2026/11/29/review-the-salt-meridian.html", 304),
                           ("/opinion/2026/11/30/letters-the-salt-meridian.html", 304)}
    assert "reviews new 0, updated 0, unchanged 1" in again.stdout
