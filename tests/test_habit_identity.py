"""Learnt habits belong to stored critics, not to names: namesakes the store keeps apart do
not share habits, a critic merged across outlets does (aggregator.db.history, FreshHabits
.critic_identities). SQLite and PostgreSQL; outlets and critics are fictional."""

from __future__ import annotations

from aggregator.db.history import critic_habit_keys, habit_rows, learn_habits
from aggregator.db.session import session_factory
from aggregator.db.upsert import save_reviews
from aggregator.items import ReviewItem
from aggregator.normalise import rate_review
from aggregator.verdicts import decide
from aggregator.verdicts.habits import FreshHabits
from tests.factories import outlet

OWL = outlet("owl-review", "The Owl Review", ("owl.example",), scale="stars/5")
HERON = outlet("heron-post", "The Heron Post", ("heron.example",), scale="stars/5")
KITE = outlet("kite-weekly", "Kite Weekly", ("kite.example",), scale="stars/5")
OUTLETS = {entry.key: entry for entry in (OWL, HERON, KITE)}


def labelled(n: int, entry, label: str, critic: str = "Wren Halloway", profiles=None) -> ReviewItem:
    """A 3/5 the critic called fresh or rotten themselves."""
    return ReviewItem(
        url=f"https://{entry.domains[0]}/r/{n}", publication=entry.key, critics=[critic],
        critic_profiles=profiles or {}, film_title=f"Film {n}", film_key=f"film {n}",
        rating_raw="3/5", label_raw=label, rating_value=3.0, rating_best=5.0, rating_worst=0.0,
        scale="stars/5", score=60.0, verdict="mixed", fresh=label == "Fresh",
        verdict_source="rating", confidence=1.0,
    )


def call(habits, entry, critic="Wren Halloway") -> tuple[bool, str]:
    item = ReviewItem(rating_raw="3/5", critics=[critic], publication=entry.key)
    rate_review(item, entry, habits=habits)
    rule = decide(rating="3/5", publication=entry, critic="wren halloway", habits=habits).fresh_rule
    return item.fresh, rule


def test_namesakes_on_two_outlets_keep_their_own_habits(db_engine):
    sessions = session_factory(db_engine)
    with sessions.begin() as session:  # two people called Wren Halloway, no evidence joins them
        save_reviews(session, [labelled(n, OWL, "Rotten") for n in range(4)]
                     + [labelled(n, HERON, "Fresh") for n in range(4)], OUTLETS)
    with sessions() as session:
        keys = sorted({row.critic_key for row in habit_rows(session)})
        habits = learn_habits(session)
    assert len(keys) == 2 and all(key.startswith("wren halloway#") for key in keys)
    assert call(habits, OWL) == (False, "critic_habit")
    assert call(habits, HERON) == (True, "critic_habit")
    # a third Wren Halloway, never stored, borrows neither's habits
    assert call(habits, KITE)[1] != "critic_habit"
    # … and the habits survive their JSON round trip, identities included
    assert call(FreshHabits.from_json(habits.to_json()), OWL) == (False, "critic_habit")


def test_a_critic_merged_across_outlets_has_one_set_of_habits(db_engine):
    sessions = session_factory(db_engine)
    page = {"Wren Halloway": ["https://critics.example/people/wren-halloway"]}
    with sessions.begin() as session:  # one person: the same profile page on both outlets
        save_reviews(session, [labelled(n, OWL, "Rotten", profiles=page) for n in range(4)]
                     + [labelled(9, HERON, "Fresh", profiles=page)], OUTLETS)
    with sessions() as session:
        assert {row.critic_key for row in habit_rows(session)} == {"wren halloway"}
        habits = learn_habits(session)
    # 4 rotten + 1 fresh at this score, wherever the byline is met
    assert call(habits, OWL) == call(habits, HERON) == (False, "critic_habit")


def test_habit_keys_are_names_unless_namesakes_share_them():
    assert critic_habit_keys({1: "wren halloway", 2: "ida moss", 3: "wren halloway"}) == {
        1: "wren halloway#1", 2: "ida moss", 3: "wren halloway#3"}


def test_habits_keyed_by_name_use_the_key_as_given():
    habits = FreshHabits.learn([("owl-review", "wren halloway", "stars/5", 60.0, False)] * 3)
    assert habits.critic_identity("wren halloway", None) == "wren halloway"
    assert habits.fresh_call(60.0, "stars/5", None, "wren halloway")[2] == "critic_habit"
