"""One critic key for the verdict model's critic fresh rates, in training and when reading.

A model trained from the database learns each stored critic's fresh rate under the critic's
key (aggregator.db.history.critic_rate_keys); the crawl, `aggregator renormalise` and the
importers reach that key from a byline through the aliases met on the review's outlet, so a
merged critic's spellings read one rate and namesakes the store keeps apart read their own.
SQLite and PostgreSQL; outlets, critics and texts are fictional.
"""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

from aggregator.db.history import STORED_CRITIC_KEYS, critic_rate_keys, model_critic_identities
from aggregator.db.models import Critic, CriticAlias, Review, critic_key
from aggregator.db.session import session_factory
from aggregator.db.upsert import save_reviews
from aggregator.db.verdict_loading import labelled_from_database
from aggregator.db.verdict_models import save_verdict_model
from aggregator.items import ReviewItem
from aggregator.normalise import model_critic_key, rate_review
from aggregator.renormalise import renormalise
from aggregator.verdicts import decide
from aggregator.verdicts.text.model import fallback_model, inference_from_probability
from aggregator.verdicts.text.training import NAME_CRITIC_KEYS, labelled_from_csv, train_and_measure
from tests.factories import outlet

OWL = outlet("owl-review", "The Owl Review", ("owl.example",), scale="stars/5")
HERON = outlet("heron-post", "The Heron Post", ("heron.example",), scale="stars/5")
KITE = outlet("kite-weekly", "Kite Weekly", ("kite.example",), scale="stars/5")
OUTLETS = {entry.key: entry for entry in (OWL, HERON, KITE)}
WREN_PAGE = "https://critics.example/people/wren-halloway"
WORDS = ("harbour", "lantern", "meridian", "pier", "gull", "tide", "kite", "salt")


def neutral_text(n: int) -> str:
    """Words that say nothing of the film: the critic and the outlet are all a model can read."""
    return " ".join(WORDS[(n + step * 3) % len(WORDS)] for step in range(4)) + f" note {n}."


def review(n: int, entry, critic: str, fresh: bool | None, profile: str | None = None) -> ReviewItem:
    """A review with text: rated 4/5 (fresh) or 2/5 (rotten), or unrated (fresh None)."""
    rated = fresh is not None
    return ReviewItem(
        url=f"https://{entry.domains[0]}/r/{n}", publication=entry.key, critic_raw=[critic], critics=[critic],
        critic_profiles={critic: [profile]} if profile else {}, film_raw=f"Film {n % 24}",
        film_title=f"Film {n % 24}", film_key=f"film {n % 24}", text=neutral_text(n),
        rating_raw="4/5" if fresh else "2/5" if rated else None, rating_value=(4.0 if fresh else 2.0) if rated else None,
        rating_best=5.0 if rated else None, rating_worst=0.0 if rated else None, scale="stars/5" if rated else None,
        score=(80.0 if fresh else 40.0) if rated else None, verdict=("positive" if fresh else "negative") if rated else None,
        fresh=fresh, verdict_source="rating" if rated else None, confidence=1.0 if rated else None,
    )  # fmt: skip


def calls(start: int, count: int, fresh_in_ten: int) -> list[tuple[int, bool]]:
    return [(n, (n - start) % 10 < fresh_in_ten) for n in range(start, start + count)]


LABELLED = (  # (byline, outlet, profile, [(n, fresh)])
    ("Wren Halloway", OWL, WREN_PAGE, calls(0, 70, 9)),  # one person under two spellings,
    ("Wren R. Halloway", HERON, WREN_PAGE, calls(100, 10, 9)),  # joined by their profile page
    ("Ida Moss", OWL, None, calls(200, 50, 9)),  # two people of one name, kept apart
    ("Ida Moss", HERON, None, calls(300, 50, 1)),
    ("Tom Brack", OWL, None, calls(400, 30, 5)),
    ("Nell Quarry", HERON, None, calls(500, 30, 5)),
)


@pytest.fixture
def sessions(db_engine):
    factory = session_factory(db_engine)
    items = [review(n, entry, byline, fresh, profile)
             for byline, entry, profile, made in LABELLED for n, fresh in made]  # fmt: skip
    with factory.begin() as session:
        save_reviews(session, items, OUTLETS)
    return factory


def critic_ids(sessions) -> dict[str, list[int]]:
    with sessions() as session:
        rows = session.execute(select(Critic.key, Critic.id).order_by(Critic.id)).all()
    found: dict[str, list[int]] = {}
    for key, critic_id in rows:
        found.setdefault(key, []).append(critic_id)
    return found


def expected_keys(sessions) -> dict[str, str]:
    """{"wren", "ida owl", "ida heron"}: the keys the store's critics must be learnt under."""
    ids = critic_ids(sessions)
    wren = [key for key in ids if key.startswith("wren")]
    assert len(wren) == 1 and len(ids[wren[0]]) == 1  # the two spellings are one stored critic,
    assert wren[0] in ("wren halloway", "wren r. halloway")  # named by one of them
    assert len(ids["ida moss"]) == 2  # the namesakes are two
    with sessions() as session:  # which Ida Moss wrote for which outlet
        outlet_of = dict(session.execute(select(CriticAlias.critic_id, CriticAlias.outlet)
                                         .where(CriticAlias.critic_id.in_(ids["ida moss"]))).all())
    ida = {outlet: critic_id for critic_id, outlet in outlet_of.items()}
    assert sorted(ida) == [HERON.key, OWL.key]
    owl_ida, heron_ida = ida[OWL.key], ida[HERON.key]
    return {"wren": wren[0], "ida owl": f"ida moss#{owl_ida}", "ida heron": f"ida moss#{heron_ida}"}


class RecordingModel:
    """A trained model's stand-in (or wrapper) that records the critic key it is handed."""

    is_fallback, uses_priors, uses_consensus = False, True, False
    name, version = "recording", 1
    spec = {"critic_keys": STORED_CRITIC_KEYS}

    def __init__(self, inner=None):
        self.inner, self.critics, self.films = inner, [], []

    def infer(self, text, publication=None, critic=None, film=None):
        self.critics.append(critic)
        self.films.append(film)
        if self.inner is not None:
            return self.inner.infer(text, publication=publication, critic=critic, film=film)
        return inference_from_probability(0.7, "recording@1")


# --- training -------------------------------------------------------------------------------


def test_training_keys_each_example_by_its_stored_critic(sessions):
    keys = expected_keys(sessions)
    with sessions() as session:
        data = labelled_from_database(session)
    assert data.critic_keys == STORED_CRITIC_KEYS
    assert Counter(data.critics) == {keys["wren"]: 80, keys["ida owl"]: 50, keys["ida heron"]: 50,
                                     "tom brack": 30, "nell quarry": 30}  # fmt: skip
    model, _ = train_and_measure(data)
    assert model.spec["critic_keys"] == STORED_CRITIC_KEYS
    rates = next(rates for rates in model.priors if rates.kind == "critic")
    assert rates.counts == {keys["wren"]: [72, 80], keys["ida owl"]: [45, 50], keys["ida heron"]: [5, 50],
                            "tom brack": [15, 30], "nell quarry": [15, 30]}  # fmt: skip
    assert rates.feature(keys["wren"]) > 0 > rates.feature(keys["ida heron"])
    assert rates.feature("wren r. halloway") == rates.feature("ida moss") == 0.0  # never learnt by name


def test_a_csv_trained_model_keys_critics_by_name(tmp_path):
    path = tmp_path / "labelled.csv"
    path.write_text("quote,call,critic\nwarm,Fresh,Wren R. Halloway\ncold,Rotten,Ida Moss\n", encoding="utf-8")
    data = labelled_from_csv(path, "quote", "call", critic_column="critic")
    assert (data.critic_keys, data.critics) == (NAME_CRITIC_KEYS, ["wren r. halloway", "ida moss"])


# --- reading: the crawl, rate_review, renormalise -------------------------------------------


def test_every_byline_of_a_stored_critic_reads_the_key_it_was_learnt_under(sessions):
    keys = expected_keys(sessions)
    with sessions() as session:
        identities = model_critic_identities(session, RecordingModel())
        assert identities is not None
        assert model_critic_identities(session, fallback_model()) is None  # reads no rates
        name_keyed = RecordingModel()
        name_keyed.spec = {"critic_keys": NAME_CRITIC_KEYS}  # a CSV's model: bylines as they are
        assert model_critic_identities(session, name_keyed) is None
        assert set(critic_rate_keys(session).values()) >= {keys["wren"], keys["ida owl"], keys["ida heron"]}
    model = RecordingModel()
    for byline, entry in (("Wren Halloway", OWL), ("Wren R. Halloway", HERON), ("Ida Moss", OWL),
                          ("Ida Moss", HERON), ("Ida Moss", KITE), ("Wren R. Halloway", OWL)):  # fmt: skip
        item = ReviewItem(url="https://owl.example/x", publication=entry.key, critics=[byline], text="A quiet pier.")
        rate_review(item, entry, model=model, critic_identities=identities)
        assert item.verdict_source == "inferred"
    # the last two bylines were never met on their outlet: they keep their own name key
    # ("ida moss" names neither namesake's rate: an unknown critic, read as 0)
    assert model.critics == [keys["wren"], keys["wren"], keys["ida owl"], keys["ida heron"],
                             "ida moss", "wren r. halloway"]  # fmt: skip
    # without identities (a model keyed by name) every byline reads its own key
    assert model_critic_key("wren r. halloway", HERON.key, None) == "wren r. halloway"


def test_a_byline_two_stored_critics_share_on_one_outlet_reads_no_critic():
    identities = {OWL.key: {"ida moss": None, "tom brack": "tom brack"}}
    assert model_critic_key("ida moss", OWL.key, identities) is None
    assert model_critic_key("tom brack", OWL.key, identities) == "tom brack"
    assert model_critic_key(None, OWL.key, identities) is None
    model = RecordingModel()
    decide(text="A quiet pier.", publication=OWL, critic="ida moss", model=model, model_critic=None)
    decide(text="A quiet pier.", publication=OWL, critic="ida moss", model=model)  # not given: the critic's
    assert model.critics == [None, "ida moss"]


def open_pipeline(db_url: str):
    from aggregator.pipelines.decide_verdict import DecideVerdictPipeline
    from aggregator.spiders.base.structured_data import StructuredDataSpider
    from scrapy.utils.test import get_crawler

    store_pipeline = {"aggregator.pipelines.store_reviews.StoreReviewsPipeline": 800}
    crawler = get_crawler(StructuredDataSpider, {"AGGREGATOR_DB": db_url, "ITEM_PIPELINES": store_pipeline})
    crawler.spider = StructuredDataSpider.from_crawler(crawler, url="https://owl.example/")
    pipeline = DecideVerdictPipeline.from_crawler(crawler)
    pipeline.open_spider()
    return pipeline


UNRATED = (("Wren R. Halloway", HERON), ("Wren Halloway", OWL), ("Ida Moss", OWL), ("Ida Moss", HERON))


def test_the_crawl_and_renormalise_hand_the_trained_model_the_learnt_key(sessions, empty_db_url):
    keys = expected_keys(sessions)
    with sessions() as session:
        model, _ = train_and_measure(labelled_from_database(session))
    with sessions.begin() as session:
        save_verdict_model(model, session)

    pipeline = open_pipeline(empty_db_url)
    assert pipeline.model.label == model.label and pipeline.critic_identities is not None
    pipeline.model = recorder = RecordingModel(pipeline.model)  # the loaded model, watched
    items = [review(900 + n, entry, byline, None) for n, (byline, entry) in enumerate(UNRATED)]
    for item in items:
        pipeline.process_item(item)
    crawl_keys = [keys["wren"], keys["wren"], keys["ida owl"], keys["ida heron"]]
    assert recorder.critics == crawl_keys
    # the spelling that is not the display name reads the merged critic's learnt rate: fresher
    # than its own name's (an unknown critic's)
    number = next(n for n, item in enumerate(items[:2]) if critic_key(item.critics[0]) != keys["wren"])
    other_spelling, film = items[number], recorder.films[number]
    loaded = recorder.inner  # the stored model (its weights rounded to 6 places)
    learnt = loaded.infer(other_spelling.text, critic=keys["wren"], film=film)
    assert (other_spelling.verdict_source, other_spelling.confidence) == ("inferred", learnt.confidence)
    by_name = loaded.infer(other_spelling.text, critic=critic_key(other_spelling.critics[0]), film=film)
    assert learnt.p_fresh > by_name.p_fresh
    assert items[3].fresh is False and items[2].fresh is True  # each Ida Moss reads her own rate

    with sessions.begin() as session:
        save_reviews(session, items, OUTLETS)
    again = RecordingModel(model)
    renormalise(sessions, urls=[item.url for item in items], verdict_model=again)
    by_url = sorted(zip((item.url for item in items), crawl_keys))
    with sessions() as session:  # renormalise reads in id order, the order the items were stored
        order = list(session.scalars(select(Review.url).where(Review.url.in_([u for u, _ in by_url]))
                                     .order_by(Review.id)))
    assert again.critics == [dict(by_url)[url] for url in order] and sorted(again.critics) == sorted(crawl_keys)


def test_the_import_chain_hands_the_model_the_learnt_key(sessions):
    from aggregator.identity.publications import Registry
    from aggregator.importers.chain import ImportPublications, normalise_item

    keys = expected_keys(sessions)
    model = RecordingModel()
    with sessions() as session:
        identities = model_critic_identities(session, model)
    publications = ImportPublications(Registry(list(OUTLETS.values())))
    for n, (byline, entry) in enumerate(UNRATED):
        item = ReviewItem(url=f"https://{entry.domains[0]}/import/{n}", publication=entry.key,
                          critic_raw=[byline], text=neutral_text(n))  # fmt: skip
        normalise_item(item, publications, model=model, critic_identities=identities)
        assert item.verdict_source == "inferred"
    assert model.critics == [keys["wren"], keys["wren"], keys["ida owl"], keys["ida heron"]]


def test_the_fresh_habits_key_critics_as_the_model_does(sessions):
    # Only one of the two Ida Moss has a scored review with her own call: the habits still key
    # her apart from her namesake, under the key the model learnt her rate by.
    from aggregator.db.history import habit_rows

    keys = expected_keys(sessions)
    called = review(950, OWL, "Ida Moss", True)
    called.label_raw = "Fresh"
    with sessions.begin() as session:
        save_reviews(session, [called], OUTLETS)
    with sessions() as session:
        assert [row.critic_key for row in habit_rows(session)] == [keys["ida owl"]]
        assert keys["ida owl"] in critic_rate_keys(session).values()
