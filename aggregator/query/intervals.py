"""95% intervals the query figures share: Wilson's for shares, Student's t for means.

The standard library has no t distribution and scipy would cost every command its start-up,
so the t quantile is the table below 4 degrees of freedom and the Cornish-Fisher expansion
around the normal quantile above (within 0.03% of the table).
"""

from __future__ import annotations

import math

Z95 = 1.959963984540054
"""The normal quantile of a two-sided 95% interval."""

_T975_SMALL = {1: 12.7062047, 2: 4.3026527, 3: 3.1824463}


def wilson(share: float, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson's score interval for a share of n (n > 0). The share may be fractional (expected
    calls, an inferred review counted by its probability: docs/queries.md says why the
    interval then still holds). Unlike the normal interval it stays inside [0, 1] and is
    honest near 0 and 1; at exactly 0 or 1 the bound is said exactly, not left to rounding."""
    denominator = 1 + z * z / n
    centre = (share + z * z / (2 * n)) / denominator
    half = z * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n)) / denominator
    low = 0.0 if share <= 0 else max(0.0, centre - half)
    high = 1.0 if share >= 1 else min(1.0, centre + half)
    return low, high


def wilson_interval(successes: int, trials: int, z: float = Z95) -> tuple[float, float]:
    """`wilson` of a count of successes among `trials`."""
    return wilson(successes / trials, trials, z)


def sample_sd(values: list[float], mean: float) -> float:
    """The sample standard deviation (n - 1) of `values` around their `mean`, in floats
    (statistics.stdev computes it exactly in fractions: 10 µs a review, the scorecard's main
    Python cost on a film with thousands of reviews)."""
    return math.sqrt(math.fsum((x - mean) ** 2 for x in values) / (len(values) - 1))


def t_quantile_975(degrees: int) -> float:
    """Student's t 97.5% quantile for `degrees` of freedom (≥ 1)."""
    if degrees < 4:
        return _T975_SMALL[degrees]
    z, v = Z95, float(degrees)
    return (z + (z**3 + z) / (4 * v) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * v**2)
            + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * v**3)
            + (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / (92160 * v**4))
