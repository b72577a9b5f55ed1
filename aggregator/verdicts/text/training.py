"""Training a verdict text model: the examples, the fit, and how a training run is measured.

- `train_verdict_model`: a trained linear text model (aggregator.verdicts.text.linear) from
  labelled texts, with each example's outlet and critic key (their fresh rates,
  aggregator.verdicts.text.priors) and its film's consensus when given. Only a verdict that was
  given, not guessed, is a label (`TRAINING_SOURCES`: a rating, a label, a rating stated in
  the text, a person's manual call; never "inferred": a model must not learn from its own
  output). The stored reviews' examples are read by aggregator.db.verdict_loading
  .labelled_from_database (critics keyed by stored critic,
  aggregator.db.history.STORED_CRITIC_KEYS).
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
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from aggregator.verdicts import GIVEN_SOURCES
from aggregator.verdicts.text.linear import train_linear_model
from aggregator.verdicts.text.model import (
    MIN_TRAINING,
    TrainingError,
    normalise_label,
    prior_key,
    readable,
)
from aggregator.verdicts.text.priors import CONSENSUS_KIND, as_tally, leave_one_out_tallies

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
    """How `critics` are keyed: by name, or by stored critic (aggregator.db.history.STORED_CRITIC_KEYS)."""


@dataclass(frozen=True)
class TrainingSet:
    texts: list[str]
    verdicts: list[str]
    skipped: Counter
    """Examples not used, by reason: "unknown_label", "no_text"."""
    keys: dict[str, list] = field(default_factory=dict)
    """{"publication": […], "critic": […], "film": […]}: each kept example's outlet / critic
    key (`prior_key`) and film consensus tally (aggregator.verdicts.text.priors.as_tally), for the
    kinds given."""


def training_set(
    texts: Sequence[object], labels: Sequence[object], keys: dict[str, Sequence[object]] | None = None
) -> TrainingSet:
    """Pairs the texts with their normalised labels (and `keys`, {kind: one key per text}),
    skipping (and counting) the unusable."""
    if len(texts) != len(labels):
        raise TrainingError(f"{len(texts)} texts but {len(labels)} labels")

    keys = {kind: list(values) for kind, values in (keys or {}).items() if values is not None}
    for kind, values in keys.items():
        if len(values) != len(texts):
            raise TrainingError(f"{len(texts)} texts but {len(values)} {kind} keys")
    kept_texts, kept_verdicts, skipped = [], [], Counter()
    kept_keys: dict[str, list[str | None]] = {kind: [] for kind in keys}
    for number, (text, label) in enumerate(zip(texts, labels)):
        verdict = normalise_label(label)
        if verdict is None:
            skipped["unknown_label"] += 1
        elif not readable(text):
            skipped["no_text"] += 1
        else:
            kept_texts.append(text)  # type: ignore[arg-type]
            kept_verdicts.append(verdict)
            for kind, values in keys.items():
                kept_keys[kind].append(as_tally(values[number]) if kind == CONSENSUS_KIND else prior_key(values[number]))
    return TrainingSet(kept_texts, kept_verdicts, skipped, kept_keys)



def train_verdict_model(
    texts: Sequence[object],
    labels: Sequence[object],
    *,
    seed: int = 0,
    minimum: int = MIN_TRAINING,
    publications: Sequence[object] | None = None,
    critics: Sequence[object] | None = None,
    films: Sequence[object] | None = None,
):
    """A trained text model from labelled texts (labels as `normalise_label` reads them).
    With `publications` / `critics` (one outlet / critic per text: a key string or anything
    with `.key`), the model also learns each outlet's and critic's fresh rate and reads it
    beside the text (`LinearTextModel.priors`); with `films` (one film consensus tally per
    text: (fresh, reviews) of the other reviews of its film, e.g. from
    aggregator.verdicts.text.priors.leave_one_out_tallies), how much the film's consensus weighs.
    Raises TrainingError when fewer than `minimum` usable examples remain, or one class only."""
    data = training_set(texts, labels, {"publication": publications, "critic": critics, "film": films})
    skipped = ", ".join(f"{reason} {n}" for reason, n in sorted(data.skipped.items()))
    if len(data.texts) < minimum:
        raise TrainingError(
            f"{len(data.texts)} usable labelled reviews, {minimum} needed to train a verdict model"
            + (f" (skipped: {skipped})" if skipped else "")
        )
    classes = set(data.verdicts)
    if len(classes) < 2:
        raise TrainingError(f"every usable label is {next(iter(classes))!r}: a model needs two kinds")
    model = train_linear_model(data.texts, data.verdicts, seed=seed, keys=data.keys)
    model.skipped = dict(data.skipped)
    return model


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
    from aggregator.identity.publications import default_registry

    if not (name and name.strip()):
        return None
    registry = registry or default_registry()
    entry = registry.resolve(name=name) or registry.provisional(name, None)
    return entry.key


def _critic_key(name: str | None) -> str | None:
    from aggregator.identity.critics import canonical_person_name, critic_key

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
