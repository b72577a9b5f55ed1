"""Crash safety (issue 15): which process ran a crawl, and the statuses of a run cut short.

`crawl_runs.pid` and `crawl_runs.host` name the process of a run, so that a later run on that
host can tell a "running" run whose process is gone and mark it "killed";
`crawl_runs.reviews_recovered` counts the reviews stored from a dead run's spool
(aggregator.db.spool). The status check admits "interrupted" (stopped by a signal) and "killed".

The columns are plain ADD COLUMNs. The check constraint needs `crawl_runs` rebuilt on SQLite,
whose copy drops the old table: with foreign keys enforced (they cannot be turned off inside
the upgrade's transaction) that would set every review's and revision's run to NULL, so those
links are parked in a temporary table and put back, as 0002 does for critics.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATUSES = ("running", "ok", "empty", "failed")
NEW_STATUSES = (*OLD_STATUSES, "interrupted", "killed")
# (table, column) of every link to crawl_runs.id.
RUN_LINKS = (("reviews", "last_run_id"), ("review_revisions", "run_id"))


def _condition(statuses: Sequence[str]) -> str:
    return f"status IS NULL OR status IN ({', '.join(repr(s) for s in statuses)})"


@contextmanager
def _runs_rebuilt():
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        for table, column in RUN_LINKS:
            op.execute(f"CREATE TEMPORARY TABLE _{table}_runs_0010 AS"
                       f" SELECT id, {column} AS run_id FROM {table} WHERE {column} IS NOT NULL")
    with op.batch_alter_table("crawl_runs", recreate="always" if sqlite else "auto") as batch:
        yield batch
    if sqlite:
        for table, column in RUN_LINKS:
            op.execute(f"UPDATE {table} SET {column} = (SELECT run_id FROM _{table}_runs_0010 p"
                       f" WHERE p.id = {table}.id) WHERE id IN (SELECT id FROM _{table}_runs_0010)")
            op.execute(f"DROP TABLE _{table}_runs_0010")


def _set_statuses(batch, statuses: Sequence[str]) -> None:
    batch.drop_constraint(op.f("ck_crawl_runs_status"), type_="check")
    batch.create_check_constraint(op.f("ck_crawl_runs_status"), _condition(statuses))


def upgrade() -> None:
    op.add_column("crawl_runs", sa.Column("pid", sa.Integer(), nullable=True))
    op.add_column("crawl_runs", sa.Column("host", sa.Text(), nullable=True))
    op.add_column("crawl_runs", sa.Column("reviews_recovered", sa.Integer(), nullable=False,
                                          server_default="0"))
    with _runs_rebuilt() as batch:
        _set_statuses(batch, NEW_STATUSES)


def downgrade() -> None:
    op.execute("UPDATE crawl_runs SET status = 'failed' WHERE status IN ('interrupted', 'killed')")
    with _runs_rebuilt() as batch:
        _set_statuses(batch, OLD_STATUSES)
        batch.drop_column("reviews_recovered")
        batch.drop_column("host")
        batch.drop_column("pid")
