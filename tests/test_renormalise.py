"""`aggregator renormalise`: the stored raw values re-read by the current rules (aggregator.
renormalise), on SQLite and PostgreSQL. Outlets, critics and films here are fictional."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select, text, update

from aggregator.cli.main import main
from aggregator.db.models import (
    Critic,
    Film,
    Publication,
    Review,
    ReviewCritic,
    ReviewRevision,
)
from aggregator.db.session import session_factory
from aggregator.db.upsert import RAW_FIELDS, content_hash, save_reviews
from aggregator.demo.server import DEMO_PUBLICATIONS
from aggregator.identity.publications import load_registry
from aggregator.items import ReviewItem
from aggregator.normalise import (
    clean_fields,
    date_review,
    identify_film,
    normalise_critics,
    rate_review,
)
from aggregator.renormalise import BATCH_SIZE, GROUPS, renormalise, renormalised_item
from aggregator.verdicts.text.model import fallback_model
from tests.factories import outlet

OWL = outlet(
    "owl-gazette", "The Owl Gazette", ("owlgazette.example",)
)  # no scale in the registry
PIKE = outlet(
    "pike-review", "The Pike Review", ("pikereview.example",), scale="stars/5"
)
PUBLICATIONS = {entry.key: entry for entry in (OWL, PIKE)}


def crawled(n: int, entry=OWL, **raw) -> ReviewItem:
    """An item as the pipelines leave it: raw values, then each normalising step."""
    values = {
        "url": f"https://{entry.domains[0]}/reviews/{n}", "spider": "test",
        "publication_raw": entry.name, "critic_raw": ["By Ada Fenwick"],
        "film_raw": "The Quiet Lighthouse review", "film_year_raw": "2025", "rating_raw": "3/4",
        "published_raw": "14 June 2025", "headline": f"The Quiet Lighthouse review {n}",
        "text": "A patient film.", "language": "en", **raw,
    }  # fmt: skip
    item = ReviewItem(publication=entry.key, **values)
    clean_fields(item)
    normalise_critics(item, (entry.name, *entry.domains, item.publication_raw))
    identify_film(item)
    rate_review(item, entry, model=fallback_model())  # as the pipeline does: text-only reviews get an inferred verdict
    date_review(item)
    return item


def store(engine, *items: ReviewItem):
    with session_factory(engine).begin() as session:
        return save_reviews(session, list(items), PUBLICATIONS)


def run(engine, **kwargs):
    return renormalise(session_factory(engine), lookup=PUBLICATIONS.get, **kwargs)


def review(engine, n: int, entry=OWL) -> dict:
    with session_factory(engine)() as session:
        row = (
            session.execute(
                select(Review.__table__).where(
                    Review.url == f"https://{entry.domains[0]}/reviews/{n}"
                )
            )
            .mappings()
            .one()
        )
        critics = session.scalars(
            select(Critic.name)
            .join(ReviewCritic)
            .where(ReviewCritic.review_id == row["id"])
            .order_by(ReviewCritic.position)
        ).all()
        film = session.get(Film, row["film_id"]) if row["film_id"] else None
        critic_ids = session.scalars(
            select(ReviewCritic.critic_id).where(ReviewCritic.review_id == row["id"])
            .order_by(ReviewCritic.position)).all()
        return {
            **row,
            "critics": critics,
            "critic_ids": critic_ids,
            "film": (film.title, film.year) if film else None,
        }


def snapshot(engine) -> dict:
    tables = (Publication, Film, Critic, Review, ReviewCritic, ReviewRevision)
    with engine.connect() as connection:
        return {
            model.__tablename__: sorted(
                map(tuple, connection.execute(select(model.__table__))), key=repr
            )
            for model in tables
        }


def nothing_changed(report) -> bool:
    return report.rows_changed == 0 and all(v == 0 for v in report.changed.values())


def test_stale_values_are_fixed_and_a_second_run_changes_nothing(db_engine):
    fresh = {n: crawled(n) for n in range(5)}
    stale = {n: crawled(n) for n in range(5)}
    stale[1].score, stale[1].verdict, stale[1].fresh = (
        10.0,
        "negative",
        False,
    )  # an old rating rule
    stale[2].critics = ["By Ada Fenwick"]  # an old byline rule
    stale[3].film_title, stale[3].film_key = (
        "The Quiet Lighthouse review",
        "quiet lighthouse review",
    )
    stale[4].published = None  # an old date reader
    assert store(db_engine, *stale.values()).new == 5
    old_film = review(db_engine, 3)["film_id"]

    report = run(db_engine)
    assert (report.reviews, report.batches, report.rows_changed) == (5, 1, 4)
    assert report.changed == {
        "rating": 1,
        "verdict": 1,
        "date": 1,
        "film": 1,
        "critics": 1,
    }
    # the replaced rating, the replaced byline's critic and the replaced film each kept
    assert report.revisions == 3 and report.unfit == {} and report.manual_kept == 0
    one = review(db_engine, 1)
    assert (one["score"], one["verdict"], one["fresh"], one["verdict_source"]) == (
        75.0,
        "positive",
        True,
        "rating",
    )
    assert review(db_engine, 2)["critics"] == ["Ada Fenwick"]
    assert review(db_engine, 3)["film"] == ("The Quiet Lighthouse", 2025)
    assert review(db_engine, 4)["published"] == date(2025, 6, 14)
    with session_factory(db_engine)() as session:
        revisions = {
            row.url: row for row in session.execute(
                select(Review.url, ReviewRevision.score, ReviewRevision.verdict, ReviewRevision.critics,
                       ReviewRevision.film_title, ReviewRevision.film_year)
                .join(Review, Review.id == ReviewRevision.review_id))
        }
        assert (revisions[stale[1].url].score, revisions[stale[1].url].verdict) == (10.0, "negative")
        # who it was credited to: the critic row the old byline rule made, not Ada Fenwick's own
        assert [c["id"] for c in revisions[stale[2].url].critics] != review(db_engine, 2)["critic_ids"]
        assert [c["name"] for c in revisions[stale[2].url].critics] == ["Ada Fenwick"]
        assert (revisions[stale[3].url].film_title, revisions[stale[3].url].film_year) == (
            "The Quiet Lighthouse review", 2025)  # and which film
        # the film row the wrong title made has no review left: deleted, not left as an orphan
        assert session.get(Film, old_film) is None
        assert session.scalar(select(func.count()).select_from(Critic)) == 2

    before = snapshot(db_engine)
    again = run(db_engine)
    assert nothing_changed(again) and again.reviews == 5 and again.revisions == 0
    assert snapshot(db_engine) == before
    # Each fixed row now hashes as the crawl would: re-crawling finds them unchanged.
    counts = store(db_engine, *fresh.values())
    assert (counts.new, counts.updated, counts.unchanged) == (0, 0, 5)


def test_manual_verdicts_are_kept(db_engine):
    item = crawled(0)
    item.score = 12.0  # stale
    store(db_engine, item)
    manual = {
        "verdict": "negative",
        "fresh": False,
        "verdict_source": "manual",
        "confidence": 1.0,
    }
    with session_factory(db_engine).begin() as session:
        session.execute(update(Review).where(Review.url == item.url).values(**manual))

    report = run(db_engine)
    assert (
        report.manual_kept == 1
        and report.changed["verdict"] == 0
        and report.changed["rating"] == 1
    )
    row = review(db_engine, 0)
    assert row["score"] == 75.0
    assert {name: row[name] for name in manual} == manual
    assert report.revisions == 1  # the replaced score
    assert nothing_changed(run(db_engine))


def test_a_dry_run_counts_the_same_and_writes_nothing(db_engine):
    items = [crawled(n) for n in range(3)]
    items[0].score = 10.0
    items[1].critics = ["By Ada Fenwick"]
    items[2].film_title, items[2].film_key = "Something Else", "something else"
    store(db_engine, *items)
    before = snapshot(db_engine)
    dry = run(db_engine, dry_run=True, batch_size=2)
    assert snapshot(db_engine) == before
    assert dry.dry_run and dry.batches == 2 and dry.rows_changed == 3
    real = run(db_engine, batch_size=2)
    assert (real.changed, real.rows_changed, real.revisions) == (
        dry.changed,
        dry.rows_changed,
        dry.revisions,
    )
    assert snapshot(db_engine) != before


def test_a_review_the_new_rules_make_unfit_is_left_as_it_was(db_engine):
    item = crawled(0, film_raw="!!!")  # no title any more under the current rules …
    item.film_title, item.film_key = (
        "Stale Title",
        "stale title",
    )  # … but stored with one
    item.score = 10.0
    store(db_engine, item)
    before = snapshot(db_engine)
    report = run(db_engine)
    assert report.unfit == {"missing_film_title": 1} and report.rows_changed == 0
    assert snapshot(db_engine) == before


def test_an_outlets_bare_numbers_are_read_on_the_scale_its_other_ratings_teach(
    db_engine,
):
    items = [
        crawled(n, rating_raw=r)
        for n, r in enumerate(["1/4", "2/4", "3/4", "2.5/4", "4/4", "3"])
    ]
    items += [crawled(9, PIKE, rating_raw="3")]  # the registry's stars/5, not learnt
    assert items[5].score is None  # rejected when crawled: nothing known yet
    store(db_engine, *items)

    report = run(db_engine)
    assert report.learnt_scales == {"owl-gazette": "stars/4"}
    assert (
        report.scale_learnt == 1
        and report.changed["rating"] == 1
        and report.changed["verdict"] == 1
    )
    assert (review(db_engine, 5)["score"], review(db_engine, 5)["scale"]) == (
        75.0,
        "stars/4",
    )
    assert review(db_engine, 9, PIKE)["score"] == 60.0
    assert nothing_changed(run(db_engine))


def test_too_little_evidence_learns_nothing(db_engine):
    store(
        db_engine,
        *[
            crawled(n, rating_raw=r)
            for n, r in enumerate(["1/4", "2/4", "3/4", "4/5", "3/4", "3"])
        ],
    )
    report = run(db_engine)
    assert report.learnt_scales == {} and report.rating_rejected == {"unknown_scale": 1}
    assert nothing_changed(report)


def test_a_rating_the_crawl_read_in_the_text_stays_a_text_rating(db_engine):
    item = crawled(0, rating_raw=None, text="A patient film.\n\nRating: 4/5")
    assert (item.rating_raw, item.verdict_source, item.confidence) == (
        "4/5",
        "text",
        0.9,
    )
    store(db_engine, item)
    report = run(db_engine)
    assert nothing_changed(report)
    assert review(db_engine, 0)["verdict_source"] == "text"


def test_only_the_publication_asked_for(db_engine):
    owl, pike = crawled(0), crawled(0, PIKE, rating_raw="4/5")
    owl.score = pike.score = 1.0
    store(db_engine, owl, pike)
    report = run(db_engine, publication="pike-review")
    assert report.reviews == 1 and report.changed["rating"] == 1
    assert review(db_engine, 0, PIKE)["score"] == 80.0
    assert review(db_engine, 0)["score"] == 1.0


def test_only_the_urls_asked_for_and_bad_batch_sizes(db_engine):
    items = [crawled(n) for n in range(3)]
    for item in items:
        item.score = 1.0
    store(db_engine, *items)
    report = run(
        db_engine, urls=[items[1].url, "https://owlgazette.example/never-stored"]
    )
    assert report.reviews == 1 and report.changed["rating"] == 1
    assert [review(db_engine, n)["score"] for n in range(3)] == [1.0, 75.0, 1.0]
    with pytest.raises(ValueError, match="batch_size"):
        run(db_engine, batch_size=0)


# --- the command ------------------------------------------------------------------------------


def test_the_command_prints_counts_per_field_group(
    db_engine, empty_db_url, capsys, monkeypatch
):
    monkeypatch.delenv("AGGREGATOR_PUBLICATIONS", raising=False)
    item = crawled(0)
    item.score = 10.0
    store(db_engine, item)
    assert main(["renormalise", "--db", empty_db_url, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "renormalised 1 reviews" in out and "dry run: nothing written" in out
    assert "rating         1 changed" in out and "film           0 changed" in out
    assert review(db_engine, 0)["score"] == 10.0
    assert (
        main(["renormalise", "--db", empty_db_url, "--publication", "owl-gazette"]) == 0
    )
    assert review(db_engine, 0)["score"] == 75.0
    assert main(["renormalise", "--db", empty_db_url]) == 0
    assert "reviews changed 0, unchanged 1" in capsys.readouterr().out
    assert (
        main(["renormalise", "--db", empty_db_url, "--publication", "no-such-outlet"])
        == 2
    )
    assert "no publication 'no-such-outlet'" in capsys.readouterr().err
    assert main(["renormalise", "--db", empty_db_url, "--batch-size", "0"]) == 2
    assert (
        main(
            [
                "renormalise",
                "--db",
                empty_db_url,
                "--publications",
                "/no/such/file.toml",
            ]
        )
        == 2
    )


def test_a_dry_run_does_not_even_migrate(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'new.sqlite'}"
    assert main(["renormalise", "--db", url, "--dry-run"]) == 2
    assert "aggregator db upgrade" in capsys.readouterr().err
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.connect() as connection:
        assert (
            connection.execute(text("SELECT count(*) FROM sqlite_master")).scalar() == 0
        )
    engine.dispose()


def test_the_cli_batch_size_default_is_the_modules():
    from aggregator.cli.main import build_parser

    assert build_parser().parse_args(["renormalise"]).batch_size == BATCH_SIZE


# --- the demo crawl: renormalising what a real crawl stored changes nothing -------------------

REPO = Path(__file__).resolve().parent.parent


def test_renormalising_a_real_crawl_changes_nothing(empty_db_url):
    env = {**os.environ, "AGGREGATOR_LOG_LEVEL": "WARNING"}
    result = subprocess.run(
        [str(Path(sys.executable).parent / "aggregator"), "demo", "--db", empty_db_url],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    from aggregator.db.session import make_engine

    engine = make_engine(empty_db_url)
    registry = load_registry(extra_paths=[DEMO_PUBLICATIONS], include_env=False)
    sessions = session_factory(engine)
    # Every stored review is rebuilt exactly as the crawl made it, down to its content hash.
    with sessions() as session:
        stmt = select(Review.__table__, Publication.key.label("publication")).join(
            Publication
        )
        rows = [dict(row) for row in session.execute(stmt).mappings()]
    assert len(rows) == 16
    for row in rows:
        item, _ = renormalised_item(row, registry.get(row["publication"]), None, None, fallback_model())
        lists = ("critic_raw", "critic_urls", "authors_raw", "film_ids_raw", "keywords_raw")
        stored = {
            name: (row[name] or []) if name in lists else row[name]
            for name in RAW_FIELDS
        }
        assert content_hash(replace(item, **stored)) == row["content_hash"], row["url"]
    for lookup in (
        registry.get,
        None,
    ):  # with the demo registry, or from the stored outlets
        report = renormalise(sessions, lookup=lookup)
        assert report.reviews == 16 and nothing_changed(report) and report.unfit == {}
    assert set(GROUPS) == set(report.changed)
    engine.dispose()
