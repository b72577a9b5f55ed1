"""Keep the page context the identity readers use: standfirst, <title>, keywords.

The critic pipeline falls back to the critic named in the standfirst, and the film pipeline
reads the title tag and keywords; stored, they let `aggregator renormalise` repeat what the
crawl decided without a re-crawl.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
COLUMNS = ("standfirst_raw", "title_raw", "keywords_raw")


def upgrade() -> None:
    # Plain ADD COLUMN on both backends: rebuilding `reviews` would cascade-delete its links.
    op.add_column("reviews", sa.Column("standfirst_raw", sa.Text(), nullable=True))
    op.add_column("reviews", sa.Column("title_raw", sa.Text(), nullable=True))
    op.add_column("reviews", sa.Column("keywords_raw", JSON, nullable=True))


def downgrade() -> None:
    for column in reversed(COLUMNS):
        # SQLite >= 3.35 drops a plain column in place (no rebuild, no cascade).
        op.execute(f"ALTER TABLE reviews DROP COLUMN {column}")
