"""Where a verdict model's labelled examples come from, and how a training run is measured.

- `labelled_from_database`: stored reviews with text whose verdict was given, not guessed:
  `verdict_source` in TRAINING_SOURCES (a rating, a label, a rating stated in the text, a
  person's manual call), never "inferred" (a model must not learn from its own output). The
  label is the fresh call where there is one, else the verdict; each review's outlet
  (`Publication.key`) and first-named critic, keyed by stored critic
  (aggregator.db.history.critic_rate_keys: namesakes the store keeps apart are two keys, a
  critic merged across spellings one), so that the model also learns their fresh rates
  (aggregator.infer_priors); the model says so (`spec["critic_keys"]`), and the crawl
  reaches that key from a byline through the outlet it is met on
  (aggregator.db.history.model_critic_identities). And its film's consensus without it
  (aggregator.db.film_consensus), so that it learns how much that weighs.
- `labelled_from_csv`: a labelled CSV a user brings (text and label columns named; with a
  group column, the group is the film, and each row's film consensus is read from the other
  rows' labels of its group). A CSV has no stored critics: its critics are keyed by name
  (the canonical name's `critic_key`), and a crawl reads such a model with the byline's key.
- `train_and_measure`: held-out accuracy and macro-F1 of the fresh call on a split by film
  (films the model did not see, as in benchmarks/verdicts.py), then the model trained on all
  examples, the figures kept in its `metrics`.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.db.film_consensus import film_tallies, without_own
from aggregator.db.history import STORED_CRITIC_KEYS, critic_rate_keys
from aggregator.db.models import Publication, Review, ReviewCritic
from aggregator.infer import (
    MIN_TRAINING,
    TrainingError,
    normalise_label,
    readable,
    train_verdict_model,
)
from aggregator.infer_priors import leave_one_out_tallies
from aggregator.verdicts import GIVEN_SOURCES

TRAINING_SOURCES = GIVEN_SOURCES
HOLDOUT_SHARE = 0.2
NAME_CRITIC_KEYS = "names"
"""`spec["critic_keys"]` of a model whose critics are keyed by name (a CSV's)."""


@dataclass
class Labelled:
    texts: list[str]
    labels: list[object]
    groups: list[str]
    """What a held-out split keeps together (the film; the row itself when none is known)."""
    publications: list[str | None] | None = None
    critics: list[str | None] | None = None
    """Each example's outlet and critic key, when known (from the database)."""
    films: list[tuple[int, int] | None] | None = None
    """Each example's film consensus (fresh, reviews) without the example itself, when known."""
    critic_keys: str = NAME_CRITIC_KEYS
    """How `critics` are keyed: by name, or by stored critic (`STORED_CRITIC_KEYS`)."""


def labelled_from_database(session: Session) -> Labelled:
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


class CsvError(ValueError):
    """A labelled CSV that cannot be read as asked; the message names the problem."""


def labelled_from_csv(path: Path, text_column: str, label_column: str, group_column: str | None = None,
                      publication_column: str | None = None, critic_column: str | None = None,
                      registry=None) -> Labelled:
    """The CSV's examples. With `publication_column` / `critic_column`, each row also carries
    the keys a crawl would give its review (the registry's key for the outlet's name, a
    provisional key for an outlet it does not know; the critic's matching key of the name: a
    CSV has no stored critics), so the model learns outlet and critic fresh rates the crawl
    can look up."""
    columns_asked = (text_column, label_column, group_column, publication_column, critic_column)
    try:
        with Path(path).open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            columns = reader.fieldnames or []
            missing = [c for c in columns_asked if c and c not in columns]
            if missing:
                raise CsvError(f"{path}: no column {', '.join(map(repr, missing))} (columns: {', '.join(columns)})")
            data = Labelled([], [], [], [] if publication_column else None, [] if critic_column else None)
            for number, row in enumerate(reader):
                data.texts.append(row[text_column] or "")
                data.labels.append(row[label_column])
                data.groups.append(row[group_column] if group_column else f"row {number}")
                if publication_column:
                    data.publications.append(_publication_key(row[publication_column], registry))  # type: ignore[union-attr]
                if critic_column:
                    data.critics.append(_critic_key(row[critic_column]))  # type: ignore[union-attr]
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise CsvError(f"cannot read {path}: {error}") from error
    if group_column:
        verdicts = [normalise_label(label) for label in data.labels]
        data.films = leave_one_out_tallies(data.groups, [None if v is None else v == "positive" for v in verdicts])
    return data


def _publication_key(name: str | None, registry) -> str | None:
    from aggregator.publications import default_registry

    if not (name and name.strip()):
        return None
    registry = registry or default_registry()
    entry = registry.resolve(name=name) or registry.provisional(name, None)
    return entry.key


def _critic_key(name: str | None) -> str | None:
    from aggregator.critics import canonical_person_name
    from aggregator.db.models import critic_key

    canonical = canonical_person_name(name) if name and name.strip() else ""
    return critic_key(canonical) if canonical else None


def fresh_metrics(truth: Sequence[bool], predicted: Sequence[bool]) -> dict[str, float]:
    """Accuracy and macro-F1 (mean of the fresh and rotten F1) of fresh calls."""
    from sklearn.metrics import accuracy_score, f1_score

    return {
        "accuracy": float(accuracy_score(truth, predicted)),
        "macro_f1": float(f1_score(truth, predicted, average="macro", zero_division=0)),
    }


def split_by_group(groups: Sequence[str], share: float, seed: int) -> tuple[list[int], list[int]]:
    """(train rows, held-out rows): whole groups held out until `share` of the rows are."""
    distinct = sorted(set(groups))
    random.Random(seed).shuffle(distinct)
    held, wanted = set(), share * len(groups)
    size = {group: 0 for group in distinct}
    for group in groups:
        size[group] += 1
    count = 0
    for group in distinct:
        if count >= wanted:
            break
        held.add(group)
        count += size[group]
    train = [i for i, group in enumerate(groups) if group not in held]
    test = [i for i, group in enumerate(groups) if group in held]
    return train, test


def train_and_measure(data: Labelled, *, seed: int = 0, minimum: int = MIN_TRAINING):
    """(model trained on every example, metrics): the metrics are those of a model trained on
    the rest and tested on held-out groups. Raises TrainingError below `minimum`."""
    usable = [i for i, (text, label) in enumerate(zip(data.texts, data.labels))
              if readable(text) and normalise_label(label) is not None]  # fmt: skip
    def keys(rows: Sequence[int] | None) -> dict[str, object]:
        return {kind: (values if rows is None else [values[i] for i in rows])
                for kind, values in (("publications", data.publications), ("critics", data.critics),
                                     ("films", data.films))
                if values is not None}  # fmt: skip

    if len(usable) < minimum:
        train_verdict_model(data.texts, data.labels, seed=seed, minimum=minimum)  # raises, saying why
    train, test = split_by_group([data.groups[i] for i in usable], HOLDOUT_SHARE, seed)
    train, test = [usable[i] for i in train], [usable[i] for i in test]
    metrics: dict[str, object] = {"examples": len(usable), "held_out": len(test)}
    if train and test:
        try:
            trial = train_verdict_model([data.texts[i] for i in train], [data.labels[i] for i in train],
                                        seed=seed, minimum=1, **keys(train))  # type: ignore[arg-type]
        except TrainingError:
            trial = None  # the training part alone holds one class: no held-out figure
        if trial is not None:
            truth = [normalise_label(data.labels[i]) == "positive" for i in test]
            inferences = trial.infer_many([data.texts[i] for i in test], **keys(test))  # type: ignore[arg-type]
            metrics.update(fresh_metrics(truth, [bool(inference and inference.fresh) for inference in inferences]))
            metrics["always_fresh_accuracy"] = sum(truth) / len(truth)
    model = train_verdict_model(data.texts, data.labels, seed=seed, minimum=minimum, **keys(None))  # type: ignore[arg-type]
    if data.critics is not None:  # how a crawl must key the critics it hands the model
        model.spec = {**model.spec, "critic_keys": data.critic_keys}
    model.metrics = {**metrics, "skipped": model.skipped}
    return model, model.metrics
