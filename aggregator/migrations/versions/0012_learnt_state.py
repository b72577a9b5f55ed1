"""What a crawl learns from the store, kept instead of relearnt (issue 16).

- `learnt_state`: one row per piece of state a crawl reads when it opens (outlets' scale
  counts, fresh habits, film consensus tallies), with the `reviews.updated_at` watermark it
  was computed up to (aggregator.db.learnt_state);
- `ix_reviews_updated_at`: the reviews written since a watermark, read without a scan;
- `ix_reviews_publication_scale` and `ix_reviews_film_calls`: covering indexes for the
  aggregates read by outlet (scales) and by film (given verdicts, fresh calls, scores), so that
  they are read from the index and not through each row's text.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
INDEXES = (
    ("ix_reviews_updated_at", ["updated_at"]),
    ("ix_reviews_publication_scale", ["publication_id", "scale"]),
    ("ix_reviews_film_calls", ["film_id", "verdict_source", "fresh", "score"]),
)


def upgrade() -> None:
    op.create_table(
        "learnt_state",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("data", JSON, nullable=False),
        sa.Column("watermark", sa.DateTime(timezone=True), nullable=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False, server_default="0"),
    )
    for name, columns in INDEXES:
        op.create_index(name, "reviews", columns)


def downgrade() -> None:
    for name, _ in reversed(INDEXES):
        op.drop_index(name, table_name="reviews")
    op.drop_table("learnt_state")
