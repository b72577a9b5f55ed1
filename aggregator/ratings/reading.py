"""Read a critic's rating ("3½/5", "B+", "★★★☆☆", "low +2 out of -4..+4") as a comparable Rating.

A string is read by `parse_rating` / `explain_rating`, structured data (schema.org
reviewRating) by `rating_from_parts` / `explain_rating_parts`. What a Rating is and how its
0-100 score follows from value and scale is aggregator.ratings.scores (re-exported here).

Rules worth knowing, each chosen so that no stored score is a guess:
- A rating whose scale is not stated ("7", "3 stars", "★★★½" with no empty stars) is read only
  when the caller passes the outlet's `scale`; otherwise it is rejected as "unknown_scale".
- A stated denominator is not checked against `scale`: the string's own "/4" wins.
- Impossible values ("11/10", "6 out of 5", "-1 stars", "2.1/2") are rejected as
  "out_of_range", never clipped. This check comes before the scale check, so "2.1/2" is
  out of range although 2 is not a known scale.
- "low"/"high"/"mid" before a symmetric rating ("low +2 out of -4..+4") is kept in `raw` but
  does not move the score: the critic's number is +2, and a fraction of a step would be invented.
"""

from __future__ import annotations

import math
import re

from aggregator.ratings.scales import SCALES, Scale
from aggregator.ratings.scores import (
    FRESH_FROM,
    LETTER_POINTS,
    NEGATIVE_BELOW,
    POSITIVE_FROM,
    SCALE_NAME_BY_BEST,
    Rating,
    rating_on_scale,
    rating_out_of,
    verdict_for_score,
)

REASONS: tuple[str, ...] = (
    "ok",  # read: the Rating is returned
    "empty",  # None, "" or only whitespace; a structured rating without a value
    "not_a_rating",  # no rating format matches: prose, words such as "short", a non-string
    "out_of_range",  # a rating format, but impossible on its own scale: "11/10", "-1 stars"
    "unknown_scale",  # a rating whose scale is unstated ("7", "3 stars") or not in SCALES ("3/7")
    "invalid_scale",  # the caller's `scale` argument is not a key of aggregator.ratings.scales.SCALES
)

MAX_RATING_LENGTH = 100
"""Longer strings are prose, not a rating field; refusing them early keeps the reader fast."""


# --- patterns -----------------------------------------------------------------------------

_NUM = r"(?:[0-9]+(?:[.,][0-9]+)?|[.,][0-9]+)"
_WORD_NUMBERS = {
    "zero": 0, "no": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
}  # fmt: skip
_WORD = "(?:" + "|".join(_WORD_NUMBERS) + ")"
_FRACTIONS = {"½": 0.5, "¼": 0.25, "¾": 0.75, "1/2": 0.5, "1/4": 0.25, "3/4": 0.75}
_FRACTION = r"(?:½|¼|¾|1/2|1/4|3/4)"
_AND_A_HALF = r"(?:[\s-]+and[\s-]+a[\s-]+half)"
_OUT_OF = r"(?:/|out\s+of|of)"
_UNIT = r"(?:stars?|points?|pts)"

# The common cases ('3/4', "3.5/4.0", ".5/5", "4.5 of 5", "'2.5/4'", "7") before any other
# work; their numbers go straight to float() (decimal commas take the slow path).
_PLAIN_NUM = r"([0-9]+(?:\.[0-9]+)?|\.[0-9]+)"
_FAST_FRACTION = re.compile(
    rf"\s*['\"]?\s*{_PLAIN_NUM}\s*(?:/|of|out of)\s*{_PLAIN_NUM}\s*['\"]?\s*"
)
_FAST_BARE_NUMBER = re.compile(rf"\s*{_PLAIN_NUM}\s*")
_FAST_LETTER = {form: v for k, v in LETTER_POINTS.items() for form in (k, k.upper())}

# Quotes, brackets and "Rating:" around the rating are wrapping, not content.
_WRAPPING = " \t\r\n\xa0'\"“”‘’«»"
_CLEAN = str.maketrans({
    "⁄": "/", "∕": "/", "−": "-", "–": "-", "—": "-", "(": " ", ")": " ", "[": " ", "]": " ",
    "\ufe0f": None,
})  # fmt: skip
_NEEDS_CLEANING = re.compile(r"[^\x00-\x7f]|[()\[\]]")
_PREFIX = re.compile(
    r"(?:(?:original|our|overall|final)\s+)?(?:rating|score|grade|verdict|note)\s*[:=]\s*"
)

_GRADE = r"([a-df])\s*(?:([+-])|-?\s*(plus|minus))?"
_LETTER = re.compile(_GRADE)
_SPLIT_LETTER = re.compile(rf"{_GRADE}\s*(?:/|to|or)\s*{_GRADE}")
_PERCENT = re.compile(rf"([-+])?\s*({_NUM})\s*(?:%|percent|per\s+cent)")
_SYMMETRIC = re.compile(
    rf"(?:(?:low|mid|high)\s+)?([-+])?\s*({_NUM})\s*(?:{_OUT_OF}|on\s+a\s+scale\s+of)\s*"
    rf"-\s*({_NUM})\s*(?:\.{{2,3}}|…|to|-)\s*\+?\s*({_NUM})"
)
_HALF_STAR = re.compile(r"(?:½|1/2|(?:a\s+)?half(?:\s+a)?)\s*stars?")
_GLYPHS = re.compile(
    rf"(?P<full>[★*⭐✭✮✯✪]*)\s*(?P<half>½|1/2|⯪|⯨)?\s*(?P<empty>[☆✩✰]*)"
    rf"\s*(?:{_OUT_OF}\s*(?P<best>{_NUM}|{_WORD}))?\s*(?:stars?)?"
)
_NUMBER_RATING = re.compile(
    rf"(?P<sign>[-+])?\s*(?:"
    rf"(?P<num>{_NUM})(?:[\s-]*(?P<frac>{_FRACTION})|(?P<numhalf>{_AND_A_HALF}))?"
    rf"|(?P<word>{_WORD})(?P<wordhalf>{_AND_A_HALF})?"
    rf")\s*(?P<unit>{_UNIT})?"
    rf"(?:\s*{_OUT_OF}\s*(?P<best>{_NUM}|{_WORD})\s*{_UNIT}?)?"
)


def _number(text: str) -> float:
    if text in _WORD_NUMBERS:
        return float(_WORD_NUMBERS[text])
    return float(text.replace(",", "."))


# CPython compiles `NAME.get(x)` for a NAME bound by an import as a module attribute load,
# which builds a bound method on every call: 4 % of a parse on the fast path. A name bound
# here compiles to the cheaper method call.
_scale_name_for_best = SCALE_NAME_BY_BEST.get


# --- public API ---------------------------------------------------------------------------


def parse_rating(text: object, scale: str | Scale | None = None) -> Rating | None:
    """The Rating a string states, or None; `explain_rating` says why not. Never raises."""
    result = _read(text, scale)
    return None if result.__class__ is str else result  # type: ignore[return-value]


def explain_rating(text: object, scale: str | Scale | None = None) -> tuple[Rating | None, str]:
    """(Rating, "ok") or (None, reason) with reason in REASONS. Never raises.

    `scale` (a key of SCALES, or a Scale) is the outlet's scale, used only for ratings that do
    not state their own: a bare number, "3 stars", stars as glyphs without empty ones.
    """
    result = _read(text, scale)
    if result.__class__ is str:
        return None, result  # type: ignore[return-value]
    return result, "ok"  # type: ignore[return-value]


# The readers below return a Rating, or the reason (a str of REASONS) there is none.


def _read(text: object, scale: object) -> Rating | str:
    if scale is not None:
        if isinstance(scale, str):
            if scale and scale not in SCALES:
                return "invalid_scale"
            scale = SCALES[scale] if scale else None
        elif not isinstance(scale, Scale):
            return "invalid_scale"
    if not isinstance(text, str):
        return "empty" if text is None else "not_a_rating"
    match = _FAST_FRACTION.fullmatch(text)
    if match:
        value, best = float(match[1]), float(match[2])
        if value > best:
            return "out_of_range"
        scale_name = _scale_name_for_best(best)
        if scale_name is None:
            return "unknown_scale"
        return Rating(text, value, best, 0.0, scale_name, int(value * 1e8 / best + 0.5) / 1e6)
    match = _FAST_BARE_NUMBER.fullmatch(text)
    if match:
        return rating_on_scale(text, float(match[1]), scale)  # type: ignore[arg-type]
    stripped = text.strip(_WRAPPING)
    points = _FAST_LETTER.get(stripped)
    if points is not None:
        return Rating(text, points, 100.0, 0.0, "letter", points)
    if not stripped:
        return "empty"
    if len(stripped) > MAX_RATING_LENGTH:
        return "not_a_rating"
    return _read_slow(text, stripped, scale)  # type: ignore[arg-type]


def _read_slow(raw: str, stripped: str, scale: Scale | None) -> Rating | str:
    cleaned = stripped.lower()
    if _NEEDS_CLEANING.search(cleaned):
        cleaned = cleaned.translate(_CLEAN)
    cleaned = " ".join(cleaned.split()).rstrip(".!")
    if ":" in cleaned or "=" in cleaned:
        prefix = _PREFIX.match(cleaned)
        if prefix:
            cleaned = cleaned[prefix.end() :].strip(_WRAPPING)
    if not cleaned:
        return "empty"

    if "star" in cleaned and _HALF_STAR.fullmatch(cleaned):  # "1/2 star" is not 1 out of 2
        return rating_on_scale(raw, 0.5, scale)
    match = _NUMBER_RATING.fullmatch(cleaned)
    if match:
        return _read_number(raw, match, scale)
    match = _LETTER.fullmatch(cleaned)
    if match:
        return _read_letters(raw, (match.groups(),))
    match = _SPLIT_LETTER.fullmatch(cleaned)
    if match:
        groups = match.groups()
        return _read_letters(raw, (groups[:3], groups[3:]))
    match = _PERCENT.fullmatch(cleaned)
    if match:
        value = _number(match[2]) * (-1 if match[1] == "-" else 1)
        return rating_out_of(raw, value, 100.0)
    match = _SYMMETRIC.fullmatch(cleaned)
    if match:
        return _read_symmetric(raw, match)
    match = _GLYPHS.fullmatch(cleaned)
    if match and (match["full"] or match["half"]):
        return _read_glyphs(raw, match, scale)
    return "not_a_rating"


def _read_number(raw: str, match: re.Match[str], scale: Scale | None) -> Rating | str:
    if match["num"] is not None:
        value = _number(match["num"])
        if match["frac"]:
            value += _FRACTIONS[match["frac"]]
        elif match["numhalf"]:
            value += 0.5
    elif match["unit"] is None and match["best"] is None:  # "no", "one": words, not ratings
        return "not_a_rating"
    else:
        value = _number(match["word"]) + (0.5 if match["wordhalf"] else 0.0)
    if match["sign"] == "-":
        value = -value
    if match["best"] is not None:
        return rating_out_of(raw, value, _number(match["best"]))
    return rating_on_scale(raw, value, scale)


def _read_glyphs(raw: str, match: re.Match[str], scale: Scale | None) -> Rating | str:
    full, half, empty = len(match["full"]), bool(match["half"]), len(match["empty"])
    value = full + (0.5 if half else 0.0)
    if match["best"] is not None:
        return rating_out_of(raw, value, _number(match["best"]))
    if empty:  # "★★★☆☆": the empty stars state the scale
        return rating_out_of(raw, value, float(full + half + empty))
    return rating_on_scale(raw, value, scale)


_SIGN_WORDS = {"plus": "+", "minus": "-", None: ""}


def _read_letters(raw: str, grades: tuple[tuple[str | None, ...], ...]) -> Rating | str:
    points = []
    for letter, sign, word in grades:
        key = f"{letter}{sign or _SIGN_WORDS[word]}"
        if key not in LETTER_POINTS:  # "F+", "F-": not on the published scale
            return "unknown_scale"
        points.append(LETTER_POINTS[key])
    value = float(sum(points)) / len(points)
    return Rating(raw, value, 100.0, 0.0, "letter", value)


def _read_symmetric(raw: str, match: re.Match[str]) -> Rating | str:
    sign, number, low, high = match.groups()
    value = _number(number) * (-1 if sign == "-" else 1)
    low_value, best = _number(low), _number(high)
    if low_value != best:
        return "unknown_scale"
    if abs(value) > best:
        return "out_of_range"
    # "1 of -1..+1" is the binary flag, as rating_from_parts writes it
    for scale in SCALES.values():
        if scale.kind in ("symmetric", "binary") and scale.best == best:
            return rating_on_scale(raw, value, scale)
    return "unknown_scale"


# --- structured data ----------------------------------------------------------------------

SCHEMA_ORG_BEST = 5.0
SCHEMA_ORG_WORST = 1.0
"""schema.org's defaults for Rating.bestRating / worstRating."""


def rating_from_parts(
    value: object, best: object = None, worst: object = None, raw: str | None = None
) -> Rating | None:
    """The Rating of structured data (schema.org reviewRating), or None; never raises."""
    return explain_rating_parts(value, best, worst, raw)[0]


def explain_rating_parts(
    value: object, best: object = None, worst: object = None, raw: str | None = None
) -> tuple[Rating | None, str]:
    """(Rating, "ok") or (None, reason) for structured data; values may be str, int, float, None.

    How the range is read:
    - best 1, worst -1 is Rotten Tomatoes' fresh flag: scale "binary", score None; the value
      must be 1 (fresh) or -1 (rotten).
    - worst == -best is a symmetric scale (-4..+4).
    - worst 0 or 1 is a star/point scale out of `best`, scored 0-based like the string
      "value/best", so that 4 of 5 is 80 whatever worst says: schema.org's worst of 1 names
      the lowest mark given, not the zero of the scale (a one-star film is 20, as "1/5").
      A stated worst still bounds the value (0.5 with worst 1 is out of range); a defaulted
      one does not, since many pages omit worstRating while rating from 0.
    - A value that is not a number ("B+", "3½ stars") is read as a string, on the scale of
      `best` when one fits.
    """
    result = _read_parts(value, best, worst, raw)
    if result.__class__ is str:
        return None, result  # type: ignore[return-value]
    return result, "ok"  # type: ignore[return-value]


def _read_parts(value: object, best: object, worst: object, raw: str | None) -> Rating | str:
    number = _part_number(value)
    if number is None:
        if isinstance(value, str) and value.strip():
            best_number = _part_number(best)
            scale = _scale_name_for_best(best_number) if best_number is not None else None
            return _read(value, scale)
        empty = value is None or (isinstance(value, str) and not value.strip())
        return "empty" if empty else "not_a_rating"
    best_given = best is not None and best != ""
    worst_given = worst is not None and worst != ""
    best_number = _part_number(best) if best_given else SCHEMA_ORG_BEST
    worst_number = _part_number(worst) if worst_given else None
    if best_number is None or (worst_given and worst_number is None):
        return "not_a_rating"
    if worst_number is not None and worst_number == -best_number and best_number > 0:
        if raw is None:  # a string that reads back the same (`aggregator renormalise`)
            raw = f"{number:+g} of {worst_number:g}..{best_number:+g}"
        kind = "binary" if best_number == 1 else "symmetric"
        for scale in SCALES.values():
            if scale.kind == kind and scale.best == best_number:
                return rating_on_scale(raw, number, scale)
        return "out_of_range" if abs(number) > best_number else "unknown_scale"
    if raw is None:
        raw = f"{number:g}/{best_number:g}"
    if worst_number not in (None, 0.0, 1.0):
        return "unknown_scale"
    if worst_number is not None and number < worst_number:
        return "out_of_range"
    return rating_out_of(raw, number, best_number)


def _part_number(part: object) -> float | None:
    if isinstance(part, bool):  # a flag, not a number (bool is an int subclass)
        return None
    try:
        if isinstance(part, (int, float)):
            number = float(part)
        elif isinstance(part, str) and _PART_NUMBER.fullmatch(part.strip()):
            number = float(part.strip().replace(",", "."))
        else:
            return None
    except OverflowError:  # an int beyond float range
        return None
    return number if math.isfinite(number) else None


_PART_NUMBER = re.compile(rf"[-+]?{_NUM}")


REASON_TEXT: dict[str, str] = {
    "ok": "read",
    "empty": "nothing to read (empty, blank, or a structured rating without a value)",
    "not_a_rating": "no rating format matches (prose, a word, not a string)",
    "out_of_range": "a rating, but impossible on its own scale (e.g. 11/10, -1 stars)",
    "unknown_scale": "the scale is not stated (a bare number, \"3 stars\") or not one the"
    " project knows (3/7); give the outlet's scale",
    "invalid_scale": "the scale given is not one of aggregator.ratings.scales.SCALES",
}
"""One line per reason code of REASONS, for people (the `aggregator rating` command)."""


# Scales learnt from an outlet's other ratings live in aggregator/ratings/learnt_scales.py; they are
# re-exported here because callers read a rating and learn a scale together.
from aggregator.ratings.learnt_scales import (  # noqa: E402
    LEARN_MIN_RATINGS,
    LEARN_MIN_SHARE,
    LEARNABLE_KINDS,
    OutletScales,
    learned_scale,
)

__all__ = [
    "FRESH_FROM", "LEARN_MIN_RATINGS", "LEARN_MIN_SHARE", "LEARNABLE_KINDS", "LETTER_POINTS", "NEGATIVE_BELOW",
    "OutletScales", "POSITIVE_FROM", "REASONS", "REASON_TEXT", "Rating", "explain_rating", "explain_rating_parts",
    "learned_scale", "parse_rating", "rating_from_parts", "verdict_for_score",
]
