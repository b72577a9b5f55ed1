"""The date reader on a mixed corpus of the strings a crawl meets (issue 16).

    python -m benchmarks.dates [--size 20000] [--rounds 5] [--seed 16] [--no-reference]

Builds a reproducible corpus (seeded): ISO datetimes, RFC 2822, English text dates, numeric
dates, epoch values, dates in other languages with the page's language (0.5%: --other-languages), plain non-dates
("TBD", "3 days ago") and 1% strings with a year that are no date ("© 2024 Outlet",
"Top 10 films of 2023"), each with the languages a page would pass (mostly ["en"], some
None for pages without a lang attribute). Then, rounds alternating, times:

- **reader**: `parse_date` as it is (the date-shape check, the memo of dateparser's answers,
  emptied before each round so a round starts cold);
- **reference**: the same reader with every string that passes the fast paths handed to
  dateparser (no shape check, no memo): the reader before issue 16.

Prints strings/s of each as median [min-max] over the rounds, and the number of strings
whose date differs between the two (must be 0).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, timedelta
from unittest import mock

from aggregator import dates
from aggregator.dates import parse_date

TODAY = date(2026, 6, 15)
GOAL = 50_000
OTHER_LANGUAGES_SHARE = 0.005
"""The registry's outlets all write English; other languages come from outlets discovered."""
Case = tuple[str, tuple[str, ...] | None]

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")
_OTHER_LANGUAGES = {
    "fr": (("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
            "octobre", "novembre", "décembre"), ("{d} {m} {y}", "le {d} {m} {y}", "Publié le {d} {m} {y}")),
    "de": (("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
            "Oktober", "November", "Dezember"), ("{d}. {m} {y}",)),
    "es": (("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre",
            "octubre", "noviembre", "diciembre"), ("{d} de {m} de {y}",)),
    "it": (("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto",
            "settembre", "ottobre", "novembre", "dicembre"), ("{d} {m} {y}",)),
}
_OUTLETS = ("The Film Stage", "Reel Views", "Screen Daily", "Cine Vue", "Little White Lies")
_YEAR_NON_DATES = (
    "© {y} {o}", "Copyright {y} {o}. All rights reserved.", "Updated for {y} season",
    "Top {n} films of {y}", "The best films of {y} so far", "Best of {y}", "{y} in review",
    "The {y} Oscars", "Cannes {y}: day {n}", "Sundance {y}", "Summer {y}", "Class of {y}",
    "Released in {y}", "{o} {y}", "{M} {y}", "Updated {M} {y}", "Spring {y} preview",
    "Our {n} most anticipated films of {y}", "Festival {y} – part {n}",
)
_PLAIN_NON_DATES = ("TBD", "tbc", "Coming soon", "", "yesterday", "3 days ago", "2 hours ago",
                    "June 14", "14/06", "last week", "Today", "N/A", "00:00-YY-DD-MM")


def _english_date(day: date, rng: random.Random) -> str:
    month = _MONTHS[day.month - 1]
    shapes = (
        f"{day.day} {month} {day.year}", f"{month} {day.day}, {day.year}",
        f"{month[:3]}. {day.day}, {day.year}", f"{day.day} {month[:3]} {day.year}",
        f"Published: {day.day} {month} {day.year}",
        f"{month} {day.day}, {day.year} {rng.randint(1, 12)}:{rng.randint(0, 59):02d} p.m. ET",
        f"{day:%a} {day.day} {month[:3]} {day.year} {rng.randint(0, 23):02d}.{rng.randint(0, 59):02d} BST",
    )
    return rng.choice(shapes)


def _iso(day: date, rng: random.Random) -> str:
    clock = f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"
    return rng.choice((f"{day}T{clock}Z", f"{day}T{clock}+00:00", f"{day}T{clock}-04:00",
                       f"{day}T{clock}.000Z", f"{day} {clock}"))


def build_corpus(size: int, seed: int = 16, other_languages: float = OTHER_LANGUAGES_SHARE) -> list[Case]:
    """`size` (text, languages) cases, the same for the same seed; `other_languages` is the
    share of dates in French, German, Spanish or Italian (dateparser reads them: ~1 ms each)."""
    rng = random.Random(seed)
    first = date(2019, 1, 1)
    english = ("en",)
    cases: list[Case] = []
    for _ in range(size):
        day = first + timedelta(days=rng.randrange(2_700))
        languages = english if rng.random() < 0.9 else None  # some pages say no language
        kind = rng.random()
        if rng.random() < other_languages:
            language = rng.choice(sorted(_OTHER_LANGUAGES))
            months, shapes = _OTHER_LANGUAGES[language]
            text = rng.choice(shapes).format(d=day.day, m=months[day.month - 1], y=day.year)
            languages = (language,)
        elif kind < 0.01:
            text = rng.choice(_YEAR_NON_DATES).format(
                y=day.year, o=rng.choice(_OUTLETS), n=rng.randint(2, 25), M=_MONTHS[day.month - 1])
        elif kind < 0.06:
            text = rng.choice(_PLAIN_NON_DATES)
        elif kind < 0.55:
            text = _iso(day, rng)
        elif kind < 0.62:
            text = day.isoformat()
        elif kind < 0.70:
            text = f"{day:%a}, {day.day:02d} {day:%b} {day.year} {rng.randint(0, 23):02d}:00:00 +0000"
        elif kind < 0.92:
            text = _english_date(day, rng)
        elif kind < 0.96:
            text = rng.choice((f"{day.day}/{day.month}/{day.year}", f"{day:%Y/%m/%d}", f"{day:%d.%m.%Y}"))
        elif kind < 0.98:
            text = f"{day:%Y%m%d}"
        else:
            text = str(int(time.mktime(day.timetuple())) + rng.randrange(86_400 // 2))
        cases.append((text, languages))
    return cases


def read_all(cases: Sequence[Case]) -> list[date | None]:
    return [parse_date(text, languages=languages, today=TODAY) for text, languages in cases]


@contextmanager
def reference_reader() -> Iterator[None]:
    """The reader as before the shape check: every string the fast paths leave goes to
    dateparser, none remembered."""
    with mock.patch.object(dates, "_could_be_date", lambda text, languages: True), \
            mock.patch.object(dates, "_fallback", dates._fallback.__wrapped__):
        yield


def _timed(cases: Sequence[Case]) -> float:
    start = time.perf_counter()
    read_all(cases)
    return len(cases) / (time.perf_counter() - start)


def differences(cases: Sequence[Case]) -> list[tuple[Case, date | None, date | None]]:
    """The cases whose date the reader reads otherwise than the reference."""
    distinct = list(dict.fromkeys(cases))
    now = read_all(distinct)
    with reference_reader():
        before = read_all(distinct)
    return [(case, a, b) for case, a, b in zip(distinct, now, before, strict=True) if a != b]


def run(size: int, rounds: int, seed: int, reference: bool,
        other_languages: float = OTHER_LANGUAGES_SHARE) -> dict:
    cases = build_corpus(size, seed, other_languages)
    read_all(cases)  # warm: dateparser imported, its languages loaded, the shape data built
    rates: dict[str, list[float]] = {"reader": [], "reference": []}
    for _ in range(rounds):
        dates._fallback.cache_clear()
        rates["reader"].append(_timed(cases))
        if reference:
            with reference_reader():
                rates["reference"].append(_timed(cases))
    dates._fallback.cache_clear()
    return {"cases": cases, "rates": rates, "differences": differences(cases) if reference else None}


def _summary(values: list[float]) -> str:
    return f"{statistics.median(values):,.0f} [{min(values):,.0f}–{max(values):,.0f}]"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--other-languages", type=float, default=OTHER_LANGUAGES_SHARE,
                        help="share of dates in other languages (default %(default)s)")
    parser.add_argument("--no-reference", dest="reference", action="store_false",
                        help="time the reader alone (the reference costs ~20 ms a year-bearing non-date)")
    args = parser.parse_args(argv)
    result = run(args.size, args.rounds, args.seed, args.reference, args.other_languages)
    cases = result["cases"]
    parsed = sum(1 for day in read_all(cases) if day is not None)
    print(f"{len(cases):,} strings ({len(set(cases)):,} distinct), {parsed:,} read as dates; "
          f"{args.rounds} rounds, memo emptied before each")
    print(f"reader     strings/s: {_summary(result['rates']['reader'])}   (goal ≥ {GOAL:,})")
    if args.reference:
        print(f"reference  strings/s: {_summary(result['rates']['reference'])}")
        diff = result["differences"]
        print(f"strings read otherwise than the reference: {len(diff)}")
        for (text, languages), now, before in diff[:20]:
            print(f"  {text!r} {languages}: {now} (reference {before})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
