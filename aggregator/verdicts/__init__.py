"""The call on a review: its verdict, whether it is fresh, and where that call came from.

- decision.py: `decide(rating, label, text, publication, critic, habits, model, consensus)` →
  `Decision` (verdict, fresh, source, confidence, fresh rule); the outlet label table, the
  ratings stated in a text; cues.py: the film-criticism cues (`cue_score`);
- habits.py: how outlets and critics call a score fresh (`FreshHabits`, learnt from `HabitRow`s);
- text/: the verdict text model that reads an unscored review (the lexicon fallback and the
  trained linear model). It is not imported here: scikit-learn loads only when a run reads text.

The names callers use are importable from here: `from aggregator.verdicts import decide`.
"""

from __future__ import annotations

from aggregator.verdicts.cues import CONTRASTS, CUE_WINDOW, CUES_AGAINST, CUES_FOR, NEGATORS, cue_score
from aggregator.verdicts.decision import (
    BORDERLINE,
    FRESH_THRESHOLDS,
    GIVEN_SOURCES,
    LABEL_CONFIDENCE,
    LABELS,
    NO_DECISION,
    RATING_CONFIDENCE,
    REVIEW_BELOW,
    TEXT_CONFIDENCE,
    TEXT_CUE_CONFIDENCE,
    TEXT_MODEL_CONFIDENCE,
    TEXT_MODEL_WEIGHT,
    Decision,
    decide,
    fresh_for_score,
    label_call,
    label_key,
    stated_in_text,
)
from aggregator.verdicts.habits import FreshHabits, HabitRow

__all__ = [
    "BORDERLINE", "CONTRASTS", "CUES_AGAINST", "CUES_FOR", "CUE_WINDOW", "FRESH_THRESHOLDS",
    "GIVEN_SOURCES", "LABELS", "LABEL_CONFIDENCE", "NEGATORS", "NO_DECISION", "RATING_CONFIDENCE", "REVIEW_BELOW",
    "TEXT_CONFIDENCE", "TEXT_CUE_CONFIDENCE", "TEXT_MODEL_CONFIDENCE", "TEXT_MODEL_WEIGHT",
    "Decision", "FreshHabits", "HabitRow", "cue_score", "decide", "fresh_for_score", "label_call",
    "label_key", "stated_in_text",
]
