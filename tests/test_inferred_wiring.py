"""Inferred verdicts wired through decide, the verdict pipeline, renormalise and the summaries.

The crawls are real: Scrapy fetches tests/fixtures/verdict_site (a fictional outlet written for
the project, see its README) from a local server into SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from aggregator.pipelines.decide_verdict import DecideVerdictPipeline
from aggregator.spiders.base.structured_data import StructuredDataSpider
from scrapy.utils.test import get_crawler

from aggregator.db.session import make_engine
from aggregator.db.verdict_loading import inference_enabled, run_verdict_model
from aggregator.db.verdict_models import save_verdict_model
from aggregator.demo.server import serve_directory
from aggregator.items import ReviewItem
from aggregator.normalise import rate_review
from aggregator.query.report import format_film_summary
from aggregator.query.scores import FilmSummary, describe_sources
from aggregator.verdicts import NO_DECISION, Decision, decide
from aggregator.verdicts.text.model import fallback_model, no_verdict_reason
from aggregator.verdicts.text.training import train_verdict_model
from tests.factories import outlet

REPO = Path(__file__).resolve().parent.parent
SITE = REPO / "tests" / "fixtures" / "verdict_site"
REGISTRY = SITE / "publications.toml"
BIN = Path(sys.executable).parent
HERON = outlet("heron-quarterly", "The Heron Quarterly", ("heronquarterly.example",), scale="letter")

PRAISE = "A warm, witty and beautifully acted comedy: a wonderful, generous film."
PAN = "A tedious, overlong thriller. The plot is predictable and the twist is silly: a dull slog."


class CountingModel:
    """The lexicon fallback, counting how often it is asked (to show when decide reads prose)."""

    def __init__(self):
        self.model, self.calls = fallback_model(), 0

    def infer(self, text):
        self.calls += 1
        return self.model.infer(text)


# --- decide, step 6 ----------------------------------------------------------------------


def test_prose_alone_gets_the_models_verdict_fresh_call_and_confidence():
    model = fallback_model()
    for text, verdict in ((PRAISE, "positive"), (PAN, "negative")):
        inference = model.infer(text)
        decision = decide(text=text, publication=HERON, model=model)
        assert decision == Decision(verdict, verdict == "positive", "inferred", inference.confidence)
        assert decision.fresh_rule == "inferred" and 0.5 <= decision.confidence <= 1.0
        assert (inference.verdict, inference.fresh) == (decision.verdict, decision.fresh)


@pytest.mark.parametrize(
    ("rating", "label", "text", "source", "verdict"),
    [
        ("1/5", None, PRAISE, "rating", "negative"),  # the critic's score, not the prose
        (None, "Skip it", PRAISE, "label", "negative"),
        (None, None, PAN + "\n\nGrade: B+", "text", "positive"),
        (None, None, PRAISE + "\n\nVerdict: Skip it", "text", "negative"),
    ],
)
def test_anything_the_review_states_outranks_the_model(rating, label, text, source, verdict):
    model = CountingModel()
    decision = decide(rating=rating, label=label, text=text, publication=HERON, model=model)
    assert (decision.source, decision.verdict) == (source, verdict)
    assert model.calls == 0


@pytest.mark.parametrize("text", [None, "", "   ", "★ — !"])
def test_no_text_and_no_rating_gets_no_verdict_with_that_reason(text):
    assert decide(text=text, publication=HERON, model=fallback_model()) == NO_DECISION
    item = ReviewItem(publication=HERON.key, text=text)
    rate_review(item, HERON, model=fallback_model())
    assert (item.verdict, item.fresh, item.verdict_source, item.confidence) == (None,) * 4
    assert no_verdict_reason(item, fallback_model()) == "no_text"


def test_without_a_model_prose_gets_no_verdict():
    assert decide(text=PRAISE, publication=HERON) == NO_DECISION
    item = ReviewItem(publication=HERON.key, text=PRAISE)
    rate_review(item, HERON)
    assert item.verdict is None and no_verdict_reason(item, None) == "inference_off"
    rate_review(item, HERON, model=fallback_model())
    assert (item.verdict, item.verdict_source) == ("positive", "inferred")
    assert item.score is None and item.rating_raw is None  # a model gives no score
    assert no_verdict_reason(item, fallback_model()) is None


@pytest.mark.parametrize(("value", "enabled"), [
    (None, True), ("1", True), ("yes", True), ("0", False), ("false", False), ("Off", False),
    (" no ", False), (False, False), (True, True),
])  # fmt: skip
def test_inference_can_be_switched_off(value, enabled, monkeypatch):
    assert inference_enabled({"AGGREGATOR_INFER_VERDICTS": value}) is enabled
    if isinstance(value, str):
        monkeypatch.setenv("AGGREGATOR_INFER_VERDICTS", value)
        assert inference_enabled() is enabled
        assert (run_verdict_model() is not None) is enabled


# --- the pipeline ------------------------------------------------------------------------


def _pipeline(settings: dict) -> tuple[DecideVerdictPipeline, object]:
    crawler = get_crawler(StructuredDataSpider, settings)
    crawler.spider = StructuredDataSpider.from_crawler(crawler, url="https://heronquarterly.example/")
    pipeline = DecideVerdictPipeline.from_crawler(crawler)
    pipeline.open_spider()
    return pipeline, crawler


def _verdict_stats(crawler) -> dict:
    prefix = "aggregator/verdict/"
    return {k.removeprefix(prefix): v for k, v in crawler.stats.get_stats().items() if k.startswith(prefix)}


def test_the_pipeline_infers_and_counts_why_a_review_got_no_verdict():
    pipeline, crawler = _pipeline({})
    assert pipeline.model is not None and pipeline.model.is_fallback  # no database: the fallback
    praise = pipeline.process_item(ReviewItem(publication="x", text=PRAISE))
    pipeline.process_item(ReviewItem(publication="x", text=None))
    assert (praise.verdict, praise.verdict_source) == ("positive", "inferred")
    assert _verdict_stats(crawler) == {"source/inferred": 1, "source/none": 1, "none/no_text": 1}


def test_the_pipeline_leaves_prose_alone_when_inference_is_off():
    pipeline, crawler = _pipeline({"AGGREGATOR_INFER_VERDICTS": "0"})
    assert pipeline.model is None
    assert pipeline.process_item(ReviewItem(publication="x", text=PRAISE)).verdict is None
    assert _verdict_stats(crawler) == {"source/none": 1, "none/inference_off": 1}


# --- the summaries -----------------------------------------------------------------------


def test_every_summary_states_how_many_verdicts_were_inferred():
    counts = {"rating": 8, "text": 0, "label": 2, "inferred": 2, "manual": 0, "none": 0}
    assert describe_sources(12, counts) == "12 reviews: 8 rated, 2 label, 2 inferred"
    none_inferred = {"rating": 1, "text": 2, "label": 0, "inferred": 0, "manual": 1, "none": 1}
    assert describe_sources(5, none_inferred) == (
        "5 reviews: 1 rated, 2 rating in the text, 0 inferred, 1 set by hand, 1 no verdict")
    assert describe_sources(1, {"inferred": 1}) == "1 review: 1 inferred"

    summary = FilmSummary(
        film_id=1, title="Paper Kites", year=2026, review_count=3, fresh_count=2, fresh_known=3,
        fresh_share=2 / 3, verdict_counts={"positive": 2, "mixed": 0, "negative": 1},
        verdict_known=3, verdict_shares={"positive": 2 / 3, "mixed": 0.0, "negative": 1 / 3},
        average_score=83.0, scored_count=1,
        source_counts={"rating": 0, "text": 1, "label": 0, "inferred": 2, "manual": 0, "none": 0},
        inferred_count=2, fresh_inferred=2,
    )  # fmt: skip
    text = format_film_summary(summary)
    assert "fresh: 67% (of 3, 2 inferred)" in text
    assert "negative 33% (of 3, 2 inferred)" in text
    assert "3 reviews: 1 rating in the text, 2 inferred" in text


# --- real crawls -------------------------------------------------------------------------

PAGES = ("grade-page.html", "praise.html", "pan.html", "audio-only.html")
B_PLUS = "https://heronquarterly.example/2026/04/the-lamplighters-daughter/"
PRAISE_URL = "https://heronquarterly.example/2026/04/paper-kites-over-dunmore/"
PAN_URL = "https://heronquarterly.example/2026/04/the-quarry-lights/"
AUDIO = "https://heronquarterly.example/2026/04/the-ferryman-s-almanac-podcast/"


def aggregator(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "AGGREGATOR_LOG_LEVEL": "WARNING", "AGGREGATOR_PUBLICATIONS": str(REGISTRY),
                **(env or {})}  # fmt: skip
    return subprocess.run([str(BIN / "aggregator"), *args], env=full_env, capture_output=True,
                          text=True, timeout=180)  # fmt: skip


def crawl(db_url: str, **env: str) -> str:
    with serve_directory(SITE) as site:
        urls = ",".join(site.url(f"heron/2026/04/{page}") for page in PAGES)
        result = aggregator("crawl", "--start-urls", urls, "--db", db_url, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def exported(db_url: str) -> dict[str, dict]:
    result = aggregator("export", "--db", db_url)
    assert result.returncode == 0, result.stderr
    return {record["url"]: record for record in json.loads(result.stdout)}


def verdicts(records: dict[str, dict]) -> dict[str, tuple]:
    return {url: (r["verdict"], r["verdict_source"]) for url, r in records.items()}


def fictional_training_set() -> tuple[list[str], list[str]]:
    """Made-up one-line reviews: enough for a (small) trained model."""
    good = ["delightful", "warm", "witty", "gorgeous", "thrilling", "generous", "clever", "moving"]
    bad = ["tedious", "overlong", "dull", "predictable", "silly", "joyless", "lifeless", "bland"]
    texts, labels = [], []
    for i in range(len(good)):
        for j in range(3):
            texts.append(f"A {good[i]} story of kites and tides {i}{j}, {good[(i + j + 1) % 8]} to the end.")
            texts.append(f"A {bad[i]} story of kites and tides {i}{j}, {bad[(i + j + 1) % 8]} to the end.")
            labels += ["Fresh", "Rotten"]
    return texts, labels


def test_a_crawl_stores_text_grades_inferred_verdicts_and_keeps_manual_ones(empty_db_url):
    # 1. Inference off: the grade in the last paragraph is read; prose is left without a verdict.
    assert "reviews new 4" in crawl(empty_db_url, AGGREGATOR_INFER_VERDICTS="0")
    records = exported(empty_db_url)
    grade = records[B_PLUS]
    assert (grade["rating_raw"], grade["score"], grade["verdict"], grade["verdict_source"],
            grade["rating"]["scale"]) == ("B+", 83.0, "positive", "text", "letter")  # fmt: skip
    assert grade["confidence"] == 0.9
    assert verdicts(records) == {
        B_PLUS: ("positive", "text"), PRAISE_URL: (None, None), PAN_URL: (None, None), AUDIO: (None, None),
    }  # fmt: skip

    # 2. renormalise infers for the stored reviews lacking a verdict.
    result = aggregator("renormalise", "--db", empty_db_url, "--publications", str(REGISTRY))
    assert result.returncode == 0 and "verdict        2 changed" in result.stdout, result.stdout
    records = exported(empty_db_url)
    assert verdicts(records) == {
        B_PLUS: ("positive", "text"), PRAISE_URL: ("positive", "inferred"),
        PAN_URL: ("negative", "inferred"), AUDIO: (None, None),
    }  # fmt: skip
    for url in (PRAISE_URL, PAN_URL):
        record = records[url]
        assert record["score"] is None and 0.5 <= record["confidence"] <= 1.0
        assert record["fresh"] is (record["verdict"] == "positive")
        assert record["confidence"] == pytest.approx(fallback_model().infer(record["text"]).confidence)
    assert records[AUDIO]["text"] is None  # an audio post: nothing to read, so no verdict

    # 3. A crawl with inference on makes what renormalise made: nothing changes.
    assert "reviews new 0, updated 0, unchanged 4" in crawl(empty_db_url)

    # 4. A person overrules the model; crawls and renormalise keep it.
    result = aggregator("verdict", "set", PAN_URL, "mixed", "--db", empty_db_url)
    assert result.returncode == 0, result.stderr
    assert "unchanged 4" in crawl(empty_db_url)
    result = aggregator("renormalise", "--db", empty_db_url, "--publications", str(REGISTRY))
    assert "(1 manual verdicts kept)" in result.stdout
    assert exported(empty_db_url)[PAN_URL]["verdict_source"] == "manual"

    review = aggregator("verdict", "review", "--below", "1", "--db", empty_db_url)
    assert review.returncode == 0
    listed = [line for line in review.stdout.splitlines() if line.startswith("https://")]
    assert listed == [PRAISE_URL, B_PLUS]  # the inferred one first; manual ones are settled

    # 5. A trained model stored in the database is what the next crawl reads prose with.
    texts, labels = fictional_training_set()
    model = train_verdict_model(texts, labels, minimum=len(texts))
    engine = make_engine(empty_db_url)
    try:
        save_verdict_model(model, engine)
    finally:
        engine.dispose()
    # renormalise reads the inferred review again with it (the manual one is left alone) …
    result = aggregator("renormalise", "--db", empty_db_url, "--publications", str(REGISTRY))
    assert "verdict        1 changed (1 manual verdicts kept)" in result.stdout, result.stdout
    # … and a crawl, which loads the same model from the database, finds nothing to change
    assert "reviews new 0, updated 0, unchanged 4" in crawl(empty_db_url)
    records = exported(empty_db_url)
    expected = model.infer(records[PRAISE_URL]["text"])
    assert records[PRAISE_URL]["verdict_source"] == "inferred"
    assert records[PRAISE_URL]["confidence"] == pytest.approx(expected.confidence)
    assert records[PRAISE_URL]["confidence"] != pytest.approx(fallback_model().infer(records[PRAISE_URL]["text"]).confidence)
    assert verdicts(records)[PAN_URL] == ("mixed", "manual")
    assert verdicts(records)[B_PLUS] == ("positive", "text")


def stored_labelled_reviews(db_url: str, films: int = 24, per_film: int = 10) -> int:
    """Fictional reviews with a rating and text in the database: what a retraining learns from."""
    from aggregator.db.session import ensure_schema, session_factory
    from aggregator.db.upsert import save_reviews

    texts, labels = fictional_training_set()
    items = []
    for n in range(films * per_film):
        fresh = labels[n % len(labels)] == "Fresh"
        items.append(ReviewItem(
            url=f"https://heronquarterly.example/archive/{n}/", publication=HERON.key,
            film_title=f"Archive Film {n // per_film}", film_key=f"archive film {n // per_film}",
            text=texts[n % len(texts)] + f" (archive {n})", rating_raw="B+" if fresh else "D",
            scale="letter", score=83.0 if fresh else 25.0, verdict="positive" if fresh else "negative",
            fresh=fresh, verdict_source="rating", confidence=1.0,
        ))  # fmt: skip
    engine = make_engine(db_url)
    try:
        ensure_schema(engine)
        with session_factory(engine).begin() as session:
            save_reviews(session, items, {HERON.key: HERON})
    finally:
        engine.dispose()
    return len(items)


def stored_models(db_url: str) -> list[tuple[str, int, int]]:
    from sqlalchemy import select

    from aggregator.db.models import VerdictModelRecord
    from aggregator.db.session import session_factory

    engine = make_engine(db_url)
    try:
        with session_factory(engine)() as session:
            rows = session.execute(select(VerdictModelRecord.name, VerdictModelRecord.version,
                                          VerdictModelRecord.trained_on).order_by(VerdictModelRecord.id))
            return [tuple(row) for row in rows]
    finally:
        engine.dispose()


def test_a_scheduled_crawl_retrains_once_enough_new_labelled_reviews_are_stored(empty_db_url):
    archive = stored_labelled_reviews(empty_db_url)
    retrain = {"AGGREGATOR_RETRAIN_VERDICTS_AFTER": str(archive + 2)}
    assert "reviews new 4" in crawl(empty_db_url, **retrain)  # + the B+ page: 1 new labelled review
    assert stored_models(empty_db_url) == []  # archive + 1 < archive + 2: not due

    retrain = {"AGGREGATOR_RETRAIN_VERDICTS_AFTER": str(archive + 1)}
    assert "unchanged 4" in crawl(empty_db_url, **retrain)
    ((name, version, trained_on),) = stored_models(empty_db_url)
    assert (version, trained_on) == (1, archive + 1)  # every labelled review with text, never an inferred one

    # The next crawl reads prose with the new model (the pages did not change: they stay
    # "unchanged", their inferred calls rewritten in place); no new labelled reviews: no new model.
    assert "updated 0, unchanged 4" in crawl(empty_db_url, **retrain)
    assert len(stored_models(empty_db_url)) == 1
    records = exported(empty_db_url)
    assert records[PRAISE_URL]["verdict_source"] == "inferred"
    engine = make_engine(empty_db_url)
    try:
        model = run_verdict_model(engine)
    finally:
        engine.dispose()
    assert not model.is_fallback and f"{model.name}@{model.version}" == f"{name}@1"
    assert records[PRAISE_URL]["confidence"] == pytest.approx(model.infer(records[PRAISE_URL]["text"]).confidence)


def test_a_bad_retrain_setting_is_a_clear_error(monkeypatch):
    from aggregator.db.verdict_loading import retrain_after

    assert retrain_after({}) == 0 and retrain_after({"AGGREGATOR_RETRAIN_VERDICTS_AFTER": "25"}) == 25
    monkeypatch.setenv("AGGREGATOR_RETRAIN_VERDICTS_AFTER", "40")
    assert retrain_after() == 40 and retrain_after({"AGGREGATOR_RETRAIN_VERDICTS_AFTER": None}) == 40
    for bad in ("-1", "many", "2.5"):
        with pytest.raises(ValueError, match="AGGREGATOR_RETRAIN_VERDICTS_AFTER must be a whole number"):
            retrain_after({"AGGREGATOR_RETRAIN_VERDICTS_AFTER": bad})


@pytest.mark.parametrize("value, best", [("NaN", "4"), ("-3", "4"), ("11", "10"), ("Infinity", "5")])
def test_a_broken_rating_gets_no_inferred_verdict_in_its_place(value, best):
    """Issue 15: the page stated a rating that cannot be (NaN of 4, 11 of 10): the review keeps
    no score and no verdict, rather than the model's reading of its text."""
    item = ReviewItem(publication=HERON.key, text=PRAISE, rating_raw=f"{value}/{best}",
                      rating_parts={"value": value, "best": best})
    assert rate_review(item, HERON, model=fallback_model()) == "bad_structured_rating"
    assert (item.score, item.verdict, item.verdict_source) == (None, None, None)
    item = ReviewItem(publication=HERON.key, text=PRAISE, rating_raw="11/10")
    assert rate_review(item, HERON, model=fallback_model()) == "out_of_range"
    assert item.verdict is None
