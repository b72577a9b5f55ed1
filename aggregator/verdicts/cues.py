"""Film-criticism cues in a review's text: the words and phrases critics praise or pan with.

`cue_score` (praise minus pan, negation and contrast read) tips a borderline fresh call in
`decide` when no trained text model is at hand, and is one of the lexicon features of the
verdict text model (aggregator.verdicts.text).
"""

from __future__ import annotations

import re

_CUES_FOR = """
must-see delight delightful delights charming charmer enchanting magical heartwarming heartfelt
touching moving witty clever smart inventive imaginative inspired funny hilarious amusing fun
entertaining enjoyable engaging lively spirited rousing breezy winning likable likeable lovable
lovely sweet warm gorgeous beautiful beautifully stunning dazzling thrilling exciting terrific
wonderful marvelous marvellous superb excellent great brilliant impressive accomplished solid
satisfying pleasure joy joyous treat gem triumph recommend recommended worthwhile enjoy enjoyed
"""
_CUES_AGAINST = """
disappointing disappointment disappoints overlong tedious dull boring bland forgettable generic
formulaic lazy tiresome tired stale derivative predictable cliched clichéd uninspired mediocre
middling underwhelming unremarkable tepid lackluster lacklustre listless joyless charmless witless
mindless dreary muddled bloated exhausting mechanical soulless hollow pointless cynical annoying
irritating grating shrill frantic frenetic unfunny uneven messy mess misfire letdown weak worst
fails failure wasted waste drags sluggish lacks lacking disposable wearisome
"""
CUES_FOR = frozenset(_CUES_FOR.split())
"""Words a critic uses to praise a film."""
CUES_AGAINST = frozenset(_CUES_AGAINST.split())
"""Words a critic uses to pan one: length, tedium, formula, failure."""
PHRASES_FOR = ("worth seeing", "worth watching", "well worth", "a lot of fun", "good fun",
               "great fun", "a blast", "a crowd-pleaser", "crowd pleaser")  # fmt: skip
PHRASES_AGAINST = ("wears thin", "falls flat", "fall flat", "by-the-numbers", "by the numbers",
                   "cash grab", "cash-grab", "too long", "not enough", "only so far",
                   "missed opportunity", "runs out of", "fails to", "falls short",
                   "little more than", "nothing more than", "never quite", "doesn't quite")  # fmt: skip
NEGATORS = frozenset({
    "not", "never", "no", "hardly", "barely", "rarely", "nor", "without", "isn't", "wasn't",
    "aren't", "doesn't", "don't", "didn't", "can't", "won't", "lacks", "lacking",
})  # fmt: skip
"""A negator up to two words before a cue turns it round ("not funny", "never dull")."""
CONTRASTS = frozenset({"but", "yet", "though", "although", "however", "still"})
"""After the last of these, cues count double: "charming, but overlong" is a pan."""
_CUE_WORD = re.compile(r"[a-zé][a-zé'-]*")

CUE_WINDOW = 1000
"""Characters read from the end of a long text: a review states its call in its closing lines
(the cues were measured on pull quotes, which are shorter)."""


def cue_score(text: object) -> float:
    """Praise cues minus pan cues in `text` (0 for none or for a non-string)."""
    if not isinstance(text, str) or not text:
        return 0.0
    lowered = text[-CUE_WINDOW:].lower().replace("’", "'")
    words = _CUE_WORD.findall(lowered)
    last_contrast = max((i for i, word in enumerate(words) if word in CONTRASTS), default=-1)
    score = 0.0
    for i, word in enumerate(words):
        cue = 1 if word in CUES_FOR else -1 if word in CUES_AGAINST else 0
        if not cue:
            continue
        if (i > 0 and words[i - 1] in NEGATORS) or (i > 1 and words[i - 2] in NEGATORS):
            cue = -cue
        score += cue * (2 if 0 <= last_contrast < i else 1)
    score += sum(lowered.count(phrase) for phrase in PHRASES_FOR)
    score -= sum(lowered.count(phrase) for phrase in PHRASES_AGAINST)
    return score
