"""The benchmark stores of issue 16 (benchmarks.store_1m) and the store-at-scale benchmark
(benchmarks.store_scale) on a tiny store: what is generated, that the store agrees with it
(a generated review re-stored is "unchanged", new ones join the stored critics and films), and
that the benchmark's parts run end to end and leave the store as it was. No timing is asserted."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from aggregator.db.film_aggregates import stale_films
from aggregator.db.session import make_engine
from benchmarks import store_1m
from benchmarks.store_1m import build_store, generated_items, publications, world
from benchmarks.store_scale import (
    Figures,
    PageServer,
    Snapshot,
    crawl_one_page,
    new_then_unchanged,
    report,
    store_in_batches,
)

TINY = 2_000
COUNTED = ("publications", "critics", "critic_aliases", "critic_profiles", "films", "crawl_runs", "reviews",
           "review_critics", "review_revisions")


def counts(engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {name: connection.execute(text(f"SELECT count(*) FROM {name}")).scalar_one() for name in COUNTED}


@pytest.fixture
def tiny_store(empty_db_url):
    report_ = build_store(empty_db_url, TINY)
    engine = make_engine(empty_db_url)
    yield engine, report_
    engine.dispose()


def test_the_generated_store_holds_the_world_and_the_store_agrees_with_it(tiny_store):
    engine, built = tiny_store
    generated = world(TINY)
    assert built.counts["reviews"] == TINY
    assert built.counts["films"] == len(generated.films) == 40
    assert built.counts["critics"] == len(generated.critics) == 12
    assert built.counts["publications"] == len(generated.outlets) == 4
    assert built.counts["review_critics"] > TINY  # a few co-written reviews
    items = generated_items(TINY, store_reviews=TINY)
    assert {i.verdict_source for i in items} >= {"rating", "label", "inferred"}
    assert any(i.score is not None for i in items) and any(i.rating_raw is None for i in items)
    assert 2_500 < sum(len(i.text) for i in items) / TINY < 3_500
    before = counts(engine)

    # Hash parity: re-storing stored reviews through save_reviews finds each unchanged.
    _, again = store_in_batches(engine, items[:600], publications(generated))
    assert (again.new, again.updated, again.unchanged, again.skipped) == (0, 0, 600, {})
    # New reviews of the same world join the stored critics, aliases and films (the generator
    # wrote them as the store would have): only reviews and their links are added.
    _, fresh = store_in_batches(engine, generated_items(300, start=TINY, store_reviews=TINY), publications(generated))
    assert fresh.new == 300
    after = counts(engine)
    for name in ("publications", "critics", "critic_aliases", "critic_profiles", "films", "review_revisions"):
        assert after[name] == before[name], name
    assert after["reviews"] == TINY + 300
    assert after["crawl_runs"] == before["crawl_runs"] + 2


def test_new_then_unchanged_counts_and_the_store_is_restored(tiny_store):
    engine, _ = tiny_store
    before = counts(engine)
    snapshot = Snapshot.take(engine)
    timing = new_then_unchanged(engine, 400, store_reviews=TINY, first=TINY)
    assert (timing.insert.new, timing.insert.unchanged) == (400, 0)
    assert (timing.unchanged.new, timing.unchanged.updated, timing.unchanged.unchanged) == (0, 0, 400)
    assert timing.insert_per_s > 0 and timing.unchanged_per_s > 0
    snapshot.restore(engine)
    assert counts(engine) == before
    with Session(engine) as session:  # the films' kept sums are the store's own again
        assert stale_films(session) == []


def test_one_page_crawled_into_the_store_and_taken_out_again(tmp_path):
    url = f"sqlite:///{tmp_path / 'tiny.sqlite'}"
    build_store(url, TINY)
    engine = make_engine(url)
    before = counts(engine)
    snapshot = Snapshot.take(engine)
    server = PageServer()
    try:
        timing = crawl_one_page(url, f"{server.base}/reviews/test-page/")
    finally:
        server.close()
    assert set(timing.phases) == {"start", "crawl", "close"}
    assert abs(sum(timing.phases.values()) - timing.seconds) < 1e-6
    after = counts(engine)
    assert after["reviews"] == before["reviews"] + 1 and after["crawl_runs"] == before["crawl_runs"] + 1
    snapshot.restore(engine, server.base)
    assert counts(engine) == before
    with Session(engine) as session:
        assert stale_films(session) == []
    engine.dispose()


def test_ensure_store_reuses_a_current_store_and_rebuilds_on_a_new_key(tmp_path, monkeypatch):
    monkeypatch.setenv(store_1m.STORES_ENV, str(tmp_path))
    url = store_1m.ensure_store("sqlite", TINY, log=lambda _: None)
    path = tmp_path / "store-2k.sqlite"
    assert url.endswith(str(path)) and json.loads(path.with_suffix(".json").read_text())["key"]["reviews"] == TINY
    built = path.stat().st_mtime_ns
    assert store_1m.ensure_store("sqlite", TINY, log=lambda _: None) == url
    assert path.stat().st_mtime_ns == built
    monkeypatch.setattr(store_1m, "GENERATOR_VERSION", store_1m.GENERATOR_VERSION + 1)
    store_1m.ensure_store("sqlite", TINY, log=lambda _: None)
    assert path.stat().st_mtime_ns != built
    assert json.loads(path.with_suffix(".json").read_text())["key"]["generator"] == store_1m.GENERATOR_VERSION


def test_generated_reviews_are_the_same_whoever_asks():
    first = generated_items(50, start=TINY - 25, store_reviews=TINY)
    assert first == generated_items(50, start=TINY - 25, store_reviews=TINY)
    assert first[30] == generated_items(1, start=TINY + 5, store_reviews=TINY)[0]
    assert len({item.url for item in first}) == 50
    assert all(item.url.split("/")[2].endswith(".example") for item in first)


def test_the_report_puts_the_backends_side_by_side():
    from aggregator.db.upsert import UpsertCounts
    from benchmarks.store_scale import CrawlTiming, RestoreTiming

    figures = Figures([CrawlTiming(4.0, {"start": 3.0, "crawl": 0.5, "close": 0.5})],
                      [CrawlTiming(2.0, {"start": 1.5, "crawl": 0.3, "close": 0.2})],
                      [RestoreTiming(1000.0, 3000.0, UpsertCounts(new=5), UpsertCounts(unchanged=5))])
    table = report({"sqlite": figures, "postgres": figures}, 1_000_000, 50_000, 1)
    assert "sqlite" in table and "postgres" in table
    assert "2.00 [2.00–2.00]" in table.split("ratio store ÷ empty")[1].splitlines()[0]
    assert "3.00 [3.00–3.00]" in table.split("ratio unchanged ÷ new")[1].splitlines()[0]
