"""Which verdict model a crawl or `aggregator renormalise` reads unscored reviews with, and why a
review got no verdict.

The model itself (the lexicon fallback, trained models, how they are stored) is aggregator.infer;
this module only decides whether inference is on and loads the model once per run:

- `AGGREGATOR_INFER_VERDICTS` (environment, or the Scrapy setting of that name; default on):
  "0", "false", "no" or "off" switch inference off, so unscored reviews keep no verdict;
- on, the newest trained model stored in the run's database is used, else the lexicon fallback
  (aggregator.infer.load_verdict_model); the model says which it is (`name@version`);
- `AGGREGATOR_RETRAIN_VERDICTS_AFTER=N` (environment or setting): a crawl retrains the model
  when it closes, once the database holds N labelled reviews more than the newest model
  learned from (`retrain_if_due`, through aggregator.infer_training).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from aggregator.items import ReviewItem

INFER_SETTING = "AGGREGATOR_INFER_VERDICTS"
_OFF = frozenset({"0", "false", "no", "off"})


def inference_enabled(settings: Any = None) -> bool:
    """Whether unscored reviews get an inferred verdict: the Scrapy setting when given (it
    defaults to the environment, see aggregator/settings.py), else the environment."""
    value = settings.get(INFER_SETTING) if settings is not None else os.environ.get(INFER_SETTING)
    if value is None or isinstance(value, bool):
        return value is not False
    return str(value).strip().lower() not in _OFF


def run_verdict_model(session_or_engine: Any = None, settings: Any = None):
    """The model a run infers verdicts with (loaded once: a trained model is read from the
    database), or None when inference is switched off."""
    if not inference_enabled(settings):
        return None
    from aggregator.infer import load_verdict_model
    from aggregator.infer_store import DIRECTORY_SETTING

    directory = settings.get(DIRECTORY_SETTING) if settings is not None else None
    return load_verdict_model(session_or_engine, directory=directory or None)


def no_verdict_reason(item: ReviewItem, model: Any) -> str | None:
    """Why `item` has no verdict (None when it has one): "no_text" (nothing to read and no
    rating or label: an audio-only post, a video embed), "inference_off" (there is text, but
    no model was given), "not_inferred" (the model declined the text)."""
    if item.verdict is not None:
        return None
    from aggregator.infer import readable

    if not readable(item.text):
        return "no_text"
    return "inference_off" if model is None else "not_inferred"


# --- retraining after a scheduled crawl ----------------------------------------------------

RETRAIN_SETTING = "AGGREGATOR_RETRAIN_VERDICTS_AFTER"
"""Retrain the verdict model when a crawl closes, once the database holds this many labelled
reviews (a rating, label, stated rating or manual verdict, with text) more than the newest
stored model learned from; unset or 0: never (`aggregator train-verdicts` does it by hand)."""


@dataclass(frozen=True)
class Retraining:
    status: str
    """"trained", "not_due" (too few new labelled reviews) or "too_few" (below MIN_TRAINING)."""
    labelled: int
    """Labelled reviews with text in the database."""
    new: int
    """Of those, how many more than the newest stored model learned from."""
    model: str | None = None
    """"name@version" of the model stored, when one was."""


def retrain_after(settings: Any = None) -> int:
    """The RETRAIN_SETTING threshold (0: off): the Scrapy setting when given, else the
    environment. A value that is not a whole number ≥ 0 is a clear error."""
    value = settings.get(RETRAIN_SETTING) if settings is not None else None
    if value in (None, ""):
        value = os.environ.get(RETRAIN_SETTING)
    if value in (None, ""):
        return 0
    try:
        after = int(str(value).strip())
    except ValueError:
        after = -1
    if after < 0:
        raise ValueError(f"{RETRAIN_SETTING} must be a whole number of reviews (0: off), not {value!r}")
    return after


def retrain_if_due(session: Any, after: int, *, seed: int = 0) -> Retraining:
    """Train and store a new verdict model when the database holds at least `after` labelled
    reviews more than the newest stored model learned from (all of them, under the fallback).
    The caller commits. aggregator.infer_training chooses the examples and measures the model."""
    from aggregator.infer import TrainingError
    from aggregator.infer_store import load_verdict_model, save_verdict_model
    from aggregator.infer_training import labelled_from_database, train_and_measure

    current = load_verdict_model(session)
    data = labelled_from_database(session)
    learned = 0 if current.is_fallback else current.trained_on
    new = len(data.texts) - learned
    if after < 1 or new < after:
        return Retraining("not_due", len(data.texts), new)
    try:
        model, _ = train_and_measure(data, seed=seed)
    except TrainingError:
        return Retraining("too_few", len(data.texts), new)
    version = save_verdict_model(model, session)
    return Retraining("trained", len(data.texts), new, f"{model.name}@{version}")
