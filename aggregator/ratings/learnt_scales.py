"""Scales learnt from an outlet's other ratings: "an outlet whose other reviews are all x/4 rates
out of 4", so its bare "3" reads as 3/4 (see `learned_scale` for the rule)."""

from __future__ import annotations

from collections.abc import Mapping

from aggregator.ratings.scales import SCALES

LEARN_MIN_RATINGS = 5
LEARN_MIN_SHARE = 0.9
"""An outlet's scale is learnt from its other ratings when one star or point scale has at
least LEARN_MIN_RATINGS of them and at least LEARN_MIN_SHARE of all its scored ratings: five
"x/4" and nothing else is an outlet that rates out of 4; four "x/4" and one "x/5" is not."""

LEARNABLE_KINDS = ("stars", "points")
"""Only these are learnt: a bare number is never read as a letter grade, and a symmetric
scale is stated by the rating itself ("+2 out of -4..+4")."""


def learned_scale(scale_counts: Mapping[str, int]) -> str | None:
    """The scale an outlet rates on, learnt from how many of its ratings fell on each scale.

    `scale_counts` maps scale names (keys of SCALES) to counts of the outlet's ratings. The
    dominant scale is returned when it is a star or point scale with at least
    LEARN_MIN_RATINGS ratings making at least LEARN_MIN_SHARE of the total; otherwise None.
    Fresh/rotten flags ("binary") are left out of the total: they carry no scale to compete.
    Names outside SCALES count towards the total (evidence of another scale) but never win;
    counts that are not positive integers are ignored. Pure; never raises.
    """
    if not isinstance(scale_counts, Mapping):
        return None
    total = 0
    dominant, dominant_count = None, 0
    for name, count in scale_counts.items():
        if name == "binary" or count.__class__ is not int or count <= 0:
            continue
        total += count
        if count > dominant_count:
            dominant, dominant_count = name, count
    scale = SCALES.get(dominant) if isinstance(dominant, str) else None
    if scale is None or scale.kind not in LEARNABLE_KINDS:
        return None
    if dominant_count < LEARN_MIN_RATINGS or dominant_count < LEARN_MIN_SHARE * total - 1e-9:
        return None
    return scale.name


class OutletScales:
    """Scale counts per outlet, as a crawl meets ratings, and the scale each one teaches.

    `learnt(key)` is `learned_scale` of the outlet's counts, cached until the next `add`
    for that outlet (a crawl asks once per rated review).
    """

    def __init__(self, counts: Mapping[str, Mapping[str, int]] | None = None) -> None:
        self._counts: dict[str, dict[str, int]] = {}
        self._learnt: dict[str, str | None] = {}
        for publication, scales in (counts or {}).items():
            for scale, count in scales.items():
                self.add(publication, scale, count)

    def add(self, publication: str, scale: str, count: int = 1) -> None:
        if not publication or not scale or count.__class__ is not int or count <= 0:
            return
        scales = self._counts.setdefault(publication, {})
        scales[scale] = scales.get(scale, 0) + count
        self._learnt.pop(publication, None)

    def learnt(self, publication: str | None) -> str | None:
        if not publication:
            return None
        if publication not in self._learnt:
            self._learnt[publication] = learned_scale(self._counts.get(publication, {}))
        return self._learnt[publication]

    def counts(self, publication: str) -> dict[str, int]:
        return dict(self._counts.get(publication, {}))

    def learnt_scales(self) -> dict[str, str]:
        """{outlet: learnt scale} for every outlet that has one."""
        found = {key: self.learnt(key) for key in self._counts}
        return {key: scale for key, scale in found.items() if scale is not None}
