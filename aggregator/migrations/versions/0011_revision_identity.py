"""Revisions keep who wrote the review and which film it was of (issue 15).

A re-crawl or `aggregator renormalise` that moves a review to another film or other critics
kept only the old rating and text: `review_revisions` gains the previous film's title and year
and the previous critics' names in byline order. They are copied values, not links, so that a
revision outlives the film row a corrected title leaves without reviews (which the store then
deletes) and a critic merge.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.add_column("review_revisions", sa.Column("film_title", sa.Text(), nullable=True))
    op.add_column("review_revisions", sa.Column("film_year", sa.Integer(), nullable=True))
    op.add_column("review_revisions", sa.Column("critics", JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("review_revisions") as batch:
        batch.drop_column("critics")
        batch.drop_column("film_year")
        batch.drop_column("film_title")
