"""A critic's reviews read from an index, not through each row's text (issue 17).

`ix_reviews_critic_reads` on (id, film_id, fresh, score, verdict_source, published,
publication_id) (aggregator.db.models.CRITIC_READ_COLUMNS): a critic's profile and a comparison
of two critics reach their reviews by id from review_critics; by the primary key alone each
look-up reads the row, whose 2-3 KB of text sit beside the figures (on SQLite the row's pages:
`critic compare` with the table cold took 87 ms at 1M reviews, 11 ms from this index).

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ["id", "film_id", "fresh", "score", "verdict_source", "published", "publication_id"]


def upgrade() -> None:
    op.create_index("ix_reviews_critic_reads", "reviews", COLUMNS)


def downgrade() -> None:
    op.drop_index("ix_reviews_critic_reads", table_name="reviews")
