"""Outlets' and critics' fresh rates read by the trained verdict model (aggregator.verdicts.text.priors)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from aggregator.verdicts import decide
from aggregator.verdicts.text.linear import LinearTextModel
from aggregator.verdicts.text.model import prior_key
from aggregator.verdicts.text.priors import FreshRates, out_of_fold_columns
from aggregator.verdicts.text.training import train_verdict_model
from tests.verdict_examples import FILMS, HELD_OUT, labelled_sentences

NEUTRAL = "{film} opens in cinemas on Friday."
"""A sentence with no opinion in it: only who wrote it can tell the call."""


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def test_a_keys_rate_is_pulled_toward_the_overall_rate():
    rates = FreshRates.learn("critic", ["a"] * 10 + ["b"] * 2 + [None] * 8, [True] * 10 + [False] * 2 + [True] * 8,
                             strength=10.0)  # fmt: skip
    assert rates.overall == pytest.approx(18 / 20)
    assert rates.counts == {"a": [10, 10], "b": [0, 2]}
    # ten fresh reviews of ten: (10 + 10 x 0.9) / 20 = 0.95, read from the overall 0.9
    assert rates.feature("a") == pytest.approx(_logit(0.95) - _logit(0.9))
    assert rates.feature("b") == pytest.approx(_logit(9 / 12) - _logit(0.9))
    assert rates.feature("b") < 0
    assert rates.feature("never seen") == rates.feature(None) == 0.0
    assert FreshRates.from_dict(rates.to_dict()) == rates


def test_an_examples_own_label_never_reaches_its_feature():
    # a critic met once: the other folds have never seen them, so the feature is "unknown"
    keys = {"critic": [f"critic {n}" for n in range(20)]}
    fresh = [n % 3 > 0 for n in range(20)]
    assert not out_of_fold_columns(["critic"], keys, fresh, 10.0, seed=0).any()
    # critics met 20 times, one always fresh, one never: each example reads the other folds'
    columns = out_of_fold_columns(["critic"], {"critic": ["a"] * 20 + ["b"] * 20}, [True] * 20 + [False] * 20,
                                  10.0, seed=0)  # fmt: skip
    assert columns.shape == (40, 1) and np.all(columns[:20] > 0) and np.all(columns[20:] < 0)


def test_keys_are_case_folded():
    assert prior_key("  The  Owl Review ") == prior_key("the owl review") == "the owl review"
    assert prior_key(SimpleNamespace(key="owl-review")) == "owl-review"
    assert prior_key(None) is None and prior_key("  ") is None


@pytest.fixture(scope="module")
def with_rates() -> LinearTextModel:
    pairs = labelled_sentences(260)
    texts, labels = [text for text, _ in pairs], [label for _, label in pairs]
    critics = [f"Critic {n % 13}" for n in range(len(pairs))]
    for number in range(80):  # the same plain sentence: a generous critic calls it fresh, a harsh one rotten
        generous = number % 2 == 0
        texts.append(NEUTRAL.format(film=FILMS[number % len(FILMS)]))
        labels.append("Fresh" if generous else "Rotten")
        critics.append("Ada Generous" if generous else "Hal Harsh")
    publications = ["The Owl Review"] * len(texts)
    return train_verdict_model(texts, labels, seed=0, publications=publications, critics=critics)


def test_a_model_reads_the_critics_rate_beside_the_text(with_rates):
    assert with_rates.uses_priors and [r.kind for r in with_rates.priors] == ["publication", "critic"]
    text = NEUTRAL.format(film="The Tin Ferry")
    generous, harsh = with_rates.infer(text, critic="ADA  GENEROUS"), with_rates.infer(text, critic="hal harsh")
    unknown, alone = with_rates.infer(text, critic="Nobody Known"), with_rates.infer(text)
    assert generous.fresh and not harsh.fresh
    assert harsh.p_fresh < alone.p_fresh < generous.p_fresh
    assert unknown == alone  # an unknown critic: the text alone
    # the text still speaks for itself whoever wrote it
    assert [with_rates.infer(t, critic="Critic 3").fresh for t, _ in HELD_OUT] == [f for _, f in HELD_OUT]
    assert with_rates.infer("   ", critic="hal harsh") is None


def test_the_rates_are_stored_with_the_model(with_rates):
    loaded = LinearTextModel.from_dict(with_rates.to_dict())
    text = NEUTRAL.format(film="The Tin Ferry")
    assert loaded.threshold == with_rates.threshold
    for critic in ("Ada Generous", "Hal Harsh", None):
        stored, trained = loaded.infer(text, critic=critic), with_rates.infer(text, critic=critic)
        assert stored.fresh == trained.fresh and stored.p_fresh == pytest.approx(trained.p_fresh, abs=1e-5)


def test_a_model_without_keys_reads_text_only():
    pairs = labelled_sentences(260)
    model = train_verdict_model([t for t, _ in pairs], [label for _, label in pairs], seed=0)
    assert not model.uses_priors and model.priors == []
    text = HELD_OUT[0][0]
    assert model.infer(text, critic="Hal Harsh") == model.infer(text)


def test_decide_hands_the_outlet_and_critic_to_the_model(with_rates):
    text = NEUTRAL.format(film="The Tin Ferry")
    owl = SimpleNamespace(key="the owl review", scale=None)
    harsh = decide(text=text, publication=owl, critic="hal harsh", model=with_rates)
    generous = decide(text=text, publication=owl, critic="ada generous", model=with_rates)
    assert (harsh.source, harsh.fresh) == ("inferred", False)
    assert (generous.source, generous.fresh) == ("inferred", True)
    assert generous.confidence == with_rates.infer(text, critic="ada generous").confidence


def test_a_model_stored_before_the_rates_and_threshold_still_loads():
    pairs = labelled_sentences(260)
    model = train_verdict_model([t for t, _ in pairs], [label for _, label in pairs], seed=0)
    older = model.to_dict()
    del older["priors"], older["threshold"]
    loaded = LinearTextModel.from_dict(older)
    assert (loaded.threshold, loaded.priors, loaded.uses_priors) == (0.5, [], False)
    assert [loaded.infer(t).fresh for t, _ in HELD_OUT] == [f for _, f in HELD_OUT]
