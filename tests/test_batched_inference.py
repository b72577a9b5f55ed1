"""The verdict model reading many reviews in one call (aggregator.verdicts.text.batch): the same
verdicts, sources and confidences as one review at a time, in rate_review, the crawl's verdict
pipeline (items wait for a batch and are all released), renormalise and the NYT importer."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from aggregator.pipelines.decide_verdict import DecideVerdictPipeline
from aggregator.spiders.base.structured_data import StructuredDataSpider
from scrapy.utils.test import get_crawler

from aggregator.db.session import ensure_schema, make_engine, session_factory
from aggregator.db.upsert import save_reviews
from aggregator.db.verdict_models import save_verdict_model
from aggregator.demo.server import serve_directory
from aggregator.items import ReviewItem
from aggregator.normalise import rate_review
from aggregator.renormalise import renormalise
from aggregator.verdicts.habits import FreshHabits, HabitRow
from aggregator.verdicts.text.batch import ReadBatch, TextRead, read_texts
from aggregator.verdicts.text.training import train_verdict_model
from tests.factories import outlet
from tests.verdict_examples import FILMS, HELD_OUT, labelled_sentences

HERON = outlet("heron-quarterly", "The Heron Quarterly", ("heronquarterly.example",), scale="stars/4")
OWL = outlet("owl-gazette", "The Owl Gazette", ("owlgazette.example",))
CRITICS = ("ada quill", "ida moss", "juno park")
# 2.5/4 is a coin toss (borderline): the trained model's evidence on the text makes the call
HABITS = FreshHabits.learn([HabitRow(None, None, "stars/4", 62.5, fresh) for fresh in [True] * 9 + [False] * 8]
                           + [HabitRow(None, None, "stars/4", 75.0, True)] * 20, level_weight=0.0)  # fmt: skip


@pytest.fixture(scope="module")
def model():
    """A trained model that reads outlets', critics' fresh rates and the film's consensus."""
    pairs = labelled_sentences(400, seed=5)
    return train_verdict_model([text for text, _ in pairs], [label for _, label in pairs],
                               publications=[(HERON.key, OWL.key)[n % 2] for n in range(len(pairs))],
                               critics=[CRITICS[n % 3] for n in range(len(pairs))],
                               films=[(n % 4, 4) for n in range(len(pairs))])  # fmt: skip


class OneAtATime:
    """The model, watched, without its batched call: every read it is asked for."""

    reads_in_batches = False

    def __init__(self, model):
        self.inner, self.reads, self.infer_calls, self.many_calls = model, [], 0, 0

    def __getattr__(self, name):  # uses_priors, is_fallback, prior_fresh, label, ...
        if name == "infer_many":  # not the inner model's: this stand-in reads one at a time
            raise AttributeError(name)
        return getattr(self.inner, name)

    def infer(self, text, publication=None, critic=None, film=None):
        self.infer_calls += 1
        self.reads.append((text, publication, critic, film))
        return self.inner.infer(text, publication=publication, critic=critic, film=film)


class Spy(OneAtATime):
    """The model, watched: every read, and whether it came by `infer` or `infer_many`."""

    reads_in_batches = True

    def infer_many(self, texts, publications=None, critics=None, films=None):
        self.many_calls += 1
        texts = list(texts)
        given = [list(values) if values is not None else [None] * len(texts) for values in (publications, critics, films)]
        self.reads += list(zip(texts, *given))
        return self.inner.infer_many(texts, publications, critics, films)


def watched(model, batches: bool):
    return Spy(model) if batches else OneAtATime(model)


def reviews() -> list[tuple[ReviewItem, object, tuple[int, int] | None]]:
    """Unscored prose (with outlet, critic, consensus), borderline scores the text tips, stated
    ratings and labels (no read), and texts with nothing to read."""
    made = []
    texts = [text for text, _ in HELD_OUT] + [text for text, _ in labelled_sentences(12, seed=9)]
    for n, text in enumerate(texts):
        entry = (HERON, OWL)[n % 2]
        made.append((ReviewItem(publication=entry.key, critics=[CRITICS[n % 3].title()], text=text), entry, (n % 5, 5)))
        made.append((ReviewItem(publication=HERON.key, rating_raw="2.5/4", text=text), HERON, None))
    made += [
        (ReviewItem(publication=HERON.key, rating_raw="3/4", text=texts[0]), HERON, None),
        (ReviewItem(publication=OWL.key, label_raw="Critic's Pick", text=texts[3]), OWL, None),
        (ReviewItem(publication=OWL.key, text=texts[4] + "\n\nGrade: B-"), OWL, (1, 2)),
        (ReviewItem(publication=OWL.key, text=None), OWL, (1, 2)),
        (ReviewItem(publication=OWL.key, text="★ — !"), OWL, None),
        (ReviewItem(publication=HERON.key, rating_raw="11/4", text=texts[1]), HERON, None),  # impossible: no read
    ]
    return made


FIELDS = ("rating_raw", "scale", "score", "verdict", "fresh", "verdict_source", "confidence")


def outcome(items) -> list[tuple]:
    return [tuple(getattr(item, name) for name in FIELDS) for item in items]


def test_a_batch_gives_the_verdicts_of_one_review_at_a_time(model):
    one, spied_one = reviews(), Spy(model)
    for item, entry, consensus in one:
        rate_review(item, entry, None, HABITS, spied_one, consensus)
    batched, spied = reviews(), Spy(model)
    reads = ReadBatch(spied)
    for item, entry, consensus in batched:
        rate_review(item, entry, None, HABITS, reads, consensus)
    inferred = [b for (b, _, _), (o, _, _) in zip(batched, one) if o.verdict_source == "inferred"]
    assert inferred and all(item.verdict is None for item in inferred)  # not read yet
    assert len(reads) == reads.run() == len(spied_one.reads)
    assert outcome(item for item, _, _ in batched) == outcome(item for item, _, _ in one)
    assert spied.many_calls == 1 and spied.infer_calls == 0  # every read in one call …
    assert spied.reads == spied_one.reads  # … the same reads, in the same order
    sources = [item.verdict_source for item, _, _ in one]
    assert {"inferred", "rating", "label", "text", None} <= set(sources)
    rules = {item.confidence for item, _, _ in one if item.rating_raw == "2.5/4"}
    assert len(rules) > 1  # the text did move some borderline calls
    assert len(reads) == 0 and reads.run() == 0


def test_text_only_reads_among_reads_with_context_read_as_infer_text(model):
    reads = [TextRead(text, HERON.key, "ada quill", (3, 4), with_context=True) for text, _ in HELD_OUT]
    reads += [TextRead(text) for text, _ in HELD_OUT] + [TextRead(None), TextRead("")]
    expected = [model.infer(r.text, publication=r.publication, critic=r.critic, film=r.film) if r.with_context
                else model.infer(r.text) for r in reads]  # fmt: skip
    assert read_texts(model, reads) == expected
    assert expected[-1] is None and expected[0] != expected[len(HELD_OUT)]  # the context counts


# --- the crawl's pipeline ---------------------------------------------------------------------


def _pipeline(model, batch: int):
    crawler = get_crawler(StructuredDataSpider, {"ITEM_PIPELINES": {}, "AGGREGATOR_INFER_BATCH": batch})
    crawler.spider = StructuredDataSpider.from_crawler(crawler, url="https://heronquarterly.example/")
    pipeline = DecideVerdictPipeline.from_crawler(crawler)
    pipeline.open_spider()
    pipeline.model, pipeline.habits = model, HABITS
    lookup = {HERON.key: HERON, OWL.key: OWL}
    pipeline.publications.lookup = lookup.get
    return pipeline, crawler


def _stats(crawler) -> dict:
    return {k: v for k, v in crawler.stats.get_stats().items() if k.startswith("aggregator/verdict/")}


def test_the_pipeline_holds_reads_for_a_batch_releases_them_all_and_counts_as_before(model):
    one_by_one, one_crawler = _pipeline(Spy(model), batch=1)
    expected = [one_by_one.process_item(item) for item, _, _ in reviews()]
    assert all(isinstance(item, ReviewItem) for item in expected)

    pipeline, crawler = _pipeline(Spy(model), batch=4)
    items = [item for item, _, _ in reviews()]
    results = [pipeline.process_item(item) for item in items]
    waited = [result for result in results if inspect.isawaitable(result)]
    passed = [result for result in results if not inspect.isawaitable(result)]
    assert passed and waited and len(waited) + len(passed) == len(items)
    assert all(item.verdict_source in ("label", "text", "rating", None) for item in passed)
    assert len(pipeline._waiting) == len(waited) % 4  # full batches were read as they filled
    assert pipeline._waiting and all(item.verdict is None for item, _ in pipeline._waiting)
    pipeline.close_spider()  # the rest is released when the pipeline closes
    assert pipeline._waiting == [] and pipeline._release_call is None
    for result in waited:
        result.close()  # (nothing awaits them here: Scrapy would, and get the item)
    assert outcome(items) == outcome(expected)
    assert pipeline.model.reads == one_by_one.model.reads
    assert pipeline.model.many_calls == -(-len(waited) // 4) and pipeline.model.infer_calls == 0
    assert _stats(crawler) == _stats(one_crawler)  # source/… and none/… counted as before
    assert pipeline.films_with_new_calls == one_by_one.films_with_new_calls


def test_a_model_without_batches_is_read_as_items_come(model):
    pipeline, _ = _pipeline(OneAtATime(model), batch=64)
    item = pipeline.process_item(ReviewItem(publication=OWL.key, text=HELD_OUT[0][0]))
    assert isinstance(item, ReviewItem) and item.verdict_source == "inferred"
    assert pipeline.model.infer_calls == 1


class Choking(Spy):
    """A model that fails on one text: its batched call fails whole, its single read of that
    text too, and every other text reads as before."""

    poison = "POISON"

    def infer_many(self, texts, *args, **kwargs):
        texts = list(texts)
        if any(self.poison in (text or "") for text in texts):
            raise RuntimeError("cannot read this text")
        return super().infer_many(texts, *args, **kwargs)

    def infer(self, text, **kwargs):
        if self.poison in (text or ""):
            raise RuntimeError("cannot read this text")
        return super().infer(text, **kwargs)


def test_a_text_the_model_cannot_read_fails_only_its_own_item(model):
    pipeline, crawler = _pipeline(Choking(model), batch=3)
    texts = [HELD_OUT[0][0], "POISON " + HELD_OUT[1][0], HELD_OUT[2][0]]
    items = [ReviewItem(publication=OWL.key, text=text, url=f"https://owl.example/{n}") for n, text in enumerate(texts)]
    waited = [pipeline.process_item(item) for item in items]
    assert all(inspect.isawaitable(result) for result in waited)
    assert pipeline._waiting == []  # the third filled the batch: read, isolating the bad text
    for result in waited:
        result.close()
    good, bad = [items[0], items[2]], items[1]
    assert all(item.verdict_source == "inferred" for item in good) and bad.verdict is None
    alone, _ = _pipeline(Spy(model), batch=1)
    assert outcome(good) == outcome([alone.process_item(ReviewItem(publication=OWL.key, text=t))
                                     for t in (texts[0], texts[2])])
    assert _stats(crawler).get("aggregator/verdict/source/inferred") == 2


SITE = Path(__file__).resolve().parent / "fixtures" / "verdict_site"
PAGES = ("grade-page.html", "praise.html", "pan.html", "audio-only.html")


def _crawl_and_export(db_url: str, batch: int) -> dict[str, tuple]:
    env = {**os.environ, "AGGREGATOR_LOG_LEVEL": "WARNING", "AGGREGATOR_PUBLICATIONS": str(SITE / "publications.toml"),
           "AGGREGATOR_INFER_BATCH": str(batch)}  # fmt: skip
    binary = str(Path(sys.executable).parent / "aggregator")
    with serve_directory(SITE) as site:
        urls = ",".join(site.url(f"heron/2026/04/{page}") for page in PAGES)
        crawl = subprocess.run([binary, "crawl", "--start-urls", urls, "--db", db_url, "-s",
                                f"AGGREGATOR_INFER_BATCH={batch}"], env=env, capture_output=True, text=True, timeout=180)
    assert crawl.returncode == 0 and "reviews new 4" in crawl.stdout, crawl.stdout + crawl.stderr
    export = subprocess.run([binary, "export", "--db", db_url], env=env, capture_output=True, text=True, timeout=60)
    return {r["url"]: (r["verdict"], r["fresh"], r["verdict_source"], r["confidence"]) for r in json.loads(export.stdout)}


def test_a_real_crawl_with_batches_stores_every_review_as_one_at_a_time(model, tmp_path):
    urls = []
    for batch in (1, 2, 64):  # read at once; a full batch of 2; released by the delay
        db_url = f"sqlite:///{tmp_path / f'batch{batch}.sqlite'}"
        engine = make_engine(db_url)
        try:
            ensure_schema(engine)
            save_verdict_model(model, engine)
        finally:
            engine.dispose()
        urls.append(_crawl_and_export(db_url, batch))
    assert urls[0] == urls[1] == urls[2] and len(urls[0]) == 4
    assert sorted(str(call[2]) for call in urls[0].values()) == ["None", "inferred", "inferred", "text"]


# --- renormalise and the importer ------------------------------------------------------------


def _stored(db_url: str, count: int):
    engine = make_engine(db_url)
    ensure_schema(engine)
    texts = [text for text, _ in labelled_sentences(count, seed=11)]
    items = [ReviewItem(url=f"https://owlgazette.example/reviews/{n}/", publication=OWL.key, critic_raw=[CRITICS[n % 3]],
                        critics=[CRITICS[n % 3].title()], film_raw=f"{FILMS[n % len(FILMS)]} ({2020 + n % 3})",
                        film_title=FILMS[n % len(FILMS)], film_year=2020 + n % 3,
                        film_key=FILMS[n % len(FILMS)].lower(), text=texts[n]) for n in range(count)]  # fmt: skip
    with session_factory(engine).begin() as session:
        save_reviews(session, items, {OWL.key: OWL})
    return engine


def _verdicts(engine) -> dict[str, tuple]:
    from sqlalchemy import select

    from aggregator.db.models import Review

    with session_factory(engine)() as session:
        rows = session.execute(select(Review.url, Review.verdict, Review.fresh, Review.verdict_source, Review.confidence))
        return {url: rest for url, *rest in rows}


def test_renormalise_reads_each_chunk_in_one_call(model, tmp_path):
    results = []
    for batches in (False, True):
        engine = _stored(f"sqlite:///{tmp_path / f'renormalise{batches}.sqlite'}", 12)
        try:
            spy = watched(model, batches)
            report = renormalise(session_factory(engine), lookup={OWL.key: OWL}.get, batch_size=5, verdict_model=spy)
            assert report.batches == 3 and report.changed["verdict"] == 12
            results.append((_verdicts(engine), spy))
        finally:
            engine.dispose()
    (one_by_one, one_spy), (batched, spy) = results
    assert batched == one_by_one and {call[2] for call in batched.values()} == {"inferred"}
    assert (one_spy.infer_calls, one_spy.many_calls) == (12, 0)
    assert (spy.infer_calls, spy.many_calls) == (0, 3)  # one call per chunk of 5, 5 and 2
    assert spy.reads == one_spy.reads


def test_the_nyt_importer_reads_the_files_summaries_in_one_call(model, tmp_path, monkeypatch):
    from aggregator.importers import nyt_api

    pairs = labelled_sentences(6, seed=13)
    records = [{"display_title": FILMS[n], "byline": "IDA MOSS", "critics_pick": 1 if n == 0 else 0,
                "headline": f"Review: {FILMS[n]}", "summary_short": text, "publication_date": "2016-05-0{n + 1}",
                "link": {"url": f"https://www.nytimes.com/2016/05/0{n + 1}/movies/review-{n}.html"}}
               for n, (text, _) in enumerate(pairs)] + [{"display_title": "No Link"}]  # fmt: skip
    response = tmp_path / "response.json"
    response.write_text(json.dumps({"status": "OK", "results": records}))
    results = []
    for batches in (False, True):
        spy = watched(model, batches)
        monkeypatch.setattr(nyt_api, "_verdict_model", lambda session, spy=spy: spy)
        engine = make_engine(f"sqlite:///{tmp_path / f'nyt{batches}.sqlite'}")
        try:
            ensure_schema(engine)
            report = nyt_api.import_nyt_api(response, session_factory(engine))
            assert report.counts.new == 6 and dict(report.bad) == {"missing_link_url": 1}
            results.append((_verdicts(engine), spy))
        finally:
            engine.dispose()
    (one_by_one, one_spy), (batched, spy) = results
    assert batched == one_by_one
    assert sorted(call[2] for call in batched.values()) == ["inferred"] * 5 + ["label"]
    assert (one_spy.infer_calls, spy.infer_calls, spy.many_calls) == (5, 0, 1)


def test_a_decision_that_fails_after_its_read_fails_alone(model):
    finished = []
    batch = ReadBatch(Choking(model))
    batch.defer(TextRead(HELD_OUT[0][0]), finished.append)
    batch.defer(TextRead("POISON"), finished.append)

    def broken(answer):
        raise ValueError("a decision that cannot be finished")

    batch.defer(TextRead(HELD_OUT[1][0]), broken)
    batch.defer(TextRead(HELD_OUT[2][0]), finished.append)
    failed = batch.run_isolating()
    assert sorted(failed) == [1, 2] and isinstance(failed[2], ValueError)
    assert len(finished) == 2 and len(batch) == 0
