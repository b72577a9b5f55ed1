"""Which schema revisions the code's migrations define, and which ones a database is at, read
without Alembic: every command checks the schema before it starts, and importing Alembic and
walking its scripts cost far more than the query most commands then run (issue 16).

The revisions come from the migration scripts' file names: `file_template` in
`aggregator/migrations/alembic.ini` names each script `<revision>_<slug>.py`, and the revisions
run in one line (0001, 0002, …), so the head is the highest. tests/test_cli_startup.py holds
this reading equal to Alembic's own (`ScriptDirectory`), so a script named or chained otherwise
fails there. `aggregator.db.session` imports Alembic only when a database needs upgrading.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

VERSIONS_DIR = Path(__file__).resolve().parent.parent / "migrations" / "versions"
VERSION_TABLE = "alembic_version"
"""Alembic's default version table (aggregator/migrations/env.py keeps it)."""
_SCRIPT_NAME = re.compile(r"(\d+)_\w+\.py")


@lru_cache(maxsize=1)
def script_revisions() -> tuple[frozenset[str], frozenset[str]]:
    """(the head, as a set of one, and every revision) of the migration scripts."""
    names = (path.name for path in VERSIONS_DIR.iterdir())
    known = frozenset(match.group(1) for match in map(_SCRIPT_NAME.fullmatch, names) if match)
    return (frozenset({max(known, key=int)}) if known else frozenset()), known


def stored_revisions(connection: Any) -> frozenset[str]:
    """The revisions a database is at, read as Alembic's `MigrationContext.get_current_heads`
    reads them: the version table's rows, none while the table does not exist."""
    if not connection.dialect.has_table(connection, VERSION_TABLE):
        return frozenset()
    return frozenset(row[0] for row in connection.exec_driver_sql(f"SELECT version_num FROM {VERSION_TABLE}"))
