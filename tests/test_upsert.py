"""Batched upserts of reviews and crawl-run bookkeeping (aggregator.db.upsert).

All outlets, critics and films here are fictional.
"""

from __future__ import annotations

import multiprocessing
import threading
from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aggregator.db.models import (
    CrawlRun,
    Critic,
    Film,
    Publication,
    Review,
    ReviewCritic,
    ReviewRevision,
)
from aggregator.db.runs import finish_run, list_runs, start_run
from aggregator.db.session import make_engine
from aggregator.db.upsert import (
    UpsertCounts,
    content_hash,
    critic_key,
    item_problem,
    save_reviews,
)
from aggregator.items import ReviewItem
from tests.factories import outlet

PUBLICATIONS = {
    "daily-lantern": outlet("daily-lantern", "The Daily Lantern", ("lantern.example",)),
    "reel-gazette": outlet("reel-gazette", "Reel Gazette", ("gazette.example",), scale="letter"),
}


def make_item(n: int = 0, **changes) -> ReviewItem:
    item = ReviewItem(
        url=f"https://lantern.example/reviews/{n}",
        page_url=f"https://lantern.example/reviews/{n}?utm_source=feed",
        spider="test",
        publication_raw="The Daily Lantern",
        critic_raw=["Ada Fenwick"],
        film_raw="The Glass Orchard",
        rating_raw="4/5",
        headline=f"The Glass Orchard review {n}",
        text="A patient, luminous film.",
        publication="daily-lantern",
        critics=["Ada Fenwick"],
        film_title="The Glass Orchard",
        film_year=2031,
        rating_value=4.0,
        rating_best=5.0,
        rating_worst=0.0,
        scale="stars/5",
        score=80.0,
        verdict="positive",
        fresh=True,
        verdict_source="rating",
        published=date(2031, 5, 1),
    )
    return replace(item, **changes)


def count(session: Session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_upsert_twice_gives_the_same_rows(db_engine):
    items = [make_item(n) for n in range(5)]
    with Session(db_engine) as session:
        first_run = start_run(session, "test", {})
        assert save_reviews(session, items, PUBLICATIONS, first_run) == UpsertCounts(new=5)
        session.commit()
        before = {r.url: (r.id, r.first_seen, r.last_seen) for r in session.scalars(select(Review))}

        second_run = start_run(session, "test", {})
        counts = save_reviews(session, [make_item(n) for n in range(5)], PUBLICATIONS, second_run)
        session.commit()
        assert counts == UpsertCounts(unchanged=5)
        assert counts.urls == {item.url for item in items}  # confirmed unchanged counts as stored
        assert (count(session, Review), count(session, Critic), count(session, Film)) == (5, 1, 1)
        assert count(session, ReviewRevision) == 0
        session.expire_all()
        for review in session.scalars(select(Review)):
            review_id, first_seen, last_seen = before[review.url]
            assert review.id == review_id and review.first_seen == first_seen
            assert review.last_seen >= last_seen and review.last_run_id == second_run


def test_changed_review_is_updated_with_one_revision(db_engine):
    with Session(db_engine) as session:
        save_reviews(session, [make_item(1), make_item(2)], PUBLICATIONS)
        session.commit()
        changed = make_item(1, rating_raw="2/5", rating_value=2.0, score=40.0, verdict="mixed",
                            text="On reflection, a slog.")  # fmt: skip
        counts = save_reviews(session, [changed, make_item(2)], PUBLICATIONS)
        session.commit()
        assert counts == UpsertCounts(updated=1, unchanged=1)
        review = session.scalars(select(Review).where(Review.url == changed.url)).one()
        assert (review.rating_raw, review.score, review.verdict) == ("2/5", 40.0, "mixed")
        assert review.text == "On reflection, a slog."
        revision = session.scalars(select(ReviewRevision)).one()
        assert revision.review_id == review.id
        assert (revision.rating_raw, revision.score, revision.verdict) == ("4/5", 80.0, "positive")
        assert revision.text == "A patient, luminous film."
        assert revision.content_hash == content_hash(make_item(1))
        assert review.content_hash == content_hash(changed)


def test_change_outside_text_and_rating_updates_without_revision(db_engine):
    with Session(db_engine) as session:
        save_reviews(session, [make_item(1)], PUBLICATIONS)
        session.commit()
        counts = save_reviews(session, [make_item(1, published_raw="1 May 2031")], PUBLICATIONS)
        session.commit()
        assert counts == UpsertCounts(updated=1)
        assert count(session, ReviewRevision) == 0


def test_fetch_address_alone_is_not_a_change(db_engine):
    with Session(db_engine) as session:
        save_reviews(session, [make_item(1)], PUBLICATIONS)
        counts = save_reviews(session, [make_item(1, page_url="https://m.lantern.example/r/1")], PUBLICATIONS)
        assert counts == UpsertCounts(unchanged=1)


def test_co_written_review_links_two_critics_in_byline_order(db_engine):
    item = make_item(1, critic_raw=["Zoë Quill and Ivo Marsh"], critics=["Zoë Quill", "Ivo Marsh"])
    other = make_item(2, critics=["Zoe  Quill"])  # same person: accents and spacing fold
    with Session(db_engine) as session:
        save_reviews(session, [item, other], PUBLICATIONS)
        session.commit()
        review = session.scalars(select(Review).where(Review.url == item.url)).one()
        assert review.critic_names == ["Zoë Quill", "Ivo Marsh"]
        assert count(session, Critic) == 2
        assert count(session, ReviewCritic) == 3
        assert review.critic_raw == ["Zoë Quill and Ivo Marsh"]


def test_changed_byline_relinks_critics(db_engine):
    with Session(db_engine) as session:
        save_reviews(session, [make_item(1, critics=["Ada Fenwick", "Ivo Marsh"])], PUBLICATIONS)
        save_reviews(session, [make_item(1, critics=["Ivo Marsh"])], PUBLICATIONS)
        session.commit()
        review = session.scalars(select(Review)).one()
        assert review.critic_names == ["Ivo Marsh"]


def test_duplicate_urls_in_one_batch_last_wins(db_engine):
    with Session(db_engine) as session:
        counts = save_reviews(
            session, [make_item(1, headline="first"), make_item(1, headline="last")], PUBLICATIONS
        )
        session.commit()
        assert counts == UpsertCounts(new=1)
        assert session.scalars(select(Review.headline)).all() == ["last"]


def test_manual_verdict_is_never_overwritten_by_a_crawl(db_engine):
    with Session(db_engine) as session:
        save_reviews(session, [make_item(1)], PUBLICATIONS)
        session.commit()
        review = session.scalars(select(Review)).one()
        review.verdict, review.fresh, review.verdict_source = "negative", False, "manual"
        session.commit()
        recrawl = make_item(1, text="Edited text.", verdict="positive", fresh=True)
        assert save_reviews(session, [recrawl], PUBLICATIONS) == UpsertCounts(updated=1)
        session.commit()
        session.expire_all()
        review = session.scalars(select(Review)).one()
        assert (review.verdict, review.fresh, review.verdict_source) == ("negative", False, "manual")
        assert review.text == "Edited text."


def film_of(session: Session) -> dict[str, tuple[str, int | None] | None]:
    rows = session.execute(
        select(Review.url, Film.title, Film.year).outerjoin(Film, Film.id == Review.film_id)
    )
    return {url: (title, year) if title else None for url, title, year in rows}


def test_film_identity_ignores_case_and_punctuation(db_engine):
    items = [
        make_item(1, film_title="The Glass Orchard"),
        make_item(2, film_title="the glass orchard!"),
        make_item(3, film_title="Quiet Harbour", film_year=None),
        make_item(4, film_title=None),
        make_item(5, film_title="?!"),
    ]
    with Session(db_engine) as session:
        save_reviews(session, items, PUBLICATIONS)
        session.commit()
        assert sorted(session.execute(select(Film.uid, Film.title)).all()) == [
            ("glass orchard|2031", "The Glass Orchard"),
            ("quiet harbour|", "Quiet Harbour"),
        ]
        films = film_of(session)
        assert films[items[0].url] == films[items[1].url] == ("The Glass Orchard", 2031)
        assert films[items[2].url] == ("Quiet Harbour", None)
        assert films[items[3].url] is None and films[items[4].url] is None


@pytest.mark.parametrize("order", ["dated first", "undated first", "one batch"])
def test_review_without_year_joins_the_one_dated_film_whatever_the_order(db_engine, order):
    dated = [make_item(1), make_item(2)]
    undated = [make_item(3, film_year=None), make_item(4, film_year=None)]
    batches = {
        "dated first": [dated, undated],
        "undated first": [undated, dated],
        "one batch": [undated + dated],
    }[order]
    with Session(db_engine) as session:
        for batch in batches:
            save_reviews(session, batch, PUBLICATIONS)
            session.commit()
        assert set(film_of(session).values()) == {("The Glass Orchard", 2031)}
        # Re-crawling the year-less reviews changes nothing.
        assert save_reviews(session, undated, PUBLICATIONS) == UpsertCounts(unchanged=2)


def test_review_without_year_among_several_years_is_placed_by_its_publication_date(db_engine):
    items = [
        make_item(1, film_year=2031),
        make_item(2, film_year=2044),
        make_item(3, film_year=None),  # published 2031-05-01: only the 2031 film's window
        make_item(4, film_year=None, published=None),  # no date: no way to choose
    ]
    with Session(db_engine) as session:
        counts = save_reviews(session, items, PUBLICATIONS)
        session.commit()
        assert film_of(session) == {
            items[0].url: ("The Glass Orchard", 2031),
            items[1].url: ("The Glass Orchard", 2044),
            items[2].url: ("The Glass Orchard", 2031),
            items[3].url: None,
        }
        assert counts.unresolved_film == {"ambiguous": 1}


def test_unknown_outlet_is_stored_as_provisional(db_engine):
    item = make_item(1, url="https://new-outlet.example/r/1", publication="new-outlet",
                     publication_raw="New Outlet Weekly")  # fmt: skip
    with Session(db_engine) as session:
        save_reviews(session, [item], PUBLICATIONS)
        outlet = session.scalars(select(Publication).where(Publication.key == "new-outlet")).one()
        assert (outlet.name, outlet.domain, outlet.provisional) == (
            "New Outlet Weekly", "new-outlet.example", True,
        )  # fmt: skip


def test_registry_changes_refresh_the_publication_row(db_engine):
    with Session(db_engine) as session:
        save_reviews(session, [make_item(1)], PUBLICATIONS)
        session.commit()
        renamed = {"daily-lantern": replace(PUBLICATIONS["daily-lantern"], name="Daily Lantern", weight=2.0)}
        save_reviews(session, [make_item(1)], renamed)
        session.commit()
        session.expire_all()
        outlet = session.scalars(select(Publication)).one()
        assert (outlet.name, outlet.weight, outlet.domain) == ("Daily Lantern", 2.0, "lantern.example")


@pytest.mark.parametrize(
    "changes, reason",
    [
        ({"url": None}, "missing_url"),
        ({"url": "   "}, "missing_url"),
        ({"publication": None}, "missing_publication"),
        ({"verdict": "great"}, "invalid_verdict"),
        ({"verdict_source": "guess"}, "invalid_verdict_source"),
        ({"score": 150.0}, "invalid_score"),
        ({"score": float("nan")}, "invalid_score"),
        ({"score": "80"}, "invalid_score"),
        ({"confidence": 1.5}, "invalid_confidence"),
        ({"published": "2031-05-01"}, "invalid_published"),
        ({"film_year": "2031"}, "invalid_film_year"),
    ],
)
def test_known_bad_items_are_skipped_with_a_reason(db_engine, changes, reason):
    bad = make_item(9, **changes)
    assert item_problem(bad) == reason
    with Session(db_engine) as session:
        counts = save_reviews(session, [bad, make_item(1)], PUBLICATIONS)
        session.commit()
        assert counts == UpsertCounts(new=1, skipped={reason: 1})
        assert counts.urls == {make_item(1).url}  # what a discovery crawl marks as fetched
        assert count(session, Review) == 1


def test_a_good_item_has_no_problem():
    assert item_problem(make_item(1)) is None


def test_critic_key_folds_case_accents_and_spacing():
    assert critic_key("  Zoë   QUILL ") == critic_key("zoe quill") == "zoe quill"
    assert critic_key("Ivo Marsh") != critic_key("Ivo Marshall")


def test_large_batch_spans_several_chunks(db_engine):
    items = [make_item(n, critics=[f"Critic {n % 7}"]) for n in range(1203)]
    with Session(db_engine) as session:
        assert save_reviews(session, items, PUBLICATIONS).new == 1203
        session.commit()
        assert save_reviews(session, items, PUBLICATIONS).unchanged == 1203
        assert (count(session, Review), count(session, Critic)) == (1203, 7)


# --- concurrency ---------------------------------------------------------------------------------


def _write_rounds(url: str, worker: int, rounds: int) -> UpsertCounts:
    engine = make_engine(url)
    total = UpsertCounts()
    try:
        for round_ in range(rounds):
            # Both writers send the same urls (in opposite orders) with the same content.
            numbers = list(range(40))
            if worker % 2:
                numbers.reverse()
            items = [make_item(n, critics=[f"Critic {n % 5}", "Ivo Marsh"]) for n in numbers]
            with Session(engine) as session:
                total = total + save_reviews(session, items, PUBLICATIONS)
                session.commit()
    finally:
        engine.dispose()
    return total


def _assert_rows_after_concurrent_writes(url: str, totals: list[UpsertCounts], rounds: int):
    assert sum(t.new for t in totals) == 40
    assert sum(t.stored for t in totals) == 40 * rounds * len(totals)
    engine = make_engine(url)
    with Session(engine) as session:
        assert count(session, Review) == 40
        assert count(session, Critic) == 6
        assert count(session, Film) == 1
        assert count(session, ReviewCritic) == 80
    engine.dispose()


def test_concurrent_writers_in_threads(db_engine):
    url = db_engine.url.render_as_string(hide_password=False)
    totals: list[UpsertCounts] = []
    errors: list[BaseException] = []

    def run(worker: int) -> None:
        try:
            totals.append(_write_rounds(url, worker, rounds=5))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    _assert_rows_after_concurrent_writes(url, totals, rounds=5)


def test_concurrent_writers_in_processes_into_one_sqlite_file(tmp_path):
    from aggregator.db.session import ensure_schema

    url = f"sqlite:///{tmp_path / 'shared.sqlite'}"
    engine = make_engine(url)
    ensure_schema(engine)
    engine.dispose()
    context = multiprocessing.get_context("spawn")
    with context.Pool(2) as pool:
        results = [pool.apply_async(_write_rounds, (url, w, 5)) for w in range(2)]
        totals = [r.get(timeout=120) for r in results]
    _assert_rows_after_concurrent_writes(url, totals, rounds=5)


# --- crawl runs ----------------------------------------------------------------------------------


def test_run_statuses(db_engine):
    stats = {"response_received_count": 12, "item_scraped_count": 9, "log_count/ERROR": 1}
    with Session(db_engine) as session:
        ok = start_run(session, "lantern", {"url": "https://lantern.example/"})
        assert session.get(CrawlRun, ok).status == "running"
        run = finish_run(session, ok, finish_reason="finished", stats=stats,
                         counts=UpsertCounts(new=2, unchanged=7, skipped={"missing_url": 1}),
                         dropped={"validate/no_film": 3})  # fmt: skip
        assert run.status == "ok"
        assert (run.pages, run.items_scraped, run.errors) == (12, 9, 1)
        assert (run.reviews_new, run.reviews_updated, run.reviews_unchanged) == (2, 0, 7)
        assert run.dropped == {"store/missing_url": 1, "validate/no_film": 3}
        assert run.finished_at >= run.started_at

        empty = start_run(session, "lantern", {})
        run = finish_run(session, empty, finish_reason="finished", stats={}, counts=UpsertCounts(),
                         dropped={})  # fmt: skip
        assert run.status == "empty"

        failed = start_run(session, "lantern", {})
        run = finish_run(session, failed, finish_reason="store_failed", stats={},
                         counts=UpsertCounts(new=3), dropped={})  # fmt: skip
        assert run.status == "failed"

        assert [r.id for r in list_runs(session)] == [failed, empty, ok]
        assert [r.id for r in list_runs(session, limit=1)] == [failed]


def test_finishing_an_unknown_run_is_a_clear_error(db_engine):
    with Session(db_engine) as session, pytest.raises(LookupError, match="no crawl run with id 42"):
        finish_run(session, 42, finish_reason="finished", stats={}, counts=UpsertCounts(), dropped={})
