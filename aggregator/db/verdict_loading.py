"""Which verdict model a crawl or `aggregator renormalise` reads unscored reviews with, and the
store's labelled examples it is trained on.

The model itself (the lexicon fallback, trained models) is aggregator.verdicts.text, how it is
stored aggregator.db.verdict_models; this module decides whether inference is on and loads
the model once per run (the text model's modules, numpy among them, load only then):

- `AGGREGATOR_INFER_VERDICTS` (environment, or the Scrapy setting of that name; default on):
  "0", "false", "no" or "off" switch inference off, so unscored reviews keep no verdict;
- on, the newest trained model stored in the run's database is used, else the lexicon fallback
  (aggregator.db.verdict_models.load_verdict_model); the model says which it is (`name@version`);
- `AGGREGATOR_RETRAIN_VERDICTS_AFTER=N` (environment or setting): a crawl retrains the model
  when it closes, once the database holds N labelled reviews more than the newest model
  learned from (`retrain_if_due`: `labelled_from_database`, then
  aggregator.verdicts.text.training.train_and_measure).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.db.film_consensus import film_tallies, without_own
from aggregator.db.history import STORED_CRITIC_KEYS, critic_rate_keys
from aggregator.db.models import Publication, Review, ReviewCritic

if TYPE_CHECKING:
    from aggregator.verdicts.text.training import Labelled

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
    from aggregator.db.verdict_models import DIRECTORY_SETTING, load_verdict_model

    directory = settings.get(DIRECTORY_SETTING) if settings is not None else None
    return load_verdict_model(session_or_engine, directory=directory or None)


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
    The caller commits. aggregator.verdicts.text.training measures the model."""
    from aggregator.db.verdict_models import load_verdict_model, save_verdict_model
    from aggregator.verdicts.text.model import TrainingError
    from aggregator.verdicts.text.training import train_and_measure

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


# --- the store's labelled examples ----------------------------------------------------------


def labelled_from_database(session: Session) -> Labelled:
    """The stored reviews with text whose verdict was given (TRAINING_SOURCES), as examples:
    the label is the fresh call where there is one, else the verdict; each review's outlet
    (`Publication.key`) and first-named critic, keyed by stored critic (critic_rate_keys:
    namesakes the store keeps apart are two keys, a critic merged across spellings one), so
    that the model also learns their fresh rates; the model says so (`spec["critic_keys"]`),
    and the crawl reaches that key from a byline through the outlet it is met on
    (aggregator.db.history.model_critic_identities). And its film's consensus without it
    (aggregator.db.film_consensus), so that it learns how much that weighs."""
    from aggregator.verdicts.text.model import readable
    from aggregator.verdicts.text.training import TRAINING_SOURCES, Labelled

    first_critic = (
        select(ReviewCritic.review_id, ReviewCritic.critic_id)
        .where(ReviewCritic.position == 0)
        .subquery()
    )
    query = (
        select(Review.id, Review.film_id, Review.text, Review.fresh, Review.verdict, Publication.key,
               first_critic.c.critic_id)
        .join(Publication, Review.publication_id == Publication.id)
        .outerjoin(first_critic, first_critic.c.review_id == Review.id)
        .where(Review.verdict_source.in_(TRAINING_SOURCES), Review.text.is_not(None))
        .order_by(Review.id)
    )  # fmt: skip
    data = Labelled([], [], [], [], [], [], critic_keys=STORED_CRITIC_KEYS)
    tallies = film_tallies(session)
    critic_keys = critic_rate_keys(session)
    for review_id, film_id, text, fresh, verdict, publication, critic_id in session.execute(query):
        label = fresh if fresh is not None else verdict
        if not readable(text) or label is None:
            continue
        data.films.append(without_own(tallies.get(film_id), "rating", fresh))  # type: ignore[union-attr]
        data.texts.append(text)
        data.labels.append(label)
        data.groups.append(f"film {film_id}" if film_id is not None else f"review {review_id}")
        data.publications.append(publication)  # type: ignore[union-attr]
        data.critics.append(critic_keys.get(critic_id))  # type: ignore[union-attr]
    return data
