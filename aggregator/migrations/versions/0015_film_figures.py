"""What a film's figures read, read fast; what a revision replaced, recorded whole (issue 17).

- `ix_reviews_film_calls` widened from (film_id, verdict_source, fresh, score) to every column
  a film's figures read (aggregator.db.models.FILM_FIGURE_COLUMNS): a scorecard, the kept sums
  and a film's consensus are read from the index, never through the rows' text (a scorecard on
  a million reviews read a page per review).
- `review_revisions.fresh`, `.verdict_source`, `.confidence`: the call a revision replaced, so
  that a film's scorecard as of a past date counts it as it was (aggregator.query.history);
  NULL in the revisions written before.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NARROW = ["film_id", "verdict_source", "fresh", "score"]
WIDE = [*NARROW, "verdict", "confidence", "top_critic", "publication_id", "id"]


def upgrade() -> None:
    op.drop_index("ix_reviews_film_calls", table_name="reviews")
    op.create_index("ix_reviews_film_calls", "reviews", WIDE)
    with op.batch_alter_table("review_revisions") as batch:
        batch.add_column(sa.Column("fresh", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("verdict_source", sa.String(16), nullable=True))
        batch.add_column(sa.Column("confidence", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("review_revisions") as batch:
        batch.drop_column("confidence")
        batch.drop_column("verdict_source")
        batch.drop_column("fresh")
    op.drop_index("ix_reviews_film_calls", table_name="reviews")
    op.create_index("ix_reviews_film_calls", "reviews", NARROW)
