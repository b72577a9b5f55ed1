"""Lexicon features of a review text, for the trained verdict model (aggregator.verdicts.text.linear).

Word-level lookups in VADER's lexicon (shipped inside the vaderSentiment package; nothing is
downloaded) and the film-criticism cues of aggregator.verdicts, read with the same tokens and
negation scopes as the model's words. VADER's own scorer (`polarity_scores`, used by the
fallback) applies many more rules and is ~4x slower; on held-out films these lookups gave the
trained model as much (docs/verdicts.md), so the trained model uses them and keeps its speed.

Features (`LEXICON_FEATURES`), each roughly in [-1, 1] or [0, 3]:
- valence: summed VADER valence (a negated word counts -0.74 of it, VADER's own factor;
  words after the last "but"/"yet"/"though" count 1.5), squashed as VADER squashes its compound;
- closing_valence: the same over the words after the last contrast word only;
- praise_words / pan_words: log(1 + number of positive / negative lexicon words);
- cues: aggregator.verdicts.cue_score / 2.
"""

from __future__ import annotations

import html
import math
import re
from functools import lru_cache

from aggregator.verdicts import CONTRASTS, NEGATORS, cue_score

LEXICON_FEATURES = ("valence", "closing_valence", "praise_words", "pan_words", "cues")
NEGATION_SCOPE = 3
"""Words after a negator read as negated ("not at all funny")."""
NEGATED = -0.74
CLOSING_WEIGHT = 1.5
TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[.,;:!?]")
SCOPE_END = frozenset(".,;:!?")
WIDE_NEGATORS = NEGATORS | {"nothing", "neither", "none", "cannot", "couldn't", "shouldn't", "wouldn't",
                            "hasn't", "haven't", "ain't"}  # fmt: skip


def normalise_text(text: str) -> str:
    """Lower-cased, HTML entities decoded, curly apostrophes made straight."""
    return html.unescape(text).lower().replace("’", "'").replace("‘", "'")


def tokens(text: str) -> list[str]:
    return TOKEN.findall(normalise_text(text))


@lru_cache(maxsize=1)
def vader_lexicon() -> dict[str, float]:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return dict(SentimentIntensityAnalyzer().lexicon)


def _squash(total: float) -> float:
    return total / math.sqrt(total * total + 15.0)  # VADER's normalisation of its compound


def lexicon_features(text: str, token_list: list[str] | None = None) -> list[float]:
    """The LEXICON_FEATURES of a text (all 0 for a text without lexicon words); `token_list`
    is its `tokens(text)` when the caller has them already."""
    lexicon = vader_lexicon()
    total = closing = 0.0
    praise = pan = scope = 0
    weight = 1.0
    for token in tokens(text) if token_list is None else token_list:
        if token in SCOPE_END:
            scope = 0
            continue
        if token in CONTRASTS:
            weight, closing, scope = CLOSING_WEIGHT, 0.0, 0
        valence = lexicon.get(token, 0.0)
        if valence:
            if scope:
                valence *= NEGATED
            total += weight * valence
            closing += valence
            praise += valence > 0
            pan += valence < 0
        if scope:
            scope -= 1
        if token in WIDE_NEGATORS:
            scope = NEGATION_SCOPE
    return [_squash(total), _squash(closing), math.log1p(praise), math.log1p(pan), cue_score(text) / 2.0]
