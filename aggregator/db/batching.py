"""How the store talks to the database in batches: IN-lists and inserts of at most `CHUNK` rows,
and the backend's INSERT … ON CONFLICT."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy.orm import Session

CHUNK = 500
"""Rows per IN (...) list or insert: far below SQLite's bound-parameter limit."""


def chunks(values: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def dialect_insert(session: Session, table):
    """The backend's INSERT, which has on_conflict_do_nothing / on_conflict_do_update."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    elif dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:  # pragma: no cover - make_engine refuses other backends
        raise NotImplementedError(f"upsert is not implemented for {dialect}")
    return insert(table)


def insert_ignoring_duplicates(session: Session, table, rows: list[dict[str, Any]]) -> None:
    for chunk in chunks(rows):
        session.execute(dialect_insert(session, table).on_conflict_do_nothing(), list(chunk))


def values_in(session: Session, column, values: Sequence[Any]):
    """`column IN values` for many values (text or integers) as ONE bound parameter: a JSON array
    read by json_each on SQLite, an array on PostgreSQL. An IN list binds each value apart, and
    the per-value Python work of those binds was a fifth of a store batch's time (its URL
    variants: ~20 addresses a page; the films counted again, several times over)."""
    import json

    from sqlalchemy import ARRAY, Integer, Text, any_, bindparam, cast, func, literal_column, select

    values = list(values)
    if session.get_bind().dialect.name == "postgresql":
        element = Integer if values and isinstance(values[0], int) else Text
        return column == any_(cast(bindparam(None, values, type_=ARRAY(element)), ARRAY(element)))
    return column.in_(select(literal_column("value")).select_from(func.json_each(bindparam(None, json.dumps(values)))))
