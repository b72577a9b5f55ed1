"""Output formats the tabular query commands share: `--json` (a documented schema) or `--csv`
(one row per entry, a header first), else the human table.

CSV cells holding stored text (titles, names: anyone's page can set them) are written so that
a spreadsheet opening the file shows them as text: a cell starting with "=", "+", "-", "@", a
tab or a carriage return would otherwise be read as a formula (CSV injection), so it gets a
leading apostrophe. Numbers are written as numbers.
"""

from __future__ import annotations

import argparse
import csv
from collections.abc import Iterable, Sequence
from typing import IO, Any

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def add_output_options(parser: argparse.ArgumentParser, schema: str, *, csv_rows: str) -> None:
    """`--json` and `--csv`, mutually exclusive. `schema` names the JSON Schema file under
    aggregator/schemas/; `csv_rows` says what a CSV row is ("one film per row")."""
    formats = parser.add_mutually_exclusive_group()
    formats.add_argument("--json", action="store_true", help=f"JSON (aggregator/schemas/{schema})")
    formats.add_argument("--csv", action="store_true", help=f"CSV, {csv_rows}, with a header")


def csv_cell(value: Any) -> Any:
    """A value as a CSV cell: None empty, booleans as true/false, text kept from being a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(out: IO[str], header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])


def json_text(record: dict) -> str:
    import json

    return json.dumps(record, ensure_ascii=False, allow_nan=False, indent=2)


def percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


def share_line(figure, what: str) -> str:
    """"72% [65-78%] of 120 reviews (4 inferred)", or why there is no figure."""
    if figure.value is None:
        return f"{figure.too_few} ({figure.inferred} inferred)"
    return (f"{percent(figure.value)} [{percent(figure.low)}-{percent(figure.high)}]"
            f" of {figure.denominator} {what} ({figure.inferred} inferred)")


def positive_int(text: str) -> int:
    """argparse type: an integer of at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text!r}")
    return value
