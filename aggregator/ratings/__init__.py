"""Reading a rating: "3½/5", "B+", "★★★★", "7.5/10", "-4..+4" → Rating(score 0-100, scale, raw).

- reading.py: `parse_rating` / `explain_rating` (a string), `rating_from_parts` /
  `explain_rating_parts` (schema.org reviewRating), the reasons a rating is rejected;
- scores.py: the `Rating` type and what a value on a scale is worth (0-100, verdict bands);
- scales.py: the closed vocabulary of rating scales (the reader, the registry, the export);
- learnt_scales.py: an outlet's unstated scale learnt from its other ratings.

The names callers use are importable from here: `from aggregator.ratings import parse_rating`.
"""

from __future__ import annotations

from aggregator.ratings.reading import *  # noqa: F403  (the package's API is reading's __all__)
from aggregator.ratings.reading import __all__  # noqa: F401
