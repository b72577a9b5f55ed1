"""A person's own film ratings, read from the files people already have (`critics like-me`).

Three formats, told apart by the header row alone (never by guessing from the data):

- **Letterboxd** `ratings.csv` export: Date, Name, Year, Letterboxd URI, Rating; Rating is
  0.5-5 in half stars, scored ×20 (3½ → 70), as the store scores "stars/5".
- **IMDb** ratings export: Const (the "tt…" id), Your Rating (1-10), Title, Year, and columns
  read by no one here (Date Rated, URL, Title Type, IMDb Rating, …); scored ×10 (7 → 70), as
  the store scores "points/10".
- **Plain** CSV: title,year,score with score 0-100 (year may be empty).

A row that cannot be read (no title, a title with no letter or digit, a missing or bad score,
a bad year) is kept as an `UnreadableRow` with its line and reason: counted and listed,
never guessed. An IMDb id that is not "tt" and digits is dropped and the row matched by its
title. Pure: no database, no SQLAlchemy.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass

from aggregator.identity.films import film_key

LETTERBOXD, IMDB, PLAIN = "letterboxd", "imdb", "plain"

_COLUMNS = {
    LETTERBOXD: ("Date", "Name", "Year", "Letterboxd URI", "Rating"),
    IMDB: ("Const", "Your Rating", "Title", "Year"),
    PLAIN: ("title", "year", "score"),
}
"""The columns each format must have (case and surrounding spaces aside); others are ignored."""

_TITLE = {LETTERBOXD: "name", IMDB: "title", PLAIN: "title"}
_SCORE = {LETTERBOXD: "rating", IMDB: "your rating", PLAIN: "score"}
_IMDB_ID = re.compile(r"tt\d{5,10}")
_YEAR = re.compile(r"\d{4}")


class OwnRatingsError(ValueError):
    """A file that is not one of the three formats (the message names the columns expected),
    or not text at all."""


@dataclass(frozen=True)
class OwnRating:
    line: int
    """The file line the row starts on (the header is line 1)."""
    title: str
    year: int | None
    imdb_id: str | None
    """"tt…" in lower case (IMDb exports only)."""
    score: float
    """0-100."""


@dataclass(frozen=True)
class UnreadableRow:
    line: int
    reason: str


@dataclass(frozen=True)
class OwnRatings:
    format: str
    """LETTERBOXD, IMDB or PLAIN."""
    ratings: list[OwnRating]
    unreadable: list[UnreadableRow]

    @property
    def rows(self) -> int:
        return len(self.ratings) + len(self.unreadable)


def expected_columns() -> str:
    """The three headers accepted, for an error message or --help."""
    return ("a Letterboxd ratings export (Date, Name, Year, Letterboxd URI, Rating), an IMDb ratings "
            "export (Const, Your Rating, Title, Year, …) or a plain CSV (title, year, score)")


def _format_of(header: list[str]) -> str:
    names = {cell.strip().casefold() for cell in header}
    missing = {kind: [c for c in columns if c.casefold() not in names] for kind, columns in _COLUMNS.items()}
    for kind in (IMDB, LETTERBOXD, PLAIN):
        if not missing[kind]:
            return kind
    shown = ", ".join(cell.strip() for cell in header if cell.strip()) or "(empty)"
    near = min(_COLUMNS, key=lambda kind: len(missing[kind]) / len(_COLUMNS[kind]))
    hint = ""
    if len(missing[near]) < len(_COLUMNS[near]):  # shares a column with one format: say what it lacks
        hint = f"; it looks like the {near} format but lacks {', '.join(missing[near])}"
        if near == LETTERBOXD and missing[near] == ["Rating"]:
            hint += " (Letterboxd's watched.csv has no ratings: export ratings.csv)"
    raise OwnRatingsError(f"unknown header {shown!r}: expected {expected_columns()}{hint}")


def _score(kind: str, text: str) -> tuple[float | None, str | None]:
    """(score 0-100, None) or (None, why the cell is not a score of this format)."""
    if not text:
        return None, "no rating" if kind != PLAIN else "no score"
    try:
        value = float(text)
    except ValueError:
        return None, f"bad {'score' if kind == PLAIN else 'rating'} {text!r}"
    if not math.isfinite(value):
        return None, f"bad {'score' if kind == PLAIN else 'rating'} {text!r}"
    if kind == LETTERBOXD:
        if not (0.5 <= value <= 5 and (value * 2).is_integer()):
            return None, f"bad rating {text!r}: Letterboxd ratings are 0.5 to 5 in half stars"
        return value * 20, None
    if kind == IMDB:
        if not (1 <= value <= 10 and value.is_integer()):
            return None, f"bad rating {text!r}: IMDb ratings are whole numbers 1 to 10"
        return value * 10, None
    if not 0 <= value <= 100:
        return None, f"bad score {text!r}: scores are 0 to 100"
    return value, None


def _year(text: str) -> tuple[int | None, str | None]:
    if not text:
        return None, None
    if not _YEAR.fullmatch(text):
        return None, f"bad year {text!r}"
    return int(text), None


def _row(kind: str, line: int, cells: dict[str, str]) -> OwnRating | UnreadableRow:
    title = cells.get(_TITLE[kind], "")
    if not title:
        return UnreadableRow(line, "no title")
    try:
        film_key(title)
    except ValueError:
        return UnreadableRow(line, f"title {title!r} has no letter or digit")
    score, why = _score(kind, cells.get(_SCORE[kind], ""))
    if why:
        return UnreadableRow(line, why)
    year, why = _year(cells.get("year", ""))
    if why:
        return UnreadableRow(line, why)
    imdb_id = cells.get("const", "").lower() if kind == IMDB else ""
    return OwnRating(line, title, year, imdb_id if _IMDB_ID.fullmatch(imdb_id) else None, score)


def read_own_ratings(text: str) -> OwnRatings:
    """The ratings in `text` (a whole CSV file). Raises OwnRatingsError for a file with no
    header or an unknown one."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    header = next(reader, None)
    while header is not None and not any(cell.strip() for cell in header):  # blank lines before it
        header = next(reader, None)
    if header is None:
        raise OwnRatingsError(f"the file is empty: expected a header row, {expected_columns()}")
    kind = _format_of(header)
    names = [cell.strip().casefold() for cell in header]
    ratings: list[OwnRating] = []
    unreadable: list[UnreadableRow] = []
    line = reader.line_num + 1
    for record in reader:
        if any(cell.strip() for cell in record):
            cells = {name: value.strip() for name, value in zip(names, record)}
            row = _row(kind, line, cells)
            (ratings if isinstance(row, OwnRating) else unreadable).append(row)
        line = reader.line_num + 1
    return OwnRatings(kind, ratings, unreadable)


def read_own_ratings_file(path) -> OwnRatings:
    """`read_own_ratings` of the file at `path`, which must be UTF-8 (as both exports are)."""
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise OwnRatingsError(f"{path}: not UTF-8 text (byte {error.start}); save the file as UTF-8 CSV") from None
    return read_own_ratings(text)
