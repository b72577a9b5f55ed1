"""Fresh habits learnt from the database reach the crawl's and renormalise's fresh calls."""

from __future__ import annotations

from aggregator.db.history import habit_rows, learn_habits
from aggregator.db.session import session_factory
from aggregator.db.upsert import save_reviews
from aggregator.items import ReviewItem
from aggregator.normalise import rate_review
from tests.factories import outlet

OUTLET = outlet("owl-review", "The Owl Review", ("owl.example",), scale="stars/5")


def labelled(n: int, label: str, critic: str = "Wren Halloway") -> ReviewItem:
    """A review rated 3/5 that the critic called fresh or rotten themselves."""
    return ReviewItem(
        url=f"https://owl.example/r/{n}", publication="owl-review", critics=[critic],
        film_title=f"Film {n}", film_key=f"film {n}", rating_raw="3/5", label_raw=label,
        rating_value=3.0, rating_best=5.0, rating_worst=0.0, scale="stars/5", score=60.0,
        verdict="mixed", fresh=label == "Fresh", verdict_source="rating", confidence=1.0,
    )


def test_habits_are_learnt_from_stored_labelled_reviews(db_engine):
    sessions = session_factory(db_engine)
    with sessions.begin() as session:
        save_reviews(session, [labelled(n, "Rotten") for n in range(6)] + [labelled(9, "Fresh", "Ida Moss")],
                     {"owl-review": OUTLET})
    with sessions() as session:
        rows = habit_rows(session)
        habits = learn_habits(session)
    assert sorted((r.critic_key, r.fresh) for r in rows) == [("ida moss", True)] + [("wren halloway", False)] * 6
    assert habits is not None

    # A new 3/5 by the same critic with no call of their own: their habit says rotten, where
    # the plain threshold (score 60 >= 60) would have said fresh.
    item = ReviewItem(rating_raw="3/5", critics=["Wren Halloway"], publication="owl-review")
    rate_review(item, OUTLET, habits=habits)
    assert (item.score, item.fresh) == (60.0, False)
    plain = ReviewItem(rating_raw="3/5", critics=["Wren Halloway"])
    rate_review(plain, OUTLET)
    assert plain.fresh is True


def test_an_empty_database_learns_no_habits(db_engine):
    with session_factory(db_engine)() as session:
        assert learn_habits(session) is None
