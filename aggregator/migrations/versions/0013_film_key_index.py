"""An index the store's film choice reads by (issue 16).

- `ix_reviews_film_key`: a batch that stores a new dated film looks up the stored reviews of
  its title left without a film (aggregator.db.film_store._rechoose_for_new_films) by film key;
  without an index that read walked every review without a film (0.2 s a batch on a million).

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_reviews_film_key", "reviews", ["film_key"])


def downgrade() -> None:
    op.drop_index("ix_reviews_film_key", table_name="reviews")
