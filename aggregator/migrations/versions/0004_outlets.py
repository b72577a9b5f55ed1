"""Reviews listed by an aggregator (Rotten Tomatoes cards): where, the top-critic flag, the
critic's own call, and the listing's own values the outlet's page wins over.

A Rotten Tomatoes card is stored under the original review's URL; when the outlet's own page is
crawled (before or after) it is the same row: the page wins for text and rating, the card's
fresh/rotten call is kept (aggregator.db.listings).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
COLUMNS = ("listed_at", "top_critic", "critic_call", "listing", "listing_only")


def upgrade() -> None:
    # Plain ADD COLUMN on both backends: rebuilding `reviews` would cascade-delete its links.
    op.add_column("reviews", sa.Column("listed_at", sa.Text(), nullable=True))
    op.add_column("reviews", sa.Column("top_critic", sa.Boolean(), nullable=True))
    op.add_column("reviews", sa.Column("critic_call", sa.String(length=8), nullable=True))
    op.add_column("reviews", sa.Column("listing", JSON, nullable=True))
    # Existing rows all came from the outlets' own pages.
    op.add_column("reviews", sa.Column("listing_only", sa.Boolean(), nullable=False,
                                       server_default=sa.false()))


def downgrade() -> None:
    for column in reversed(COLUMNS):
        # SQLite >= 3.35 drops a plain column in place (no rebuild, no cascade).
        op.execute(f"ALTER TABLE reviews DROP COLUMN {column}")
