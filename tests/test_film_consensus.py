"""The film consensus a verdict model reads beside a review's text: tallies, training, the store.

Reviews here are fictional (written for the project): the outlet "The Heron Quarterly" and its
films "Kites and Tides", "Salt Meridian".
"""

from __future__ import annotations

import random

import pytest

from aggregator.db.film_consensus import (
    CrawlConsensus,
    film_tallies,
    inferred_urls_of_films,
    without_own,
)
from aggregator.db.session import ensure_schema, session_factory
from aggregator.db.upsert import content_hash, save_reviews
from aggregator.db.verdict_loading import labelled_from_database
from aggregator.items import ReviewItem
from aggregator.renormalise import renormalise
from aggregator.verdicts import decide
from aggregator.verdicts.text.linear import LinearTextModel
from aggregator.verdicts.text.priors import as_tally, leave_one_out_tallies
from aggregator.verdicts.text.training import labelled_from_csv, train_verdict_model
from tests.factories import outlet

HERON = outlet("heron-quarterly", "The Heron Quarterly", ("heronquarterly.example",), scale="letter")


# --- tallies ------------------------------------------------------------------------------


def test_each_example_reads_its_films_other_calls():
    groups = ["kites", "kites", "kites", "salt", "salt", None]
    fresh = [True, True, False, False, None, True]
    assert leave_one_out_tallies(groups, fresh) == [(1, 2), (1, 2), (2, 2), (0, 0), (0, 1), None]


@pytest.mark.parametrize("bad", [(3, 2), (-1, 2), ("x", 2), (1, 2, 3), 5])
def test_a_bad_tally_is_a_clear_error(bad):
    with pytest.raises(ValueError, match="film consensus tally"):
        as_tally(bad)


def test_without_own_removes_a_given_call_only():
    assert without_own((3, 4), "rating", True) == (2, 3)
    assert without_own((3, 4), "label", False) == (3, 3)
    assert without_own((3, 4), "inferred", True) == (3, 4)  # inferred calls never count
    assert without_own((3, 4), "rating", None) == (3, 4)
    assert without_own(None, "rating", True) is None


# --- the model ------------------------------------------------------------------------------


def consensus_training_set(rows: int = 400, seed: int = 3):
    """Fictional quotes whose words say little; the critic agrees with the film's consensus."""
    rng = random.Random(seed)
    words = ["kites", "tides", "harbour", "lantern", "meridian", "salt", "gull", "pier"]
    texts, labels, films = [], [], []
    for n in range(rows):
        liked = rng.random() < 0.5
        tally = (rng.randint(7, 10), 10) if liked else (rng.randint(0, 3), 10)
        texts.append(" ".join(rng.sample(words, 4)) + f" {n}")
        labels.append("Fresh" if liked else "Rotten")
        films.append(tally)
    return texts, labels, films


def test_a_model_trained_with_consensus_reads_it():
    texts, labels, films = consensus_training_set()
    model = train_verdict_model(texts, labels, films=films)
    assert model.uses_consensus and [rates.kind for rates in model.priors] == ["film"]
    text = "lantern pier gull salt"
    liked, disliked = model.infer(text, film=(9, 10)), model.infer(text, film=(1, 10))
    assert liked.fresh and not disliked.fresh
    assert liked.p_fresh > 0.8 > 0.2 > disliked.p_fresh
    unknown = model.infer(text)  # no consensus known: read as the overall rate
    assert disliked.p_fresh < unknown.p_fresh < liked.p_fresh
    assert model.infer(text, film=(0, 0)).p_fresh == pytest.approx(unknown.p_fresh)
    # stored as plain data: the weight, never the films' tallies
    stored = model.to_dict()
    assert [prior["kind"] for prior in stored["priors"]] == ["film"] and stored["priors"][0]["counts"] == {}
    again = LinearTextModel.from_dict(stored)
    assert again.infer(text, film=(9, 10)).p_fresh == pytest.approx(liked.p_fresh)


def test_a_model_trained_without_consensus_ignores_it():
    texts, labels, _ = consensus_training_set()
    model = train_verdict_model(texts, labels)
    assert not model.uses_consensus
    text = "lantern pier gull salt"
    assert model.infer(text, film=(9, 10)).p_fresh == pytest.approx(model.infer(text, film=(1, 10)).p_fresh)


class RecordingModel:
    """Says fresh when most of the film's other reviews were, and records what it was given."""

    is_fallback, uses_priors, uses_consensus = False, True, True
    name, version = "recording", 1

    def __init__(self):
        self.given = []

    def infer(self, text, publication=None, critic=None, film=None):
        from aggregator.verdicts.text.model import inference_from_probability

        self.given.append(film)
        share = film[0] / film[1] if film and film[1] else 0.5
        return inference_from_probability(0.2 + 0.6 * share, "recording@1")


def test_decide_hands_the_consensus_to_the_model():
    model = RecordingModel()
    decision = decide(text="A film about kites.", publication=HERON, model=model, consensus=(4, 5))
    assert decision.source == "inferred" and decision.fresh and model.given == [(4, 5)]
    # a review that states its own rating never asks the model
    assert decide(rating="B+", text="A film about kites.", publication=HERON, model=model, consensus=(0, 5)).fresh
    assert model.given == [(4, 5)]


# --- the database ---------------------------------------------------------------------------


def review(n: int, film: str, year: int | None, *, score: float | None = None, source: str | None = None,
           text: str | None = "A film about kites and tides.") -> ReviewItem:  # fmt: skip
    fresh = None if score is None else score >= 60
    return ReviewItem(
        url=f"https://heronquarterly.example/{film.lower().replace(' ', '-')}/{n}/", publication=HERON.key,
        critic_raw=[f"Critic {n}"], critics=[f"Critic {n}"],
        film_raw=film, film_year_raw=None if year is None else str(year),
        film_title=film, film_year=year, film_key=film.lower(), text=text,
        rating_raw=None if score is None else ("B+" if fresh else "D"), scale=None if score is None else "letter",
        score=score, verdict=None if score is None else ("positive" if fresh else "negative"), fresh=fresh,
        verdict_source=source or (None if score is None else "rating"), confidence=None if score is None else 1.0,
    )  # fmt: skip


def store(engine, items):
    with session_factory(engine).begin() as session:
        return save_reviews(session, items, {HERON.key: HERON})


@pytest.fixture
def engine(db_engine):
    ensure_schema(db_engine)
    return db_engine


def test_tallies_count_given_calls_of_each_film_never_inferred_ones(engine):
    items = [review(n, "Kites and Tides", 2025, score=83.0) for n in range(3)]
    items += [review(3, "Kites and Tides", 2025, score=25.0), review(4, "Kites and Tides", 2025)]
    inferred = review(5, "Kites and Tides", 2025)
    inferred.verdict, inferred.fresh, inferred.verdict_source, inferred.confidence = "negative", False, "inferred", 0.7
    items += [inferred, review(6, "Salt Meridian", 1987, score=30.0), review(7, "Salt Meridian", 2026, score=90.0)]
    store(engine, items)
    with session_factory(engine)() as session:
        tallies = film_tallies(session)
        assert sorted(tallies.values()) == [(0, 1), (1, 1), (3, 4)]
        consensus = CrawlConsensus.load(session)
        assert consensus.lookup("kites and tides", 2025) == (3, 4)
        assert consensus.lookup("kites and tides", None) == (3, 4)  # the one film of that title
        assert consensus.lookup("salt meridian", None) is None  # two films: which is unknown
        assert consensus.lookup("salt meridian", 2026) == (1, 1)
        assert consensus.lookup("no such film", 2026) is None and consensus.lookup(None, None) is None
        assert inferred_urls_of_films(session, ["kites and tides"]) == [inferred.url]
        kites = next(film for film, tally in tallies.items() if tally == (3, 4))
        assert film_tallies(session, [kites]) == {kites: (3, 4)}


def test_training_from_the_database_reads_each_films_consensus_without_the_example(engine):
    store(engine, [review(n, "Kites and Tides", 2025, score=83.0 if n < 3 else 25.0) for n in range(4)])
    with session_factory(engine)() as session:
        data = labelled_from_database(session)
    by_call = sorted(zip(data.labels, data.films))
    assert by_call == [(False, (3, 3)), (True, (2, 3)), (True, (2, 3)), (True, (2, 3))]


def test_a_csv_with_a_film_column_gives_each_row_its_films_consensus(tmp_path):
    path = tmp_path / "labelled.csv"
    path.write_text("quote,call,film\nwarm,Fresh,kites\nkind,Fresh,kites\ncold,Rotten,kites\n"
                    "odd,mixed,salt\nfine,Fresh,salt\n", encoding="utf-8")  # fmt: skip
    data = labelled_from_csv(path, "quote", "call", "film")
    assert data.films == [(1, 2), (1, 2), (2, 2), (1, 1), (0, 1)]  # "mixed" is not fresh
    assert labelled_from_csv(path, "quote", "call").films is None  # no film: no consensus


def test_renormalise_reads_each_films_stored_consensus(engine):
    items = [review(n, "Kites and Tides", 2025, score=83.0) for n in range(3)]
    items += [review(3, "Salt Meridian", 2026, score=20.0), review(4, "Salt Meridian", 2026, score=30.0)]
    unscored = [review(10, "Kites and Tides", 2025), review(11, "Salt Meridian", 2026)]
    store(engine, items + unscored)
    model = RecordingModel()
    renormalise(session_factory(engine), verdict_model=model)
    assert sorted(filter(None, model.given)) == [(0, 2), (3, 3)]
    with session_factory(engine)() as session:
        from sqlalchemy import select

        from aggregator.db.models import Review

        query = select(Review.url, Review.fresh).where(Review.verdict_source == "inferred")
        rows = {url: fresh for url, fresh in session.execute(query)}
    assert rows == {unscored[0].url: True, unscored[1].url: False}


def test_an_unchanged_page_keeps_its_hash_while_its_inferred_call_moves(engine):
    item = review(10, "Kites and Tides", 2025)
    item.verdict, item.fresh, item.verdict_source, item.confidence = "negative", False, "inferred", 0.6
    assert store(engine, [item]).new == 1
    again = review(10, "Kites and Tides", 2025)
    again.verdict, again.fresh, again.verdict_source, again.confidence = "positive", True, "inferred", 0.8
    assert content_hash(again) == content_hash(item)  # the page did not change
    counts = store(engine, [again])
    assert (counts.new, counts.updated, counts.unchanged) == (0, 0, 1)
    with session_factory(engine)() as session:
        from sqlalchemy import func, select

        from aggregator.db.models import Review, ReviewRevision

        stored = session.execute(select(Review.verdict, Review.fresh, Review.confidence)).one()
        assert tuple(stored) == ("positive", True, 0.8)  # the crawl's current call, in place
        assert session.scalar(select(func.count()).select_from(ReviewRevision)) == 0


# --- the crawl ------------------------------------------------------------------------------


def test_a_crawl_reads_its_films_inferred_reviews_again_once_their_new_calls_are_stored(empty_db_url, engine):
    from aggregator.pipelines.decide_verdict import DecideVerdictPipeline
    from aggregator.spiders.base.structured_data import StructuredDataSpider
    from scrapy.utils.test import get_crawler

    earlier = review(10, "Kites and Tides", 2025)  # inferred rotten when the film had no rated review
    earlier.verdict, earlier.fresh, earlier.verdict_source, earlier.confidence = "negative", False, "inferred", 0.6
    store(engine, [earlier, review(11, "Salt Meridian", 2026, text="A film about salt.")])
    store_pipeline = {"aggregator.pipelines.store_reviews.StoreReviewsPipeline": 800}
    crawler = get_crawler(StructuredDataSpider, {"AGGREGATOR_DB": empty_db_url, "ITEM_PIPELINES": store_pipeline})
    crawler.spider = StructuredDataSpider.from_crawler(crawler, url="https://heronquarterly.example/")
    pipeline = DecideVerdictPipeline.from_crawler(crawler)
    pipeline.open_spider()
    pipeline.model = RecordingModel()
    rated = review(1, "Kites and Tides", 2025)
    rated.rating_raw, rated.verdict_source = "A", None
    pipeline.process_item(rated)
    assert (rated.verdict_source, rated.fresh) == ("rating", True)
    assert pipeline.films_with_new_calls == {"kites and tides"}
    store(engine, [rated])  # what the store pipeline does before the pipelines close
    pipeline.spider_closed(crawler.spider, "finished")
    with session_factory(engine)() as session:
        from sqlalchemy import select

        from aggregator.db.models import Review

        calls = {url: (source, fresh) for url, source, fresh in
                 session.execute(select(Review.url, Review.verdict_source, Review.fresh))}  # fmt: skip
    assert calls[earlier.url] == ("inferred", True)  # read again with the film's new consensus (1 of 1)
    assert pipeline.model.given == [(1, 1)]  # only the touched film's inferred review was read again
    assert crawler.stats.get_value("aggregator/verdict/consensus_refreshed") == 1
