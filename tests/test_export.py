"""JSON/CSV export and its JSON Schema (aggregator.query.export).

All outlets, critics and films here are fictional.
"""

from __future__ import annotations

import copy
import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy.orm import Session

from aggregator.db.upsert import save_reviews
from aggregator.items import ReviewItem
from aggregator.query.export import (
    CSV_COLUMNS,
    csv_row,
    iter_export_records,
    load_schema,
    write_csv,
    write_json,
)
from aggregator.ratings.scales import SCALES
from tests.factories import outlet

DOCS = Path(__file__).resolve().parent.parent / "docs" / "export.md"


PUBLICATIONS = {"reel-gazette": outlet("reel-gazette", "Reel Gazette", ("gazette.example",))}

ITEMS = [
    ReviewItem(
        url="https://gazette.example/reviews/glass-orchard",
        page_url="https://gazette.example/reviews/glass-orchard?utm_medium=rss",
        spider="structured",
        publication_raw="Reel Gazette",
        critic_raw=["By Zoë Quill, and Ivo Marsh"],
        critic_urls=["https://gazette.example/people/zoe-quill"],
        film_raw="The Glass Orchard",
        film_year_raw="2031",
        film_ids_raw=["https://example.org/films/glass-orchard"],
        rating_raw="B+",
        label_raw="Recommended",
        published_raw="9 May 2031",
        headline="The Glass Orchard review – tender, strange, alive",
        text='A line with "quotes", a comma; and\na newline.',
        language="en",
        source_format="json-ld",
        publication="reel-gazette",
        critics=["Zoë Quill", "Ivo Marsh"],
        film_title="The Glass Orchard",
        film_year=2031,
        scale="letter",
        score=83.0,
        verdict="positive",
        fresh=True,
        verdict_source="rating",
        published=date(2031, 5, 9),
    ),
    ReviewItem(
        url="https://gazette.example/reviews/quiet-harbour",
        publication="reel-gazette",
        rating_parts={"ratingValue": "-2", "bestRating": "4", "worstRating": "-4"},
        rating_value=-2.0,
        rating_best=4.0,
        rating_worst=-4.0,
        scale="symmetric/4",
        score=25.0,
        verdict="negative",
        fresh=False,
        verdict_source="rating",
    ),
    ReviewItem(  # unscored, no film identified, no critic, no date
        url="https://gazette.example/reviews/untitled",
        publication="reel-gazette",
        verdict="mixed",
        verdict_source="inferred",
        confidence=0.62,
    ),
]


@pytest.fixture
def session(db_engine):
    with Session(db_engine) as session:
        save_reviews(session, ITEMS, PUBLICATIONS)
        session.commit()
        yield session


@pytest.fixture(scope="module")
def validator():
    schema = load_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def test_json_export_validates_against_the_schema(session, validator):
    buffer = io.StringIO()
    assert write_json(session, buffer) == 3
    records = json.loads(buffer.getvalue())
    assert [r["url"] for r in records] == [item.url for item in ITEMS]
    for record in records:
        errors = [e.message for e in validator.iter_errors(record)]
        assert not errors, (record["url"], errors)


def test_json_export_values(session):
    first, second, third = iter_export_records(session)
    assert first["publication"] == {"key": "reel-gazette", "name": "Reel Gazette"}
    assert first["critics"] == ["Zoë Quill", "Ivo Marsh"]
    assert first["film"] == {"title": "The Glass Orchard", "year": 2031}
    assert first["published"] == "2031-05-09"
    assert (first["rating_raw"], first["score"], first["verdict"], first["fresh"]) == (
        "B+", 83.0, "positive", True,
    )  # fmt: skip
    assert first["critic_raw"] == ["By Zoë Quill, and Ivo Marsh"]
    assert first["label_raw"] == "Recommended"
    assert second["rating"] == {"value": -2.0, "best": 4.0, "worst": -4.0, "scale": "symmetric/4"}
    assert second["rating_parts"] == {"ratingValue": "-2", "bestRating": "4", "worstRating": "-4"}
    assert third["film"] is None and third["published"] is None and third["critics"] == []
    assert (third["verdict_source"], third["confidence"]) == ("inferred", 0.62)
    assert first["first_seen"].endswith("+00:00")


def test_streaming_in_small_batches_keeps_critics_with_their_reviews(session):
    records = list(iter_export_records(session, batch_size=1))
    assert [r["critics"] for r in records] == [["Zoë Quill", "Ivo Marsh"], [], []]


def test_empty_database_exports_an_empty_array(db_engine):
    with Session(db_engine) as session:
        buffer = io.StringIO()
        assert write_json(session, buffer) == 0
        assert json.loads(buffer.getvalue()) == []
        buffer = io.StringIO()
        assert write_csv(session, buffer) == 0
        assert buffer.getvalue().strip() == ",".join(CSV_COLUMNS)


def _good_record() -> dict:
    item = ITEMS[0]
    return {
        "url": item.url, "page_url": None, "spider": None,
        "publication": {"key": "reel-gazette", "name": "Reel Gazette"},
        "critics": ["Zoë Quill"], "film": {"title": "The Glass Orchard", "year": 2031},
        "published": "2031-05-09", "rating_raw": "B+",
        "rating": {"value": None, "best": None, "worst": None, "scale": "letter"},
        "score": 83.0, "verdict": "positive", "fresh": True, "verdict_source": "rating",
        "confidence": None, "headline": None, "text": None, "language": None,
        "source_format": None, "publication_raw": None, "critic_raw": [], "critic_urls": [],
        "film_raw": None, "film_year_raw": None, "film_ids_raw": [], "rating_parts": None,
        "label_raw": None, "published_raw": None,
        "listed_at": None, "top_critic": None, "critic_call": None,
        "first_seen": "2031-05-10T08:00:00+00:00", "last_seen": "2031-05-10T08:00:00+00:00",
        "updated_at": "2031-05-10T08:00:00+00:00",
    }  # fmt: skip


def _set(record: dict, path: str, value) -> dict:
    bad = copy.deepcopy(record)
    *parents, leaf = path.split(".")
    target = bad
    for key in parents:
        target = target[key]
    if value is KeyError:
        del target[leaf]
    else:
        target[leaf] = value
    return bad


@pytest.mark.parametrize(
    "path, value",
    [
        ("url", KeyError),  # required field missing
        ("url", ""),
        ("score", 150),
        ("score", "83"),
        ("verdict", "great"),
        ("verdict_source", "guess"),
        ("fresh", "yes"),
        ("confidence", 1.2),
        ("published", "9 May 2031"),
        ("published", "2031-13-45"),
        ("critics", "Zoë Quill"),
        ("critics", [None]),
        ("film", {"title": "The Glass Orchard"}),
        ("film.year", "2031"),
        ("publication.key", KeyError),
        ("rating.scale", "stars/7"),
        ("first_seen", "yesterday"),
        ("surprise", 1),  # an undocumented field
    ],
)
def test_known_bad_records_fail_validation(validator, path, value):
    assert not list(validator.iter_errors(_good_record()))
    assert list(validator.iter_errors(_set(_good_record(), path, value))), (path, value)


def test_schema_scale_vocabulary_matches_scales():
    enum = load_schema()["properties"]["rating"]["properties"]["scale"]["enum"]
    assert set(enum) == set(SCALES) | {None}


def test_every_schema_property_is_required_and_produced(session):
    schema = load_schema()
    record = next(iter_export_records(session))
    assert set(schema["required"]) == set(schema["properties"]) == set(record)


def test_csv_export(session):
    buffer = io.StringIO(newline="")
    assert write_csv(session, buffer) == 3
    rows = list(csv.DictReader(io.StringIO(buffer.getvalue(), newline="")))
    assert tuple(rows[0]) == CSV_COLUMNS
    first, second, third = rows
    assert first["critics"] == "Zoë Quill; Ivo Marsh"
    assert first["publication_key"] == "reel-gazette"
    assert first["film_title"] == "The Glass Orchard" and first["film_year"] == "2031"
    assert first["text"] == 'A line with "quotes", a comma; and\na newline.'
    assert (first["fresh"], second["fresh"], third["fresh"]) == ("true", "false", "")
    assert json.loads(second["rating_parts"]) == ITEMS[1].rating_parts
    assert second["rating_value"] == "-2.0" and second["scale"] == "symmetric/4"
    assert third["film_title"] == "" and third["published"] == ""


def test_csv_row_follows_the_columns(session):
    record = next(iter_export_records(session))
    assert len(csv_row(record)) == len(CSV_COLUMNS)


def test_docs_describe_every_csv_column_and_json_field():
    text = DOCS.read_text(encoding="utf-8")
    missing = [c for c in CSV_COLUMNS if f"`{c}`" not in text]
    assert not missing, f"docs/export.md does not describe: {missing}"
    assert "review-export.schema.json" in text
