"""Verdicts read from review text, measured on Rotten Tomatoes' real pull quotes.

    python -m benchmarks.verdicts [--csv PATH] [--folds 5] [--seeds 1] [--variants] [--curve]
                                  [--sample FILMS]

Reads ../shared/fixtures/real/scores/rt-critic-reviews/critic_reviews.csv (or
$AGGREGATOR_SHARED_DIR/fixtures/real/...): text = `quote` (HTML entities decoded), label = the
critic's own call `scoreSentiment`. Each split holds out whole films (k folds by `movieId`):
models learn from the other films' quotes only. Prints accuracy and macro-F1 of the fresh
call (mean over the splits, [min-max]) and reviews/s of `infer_many` on the held-out quotes
for: always positive, the lexicon fallback, the shipped trained model reading the text alone,
the same model trained and read with each quote's outlet and critic (their fresh rates, from
the training films only: `publicationName`, `criticPageUrl` else `criticName`), the same again
with the film's consensus (of the film's OTHER reviews that carry a score, how many the score
makes fresh: `originalScore` read by aggregator.verdicts.decide, never a critic's own call,
which is the label; a crawl reads the same from the stored reviews), and with --variants the
configurations tried (docs/verdicts.md keeps the table); with --curve, the shipped model
trained on only N of the training films' quotes (the learning curve behind MIN_TRAINING).
"""

from __future__ import annotations

import argparse
import csv
import html
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from aggregator.verdicts import decide
from aggregator.verdicts.text.model import fallback_model
from aggregator.verdicts.text.priors import leave_one_out_tallies
from aggregator.verdicts.text.training import fresh_metrics, train_verdict_model
from benchmarks.ratings import BenchmarkError, default_csv_path

ACCURACY_GOAL, MACRO_F1_GOAL, SPEED_GOAL = 0.82, 0.78, 5_000


@dataclass(frozen=True)
class Quote:
    film: str
    text: str
    fresh: bool
    publication: str = ""
    critic: str = ""
    """The critic's RT page (`criticPageUrl`), else the name: the key of the critic's fresh rate."""
    consensus: tuple[int, int] | None = None
    """(fresh, reviews) of the film's other reviews with a score: the film consensus."""


def load_quotes(path: Path) -> tuple[list[Quote], Counter]:
    """Quotes with the critic's own call; the rest counted by why not."""
    if not path.is_file():
        raise BenchmarkError(
            f"critic reviews not found at {path}: pass --csv PATH or set AGGREGATOR_SHARED_DIR "
            "to the folder holding fixtures/real/"
        )
    quotes, left_out = [], Counter()
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = {"movieId", "quote", "scoreSentiment"} - set(reader.fieldnames or ())
        if missing:
            raise BenchmarkError(f"{path} lacks the columns {sorted(missing)}")
        rows = list(reader)
    consensus = leave_one_out_tallies([row["movieId"] for row in rows], [_score_call(row) for row in rows])
    for row, tally in zip(rows, consensus):
        if row["scoreSentiment"] not in ("POSITIVE", "NEGATIVE"):
            left_out["no_call"] += 1
        elif not row["quote"].strip():
            left_out["no_quote"] += 1
        else:
            quotes.append(Quote(row["movieId"], html.unescape(row["quote"]), row["scoreSentiment"] == "POSITIVE",
                                row.get("publicationName") or "",
                                row.get("criticPageUrl") or row.get("criticName") or "", tally))  # fmt: skip
    return quotes, left_out


def _score_call(row: dict[str, str]) -> bool | None:
    """The fresh call the review's own score makes (None without a score it can read)."""
    raw = (row.get("originalScore") or "").strip()
    decision = decide(rating=raw) if raw else None
    return decision.fresh if decision is not None and decision.source == "rating" else None


def subsample(quotes: list[Quote], films: int, seed: int = 0) -> list[Quote]:
    """The quotes of `films` films drawn at random (the smoke test's small run)."""
    chosen = sorted({quote.film for quote in quotes})
    random.Random(seed).shuffle(chosen)
    keep = set(chosen[:films])
    return [quote for quote in quotes if quote.film in keep]


def film_folds(quotes: Sequence[Quote], folds: int, seed: int) -> list[set[str]]:
    films = sorted({quote.film for quote in quotes})
    random.Random(seed).shuffle(films)
    return [set(films[number::folds]) for number in range(folds)]


Trainer = Callable[..., object]
"""(training texts, their fresh calls, seed, keys) -> a VerdictModel (None: always positive);
keys = {"publication": […], "critic": […]} of the training quotes, for the trainers in
WITH_KEYS (their models are also given the held-out quotes' keys); None for the others."""


def _always_positive(texts, labels, seed, keys=None):
    return None


def _fallback(texts, labels, seed, keys=None):
    return fallback_model()


def _shipped(texts, labels, seed, keys=None):
    keys = keys or {}
    return train_verdict_model(texts, labels, seed=seed, publications=keys.get("publication"),
                               critics=keys.get("critic"), films=keys.get("film"))  # fmt: skip


def _variant(spec: dict) -> Trainer:
    def train(texts, labels, seed, keys=None):
        from aggregator.verdicts.text.linear import train_linear_model
        from aggregator.verdicts.text.model import prior_key

        keys = {kind: values if kind == "film" else [prior_key(key) for key in values]
                for kind, values in (keys or {}).items()}  # fmt: skip
        return train_linear_model(texts, ["positive" if label else "negative" for label in labels], seed=seed,
                                  spec=spec, keys=keys)  # fmt: skip

    return train


def _first(count: int) -> Trainer:
    def train(texts, labels, seed, keys=None):
        chosen = random.Random(seed).sample(range(len(texts)), min(count, len(texts)))
        return train_verdict_model([texts[i] for i in chosen], [labels[i] for i in chosen], seed=seed)

    return train


CURVE = (200, 500, 1000, 2000, 4000)

WITH_PRIORS = "trained model + outlet/critic fresh rates"
WITH_CONSENSUS = "trained model + fresh rates + film consensus"
MODELS: dict[str, Trainer] = {
    "always positive": _always_positive,
    "lexicon fallback": _fallback,
    "trained model (shipped)": _shipped,
    WITH_PRIORS: _shipped,
    WITH_CONSENSUS: _shipped,
}
"""The side-by-side rows. "trained model (shipped)" reads the text alone (a model trained from
a CSV, or a review whose critic and outlet it has never seen); the row with the fresh rates is
the same model trained and read with each quote's outlet and critic; the last also with the
film's consensus, as a model trained from the database is read by the crawl."""
KEY_KINDS = {WITH_PRIORS: ("publication", "critic"), WITH_CONSENSUS: ("publication", "critic", "film")}
"""What each row's model is given beside the text; the others get the text alone."""
WITH_KEYS = set(KEY_KINDS)

CHAR = {"ngram": [2, 5], "min_df": 2, "sublinear": True}
VARIANTS: dict[str, dict] = {
    # name: spec overrides of aggregator.verdicts.text.linear.DEFAULT_SPEC
    "TF-IDF words 1-2 + LR": {"word": {"ngram": [1, 2], "negation": False, "min_df": 2}, "lexicon": 0.0},
    "  + negation marking": {"lexicon": 0.0},
    "  + negation + char 2-5": {"lexicon": 0.0, "char": CHAR},
    "  + negation + lexicon features (shipped)": {},
    "  shipped + char 2-5": {"char": CHAR},
    "  shipped, C = 1": {"C": 1.0},
    "  shipped, C = 16": {"C": 16.0},
    "  shipped, balanced class weights": {"class_weight": "balanced"},
    "  shipped, NB log-count ratios (NB-LR)": {"nb": True},
    "  shipped, fresh from 0.5 (no threshold chosen)": {"threshold": None},
    "  shipped, threshold for macro-F1 alone": {"threshold": "macro_f1"},
    "  shipped + fresh rates (a = 10)": {},
    "  shipped + fresh rates, fresh from 0.5": {"threshold": None},
    "  shipped + fresh rates, a = 3": {"priors": 3.0},
    "  shipped + fresh rates, a = 30": {"priors": 30.0},
    "  shipped + fresh rates + film consensus, a = 3": {"priors": 3.0},
    "  shipped + fresh rates + film consensus, threshold for macro-F1": {"threshold": "macro_f1"},
    "  shipped + fresh rates + film consensus, balanced class weights": {"class_weight": "balanced"},
}  # fmt: skip
VARIANTS_WITH_KEYS = {name for name in VARIANTS if "fresh rates" in name}


@dataclass
class Scores:
    accuracy: list[float] = field(default_factory=list)
    macro_f1: list[float] = field(default_factory=list)
    speed: list[float] = field(default_factory=list)
    name: str = ""


def evaluate(quotes: Sequence[Quote], trainers: dict[str, Trainer], folds: int = 5, seeds: int = 1,
             with_keys: Iterable[str] | None = None) -> dict[str, Scores]:  # fmt: skip
    """Scores of each trainer's models over the splits; those named in `with_keys` (default:
    WITH_KEYS and the fresh-rate variants) learn and read each quote's outlet and critic."""
    with_keys_names = set(WITH_KEYS | {f"variant: {name}" for name in VARIANTS_WITH_KEYS}
                          if with_keys is None else with_keys)  # fmt: skip
    kinds_of = {name: KEY_KINDS.get(name, ("publication", "critic", "film") if "film consensus" in name
                                    else ("publication", "critic")) for name in with_keys_names}  # fmt: skip
    results = {name: Scores() for name in trainers}
    for seed in range(seeds):
        for held_out in film_folds(quotes, folds, seed):
            train = [quote for quote in quotes if quote.film not in held_out]
            test = [quote for quote in quotes if quote.film in held_out]
            if not train or not test:
                continue
            texts, labels = [q.text for q in train], [q.fresh for q in train]
            truth = [q.fresh for q in test]
            for name, trainer in trainers.items():
                kinds = kinds_of.get(name, ())
                keys = {kind: [_key_of(q, kind) for q in train] for kind in kinds}
                model = trainer(texts, labels, seed, keys or None)
                started = time.perf_counter()
                if model is None:
                    calls = [True] * len(test)
                else:
                    results[name].name = model.label  # type: ignore[attr-defined]
                    given = {f"{kind}s": [_key_of(q, kind) for q in test] for kind in kinds}
                    inferences = model.infer_many([q.text for q in test], **given)  # type: ignore[attr-defined]
                    calls = [bool(i and i.fresh) for i in inferences]
                    results[name].speed.append(len(test) / max(time.perf_counter() - started, 1e-9))
                figures = fresh_metrics(truth, calls)
                results[name].accuracy.append(figures["accuracy"])
                results[name].macro_f1.append(figures["macro_f1"])
    return results


def _key_of(quote: Quote, kind: str) -> object:
    return quote.consensus if kind == "film" else getattr(quote, kind)


def _spread(values: list[float], percent: bool) -> str:
    if not values:
        return "-"
    form = (lambda v: f"{v:.2%}") if percent else (lambda v: f"{v:.3f}")
    return f"{form(sum(values) / len(values))} [{form(min(values))}-{form(max(values))}]"


def print_table(results: dict[str, Scores], out=None) -> None:
    out = out or sys.stdout
    width = max(len(name) for name in results) + 16
    print(f"   {'model':<{width}}{'accuracy mean [min-max]':<28}{'macro-F1 mean [min-max]':<26}reviews/s", file=out)
    for name, scores in results.items():
        speed = f"{sum(scores.speed) / len(scores.speed):,.0f}" if scores.speed else "-"
        label = f"{name} ({scores.name.split('@')[0]})" if scores.name and name in MODELS else name
        print(f"   {label:<{width}}{_spread(scores.accuracy, True):<28}{_spread(scores.macro_f1, False):<26}{speed}",
              file=out)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.verdicts", description=__doc__.split("\n")[0])
    parser.add_argument("--csv", type=Path, default=None, help="critic_reviews.csv (default: the shared fixture)")
    parser.add_argument("--folds", type=int, default=5, help="folds by film (default 5)")
    parser.add_argument("--seeds", type=int, default=1, help="random film shuffles, each split into folds (default 1)")
    parser.add_argument("--variants", action="store_true", help="also measure the configurations tried")
    parser.add_argument("--curve", action="store_true", help="also train on only N quotes, N in " + str(CURVE))
    parser.add_argument("--sample", type=int, default=None, metavar="FILMS", help="only this many films (quick look)")
    arguments = parser.parse_args(argv)
    try:
        quotes, left_out = load_quotes(arguments.csv or default_csv_path())
    except BenchmarkError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if arguments.sample:
        quotes = subsample(quotes, arguments.sample)
    films = len({quote.film for quote in quotes})
    print(f"Verdicts from pull quotes: {len(quotes):,} quotes of {films} films ({sum(q.fresh for q in quotes):,} "
          f"fresh); left out: " + (", ".join(f"{k} {v:,}" for k, v in left_out.most_common()) or "none"))  # fmt: skip
    print(f"   held out: {arguments.folds} folds by film x {arguments.seeds} shuffle(s); the fresh call is scored")
    trainers = dict(MODELS)
    if arguments.variants:
        trainers.update({f"variant: {name}": _variant(spec) for name, spec in VARIANTS.items()})
    if arguments.curve:
        trainers.update({f"shipped, trained on {count:,} quotes": _first(count) for count in CURVE})
    results = evaluate(quotes, trainers, arguments.folds, arguments.seeds)
    print_table(results)
    print(f"   goals for the trained model: accuracy >= {ACCURACY_GOAL:.0%}, macro-F1 >= {MACRO_F1_GOAL}, "
          f">= {SPEED_GOAL:,} reviews/s")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
