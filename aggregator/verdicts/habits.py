"""How critics and outlets turn a score into a fresh/rotten call, learned from their own calls.

A score does not fix the call: on Rotten Tomatoes' real data a 2.5/4 is fresh 59% of the time
and a 3/5 92%, while 3/4 and 2/5 never waver. `FreshHabits.learn` reads labelled rows
(publication key, critic key, scale, score, the critic's own call) and keeps counts; `fresh_call`
turns them into a call, its confidence and the name of the rule that made it. Everything is a
probability of "fresh" built in three steps, each shrunk toward the one before:

1. the scale's rule: the threshold that best agrees with the calls on that scale
   (`MIN_SCALE_SUPPORT` rows needed, else `DEFAULT_THRESHOLD`), with how often each side of it
   is fresh;
2. the cell (scale, score): its own fresh rate, shrunk toward step 1 by `CELL_PRIOR_WEIGHT`
   pseudo-reviews; where the cell is unsure, moved by the critic's scoring level (a critic whose
   scores run low gives a 3/5 as praise; one whose scores run high, as a warning);
3. the critic's own calls at that very cell, else the outlet's: shrunk toward step 2 by
   `HABIT_PRIOR_WEIGHT` pseudo-reviews once `MIN_HABIT_HISTORY` calls exist.

The numbers were chosen on held-out films of the real sample (`python -m benchmarks.ratings
--ablation`; docs/ratings.md keeps the figures). Pure: no database, no Scrapy; the learned
state round-trips through JSON so that a crawl loads it once.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from aggregator.ratings.scales import SCALES

FORMAT = "aggregator.fresh-habits/1"

DEFAULT_THRESHOLD = 60.0
"""Rotten Tomatoes' rule, used for a scale with too few learned rows."""
MIN_SCALE_SUPPORT = 30
"""Rows a scale needs before its own threshold replaces 60: with fewer, one review moves it."""
CELL_PRIOR_WEIGHT = 2.0
"""Pseudo-reviews of the scale's rule in every cell: a cell seen once or twice follows the
rule, a cell seen 400 times (2.5/4) speaks for itself."""
HABIT_PRIOR_WEIGHT = 2.0
"""Pseudo-reviews of the cell's rate behind a critic's or outlet's own calls at that cell. With
2, one call moves a 59% cell to 73% or 39%: enough to follow a critic who has called that
exact score before; more (4) or less (0.5, 1) was worse on held-out films."""
MIN_HABIT_HISTORY = 1
"""Calls at the cell before a critic's or outlet's habit is used. The shrinkage already makes
one call a nudge, not a verdict; asking for 2 or 3 lost ~0.3 point held out, because most
critics rate a borderline score only once or twice in a sample of this size."""
MIN_LEVEL_HISTORY = 3
"""Scored reviews before a critic's scoring level is trusted (below it, the mean is noise)."""
LEVEL_WEIGHT = 1.0
"""Log-odds per 10 points between the critic's mean score and everyone's. 0.5–1.0 helped held
out (~+0.1 point), 1.5 hurt."""
UNSURE = (0.05, 0.95)
"""Cells whose fresh rate lies inside this band are where the critic's level is applied; a cell
that is 99% one way is left alone."""
RULE_PSEUDO_COUNT = 1.0
"""Laplace smoothing of the rule's rates, so a side never seen wrong is not called certain."""


class HabitRow(NamedTuple):
    """One labelled review: who called which score fresh or rotten."""

    publication_key: str | None
    critic_key: str | None
    scale: str
    score: float
    fresh: bool


class HabitsError(ValueError):
    """Learned habits that cannot be loaded; the message says what is wrong."""


def cell_key(score: float) -> str:
    """The cell of a score: 2 decimals, so 83.333333 (5/6) and 83.33 are one cell."""
    return f"{round(score, 2):g}"


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


Counts = list[int]  # [fresh, total]
CellCounts = dict[str, dict[str, Counts]]  # scale -> cell -> [fresh, total]


@dataclass
class FreshHabits:
    """Learned fresh calls; build with `learn`, query with `fresh_call`."""

    thresholds: dict[str, float] = field(default_factory=dict)
    rule_rates: dict[str, list[int]] = field(default_factory=dict)
    """scale -> [fresh at/above threshold, rows at/above, fresh below, rows below]."""
    cells: CellCounts = field(default_factory=dict)
    critics: dict[str, CellCounts] = field(default_factory=dict)
    outlets: dict[str, CellCounts] = field(default_factory=dict)
    levels: dict[str, list[float]] = field(default_factory=dict)
    """critic -> [sum of scores, number of scores]."""
    reference_level: float = DEFAULT_THRESHOLD
    rows: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    """Rows not learned, by reason ("unknown_scale", "bad_score", "bad_fresh", "not_a_row")."""
    level_weight: float = LEVEL_WEIGHT
    habit_prior_weight: float = HABIT_PRIOR_WEIGHT
    min_habit_history: int = MIN_HABIT_HISTORY
    critic_identities: dict[str, dict[str, str]] = field(default_factory=dict)
    """{outlet key: {critic key of a byline met there: the critic's key in the rows}}, given
    when the rows are keyed by stored critic rather than by name (aggregator.db.history):
    namesakes on two outlets are two people there, so a byline finds its habits only through
    the outlet it was met on, and a byline never met finds none. Empty: rows are keyed by
    name (a CSV sample) and the key given to `fresh_call` is used as it is."""

    # --- learning ---------------------------------------------------------------------------

    @classmethod
    def learn(cls, rows: Iterable[HabitRow | tuple],
              critic_identities: dict[str, dict[str, str]] | None = None,
              **settings: float) -> FreshHabits:
        """Habits from labelled rows (HabitRow or a 5-tuple in its order). Bad rows are skipped
        and counted in `skipped`, never guessed at. `critic_identities` maps bylines to the
        rows' critic keys (see the field). `settings` override level_weight,
        habit_prior_weight and min_habit_history (the benchmark's ablations use them)."""
        habits = cls(**settings)  # type: ignore[arg-type]
        habits.critic_identities = {outlet: dict(names)
                                    for outlet, names in (critic_identities or {}).items()}
        by_scale: dict[str, list[tuple[float, bool]]] = {}
        level_sum = 0.0
        for row in rows:
            reason = _row_problem(row)
            if reason is not None:
                habits.skipped[reason] = habits.skipped.get(reason, 0) + 1
                continue
            publication, critic, scale, score, fresh = row
            score = float(score)
            habits.rows += 1
            level_sum += score
            by_scale.setdefault(scale, []).append((score, fresh))
            cell = cell_key(score)
            _count(habits.cells.setdefault(scale, {}), cell, fresh)
            if critic:
                _count(habits.critics.setdefault(critic, {}).setdefault(scale, {}), cell, fresh)
                level = habits.levels.setdefault(critic, [0.0, 0])
                level[0] += score
                level[1] += 1
            if publication:
                _count(habits.outlets.setdefault(publication, {}).setdefault(scale, {}), cell, fresh)
        if habits.rows:
            habits.reference_level = level_sum / habits.rows
        for scale, scored in by_scale.items():
            threshold = best_threshold(scored)
            habits.thresholds[scale] = threshold
            above = [fresh for score, fresh in scored if score >= threshold]
            below = [fresh for score, fresh in scored if score < threshold]
            habits.rule_rates[scale] = [sum(above), len(above), sum(below), len(below)]
        return habits

    # --- calls --------------------------------------------------------------------------------

    def threshold(self, scale: str) -> float:
        return self.thresholds.get(scale, DEFAULT_THRESHOLD)

    def critic_identity(self, critic_key: str | None, publication_key: str | None) -> str | None:
        """The rows' key of the critic who signs `critic_key` on `publication_key`: the key
        itself when the rows are keyed by name, else the stored critic met under that byline
        on that outlet (None when none was, or when two namesakes there were)."""
        if not critic_key or not self.critic_identities:
            return critic_key
        return self.critic_identities.get(publication_key or "", {}).get(critic_key)

    def threshold_call(self, score: float, scale: str) -> bool:
        """The learned score-only rule: fresh from the scale's learned threshold."""
        return score >= self.threshold(scale)

    def fresh_call(
        self,
        score: float,
        scale: str,
        publication_key: str | None = None,
        critic_key: str | None = None,
    ) -> tuple[bool, float, str]:
        """(fresh, confidence, rule). Rule is one of "critic_habit", "outlet_habit",
        "critic_level", "scale_cell", "scale_threshold", "default_threshold"; confidence is the
        estimated chance the call matches the critic's own (0.5–1)."""
        probability, rule = self.fresh_probability(score, scale, publication_key, critic_key)
        return probability >= 0.5, max(probability, 1.0 - probability), rule

    def fresh_probability(
        self,
        score: float,
        scale: str,
        publication_key: str | None = None,
        critic_key: str | None = None,
    ) -> tuple[float, str]:
        """The estimated chance the critic calls this score fresh, and the rule behind it.
        Raises ValueError for a score that is not a number from 0 to 100."""
        if isinstance(score, bool) or not isinstance(score, (int, float)) or not 0 <= score <= 100:
            raise ValueError(f"score must be a number from 0 to 100, not {score!r}")
        critic_key = self.critic_identity(critic_key, publication_key)
        probability, rule = self._rule_probability(score, scale)
        cell = cell_key(score)
        fresh, total = self.cells.get(scale, {}).get(cell, (0, 0))
        if total:
            probability = (fresh + CELL_PRIOR_WEIGHT * probability) / (total + CELL_PRIOR_WEIGHT)
            rule = "scale_cell"
        if UNSURE[0] < probability < UNSURE[1] and self.level_weight and critic_key:
            level_sum, level_count = self.levels.get(critic_key, (0.0, 0))
            if level_count >= MIN_LEVEL_HISTORY:
                shift = self.level_weight * (self.reference_level - level_sum / level_count) / 10.0
                probability = _sigmoid(_logit(probability) + shift)
                rule = "critic_level"
        for habits, key, name in (
            (self.critics, critic_key, "critic_habit"),
            (self.outlets, publication_key, "outlet_habit"),
        ):
            if not key:
                continue
            fresh, total = habits.get(key, {}).get(scale, {}).get(cell, (0, 0))
            if total >= self.min_habit_history and total > 0:
                weight = self.habit_prior_weight
                return (fresh + weight * probability) / (total + weight), name
        return probability, rule

    def _rule_probability(self, score: float, scale: str) -> tuple[float, str]:
        rates = self.rule_rates.get(scale)
        if rates is None:
            agreement = self._default_agreement()
            return (agreement if score >= DEFAULT_THRESHOLD else 1 - agreement), "default_threshold"
        fresh_above, above, fresh_below, below = rates
        if score >= self.threshold(scale):
            return (fresh_above + RULE_PSEUDO_COUNT) / (above + 2 * RULE_PSEUDO_COUNT), "scale_threshold"
        return (fresh_below + RULE_PSEUDO_COUNT) / (below + 2 * RULE_PSEUDO_COUNT), "scale_threshold"

    def _default_agreement(self) -> float:
        """How often the learned rules were right overall (0.9 before anything is learned)."""
        right = sum(r[0] + (r[3] - r[2]) for r in self.rule_rates.values())
        total = sum(r[1] + r[3] for r in self.rule_rates.values())
        return (right + 9 * RULE_PSEUDO_COUNT) / (total + 10 * RULE_PSEUDO_COUNT)

    # --- JSON ---------------------------------------------------------------------------------

    def to_dict(self) -> dict:
        return {
            "format": FORMAT,
            "rows": self.rows,
            "skipped": self.skipped,
            "settings": {
                "level_weight": self.level_weight,
                "habit_prior_weight": self.habit_prior_weight,
                "min_habit_history": self.min_habit_history,
            },
            "reference_level": self.reference_level,
            "thresholds": self.thresholds,
            "rule_rates": self.rule_rates,
            "cells": self.cells,
            "critics": self.critics,
            "outlets": self.outlets,
            "levels": self.levels,
            "critic_identities": self.critic_identities,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_dict(cls, data: object) -> FreshHabits:
        """Habits saved by `to_dict`; raises HabitsError naming the part that is wrong."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise HabitsError(f"not learned fresh habits: expected format {FORMAT!r}")
        try:
            settings = data["settings"]
            habits = cls(
                thresholds={str(k): float(v) for k, v in data["thresholds"].items()},
                rule_rates={str(k): [int(x) for x in v] for k, v in data["rule_rates"].items()},
                cells=_cell_counts(data["cells"]),
                critics={str(k): _cell_counts(v) for k, v in data["critics"].items()},
                outlets={str(k): _cell_counts(v) for k, v in data["outlets"].items()},
                levels={str(k): [float(v[0]), int(v[1])] for k, v in data["levels"].items()},
                reference_level=float(data["reference_level"]),
                rows=int(data["rows"]),
                skipped={str(k): int(v) for k, v in data.get("skipped", {}).items()},
                level_weight=float(settings["level_weight"]),
                habit_prior_weight=float(settings["habit_prior_weight"]),
                min_habit_history=int(settings["min_habit_history"]),
                critic_identities={str(outlet): {str(k): str(v) for k, v in names.items()}
                                   for outlet, names in data.get("critic_identities", {}).items()},
            )
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as error:
            raise HabitsError(f"learned fresh habits are damaged: {error!r}") from error
        for scale, rates in habits.rule_rates.items():
            if len(rates) != 4:
                raise HabitsError(f"rule_rates[{scale!r}] must hold 4 counts")
        return habits

    @classmethod
    def from_json(cls, text: str | bytes) -> FreshHabits:
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise HabitsError(f"learned fresh habits are not JSON: {error}") from error
        return cls.from_dict(data)


def best_threshold(scored: list[tuple[float, bool]]) -> float:
    """The threshold t for which "score >= t is fresh" agrees with most calls; 60 below
    MIN_SCALE_SUPPORT rows; among equals, the one nearest 60 (the rule everyone knows).
    Candidates are the scores seen, 60, and just above the highest score seen."""
    if len(scored) < MIN_SCALE_SUPPORT:
        return DEFAULT_THRESHOLD
    ordered = sorted(scored)
    # every score seen, 60, and just above the highest (for a scale whose calls are all rotten)
    candidates = sorted({score for score, _ in ordered} | {DEFAULT_THRESHOLD, ordered[-1][0] + 0.01})
    # agreement(t) = rotten calls below t + fresh calls at or above t, swept in one pass
    total_fresh = sum(fresh for _, fresh in ordered)
    best_key, best = None, DEFAULT_THRESHOLD
    index = rotten_below = fresh_below = 0
    for candidate in candidates:
        while index < len(ordered) and ordered[index][0] < candidate:
            fresh_below += ordered[index][1]
            rotten_below += not ordered[index][1]
            index += 1
        agreement = rotten_below + (total_fresh - fresh_below)
        key = (agreement, -abs(candidate - DEFAULT_THRESHOLD))
        if best_key is None or key > best_key:
            best_key, best = key, candidate
    return best


def _row_problem(row: object) -> str | None:
    if not isinstance(row, tuple) or len(row) != 5:
        return "not_a_row"
    publication, critic, scale, score, fresh = row
    if not isinstance(scale, str) or scale not in SCALES or SCALES[scale].kind == "binary":
        return "unknown_scale"
    if isinstance(score, bool) or not isinstance(score, (int, float)):
        return "bad_score"
    if not (math.isfinite(score) and 0.0 <= score <= 100.0):
        return "bad_score"
    if not isinstance(fresh, bool):
        return "bad_fresh"
    if not all(key is None or isinstance(key, str) for key in (publication, critic)):
        return "not_a_row"
    return None


def _count(cells: dict[str, Counts], cell: str, fresh: bool) -> None:
    counts = cells.setdefault(cell, [0, 0])
    counts[0] += fresh
    counts[1] += 1


def _cell_counts(data: dict) -> CellCounts:
    counts: CellCounts = {}
    for scale, cells in data.items():
        counts[str(scale)] = {}
        for cell, (fresh, total) in cells.items():
            if not 0 <= int(fresh) <= int(total):
                raise HabitsError(f"cell {scale} {cell}: {fresh} fresh of {total}")
            counts[str(scale)][str(cell)] = [int(fresh), int(total)]
    return counts
