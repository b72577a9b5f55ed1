"""incremental crawls (issue 6): per-URL fetch state and the runs' skipped count.

`fetch_state` remembers, for each page a discovery crawl fetched, the validators the server
gave (ETag, Last-Modified), the date the feed or sitemap gave (`lastmod`) and when it was
fetched, so a later `aggregator crawl --since` neither downloads an unchanged page again nor
misses a changed one. `crawl_runs.reviews_skipped` counts the entries a run left alone
(older than its window).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fetch_state",
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("lastmod", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("review_url", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("url", name=op.f("pk_fetch_state")),
    )
    # Plain ADD COLUMN: rebuilding crawl_runs would disturb the reviews that point at it.
    op.add_column("crawl_runs", sa.Column("reviews_skipped", sa.Integer(), nullable=False,
                                          server_default="0"))


def downgrade() -> None:
    op.execute("ALTER TABLE crawl_runs DROP COLUMN reviews_skipped")
    op.drop_table("fetch_state")
