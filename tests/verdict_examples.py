"""A small labelled set of review sentences written for the project (fictional films), for
the verdict-model tests: praise and pans built from phrase templates, so that a model must
learn words it was shown and apply them to sentences it was not."""

from __future__ import annotations

import random

FILMS = ("The Lantern Keepers", "Moss and Marrow", "Quiet Harbour", "A Season of Kites",
         "The Brass Orchard", "Nightjar Road", "Paper Lions", "The Ninth Ferry")  # fmt: skip

PRAISE = (
    "{film} is a warm, witty delight from start to finish.",
    "A gorgeous, heartfelt film; {film} earns every tear.",
    "{film} is smart, funny and beautifully acted.",
    "The cast of {film} is terrific, and the script sparkles.",
    "An inventive, thrilling ride: {film} is a joy.",
    "{film} is a charming triumph that rewards patience.",
    "Few films this year are as moving or as clever as {film}.",
    "I loved every minute of {film}; see it on the biggest screen you can.",
)
PANS = (
    "{film} is a tedious, overlong slog.",
    "A dull, lifeless film; {film} never finds its footing.",
    "{film} is lazy, shrill and painfully unfunny.",
    "The cast of {film} is wasted on a script that goes nowhere.",
    "A muddled, bloated mess: {film} is a chore.",
    "{film} is a forgettable misfire that tests your patience.",
    "Few films this year are as boring or as cynical as {film}.",
    "I regretted every minute of {film}; skip it.",
)
HALF_WAY = (
    "{film} has its moments, though it drifts in the middle.",
    "Some scenes in {film} work and others fall flat.",
    "{film} is uneven: a fine lead, a so-so story.",
)


def labelled_sentences(count: int, seed: int = 0, labels: tuple[str, str] = ("Fresh", "Rotten")):
    """`count` (text, label) pairs, about 70% praise like real samples, shuffled."""
    rng = random.Random(seed)
    pairs = []
    for number in range(count):
        film = FILMS[number % len(FILMS)]
        if rng.random() < 0.7:
            pairs.append((rng.choice(PRAISE).format(film=film), labels[0]))
        else:
            pairs.append((rng.choice(PANS).format(film=film), labels[1]))
    return pairs


HELD_OUT = [  # sentences not built from the templates, with their obvious call
    ("Witty, warm and beautifully acted: a delight.", True),
    ("A terrific, moving film; I loved it.", True),
    ("Clever and thrilling, a joy to watch.", True),
    ("Tedious, dull and overlong.", False),
    ("A lazy, forgettable mess.", False),
    ("Boring, shrill and unfunny; a chore.", False),
]
