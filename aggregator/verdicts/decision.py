"""The final call on a review: its verdict, whether it is fresh, and where that call came from.

`decide` trusts, in this order (the first that gives an answer wins):

1. a scored Rating → source "rating": verdict by the score's band (negative [0, 40), mixed
   [40, 61), positive [61, 100]); fresh and confidence by rules (a)-(d) below.
2. a binary Rating (Rotten Tomatoes' fresh/rotten flag) → source "label", confidence 1.0: it
   is the critic's or outlet's own call, not a score.
3. a rating stated in `text` → source "text", confidence `TEXT_CONFIDENCE`: a "Rating:",
   "Grade:", "Score:" or "Verdict:" field ("Rating: 4/5", "Grade: B+", "Verdict: Skip it"),
   or star glyphs closing the text ("… ★★★★☆"). See `stated_in_text` for what is not read.
4. `label` (the outlet's own word: "Critic's Pick", "Skip it", "Fresh") → source "label",
   confidence 1.0, through the `LABELS` table.
5. a label word in the text's "Verdict:" (or "Rating:") field ("Verdict: Skip it") → source
   "text", confidence `TEXT_CONFIDENCE`, through the same table.
6. otherwise, when a `model` (aggregator.verdicts.text.model.VerdictModel) is given and the text has words
   to read → source "inferred": the model's verdict, fresh call and confidence (its estimate
   that the fresh call matches the critic's own), fresh_rule "inferred"; the crawl and
   `aggregator renormalise` pass the newest stored trained model, else the lexicon fallback
   (aggregator.db.verdict_models.load_verdict_model), unless AGGREGATOR_INFER_VERDICTS is off; a
   model trained with it also reads the film's `consensus` (fresh, reviews) of the other
   reviews whose verdict was given (`GIVEN_SOURCES`: never an inferred one);
7. otherwise no decision: Decision(None, None, None, None); aggregator.verdicts.text.model
   .no_verdict_reason says why ("no_text": nothing to read, e.g. an audio-only post).
`decide_later` is the same decision stopped at the one read of the text it needs from the
model (step 6, or rule (c) below), so that many reviews' texts are read in one call
(aggregator.verdicts.text.batch) with the same outcome.
A "manual" verdict (`aggregator verdict set`) is never decided here: the store and
`aggregator renormalise` keep it over whatever `decide` says.

Whatever gives the verdict, `fresh` is decided apart, in this order (`Decision.fresh_rule`
names the rule):

a. the critic's own call, when `label` maps to fresh or rotten ("own_call", confidence 1.0):
   a 2.5/4 that the critic marked rotten stays rotten; the verdict still comes from the score;
b. with learned `habits` (aggregator.verdicts.habits.FreshHabits): the critic's habit at that score if
   trusted, else the outlet's, else the learned per-scale rule ("critic_habit",
   "outlet_habit", "critic_level", "scale_cell", "scale_threshold", "default_threshold"),
   confidence = the estimated chance the call matches the critic's own;
c. where (b) is unsure (`BORDERLINE`), the text may tip the call: a trained text `model`
   (aggregator.verdicts.text.model, not the lexicon fallback) by its evidence, the shift of its log-odds
   from its training share of fresh, times `TEXT_MODEL_WEIGHT` ("text_model", confidence at
   most `TEXT_MODEL_CONFIDENCE`); else film-criticism cues in `text` (`cue_score`, "text_cue",
   confidence at most `TEXT_CUE_CONFIDENCE`);
d. without habits, the default table `FRESH_THRESHOLDS` ("default_table", confidence 1.0: the
   verdict is read from the score, and the table is the documented convention).
docs/ratings.md keeps every rule with the figures measured on real data.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from aggregator.ratings import FRESH_FROM, Rating, explain_rating
from aggregator.ratings.scales import SCALES
from aggregator.verdicts.cues import CONTRASTS, CUE_WINDOW, CUES_AGAINST, CUES_FOR, NEGATORS, cue_score  # noqa: F401 (importable from here)
from aggregator.verdicts.habits import FreshHabits
from aggregator.verdicts.text.batch import TextRead, read_text


@dataclass(frozen=True, slots=True)
class Decision:
    verdict: str | None
    """"positive" | "mixed" | "negative" | None"""
    fresh: bool | None
    source: str | None
    """"rating" | "text" | "label" | "inferred" | None (the store adds "manual")."""
    confidence: float | None
    fresh_rule: str | None = field(default=None, compare=False)
    """Which rule made the fresh call (see the module docstring); informative, so it takes no
    part in equality."""


NO_DECISION = Decision(None, None, None, None)

GIVEN_SOURCES = ("rating", "label", "text", "manual")
"""Verdict sources that are the critic's, the outlet's or a person's call, not a model's: what
a verdict model learns from and what a film's consensus counts (aggregator.db.film_consensus)."""

RATING_CONFIDENCE = 1.0
LABEL_CONFIDENCE = 1.0
TEXT_CONFIDENCE = 0.9
"""A rating found in free text may, rarely, be about something else (a quoted score, a
sequel's grade), so it is trusted a little less than a rating field."""

FRESH_THRESHOLDS: dict[str, float] = {
    name: FRESH_FROM for name, scale in SCALES.items() if scale.kind != "binary"
}
"""Score from which a review on each scale is fresh. All are Rotten Tomatoes' 60 for now: on
the 5,719 scored reviews of the real RT sample (critic_reviews.csv) the 60 rule agrees with
the critics' own calls 93.9% of the time, and no other per-scale threshold gains more than
two reviews in-sample (stars/5 at 55: +2; points/100 at 70: +2; points/6 at 50: +1; letter,
stars/4 and points/10: none). The misses are at 2.5/4 (58% fresh, kept fresh) and 3/5 (92%
fresh). A threshold moves only when held-out evidence (the ratings benchmark) says so."""


LabelCall = tuple[str, bool | None]
"""(verdict, fresh) of a label; fresh None where the label makes no fresh/rotten call."""

LABELS: dict[str, LabelCall] = {
    # Rotten Tomatoes' words, and its review sentiment values
    "fresh": ("positive", True),
    "certified fresh": ("positive", True),
    "rotten": ("negative", False),
    "positive": ("positive", True),
    "negative": ("negative", False),
    # recommendation badges and closing calls
    "critics pick": ("positive", True),
    "nyt critics pick": ("positive", True),
    "recommended": ("positive", True),
    "highly recommended": ("positive", True),
    "not recommended": ("negative", False),
    "must see": ("positive", True),
    "see it": ("positive", True),
    "stream it": ("positive", True),
    "big screen watch": ("positive", True),  # seen as a score string, with a fresh call
    "skip it": ("negative", False),
    "skip": ("negative", False),
    "avoid": ("negative", False),
}
"""Label → (verdict, fresh), keyed by `label_key`: case, apostrophes, hyphens and end
punctuation do not matter ("Critic’s Pick", "CRITICS' PICK!" and "critics pick" are one
label). Only words with one plain reading are listed: "Half Price" or "Worth a look" say
too little about the critic's call to be mapped."""

_LABEL_CLEAN = str.maketrans(
    {"'": None, "’": None, "‘": None, "`": None, "´": None, "-": " ", "_": " ", "/": " "}
)


def label_key(label: str) -> str:
    return " ".join(label.casefold().translate(_LABEL_CLEAN).split()).strip(" .!:*\"“”")


def label_call(label: object) -> LabelCall | None:
    """(verdict, fresh) for a known label, else None."""
    if not isinstance(label, str) or len(label) > 60:
        return None
    return LABELS.get(label_key(label))


# --- ratings stated in the text -----------------------------------------------------------

# "Rating: 3/4", "Our verdict: Skip it", "Original Score: B+". The word before the field
# decides whether it is the critic's: "IMDb rating:", "Tomatometer score:" and "MPAA rating:"
# are someone else's.
_STATED_FIELD = re.compile(
    r"(?:(\w+)[ \t]+)?\b(?:rating|grade|score|verdict)[ \t]*:[ \t]*", re.IGNORECASE
)
_FIELD_END = re.compile(r"[\n|;]")
MAX_FIELDS = 20
"""Fields read per text: a review states its rating once or twice, a listicle is not one."""
_OWN_QUALIFIERS = frozenset({"our", "my", "the", "final", "overall", "original", "critic", "star"})
_CHUNK_END = re.compile(r"[.!?,;](?:\s|$)|\s[-–—]\s")
_BARE_NUMBER = re.compile(r"[-+]?[0-9]+(?:[.,][0-9]+)?")
_CLOSING_GLYPHS = frozenset("★☆⯪½ \t\r\n")


def stated_in_text(text: object, scale: str | None = None) -> Rating | LabelCall | None:
    """The rating (or label call) the text states about itself, or None.

    Read: "Rating:/Grade:/Score:/Verdict:" fields (first sentence of the field), and star
    glyphs closing the text. Not read: bare numbers ("Rating: 15" is as likely a certificate
    or a runtime), fields named by someone else ("IMDb rating: 7/10"), and anything when the
    text states two different ratings (a comparison, not a verdict). Ratings win over labels.
    """
    if not isinstance(text, str) or not text:
        return None
    ratings: list[Rating] = []
    labels: list[LabelCall] = []
    fields = [match for match, _ in zip(_STATED_FIELD.finditer(text), range(MAX_FIELDS))]
    for number, match in enumerate(fields):
        qualifier = match[1]
        if qualifier is not None and qualifier.lower() not in _OWN_QUALIFIERS:
            continue
        # the field's value runs to the line's end, the next field, or 60 characters
        end = fields[number + 1].start() if number + 1 < len(fields) else len(text)
        value = _FIELD_END.split(text[match.end() : min(end, match.end() + 60)], maxsplit=1)[0]
        chunk = _CHUNK_END.split(value, maxsplit=1)[0].strip()
        if not chunk or _BARE_NUMBER.fullmatch(chunk):
            continue
        rating, _ = explain_rating(chunk, scale)
        if rating is not None:
            ratings.append(rating)
        elif (call := label_call(chunk)) is not None:
            labels.append(call)
    closing = _closing_glyphs(text)
    if closing:
        rating, _ = explain_rating(closing, scale)
        if rating is not None:
            ratings.append(rating)
    if ratings:
        scores = {rating.score for rating in ratings}
        return ratings[-1] if len(scores) == 1 else None
    if labels:
        return labels[-1] if len(set(labels)) == 1 else None
    return None


def _closing_glyphs(text: str) -> str | None:
    end = len(text)
    start = end
    while start > 0 and end - start < 40 and text[start - 1] in _CLOSING_GLYPHS:
        start -= 1
    run = text[start:end].strip()
    return run if "★" in run else None


BORDERLINE = (0.3, 0.7)
"""Fresh chances between these are unsure enough for the text to tip the call."""
CUE_WEIGHT = 1.0
"""Log-odds added per net cue."""
TEXT_CUE_CONFIDENCE = 0.6
"""Upper bound of a call the text tipped: on held-out films of the real sample the tipped
calls were right ~57% of the time (python -m benchmarks.ratings)."""
TEXT_MODEL_WEIGHT = 1.0
"""Weight of a trained text model's evidence (its log-odds minus those of its base rate) added
to the habits' log-odds at borderline scores (naive Bayes: the text and the score taken as
independent evidence). Held out (5 splits): 0.5 → 95.14%, 0.75 → 95.19%, 1.0 → 95.21%,
1.5 → 95.16%, 2.0 → 95.13% (python -m benchmarks.ratings --ablation)."""
TEXT_MODEL_CONFIDENCE = 0.6
"""Upper bound of a call a text model tipped: on held-out films of the real sample the tipped
calls were right ~56% of the time (124 calls on split 0; python -m benchmarks.ratings)."""
REVIEW_BELOW = 0.6
"""A verdict held with less confidence than this is one a person should check (the default of
`aggregator verdict review`): every call a text model or a cue tipped, and every inferred call
the model is unsure of."""


# --- the decision -------------------------------------------------------------------------

_AS_CRITIC = object()
"""`decide(model_critic=…)` not given: the model reads `critic`'s key."""


def decide(
    rating: Rating | str | None = None,
    label: str | None = None,
    text: str | None = None,
    publication: object = None,
    critic: object = None,
    *,
    habits: FreshHabits | None = None,
    model: object = None,
    consensus: tuple[int, int] | None = None,
    model_critic: object = _AS_CRITIC,
) -> Decision:
    """The verdict of a review from what it states; see the module docstring for the order.

    `rating` may also be the raw rating string, read on the publication's scale.
    `publication` is anything with a `.scale` (a key of SCALES, or None): the outlet's scale,
    used to read ratings that do not state theirs ("3 stars", "★★★½"); its `.key` (or the
    string itself) names it in `habits`. `critic` is a key string or anything with a `.key`.
    `habits` (learned FreshHabits) make the fresh call of a scored rating without the critic's
    own; without them the default table decides, as before. `model` (anything with
    `infer(text) -> Inference | None`, aggregator.verdicts.text.model) reads a verdict from the prose of a
    review that states none (step 6); without it such a review gets no decision.
    `consensus` is the film's (fresh, reviews) tally of its other reviews with a given verdict,
    read by a model that learnt to (aggregator.verdicts.text.priors); None: unknown. `model_critic`,
    when given, is the critic's key for the model's fresh rates in place of `critic`'s (the
    habits still read `critic`): aggregator.normalise.rate_review gives the stored critic a
    database-trained model knows; None: unknown. `decide_later` is the same decision with the
    model's read left to the caller (to read many reviews' texts in one call).
    """
    outcome = decide_later(rating, label, text, publication, critic, habits=habits, model=model,
                           consensus=consensus, model_critic=model_critic)  # fmt: skip
    if isinstance(outcome, PendingDecision):
        return outcome.finish(read_text(model, outcome.read))
    return outcome


@dataclass(frozen=True, slots=True)
class PendingDecision:
    """A decision waiting on one read of the text by the model: `finish(model's answer to
    read)` is the Decision `decide` gives (aggregator.verdicts.text.batch reads many at once)."""

    read: TextRead
    finish: Callable[[object], Decision]
    source: str
    """The decision's source whatever the model says ("rating", "text"), or "inferred" when it
    waits on step 6 (the model's answer, or no decision when it declines the text)."""


def decide_later(
    rating: Rating | str | None = None,
    label: str | None = None,
    text: str | None = None,
    publication: object = None,
    critic: object = None,
    *,
    habits: FreshHabits | None = None,
    model: object = None,
    consensus: tuple[int, int] | None = None,
    model_critic: object = _AS_CRITIC,
) -> Decision | PendingDecision:
    """`decide`, stopped where it would ask the model: the Decision when it needs no read of
    the text, else the read it needs and how to finish (a review needs one read at most, and
    which one never depends on the model's answer). The arguments are decide's."""
    scale = _publication_scale(publication)
    if isinstance(rating, str):
        rating, _ = explain_rating(rating, scale)
    call = label_call(label)
    own_fresh = call[1] if call is not None else None

    if isinstance(rating, Rating):
        if rating.score is not None:
            verdict = rating.verdict
            fresh = _fresh_call(rating.score, rating.scale, own_fresh, habits, publication, critic, text, model)
            return _then(fresh, "rating", lambda call: Decision(verdict, call[0], "rating", call[1], call[2]))
        if rating.scale == "binary":
            return Decision(rating.verdict, rating.fresh, "label", LABEL_CONFIDENCE, "own_call")

    stated = stated_in_text(text, scale)
    if isinstance(stated, Rating) and stated.score is not None:
        verdict = stated.verdict
        fresh = _fresh_call(stated.score, stated.scale, own_fresh, habits, publication, critic, text, model)
        return _then(fresh, "text",
                     lambda call: Decision(verdict, call[0], "text", min(call[1], TEXT_CONFIDENCE), call[2]))
    if call is not None:
        return Decision(call[0], call[1], "label", LABEL_CONFIDENCE, "own_call")
    if isinstance(stated, tuple):
        return Decision(stated[0], stated[1], "text", TEXT_CONFIDENCE, "own_call")
    if model is not None:
        if getattr(model, "uses_priors", False):  # it learnt outlets' and critics' fresh rates
            critic_for_model = critic if model_critic is _AS_CRITIC else model_critic
            read = TextRead(text, _key(publication), _key(critic_for_model), consensus, with_context=True)
        else:
            read = TextRead(text)
        return PendingDecision(read, _inferred, "inferred")
    return NO_DECISION


def _inferred(inference) -> Decision:
    """Step 6 finished with the model's answer."""
    if inference is None:
        return NO_DECISION
    return Decision(inference.verdict, inference.fresh, "inferred", inference.confidence, "inferred")


FreshCall = tuple[bool, float, str]
"""(fresh, confidence, rule) of a scored review."""


@dataclass(frozen=True, slots=True)
class _FreshCallLater:
    """A fresh call waiting on the text model's evidence (rule c): `finish(inference)`."""

    read: TextRead
    finish: Callable[[object], FreshCall]


def _then(fresh: FreshCall | _FreshCallLater, source: str,
          make: Callable[[FreshCall], Decision]) -> Decision | PendingDecision:  # fmt: skip
    if isinstance(fresh, _FreshCallLater):
        finish = fresh.finish
        return PendingDecision(fresh.read, lambda inference: make(finish(inference)), source)
    return make(fresh)


def _fresh_call(
    score: float,
    scale: str,
    own_fresh: bool | None,
    habits: FreshHabits | None,
    publication: object,
    critic: object,
    text: str | None,
    model: object = None,
) -> FreshCall | _FreshCallLater:
    """(fresh, confidence, rule) of a scored review, rules (a)-(d) of the module docstring; at
    a borderline score with a trained text model, the read of the text that rule (c) waits on."""
    if own_fresh is not None:
        return own_fresh, RATING_CONFIDENCE, "own_call"
    if not isinstance(habits, FreshHabits):
        return fresh_for_score(score, scale), RATING_CONFIDENCE, "default_table"
    probability, rule = habits.fresh_probability(score, scale, _key(publication), _key(critic))
    fresh = probability >= 0.5
    if not BORDERLINE[0] < probability < BORDERLINE[1]:
        return fresh, max(probability, 1.0 - probability), rule

    def tipped_by_text(inference) -> FreshCall:
        evidence = _evidence(model, inference)
        if evidence is not None:
            log_odds = math.log(probability / (1 - probability)) + TEXT_MODEL_WEIGHT * evidence
            tipped = 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, log_odds))))
            if (tipped >= 0.5) != fresh:
                return not fresh, min(max(tipped, 1 - tipped), TEXT_MODEL_CONFIDENCE), "text_model"
            return fresh, max(probability, 1.0 - probability), rule
        cues = cue_score(text)
        if cues:
            log_odds = math.log(probability / (1 - probability)) + CUE_WEIGHT * cues
            tipped = 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, log_odds))))
            if (tipped >= 0.5) != fresh:
                return not fresh, min(max(tipped, 1 - tipped), TEXT_CUE_CONFIDENCE), "text_cue"
        return fresh, max(probability, 1.0 - probability), rule

    if model is None or getattr(model, "is_fallback", True):  # no trained model: the cues
        return tipped_by_text(None)
    return _FreshCallLater(TextRead(text), tipped_by_text)


def _evidence(model: object, inference) -> float | None:
    """The shift of a trained model's log-odds of fresh from its base rate for `inference`
    (its answer for the text), or None when it gave none."""
    if inference is None:
        return None
    clip = 1e-6
    p_text = min(1 - clip, max(clip, inference.p_fresh))
    prior = min(1 - clip, max(clip, float(getattr(model, "prior_fresh", 0.5))))
    return math.log(p_text / (1 - p_text)) - math.log(prior / (1 - prior))


def _key(entity: object) -> str | None:
    """The habits key of a publication or critic: its `.key`, or the string given."""
    key = entity if isinstance(entity, str) else getattr(entity, "key", None)
    return key if isinstance(key, str) and key else None


def fresh_for_score(score: float, scale: str) -> bool:
    return score >= FRESH_THRESHOLDS.get(scale, FRESH_FROM)


def _publication_scale(publication: object) -> str | None:
    scale = getattr(publication, "scale", None)
    return scale if isinstance(scale, str) and scale in SCALES else None
