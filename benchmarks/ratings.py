"""The rating reader and the fresh call, measured on Rotten Tomatoes' real critic reviews.

    python -m benchmarks.ratings [--csv PATH] [--splits 5] [--ablation]

Reads ../shared/fixtures/real/scores/rt-critic-reviews/critic_reviews.csv (or
$AGGREGATOR_SHARED_DIR/fixtures/real/...) and prints:

1. every distinct score string: parsed, rejected by reason, crashes, and the strings read
   otherwise than the hand-checked expectations of tests/test_ratings.py;
2. parse speed on the distinct strings, no cache, best of N rounds;
3. agreement with the critics' own fresh/rotten calls (`scoreSentiment`) on films held out
   from what is learned (5 folds by `movieId`, habits learned from the other films' rows):
   (a) score >= 60, (b) the learned per-scale thresholds, (c) `decide` with publication,
   critic, the pull quote as text, and the learned habits, (d) the same with a trained text
   model (aggregator.verdicts.text.model) learnt from the training films' quotes only (all their quotes
   with a call, scored or not), read at borderline scores.
"""

from __future__ import annotations

import argparse
import csv
import html
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from aggregator import verdicts
from aggregator.identity.publications import name_key
from aggregator.ratings import (
    LETTER_POINTS,
    REASONS,
    Rating,
    explain_rating,
    parse_rating,
)
from aggregator.verdicts import decide
from aggregator.verdicts.habits import FreshHabits, HabitRow

REPO_ROOT = Path(__file__).resolve().parent.parent
CSV_PARTS = ("fixtures", "real", "scores", "rt-critic-reviews", "critic_reviews.csv")
PARSE_GOAL = 200_000
AGREEMENT_GOAL = 0.95


class BenchmarkError(Exception):
    """The benchmark cannot run (data missing or unreadable); the message says why."""


def default_csv_path() -> Path:
    shared = os.environ.get("AGGREGATOR_SHARED_DIR")
    root = Path(shared) if shared else REPO_ROOT.parent / "shared"
    return root.joinpath(*CSV_PARTS)


def load_rows(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise BenchmarkError(
            f"critic reviews not found at {path}: pass --csv PATH or set AGGREGATOR_SHARED_DIR "
            "to the folder holding fixtures/real/"
        )
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    needed = {"movieId", "publicationName", "criticName", "criticPageUrl", "quote",
              "scoreSentiment", "originalScore"}  # fmt: skip
    missing = needed - set(rows[0] if rows else ())
    if missing:
        raise BenchmarkError(f"{path} lacks the columns {sorted(missing)}")
    return rows


# --- 1. reading every distinct string ------------------------------------------------------


def _hand_checked() -> tuple[dict[str, float], dict[str, str], object]:
    """The expectations kept as tests (imported, so that one list is checked by hand)."""
    try:
        from tests.test_ratings import _PLAIN_FRACTION, REAL_REJECTED, REAL_TRICKY
    except ImportError as error:  # a checkout without tests/ or without the test extras
        raise BenchmarkError(f"cannot import the hand-checked readings from tests/: {error}") from error
    return REAL_TRICKY, REAL_REJECTED, _PLAIN_FRACTION


def intended_reading(text: str) -> float | str | None:
    """The score (or rejection reason) a string is meant to get; None if nobody checked it."""
    tricky, rejected, plain_fraction = _hand_checked()
    if text in rejected:
        return rejected[text]
    if text in tricky:
        return tricky[text]
    letter = text.strip().lower()
    if letter in LETTER_POINTS:
        return LETTER_POINTS[letter]
    match = plain_fraction.fullmatch(text)  # type: ignore[attr-defined]
    if match:
        return float(match[1]) / float(match[2]) * 100
    return None


@dataclass
class ParseReport:
    distinct: int
    parsed: int
    rejected: Counter
    crashes: list[tuple[str, str]]
    unintended: list[tuple[str, object, object]]
    """(string, what it was read as, what was intended): must be empty."""


def parse_report(strings: Iterable[str]) -> ParseReport:
    report = ParseReport(0, 0, Counter(), [], [])
    for text in sorted(set(strings)):
        report.distinct += 1
        try:
            rating, reason = explain_rating(text)
        except Exception as error:  # noqa: BLE001  # the reader must never raise: count it, go on
            report.crashes.append((text, repr(error)))
            continue
        intended = intended_reading(text)
        if rating is None:
            report.rejected[reason] += 1
            got: object = reason
            wrong = reason not in REASONS or intended != reason
        else:
            report.parsed += 1
            got = rating.score
            wrong = not isinstance(intended, float) or abs(rating.score - intended) > 1e-6  # type: ignore[operator]
        if wrong:
            report.unintended.append((text, got, intended))
    return report


def parse_speed(strings: Sequence[str], rounds: int = 5, minimum_seconds: float = 0.2) -> float:
    """Parses per second over the distinct strings, best of `rounds`; a cached reader is
    bypassed through its __wrapped__ so that every parse does the work."""
    reader: Callable[[str], object] = getattr(parse_rating, "__wrapped__", parse_rating)
    repeats = max(1, int(20_000 / max(1, len(strings))))
    best = 0.0
    for _ in range(rounds):
        parses, started = 0, time.perf_counter()
        while True:
            for _ in range(repeats):
                for text in strings:
                    reader(text)
            parses += repeats * len(strings)
            elapsed = time.perf_counter() - started
            if elapsed >= minimum_seconds:
                break
        best = max(best, parses / elapsed)
    return best


# --- 3. fresh agreement on held-out films ----------------------------------------------------


@dataclass(frozen=True)
class LabelledReview:
    film: str
    publication_key: str | None
    critic_key: str | None
    rating: Rating
    text: str
    fresh: bool

    def habit_row(self) -> HabitRow:
        return HabitRow(self.publication_key, self.critic_key, self.rating.scale,
                        self.rating.score, self.fresh)  # type: ignore[arg-type]  # fmt: skip


def labelled_reviews(rows: Iterable[dict[str, str]]) -> tuple[list[LabelledReview], Counter]:
    """Reviews with a scored rating and the critic's own call; the rest counted by why not."""
    reviews, left_out = [], Counter()
    for row in rows:
        if row["scoreSentiment"] not in ("POSITIVE", "NEGATIVE"):
            left_out["no_call"] += 1
            continue
        rating = parse_rating(row["originalScore"])
        if rating is None or rating.score is None:
            left_out["no_score" if not row["originalScore"].strip() else "score_not_read"] += 1
            continue
        publication = name_key(row["publicationName"]) if row["publicationName"].strip() else ""
        critic = row["criticPageUrl"].strip() or row["criticName"].strip()
        reviews.append(LabelledReview(
            film=row["movieId"], publication_key=publication or None, critic_key=critic or None,
            rating=rating, text=html.unescape(row["quote"]),  # the CSV keeps HTML entities
            fresh=row["scoreSentiment"] == "POSITIVE",
        ))  # fmt: skip
    return reviews, left_out


def film_folds(reviews: Sequence[LabelledReview], folds: int, seed: int) -> list[set[str]]:
    films = sorted({review.film for review in reviews})
    random.Random(seed).shuffle(films)
    return [set(films[number::folds]) for number in range(folds)]


PLAIN, LEARNED, DECIDE, DECIDE_MODEL = (
    "a. score >= 60",
    "b. learned per-scale thresholds",
    "c. decide(publication, critic, text, habits)",
    "d. c + trained text model (training films)",
)
RULES = (PLAIN, LEARNED, DECIDE)


@dataclass(frozen=True)
class CalledQuote:
    """A quote with the critic's call, scored or not: what the text model learns from."""

    film: str
    text: str
    fresh: bool


def called_quotes(rows: Iterable[dict[str, str]]) -> list[CalledQuote]:
    return [CalledQuote(row["movieId"], html.unescape(row["quote"]), row["scoreSentiment"] == "POSITIVE")
            for row in rows if row["scoreSentiment"] in ("POSITIVE", "NEGATIVE") and row["quote"].strip()]  # fmt: skip


class TextModels:
    """Text models trained on each split's training films, trained once per (seed, fold)."""

    def __init__(self, quotes: Sequence[CalledQuote]) -> None:
        self.quotes, self._models = quotes, {}

    def for_fold(self, seed: int, number: int, held_out: set[str]):
        if (seed, number) not in self._models:
            from aggregator.verdicts.text.training import train_verdict_model

            train = [quote for quote in self.quotes if quote.film not in held_out]
            self._models[seed, number] = train_verdict_model(
                [q.text for q in train], [q.fresh for q in train], seed=seed
            )
        return self._models[seed, number]


@dataclass
class Agreement:
    agree: Counter
    total: int
    by_fresh_rule: dict[str, list[float]]
    """For decide: fresh_rule -> [agree, total, sum of confidences]."""

    def share(self, rule: str) -> float:
        return self.agree[rule] / self.total if self.total else 0.0


def fresh_agreement(
    reviews: Sequence[LabelledReview],
    folds: int = 5,
    seed: int = 0,
    only_folds: int | None = None,
    settings: dict[str, float] | None = None,
    read_text: bool = True,
    text_models: TextModels | None = None,
) -> Agreement:
    """Agreement of each rule with the critics' own calls, every review judged by habits
    learned without its film. `settings` go to FreshHabits.learn and `read_text` to decide
    (the ablations); `only_folds` stops early (the smoke test runs one). With `text_models`,
    rule d is measured too (a text model per fold, trained without the held-out films)."""
    result = Agreement(Counter(), 0, {})
    for number, held_out in enumerate(film_folds(reviews, folds, seed)):
        if only_folds is not None and number >= only_folds:
            break
        habits = FreshHabits.learn(
            (review.habit_row() for review in reviews if review.film not in held_out), **(settings or {})
        )
        model = text_models.for_fold(seed, number, held_out) if text_models is not None else None
        for review in reviews:
            if review.film not in held_out:
                continue
            score, scale = review.rating.score, review.rating.scale
            decision = decide(review.rating, text=review.text if read_text else None,
                              publication=review.publication_key, critic=review.critic_key,
                              habits=habits)  # fmt: skip
            result.total += 1
            result.agree[PLAIN] += (score >= 60) == review.fresh  # type: ignore[operator]
            result.agree[LEARNED] += habits.threshold_call(score, scale) == review.fresh  # type: ignore[arg-type]
            result.agree[DECIDE] += decision.fresh == review.fresh
            if model is not None:
                with_model = decide(review.rating, text=review.text, publication=review.publication_key,
                                    critic=review.critic_key, habits=habits, model=model)  # fmt: skip
                result.agree[DECIDE_MODEL] += with_model.fresh == review.fresh
                counts = result.by_fresh_rule.setdefault(f"d: {with_model.fresh_rule}", [0, 0, 0.0])
                counts[0] += with_model.fresh == review.fresh
                counts[1] += 1
                counts[2] += with_model.confidence or 0.0
            counts = result.by_fresh_rule.setdefault(decision.fresh_rule or "none", [0, 0, 0.0])
            counts[0] += decision.fresh == review.fresh
            counts[1] += 1
            counts[2] += decision.confidence or 0.0
    return result


ABLATIONS: dict[str, tuple[dict[str, float], bool]] = {
    # name: (FreshHabits settings, read the text)
    "decide, as shipped": ({}, True),
    "  without the text cues": ({}, False),
    "  without the critic's level": ({"level_weight": 0.0}, True),
    "  without critic/outlet habits": ({"min_habit_history": 10**9}, True),
    "  habits only (no level, no text)": ({"level_weight": 0.0}, False),
    "  habit history >= 2": ({"min_habit_history": 2}, True),
    "  habit history >= 3": ({"min_habit_history": 3}, True),
    "  habit prior weight 1": ({"habit_prior_weight": 1.0}, True),
    "  habit prior weight 4": ({"habit_prior_weight": 4.0}, True),
}


# --- the report --------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ratings", description=__doc__.split("\n")[0])
    parser.add_argument("--csv", type=Path, default=None, help="critic_reviews.csv (default: the shared fixture)")
    parser.add_argument("--folds", type=int, default=5, help="folds by film (default 5)")
    parser.add_argument("--splits", type=int, default=5, help="random film splits to average (default 5)")
    parser.add_argument("--ablation", action="store_true", help="also measure decide without each part")
    parser.add_argument("--no-text-model", action="store_true",
                        help="skip rule d (training a text model per fold takes a few minutes)")  # fmt: skip
    arguments = parser.parse_args(argv)
    try:
        rows = load_rows(arguments.csv or default_csv_path())
        _hand_checked()
    except BenchmarkError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

    strings = sorted({row["originalScore"] for row in rows})
    report = parse_report(strings)
    print(f"1. Score strings: {report.distinct} distinct, the empty string included ({len(rows):,} rows)")
    print(f"   parsed {report.parsed}, rejected {sum(report.rejected.values())} "
          f"({', '.join(f'{reason} {n}' for reason, n in report.rejected.most_common())}), "
          f"crashes {len(report.crashes)}")  # fmt: skip
    print(f"   read otherwise than intended: {len(report.unintended)}")
    for text, got, intended in report.unintended:
        print(f"     {text!r}: read {got!r}, intended {intended!r}")
    for text, error in report.crashes:
        print(f"     crash on {text!r}: {error}")

    speed = parse_speed(strings)
    print(f"\n2. Parse speed: {speed:,.0f} parses/s on the distinct strings, no cache, best of 5 "
          f"(goal {PARSE_GOAL:,})")  # fmt: skip

    reviews, left_out = labelled_reviews(rows)
    print(f"\n3. Fresh agreement with the critics' own calls, on held-out films "
          f"({arguments.folds} folds by movieId)")  # fmt: skip
    print(f"   {len(reviews):,} scored reviews of {len({r.film for r in reviews})} films; left out: "
          + ", ".join(f"{reason} {n:,}" for reason, n in left_out.most_common()))  # fmt: skip
    text_models = None if arguments.no_text_model else TextModels(called_quotes(rows))
    splits = [fresh_agreement(reviews, arguments.folds, seed, text_models=text_models)
              for seed in range(max(1, arguments.splits))]  # fmt: skip
    first = splits[0]
    print(f"   {'rule':<48}{'split 0':>18}   mean over {len(splits)} splits [min-max]")
    for rule in RULES + ((DECIDE_MODEL,) if text_models is not None else ()):
        shares = [split.share(rule) for split in splits]
        print(f"   {rule:<48}{first.agree[rule]:>6,}/{first.total:,} {first.share(rule):6.2%}"
              f"   {sum(shares) / len(shares):6.2%} [{min(shares):.2%}-{max(shares):.2%}]")  # fmt: skip
    print(f"   goal for c (and d): {AGREEMENT_GOAL:.0%}")
    print("   c (and d where d differs) by the rule that made the call (split 0):")
    for name, (agree, total, confidence) in sorted(first.by_fresh_rule.items(), key=lambda item: -item[1][1]):
        if name.startswith("d: ") and name != "d: text_model":
            continue
        print(f"     {name:<20}{total:>6,.0f} calls, {agree / total:6.1%} right, "
              f"mean confidence {confidence / total:.2f}")  # fmt: skip

    if arguments.ablation:
        print(f"\n   Ablations of c (mean over {len(splits)} splits):")
        for name, (settings, read_text) in ABLATIONS.items():
            shares = [fresh_agreement(reviews, arguments.folds, seed, settings=settings, read_text=read_text)
                      .share(DECIDE) for seed in range(len(splits))]  # fmt: skip
            print(f"   {name:<40}{sum(shares) / len(shares):7.2%} [{min(shares):.2%}-{max(shares):.2%}]")
        if text_models is not None:
            print(f"\n   Ablations of d (mean over {len(splits)} splits): TEXT_MODEL_WEIGHT")
            for weight in TEXT_MODEL_WEIGHTS:
                shares = [_with_text_model_weight(weight, reviews, arguments.folds, seed, text_models)
                          for seed in range(len(splits))]  # fmt: skip
                print(f"   weight {weight:<33}{sum(shares) / len(shares):7.2%} [{min(shares):.2%}-{max(shares):.2%}]")
    return 0


TEXT_MODEL_WEIGHTS = (0.5, 0.75, 1.0, 1.5, 2.0)


def _with_text_model_weight(weight: float, reviews, folds: int, seed: int, text_models: TextModels) -> float:
    """Rule d's agreement with another TEXT_MODEL_WEIGHT (set for the run, then restored)."""
    shipped = verdicts.TEXT_MODEL_WEIGHT
    verdicts.TEXT_MODEL_WEIGHT = weight
    try:
        return fresh_agreement(reviews, folds, seed, text_models=text_models).share(DECIDE_MODEL)
    finally:
        verdicts.TEXT_MODEL_WEIGHT = shipped


if __name__ == "__main__":
    sys.exit(main())
