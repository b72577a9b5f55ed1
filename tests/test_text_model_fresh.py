"""A trained text model at borderline scores: decide's fresh-call rule (c) "text_model"."""

from __future__ import annotations

import pytest

from aggregator.verdicts import TEXT_MODEL_CONFIDENCE, Decision, decide
from aggregator.verdicts.habits import FreshHabits, HabitRow
from aggregator.verdicts.text.lexicon import lexicon_features
from aggregator.verdicts.text.model import fallback_model
from aggregator.verdicts.text.training import train_verdict_model
from tests.verdict_examples import labelled_sentences


def _row(score: float, fresh: bool, critic: str | None = None) -> HabitRow:
    return HabitRow(None, critic, "stars/4", score, fresh)


# Fictional calls: 2.5/4 is a coin toss leaning fresh (17 of 30), 3/4 always fresh, 2/4 always
# rotten; Ada Quill calls 2.5/4 rotten every time.
HABITS = FreshHabits.learn(
    [_row(50.0, False)] * 30 + [_row(75.0, True)] * 30 + [_row(62.5, True)] * 17 + [_row(62.5, False)] * 7
    + [_row(62.5, False, "ada-quill")] * 6,
    level_weight=0.0,
)  # fmt: skip
PRAISE = "Witty, warm and beautifully acted: a joy to watch."
PAN = "Dull, lazy and painfully unfunny: a chore."
NEUTRAL_PAN = "The sets wobble, the plot goes nowhere."  # no hand cue: only a model can read it


@pytest.fixture(scope="module")
def model():
    texts, labels = zip(*labelled_sentences(300, seed=3))
    return train_verdict_model(list(texts), list(labels))


def test_a_trained_model_tips_a_borderline_call(model):
    unsure = decide("2.5/4", habits=HABITS)
    assert unsure.fresh_rule == "scale_cell" and unsure.fresh is True
    panned = decide("2.5/4", text=PAN, habits=HABITS, model=model)
    assert (panned.verdict, panned.fresh, panned.source, panned.fresh_rule) == ("positive", False, "rating", "text_model")
    assert 0.5 <= panned.confidence <= TEXT_MODEL_CONFIDENCE
    praised = decide("2.5/4", text=PRAISE, habits=HABITS, model=model)
    assert (praised.fresh, praised.fresh_rule) == (True, "scale_cell")  # agreeing evidence changes no rule


def test_the_model_reads_what_the_hand_cues_cannot(model):
    assert decide("2.5/4", text="The plot goes nowhere, a chore.", habits=HABITS, model=model).fresh is False
    with_cues_only = decide("2.5/4", text="The plot goes nowhere, a chore.", habits=HABITS)
    assert with_cues_only.fresh_rule == "scale_cell"  # no cue word: the habits' call stands


def test_sure_calls_and_no_habits_are_left_alone(model):
    assert decide("3/4", text=PAN, habits=HABITS, model=model).fresh is True
    assert decide("2/4", text=PRAISE, habits=HABITS, model=model).fresh is False
    assert decide("2.5/4", text=PRAISE, critic="ada-quill", habits=HABITS, model=model).fresh is False
    assert decide("2.5/4", text=PAN, model=model) == Decision("positive", True, "rating", 1.0)


def test_the_fallback_leaves_the_borderline_to_the_hand_cues(model):
    # the lexicon fallback is not a learned model of this database's critics: rule c keeps the cues
    decision = decide("2.5/4", text="Tedious, overlong and a misfire.", habits=HABITS, model=fallback_model())
    assert decision.fresh_rule == "text_cue"
    assert decide("2.5/4", text="  ", habits=HABITS, model=model).fresh_rule == "scale_cell"


def test_lexicon_features_read_negation_and_contrast():
    valence, closing, praise, pan, cues = lexicon_features("Not funny.")
    assert valence < 0 and (praise, pan) == (0.0, pytest.approx(0.693, abs=1e-3))  # "funny", negated, is a pan
    charming_but_dull = lexicon_features("Charming, but dull.")
    assert charming_but_dull[1] < 0 < lexicon_features("Dull, but charming.")[1]  # the closing clause
    assert lexicon_features("A film about a boy.") == [0.0, 0.0, 0.0, 0.0, 0.0]
