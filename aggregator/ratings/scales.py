"""The closed vocabulary of rating scales, shared by the rating reader and the publication registry.

A scale names how an outlet rates: its kind and its range. A rating string that fits none of
these is rejected ("unknown_scale") rather than guessed at, so every stored score is comparable.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    name: str
    kind: str
    """"stars" (glyphs or "N stars"), "points" (x/N), "letter" (F..A+), "symmetric" (-N..+N),
    "binary" (a fresh/rotten flag, no score)."""
    worst: float
    best: float


SCALES: dict[str, Scale] = {
    s.name: s
    for s in (
        Scale("stars/4", "stars", 0, 4),
        Scale("stars/5", "stars", 0, 5),
        Scale("points/6", "points", 0, 6),
        Scale("points/10", "points", 0, 10),
        Scale("points/20", "points", 0, 20),
        Scale("points/100", "points", 0, 100),
        Scale("letter", "letter", 0, 100),
        Scale("symmetric/4", "symmetric", -4, 4),
        Scale("binary", "binary", -1, 1),
    )
}


def scale_for_best(best: float) -> Scale | None:
    """The scale of an "x out of `best`" rating, or None when no scale in the vocabulary fits."""
    for scale in SCALES.values():
        if scale.kind in ("stars", "points") and scale.best == best:
            return scale
    return None
