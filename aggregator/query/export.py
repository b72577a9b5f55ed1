"""Every stored review, with raw and normalised fields, as JSON or CSV.

The JSON record shape is documented by `aggregator/schemas/review-export.schema.json` and the
CSV columns by docs/export.md; tests validate real output against the schema. Records are
streamed from the database in batches, so an export's memory does not grow with the corpus.

CSV cells are opened by spreadsheets, which run a cell that starts with "=", "+", "-" or "@"
as a formula: a critic named '=HYPERLINK("https://evil.example", "Jane")' would become a link.
Such text cells are written with a leading "'" (OWASP, CSV injection), unless asked raw.
"""

from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime
from importlib import resources
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.db.models import Critic, Film, Publication, Review, ReviewCritic

BATCH_SIZE = 500
LIST_SEPARATOR = "; "
SCHEMA_RESOURCE = "schemas/review-export.schema.json"

RAW_FIELDS = (
    "publication_raw", "critic_raw", "critic_urls", "film_raw", "film_year_raw", "film_ids_raw",
    "rating_parts", "label_raw", "published_raw",
)  # fmt: skip

CSV_COLUMNS = (
    "url", "page_url", "spider", "publication_key", "publication_name", "critics",
    "film_title", "film_year", "published", "rating_raw", "rating_value", "rating_best",
    "rating_worst", "scale", "score", "verdict", "fresh", "verdict_source", "confidence",
    "headline", "language", "source_format", *RAW_FIELDS, "listed_at", "top_critic",
    "critic_call", "first_seen", "last_seen", "updated_at", "text",
)  # fmt: skip
"""In this order; docs/export.md describes each."""


def load_schema() -> dict[str, Any]:
    """The JSON Schema of one exported record."""
    text = resources.files("aggregator").joinpath(SCHEMA_RESOURCE).read_text(encoding="utf-8")
    return json.loads(text)


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _record(row: Any, critics: list[str]) -> dict[str, Any]:
    film = (
        {"title": row.film_title, "year": row.film_year} if row.film_title is not None else None
    )
    return {
        "url": row.url,
        "page_url": row.page_url,
        "spider": row.spider,
        "publication": {"key": row.publication_key, "name": row.publication_name},
        "critics": critics,
        "film": film,
        "published": _iso(row.published),
        "rating_raw": row.rating_raw,
        "rating": {
            "value": row.rating_value,
            "best": row.rating_best,
            "worst": row.rating_worst,
            "scale": row.scale,
        },
        "score": row.score,
        "verdict": row.verdict,
        "fresh": row.fresh,
        "verdict_source": row.verdict_source,
        "confidence": row.confidence,
        "headline": row.headline,
        "text": row.text,
        "language": row.language,
        "source_format": row.source_format,
        **{name: getattr(row, name) for name in RAW_FIELDS},
        # Where an aggregator listed the review (a Rotten Tomatoes card): aggregator.db.listings.
        "listed_at": row.listed_at,
        "top_critic": row.top_critic,
        "critic_call": row.critic_call,
        "first_seen": _iso(row.first_seen),
        "last_seen": _iso(row.last_seen),
        "updated_at": _iso(row.updated_at),
    }


def iter_export_records(session: Session, *, batch_size: int = BATCH_SIZE) -> Iterator[dict]:
    """One dict per stored review, in id order, in the schema's shape."""
    review_columns = [
        c for c in Review.__table__.c if c.name not in ("publication_id", "film_id", "content_hash")
    ]
    stmt = (
        select(
            *review_columns,
            Publication.key.label("publication_key"),
            Publication.name.label("publication_name"),
            Film.title.label("film_title"),
            Film.year.label("film_year"),
        )
        .join(Publication, Publication.id == Review.publication_id)
        .outerjoin(Film, Film.id == Review.film_id)
        .order_by(Review.id)
        .execution_options(yield_per=batch_size)
    )
    for rows in session.execute(stmt).partitions():
        names = _critic_names(session, [row.id for row in rows])
        for row in rows:
            yield _record(row, names.get(row.id, []))


def _critic_names(session: Session, review_ids: list[int]) -> dict[int, list[str]]:
    names: dict[int, list[str]] = defaultdict(list)
    stmt = (
        select(ReviewCritic.review_id, Critic.name)
        .join(Critic, Critic.id == ReviewCritic.critic_id)
        .where(ReviewCritic.review_id.in_(review_ids))
        .order_by(ReviewCritic.review_id, ReviewCritic.position)
    )
    for review_id, name in session.execute(stmt):
        names[review_id].append(name)
    return names


def write_json(session: Session, fp: IO[str]) -> int:
    """Write all reviews as one JSON array, record by record; returns the record count."""
    count = 0
    fp.write("[")
    for record in iter_export_records(session):
        fp.write(",\n" if count else "\n")
        fp.write(json.dumps(record, ensure_ascii=False))
        count += 1
    fp.write("\n]\n" if count else "]\n")
    return count


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet may read as the start of a formula (OWASP, CSV injection)."""
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")
"""A raw rating "-2" or "+3": a spreadsheet reads it as the number it is, no formula."""


def neutralise_formula(cell: Any) -> Any:
    """A text cell a spreadsheet would run as a formula, with a leading "'" (which the
    spreadsheet shows as text and does not display); numbers and other text as they are."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return LIST_SEPARATOR.join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


def csv_row(record: dict[str, Any], *, raw_cells: bool = False) -> list[Any]:
    """The CSV cells of one export record, in CSV_COLUMNS order; text cells that would run as
    a formula neutralised unless `raw_cells`."""
    film = record["film"] or {}
    flat = {
        **record,
        "publication_key": record["publication"]["key"],
        "publication_name": record["publication"]["name"],
        "film_title": film.get("title"),
        "film_year": film.get("year"),
        "rating_value": record["rating"]["value"],
        "rating_best": record["rating"]["best"],
        "rating_worst": record["rating"]["worst"],
        "scale": record["rating"]["scale"],
    }
    cells = [_cell(flat[column]) for column in CSV_COLUMNS]
    return cells if raw_cells else [neutralise_formula(cell) for cell in cells]


def write_csv(session: Session, fp: IO[str], *, raw_cells: bool = False) -> int:
    """Write all reviews as CSV with a header row (open `fp` with newline=""); formula cells
    neutralised unless `raw_cells`."""
    writer = csv.writer(fp)
    writer.writerow(CSV_COLUMNS)
    count = 0
    for record in iter_export_records(session):
        writer.writerow(csv_row(record, raw_cells=raw_cells))
        count += 1
    return count
