"""Where a verdict model's labelled examples come from, and how a training run is measured.

- `labelled_from_database`: stored reviews with text whose verdict was given, not guessed:
  `verdict_source` in TRAINING_SOURCES (a rating, a label, a rating stated in the text, a
  person's manual call), never "inferred" (a model must not learn from its own output). The
  label is the fresh call where there is one, else the verdict.
- `labelled_from_csv`: a labelled CSV a user brings (text and label columns named).
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

from aggregator.db.models import Review
from aggregator.infer import MIN_TRAINING, TrainingError, normalise_label, readable, train_verdict_model

TRAINING_SOURCES = ("rating", "label", "text", "manual")
HOLDOUT_SHARE = 0.2


@dataclass
class Labelled:
    texts: list[str]
    labels: list[object]
    groups: list[str]
    """What a held-out split keeps together (the film; the row itself when none is known)."""


def labelled_from_database(session: Session) -> Labelled:
    query = (
        select(Review.id, Review.film_id, Review.text, Review.fresh, Review.verdict)
        .where(Review.verdict_source.in_(TRAINING_SOURCES), Review.text.is_not(None))
        .order_by(Review.id)
    )
    data = Labelled([], [], [])
    for review_id, film_id, text, fresh, verdict in session.execute(query):
        label = fresh if fresh is not None else verdict
        if not readable(text) or label is None:
            continue
        data.texts.append(text)
        data.labels.append(label)
        data.groups.append(f"film {film_id}" if film_id is not None else f"review {review_id}")
    return data


class CsvError(ValueError):
    """A labelled CSV that cannot be read as asked; the message names the problem."""


def labelled_from_csv(path: Path, text_column: str, label_column: str, group_column: str | None = None) -> Labelled:
    try:
        with Path(path).open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            columns = reader.fieldnames or []
            missing = [c for c in (text_column, label_column, group_column) if c and c not in columns]
            if missing:
                raise CsvError(f"{path}: no column {', '.join(map(repr, missing))} (columns: {', '.join(columns)})")
            data = Labelled([], [], [])
            for number, row in enumerate(reader):
                data.texts.append(row[text_column] or "")
                data.labels.append(row[label_column])
                data.groups.append(row[group_column] if group_column else f"row {number}")
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise CsvError(f"cannot read {path}: {error}") from error
    return data


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
    if len(usable) < minimum:
        train_verdict_model(data.texts, data.labels, seed=seed, minimum=minimum)  # raises, saying why
    train, test = split_by_group([data.groups[i] for i in usable], HOLDOUT_SHARE, seed)
    train, test = [usable[i] for i in train], [usable[i] for i in test]
    metrics: dict[str, object] = {"examples": len(usable), "held_out": len(test)}
    if train and test:
        try:
            trial = train_verdict_model([data.texts[i] for i in train], [data.labels[i] for i in train],
                                        seed=seed, minimum=1)  # fmt: skip
        except TrainingError:
            trial = None  # the training part alone holds one class: no held-out figure
        if trial is not None:
            truth = [normalise_label(data.labels[i]) == "positive" for i in test]
            inferences = trial.infer_many([data.texts[i] for i in test])
            metrics.update(fresh_metrics(truth, [bool(inference and inference.fresh) for inference in inferences]))
            metrics["always_fresh_accuracy"] = sum(truth) / len(truth)
    model = train_verdict_model(data.texts, data.labels, seed=seed, minimum=minimum)
    model.metrics = {**metrics, "skipped": model.skipped}
    return model, model.metrics
