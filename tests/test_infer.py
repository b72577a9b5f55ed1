"""The verdict text model (issue 7): the lexicon fallback, training, labels, storage."""

from __future__ import annotations

import gzip
import json
from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from aggregator.db.models import VerdictModelRecord
from aggregator.db.verdict_models import load_verdict_model, save_verdict_model, stored_versions
from aggregator.verdicts.text.calibration import best_threshold
from aggregator.verdicts.text.lexicon import LEXICON_FEATURES
from aggregator.verdicts.text.linear import FORMAT, LinearTextModel, analyse_words
from aggregator.verdicts.text.model import (
    MIN_TRAINING,
    Inference,
    TrainingError,
    VerdictModel,
    fallback_model,
    inference_from_probability,
    normalise_label,
)
from aggregator.verdicts.text.training import train_verdict_model
from tests.verdict_examples import HALF_WAY, HELD_OUT, labelled_sentences

EMPTY = ["", "   ", "\n\t", "... !!! ---", None]


@pytest.fixture(scope="module")
def trained() -> LinearTextModel:
    texts, labels = zip(*labelled_sentences(260))
    return train_verdict_model(list(texts), list(labels), seed=0)


# --- the fallback ---------------------------------------------------------------------------


def test_the_fallback_is_the_lexicon_and_says_so():
    model = fallback_model()
    assert isinstance(model, VerdictModel)
    assert (model.is_fallback, model.trained_on, model.name) == (True, 0, "lexicon")
    assert model.label == f"lexicon@{model.version}"


@pytest.mark.parametrize(("text", "fresh"), HELD_OUT)
def test_the_fallback_reads_plain_praise_and_pans(text, fresh):
    inference = fallback_model().infer(text)
    assert inference is not None
    assert inference.fresh is fresh
    assert inference.verdict == ("positive" if fresh else "negative")
    assert 0.5 <= inference.confidence <= 1.0
    assert inference.model == fallback_model().label


def test_the_fallback_uses_the_film_criticism_cues():
    # VADER alone has no opinion of "overlong" or "formulaic"; the cues of verdicts.py do
    compound, cues = fallback_model().features("Overlong and formulaic.")
    assert compound == 0.0 and cues == -2
    assert fallback_model().infer("Overlong and formulaic.").fresh is False


@pytest.mark.parametrize("text", EMPTY)
def test_nothing_to_read_gives_none(text, trained):
    assert fallback_model().infer(text) is None
    assert trained.infer(text) is None


def test_infer_many_keeps_the_order_and_the_gaps(trained):
    texts = ["", HELD_OUT[0][0], None, HELD_OUT[3][0]]
    for model in (fallback_model(), trained):
        results = model.infer_many(texts)
        assert [r is None for r in results] == [True, False, True, False]
        assert (results[1].fresh, results[3].fresh) == (True, False)
        assert results[1] == model.infer(texts[1])


def test_verdict_bands_of_a_two_class_model():
    assert inference_from_probability(0.75, "m@1") == Inference("positive", True, 0.75, 0.75, "m@1")
    assert inference_from_probability(0.55, "m@1").verdict == "mixed"
    assert inference_from_probability(0.45, "m@1") == Inference("mixed", False, 0.55, 0.45, "m@1")
    assert inference_from_probability(0.2, "m@1").verdict == "negative"


def test_a_fresh_threshold_moves_the_call_and_the_bands():
    # fresh from 0.6: a 0.55 chance of fresh is a rotten call, right with chance 0.45
    assert inference_from_probability(0.55, "m@1", threshold=0.6) == Inference("mixed", False, 1 - 0.55, 0.55, "m@1")
    assert inference_from_probability(0.65, "m@1", threshold=0.6) == Inference("mixed", True, 0.65, 0.65, "m@1")
    assert inference_from_probability(0.69, "m@1", threshold=0.6).verdict == "mixed"  # positive from 0.7
    assert inference_from_probability(0.70, "m@1", threshold=0.6).verdict == "positive"
    assert inference_from_probability(0.49, "m@1", threshold=0.6).verdict == "negative"  # below 0.5


# --- labels ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "verdict"),
    [("POSITIVE", "positive"), ("NEGATIVE", "negative"), ("Fresh", "positive"), ("rotten", "negative"),
     (" Positive ", "positive"), ("mixed", "mixed"), ("1", "positive"), ("0", "negative"), (1, "positive"),
     (0, "negative"), (True, "positive"), (False, "negative"), (1.0, "positive"),
     ("Critic’s Pick", "positive"), ("Skip it", "negative"), ("", None), ("meh", None), (2, None), (None, None), ("3/5", None)],
)  # fmt: skip
def test_normalise_label(label, verdict):
    assert normalise_label(label) == verdict


# --- training -------------------------------------------------------------------------------


def test_the_fresh_threshold_is_chosen_on_training_folds():
    truth = np.array([1] * 6 + [0] * 4)
    chances = np.array([0.62, 0.7, 0.75, 0.8, 0.9, 0.95, 0.3, 0.45, 0.55, 0.58])
    # every threshold in (0.58, 0.62] splits them perfectly; the one nearest 0.5 is kept
    assert best_threshold(chances, truth, "balanced") == best_threshold(chances, truth, "macro_f1") == 0.59
    # evenly mixed chances: no threshold beats 0.5
    assert best_threshold(np.array([0.2, 0.4, 0.6, 0.8]), np.array([0, 0, 1, 1]), "balanced") == 0.5
    with pytest.raises(ValueError, match="unknown threshold objective"):
        best_threshold(chances, truth, "accuracy please")


def test_a_trained_models_threshold_follows_its_spec(trained):
    from aggregator.verdicts.text.calibration import THRESHOLDS
    from aggregator.verdicts.text.linear import train_linear_model

    assert trained.threshold in THRESHOLDS  # "balanced": picked on out-of-fold chances
    texts, labels = zip(*labelled_sentences(260))
    verdicts = ["positive" if label == "Fresh" else "negative" for label in labels]
    assert train_linear_model(texts, verdicts, spec={"threshold": None}).threshold == 0.5
    assert train_linear_model(texts, verdicts, spec={"threshold": 0.58}).threshold == 0.58


def test_a_trained_model_reads_sentences_it_was_not_shown(trained):
    assert (trained.is_fallback, trained.trained_on, trained.version) == (False, 260, 0)
    calls = [trained.infer(text).fresh for text, _ in HELD_OUT]
    assert calls == [fresh for _, fresh in HELD_OUT]
    assert all(0.0 <= trained.infer(text).p_fresh <= 1.0 for text, _ in HELD_OUT)


def test_negation_is_marked():
    assert "neg_funny" in analyse_words("It is not funny, but it is warm.")
    assert "neg_warm" not in analyse_words("It is not funny, but it is warm.")


def test_unknown_labels_are_counted_and_skipped():
    pairs = labelled_sentences(MIN_TRAINING + 20, labels=("POSITIVE", "NEGATIVE"))
    texts = [t for t, _ in pairs] + ["Some text.", "", "Other text."]
    labels = [l for _, l in pairs] + ["maybe", "Fresh", "??"]
    model = train_verdict_model(texts, labels)
    assert model.trained_on == MIN_TRAINING + 20
    assert model.skipped == {"unknown_label": 2, "no_text": 1}


def test_too_few_labelled_examples_are_refused_clearly():
    pairs = labelled_sentences(MIN_TRAINING - 1)
    with pytest.raises(TrainingError, match=rf"{MIN_TRAINING - 1} usable labelled reviews, {MIN_TRAINING} needed"):
        train_verdict_model([t for t, _ in pairs], [l for _, l in pairs])
    texts = [t for t, _ in labelled_sentences(MIN_TRAINING + 5)]
    with pytest.raises(TrainingError, match=r"unknown_label 105"):
        train_verdict_model(texts, ["Fresh"] * (MIN_TRAINING - 100) + ["?"] * 105)
    with pytest.raises(TrainingError, match="two kinds"):
        train_verdict_model(texts, ["Fresh"] * len(texts))
    with pytest.raises(TrainingError, match="texts but"):
        train_verdict_model(texts, ["Fresh"])


def test_three_labels_train_a_three_class_model():
    pairs = labelled_sentences(240, labels=("positive", "negative"))
    pairs += [(template.format(film=f"Film {n}"), "mixed") for n in range(30) for template in HALF_WAY]
    model = train_verdict_model([t for t, _ in pairs], [l for _, l in pairs])
    assert model.classes == ["positive", "mixed", "negative"]
    assert model.infer("Some scenes work and others fall flat.").verdict == "mixed"
    assert model.infer(HELD_OUT[0][0]).verdict == "positive"
    assert model.infer(HELD_OUT[3][0]).verdict == "negative"


# --- storage ----------------------------------------------------------------------------------


def _same_calls(first, second) -> None:
    texts = [text for text, _ in HELD_OUT] + ["Moss and Marrow, again."]
    for a, b in zip(first.infer_many(texts), second.infer_many(texts)):
        assert (a.verdict, a.fresh) == (b.verdict, b.fresh)
        assert a.p_fresh == pytest.approx(b.p_fresh, abs=1e-5)


def test_an_empty_database_loads_the_fallback(db_engine):
    assert load_verdict_model(db_engine) is fallback_model()
    assert load_verdict_model(None) is fallback_model()


def test_save_and_load_round_trip_with_versions(db_engine, trained):
    assert save_verdict_model(trained, db_engine) == 1
    loaded = load_verdict_model(db_engine)
    assert isinstance(loaded, LinearTextModel) and loaded is not trained
    assert (loaded.name, loaded.version, loaded.trained_on, loaded.is_fallback) == (trained.name, 1, 260, False)
    assert loaded.infer(HELD_OUT[0][0]).model == f"{trained.name}@1"
    _same_calls(trained, loaded)

    texts, labels = zip(*labelled_sentences(230, seed=5))
    newer = train_verdict_model(list(texts), list(labels), seed=1)
    newer.metrics = {"accuracy": 0.9}
    with Session(db_engine) as session:
        assert save_verdict_model(newer, session) == 2
        session.commit()
    loaded = load_verdict_model(db_engine)
    assert (loaded.version, loaded.trained_on, loaded.metrics) == (2, 230, {"accuracy": 0.9})
    assert [(name, version, n) for name, version, _, n in stored_versions(db_engine)] == [
        (trained.name, 1, 260), (trained.name, 2, 230)
    ]  # fmt: skip


def test_the_newest_readable_model_wins(db_engine, trained):
    save_verdict_model(trained, db_engine)
    save_verdict_model(trained, db_engine)
    with Session(db_engine) as session, session.begin():
        first = session.scalar(select(VerdictModelRecord).where(VerdictModelRecord.version == 1))
        # version 1 made newer than version 2: created_at decides, not the number
        session.execute(update(VerdictModelRecord).where(VerdictModelRecord.version == 1)
                        .values(created_at=first.created_at + timedelta(days=1)))  # fmt: skip
    assert load_verdict_model(db_engine).version == 1
    with Session(db_engine) as session, session.begin():
        session.execute(update(VerdictModelRecord).where(VerdictModelRecord.version == 1)
                        .values(model=b"not gzip at all"))  # fmt: skip
    assert load_verdict_model(db_engine).version == 2  # the damaged one is skipped, not fatal


def test_stored_models_are_plain_json_not_pickles(db_engine, trained):
    save_verdict_model(trained, db_engine)
    with Session(db_engine) as session:
        record = session.scalars(select(VerdictModelRecord)).one()
        data = json.loads(gzip.decompress(record.model))
    assert (record.format, data["format"], data["version"], data["trained_on"]) == (FORMAT, FORMAT, 1, 260)
    assert data["classes"] == ["not_fresh", "fresh"]
    assert data["lexicon"] == {"weight": 1.0, "features": list(LEXICON_FEATURES)}
    assert len(data["coef"][0]) == sum(len(block["vocabulary"]) for block in data["blocks"]) + len(LEXICON_FEATURES)


def test_a_model_directory(tmp_path, monkeypatch, trained):
    folder = tmp_path / "models"
    assert load_verdict_model(directory=folder) is fallback_model()
    assert save_verdict_model(trained, directory=folder) == 1
    monkeypatch.setenv("AGGREGATOR_VERDICT_MODEL_DIR", str(folder))
    assert save_verdict_model(trained) == 2
    assert sorted(path.name for path in folder.iterdir()) == [f"{trained.name}-v1.json.gz", f"{trained.name}-v2.json.gz"]
    loaded = load_verdict_model()
    assert loaded.version == 2
    _same_calls(trained, loaded)
    (folder / f"{trained.name}-v3.json.gz").write_bytes(b"damaged")
    assert load_verdict_model().version == 2


def test_nowhere_to_save_and_nothing_to_save(monkeypatch, trained):
    from aggregator.db.verdict_models import ModelStoreError

    monkeypatch.delenv("AGGREGATOR_VERDICT_MODEL_DIR", raising=False)
    with pytest.raises(ModelStoreError, match="nowhere to save"):
        save_verdict_model(trained)
    with pytest.raises(ModelStoreError, match="only a trained model"):
        save_verdict_model(fallback_model(), directory="/nonexistent")


def test_the_lexicon_reads_the_opening_and_close_of_a_long_text():
    from aggregator.verdicts.text.model import LEXICON_WINDOW, lexicon_window

    middle = "plot summary " * 5000
    text = "A sly delight from start to finish. " + middle + "Tedious, and it never recovers."
    window = lexicon_window(text)
    assert len(window) <= sum(LEXICON_WINDOW) + 1
    assert window.startswith("A sly delight") and window.endswith("never recovers.")
    short = "Warm, funny and wise."
    assert lexicon_window(short) == short


def test_a_crawl_loads_the_model_from_the_configured_directory(trained, tmp_path):
    from aggregator.db.verdict_loading import run_verdict_model

    assert run_verdict_model(None, {"AGGREGATOR_VERDICT_MODEL_DIR": str(tmp_path)}).is_fallback
    save_verdict_model(trained, directory=tmp_path)
    loaded = run_verdict_model(None, {"AGGREGATOR_VERDICT_MODEL_DIR": str(tmp_path)})
    assert not loaded.is_fallback and loaded.trained_on == trained.trained_on
    assert run_verdict_model(None, {"AGGREGATOR_VERDICT_MODEL_DIR": str(tmp_path),
                                    "AGGREGATOR_INFER_VERDICTS": "off"}) is None
