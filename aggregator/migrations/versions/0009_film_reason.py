"""Pages from outlets with no rule (issue 14): why a review's film title was chosen.

`reviews.film_reason` keeps which of the page's sources agreed on the title
(aggregator.identity.film_candidates: "agreed:headline+tags+url", "only:headline"), for a
review whose page named its film in no structured data. A plain ADD COLUMN on both backends;
reviews stored before keep NULL (their title came from structured data or a headline pattern).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("reviews", sa.Column("film_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    # SQLite >= 3.35 drops a plain column in place (no rebuild, no cascade).
    op.execute("ALTER TABLE reviews DROP COLUMN film_reason")
